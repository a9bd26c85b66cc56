//! `--fail-on`: exit 1 when a listed class occurred and 0 when none did, the report
//! written either way; an unknown class name is a usage error (clap, exit 2).

use std::path::Path;

use crate::util::{analyze_code, run, Dir};

/// `fixtures/cases/<name>` relative to the crate root (the binary's directory).
fn case(name: &str) -> std::path::PathBuf {
    Path::new("fixtures/cases").join(name)
}

#[test]
fn exit_1_when_a_listed_class_occurred() {
    // sections.log has wrong_section lines and no undocumented ones.
    let sections = case("sections.log");
    let r = analyze_code(&["--fail-on", "wrong_section"], &[&sections], 1);
    assert_eq!(r.totals.classes.wrong_section, 4);
    analyze_code(&["--fail-on", "unnamed_error"], &[&sections], 1);
    analyze_code(&["--fail-on", "undocumented"], &[&sections], 0);
    analyze_code(&["--fail-on", "status_mismatch"], &[&sections], 0);
    analyze_code(&["--fail-on", "malformed"], &[&sections], 0);
}

#[test]
fn exit_0_when_no_listed_class_occurred() {
    // success_code.log is ok and documented lines only.
    let clean = case("success_code.log");
    for class in [
        "undocumented",
        "status_mismatch",
        "wrong_section",
        "malformed",
        "unnamed_error",
    ] {
        analyze_code(&["--fail-on", class], &[&clean], 0);
    }
    let all = "undocumented,status_mismatch,wrong_section,malformed,unnamed_error";
    analyze_code(&["--fail-on", all], &[&clean], 0);
}

#[test]
fn combined_lists() {
    // malformed.log is mostly malformed on purpose: allowed, so the exit status is
    // --fail-on's.
    let fail_on = [
        "--fail-on",
        "undocumented,malformed",
        "--max-malformed",
        "1",
    ];
    // Malformed lines, no undocumented names.
    let r = analyze_code(&fail_on, &[&case("malformed.log")], 1);
    assert_eq!(r.totals.classes.undocumented, 0);
    // Undocumented names, no malformed lines.
    let r = analyze_code(&fail_on, &[&case("case_differences.log")], 1);
    assert_eq!(r.totals.classes.malformed, 0);
    // Neither.
    analyze_code(&fail_on, &[&case("sections.log")], 0);
    // The flag given twice adds up like a list.
    let twice = [
        "--fail-on",
        "undocumented",
        "--fail-on",
        "malformed",
        "--max-malformed",
        "1",
    ];
    analyze_code(&twice, &[&case("malformed.log")], 1);
    analyze_code(&twice, &[&case("sections.log")], 0);
}

/// Without `--fail-on`, findings do not change the exit status.
#[test]
fn findings_alone_exit_0() {
    let r = analyze_code::<&str>(&[], &[Path::new("fixtures/sample.log")], 0);
    assert!(r.totals.classes.undocumented > 0 && r.totals.classes.malformed > 0);
}

#[test]
fn unknown_class_is_a_usage_error() {
    let dir = Dir::new();
    let log = dir.write("a.log", "\n");
    let log = log.to_str().unwrap();
    for bad in ["bogus", "undocumented,bogus", "ok", "documented", ""] {
        let out = run(&["analyze", "--fail-on", bad, log]).expect_code(2);
        assert!(out.stdout.is_empty(), "no report on a usage error");
        assert!(
            out.stderr.contains("'--fail-on <CLASSES>'"),
            "{bad:?}: {}",
            out.stderr
        );
        // The message lists what is accepted.
        assert!(
            out.stderr
                .contains("undocumented, status-mismatch, wrong-section"),
            "{}",
            out.stderr
        );
    }
}
