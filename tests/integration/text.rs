//! The text report in a terminal: it fits 100 columns, colors appear only when asked
//! for (or on a terminal without NO_COLOR), and log content cannot drive the terminal.

use unicode_width::UnicodeWidthStr;

use crate::util::{run, Dir};

fn text(args: &[&str]) -> String {
    let mut all = vec!["analyze"];
    all.extend_from_slice(args);
    run(&all).expect_code(0).stdout
}

#[test]
fn sample_report_fits_100_columns() {
    let out = text(&["--bucket", "1h", "fixtures/sample.log"]);
    for line in out.lines() {
        assert!(line.width() <= 100, "{} columns: {line}", line.width());
    }
    // The most important finding comes first.
    let findings = out.find("Findings").unwrap();
    assert!(findings < out.find("Classes").unwrap());
    assert!(out.contains("lines with names the catalog does not list"));
}

#[test]
fn colors_only_when_wanted() {
    let piped = text(&["fixtures/sample.log"]);
    assert!(!piped.contains('\x1b'), "no colors into a pipe");
    let forced = text(&["--color", "always", "fixtures/sample.log"]);
    assert!(forced.contains("\x1b[1mFindings\x1b[0m"), "{forced}");
    let never = text(&["--color", "never", "fixtures/sample.log"]);
    assert_eq!(never, piped);
}

#[test]
fn log_content_cannot_drive_the_terminal() {
    let dir = Dir::new();
    let line = "203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] \"GET /v3/async/x\u{1b}[2J HTTP/1.1\" 429 98 \"-\" \"curl/8.5.0\" 0.012 \"EVIL\u{1b}]0;owned\u{7}\"\n";
    let log = dir.write("evil.log", line);
    let out = text(&[log.to_str().unwrap()]);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("EVIL\\x1b]0;owned\\x07"), "{out}");
}
