//! Byte-level edges of the input, written into temporary files byte for byte:
//! CRLF line endings, a missing final newline, bytes that are not UTF-8, binary
//! garbage, empty files and lines, and lines beyond `--max-line-bytes`. Each case
//! runs through every reading strategy (mmap, chunk sizes, threads, stdin, gzip).

use std::path::Path;

use errscope::report::Report;

use crate::util::{analyze_every_way, Dir};

/// A `gateway` preset line.
fn gw(path: &str, status: u16, name: &str) -> String {
    format!(
        r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET {path} HTTP/1.1" {status} 98 "-" "curl/8.5.0" 0.012 "{name}""#
    )
}

/// `(location, reason)` of every listed malformed line, locations relative to `path`.
fn malformed(r: &Report, path: &Path) -> Vec<(String, String)> {
    let prefix = format!("{}:", path.display());
    r.malformed
        .examples
        .iter()
        .map(|m| {
            let line = m.location.strip_prefix(&prefix).unwrap_or(&m.location);
            (line.to_string(), m.reason.clone())
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn crlf_line_endings() {
    let dir = Dir::new();
    let text = [
        gw("/v3/async/txt2img", 403, "INVALID_API_KEY"),
        gw("/v3/openai/models", 200, "-"),
        String::new(),
        gw("/v3/openai/models", 404, "MODEL_NOT_FOUND"),
    ]
    .join("\r\n")
        + "\r\n";
    let log = dir.write("crlf.log", text);
    let r = analyze_every_way(&[], &log, 0);
    let c = r.totals.classes;
    assert_eq!(r.totals.lines, 4);
    assert_eq!((c.documented, c.ok, c.malformed), (2, 1, 1));
    assert_eq!(malformed(&r, &log), pairs(&[("3", "empty line")]));
    assert_eq!(r.inputs[0].format.as_deref(), Some("nginx:gateway"));
}

#[test]
fn crlf_json_lines() {
    let dir = Dir::new();
    let log = dir.write(
        "crlf.jsonl",
        "{\"uri\":\"/v3/async/txt2img\",\"status\":403,\"error_code\":\"INVALID_API_KEY\"}\r\n\
         {\"uri\":\"/v3/async/txt2img\",\"status\":200}\r\n",
    );
    let r = analyze_every_way(&[], &log, 0);
    let c = r.totals.classes;
    assert_eq!((r.totals.lines, c.documented, c.ok), (2, 1, 1));
    assert_eq!(r.inputs[0].format.as_deref(), Some("json"));
}

#[test]
fn last_line_without_newline_counts() {
    let dir = Dir::new();
    let text =
        gw("/v3/async/txt2img", 200, "-") + "\n" + &gw("/v3/async/txt2img", 500, "TASK_FAILED");
    let log = dir.write("no-final-newline.log", text);
    let r = analyze_every_way(&[], &log, 0);
    assert_eq!(r.totals.lines, 2);
    assert_eq!(r.totals.classes.documented, 1);
    assert_eq!(r.totals.classes.ok, 1);
}

#[test]
fn non_utf8_user_agent_and_binary_garbage() {
    let dir = Dir::new();
    let mut bytes = Vec::new();
    // A TLS handshake on the plain-HTTP port: binary, not UTF-8, no log line.
    bytes.extend_from_slice(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x9a\xee\xc0\xff\n");
    bytes.extend_from_slice(
        br#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/async/txt2img HTTP/1.1" 429 98 "-" "bad "#,
    );
    bytes.extend_from_slice(b"\xff\xfe\xc3(");
    bytes.extend_from_slice(br#" agent" 0.012 "RATE_LIMIT_EXCEEDED""#);
    bytes.push(b'\n');
    bytes.extend_from_slice(b"\x00\x00\x00\x00\x00\x00\n");
    bytes.extend_from_slice(gw("/v3/async/txt2img", 200, "-").as_bytes());
    bytes.push(b'\n');
    let log = dir.write("binary.log", bytes);
    let r = analyze_every_way(&[], &log, 0);
    let c = r.totals.classes;
    assert_eq!(r.totals.lines, 4);
    assert_eq!((c.documented, c.ok, c.malformed), (1, 1, 2));
    assert_eq!(
        r.codes.iter().find(|c| c.count > 0).unwrap().name,
        "RATE_LIMIT_EXCEEDED"
    );
    assert_eq!(
        malformed(&r, &log),
        pairs(&[
            ("1", "line does not match the log format"),
            ("3", "line does not match the log format"),
        ])
    );
}

/// Bytes that are not UTF-8 in a JSON value errscope skips do not spoil the line.
#[test]
fn non_utf8_in_skipped_json_value() {
    let dir = Dir::new();
    let mut bytes = b"{\"uri\":\"/v3/async/txt2img\",\"status\":200}\n".to_vec();
    bytes.extend_from_slice(b"{\"uri\":\"/v3/async/txt2img\",\"user_agent\":\"bad \xff\xfe\",\"status\":400,\"error_code\":\"ILLEGAL_PROMPT\"}\n");
    let log = dir.write("binary.jsonl", bytes);
    let r = analyze_every_way(&["--format", "json"], &log, 0);
    let c = r.totals.classes;
    assert_eq!(
        (r.totals.lines, c.ok, c.documented, c.malformed),
        (2, 1, 1, 0)
    );
}

#[test]
fn empty_file_is_zero_lines() {
    let dir = Dir::new();
    let log = dir.write("empty.log", "");
    let r = analyze_every_way(&[], &log, 0);
    assert_eq!(r.totals.lines, 0);
    assert_eq!(r.totals.classes.sum(), 0);
    assert_eq!(r.inputs[0].bytes, 0);
    assert_eq!(r.inputs[0].error, None);
    assert!(r.time.is_none());
    assert!(r.latency.is_none());
}

#[test]
fn only_newlines_are_empty_malformed_lines() {
    let dir = Dir::new();
    let log = dir.write("newlines.log", "\n\n");
    let r = analyze_every_way(&["--max-malformed", "1"], &log, 0);
    assert_eq!(r.totals.lines, 2);
    assert_eq!(r.totals.classes.malformed, 2);
    assert_eq!(r.malformed.reasons.get("empty line"), Some(&2));
    assert_eq!(
        malformed(&r, &log),
        pairs(&[("1", "empty line"), ("2", "empty line")])
    );
}

const TOO_LONG: &str = "line longer than --max-line-bytes";

/// A huge line is one malformed line; the lines after it keep their numbers, on the
/// mapped path and on the stream (which keeps only `max + 1` bytes of it).
#[test]
fn huge_line_beyond_max_line_bytes() {
    let dir = Dir::new();
    let huge = gw("/v3/async/txt2img", 200, "-").replace("curl/8.5.0", &"A".repeat(10_000));
    let text = [
        gw("/v3/async/txt2img", 403, "INVALID_API_KEY"),
        huge.clone(),
        gw("/v3/async/txt2img", 200, "-"),
        "garbage".to_string(),
        huge,
    ]
    .join("\n");
    let log = dir.write("huge.log", text);
    let r = analyze_every_way(
        &["--max-line-bytes", "200", "--max-malformed", "1"],
        &log,
        0,
    );
    let c = r.totals.classes;
    assert_eq!(r.totals.lines, 5);
    assert_eq!((c.documented, c.ok, c.malformed), (1, 1, 3));
    assert_eq!(r.malformed.reasons.get(TOO_LONG), Some(&2));
    assert_eq!(
        malformed(&r, &log),
        pairs(&[
            ("2", TOO_LONG),
            ("4", "line does not match the log format"),
            ("5", TOO_LONG),
        ])
    );
    assert_eq!(r.inputs[0].bytes, std::fs::metadata(&log).unwrap().len());
}

/// `--max-line-bytes N` accepts a line of exactly N bytes (its `\r\n` not counted)
/// and rejects N + 1.
#[test]
fn max_line_bytes_boundary() {
    let dir = Dir::new();
    let line = gw("/v3/async/txt2img", 200, "-");
    let n = line.len();
    let text = format!("{line}\r\n{line}x\r\n{line}\n{line}");
    let log = dir.write("boundary.log", text);
    let r = analyze_every_way(&["--max-line-bytes", &n.to_string()], &log, 0);
    assert_eq!((r.totals.lines, r.totals.classes.ok), (4, 3));
    assert_eq!(malformed(&r, &log), pairs(&[("2", TOO_LONG)]));
    let short = (n - 1).to_string();
    let r = analyze_every_way(
        &["--max-line-bytes", &short, "--max-malformed", "1"],
        &log,
        0,
    );
    assert_eq!(r.totals.classes.malformed, 4);
}

/// With `--examples 2` only the first two malformed lines are listed, whatever the
/// chunking: examples are the earliest lines, not the first a thread found.
#[test]
fn examples_are_the_earliest_lines() {
    let dir = Dir::new();
    let mut text = String::new();
    for i in 0..200 {
        if i % 10 == 9 {
            text.push_str("garbage\n");
        } else {
            text.push_str(&gw("/v3/async/txt2img", 200, "-"));
            text.push('\n');
        }
    }
    let log = dir.write("examples.log", text);
    let r = analyze_every_way(&["--examples", "2"], &log, 0);
    assert_eq!(r.totals.classes.malformed, 20);
    let reason = "line does not match the log format";
    assert_eq!(
        malformed(&r, &log),
        pairs(&[("10", reason), ("20", reason)])
    );
}

/// 3000 lines cycling through 30 undocumented names, 100 lines each.
fn many_names(dir: &Dir) -> std::path::PathBuf {
    let text: String = (0..3000)
        .map(|i| gw("/v3/async/x", 400, &format!("NAME_{:02}", i % 30)) + "\n")
        .collect();
    dir.write("names.log", text)
}

/// `--max-names 5`: five of the 30 names keep their own row with all their lines
/// (a fixed sample chosen by hash, not the first seen), the other 25 names' lines are
/// counted together as "other", located at the first line of a name not kept.
#[test]
fn max_names_caps_distinct_names() {
    let dir = Dir::new();
    let log = many_names(&dir);
    let r = crate::util::analyze(&["--max-names", "5"], &[&log]);
    let kept: Vec<&str> = r.undocumented.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(kept.len(), 5);
    for u in &r.undocumented {
        assert!(u.name.starts_with("NAME_"), "{}", u.name);
        assert_eq!(u.count, 100, "{}", u.name);
    }
    let other = r.undocumented_other.as_ref().unwrap();
    assert_eq!((other.max_names, other.count), (5, 2500));
    assert_eq!(other.statuses.get("400"), Some(&2500));
    // Names repeat every 30 lines: the first line whose name is not kept.
    let first_other = (0..30)
        .find(|i| !kept.contains(&format!("NAME_{i:02}").as_str()))
        .unwrap();
    assert_eq!(
        other.example,
        format!("{}:{}", log.display(), first_other + 1)
    );
}

/// The cap does not depend on how the input was cut into chunks: the same names
/// are kept, with the same exact counts, every way.
#[test]
fn max_names_cap_is_the_same_every_way() {
    let dir = Dir::new();
    let log = many_names(&dir);
    let r = analyze_every_way(&["--max-names", "5"], &log, 0);
    assert_eq!(r.undocumented_other.unwrap().count, 2500);
    assert!(r.undocumented.iter().all(|u| u.count == 100));
}

/// A time that cannot be read counts in `bad_time`; the line is still a request,
/// and a latency that cannot be read is just missing.
#[test]
fn unreadable_time_and_latency() {
    let dir = Dir::new();
    let ok = gw("/v3/async/x", 200, "-");
    let text = [
        ok.clone(),
        ok.replace("27/Nov/2026", "99/Foo/2026"),
        ok.replace("10:00:00", "10:00:05").replace("0.012", "abc"),
    ]
    .join("\n");
    let log = dir.write("times.log", text);
    let r = analyze_every_way(&[], &log, 0);
    assert_eq!(
        (r.totals.requests, r.totals.classes.ok, r.totals.bad_time),
        (3, 3, 1)
    );
    let time = r.time.unwrap();
    assert_eq!(
        (time.first.as_str(), time.seconds),
        ("2026-11-27T02:00:00Z", 5.0)
    );
    assert_eq!(r.latency.unwrap().samples, 2);
}
