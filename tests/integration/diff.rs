//! `errscope diff` and `analyze --baseline`: two generated nights, the second with
//! known lines injected, differ by exactly those lines; reversed, they show up as
//! improvements and disappeared codes; `--fail-on` exit statuses; reports of another
//! schema or version are refused.

use std::path::{Path, PathBuf};

use errscope::report::diff::{Diff, Kind};

use crate::util::{os, run, Dir};

/// A line in the generator's `gateway` format, inside its time span.
fn line(path: &str, status: u16, name: &str) -> String {
    format!(
        "203.0.113.9 - - [26/Nov/2026:12:00:00 +0800] \"POST {path} HTTP/1.1\" {status} 79 \
         \"-\" \"curl/8.5\" 0.012 \"{name}\"\n"
    )
}

/// Night 1: a generated log. Night 2: the same log plus a new undocumented name, a
/// new status-mismatch pair, a new wrong-section pair and 200 more lines of one code.
struct Nights {
    dir: Dir,
    first: PathBuf,
    second: PathBuf,
}

fn nights() -> Nights {
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 5000, 1);
    // The generated log holds binary lines on purpose: bytes, not a String.
    let mut second = std::fs::read(&log).unwrap();
    second.extend_from_slice(
        line("/v3/openai/v1/chat/completions", 429, "QUOTA_SUSPENDED").as_bytes(),
    );
    // TASK_NOT_FOUND is documented 404 in media; the generated night never sends 503.
    second.extend_from_slice(line("/v3/async/task-result", 503, "TASK_NOT_FOUND").as_bytes());
    // FAILED_TO_AUTH is an llm name; never seen on a billing path in night 1.
    second.extend_from_slice(line("/openapi/v1/billing/bills", 401, "FAILED_TO_AUTH").as_bytes());
    for _ in 0..200 {
        second.extend_from_slice(
            line("/v3/openai/v1/chat/completions", 404, "MODEL_NOT_FOUND").as_bytes(),
        );
    }
    let log2 = dir.write("night2.log", second);
    let first = report_of(&dir, &log, "night1.json");
    let second = report_of(&dir, &log2, "night2.json");
    Nights { dir, first, second }
}

fn report_of(dir: &Dir, log: &Path, name: &str) -> PathBuf {
    let out = dir.path().join(name);
    run(&os(&[
        &"analyze",
        &"-o",
        &"json",
        &"--output-file",
        &out,
        &log,
    ]))
    .expect_code(0);
    out
}

fn diff_json(baseline: &Path, current: &Path, extra: &[&str], code: i32) -> Diff {
    let mut args = os(&[&"diff", &"-o", &"json", &baseline, &current]);
    args.extend(extra.iter().map(|a| std::ffi::OsString::from(*a)));
    let out = run(&args).expect_code(code);
    serde_json::from_str(&out.stdout).expect("diff -o json parses")
}

#[test]
fn flags_exactly_the_injected_changes() {
    let n = nights();
    let d = diff_json(&n.first, &n.second, &[], 0);
    assert_eq!(d.schema, "errscope-diff");
    assert_eq!(d.version, 1);
    assert_eq!(d.baseline.lines, 5000);
    assert_eq!(d.current.lines, 5203);

    let names: Vec<&str> = d.new_undocumented.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["QUOTA_SUSPENDED"]);
    assert!(d.new_undocumented[0].example.ends_with("night2.log:5001"));

    let pairs: Vec<(Kind, &str, &str, u16)> = d
        .new_mismatches
        .iter()
        .map(|p| (p.class, p.section.as_str(), p.name.as_str(), p.status))
        .collect();
    assert_eq!(
        pairs,
        [
            (Kind::StatusMismatch, "media", "TASK_NOT_FOUND", 503),
            (Kind::WrongSection, "billing", "FAILED_TO_AUTH", 401),
        ]
    );
    assert_eq!(d.new_mismatches[0].documented_status, Some(404));

    let regressions: Vec<String> = d.regressions.iter().map(|c| c.label()).collect();
    assert_eq!(regressions, ["llm MODEL_NOT_FOUND 404"]);
    let r = &d.regressions[0];
    assert_eq!(r.kind, Kind::Catalog);
    assert_eq!(r.current_count, r.baseline_count + 200);
    assert!(r.change.unwrap() > 0.5);

    assert!(d.improvements.is_empty(), "{:?}", d.improvements);
    assert!(d.disappeared.is_empty(), "{:?}", d.disappeared);
}

