//! `analyze --state`: a nightly job over a log directory that keeps growing and
//! rotating counts every line exactly once. Each scenario cuts one generated log
//! into pieces that appear the way a gateway and logrotate write them (appends,
//! rename, later compression, copytruncate), runs errscope after each step, and
//! checks that the runs' counts add up to one run over the whole log.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use errscope::report::Report;

use crate::util::{os, run, tool, Dir};

/// The counts a run's report adds to the whole: lines, status classes, statuses,
/// catalog codes, undocumented names and malformed lines, keyed by what they count.
fn counts(r: &Report) -> BTreeMap<String, u64> {
    let mut c = BTreeMap::new();
    c.insert("lines".to_string(), r.totals.lines);
    c.insert("malformed".to_string(), r.malformed.count);
    for (k, v) in &r.status_classes {
        c.insert(format!("class {k}"), *v);
    }
    for (k, v) in &r.statuses {
        c.insert(format!("status {k}"), *v);
    }
    for code in &r.codes {
        c.insert(format!("code {} {}", code.section, code.name), code.count);
    }
    for u in &r.undocumented {
        c.insert(format!("undocumented {}", u.name), u.count);
    }
    c.retain(|_, v| *v > 0);
    c
}

fn add(sum: &mut BTreeMap<String, u64>, r: &Report) {
    for (k, v) in counts(r) {
        *sum.entry(k).or_default() += v;
    }
}

/// A generated log's lines, each with its newline (the generator writes some
/// lines that are not UTF-8, as gateways do).
fn lines(dir: &Dir, n: u64, seed: u64) -> (PathBuf, Vec<Vec<u8>>) {
    let (log, _) = dir.generate("gateway", n, seed);
    let bytes = std::fs::read(&log).unwrap();
    let lines = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    (log, lines)
}

fn append(path: &Path, text: impl AsRef<[u8]>) {
    let text = text.as_ref();
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text).unwrap();
}

/// `analyze -q -o json --state STATE PATHS…`, expecting `code`; the report.
#[track_caller]
fn incremental(state: &Path, paths: &[&Path], code: i32) -> Report {
    let mut args = os(&[&"analyze", &"-q", &"-o", &"json", &"--state", &state]);
    args.extend(paths.iter().map(|p| p.as_os_str().to_os_string()));
    run(&args).expect_code(code).report()
}

/// The whole log in one run, without a state.
fn whole(log: &Path) -> BTreeMap<String, u64> {
    let out = run(&os(&[&"analyze", &"-q", &"-o", &"json", &log])).expect_code(0);
    counts(&out.report())
}

fn state_files(state: &Path) -> Vec<errscope::input::state::FileState> {
    let text = std::fs::read_to_string(state).unwrap();
    let s: errscope::input::state::State = serde_json::from_str(&text).unwrap();
    assert_eq!((s.schema.as_str(), s.version), ("errscope-state", 1));
    s.files
}

#[test]
fn appends_are_read_from_where_the_last_run_stopped() {
    let dir = Dir::new();
    let (log, all) = lines(&dir, 3000, 11);
    let logs = dir.mkdir("logs");
    let access = logs.join("access.log");
    let state = dir.path().join("state.json");
    let mut sum = BTreeMap::new();
    // The first run ends in the middle of line 1001: that line waits.
    let half = all[1000].len() / 2;
    append(&access, all[..1000].concat());
    append(&access, &all[1000][..half]);
    let first = incremental(&state, &[&logs], 0);
    assert_eq!(first.totals.lines, 1000);
    assert_eq!(first.inputs[0].resumed, None);
    add(&mut sum, &first);
    append(&access, &all[1000][half..]);
    append(&access, all[1001..2000].concat());
    let second = incremental(&state, &[&logs], 0);
    assert_eq!(second.totals.lines, 1000);
    let resumed = second.inputs[0].resumed.expect("resumed");
    assert_eq!(resumed.lines, 1000);
    assert_eq!(resumed.bytes, all[..1000].concat().len() as u64);
    add(&mut sum, &second);
    // Nothing new: an empty run, said as such.
    let idle = incremental(&state, &[&logs], 0);
    assert_eq!(idle.totals.lines, 0);
    append(&access, all[2000..].concat());
    let third = incremental(&state, &[&logs], 0);
    assert_eq!(third.totals.lines, 1000);
    add(&mut sum, &third);
    assert_eq!(sum, whole(&log));
    let files = state_files(&state);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].lines, 3000);
    assert_eq!(files[0].offset, std::fs::metadata(&access).unwrap().len());
}

