//! Time: `--since` / `--until` windows, `--bucket` time series, lines whose time
//! cannot be read, and endpoints grouped from paths.

use crate::util::{analyze_every_way, analyze_json, check_invariants, Dir};

/// A gateway line at `time` (nginx `$time_local`) for `path` with `status`.
fn line(time: &str, path: &str, status: u16, name: &str) -> String {
    format!(
        "203.0.113.7 - - [{time}] \"GET {path} HTTP/1.1\" {status} 98 \"-\" \"curl/8.5.0\" 0.012 \"{name}\"\n"
    )
}

/// Five requests over three hours (UTC 02:10, 02:50, 03:05, 04:59, 05:00) and one
/// whose time cannot be read.
fn day(dir: &Dir) -> std::path::PathBuf {
    let text = [
        line("27/Nov/2026:10:10:00 +0800", "/v3/async/txt2img", 200, "-"),
        line(
            "27/Nov/2026:10:50:00 +0800",
            "/v3/async/task-result?task_id=1",
            403,
            "INVALID_API_KEY",
        ),
        line(
            "27/Nov/2026:03:05:00 +0000",
            "/v1/jobs/12345/logs",
            504,
            "-",
        ),
        line(
            "27/Nov/2026:12:59:59 +0800",
            "/v3/async/task-result?task_id=2",
            429,
            "MODEL_OVERLOADED",
        ),
        line(
            "27/Nov/2026:13:00:00 +0800",
            "/v3/openai/chat/completions",
            200,
            "-",
        ),
        line(
            "99/Nov/2026:13:00:00 +0800",
            "/v3/openai/chat/completions",
            200,
            "-",
        ),
    ]
    .concat();
    dir.write("day.log", text)
}

#[test]
fn since_and_until_count_only_the_window() {
    let dir = Dir::new();
    let log = day(&dir);
    let r = analyze_every_way(
        &[
            "--since",
            "2026-11-27T02:50:00Z",
            "--until",
            "2026-11-27T13:00:00+08:00",
        ],
        &log,
        0,
    );
    check_invariants(&r);
    // 02:50, 03:05 and 04:59:59 are inside; 02:10 and 05:00 are not; the line
    // without a readable time is kept.
    assert_eq!(
        (r.totals.lines, r.totals.outside_window, r.totals.requests),
        (6, 2, 4)
    );
    assert_eq!(r.totals.bad_time, 1);
    assert_eq!(r.bad_time_examples, [format!("{}:6", log.display())]);
    let w = r.window.unwrap();
    assert_eq!(w.since.as_deref(), Some("2026-11-27T02:50:00Z"));
    assert_eq!(w.until.as_deref(), Some("2026-11-27T05:00:00Z"));
    let t = r.totals.classes;
    assert_eq!(
        (t.documented, t.undocumented, t.unnamed_error, t.ok),
        (1, 1, 1, 1)
    );
}

#[test]
fn relative_since_and_bad_windows() {
    let dir = Dir::new();
    let log = day(&dir);
    // Relative to now, the 2026-11-27 lines are in the past or the future depending
    // on the clock; a span far larger than that keeps them all.
    let r = analyze_json(&["--since", "36500d"], &[&log], 0);
    assert_eq!(r.totals.outside_window, 0);
    for (args, message) in [
        (&["--since", "yesterday"][..], "invalid --since"),
        (
            &["--since", "2026-11-28", "--until", "2026-11-27"][..],
            "is not before --until",
        ),
        (&["--bucket", "5w"][..], "is not a span"),
    ] {
        let mut all: Vec<&std::ffi::OsStr> = vec!["analyze".as_ref()];
        all.extend(args.iter().map(std::ffi::OsStr::new));
        all.push(log.as_os_str());
        let out = crate::util::run(&all).expect_code(2);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn hourly_buckets_fill_gaps_and_add_up() {
    let dir = Dir::new();
    let log = day(&dir);
    let r = analyze_every_way(&["--bucket", "1h"], &log, 0);
    let series = r.time_series.unwrap();
    let rows: Vec<(&str, u64, u64)> = series
        .buckets
        .iter()
        .map(|b| (b.start.as_str(), b.requests, b.errors))
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-11-27T02:00:00Z", 2, 1),
            ("2026-11-27T03:00:00Z", 1, 1),
            ("2026-11-27T04:00:00Z", 1, 1),
            ("2026-11-27T05:00:00Z", 1, 0),
        ]
    );
    assert_eq!(series.buckets[0].classes.documented, 1);
    assert_eq!(series.overflow, 0);
    // The text report shows the series too.
    let out = crate::util::run(&[
        "analyze".as_ref(),
        "--bucket".as_ref(),
        "1h".as_ref(),
        log.as_os_str(),
    ])
    .expect_code(0);
    assert!(
        out.stdout.contains("Time series (1h per row, UTC)"),
        "{}",
        out.stdout
    );
}

#[test]
fn endpoints_group_queries_and_ids() {
    let dir = Dir::new();
    let log = day(&dir);
    let r = analyze_every_way(&[], &log, 0);
    let rows: Vec<(&str, u64, u64)> = r
        .endpoints
        .iter()
        .map(|e| (e.endpoint.as_str(), e.requests, e.errors))
        .collect();
    assert_eq!(
        rows,
        [
            ("/v3/async/task-result", 2, 2),
            ("/v3/openai/chat/completions", 2, 0),
            ("/v1/jobs/{id}/logs", 1, 1),
            ("/v3/async/txt2img", 1, 0),
        ]
    );
    assert!(r.endpoints_other.is_none());
    let capped = analyze_every_way(&["--max-endpoints", "1"], &log, 0);
    assert_eq!(capped.endpoints.len(), 1);
    let other = capped.endpoints_other.unwrap();
    assert_eq!(capped.endpoints[0].requests + other.requests, 6);
}