#[test]
fn reversed_the_changes_are_improvements_and_disappearances() {
    let n = nights();
    let d = diff_json(&n.second, &n.first, &[], 0);
    assert!(d.new_undocumented.is_empty());
    assert!(d.new_mismatches.is_empty());
    assert!(d.regressions.is_empty(), "{:?}", d.regressions);
    let improved: Vec<String> = d.improvements.iter().map(|c| c.label()).collect();
    assert_eq!(improved, ["llm MODEL_NOT_FOUND 404"]);
    let mut gone: Vec<(Kind, String)> = d.disappeared.iter().map(|c| (c.kind, c.label())).collect();
    gone.sort();
    assert_eq!(
        gone,
        [
            (Kind::Undocumented, "QUOTA_SUSPENDED".to_string()),
            (Kind::StatusMismatch, "media TASK_NOT_FOUND 503".to_string()),
            (Kind::WrongSection, "billing FAILED_TO_AUTH 401".to_string()),
        ]
    );
}

#[test]
fn a_night_compared_with_itself_has_no_changes() {
    let n = nights();
    let d = diff_json(
        &n.first,
        &n.first,
        &["--fail-on", "new-undocumented,new-mismatch,regression"],
        0,
    );
    assert!(d.new_undocumented.is_empty() && d.new_mismatches.is_empty());
    assert!(d.regressions.is_empty() && d.improvements.is_empty() && d.disappeared.is_empty());
}

#[test]
fn thresholds_and_min_count() {
    let n = nights();
    // +200 lines is far above +50 %, but not above 100x.
    let d = diff_json(&n.first, &n.second, &["--threshold", "100"], 0);
    assert!(d.regressions.is_empty());
    // A minimum count above the code's lines silences it.
    let d = diff_json(&n.first, &n.second, &["--min-count", "1000"], 0);
    assert!(d.regressions.is_empty());
    // A tiny threshold with no minimum count flags the one-line changes too.
    let d = diff_json(
        &n.first,
        &n.second,
        &["--threshold", "0.01", "--min-count", "1"],
        0,
    );
    let labels: Vec<String> = d.regressions.iter().map(|c| c.label()).collect();
    assert!(
        labels.contains(&"media TASK_NOT_FOUND 404".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"llm MODEL_NOT_FOUND 404".to_string()),
        "{labels:?}"
    );
}

#[test]
fn fail_on_exit_statuses() {
    let n = nights();
    for what in [
        "new-undocumented",
        "new-mismatch",
        "regression",
        "new_mismatch",
    ] {
        diff_json(&n.first, &n.second, &["--fail-on", what], 1);
        diff_json(&n.second, &n.first, &["--fail-on", what], 0);
    }
    // A class names what the current report holds.
    diff_json(&n.second, &n.first, &["--fail-on", "undocumented"], 1);
    let out = run(&os(&[
        &"diff",
        &n.first,
        &n.second,
        &"--fail-on",
        &"nonsense",
    ]));
    assert_eq!(out.code, 2);
}

