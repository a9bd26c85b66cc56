//! Hostile input, each with its defined outcome: 100 MB lines, files of NUL bytes,
//! invalid UTF-8 in every field, deeply nested and duplicate-key JSON, statuses out
//! of range, control characters and ANSI escapes in fields and file names, secrets
//! in names and paths, broken catalogs, symlink loops, files truncated while read,
//! and Ctrl-C.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{analyze, analyze_every_way, analyze_stdin, errscope, run, Dir};

/// A `gateway` preset line.
fn gw(path: &str, status: &str, name: &str) -> String {
    format!(
        r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET {path} HTTP/1.1" {status} 98 "-" "curl/8.5.0" 0.012 "{name}""#
    )
}

fn lines(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

const TOO_LONG: &str = "line longer than --max-line-bytes";
const NO_MATCH: &str = "line does not match the log format";
const OUT_OF_RANGE: &str = "status out of range 100-599";

/// A 100 MB line between two good ones is one malformed line (longer than
/// `--max-line-bytes`), mapped or streamed; its bytes are all counted.
#[test]
fn hundred_megabyte_line() {
    let dir = Dir::new();
    let path = dir.path().join("huge.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(file, "{}", gw("/v3/async/txt2img", "200", "-")).unwrap();
    let block = vec![b'A'; 1 << 20];
    for _ in 0..100 {
        file.write_all(&block).unwrap();
    }
    writeln!(file).unwrap();
    writeln!(
        file,
        "{}",
        gw("/v3/async/txt2img", "403", "INVALID_API_KEY")
    )
    .unwrap();
    drop(file);
    let size = std::fs::metadata(&path).unwrap().len();
    let preset = ["--preset", "gateway"];
    let mapped = analyze(&preset, &[&path]);
    let bytes = std::fs::read(&path).unwrap();
    let streamed = analyze_stdin(&preset, &bytes, 0);
    for r in [&mapped, &streamed] {
        let c = r.totals.classes;
        assert_eq!(
            (r.totals.lines, c.ok, c.documented, c.malformed),
            (3, 1, 1, 1)
        );
        assert_eq!(r.malformed.reasons.get(TOO_LONG), Some(&1));
        assert_eq!(r.totals.bytes, size);
    }
}

/// A file of NUL bytes: `--format auto` cannot tell its format (an input error,
/// exit 2, nothing counted); read as a named format, each line is malformed.
#[test]
fn file_of_nul_bytes() {
    let dir = Dir::new();
    let one_line = dir.write("nul.log", vec![0u8; 64 * 1024]);
    // No format can be told, so nothing is read: no report at all.
    let out = run(&["analyze", "-o", "json", one_line.to_str().unwrap()]).expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("nul.log: cannot tell the log format"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("no input could be read"),
        "{}",
        out.stderr
    );
    // A format named, and garbage allowed: every line is malformed.
    let dirty = ["--preset", "gateway", "--max-malformed", "1"];
    let r = analyze_every_way(&dirty, &one_line, 0);
    assert_eq!((r.totals.lines, r.totals.classes.malformed), (1, 1));
    assert_eq!(r.malformed.reasons.get(NO_MATCH), Some(&1));

    let many = dir.write("nuls.log", b"\0\0\0\n".repeat(1000));
    for format in [
        ["--preset", "gateway", "--max-malformed", "1"],
        ["--format", "json", "--max-malformed", "1"],
        ["--preset", "logfmt", "--max-malformed", "1"],
    ] {
        let r = analyze(&format, &[&many]);
        assert_eq!((r.totals.lines, r.totals.classes.malformed), (1000, 1000));
    }
}

/// Bytes that are not UTF-8 in every field: the line is classified by the bytes
/// it has; names and endpoints are shown with U+FFFD, and the report stays UTF-8.
#[test]
fn invalid_utf8_everywhere() {
    let dir = Dir::new();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"\xff\xfe - \xc3( [27/Nov/2026:10:00:00 +0800] \"GET /v3/async/\xe2\x28\xa1 HTTP/1.1\" 400 98 \"\xf0\x28\x8c\xbc\" \"\xff\" 0.012 \"BAD_\xff_NAME\"\n");
    bytes.extend_from_slice(gw("/v3/async/txt2img", "200", "-").as_bytes());
    bytes.push(b'\n');
    let log = dir.write("utf8.log", bytes);
    let r = analyze_every_way(&["--preset", "gateway"], &log, 0);
    assert_eq!(
        (
            r.totals.lines,
            r.totals.classes.undocumented,
            r.totals.classes.ok
        ),
        (2, 1, 1)
    );
    assert_eq!(r.undocumented[0].name, "BAD_\u{fffd}_NAME");
    assert!(
        r.endpoints.iter().any(|e| e.endpoint.contains('\u{fffd}')),
        "{:?}",
        r.endpoints
    );
}

/// Deeply nested JSON is read without recursion: nesting in a value errscope
/// skips, at any depth, does not spoil the line; nesting where the status should
/// be is a status that is not an integer; unclosed nesting is invalid JSON. No
/// depth overflows the stack.
#[test]
fn deeply_nested_json() {
    let dir = Dir::new();
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let text = lines(&[
        format!(
            r#"{{"x":{},"status":200,"uri":"/v3/async/a"}}"#,
            deep(100_000)
        ),
        format!(r#"{{"status":200,"response":{}}}"#, objects(50_000)),
        format!(r#"{{"status":{},"uri":"/v3/async/a"}}"#, deep(100_000)),
        format!(r#"{{"status":200,"x":{}"#, "[".repeat(100_000)),
    ]);
    let log = dir.write("deep.jsonl", text);
    let r = analyze_every_way(&["--format", "json"], &log, 0);
    assert_eq!(
        (
            r.totals.lines,
            r.totals.classes.ok,
            r.totals.classes.malformed
        ),
        (4, 2, 2)
    );
    assert_eq!(
        r.malformed.reasons.get("status is not an integer"),
        Some(&1)
    );
    assert_eq!(r.malformed.reasons.get("invalid JSON"), Some(&1));
    // Through a nested `--field` path too (Kong-style).
    let r = analyze(
        &[
            "--format",
            "json",
            "--field",
            "status=response.a.a.a",
            "--max-malformed",
            "1",
        ],
        &[&log],
    );
    assert_eq!(r.totals.lines, 4);
}

/// A key given twice: the first occurrence wins, for every field.
#[test]
fn json_duplicate_keys() {
    let dir = Dir::new();
    let log = dir.write(
        "dup.jsonl",
        lines(&[
            r#"{"uri":"/v3/async/txt2img","status":403,"status":200,"error_code":"INVALID_API_KEY","error_code":"OTHER"}"#.into(),
            r#"{"uri":"/v3/async/txt2img","uri":"/v3/openai/x","status":"200","status":"oops"}"#.into(),
        ]),
    );
    let r = analyze_every_way(&["--format", "json"], &log, 0);
    assert_eq!((r.totals.classes.documented, r.totals.classes.ok), (1, 1));
    assert_eq!(r.endpoints[0].endpoint, "/v3/async/txt2img");
    assert_eq!(r.endpoints[0].requests, 2);
}

/// Statuses that are no HTTP status: 0, 999, 1e3, -1, 20 digits, 4 digits. Each
/// is a malformed line with its reason; 100 and 599 are the bounds kept. A JSON
/// string status is text: `"404.0"` is not a number, as `404.0` is in a text log.
#[test]
fn statuses_out_of_range() {
    let dir = Dir::new();
    let text = lines(&[
        gw("/v3/a", "0", "-"),
        gw("/v3/a", "999", "-"),
        gw("/v3/a", "000", "-"),
        gw("/v3/a", "4030", "-"),
        gw("/v3/a", "99999999999999999999", "-"),
        gw("/v3/a", "-1", "-"),
        gw("/v3/a", "100", "-"),
        gw("/v3/a", "599", "-"),
    ]);
    let log = dir.write("status.log", text);
    let dirty = ["--preset", "gateway", "--max-malformed", "1"];
    let r = analyze_every_way(&dirty, &log, 0);
    assert_eq!((r.totals.lines, r.totals.requests), (8, 2));
    // A lone 0 is no response (a client that went away), not out of range.
    assert_eq!(r.totals.no_response, 1);
    assert_eq!(r.malformed.reasons.get(OUT_OF_RANGE), Some(&4));
    assert_eq!(r.malformed.reasons.get("status is not a number"), Some(&1));
    assert_eq!(r.statuses.keys().collect::<Vec<_>>(), ["100", "599"]);

    let json = lines(&[
        r#"{"status":0}"#.into(),
        r#"{"status":999}"#.into(),
        r#"{"status":99999999999999999999999999}"#.into(),
        r#"{"status":-404}"#.into(),
        r#"{"status":4.04e2}"#.into(),
        r#"{"status":"404.0"}"#.into(),
        r#"{"status":1e400}"#.into(),
        r#"{"status":404}"#.into(),
    ]);
    let log = dir.write("status.jsonl", json);
    let r = analyze_every_way(&["--format", "json", "--max-malformed", "1"], &log, 0);
    assert_eq!((r.totals.lines, r.totals.requests), (8, 1));
    assert_eq!(r.totals.no_response, 1);
    assert_eq!(r.malformed.reasons.get(OUT_OF_RANGE), Some(&3));
    assert_eq!(
        r.malformed.reasons.get("status is not an integer"),
        Some(&2)
    );
    // A string is text, read as in every text format.
    assert_eq!(r.malformed.reasons.get("status is not a number"), Some(&1));
}

/// Control characters and ANSI escape sequences inside fields, and in a file
/// name: the text report shows them escaped (`\x1b`), never raw; the JSON report
/// escapes them as JSON does (`\u001b`); stderr escapes them too.
#[test]
fn control_characters_and_ansi_escapes_are_escaped() {
    let dir = Dir::new();
    let evil_name = "\u{1b}[31mEVIL\u{1b}[0m\u{7}\u{8}\r\u{9b}2J\u{202e}desrever";
    let evil_path = "/v3/\u{1b}]0;pwned\u{7}/x\u{1b}[2J";
    let text = lines(&[
        gw(evil_path, "400", evil_name),
        gw("/v3/async/txt2img", "200", "-"),
        "garbage \u{1b}[5m".into(),
        gw("/v3/a", "200", "-").replace("27/Nov/2026", "\u{1b}[1m/Nov/2026"),
    ]);
    let log = dir.write("evil\u{1b}[2J\u{7}.log", text);
    let json = run(&[
        "analyze",
        "--preset",
        "gateway",
        "-o",
        "json",
        log.to_str().unwrap(),
    ])
    .expect_code(0);
    let report = json.report();
    assert_eq!(report.undocumented[0].name, evil_name);
    assert!(json.stdout.contains(r"\u001b[31mEVIL"));
    let text = run(&["analyze", "--preset", "gateway", log.to_str().unwrap()]).expect_code(0);
    let auto = run(&["analyze", log.to_str().unwrap()]);
    for (what, out) in [
        ("text stdout", &text.stdout),
        ("text stderr", &text.stderr),
        ("json stderr", &json.stderr),
        ("auto stderr", &auto.stderr),
        ("auto stdout", &auto.stdout),
    ] {
        let raw: Vec<char> = out
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(
            raw.is_empty(),
            "{what} holds raw control characters {raw:?}:\n{out}"
        );
    }
    assert!(
        text.stdout
            .contains(r"\x1b[31mEVIL\x1b[0m\x07\x08\x0d\x9b2J\u{202e}desrever"),
        "{}",
        text.stdout
    );
    // A bidirectional override is no control character, but reorders what is shown.
    assert!(!text.stdout.contains('\u{202e}'), "{}", text.stdout);
    assert!(
        text.stdout.contains(r"evil\x1b[2J\x07.log"),
        "{}",
        text.stdout
    );
}

/// Secrets logged where errscope reads names and paths never reach a report:
/// masked to a short prefix (names) or grouped as `{id}` (path segments).
#[test]
fn secrets_are_masked_in_reports() {
    let dir = Dir::new();
    let secrets = [
        "sk-proj-4f9a8b7c6d5e4f3a2b1c",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "hunter2hunter2",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5",
    ];
    let text = lines(&[
        gw(
            "/v3/async/txt2img",
            "401",
            &format!("Bearer {}", secrets[2]),
        ),
        gw("/v3/async/txt2img", "401", secrets[0]),
        gw(&format!("/v1/keys/{}/usage", secrets[1]), "403", "-"),
        gw(&format!("/v1/keys/{}", secrets[3]), "403", "-"),
        gw(&format!("/v3/x;api_key={}", secrets[5]), "200", "-"),
        gw(&format!("/v3/x%3Fkey={}", secrets[5]), "200", "-"),
        gw(
            &format!("/v3/x?key={}&token={}", secrets[5], secrets[4]),
            "200",
            "-",
        ),
        gw("/v3/async/txt2img", "401", &format!("token={}", secrets[4])),
        gw(&format!("/v1/{}", secrets[6]), "401", "-"),
        gw("/v3/async/txt2img", "403", "INVALID_API_KEY"),
    ]);
    let log = dir.write("secrets.log", text);
    let path = log.to_str().unwrap();
    let json = run(&["analyze", "--preset", "gateway", "-o", "json", path]).expect_code(0);
    let text = run(&["analyze", "--preset", "gateway", path]).expect_code(0);
    for out in [&json.stdout, &json.stderr, &text.stdout, &text.stderr] {
        for secret in secrets {
            // Neither the secret nor any 12-character piece of it.
            let piece = &secret[secret.len() - 12..];
            assert!(!out.contains(piece), "{secret} leaked:\n{out}");
        }
    }
    let r = json.report();
    let mut names: Vec<&str> = r.undocumented.iter().map(|u| u.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Bearer ey…", "sk-pr…", "token=gh…"]);
    assert_eq!(r.totals.classes.documented, 1);
    assert!(r
        .endpoints
        .iter()
        .any(|e| e.endpoint == "/v1/keys/{id}/usage"));
    assert!(r.endpoints.iter().any(|e| e.endpoint == "/v3/{id}"));
}

/// Catalog pages that are empty, not markdown, not UTF-8, too big, or so large a
/// table that the lookup would not fit: each an error naming the file (exit 2); a
/// large but sane page loads.
#[test]
fn hostile_catalog_pages() {
    let dir = Dir::new();
    let log = crate::util::fixture("sample.log");
    let log = log.to_str().unwrap();
    let huge = dir.path().join("huge.md");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let mut wide = String::new();
    for s in 0..200 {
        wide.push_str(&format!("## S{s}\n| name | status |\n|---|---|\n"));
        for n in 0..1000 {
            wide.push_str(&format!("| N_{s}_{n} | 400 |\n"));
        }
    }
    for (name, content, message) in [
        ("empty.md", b"".to_vec(), "no sections"),
        ("blank.md", b"\n\n   \n".to_vec(), "no sections"),
        (
            "page.html",
            b"<html><body><table><tr><td>X</td></tr></table></body></html>".to_vec(),
            "no sections",
        ),
        (
            "binary.md",
            vec![0x89, b'P', b'N', b'G', 0, 0xff, 0xfe],
            "not UTF-8",
        ),
        ("wide.md", wide.into_bytes(), "too large a catalog"),
    ] {
        let page = dir.write(name, content);
        let out = run(&["analyze", "--catalog", page.to_str().unwrap(), log]).expect_code(2);
        assert!(
            out.stderr.contains(name) && out.stderr.contains(message),
            "{name}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
    let out = run(&["analyze", "--catalog", huge.to_str().unwrap(), log]).expect_code(2);
    assert!(out.stderr.contains("larger than 64 MiB"), "{}", out.stderr);

    let mut big = String::from("## Big {#media}\n| name | status | description |\n|---|---|---|\n");
    for i in 0..100_000 {
        big.push_str(&format!("| NAME_{i} | {} | 描述 {i} |\n", 400 + i % 100));
    }
    let page = dir.write("big.md", big);
    let started = Instant::now();
    let r = analyze(&["--catalog", page.to_str().unwrap()], &[Path::new(log)]);
    assert_eq!(r.codes.len(), 100_000);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// `-r` over symlink loops (a link to an ancestor, a link to itself, two links to
/// each other) ends, reading each file once.
#[test]
fn symlink_loops_in_recursive_listing_end() {
    let dir = Dir::new();
    dir.write("logs/a.log", lines(&[gw("/v3/a", "200", "-")]));
    dir.write("logs/sub/b.log", lines(&[gw("/v3/a", "200", "-")]));
    let logs = dir.path().join("logs");
    std::os::unix::fs::symlink(&logs, logs.join("sub/up")).unwrap();
    std::os::unix::fs::symlink(".", logs.join("here")).unwrap();
    std::os::unix::fs::symlink(logs.join("self"), logs.join("self")).unwrap();
    std::os::unix::fs::symlink(logs.join("ping"), logs.join("pong")).unwrap();
    std::os::unix::fs::symlink(logs.join("pong"), logs.join("ping")).unwrap();
    let mut child = errscope()
        .args(["analyze", "-o", "json", "-r"])
        .arg(&logs)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("errscope -r did not end on symlink loops");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: errscope::report::Report = serde_json::from_slice(&out.stdout).unwrap();
    let mut paths: Vec<String> = r.inputs.iter().map(|i| i.path.clone()).collect();
    paths.sort();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert_eq!(r.totals.lines, 2);
}

/// `errscope analyze -o json -j 2 --chunk-size 64KiB --preset gateway FILE -`,
/// started and held before it reads a byte of `file`: errscope opens (maps) every
/// input before it reads any, and its second input, standard input (a pipe), keeps
/// it waiting for its first bytes. Returns once `file` is mapped in the process;
/// closing the returned stdin lets it go on.
fn held_after_mapping(file: &Path) -> (std::process::Child, std::process::ChildStdin) {
    let mut child = errscope()
        .args([
            "analyze",
            "-o",
            "json",
            "-j",
            "2",
            "--chunk-size",
            "64KiB",
            "--preset",
            "gateway",
        ])
        .arg(file)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mapped = format!(" {}", std::fs::canonicalize(file).unwrap().display());
    let maps = format!("/proc/{}/maps", child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&maps).unwrap_or_default();
        if text.lines().any(|l| l.ends_with(&mapped)) {
            return (child, stdin);
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("errscope ended ({status}) before it was seen to map {mapped}");
        }
        assert!(
            Instant::now() < deadline,
            "errscope did not map {mapped} while waiting for standard input"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Truncate `file` to `len` bytes, as `copytruncate` does.
fn truncate(file: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(file)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Wait for `child`: its exit code, its report (checked against the invariants)
/// and its stderr; never killed by a signal (SIGBUS).
fn finished(child: std::process::Child) -> (i32, errscope::report::Report, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed: {:?}\n{stderr}", out.status));
    let r: errscope::report::Report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}), exit {code}\n{stderr}"));
    crate::util::check_invariants(&r);
    (code, r, stderr)
}

/// A big log truncated (as `copytruncate` does) after errscope mapped it and before
/// it read it, to nothing and to half its size: errscope is not killed by SIGBUS;
/// it exits 2, says the file changed during the run, and counts exactly the lines
/// of the bytes it read before the cut. Deterministic: the truncation happens while
/// errscope is held on its other input (see [`held_after_mapping`]).
#[test]
fn truncated_after_mapping_is_reported() {
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 400_000, 9);
    let bytes = std::fs::read(&log).unwrap();
    let size = bytes.len() as u64;
    // Half the file, at a line's end.
    let half = bytes[..bytes.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap() as u64
        + 1;
    for new_len in [0, half] {
        let copy = dir.path().join(format!("copy-{new_len}.log"));
        std::fs::copy(&log, &copy).unwrap();
        let (child, stdin) = held_after_mapping(&copy);
        truncate(&copy, new_len);
        drop(stdin);
        let (code, r, stderr) = finished(child);
        assert_eq!(code, 2, "cut to {new_len}: {stderr}");
        let input = &r.inputs[0];
        let message = format!(
            "{}: changed during the run (truncated from {size} bytes while being read, from byte ",
            copy.display()
        );
        let counted = format!(
            "counted: the {} lines in the {} bytes read before the change",
            input.lines, input.bytes
        );
        let error = input.error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with(&message) && error.ends_with(&counted),
            "cut to {new_len}: {error}"
        );
        assert!(stderr.contains(error), "cut to {new_len}: {stderr}");
        assert!(input.bytes <= new_len, "cut to {new_len}: {error}");
        // Standard input gave nothing: every line counted is the file's.
        assert_eq!(r.inputs[1].error, None);
        assert_eq!((r.inputs[1].lines, r.totals.lines), (0, input.lines));
        // What was counted is exactly the report of the bytes read before the cut.
        let prefix = dir.write(
            &format!("prefix-{new_len}.log"),
            &bytes[..input.bytes as usize],
        );
        let want = crate::util::analyze_json(&["-j", "1", "--preset", "gateway"], &[&prefix], 0);
        assert_eq!(r.totals.classes, want.totals.classes, "cut to {new_len}");
        eprintln!("cut to {new_len}: {error}");
    }
}

/// The same truncation at moments spread over the read: after errscope is let go,
/// 0 to 100 ms later. Whatever the moment, it is never killed by SIGBUS. It either
/// finished first (exit 0, every byte counted) or reports the file as changed
/// during the run with what it counted (exit 2). The earliest moments catch the
/// truncation whatever the machine's load (errscope cannot read a 60 MB log between
/// two system calls of the test), and at least one must: this test cannot pass
/// without a truncation caught while the log was being read.
#[test]
fn truncated_while_read_never_kills() {
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 400_000, 9);
    let size = std::fs::metadata(&log).unwrap().len();
    let mut caught = Vec::new();
    for delay_ms in [0, 0, 1, 2, 5, 10, 20, 50, 100] {
        let copy = dir.path().join(format!("copy-{delay_ms}.log"));
        std::fs::copy(&log, &copy).unwrap();
        let (child, stdin) = held_after_mapping(&copy);
        drop(stdin);
        std::thread::sleep(Duration::from_millis(delay_ms));
        truncate(&copy, 0);
        let (code, r, stderr) = finished(child);
        match code {
            0 => assert_eq!(r.totals.bytes, size, "{delay_ms} ms"),
            2 => {
                assert!(stderr.contains("changed during the run"), "{stderr}");
                assert!(r.inputs[0].error.is_some());
                assert!(r.totals.bytes < size);
                caught.push((delay_ms, r.totals.bytes));
            }
            other => panic!("exit {other}: {stderr}"),
        }
    }
    eprintln!("caught (delay in ms, bytes counted): {caught:?}");
    assert!(!caught.is_empty(), "no run caught the truncation");
}

/// Wait until process `pid` handles SIGINT (its handler thread is up).
fn wait_for_handler(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (libc::SIGINT - 1)) != 0 {
            return;
        }
        assert!(Instant::now() < deadline, "SIGINT handler never installed");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ctrl-C (SIGINT) while reading: exit 130, nothing on stdout; SIGTERM: 143.
#[test]
fn interrupted_run_exits_130_with_no_output() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_errscope"))
            .args(["analyze", "-o", "json", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Some lines, and the pipe stays open: errscope waits for more.
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(lines(&[gw("/v3/a", "200", "-")]).repeat(100).as_bytes())
            .unwrap();
        wait_for_handler(child.id());
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        assert_eq!(out.status.code(), Some(code), "{:?}", out);
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Ctrl-C with `--output-file`: the temporary file being written is removed and
/// the destination keeps its previous content.
#[test]
fn interrupted_output_file_is_left_untouched() {
    let dir = Dir::new();
    let dest = dir.write("report.json", "previous\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_errscope"))
        .args(["analyze", "-o", "json", "--output-file"])
        .arg(&dest)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(lines(&[gw("/v3/a", "200", "-")]).repeat(100).as_bytes())
        .unwrap();
    wait_for_handler(child.id());
    // The temporary file exists while errscope waits for more input.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(dir.path()).unwrap().count() < 2 {
        assert!(Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "previous\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.json"]);
}
