//! The catalog: `errscope catalog` shows every section, its JSON form reads back
//! into the same analysis, a custom page with its own headings and `{#id}`s works
//! with `--route`, and a broken page stops the run naming `file:line`.

use std::path::Path;

use errscope::catalog::CatalogDocument;

use crate::util::{analyze, analyze_code, errscope, fixture, os, run, run_command, Dir};

const SAMPLE: &str = "fixtures/sample.log";

fn catalog_json(extra: &[&str]) -> CatalogDocument {
    let args: Vec<&str> = ["catalog", "-o", "json"]
        .iter()
        .chain(extra)
        .copied()
        .collect();
    let out = run(&args).expect_code(0);
    serde_json::from_str(&out.stdout).expect("catalog -o json parses")
}

#[test]
fn text_lists_every_section_and_name() {
    let out = run(&["catalog"]).expect_code(0);
    let text = &out.stdout;
    assert!(
        text.starts_with("catalog embedded: 3 sections, 38 entries, 35 names"),
        "{text}"
    );
    for heading in [
        "media (图片 / 视频 / 音频): 24 entries",
        "llm (大语言): 9 entries",
        "billing (账单): 5 entries",
    ] {
        assert!(text.contains(heading), "{heading} missing from\n{text}");
    }
    let doc = catalog_json(&[]);
    let ids: Vec<&str> = doc.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["media", "llm", "billing"]);
    for entry in doc.sections.iter().flat_map(|s| &s.entries) {
        assert!(text.contains(&entry.name), "{} missing", entry.name);
    }
    // Facts docs/architecture.md ("The catalog") names: a name in two sections, the
    // two balance names.
    let status = |section: &str, name: &str| {
        doc.sections
            .iter()
            .find(|s| s.id == section)
            .and_then(|s| s.entries.iter().find(|e| e.name == name))
            .map(|e| e.status)
    };
    assert_eq!(status("media", "INVALID_API_KEY"), Some(403));
    assert_eq!(status("llm", "INVALID_API_KEY"), Some(403));
    assert_eq!(status("media", "BILLING_BALANCE_NOT_ENOUGH"), Some(400));
    assert_eq!(status("llm", "NOT_ENOUGH_BALANCE"), Some(403));
    assert_eq!(status("llm", "BILLING_BALANCE_NOT_ENOUGH"), None);
}

/// The embedded page is the checked-in `catalog/api-error-codes.zh.md`.
#[test]
fn embedded_is_the_published_page() {
    let page = catalog_json(&["--catalog", "catalog/api-error-codes.zh.md"]);
    assert_eq!(page, catalog_json(&[]));
}

/// `catalog -o json` saved and read back with `--catalog` gives the same report as
/// the embedded catalog, except for `catalog.source`; also through the environment.
#[test]
fn json_round_trip() {
    let dir = Dir::new();
    let out = run(&["catalog", "-o", "json"]).expect_code(0);
    let saved = dir.write("saved.json", &out.stdout);
    // Printing the saved catalog gives the same JSON again.
    let again = run(&os(&[&"catalog", &"-o", &"json", &"--catalog", &saved])).expect_code(0);
    assert_eq!(again.stdout, out.stdout);

    for log in [SAMPLE, "fixtures/sample.jsonl"] {
        let log = Path::new(log);
        let embedded = analyze::<&str>(&[], &[log]);
        let mut from_file = analyze(&["--catalog", saved.to_str().unwrap()], &[log]);
        assert_eq!(from_file.catalog.source, saved.display().to_string());
        from_file.catalog.source = "embedded".into();
        assert_eq!(from_file, embedded);
    }

    let mut cmd = errscope();
    cmd.env("ERRSCOPE_CATALOG", &saved)
        .args(["analyze", "-o", "json", SAMPLE]);
    let r = run_command(cmd, None).expect_code(0).report();
    assert_eq!(r.catalog.source, saved.display().to_string());
}

const IMAGES_PAGE: &str = "\
# Image API errors

Some prose before the first section.

## Images {#img}

