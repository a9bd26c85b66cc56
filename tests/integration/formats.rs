//! Log formats: JSON lines, the nginx presets, custom `--log-format` strings,
//! `--field` overrides on a Kong-like JSON log, `--format auto` detection, and the
//! messages for bad format flags.

use std::path::Path;

use crate::util::{
    analyze, analyze_code, analyze_every_way, analyze_json, analyze_stdin, fixture, os, run, Dir,
};

const SAMPLE: &str = "fixtures/sample.log";
const SAMPLE_JSON: &str = "fixtures/sample.jsonl";

/// HDR histograms keep 2 significant digits: a percentile is within 1 %.
#[track_caller]
fn assert_ms(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= want * 0.01,
        "{got} ms is not {want} ms ± 1 %"
    );
}

#[test]
fn auto_detects_each_input() {
    let r = analyze::<&str>(&[], &[Path::new(SAMPLE), Path::new(SAMPLE_JSON)]);
    let formats: Vec<_> = r.inputs.iter().map(|i| i.format.as_deref()).collect();
    assert_eq!(formats, [Some("nginx:gateway"), Some("json")]);
    let sources: Vec<_> = r
        .inputs
        .iter()
        .map(|i| i.latency_source.as_deref())
        .collect();
    assert_eq!(sources[0], Some("$request_time (s)"));
    assert_eq!(
        sources[1].map(|s| s.starts_with("request_time (s)")),
        Some(true)
    );
    assert_eq!(r.totals.lines, 500);
}

/// A wrong forced format makes every line malformed: that is an input error
/// (exit 2) naming the format used and what auto-detection picks, and the report
/// is marked incomplete. `--max-malformed 1` allows it.
#[test]
fn json_format_on_an_nginx_log_is_an_input_error() {
    let r = analyze_code(&["--format", "json"], &[Path::new(SAMPLE)], 2);
    assert_eq!(r.inputs[0].format.as_deref(), Some("json"));
    assert_eq!((r.totals.lines, r.inputs[0].malformed), (250, 250));
    assert_eq!(r.totals.classes.malformed, 250);
    assert_eq!(r.malformed.reasons.get("invalid JSON"), Some(&250));
    assert!(!r.complete);
    let error = r.inputs[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("250 of 250 lines (100.0%) are malformed when read as json")
            && error.contains("auto-detection picks gateway")
            && error.contains("--max-malformed"),
        "{error}"
    );
    let r = analyze(
        &["--format", "json", "--max-malformed", "1"],
        &[Path::new(SAMPLE)],
    );
    assert!(r.complete && r.inputs[0].error.is_none());
}

#[test]
fn wrong_preset_on_a_json_log_is_an_input_error() {
    for args in [&["--format", "nginx"][..], &["--preset", "kong"]] {
        let r = analyze_code(args, &[Path::new(SAMPLE_JSON)], 2);
        assert_eq!(r.totals.classes.malformed, 250, "{args:?}");
        let error = r.inputs[0].error.as_deref().unwrap_or_default();
        assert!(error.contains("auto-detection picks json"), "{error}");
    }
    // Up to half the lines malformed is a dirty log, not a wrong format.
    let half = ["--preset", "gateway", "--max-malformed", "0.5"];
    let dir = crate::util::Dir::new();
    let sample = std::fs::read(SAMPLE).unwrap();
    let good: Vec<&[u8]> = sample.split(|&b| b == b'\n').take(2).collect();
    let log = dir.write(
        "half.log",
        [good.join(&b'\n'), b"\nx\ny\n".to_vec()].concat(),
    );
    let r = analyze(&half, &[&log]);
    assert_eq!(r.totals.classes.malformed, 2);
    analyze_code(
        &["--max-malformed", "0.4", "--preset", "gateway"],
        &[&log],
        2,
    );
}