#[test]
fn line_numbers_go_on_across_runs() {
    let dir = Dir::new();
    let (_, all) = lines(&dir, 20, 3);
    let access = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    append(&access, all[..10].concat());
    incremental(&state, &[&access], 0);
    append(&access, all[10..15].concat());
    append(&access, "this is not an access log line\n");
    let r = incremental(&state, &[&access], 0);
    let locations: Vec<&str> = r
        .malformed
        .examples
        .iter()
        .map(|e| e.location.as_str())
        .collect();
    let want = format!("{}:16", access.display());
    assert!(locations.contains(&want.as_str()), "{locations:?}");
    let text = run(&os(&[&"analyze", &"--state", &state, &access])).expect_code(0);
    assert!(
        text.stdout
            .contains("read on from where the last run stopped (--state), after line 16"),
        "{}",
        text.stdout
    );
}

/// logrotate's default: the file is renamed (the gateway keeps appending to it
/// until it reopens its log), a new one is started, and a later night compresses
/// the renamed one (`delaycompress`).
#[test]
fn rename_rotation_and_later_compression() {
    let Some(gzip) = tool("gzip", "gzip") else {
        return;
    };
    let dir = Dir::new();
    let (log, all) = lines(&dir, 2100, 5);
    let logs = dir.mkdir("logs");
    let (current, rotated) = (logs.join("access.log"), logs.join("access.log.1"));
    let state = dir.path().join("state.json");
    let mut sum = BTreeMap::new();
    append(&current, all[..1000].concat());
    add(&mut sum, &incremental(&state, &[&logs], 0));
    // Night 2: 500 more, rotated, 200 more into the renamed file, 300 in the new one.
    append(&current, all[1000..1500].concat());
    std::fs::rename(&current, &rotated).unwrap();
    append(&rotated, all[1500..1700].concat());
    append(&current, all[1700..2000].concat());
    let night2 = incremental(&state, &[&logs], 0);
    assert_eq!(night2.totals.lines, 1000);
    add(&mut sum, &night2);
    // Night 3: the rotated file is compressed; 100 more lines in the current one.
    let status = Command::new(gzip).arg(&rotated).status().unwrap();
    assert!(status.success());
    append(&current, all[2000..].concat());
    let night3 = incremental(&state, &[&logs], 0);
    assert_eq!(night3.totals.lines, 100);
    let gz = night3
        .inputs
        .iter()
        .find(|i| i.path.ends_with("access.log.1.gz"))
        .expect("the compressed file is an input");
    assert_eq!((gz.lines, gz.compression.as_deref()), (0, Some("gzip")));
    assert_eq!(gz.resumed.map(|r| r.lines), Some(1700));
    add(&mut sum, &night3);
    assert_eq!(sum, whole(&log));
}

/// A rotated file compressed with zstd while lines were still appended to it
/// before the compression: those lines are read from the archive.
#[test]
fn lines_appended_before_compression_are_read_from_the_archive() {
    let Some(zstd) = tool("zstd", "zstd") else {
        return;
    };
    let dir = Dir::new();
    let (log, all) = lines(&dir, 600, 8);
    let logs = dir.mkdir("logs");
    let rotated = logs.join("access.log.1");
    let state = dir.path().join("state.json");
    let mut sum = BTreeMap::new();
    append(&rotated, all[..400].concat());
    add(&mut sum, &incremental(&state, &[&logs], 0));
    append(&rotated, all[400..].concat());
    let status = Command::new(zstd)
        .args(["-q", "--rm"])
        .arg(&rotated)
        .status()
        .unwrap();
    assert!(status.success());
    let r = incremental(&state, &[&logs], 0);
    assert_eq!(r.totals.lines, 200);
    assert_eq!(r.inputs[0].compression.as_deref(), Some("zstd"));
    add(&mut sum, &r);
    assert_eq!(sum, whole(&log));
}

