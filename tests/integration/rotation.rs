//! A day of rotated logs, as logrotate leaves them: plain, gzip and zstd files,
//! globs, directories walked with `-r`, and archives that end early.

use std::path::{Path, PathBuf};
use std::process::Command;

use errscope::report::Report;

use crate::util::{
    analyze_code, analyze_json, analyze_stdin, as_truth, assert_same, check_invariants, os, run,
    tool, Dir,
};

/// Split `log` into `parts` consecutive files named like logrotate's output
/// (`access.log`, `access.log.1`, …, newest first) in `dir`; return them oldest first.
fn rotate(log: &Path, parts: usize, dir: &Path) -> Vec<PathBuf> {
    // Generated logs hold binary lines (TLS handshakes): split bytes, not text.
    let bytes = std::fs::read(log).expect("read the log");
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let per = lines.len().div_ceil(parts);
    let mut files = Vec::new();
    for (i, chunk) in lines.chunks(per).enumerate() {
        let age = parts - 1 - i;
        let name = if age == 0 {
            "access.log".to_string()
        } else {
            format!("access.log.{age}")
        };
        let path = dir.join(name);
        std::fs::write(&path, chunk.concat()).expect("write a rotated part");
        files.push(path);
    }
    files
}

/// Compress `path` in place with the system tool (`gzip` or `zstd`), as logrotate
/// does; `None` when the tool is not installed and the test may skip (see
/// [`tool`]).
fn compress(program: &str, path: &Path) -> Option<PathBuf> {
    let ext = if program == "gzip" { "gz" } else { "zst" };
    // Debian's packages are named after the programs.
    let found = tool(program, program)?;
    let status = Command::new(found)
        .arg("-q")
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(status.success(), "{program} failed: {status}");
    let mut packed = path.as_os_str().to_owned();
    packed.push(format!(".{ext}"));
    if program == "zstd" {
        std::fs::remove_file(path).expect("zstd keeps the original");
    }
    Some(PathBuf::from(packed))
}

/// A generated day cut into four rotated files, two of them compressed, read by a
/// glob: the report counts exactly what the generator wrote, and lists every file
/// with its compression, bytes and lines.
#[test]
fn rotated_day_with_gzip_and_zstd_matches_truth() {
    let dir = Dir::new();
    let (log, truth) = dir.generate("gateway", 8000, 11);
    let logs = dir.mkdir("logs");
    let files = rotate(&log, 4, &logs);
    let Some(gz) = compress("gzip", &files[0]) else {
        return;
    };
    let zst = compress("zstd", &files[1]);
    let pattern = logs.join("access.log*");
    let r = analyze_json(&["--bucket", "1h"], &[&pattern], 0);
    check_invariants(&r);
    assert_eq!(as_truth(&r), truth);
    let mut listed: Vec<(String, Option<String>, u64)> = r
        .inputs
        .iter()
        .map(|i| (i.path.clone(), i.compression.clone(), i.lines))
        .collect();
    listed.sort();
    let mut want = vec![
        (files[3].display().to_string(), None, 2000),
        (files[2].display().to_string(), None, 2000),
        (gz.display().to_string(), Some("gzip".to_string()), 2000),
    ];
    if let Some(zst) = &zst {
        want.push((zst.display().to_string(), Some("zstd".to_string()), 2000));
    }
    want.sort();
    assert_eq!(listed, want);
    // Bytes are the decompressed text: together, the original log's size.
    if zst.is_some() {
        let bytes: u64 = r.inputs.iter().map(|i| i.bytes).sum();
        assert_eq!(bytes, std::fs::metadata(&log).unwrap().len());
    }
    // A day of hourly buckets holds every request that has a time.
    let series = r.time_series.as_ref().unwrap();
    assert_eq!(series.bucket_seconds, 3600);
    assert!(
        (24..=26).contains(&series.buckets.len()),
        "{}",
        series.buckets.len()
    );
}