/// The combined preset has no latency and no name: every parsed line is ok or an
/// unnamed error.
#[test]
fn combined_preset() {
    let dir = Dir::new();
    let log = dir.write(
        "combined.log",
        concat!(
            r#"198.51.100.2 - alice [27/Nov/2026:10:00:00 +0800] "GET /openai/v1/models?x=1 HTTP/2.0" 200 1234 "https://example.com/" "curl/8.5.0""#,
            "\n",
            r#"198.51.100.2 - - [27/Nov/2026:10:00:01 +0800] "POST /v3/async/txt2img HTTP/1.1" 403 98 "-" "python-requests/2.31.0""#,
            "\n",
            r#"198.51.100.2 - - [27/Nov/2026:10:00:02 +0800] "GET /healthz HTTP/1.1" 404 19 "-" "kube-probe/1.29""#,
            "\n",
        ),
    );
    let r = analyze_every_way(&["--preset", "combined"], &log, 0);
    let c = r.totals.classes;
    assert_eq!((r.totals.lines, c.ok, c.unnamed_error), (3, 1, 2));
    assert_eq!(r.totals.unrouted, 1);
    assert_eq!(r.inputs[0].format.as_deref(), Some("nginx:combined"));
    assert_eq!(r.inputs[0].latency_source, None);
    assert!(r.latency.is_none());
    assert_eq!(r.time.as_ref().unwrap().seconds, 2.0);

    // The gateway sample read as combined: its names are ignored, nothing else changes.
    let r = analyze(&["--preset", "combined"], &[Path::new(SAMPLE)]);
    let c = r.totals.classes;
    assert_eq!(
        (
            c.ok,
            c.unnamed_error,
            c.malformed,
            c.documented + c.undocumented
        ),
        (184, 56, 10, 0)
    );
}

/// A custom `log_format` with `$status` last; latency in seconds becomes ms.
#[test]
fn custom_log_format_status_last() {
    let dir = Dir::new();
    let log = dir.write(
        "custom.log",
        concat!(
            r#"203.0.113.7 [27/Nov/2026:10:00:00 +0800] "GET /v3/async/txt2img HTTP/1.1" 0.250 "INVALID_API_KEY" 403"#,
            "\n",
            r#"203.0.113.7 [27/Nov/2026:10:00:01 +0800] "GET /v3/openai/models HTTP/1.1" 0.250 "-" 200"#,
            "\n",
            r#"203.0.113.7 [27/Nov/2026:10:00:02 +0800] "GET /v3/openai/models HTTP/1.1" 0.250 "INVALID_API_KEY" 401"#,
            "\n",
        ),
    );
    let format = r#"$remote_addr [$time_local] "$request" $request_time "$upstream_http_x_error_code" $status"#;
    let r = analyze_every_way(&["--log-format", format], &log, 0);
    let c = r.totals.classes;
    assert_eq!((c.documented, c.ok, c.status_mismatch), (1, 1, 1));
    assert_eq!(r.inputs[0].format.as_deref(), Some("nginx:custom"));
    assert_eq!(
        r.status_mismatches[0].example,
        format!("{}:3", log.display())
    );
    let latency = r.latency.unwrap();
    assert_eq!(latency.samples, 3);
    assert_ms(latency.p50_ms, 250.0);
    assert_ms(latency.max_ms, 250.0);
    let time = r.time.unwrap();
    assert_eq!(time.first, "2026-11-27T02:00:00Z");
    assert_eq!(time.seconds, 2.0);
}

/// A Kong-like JSON log: every field at a nested path, latency in ms, time in epoch
/// ms, the name in a response header.
const KONG: &str = concat!(
    r#"{"started_at":1795744800000,"request":{"method":"POST","uri":"/v3/openai/chat/completions","headers":{"user-agent":"OpenAI/Python 1.52.0"}},"response":{"status":429,"headers":{"x-error-code":"RATE_LIMIT_EXCEEDED"}},"latencies":{"request":250,"kong":3,"proxy":247}}"#,
    "\n",
    r#"{"started_at":1795744801000,"request":{"method":"GET","uri":"/v3/async/task-result?task_id=1","headers":{}},"response":{"status":200,"headers":{}},"latencies":{"request":250,"kong":1,"proxy":249}}"#,
    "\n",
    r#"{"started_at":1795744802000,"request":{"method":"GET","uri":"/v3/async/task-result?task_id=2","headers":{}},"response":{"status":404,"headers":{"x-error-code":"TASK_NOT_FOUND"}},"latencies":{"request":250,"kong":1,"proxy":249}}"#,
    "\n",
    r#"{"started_at":1795744803500,"request":{"method":"GET","uri":"/openapi/v1/billing/bill/list","headers":{}},"response":{"status":504,"headers":{}},"latencies":{"request":250,"kong":1,"proxy":249}}"#,
    "\n",
);

