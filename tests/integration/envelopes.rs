//! Envelopes end to end: every fixture under `fixtures/envelopes/` (a gateway's
//! records inside a CRI, Docker json-file, docker-compose or syslog envelope, with
//! the runtime's and the gateway's own messages between them) analyzed with no
//! flags and with `--preset`, through every strategy, with exact counts: access
//! records classified as the plain fixture's, other lines `not_access`, joined
//! pieces `continued`. Sources in `fixtures/envelopes/README.md`. Then generated
//! logs in every envelope (`generate --envelope`), gateway text and JSON lines,
//! through every strategy against the generator's truth.

use std::path::Path;

use crate::util::{analyze_every_way, run};

/// (fixture, envelope, format in the report, preset, class counts ok, documented,
/// status_mismatch, wrong_section, undocumented, unnamed_error, malformed, then
/// not_access, no_response, continued, lines).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [u64; 7],
    [u64; 4],
);

const CASES: &[Case] = &[
    // Caddy on stderr: two startup messages, one record split in three (two P
    // lines), an empty F line.
    (
        "cri-caddy.log",
        "cri",
        "caddy",
        "caddy",
        [2, 1, 1, 1, 1, 1, 0],
        [3, 0, 2, 12],
    ),
    // nginx's entrypoint messages on stdout, its error log on stderr, one record
    // whose `log` lacks its newline (continued).
    (
        "docker-nginx.log",
        "docker",
        "nginx:combined",
        "combined",
        [2, 0, 0, 0, 0, 5, 0],
        [3, 0, 1, 11],
    ),
    (
        "compose-traefik.log",
        "compose",
        "traefik-clf",
        "traefik-clf",
        [2, 0, 0, 0, 0, 5, 0],
        [2, 0, 0, 9],
    ),
    // RFC 3164 with and without <PRI>, RFC 5424, a startup message, status -1.
    (
        "syslog-haproxy.log",
        "syslog",
        "haproxy",
        "haproxy",
        [3, 1, 1, 1, 1, 1, 0],
        [1, 1, 0, 10],
    ),
];

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new("fixtures/envelopes").join(name)
}

#[test]
fn every_envelope_is_taken_off_however_the_input_is_read() {
    for &(file, envelope, format, preset, classes, [not_access, no_response, continued, lines]) in
        CASES
    {
        for flags in [&[][..], &["--preset", preset][..]] {
            let r = analyze_every_way(flags, &fixture(file), 0);
            let input = &r.inputs[0];
            assert_eq!(input.envelope.as_deref(), Some(envelope), "{file}");
            assert_eq!(input.format.as_deref(), Some(format), "{file}");
            let c = &r.totals.classes;
            let got = [
                c.ok,
                c.documented,
                c.status_mismatch,
                c.wrong_section,
                c.undocumented,
                c.unnamed_error,
                c.malformed,
            ];
            assert_eq!(got, classes, "{file} {flags:?}");
            let t = &r.totals;
            assert_eq!(
                [t.not_access, t.no_response, t.continued, t.lines],
                [not_access, no_response, continued, lines],
                "{file} {flags:?}"
            );
        }
    }
}

/// The envelope's time stands in only for a record without one: Traefik's and
/// Caddy's records have their own, so the span is theirs.
#[test]
fn the_records_own_time_wins_over_the_envelopes() {
    let r = analyze_every_way(&[], &fixture("cri-caddy.log"), 0);
    let span = r.time.expect("a time span");
    // Caddy's documented example has ts 1646861401.52 (2022-03-09); the CRI
    // header says 2026.
    assert!(
        span.first.starts_with("2022-03-09T21:30:01"),
        "{}",
        span.first
    );
    // HAProxy's RFC 5424 line has its own accept date too; the RFC 3164 header has
    // no year and gives none.
    let r = analyze_every_way(&[], &fixture("syslog-haproxy.log"), 0);
    assert!(r.time.unwrap().first.starts_with("2009-02-06T12:14:14"));
}

