//! Fixture-file tests (CONTRIBUTING.md, "Test conventions" 3): each case is a log in
//! `fixtures/cases/` and a sibling `<case>.expect.json` with the exact expected rows,
//! written by hand. One `#[test]` per case runs the real binary through every
//! reading strategy.
//!
//! `<case>.expect.json` fields:
//! - `about`: what the case shows (for the reader)
//! - `args`: extra `analyze` flags (default none); `exit`: exit code (default 0)
//! - `format`: the `inputs[].format` auto detection must pick (optional)
//! - `truth`: the expected counts, in the shape `generate --truth` writes
//! - `resembles`: undocumented name -> catalog name it resembles (or null)
//! - `malformed`: line number -> reason of every malformed line

use std::collections::BTreeMap;
use std::path::Path;

use errscope::generate::Truth;
use serde::Deserialize;

use crate::util::{analyze_every_way, as_truth, manifest_dir};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    about: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    exit: i32,
    format: Option<String>,
    truth: Truth,
    #[serde(default)]
    resembles: BTreeMap<String, Option<String>>,
    #[serde(default)]
    malformed: BTreeMap<u64, String>,
}

/// Run the case whose log is `fixtures/cases/<file>`.
fn case(file: &str) {
    // Relative to the crate root (the binary's working directory), so locations
    // read `fixtures/cases/<file>:<line>`.
    let log = Path::new("fixtures/cases").join(file);
    let stem = file.rsplit_once('.').expect("a log file extension").0;
    let expect_path = manifest_dir()
        .join("fixtures/cases")
        .join(format!("{stem}.expect.json"));
    let text = std::fs::read_to_string(&expect_path).expect("read the .expect.json");
    let expect: Expect =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", expect_path.display()));

    assert!(!expect.about.is_empty(), "{file}: say what the case shows");
    let args: Vec<&str> = expect.args.iter().map(String::as_str).collect();
    let report = analyze_every_way(&args, &log, expect.exit);

    assert_eq!(as_truth(&report), expect.truth, "rows of {file}");
    if let Some(format) = &expect.format {
        assert_eq!(report.inputs[0].format.as_ref(), Some(format));
    }
    let resembles: BTreeMap<String, Option<String>> = report
        .undocumented
        .iter()
        .filter(|u| expect.resembles.contains_key(&u.name))
        .map(|u| (u.name.clone(), u.resembles.clone()))
        .collect();
    assert_eq!(resembles, expect.resembles, "resembles in {file}");
    let malformed: BTreeMap<u64, String> = report
        .malformed
        .examples
        .iter()
        .map(|m| {
            let line = m
                .location
                .strip_prefix(&format!("{}:", log.display()))
                .unwrap_or_else(|| panic!("{} is not in {file}", m.location));
            (line.parse().expect("a line number"), m.reason.clone())
        })
        .collect();
    assert_eq!(malformed, expect.malformed, "malformed lines of {file}");
}

macro_rules! cases {
    ($($name:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $name() {
                case($file);
            }
        )*

        /// Every log in `fixtures/cases/` has a test above.
        #[test]
        fn every_fixture_case_is_run() {
            let listed: Vec<&str> = vec![$($file),*];
            let dir = manifest_dir().join("fixtures/cases");
            for entry in std::fs::read_dir(dir).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                if !name.ends_with(".expect.json") && !name.starts_with('.') {
                    assert!(listed.contains(&name.as_str()), "no test runs fixtures/cases/{name}");
                }
            }
        }
    };
}

cases! {
    unrouted_paths_check_all_sections => "unrouted.log",
    names_in_the_wrong_section => "sections.log",
    names_differing_by_case_are_undocumented => "case_differences.log",
    json_name_only_in_the_body => "name_in_body.jsonl",
    catalog_name_in_a_success_body => "name_in_success_body.jsonl",
    success_statuses_are_ok => "success_code.log",
    malformed_lines_with_locations => "malformed.log",
    records_with_no_response => "no_response.log",
}
