//! Gateway presets end to end: every fixture under `fixtures/gateways/` is analyzed
//! with its preset and with `--format auto`, with exact class counts.
//!
//! Each fixture's first line is the preset's example line, in the shape its
//! gateway's documentation shows (written without network access, so in the
//! documented shape rather than copied byte for byte; the example lines of the Apache
//! and Envoy pages are reproduced as those pages print them). Sources:
//! - combined.log, common.log, apache-custom.log: https://httpd.apache.org/docs/current/logs.html
//!   and https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format
//! - nginx-json.log: https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format (escape=json)
//! - envoy.log: https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string
//! - envoy-json.log: https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#format-dictionaries
//! - ingress-nginx.log: https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format/
//! - apisix-text.log: apache/apisix conf/config.yaml.example, `access_log_format`
//! - envoy-gateway.log: https://gateway.envoyproxy.io/docs/tasks/observability/proxy-observability/#logs
//! - istio.log: https://istio.io/latest/docs/tasks/observability/logs/access-log/ (line 1:
//!   the page's example)
//! - kong.log: https://docs.konghq.com/hub/kong-inc/file-log/
//! - apisix.log: https://apisix.apache.org/docs/apisix/plugins/file-logger/
//! - traefik.log: https://doc.traefik.io/traefik/observability/access-logs/
//! - traefik-clf.log: https://doc.traefik.io/traefik/observability/access-logs/#format;
//!   its first line is the "full log" line of Traefik's own parser test
//!   (traefik/traefik, pkg/middlewares/accesslog/parser_test.go, MIT)
//! - caddy.log: https://caddyserver.com/docs/logging
//! - aws-apigw.log: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
//! - haproxy.log: https://docs.haproxy.org/2.8/configuration.html#8.2.3 (line 1: the
//!   manual's httplog example)
//! - aws-alb.log: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
//! - aws-elb.log: https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
//!   (line 1 of each: the page's HTTP example entry)
//! - logfmt.log: https://brandur.org/logfmt
//!
//! After the example, each fixture holds the same requests in its gateway's shape:
//! a documented name, a name with another status, a name from another section, an
//! undocumented name, an unnamed 404, an IPv6 client with quotes in its user agent,
//! and a line cut mid-way.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn errscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errscope"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run errscope")
}

fn fixture(name: &str) -> String {
    format!("fixtures/gateways/{name}")
}