#[test]
fn text_and_markdown() {
    let n = nights();
    let out = run(&os(&[&"diff", &n.first, &n.second])).expect_code(0);
    let text = &out.stdout;
    for expected in [
        "! 1 new undocumented name",
        "! 2 new mismatches (status or section)",
        "! 1 code whose rate rose beyond the threshold",
        "QUOTA_SUSPENDED",
        "listed in llm 401",
        "llm MODEL_NOT_FOUND 404",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    let out = run(&os(&[&"diff", &"-o", &"markdown", &n.first, &n.second])).expect_code(0);
    let md = &out.stdout;
    assert!(
        md.starts_with("### errscope diff: 1 new undocumented name"),
        "{md}"
    );
    for expected in [
        "- **new undocumented names**: `QUOTA_SUSPENDED`",
        "- **new mismatches**: media `TASK_NOT_FOUND` 503, billing `FAILED_TO_AUTH` 401",
        "- **regressions**: `llm MODEL_NOT_FOUND 404` +",
        "#### Regressions",
    ] {
        assert!(md.contains(expected), "{expected:?} missing from\n{md}");
    }
    let out = run(&os(&[&"diff", &"-o", &"csv", &n.first, &n.second])).expect_code(2);
    assert!(out.stderr.contains("not available"), "{}", out.stderr);
}

#[test]
fn analyze_with_a_baseline() {
    let n = nights();
    let log2 = n.dir.path().join("night2.log");
    let out = run(&os(&[
        &"analyze",
        &"--baseline",
        &n.first,
        &"--fail-on",
        &"regression",
        &log2,
    ]))
    .expect_code(1);
    assert!(out.stdout.contains("Findings"), "{}", out.stdout);
    assert!(out.stdout.contains("errscope diff:"), "{}", out.stdout);
    assert!(out.stdout.contains("-> this run"), "{}", out.stdout);
    // JSON stays the report (tomorrow's baseline); the summary goes to stderr.
    let out = run(&os(&[
        &"analyze",
        &"-o",
        &"json",
        &"--baseline",
        &n.first,
        &"--fail-on",
        &"new-undocumented",
        &log2,
    ]))
    .expect_code(1);
    out.report();
    assert!(
        out.stderr
            .contains("1 new undocumented name, 2 new mismatches, 1 regression"),
        "{}",
        out.stderr
    );
    // Nothing new since itself.
    run(&os(&[
        &"analyze",
        &"--baseline",
        &n.second,
        &"--fail-on",
        &"new-undocumented,new-mismatch,regression",
        &log2,
    ]))
    .expect_code(0);
    // The comparison kinds need a baseline.
    let out = run(&os(&[&"analyze", &"--fail-on", &"regression", &log2])).expect_code(2);
    assert!(out.stderr.contains("--baseline"), "{}", out.stderr);
}

#[test]
fn refuses_other_schemas_and_versions() {
    let n = nights();
    let text = std::fs::read_to_string(&n.first).unwrap();
    let v2 = n.dir.write(
        "v2.json",
        text.replacen("\"version\": 1", "\"version\": 2", 1),
    );
    let out = run(&os(&[&"diff", &v2, &n.second])).expect_code(2);
    assert!(
        out.stderr
            .contains("v2.json: report version 2 is not supported"),
        "{}",
        out.stderr
    );
    let catalog = n.dir.path().join("catalog.json");
    run(&os(&[
        &"catalog",
        &"-o",
        &"json",
        &"--output-file",
        &catalog,
    ]))
    .expect_code(0);
    let out = run(&os(&[&"diff", &n.first, &catalog])).expect_code(2);
    assert!(
        out.stderr
            .contains("not an errscope JSON report (schema is \"errscope-catalog\""),
        "{}",
        out.stderr
    );
    let out = run(&os(&[
        &"diff",
        &n.first,
        &n.dir.path().join("missing.json"),
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
    // The same refusal for analyze --baseline, before any log is read.
    let out = run(&os(&[
        &"analyze",
        &"--baseline",
        &v2,
        &"fixtures/sample.log",
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("not supported"), "{}", out.stderr);
}

/// Text and Markdown list at most `--top` rows per table and say how many more;
/// JSON lists every row. A report that is incomplete is said to be.
#[test]
fn tables_are_capped_by_top() {
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 2000, 3);
    let mut second = std::fs::read(&log).unwrap();
    for i in 0..25 {
        second.extend_from_slice(
            line("/v3/async/txt2img", 429, &format!("NEW_NAME_{i:02}")).as_bytes(),
        );
    }
    let log2 = dir.write("night2.log", second);
    let first = report_of(&dir, &log, "night1.json");
    let current = report_of(&dir, &log2, "night2.json");
    let d = diff_json(&first, &current, &[], 0);
    assert_eq!(d.new_undocumented.len(), 25);
    let out = run(&os(&[&"diff", &"--top", &"5", &first, &current])).expect_code(0);
    let listed = out
        .stdout
        .lines()
        .filter(|l| l.contains("NEW_NAME_"))
        .count();
    assert_eq!(listed, 5, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("  and 20 more (-o json lists them all)"),
        "{}",
        out.stdout
    );
    let out = run(&os(&[
        &"diff",
        &"-o",
        &"markdown",
        &"--top",
        &"5",
        &first,
        &current,
    ]))
    .expect_code(0);
    assert!(
        out.stdout
            .contains("_and 20 more (`-o json` lists them all)_"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(" and 20 more\n"), "{}", out.stdout);
    // Ten by default, through analyze --baseline too.
    let out = run(&os(&[&"analyze", &"--baseline", &first, &log2])).expect_code(0);
    assert!(
        out.stdout
            .contains("  and 15 more (-o json lists them all)"),
        "{}",
        out.stdout
    );

    // An incomplete current report is said to be.
    let partial = dir.path().join("partial.json");
    run(&os(&[
        &"analyze",
        &"-o",
        &"json",
        &"--output-file",
        &partial,
        &log2,
        &"gone.log",
    ]))
    .expect_code(2);
    let out = run(&os(&[&"diff", &first, &partial])).expect_code(0);
    assert!(
        out.stdout
            .contains("note: the current report is incomplete"),
        "{}",
        out.stdout
    );
}
