//! Every way of reading the same bytes gives the identical report (CONTRIBUTING.md,
//! "Test conventions" 1):
//! mmap with the default, tiny and odd chunk sizes, one thread or two, standard
//! input, and a gzip-compressed copy (detected by its magic bytes, not its name).

use crate::util::{
    analyze_every_way, analyze_json, assert_same, fixture, gzip_copy, renamed, ungzipped, Dir,
};

#[test]
fn sample_gateway_log_every_way() {
    let r = analyze_every_way(&[], &fixture("sample.log"), 0);
    assert_eq!(r.totals.lines, 250);
    assert_eq!(r.inputs[0].format.as_deref(), Some("nginx:gateway"));
}

#[test]
fn sample_json_log_every_way() {
    let r = analyze_every_way(&[], &fixture("sample.jsonl"), 0);
    assert_eq!(r.totals.lines, 250);
    assert_eq!(r.inputs[0].format.as_deref(), Some("json"));
}

#[test]
fn generated_gateway_log_every_way() {
    let dir = Dir::new();
    let (log, truth) = dir.generate("gateway", 20_000, 3);
    let r = analyze_every_way(&[], &log, 0);
    assert_eq!(r.totals.classes, truth.classes);
}

#[test]
fn generated_json_log_every_way() {
    let dir = Dir::new();
    let (log, truth) = dir.generate("json", 20_000, 4);
    let r = analyze_every_way(&[], &log, 0);
    assert_eq!(r.totals.classes, truth.classes);
}

/// A `.gz` file is recognised by content: a gzip copy named `.log` reads the same.
#[test]
fn gzip_is_detected_by_magic_bytes_not_name() {
    let dir = Dir::new();
    let sample = fixture("sample.log");
    let Some(gz) = gzip_copy(&sample, &dir) else {
        return;
    };
    let disguised = dir.path().join("rotated.log");
    std::fs::rename(&gz, &disguised).unwrap();
    let plain = analyze_json::<&str>(&[], &[&sample], 0);
    let packed = analyze_json::<&str>(&[], &[&disguised], 0);
    assert_eq!(
        ungzipped(renamed(
            packed,
            &disguised.display().to_string(),
            &sample.display().to_string()
        )),
        plain
    );
}

/// Several inputs at once: chunks of different files never mix, whatever the split.
#[test]
fn two_inputs_every_chunking() {
    let paths = [fixture("sample.log"), fixture("sample.jsonl")];
    let paths: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let base = analyze_json::<&str>(&[], &paths, 0);
    assert_eq!(base.totals.lines, 500);
    for flags in [
        &["--chunk-size", "1"][..],
        &["-j", "1"],
        &["-j", "2", "--chunk-size", "13"],
    ] {
        assert_same(
            &analyze_json(flags, &paths, 0),
            &base,
            &format!("{flags:?}"),
        );
    }
}