| Name | Status | Meaning |
|------|--------|---------|
| IMAGE_TOO_LARGE | 413 | too big |
| INVALID_API_KEY | 401 | bad key |

## Text

| Name | Status | Meaning |
|---|---|---|
| PROMPT_TOO_LONG | 400 | too long |
";

/// A page with its own headings: `{#img}` chooses an id, `## Text` gets a slug.
/// Default routes name sections this page lacks, so only `--route` routes.
#[test]
fn custom_page_with_route() {
    let dir = Dir::new();
    let page = dir.write("images.md", IMAGES_PAGE);
    let doc = catalog_json(&["--catalog", page.to_str().unwrap()]);
    let ids: Vec<&str> = doc.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["img", "text"]);

    let line = |path: &str, status: u16, name: &str| {
        format!(
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST {path} HTTP/1.1" {status} 98 "-" "curl/8.5.0" 0.012 "{name}"{}"#,
            "\n"
        )
    };
    let log = dir.write(
        "images.log",
        [
            line("/v9/generate", 413, "IMAGE_TOO_LARGE"),
            line("/v9/generate", 401, "INVALID_API_KEY"),
            line("/v9/generate", 400, "PROMPT_TOO_LONG"),
            line("/v9/generate", 403, "INVALID_API_KEY"),
            line("/v3/async/txt2img", 400, "ILLEGAL_PROMPT"),
            line("/other", 400, "PROMPT_TOO_LONG"),
        ]
        .concat(),
    );
    let args = ["--catalog", page.to_str().unwrap(), "--route", "/v9/=img"];
    let r = analyze(&args, &[&log]);
    assert_eq!(r.catalog.sections, ["img", "text"]);
    assert_eq!(r.catalog.entries, 3);
    let c = r.totals.classes;
    assert_eq!(
        (
            c.documented,
            c.wrong_section,
            c.status_mismatch,
            c.undocumented
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(r.totals.unrouted, 2);
    let w = &r.wrong_section[0];
    assert_eq!(
        (w.section.as_str(), w.name.as_str()),
        ("img", "PROMPT_TOO_LONG")
    );
    assert_eq!(w.listed_in.get("text"), Some(&400));
    let m = &r.status_mismatches[0];
    assert_eq!(
        (m.section.as_str(), m.documented_status, m.observed_status),
        ("img", 401, 403)
    );
    assert_eq!(r.undocumented[0].name, "ILLEGAL_PROMPT");

    // A route to a section the page lacks is refused.
    let out = run(&[
        "analyze",
        "--catalog",
        page.to_str().unwrap(),
        "--route",
        "/v3/=media",
        SAMPLE,
    ])
    .expect_code(2);
    assert!(
        out.stderr
            .contains("no section \"media\" in the catalog (sections: img, text)"),
        "{}",
        out.stderr
    );
}

#[test]
fn broken_page_names_file_and_line() {
    let dir = Dir::new();
    let page = dir.write(
        "broken.md",
        "## Images {#img}\n\n| Name | Status | Meaning |\n|---|---|---|\n| A | 413 | x |\n| B | four-oh-one | y |\n",
    );
    let location = format!("catalog {}:6:", page.display());
    let sample = fixture("sample.log");
    for args in [
        os(&[&"catalog", &"--catalog", &page]),
        os(&[&"analyze", &"--catalog", &page, &sample]),
    ] {
        let out = run(&args).expect_code(2);
        assert!(out.stderr.contains(&location), "{}", out.stderr);
        assert!(out.stderr.contains("four-oh-one"), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "no report with a broken catalog");
    }
}

#[test]
fn broken_json_catalog_and_missing_file() {
    let dir = Dir::new();
    let truncated = dir.write(
        "cut.json",
        "{\"schema\":\"errscope-catalog\",\"version\":1,\"sections\":[\n",
    );
    let out = run(&os(&[&"catalog", &"--catalog", &truncated])).expect_code(2);
    assert!(
        out.stderr
            .contains(&format!("catalog {}:2:", truncated.display())),
        "{}",
        out.stderr
    );

    let future = dir.write(
        "v2.json",
        r#"{"schema":"errscope-catalog","version":2,"sections":[]}"#,
    );
    let out = run(&os(&[&"catalog", &"--catalog", &future])).expect_code(2);
    assert!(
        out.stderr.contains("version 2 is not supported"),
        "{}",
        out.stderr
    );

    let missing = dir.path().join("missing.md");
    let out = run(&os(&[&"catalog", &"--catalog", &missing])).expect_code(2);
    assert!(
        out.stderr
            .contains(&format!("{}: No such file", missing.display())),
        "{}",
        out.stderr
    );
}

/// The embedded catalog needs no file and no network: the sample runs anywhere.
#[test]
fn runs_from_any_directory() {
    let dir = Dir::new();
    let sample = fixture("sample.log");
    let out = crate::util::run_with(
        &os(&[&"analyze", &"-o", &"json", &sample]),
        None,
        dir.path(),
    )
    .expect_code(0);
    assert_eq!(out.report().catalog.source, "embedded");
    let _ = analyze_code::<&str>(&[], &[&sample], 0);
}

/// `catalog diff OLD NEW` on the published page and an edited copy: each kind of
/// change is found, as text and JSON, and the exit status is 1; the same page twice
/// is 0 changes, exit 0.
#[test]
fn catalog_diff_finds_each_change() {
    let dir = Dir::new();
    let page = errscope::catalog::EMBEDDED_PAGE;
    let edited = page
        // A status changed in media.
        .replacen(
            "| TASK_FAILED              | 500    |",
            "| TASK_FAILED              | 502    |",
            1,
        )
        // A row removed from billing and added to llm: a move.
        .replacen(
            "| LIST_BILL_TOO_FAST       | 429    | 请求过于频繁，请稍后重试 |\n",
            "",
            1,
        )
        .replacen(
            "| RATE_LIMIT_EXCEEDED      | 429    | 请求过快，请稍后重试     |\n",
            "| RATE_LIMIT_EXCEEDED      | 429    | 请求过快，请稍后重试     |\n| LIST_BILL_TOO_FAST | 429 | 请求过于频繁 |\n| QUOTA_SUSPENDED | 403 | 配额已暂停 |\n",
            1,
        );
    assert_ne!(edited, page, "the edits apply to the page");
    let new = dir.write("new.md", &edited);
    let out = run(&os(&[
        &"catalog",
        &"diff",
        &"-o",
        &"json",
        &"embedded",
        &new,
    ]))
    .expect_code(1);
    let d: errscope::catalog::diff::CatalogDiff = serde_json::from_str(&out.stdout).unwrap();
    let pairs = |v: &[errscope::catalog::diff::Entry]| {
        v.iter()
            .map(|e| format!("{} {} {}", e.section, e.name, e.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&d.added), ["llm QUOTA_SUSPENDED 403"]);
    assert!(d.removed.is_empty());
    assert_eq!(d.moved.len(), 1);
    assert_eq!(d.moved[0].name, "LIST_BILL_TOO_FAST");
    assert_eq!(d.moved[0].from.get("billing"), Some(&429));
    assert_eq!(d.moved[0].to.get("llm"), Some(&429));
    assert_eq!(d.status_changed.len(), 1);
    assert_eq!(
        (
            d.status_changed[0].section.as_str(),
            d.status_changed[0].old_status,
            d.status_changed[0].new_status
        ),
        ("media", 500, 502)
    );
    assert_eq!(d.description_changed.len(), 0);
    let out = run(&os(&[&"catalog", &"diff", &"embedded", &new])).expect_code(1);
    assert!(
        out.stdout
            .contains("changes: 1 entry added, 1 status changed, 1 name moved"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("LIST_BILL_TOO_FAST  billing 429  llm 429"),
        "{}",
        out.stdout
    );
    let out = run(&os(&[&"catalog", &"diff", &new, &new])).expect_code(0);
    assert!(out.stdout.contains("changes: no changes"), "{}", out.stdout);
    let out = run(&os(&[&"catalog", &"diff", &"embedded", &"nosuch.md"])).expect_code(2);
    assert!(out.stderr.contains("nosuch.md"), "{}", out.stderr);
}