/// Compressed bytes on standard input (`curl …/access.log.gz | errscope analyze -`)
/// are decoded as a compressed file is: exactly the generator's truth, the
/// compression named, and the same input error as a file for a corrupt stream.
#[test]
fn compressed_stdin_is_decoded() {
    let dir = Dir::new();
    let (log, truth) = dir.generate("gateway", 3000, 5);
    for tool in ["gzip", "zstd"] {
        let copy = dir.path().join(format!("{tool}.log"));
        std::fs::copy(&log, &copy).expect("copy the log");
        let Some(packed) = compress(tool, &copy) else {
            continue;
        };
        let bytes = std::fs::read(&packed).expect("read the compressed log");
        let r = analyze_stdin::<&str>(&[], &bytes, 0);
        check_invariants(&r);
        assert_eq!(as_truth(&r), truth, "{tool}");
        assert_eq!(r.inputs[0].compression.as_deref(), Some(tool));
        assert_eq!(r.inputs[0].bytes, std::fs::metadata(&log).unwrap().len());
        // Cut short: what was decoded is counted, the input error says why.
        let cut = analyze_stdin::<&str>(&["--preset", "gateway"], &bytes[..bytes.len() / 2], 2);
        let error = cut.inputs[0].error.as_deref().unwrap_or_default();
        assert!(error.contains("reading stopped early"), "{tool}: {error}");
        assert!(cut.inputs[0].lines < 3000, "{tool}");
    }
    // Fewer bytes than a magic number: plain text, judged as such.
    let r = analyze_stdin(&["--preset", "gateway", "--max-malformed", "1"], b"x\n", 0);
    assert_eq!(
        (r.inputs[0].compression.as_deref(), r.inputs[0].lines),
        (None, 1)
    );
}

/// A directory is read with its subdirectories only with `-r`; each directory once,
/// even through a symlink loop; hidden files are skipped.
#[test]
fn recursive_directories_and_symlink_loops() {
    let dir = Dir::new();
    let (log, truth) = dir.generate("json", 900, 3);
    let root = dir.mkdir("var/log/gateway");
    let files = rotate(&log, 3, &root);
    let sub = dir.mkdir("var/log/gateway/old");
    std::fs::rename(&files[0], sub.join("access.log.2")).unwrap();
    dir.write("var/log/gateway/.hidden", "not a log\n");
    std::os::unix::fs::symlink(&root, sub.join("loop")).unwrap();

    let flat = analyze_json::<&str>(&[], &[&root], 0);
    assert_eq!(flat.inputs.len(), 2, "without -r, only the top directory");
    let deep = analyze_json(&["-r"], &[&root], 0);
    check_invariants(&deep);
    assert_eq!(deep.inputs.len(), 3, "{:?}", deep.inputs);
    assert_eq!(as_truth(&deep), truth);
}

/// A pattern that matches nothing is an input error naming the pattern.
#[test]
fn glob_without_matches_is_an_error() {
    let dir = Dir::new();
    let pattern = dir.path().join("nothing-*.log");
    let out = crate::util::run(&[
        "analyze".as_ref(),
        "-o".as_ref(),
        "json".as_ref(),
        pattern.as_os_str(),
    ])
    .expect_code(2);
    assert!(
        out.stderr.contains("no file matches this pattern"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing-*.log"), "{}", out.stderr);
}

/// An archive cut short (a copy interrupted, a disk full) and a corrupt one: each is
/// reported by name with the lines recovered; the other files are still counted and
/// the exit status is 2.
#[test]
fn truncated_and_corrupt_archives_keep_what_was_read() {
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 5000, 21);
    let whole = analyze_json::<&str>(&[], &[&log], 0);
    let Some(gz) = compress("gzip", &log) else {
        return;
    };
    let bytes = std::fs::read(&gz).unwrap();
    let cut = dir.write("cut.log.gz", &bytes[..bytes.len() / 2]);
    let mut garbled = bytes.clone();
    for b in &mut garbled[bytes.len() / 3..bytes.len() / 3 + 64] {
        *b ^= 0x5a;
    }
    let corrupt = dir.write("corrupt.log.gz", &garbled);
    let good = dir.write("good.log", "198.51.100.23 - - [27/Nov/2026:10:00:00 +0800] \"GET /v3/async/x HTTP/1.1\" 200 98 \"-\" \"curl/8.5.0\" 0.012 \"-\"\n");

    let r = analyze_code::<&str>(&[], &[&cut, &corrupt, &good], 2);
    check_invariants(&r);
    let cut_input = &r.inputs[0];
    let error = cut_input.error.as_deref().unwrap();
    assert!(
        error.contains("cut.log.gz") && error.contains("reading stopped early"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "the {} lines before it are counted",
            cut_input.lines
        )),
        "{error}"
    );
    assert!(
        cut_input.lines > 1000 && cut_input.lines < whole.totals.lines,
        "{}",
        cut_input.lines
    );
    assert!(r.inputs[1]
        .error
        .as_deref()
        .unwrap()
        .contains("corrupt.log.gz"));
    assert_eq!((r.inputs[2].lines, r.inputs[2].error.as_deref()), (1, None));
}

