//! Runs nobody watches (cron, CI, nightly jobs): a run that read nothing never
//! replaces a good report, an empty or incomplete run says so in every format, a
//! wrong format or a dropped name field is an error rather than a quiet report, and
//! an exit status that fails a job says why on stderr.

use std::path::Path;

use crate::util::{analyze_code, fixture, os, run, run_stdin, Dir};

const SAMPLE: &str = "fixtures/sample.log";

/// Every output format of `analyze`.
const FORMATS: [&str; 5] = ["text", "json", "markdown", "csv", "html"];

#[test]
fn nothing_read_keeps_the_previous_report() {
    let dir = Dir::new();
    let report = dir.write("r.json", "yesterday's report\n");
    for format in FORMATS {
        let out = run(&os(&[
            &"analyze",
            &"-o",
            &format,
            &"--output-file",
            &report,
            &"nosuch.log",
        ]))
        .expect_code(2);
        assert!(out.stdout.is_empty(), "{format}: {}", out.stdout);
        assert!(
            out.stderr.contains("nosuch.log: No such file")
                && out
                    .stderr
                    .contains("no input could be read, so no report was written")
                && out.stderr.contains("r.json keeps its previous content"),
            "{format}: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read_to_string(&report).unwrap(),
            "yesterday's report\n"
        );
    }
    // To standard output: no report either, and no "all clear".
    let out = run(&["analyze", "nosuch.log"]).expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(!out.stderr.contains("every named error matches"));
    // No temporary file is left beside the report.
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn some_inputs_failed_report_is_marked_incomplete_in_every_format() {
    let dir = Dir::new();
    let out_file = dir.path().join("r.out");
    let sample = Path::new(SAMPLE);
    let missing = dir.path().join("gone.log");
    for format in FORMATS {
        let out = run(&os(&[
            &"analyze",
            &"-o",
            &format,
            &"--output-file",
            &out_file,
            &sample,
            &missing,
        ]))
        .expect_code(2);
        assert!(
            out.stderr.contains("gone.log: No such file"),
            "{}",
            out.stderr
        );
        let written = std::fs::read_to_string(&out_file).unwrap();
        let says =
            |needle: &str| assert!(written.contains(needle), "{format}: {needle}\n{written}");
        match format {
            "json" => {
                let r: errscope::report::Report = serde_json::from_str(&written).unwrap();
                assert!(!r.complete);
                assert_eq!(r.totals.lines, 250);
                let gone = r
                    .inputs
                    .iter()
                    .find(|i| i.path.ends_with("gone.log"))
                    .unwrap();
                assert!(gone.error.as_deref().unwrap().contains("No such file"));
            }
            "csv" => {
                says(",input_error,,0,,,,,");
                says("gone.log: No such file");
            }
            _ => {
                says("incomplete: 1 of 2 inputs not read in full");
                says("gone.log: No such file");
            }
        }
    }
    // A whole run says nothing of the kind.
    let out = run(&["analyze", SAMPLE]).expect_code(0);
    assert!(!out.stdout.contains("incomplete"));
    let out = run(&["analyze", "-o", "json", SAMPLE]).expect_code(0);
    assert!(out.report().complete);
}

#[test]
fn an_empty_run_says_so_in_every_format() {
    let dir = Dir::new();
    let empty = dir.write("empty.log", "");
    for format in FORMATS {
        let out = run(&os(&[&"analyze", &"-q", &"-o", &format, &empty])).expect_code(0);
        match format {
            "json" => assert_eq!(out.report().totals.lines, 0),
            "csv" => assert!(
                out.stdout
                    .contains(",empty,,0,,,,,no lines were read: nothing was checked"),
                "{}",
                out.stdout
            ),
            _ => {
                assert!(
                    out.stdout.contains("no lines were read"),
                    "{format}: {}",
                    out.stdout
                );
                assert!(
                    !out.stdout.contains("every named error matches"),
                    "{format}"
                );
            }
        }
    }
    // Standard input with nothing in it, too; and cron can make it fail.
    let out = run_stdin(&["analyze", "-"], b"").expect_code(0);
    assert!(
        out.stdout.contains("time: no lines were read"),
        "{}",
        out.stdout
    );
    let out = run_stdin(&["analyze", "--fail-on", "empty", "-"], b"").expect_code(1);
    assert!(
        out.stderr
            .contains("errscope: --fail-on empty: no lines were read"),
        "{}",
        out.stderr
    );
    run(&["analyze", "--fail-on", "empty", SAMPLE]).expect_code(0);
}

#[test]
fn every_line_outside_the_window_is_an_empty_run() {
    let dir = Dir::new();
    let line = "203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] \"GET /v3/async/x HTTP/1.1\" 200 0 \"-\" \"c\" 0.1 \"-\"\n";
    let log = dir.write("day.log", line.repeat(3));
    let out = run(&os(&[
        &"analyze",
        &"--since",
        &"2030-01-01",
        &"--fail-on",
        &"empty",
        &log,
    ]))
    .expect_code(1);
    assert!(
        out.stdout
            .contains("all 3 lines read were outside --since/--until"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("time: every line was outside the window"));
    assert!(!out.stdout.contains("no line carried a readable time"));
    assert!(out
        .stderr
        .contains("--fail-on empty: all 3 lines read were outside"));
    // Malformed lines have no time, so they are counted: such a run is not empty.
    let args = [
        "analyze",
        "--since",
        "2030-01-01",
        "--fail-on",
        "empty",
        SAMPLE,
    ];
    run(&args).expect_code(0);
}

#[test]
fn fail_on_says_why_whatever_the_format() {
    for format in FORMATS {
        let out = run(&[
            "analyze",
            "-q",
            "-o",
            format,
            "--fail-on",
            "undocumented, status-mismatch,wrong_section , unnamed-error",
            SAMPLE,
        ])
        .expect_code(1);
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(
            lines,
            [
                "errscope: --fail-on undocumented: 4 lines (4 names: ANONYMOUS_ACCESS_QUOTA_EXCEEDS, \
                 CONTEXT_LENGTH_EXCEEDED, Rate_Limit_Exceeded, invalid_api_key)",
                "errscope: --fail-on status-mismatch: 7 lines (6 pairs)",
                "errscope: --fail-on wrong-section: 6 lines (5 pairs)",
                "errscope: --fail-on unnamed-error: 7 lines",
            ],
            "{format}"
        );
    }
    // A class that did not occur is not said, and does not fail.
    let out = run(&["analyze", "-q", "--fail-on", "empty", SAMPLE]).expect_code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn fail_on_names_what_is_new_against_a_baseline() {
    let dir = Dir::new();
    let old = fixture("cases/sections.log");
    let new = Path::new(SAMPLE);
    let baseline = dir.path().join("old.json");
    run(&os(&[
        &"analyze",
        &"-q",
        &"-o",
        &"json",
        &"--output-file",
        &baseline,
        &old,
    ]))
    .expect_code(0);
    let out = run(&os(&[
        &"analyze",
        &"-q",
        &"-o",
        &"json",
        &"--baseline",
        &baseline,
        &"--fail-on",
        &"new_undocumented,New-Mismatch",
        &new,
    ]))
    .expect_code(1);
    let r = out.report();
    let said = |kind: &str| {
        out.stderr
            .lines()
            .find(|l| l.starts_with(&format!("errscope: --fail-on {kind}: ")))
            .unwrap_or_else(|| panic!("{kind}: {}", out.stderr))
            .to_string()
    };
    // Every new name is one the baseline did not list.
    let old_report: errscope::report::Report =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let new_names: Vec<&str> = r
        .undocumented
        .iter()
        .map(|u| u.name.as_str())
        .filter(|n| !old_report.undocumented.iter().any(|u| u.name == *n))
        .collect();
    assert!(!new_names.is_empty());
    let line = said("new-undocumented");
    assert!(
        line.contains(&format!("{} name", new_names.len())),
        "{line}"
    );
    assert!(line.contains(new_names[0]), "{line}");
    said("new-mismatch");
    // The same through `diff`.
    let current = dir.path().join("new.json");
    run(&os(&[
        &"analyze",
        &"-q",
        &"-o",
        &"json",
        &"--output-file",
        &current,
        &new,
    ]))
    .expect_code(0);
    let out = run(&os(&[
        &"diff",
        &baseline,
        &current,
        &"--fail-on",
        &"new-undocumented, undocumented",
    ]))
    .expect_code(1);
    assert!(
        out.stderr.contains("--fail-on new-undocumented: "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--fail-on undocumented: "),
        "{}",
        out.stderr
    );
}

#[test]
fn fail_on_spellings() {
    for list in [
        "status-mismatch",
        "status_mismatch",
        "undocumented, malformed",
        "UNDOCUMENTED ,status-mismatch",
        "new_mismatch",
    ] {
        let out = run(&["analyze", "-q", "--fail-on", list, SAMPLE]);
        // new-mismatch needs a baseline: a usage error that names it.
        if list.starts_with("new") {
            assert_eq!(out.code, 2);
            assert!(
                out.stderr.contains("--fail-on new-mismatch compares"),
                "{}",
                out.stderr
            );
        } else {
            assert_eq!(out.code, 1, "{list}: {}", out.stderr);
        }
    }
    let out = run(&[
        "diff",
        SAMPLE,
        SAMPLE,
        "--fail-on",
        "regression, new_mismatch",
    ]);
    // Accepted as spelled; the files are not reports.
    assert!(
        out.stderr.contains("not an errscope JSON report"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_trailing_name_field_is_never_dropped_by_detection() {
    let log = fixture("gateways/apache-custom.log");
    let out = run(&os(&[&"analyze", &log])).expect_code(2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("leaves fields unread")
            && out.stderr.contains("\"INVALID_API_KEY\"")
            && out
                .stderr
                .contains(r#"--apache-format '%h %l %u %t "%r" %>s %b %D "%{X-Error-Code}o"'"#),
        "{}",
        out.stderr
    );
    // The flag it names reads the names.
    let flag = r#"%h %l %u %t "%r" %>s %b %D "%{X-Error-Code}o""#;
    let r = analyze_code(&["--apache-format", flag], &[&log], 0);
    assert!(r.totals.classes.documented > 0);
    assert!(r
        .undocumented
        .iter()
        .any(|u| u.name == "ANONYMOUS_ACCESS_QUOTA_EXCEEDS"));
    // Trailing fields that are no error names are read past, and said.
    let dir = Dir::new();
    let main = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /v3/a HTTP/1.0" 200 2 "-" "curl/8" "10.0.0.1""#;
    let log = dir.write("main.log", format!("{main}\n{main}\n"));
    let out = run(&os(&[&"analyze", &"-o", &"json", &log])).expect_code(0);
    assert!(
        out.stderr.contains(
            "format combined (2 of 2 sample lines; 2 of them end with fields it does not read)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn small_things_a_person_notices() {
    let dir = Dir::new();
    dir.write("logs/a.log", std::fs::read(SAMPLE).unwrap());
    dir.write("logs/old/b.log", std::fs::read(SAMPLE).unwrap());
    dir.write("logs/older/c.log", std::fs::read(SAMPLE).unwrap());
    let logs = dir.path().join("logs");
    let out = run(&os(&[&"analyze", &"-o", &"json", &logs])).expect_code(0);
    assert!(
        out.stderr
            .contains("logs: 2 subdirectories not read (give -r to read them)"),
        "{}",
        out.stderr
    );
    assert_eq!(out.report().inputs.len(), 1);
    let out = run(&os(&[&"analyze", &"-q", &"-o", &"json", &logs])).expect_code(0);
    assert!(out.stderr.is_empty(), "-q: {}", out.stderr);
    let out = run(&os(&[&"analyze", &"-r", &"-o", &"json", &logs])).expect_code(0);
    assert!(!out.stderr.contains("not read"), "{}", out.stderr);

    let out = run(&["analyze", "-j", "0", SAMPLE]).expect_code(2);
    assert!(
        out.stderr.contains("0 threads cannot read anything"),
        "{}",
        out.stderr
    );
    let out = run(&["analyze", "--max-malformed", "2", SAMPLE]).expect_code(2);
    assert!(out.stderr.contains("from 0 to 1"), "{}", out.stderr);

    // "1 error", never "1 errors".
    let one = dir.write(
        "one.log",
        "203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] \"GET /v3/async/x HTTP/1.1\" 504 0 \"-\" \"c\" 0.1 \"-\"\n",
    );
    for format in ["text", "markdown", "html"] {
        let out = run(&os(&[&"analyze", &"-o", &format, &one])).expect_code(0);
        assert!(
            !out.stdout.contains(" 1 errors"),
            "{format}: {}",
            out.stdout
        );
    }

    // The catalog's entries and distinct names, said the same way everywhere.
    let out = run(&["catalog"]).expect_code(0);
    assert!(
        out.stdout.contains("38 entries, 35 names"),
        "{}",
        out.stdout
    );
    let out = run(&["analyze", SAMPLE]).expect_code(0);
    assert!(
        out.stdout.contains("38 entries, 35 names"),
        "{}",
        out.stdout
    );
}