/// Analyze with `args`, expecting success; the JSON report.
fn report(args: &[&str]) -> Value {
    let mut all = vec!["analyze", "-o", "json"];
    all.extend_from_slice(args);
    let out = errscope(&all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// Class counts in the order ok, documented, status_mismatch, wrong_section,
/// undocumented, unnamed_error, malformed.
fn classes(r: &Value) -> [u64; 7] {
    let c = &r["totals"]["classes"];
    [
        "ok",
        "documented",
        "status_mismatch",
        "wrong_section",
        "undocumented",
        "unnamed_error",
        "malformed",
    ]
    .map(|k| c[k].as_u64().unwrap_or_else(|| panic!("class {k}")))
}

/// Formats that log the error name: every kind of line lands in its own class.
const NAMED: [u64; 7] = [2, 1, 1, 1, 1, 1, 1];
/// Formats without a name: the four named errors are unnamed errors.
const UNNAMED: [u64; 7] = [2, 0, 0, 0, 0, 5, 1];

/// (fixture, preset, format name in the report, class counts, latency samples).
const CASES: &[(&str, &str, &str, [u64; 7], u64)] = &[
    ("combined.log", "combined", "nginx:combined", UNNAMED, 0),
    // The TLS handshake line is one more unnamed error (400), and no second ok.
    ("common.log", "common", "common", [1, 0, 0, 0, 0, 6, 1], 0),
    ("nginx-json.log", "nginx-json", "nginx-json", NAMED, 7),
    ("envoy.log", "envoy", "envoy", UNNAMED, 7),
    ("envoy-json.log", "envoy-json", "envoy-json", NAMED, 7),
    (
        "envoy-gateway.log",
        "envoy-gateway",
        "envoy-gateway",
        UNNAMED,
        7,
    ),
    // Istio's documented example is a 418: one more unnamed error, one ok fewer.
    ("istio.log", "istio", "istio", [1, 0, 0, 0, 0, 6, 1], 7),
    ("kong.log", "kong", "kong", NAMED, 7),
    ("apisix.log", "apisix", "apisix", NAMED, 7),
    ("apisix-text.log", "apisix-text", "apisix-text", UNNAMED, 7),
    // Line 7 lists two upstreams (a retry): only fields after the status shift.
    (
        "ingress-nginx.log",
        "ingress-nginx",
        "ingress-nginx",
        UNNAMED,
        7,
    ),
    ("traefik.log", "traefik", "traefik", NAMED, 7),
    // Traefik's default CLF logs no error name; its router names are not names.
    ("traefik-clf.log", "traefik-clf", "traefik-clf", UNNAMED, 7),
    ("caddy.log", "caddy", "caddy", NAMED, 7),
    // The name from a captured response header, `{INVALID_API_KEY}`.
    ("haproxy.log", "haproxy", "haproxy", NAMED, 7),
    // Load balancers log no error name; the target's processing time is the latency.
    ("aws-alb.log", "aws-alb", "aws-alb", UNNAMED, 7),
    ("aws-elb.log", "aws-elb", "aws-elb", UNNAMED, 7),
    // API Gateway cannot log a response header: its errors carry no name.
    ("aws-apigw.log", "aws-apigw", "aws-apigw", UNNAMED, 6),
    // The documented Heroku line has no latency under a default key.
    ("logfmt.log", "logfmt", "logfmt", NAMED, 6),
];

#[test]
fn every_preset_analyzes_its_fixture() {
    for &(file, preset, format, want, latency_samples) in CASES {
        let r = report(&["--preset", preset, &fixture(file)]);
        assert_eq!(classes(&r), want, "{file}");
        assert_eq!(r["totals"]["lines"], 8, "{file}");
        assert_eq!(r["inputs"][0]["format"], format, "{file}");
        // No latency at all: the report's latency is null.
        let samples = r["latency"]["samples"].as_u64().unwrap_or(0);
        assert_eq!(samples, latency_samples, "{file}");
    }
}

#[test]
fn auto_picks_the_right_preset_for_every_fixture() {
    for &(file, _, format, want, _) in CASES {
        let r = report(&[&fixture(file)]);
        assert_eq!(r["inputs"][0]["format"], format, "{file}");
        assert_eq!(classes(&r), want, "{file}");
        // --format auto said explicitly, with --preset left out, is the same.
        let r = report(&["--format", "auto", &fixture(file)]);
        assert_eq!(r["inputs"][0]["format"], format, "{file}");
    }
}

#[test]
fn fixtures_start_with_the_presets_example_line() {
    let out = errscope(&["presets", "-o", "json"]);
    assert!(out.status.success());
    let presets: Value = serde_json::from_slice(&out.stdout).unwrap();
    for &(file, preset, ..) in CASES {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture(file)))
                .unwrap();
        let example = presets
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == preset)
            .unwrap_or_else(|| panic!("{preset} listed"))["example"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(text.lines().next(), Some(example.as_str()), "{file}");
    }
}

