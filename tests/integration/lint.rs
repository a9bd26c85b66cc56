//! `errscope catalog lint`: the embedded page's findings, each kind of problem on a
//! hand-written page with its line, JSON catalogs, exit statuses, and `errscope
//! catalog` itself unchanged beside the new sub-command.

use errscope::catalog::lint::{Kind, Lint};

use crate::util::{os, run, Dir};

fn lint_json(args: &[&dyn AsRef<std::ffi::OsStr>], code: i32) -> Lint {
    let mut all = os(&[&"catalog", &"lint", &"-o", &"json"]);
    all.extend(os(args));
    let out = run(&all).expect_code(code);
    serde_json::from_str(&out.stdout).expect("lint -o json parses")
}

fn kinds(lint: &Lint) -> Vec<(Kind, Option<usize>)> {
    lint.findings.iter().map(|f| (f.kind, f.line)).collect()
}

#[test]
fn embedded_page() {
    let out = run(&["catalog", "lint"]).expect_code(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(lines[0].starts_with(
        "embedded:37: shared_description: INVALID_API_KEY in llm is described as \"未提供 API Key\", \
         the description of MISSING_API_KEY in media (line 22)"
    ), "{}", lines[0]);
    assert!(lines[1].starts_with("embedded:40: shared_description: the description \"余额不足\""));
    assert_eq!(lines[2], "2 findings in embedded (3 sections, 38 entries)");

    let lint = lint_json(&[], 1);
    assert_eq!(lint.schema, "errscope-lint");
    assert_eq!(
        kinds(&lint),
        [
            (Kind::SharedDescription, Some(37)),
            (Kind::SharedDescription, Some(40))
        ]
    );
    let rows: Vec<(&str, &str, Option<usize>)> = lint.findings[0]
        .rows
        .iter()
        .map(|r| (r.section.as_str(), r.name.as_str(), r.line))
        .collect();
    assert_eq!(
        rows,
        [
            ("media", "MISSING_API_KEY", Some(22)),
            ("llm", "INVALID_API_KEY", Some(37))
        ]
    );
}

const PAGE: &str = "\
# Errors

## Images

| name | status | description |
|---|---|---|
| BAD_IMAGE | 400 | The image is broken |
| TOO_FAST | 429 | Slow down |
| BAD_IMAGE | 422 | The image is broken |
| TEAPOT | 418 | Short and stout |
| MOVED | 302 | Elsewhere |

## Text {#text}

| name | status | description |
|---|---|---|
| TOO_FAST | 503 | Too many requests |
| BAD_TEXT | 400 | The image is broken |
| WEIRD | 4xx | ? |
| LATE | 504 | Timed out |
";

#[test]
fn every_kind_with_its_line() {
    let dir = Dir::new();
    let page = dir.write("page.md", PAGE);
    let lint = lint_json(&[&"--catalog", &page], 1);
    assert_eq!(
        kinds(&lint),
        [
            (Kind::DuplicateName, Some(9)),
            (Kind::InvalidStatus, Some(11)),
            (Kind::ConflictingStatus, Some(17)),
            (Kind::SharedDescription, Some(18)),
            (Kind::InvalidStatus, Some(19)),
        ],
        "{lint:#?}"
    );
    let message = |i: usize| lint.findings[i].message.as_str();
    assert_eq!(
        message(0),
        "BAD_IMAGE is listed twice in images (lines 7 and 9), with statuses 400 and 422; \
         errscope uses the first row"
    );
    assert_eq!(
        message(1),
        "MOVED in images has status 302, which is not an HTTP error status (400-599)"
    );
    assert_eq!(
        message(2),
        "TOO_FAST has different statuses in different sections: 429 in images (line 8), \
         503 in text (line 17)"
    );
    assert!(
        message(3).contains("BAD_TEXT in text (line 18)"),
        "{}",
        message(3)
    );
    assert!(message(4).contains("\"4xx\""), "{}", message(4));
    // 418 is an error status; the page read on past the unreadable row.
    assert_eq!(lint.entries, 8);

    // Text: one `path:line: kind: message` line per finding.
    let out = run(&os(&[&"catalog", &"lint", &"--catalog", &page])).expect_code(1);
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("{}:9: duplicate_name: ", page.display())),
        "{first}"
    );
    assert!(out.stdout.contains("\n5 findings in "), "{}", out.stdout);
}

#[test]
fn a_clean_page_exits_0() {
    let dir = Dir::new();
    let page = dir.write(
        "clean.md",
        "## A\n\n| name | status | description |\n|---|---|---|\n| X | 400 | x |\n| Y | 404 | y |\n",
    );
    let out = run(&os(&[&"catalog", &"lint", &"--catalog", &page])).expect_code(0);
    assert!(out.stdout.starts_with("no findings in "), "{}", out.stdout);
    let lint = lint_json(&[&"--catalog", &page], 0);
    assert!(lint.findings.is_empty());
}

#[test]
fn a_page_that_cannot_be_read_is_a_finding() {
    let dir = Dir::new();
    // A header row without a separator: nothing after it can be trusted.
    let page = dir.write(
        "broken.md",
        "## A\n\n| name | status | description |\n| X | 400 | x |\n",
    );
    let lint = lint_json(&[&"--catalog", &page], 1);
    assert_eq!(kinds(&lint), [(Kind::ParseError, Some(3))]);
    // A missing file is an error, not a finding.
    let out = run(&os(&[
        &"catalog",
        &"lint",
        &"--catalog",
        &dir.path().join("nope.md"),
    ]));
    assert_eq!(out.code, 2);
}

#[test]
fn json_catalogs_have_no_lines() {
    let dir = Dir::new();
    let json = r#"{"schema":"errscope-catalog","version":1,"sections":[
        {"id":"a","title":"A","entries":[
            {"name":"X","status":400,"description":"same"},
            {"name":"Y","status":200,"description":"same"}]}]}"#;
    let path = dir.write("cat.json", json);
    let lint = lint_json(&[&"--catalog", &path], 1);
    assert_eq!(
        kinds(&lint),
        [(Kind::InvalidStatus, None), (Kind::SharedDescription, None)]
    );
}

#[test]
fn catalog_command_still_prints_the_catalog() {
    let out = run(&["catalog"]).expect_code(0);
    assert!(out.stdout.starts_with("catalog embedded"));
    let out = run(&["catalog", "-o", "json"]).expect_code(0);
    assert!(out.stdout.contains("\"errscope-catalog\""));
    // Options of `catalog` do not go before `lint`.
    assert_eq!(run(&["catalog", "-o", "json", "lint"]).code, 2);
}