/// A night's archives, all compressed, read with one stream at a time (`-j 1`,
/// `-j 2`) and with two and three decoded at once (`-j 4`, `-j 6`): the same report,
/// the same stderr and the same exit status, whichever archive ends first. With a
/// cut and a corrupt archive among them, each is still named with what it gave.
#[test]
fn archives_decoded_at_once_report_as_one_at_a_time() {
    let dir = Dir::new();
    let (log, truth) = dir.generate("json", 12_000, 17);
    let logs = dir.mkdir("logs");
    let files = rotate(&log, 6, &logs);
    let mut packed = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let Some(archive) = compress(if k % 3 == 2 { "zstd" } else { "gzip" }, file) else {
            return;
        };
        packed.push(archive);
    }
    let paths: Vec<&Path> = packed.iter().map(PathBuf::as_path).collect();
    let runs = |paths: &[&Path], code: i32| -> Vec<(String, Report, String)> {
        ["1", "2", "4", "6"]
            .iter()
            .map(|threads| {
                let mut args = os(&[&"analyze", &"-o", &"json", &"-j", threads]);
                args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
                let out = run(&args).expect_code(code);
                (format!("-j {threads}"), out.report(), out.stderr)
            })
            .collect()
    };
    let whole = runs(&paths, 0);
    assert_eq!(as_truth(&whole[0].1), truth);
    assert_eq!(whole[0].1.inputs.len(), 6);
    for (what, report, stderr) in &whole[1..] {
        assert_same(report, &whole[0].1, what);
        assert_eq!(stderr, &whole[0].2, "{what}");
    }

    // The first archive cut in half, the fourth garbled in its middle.
    let first = std::fs::read(&packed[0]).unwrap();
    let cut = dir.write("cut.log.gz", &first[..first.len() / 2]);
    let mut garbled = std::fs::read(&packed[3]).unwrap();
    let middle = garbled.len() / 2;
    for b in &mut garbled[middle..middle + 64] {
        *b ^= 0x5a;
    }
    let corrupt = dir.write("corrupt.log.gz", &garbled);
    let spoiled: Vec<&Path> = [cut.as_path(), paths[1], paths[2], corrupt.as_path()]
        .into_iter()
        .chain(paths[4..].iter().copied())
        .collect();
    let broken = runs(&spoiled, 2);
    let report = &broken[0].1;
    for (k, input) in report.inputs.iter().enumerate() {
        assert_eq!(input.error.is_some(), k == 0 || k == 3, "{k}: {input:?}");
    }
    assert!(report.inputs[0].lines > 0 && report.inputs[0].lines < 2000);
    assert_eq!(report.inputs[1].lines, 2000);
    for (what, report, stderr) in &broken[1..] {
        assert_same(report, &broken[0].1, what);
        assert_eq!(stderr, &broken[0].2, "{what}");
    }
}