const KONG_FIELDS: &[&str] = &[
    "--field",
    "status=response.status",
    "--field",
    "path=request.uri",
    "--field",
    "latency=latencies.request:ms",
    "--field",
    "time=started_at:epoch_ms",
    "--field",
    "name=response.headers.x-error-code",
];

/// `format` is the format the report names: `json` when named on the command line,
/// `kong` when auto-detection recognizes the Kong log.
fn check_kong(r: &errscope::report::Report, format: &str) {
    let c = r.totals.classes;
    assert_eq!(
        (r.totals.lines, c.documented, c.ok, c.unnamed_error),
        (4, 2, 1, 1)
    );
    assert_eq!(r.totals.unrouted, 0);
    assert_eq!(r.inputs[0].format.as_deref(), Some(format));
    assert_eq!(
        r.inputs[0].latency_source.as_deref(),
        Some("latencies.request (ms)")
    );
    let latency = r.latency.as_ref().unwrap();
    assert_eq!(latency.samples, 4);
    assert_ms(latency.p50_ms, 250.0);
    assert_ms(latency.p99_ms, 250.0);
    let time = r.time.as_ref().unwrap();
    assert_eq!(
        (time.first.as_str(), time.last.as_str(), time.seconds),
        ("2026-11-27T02:00:00Z", "2026-11-27T02:00:03.500Z", 3.5)
    );
    let seen: Vec<(&str, &str)> = r
        .codes
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.section.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("media", "TASK_NOT_FOUND"), ("llm", "RATE_LIMIT_EXCEEDED")]
    );
    let code = r.codes.iter().find(|c| c.name == "TASK_NOT_FOUND").unwrap();
    assert_ms(code.latency.as_ref().unwrap().p50_ms, 250.0);
    assert_eq!(r.unnamed_errors[0].status, 504);
}

#[test]
fn field_overrides_on_kong_json() {
    let dir = Dir::new();
    let log = dir.write("kong.jsonl", KONG);
    let args: Vec<&str> = ["--format", "json"]
        .iter()
        .chain(KONG_FIELDS)
        .copied()
        .collect();
    check_kong(&analyze_every_way(&args, &log, 0), "json");
}

/// `--help` shows `--field latency=latencies.request:ms` without `--format json`; in
/// the default `--format auto` the overrides must not break the nginx candidates.
#[test]
fn field_overrides_with_auto_format() {
    let dir = Dir::new();
    let log = dir.write("kong.jsonl", KONG);
    check_kong(&analyze(KONG_FIELDS, &[&log]), "kong");
}

#[test]
fn bad_field_specs_name_the_value() {
    let sample = fixture("sample.log");
    for bad in [
        "bogus=x",
        "latency",
        "latency=x:hours",
        "name=x:ms",
        "path=a..b",
        "time=t:ms",
    ] {
        let out = run(&os(&[&"analyze", &"--field", &bad, &sample])).expect_code(2);
        assert!(
            out.stderr.contains(&format!("invalid --field {bad:?}")),
            "{bad}: {}",
            out.stderr
        );
    }
}