#[test]
fn named_errors_land_where_they_belong() {
    let r = report(&["--preset", "caddy", &fixture("caddy.log")]);
    assert_eq!(r["status_mismatches"][0]["name"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(r["status_mismatches"][0]["observed_status"], 503);
    assert_eq!(r["wrong_section"][0]["name"], "MODEL_NOT_FOUND");
    assert_eq!(
        r["undocumented"][0]["name"],
        "ANONYMOUS_ACCESS_QUOTA_EXCEEDS"
    );
    // APISIX: the documented name is read from the logged body (include_resp_body).
    let r = report(&["--preset", "apisix", &fixture("apisix.log")]);
    let documented: Vec<&Value> = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "INVALID_API_KEY" && c["count"] == 1)
        .collect();
    assert_eq!(documented.len(), 1, "{documented:?}");
}

#[test]
fn apache_format_flag() {
    let fmt = r#"%h %l %u %t \"%r\" %>s %b %D \"%{X-Error-Code}o\""#;
    let r = report(&["--apache-format", fmt, &fixture("apache-custom.log")]);
    assert_eq!(classes(&r), NAMED);
    assert_eq!(r["inputs"][0]["format"], "apache:custom");
    assert_eq!(r["inputs"][0]["latency_source"], "$request_time_us (us)");
    assert_eq!(r["latency"]["samples"], 7);
    // An unsupported directive is a usage error naming it.
    let out = errscope(&[
        "analyze",
        "--apache-format",
        "%>s %Z",
        &fixture("apache-custom.log"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("%Z"));
}

#[test]
fn mixed_formats_in_one_file_are_not_guessed() {
    let out = errscope(&["analyze", "-o", "json", &fixture("mixed.log")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot tell the log format"), "{stderr}");
    assert!(
        stderr.contains("gateway (3 of 6)") && stderr.contains("kong (3 of 6)"),
        "{stderr}"
    );
    // Naming the format reads what it can: the other half is malformed.
    let r = report(&["--preset", "kong", &fixture("mixed.log")]);
    assert_eq!(classes(&r), [3, 0, 0, 0, 0, 0, 3]);
}

#[test]
fn preset_flag_checks() {
    let out = errscope(&["analyze", "--preset", "nope", &fixture("kong.log")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("caddy"));
    let out = errscope(&[
        "analyze",
        "--format",
        "json",
        "--preset",
        "envoy",
        &fixture("envoy.log"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Aliases, and a preset of the family --format names.
    let r = report(&["--preset", "apache-combined", &fixture("combined.log")]);
    assert_eq!(classes(&r), UNNAMED);
    let r = report(&["--format", "json", "--preset", "kong", &fixture("kong.log")]);
    assert_eq!(classes(&r), NAMED);
    // The old nginx spelling still works.
    let r = report(&[
        "--format",
        "nginx",
        "--preset",
        "gateway",
        "fixtures/sample.log",
    ]);
    assert_eq!(r["inputs"][0]["format"], "nginx:gateway");
}

#[test]
fn presets_command_lists_every_preset() {
    let out = errscope(&["presets"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "gateway",
        "combined",
        "common",
        "nginx-json",
        "envoy",
        "envoy-json",
        "kong",
        "apisix",
        "traefik",
        "traefik-clf",
        "caddy",
        "haproxy",
        "ingress-nginx",
        "apisix-text",
        "envoy-gateway",
        "istio",
        "aws-apigw",
        "aws-alb",
        "aws-elb",
        "logfmt",
    ] {
        assert!(
            text.contains(&format!("\n{name}")) || text.starts_with(name),
            "{name}"
        );
    }
    assert!(text.contains("example: [2016-04-15T20:17:00.310Z]"));
    let out = errscope(&["presets", "-o", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 20);
    for p in list.as_array().unwrap() {
        for key in ["name", "description", "format", "example", "source"] {
            assert!(p[key].as_str().is_some_and(|s| !s.is_empty()), "{p}: {key}");
        }
    }
}

/// Traefik's default log, read with no flags, invents no error name: its router
/// names (`api@docker`, `Host-host-1`, `testRouter`) were read as names by the
/// `gateway` preset, which made every line an undocumented finding and
/// `--fail-on undocumented` fail. Now nothing is undocumented and the run passes.
#[test]
fn traefik_clf_invents_no_finding() {
    let out = errscope(&[
        "analyze",
        "-o",
        "json",
        "--fail-on",
        "undocumented",
        &fixture("traefik-clf.log"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["inputs"][0]["format"], "traefik-clf");
    assert_eq!(r["totals"]["classes"]["undocumented"], 0);
    assert_eq!(r["undocumented"].as_array().map(Vec::len), Some(0));
}