/// copytruncate: the file is copied to `.1` and emptied in place; the gateway goes
/// on writing at its start. The copy is known and not read again; the emptied file
/// is read from byte 0. A file that only shrank is read from its start, with a note.
#[test]
fn copytruncate_starts_over() {
    let dir = Dir::new();
    let (log, all) = lines(&dir, 1300, 9);
    let logs = dir.mkdir("logs");
    let (current, copy) = (logs.join("access.log"), logs.join("access.log.1"));
    let state = dir.path().join("state.json");
    let mut sum = BTreeMap::new();
    append(&current, all[..1000].concat());
    add(&mut sum, &incremental(&state, &[&logs], 0));
    std::fs::copy(&current, &copy).unwrap();
    std::fs::write(&current, all[1000..].concat()).unwrap();
    let r = incremental(&state, &[&logs], 0);
    assert_eq!(r.totals.lines, 300);
    add(&mut sum, &r);
    assert_eq!(sum, whole(&log));

    // Shrunk with its first bytes unchanged: read from the start, and said.
    let single = dir.path().join("single.log");
    let state = dir.path().join("single.json");
    append(&single, all[..100].concat());
    incremental(&state, &[&single], 0);
    std::fs::write(&single, all[..40].concat()).unwrap();
    let out = run(&os(&[
        &"analyze", &"-o", &"json", &"--state", &state, &single,
    ]))
    .expect_code(0);
    assert_eq!(out.report().totals.lines, 40);
    assert!(
        out.stderr.contains("shorter than when last read") && out.stderr.contains("from its start"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_that_disappeared_is_dropped_and_a_duplicate_read_once() {
    let dir = Dir::new();
    let (_, all) = lines(&dir, 200, 4);
    let logs = dir.mkdir("logs");
    let (a, b) = (logs.join("a.log"), logs.join("b.log"));
    let state = dir.path().join("state.json");
    append(&a, all[..100].concat());
    append(&b, all[100..].concat());
    // The same file twice (through a symbolic link): read once.
    let link = dir.path().join("link.log");
    std::os::unix::fs::symlink(&a, &link).unwrap();
    let out = run(&os(&[
        &"analyze", &"-o", &"json", &"--state", &state, &logs, &link,
    ]))
    .expect_code(0);
    assert_eq!(out.report().totals.lines, 200);
    assert!(out.stderr.contains("not read again"), "{}", out.stderr);
    assert_eq!(state_files(&state).len(), 2);
    std::fs::remove_file(&a).unwrap();
    std::fs::remove_file(&link).unwrap();
    assert_eq!(incremental(&state, &[&logs], 0).totals.lines, 0);
    let files = state_files(&state);
    assert_eq!(files.len(), 1);
    assert!(files[0].path.ends_with("b.log"), "{files:?}");
}

#[test]
fn a_report_that_was_not_written_leaves_the_state_as_it_was() {
    let dir = Dir::new();
    let (_, all) = lines(&dir, 100, 6);
    let access = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    append(&access, all[..50].concat());
    incremental(&state, &[&access], 0);
    let before = std::fs::read(&state).unwrap();
    append(&access, all[50..].concat());
    // The report cannot be written (its directory does not exist): no state either.
    let nowhere = dir.path().join("no/such/dir/r.json");
    let out = run(&os(&[
        &"analyze",
        &"-q",
        &"--state",
        &state,
        &"--output-file",
        &nowhere,
        &access,
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("r.json"), "{}", out.stderr);
    assert_eq!(std::fs::read(&state).unwrap(), before);
    // So the next run reads those lines: counted late, never lost.
    assert_eq!(incremental(&state, &[&access], 0).totals.lines, 50);
}

#[test]
fn a_state_in_use_or_made_otherwise_is_refused() {
    let dir = Dir::new();
    let access = dir.write("access.log", std::fs::read("fixtures/sample.log").unwrap());
    let state = dir.path().join("state.json");
    incremental(&state, &[&access], 0);
    let before = std::fs::read(&state).unwrap();

    // Another run holds the lock.
    let held = errscope::input::state::lock(&state).unwrap();
    let out = run(&os(&[&"analyze", &"--state", &state, &access])).expect_code(2);
    assert!(
        out.stderr
            .contains("another errscope run is using this state"),
        "{}",
        out.stderr
    );
    drop(held);

    // Other settings would mix two ways of counting.
    let out = run(&os(&[
        &"analyze",
        &"--state",
        &state,
        &"--route",
        &"/v9/=llm",
        &access,
    ]))
    .expect_code(2);
    assert!(
        out.stderr.contains("made with other settings"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);

    // Not a state file.
    let bad = dir.write("bad.json", "{\"schema\":\"errscope-report\"}");
    let out = run(&os(&[&"analyze", &"--state", &bad, &access])).expect_code(2);
    assert!(
        out.stderr.contains("not an errscope state file"),
        "{}",
        out.stderr
    );

    // Standard input cannot be read on from anywhere.
    let out = run(&os(&[&"analyze", &"--state", &state, &"-"])).expect_code(2);
    assert!(out.stderr.contains("standard input"), "{}", out.stderr);
}
