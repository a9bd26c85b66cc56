//! Generated logs against their ground truth: `errscope generate --truth` writes the
//! class of every line it made; `analyze` must find exactly those counts, per class
//! and per row, in both generated formats.

use std::collections::BTreeMap;

use crate::util::{analyze, as_truth, Dir};

const LINES: u64 = 20_000;

fn check_against_truth(format: &str, seed: u64) {
    let dir = Dir::new();
    let (log, truth) = dir.generate(format, LINES, seed);
    assert_eq!(truth.lines, LINES);
    assert_eq!(truth.classes.sum(), LINES, "the truth adds up");

    let report = analyze::<&str>(&[], &[&log]);
    assert_eq!(report.totals.lines, truth.lines);
    assert_eq!(report.totals.classes, truth.classes, "per-class totals");
    assert_eq!(report.inputs.len(), 1);
    assert_eq!(report.inputs[0].lines, LINES);
    assert_eq!(
        report.inputs[0].bytes,
        std::fs::metadata(&log).unwrap().len()
    );
    let expected_format = if format == "json" {
        "json"
    } else {
        "nginx:gateway"
    };
    assert_eq!(report.inputs[0].format.as_deref(), Some(expected_format));
    assert!(report.undocumented_other.is_none());

    // Row by row, so a failure names the table that is off.
    let got = as_truth(&report);
    assert_eq!(got.documented, truth.documented, "documented per code");
    assert_eq!(got.status_mismatches, truth.status_mismatches);
    assert_eq!(got.wrong_section, truth.wrong_section);
    assert_eq!(got.undocumented, truth.undocumented);
    assert_eq!(got.unnamed_errors, truth.unnamed_errors);
    assert_eq!(got.unrouted, truth.unrouted, "unrouted requests");
    assert_eq!(got, truth);

    // The generator's lower-case OpenAI-style name resembles the catalog's.
    let resembles: BTreeMap<&str, Option<&str>> = report
        .undocumented
        .iter()
        .map(|u| (u.name.as_str(), u.resembles.as_deref()))
        .collect();
    assert_eq!(resembles["invalid_api_key"], Some("INVALID_API_KEY"));
    assert_eq!(
        resembles["Rate_Limit_Exceeded"],
        Some("RATE_LIMIT_EXCEEDED")
    );
    assert_eq!(resembles["ANONYMOUS_ACCESS_QUOTA_EXCEEDS"], None);

    // Every generated line has a latency and a time.
    assert_eq!(
        report.latency.as_ref().unwrap().samples,
        report.totals.requests
    );
    assert_eq!(report.totals.bad_time, 0);
}

#[test]
fn gateway_log_matches_truth_seed_1() {
    check_against_truth("gateway", 1);
}

#[test]
fn gateway_log_matches_truth_seed_42() {
    check_against_truth("gateway", 42);
}

#[test]
fn json_log_matches_truth_seed_1() {
    check_against_truth("json", 1);
}

#[test]
fn json_log_matches_truth_seed_7() {
    check_against_truth("json", 7);
}

/// The same seed gives the same log, byte for byte.
#[test]
fn generate_is_deterministic() {
    let a = Dir::new();
    let b = Dir::new();
    for format in ["gateway", "json"] {
        let (log_a, truth_a) = a.generate(format, 2_000, 9);
        let (log_b, truth_b) = b.generate(format, 2_000, 9);
        assert_eq!(std::fs::read(log_a).unwrap(), std::fs::read(log_b).unwrap());
        assert_eq!(truth_a, truth_b);
    }
}
