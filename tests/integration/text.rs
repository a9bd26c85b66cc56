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
    // Named: auto-detection does not take a field holding this for an error name.
    let out = text(&["--preset", "gateway", log.to_str().unwrap()]);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("EVIL\\x1b]0;owned\\x07"), "{out}");
}

/// A day of traffic read from a directory of long paths, with a missing input, a
/// long undocumented name and a long endpoint: still 100 columns, every location
/// shown as `[N]:line` and every input listed once with its path.
#[test]
fn long_paths_and_names_fit_100_columns() {
    let dir = Dir::new();
    let deep = "gateway-logs/region-ap-southeast-1/cluster-production/host-a";
    let (log, _) = dir.generate("gateway", 20_000, 5);
    let text = std::fs::read(&log).unwrap();
    let (a, b) = text.split_at(text.len() / 2);
    let cut = b.iter().position(|&c| c == b'\n').unwrap() + 1;
    let long = "z".repeat(150);
    let odd = format!(
        "203.0.113.7 - - [26/Nov/2026:12:00:00 +0800] \"GET /v3/async/{} HTTP/1.1\" 429 0 \"-\" \"c\" 0.1 \"NAME_{long}\"\n",
        "segment/".repeat(20)
    );
    dir.write(&format!("{deep}/access.log.1"), [a, &b[..cut]].concat());
    dir.write(
        &format!("{deep}/access.log.2"),
        [&b[cut..], odd.as_bytes()].concat(),
    );
    let root = dir.path().join("gateway-logs");
    let missing = dir.path().join(format!("{deep}/access.log.3-is-not-there"));
    let out = crate::util::run(&crate::util::os(&[
        &"analyze", &"-r", &"--top", &"50", &root, &missing,
    ]))
    .expect_code(2);
    for line in out.stdout.lines() {
        assert!(line.width() <= 100, "{} columns: {line}", line.width());
    }
    // Locations by number; the paths once, in the inputs' list.
    assert!(out.stdout.contains("  [2]:"), "{}", out.stdout);
    let first = root.join("region-ap-southeast-1/cluster-production/host-a/access.log.1");
    assert!(
        out.stdout.contains(&format!("  [1] {}\n", first.display())),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches(&first.display().to_string()).count(), 1);
    assert!(out.stdout.contains("[3] "), "{}", out.stdout);
    // Nothing is cut off: the long name is all there, wrapped.
    let section = out.stdout.split("Undocumented names").nth(1).unwrap();
    let section = section.split("\n\n").next().unwrap();
    assert_eq!(section.matches('z').count(), 150, "{section}");
}