/// Every report format names the counts of lines read but not classified.
#[test]
fn other_lines_are_named_in_every_format() {
    let path = fixture("syslog-haproxy.log");
    for (format, want) in [
        ("text", vec!["not_access", "no_response"]),
        ("markdown", vec!["not_access", "no_response"]),
        ("csv", vec!["not_access,", "no_response,"]),
        ("html", vec!["<dt>not_access</dt>", "<dt>no_response</dt>"]),
        ("json", vec!["\"not_access\": 1", "\"no_response\": 1"]),
    ] {
        let out = run(&["analyze", "-o", format, path.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{format}");
        let text = &out.stdout;
        for w in want {
            assert!(text.contains(w), "{format}: {w}");
        }
    }
}

/// A plain log is read as before: no envelope in the report, no new counts.
#[test]
fn plain_logs_have_no_envelope() {
    let r = analyze_every_way(&[], Path::new("fixtures/sample.log"), 0);
    assert_eq!(r.inputs[0].envelope, None);
    assert_eq!(
        r.totals.not_access + r.totals.no_response + r.totals.continued,
        0
    );
}

/// The envelopes `generate --envelope` writes, and the name the report gives each.
const GENERATED: &[(&str, &str)] = &[
    ("cri", "cri"),
    ("docker", "docker"),
    ("compose", "compose"),
    ("syslog", "syslog"),
    ("syslog5424", "syslog"),
];

/// A generated log in each envelope (`generate --envelope`), gateway text and JSON
/// lines, reads exactly as the generator's truth says, through every strategy (so
/// split records are joined however the input is chunked, split into byte ranges
/// or streamed): the gateway's own messages and the lines that are no record at all
/// are `not_access`, cut records stay `malformed`, split pieces are `continued`.
#[test]
fn generated_logs_in_every_envelope_match_the_truth() {
    let dir = crate::util::Dir::new();
    for format in ["gateway", "json"] {
        for &(envelope, name) in GENERATED {
            let (log, truth) = dir.generate_in(format, Some(envelope), 2000, 7);
            let what = format!("{format} in {envelope}");
            let r = analyze_every_way(&[], &log, 0);
            assert_eq!(r.inputs[0].envelope.as_deref(), Some(name), "{what}");
            let want_format = if format == "json" {
                "json"
            } else {
                "nginx:gateway"
            };
            assert_eq!(r.inputs[0].format.as_deref(), Some(want_format), "{what}");
            assert_eq!(crate::util::as_truth(&r), truth, "{what}");
            // Every kind of line the envelope rule decides is in the log.
            let split = matches!(envelope, "cri" | "docker");
            assert!(
                truth.not_access > 3 && truth.classes.malformed > 0,
                "{what}: {truth:?}"
            );
            assert_eq!(truth.continued > 0, split, "{what}: {truth:?}");
            assert_eq!(
                truth.lines,
                truth.classes.sum() + truth.not_access + truth.continued,
                "{what}"
            );
        }
    }
}

/// Caddy's own output, not in an envelope (`docker logs caddy > file`): its
/// runtime messages outnumber the access records, and the file is read, not
/// refused as mostly malformed (as it was): the messages are `not_access`.
#[test]
fn caddy_output_with_runtime_messages_is_read() {
    let dir = crate::util::Dir::new();
    let caddy = std::fs::read_to_string("fixtures/gateways/caddy.log").unwrap();
    let mut text = String::new();
    for msg in [
        "using config from file",
        "adapted config to JSON",
        "started background certificate maintenance",
        "server running",
        "serving initial configuration",
        "cleaning storage unit",
    ] {
        text.push_str(&format!(
            r#"{{"level":"info","ts":1795744800.1,"logger":"tls","msg":"{msg}"}}"#
        ));
        text.push('\n');
    }
    for line in caddy.lines().take(3) {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.write("caddy-stdout.log", text);
    let r = analyze_every_way(&[], &path, 0);
    assert_eq!(r.inputs[0].format.as_deref(), Some("caddy"));
    assert_eq!(r.inputs[0].envelope, None);
    assert_eq!(
        (
            r.totals.not_access,
            r.totals.requests,
            r.totals.classes.malformed
        ),
        (6, 3, 0)
    );
}