#[test]
fn bad_route_specs_name_the_value() {
    for (bad, why) in [
        ("nope", "expected PREFIX=SECTION"),
        ("v3=media", "must start with '/'"),
        (
            "/v9/=images",
            "no section \"images\" in the catalog (sections: media, llm, billing)",
        ),
    ] {
        let out = run(&["analyze", "--route", bad, SAMPLE]).expect_code(2);
        assert!(
            out.stderr.contains(&format!("invalid --route {bad:?}")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(why), "{}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn route_override_moves_a_prefix() {
    // /v3/ to llm: a media name on /v3/remove-background is now wrong_section.
    let dir = Dir::new();
    let log = dir.write(
        "route.log",
        concat!(
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/remove-background HTTP/1.1" 400 98 "-" "curl/8.5.0" 0.012 "ILLEGAL_IMAGE_CONTENT""#,
            "\n",
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET /custom/bill HTTP/1.1" 429 98 "-" "curl/8.5.0" 0.012 "LIST_BILL_TOO_FAST""#,
            "\n",
        ),
    );
    let r = analyze::<&str>(&[], &[&log]);
    assert_eq!((r.totals.classes.documented, r.totals.unrouted), (2, 1));
    let r = analyze(
        &["--route", "/v3/=llm", "--route", "/custom/=billing"],
        &[&log],
    );
    assert_eq!((r.totals.classes.wrong_section, r.totals.unrouted), (1, 0));
    assert_eq!(r.wrong_section[0].section, "llm");
    assert_eq!(r.totals.classes.documented, 1);
}

#[test]
fn bad_log_formats_are_usage_errors() {
    for (bad, why) in [
        ("abc", r#"the format "abc" has no variables"#),
        ("$status$request_time", "have no text between them"),
        ("$remote_addr $request", "no $status variable"),
    ] {
        let out = run(&["analyze", "--log-format", bad, SAMPLE]).expect_code(2);
        assert!(
            out.stderr.contains("invalid --log-format"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(why), "{bad}: {}", out.stderr);
    }
    let out = run(&["analyze", "--preset", "nope", SAMPLE]).expect_code(2);
    assert!(out
        .stderr
        .contains(r#"unknown preset "nope"; presets: gateway, combined"#));
    let out = run(&[
        "analyze", "--format", "json", "--preset", "combined", SAMPLE,
    ])
    .expect_code(2);
    assert!(
        out.stderr
            .contains("--preset combined is not a JSON format"),
        "{}",
        out.stderr
    );
}

/// CONTRIBUTING.md, "Test conventions" 2: messages name the flag or value to fix. A
/// format error that is not about the text itself still says which flag (and value)
/// to fix.
#[test]
fn log_format_errors_name_the_flag_value() {
    let bad = "$remote_addr $request";
    let out = run(&["analyze", "--log-format", bad, SAMPLE]).expect_code(2);
    assert!(
        out.stderr.contains("--log-format") || out.stderr.contains(bad),
        "{}",
        out.stderr
    );
}

/// A usage error in the format is said once, not once per input file.
#[test]
fn format_errors_are_reported_once() {
    let out = run(&["analyze", "--log-format", "abc", SAMPLE, SAMPLE_JSON]).expect_code(2);
    assert_eq!(
        out.stderr.matches("invalid --log-format").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

/// The same JSON log through stdin with small chunks: detection must look at the
/// input's first lines, not only at its first chunk.
#[test]
fn auto_detection_on_streams_ignores_chunk_size() {
    let dir = Dir::new();
    let text = [
        &b"garbage\n"[..],
        &std::fs::read(fixture("sample.jsonl")).unwrap(),
    ]
    .concat();
    let log = dir.write("late.jsonl", &text);
    let file = analyze_json(&["--chunk-size", "1"], &[&log], 0);
    assert_eq!(file.inputs[0].format.as_deref(), Some("json"));
    assert_eq!(file.totals.classes.malformed, 11);
    let stdin = analyze_stdin(&["--chunk-size", "1"], &text, 0);
    assert_eq!(stdin.inputs[0].format.as_deref(), Some("json"));
    assert_eq!(stdin.totals, file.totals);
}

/// JSON-lines aliases: `--format auto` picks JSON even when most lines lack a name.
#[test]
fn auto_picks_json_for_json_lines() {
    let dir = Dir::new();
    let log = dir.write(
        "min.jsonl",
        "{\"status\":200,\"path\":\"/v3/async/x\"}\n{\"status_code\":500,\"request\":\"GET /v3/async/x HTTP/1.1\",\"reason\":\"TASK_FAILED\",\"duration_ms\":12}\n",
    );
    let r = analyze_code::<&str>(&[], &[&log], 0);
    assert_eq!(r.inputs[0].format.as_deref(), Some("json"));
    let c = r.totals.classes;
    assert_eq!((c.ok, c.documented), (1, 1));
    assert_ms(r.latency.unwrap().max_ms, 12.0);
}

/// Formats that fit a log equally well but read its fields differently are not
/// guessed between: an Envoy Gateway log with `path` (as rewritten) added beside
/// `x-envoy-origin-path` (as the client sent it) fits `envoy-gateway` and
/// `envoy-json` alike, and each reads another path, so requests would land in
/// other sections. Exit 2, naming each and the `--preset` that picks it; named,
/// the log is read.
#[test]
fn candidates_that_disagree_are_refused() {
    let dir = Dir::new();
    let line = |status: u16, name: &str| {
        format!(
            r#"{{"start_time":"2026-11-26T02:00:00.000Z","method":"POST","x-envoy-origin-path":"/v3/openai/chat/completions","path":"/openai/v1/chat/completions","response_code":{status},"response_flags":"-","duration":12,"upstream_host":"10.244.0.11:3000","upstream_cluster":"httproute/default/llm/rule/0","route_name":"httproute/default/llm","x-error-code":{name}}}"#
        )
    };
    let text = [
        line(429, r#""RATE_LIMIT_EXCEEDED""#),
        line(200, "null"),
        line(200, "null"),
    ]
    .join("\n")
        + "\n";
    let log = dir.write("rewritten.log", text);
    let out = run(&os(&[&"analyze", &"-o", &"json", &log])).expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    for want in [
        "rewritten.log: cannot tell the log format from the first 3 lines",
        "envoy-gateway, envoy-json fit them equally well but would report them differently",
        "envoy-gateway and envoy-json read the path differently",
        "--preset envoy-gateway or --preset envoy-json",
    ] {
        assert!(out.stderr.contains(want), "{want}\n{}", out.stderr);
    }
    let r = analyze_every_way(&["--preset", "envoy-gateway"], &log, 0);
    let c = r.totals.classes;
    assert_eq!((c.ok, c.documented, c.malformed), (2, 1, 0));
    assert_eq!(r.codes.iter().find(|c| c.count > 0).unwrap().section, "llm");
}

/// A gateway log with one more field at the end (a request id) has as many fields
/// as `aws-alb` reads, and matches it whole by count; read so, the status would
/// come from the same place but every error name would be lost. Detection must
/// take it as `gateway` (with a field left unread), exactly as `--preset gateway`
/// reads it.
#[test]
fn gateway_with_a_request_id_is_not_read_as_another_format() {
    let dir = Dir::new();
    // The sample holds bytes that are not UTF-8: lines are kept as bytes.
    let sample = std::fs::read(fixture("sample.log")).unwrap();
    let mut text = Vec::new();
    for (i, l) in sample
        .strip_suffix(b"\n")
        .unwrap()
        .split(|&b| b == b'\n')
        .enumerate()
    {
        text.extend_from_slice(l);
        text.extend_from_slice(format!(" \"req-{i:04x}\"\n").as_bytes());
    }
    let log = dir.write("with-request-id.log", text);
    let out = run(&os(&[&"analyze", &"-o", &"json", &log])).expect_code(0);
    assert!(
        out.stderr.contains("format gateway") && out.stderr.contains("fields it does not read"),
        "{}",
        out.stderr
    );
    let auto = out.report();
    let preset = analyze_json(&["--preset", "gateway"], &[&log], 0);
    assert_eq!(auto.totals, preset.totals);
    assert_eq!(auto.codes, preset.codes);
    assert_eq!(auto.undocumented, preset.undocumented);
    assert_eq!(auto.status_mismatches, preset.status_mismatches);
    assert_eq!(auto.wrong_section, preset.wrong_section);
    assert_eq!(auto.malformed, preset.malformed);
    // The request id changes nothing: the classes are the sample's own.
    let plain = analyze_json(&["--preset", "gateway"], &[&fixture("sample.log")], 0);
    assert_eq!(auto.totals.classes, plain.totals.classes);
    let c = auto.totals.classes;
    assert_eq!(
        (
            c.documented,
            c.status_mismatch,
            c.wrong_section,
            c.undocumented
        ),
        (32, 7, 6, 4)
    );
}
