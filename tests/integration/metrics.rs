//! `-o openmetrics`: the metrics pass `promtool check metrics` (Debian `prometheus`),
//! hold the JSON report's numbers, escape label values, and reach a real
//! Pushgateway (Debian `prometheus-pushgateway`) started on 127.0.0.1 and read back.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{os, run, tool, Dir};

const SAMPLE: &str = "fixtures/sample.log";

/// The value of the one sample of `metric` whose labels include all of `labels`.
fn value(text: &str, metric: &str, labels: &[&str]) -> f64 {
    let found: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split(['{', ' '])
                .next()
                .is_some_and(|name| name == metric)
        })
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .collect();
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    found[0].rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn metrics_hold_the_reports_numbers() {
    let out = run(&["analyze", "-q", "-o", "openmetrics", SAMPLE]).expect_code(0);
    let m = out.stdout;
    assert!(m.ends_with("# EOF\n"));
    let r = run(&["analyze", "-q", "-o", "json", SAMPLE])
        .expect_code(0)
        .report();
    for (class, n) in [
        ("ok", r.totals.classes.ok),
        ("documented", r.totals.classes.documented),
        ("status_mismatch", r.totals.classes.status_mismatch),
        ("wrong_section", r.totals.classes.wrong_section),
        ("undocumented", r.totals.classes.undocumented),
        ("unnamed_error", r.totals.classes.unnamed_error),
        ("malformed", r.totals.classes.malformed),
    ] {
        let label = format!("class=\"{class}\"");
        assert_eq!(value(&m, "errscope_lines", &[&label]), n as f64, "{class}");
    }
    // Every code's lines per status sent, documented or mismatched.
    let mut code_lines = 0.0;
    for c in r.codes.iter().filter(|c| c.count > 0) {
        for (status, n) in &c.statuses {
            let labels = [
                format!("section=\"{}\"", c.section),
                format!("name=\"{}\"", c.name),
                format!("status=\"{status}\""),
            ];
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            assert_eq!(value(&m, "errscope_code_lines", &labels), *n as f64);
            code_lines += *n as f64;
        }
    }
    let classes = &r.totals.classes;
    assert_eq!(
        code_lines,
        (classes.documented + classes.status_mismatch) as f64
    );
    for u in &r.undocumented {
        let label = format!("name=\"{}\"", u.name);
        assert_eq!(
            value(&m, "errscope_undocumented_lines", &[&label]),
            u.count as f64
        );
    }
    for u in &r.unnamed_errors {
        let label = format!("status=\"{}\"", u.status);
        assert_eq!(
            value(&m, "errscope_unnamed_error_lines", &[&label]),
            u.count as f64
        );
    }
    let l = r.latency.as_ref().unwrap();
    assert_eq!(
        value(&m, "errscope_latency_seconds", &["quantile=\"0.99\""]),
        l.p99_ms / 1000.0
    );
    assert_eq!(
        value(&m, "errscope_latency_seconds_count", &[]),
        l.samples as f64
    );
    assert_eq!(value(&m, "errscope_run_complete", &[]), 1.0);
    assert!(value(&m, "errscope_last_run_timestamp_seconds", &[]) > 1.7e9);
}

/// Checked by Prometheus's own linter, with hostile names in the labels.
#[test]
fn promtool_accepts_the_metrics() {
    let Some(promtool) = tool("promtool", "prometheus") else {
        return;
    };
    let dir = Dir::new();
    let hostile = "203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] \"GET /v3/async/x HTTP/1.1\" 429 0 \"-\" \"c\" 0.1 \"BAD\\\"NAME\\\\X\"\n";
    let (log, _) = dir.generate("gateway", 5000, 4);
    let mut text = std::fs::read(&log).unwrap();
    text.extend_from_slice(hostile.as_bytes());
    let log = dir.write("day.log", text);
    for args in [
        os(&[&"analyze", &"-q", &"-o", &"openmetrics", &SAMPLE]),
        os(&[&"analyze", &"-q", &"-o", &"openmetrics", &log]),
        // An incomplete run: still valid metrics, saying so.
        os(&[&"analyze", &"-q", &"-o", &"openmetrics", &log, &"gone.log"]),
    ] {
        let out = run(&args);
        assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
        let mut check = Command::new(&promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        check
            .stdin
            .take()
            .unwrap()
            .write_all(out.stdout.as_bytes())
            .unwrap();
        let result = check.wait_with_output().unwrap();
        assert!(
            result.status.success(),
            "promtool: {}{}\n{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr),
            out.stdout
        );
        if out.code == 2 {
            assert_eq!(value(&out.stdout, "errscope_run_complete", &[]), 0.0);
            assert_eq!(value(&out.stdout, "errscope_input_errors", &[]), 1.0);
        }
    }
    let out = run(&os(&[&"analyze", &"-q", &"-o", &"openmetrics", &log])).expect_code(0);
    // The name is kept as the log wrote it (`BAD\"NAME\\X`); each of its quotes
    // and backslashes is escaped in the label.
    assert!(
        out.stdout.contains(r#"name="BAD\\\"NAME\\\\X""#),
        "{}",
        out.stdout
    );
}

/// A Pushgateway on 127.0.0.1, stopped when dropped.
struct Pushgateway {
    child: Child,
    port: u16,
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request to the gateway; the response's status line and body.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain; version=0.0.4\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

fn start_pushgateway() -> Option<Pushgateway> {
    let program = tool("prometheus-pushgateway", "prometheus-pushgateway")?;
    // A free port on loopback, for the gateway to listen on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(program)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let gateway = Pushgateway { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/-/ready", b"").0.contains("200")
        {
            return Some(gateway);
        }
        assert!(Instant::now() < deadline, "the Pushgateway did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn metrics_reach_a_pushgateway() {
    let Some(gateway) = start_pushgateway() else {
        return;
    };
    let out = run(&["analyze", "-q", "-o", "openmetrics", SAMPLE]).expect_code(0);
    let (status, body) = http(
        gateway.port,
        "PUT",
        "/metrics/job/errscope/instance/gw1",
        out.stdout.as_bytes(),
    );
    assert!(status.contains(" 200"), "{status}: {body}");
    let (status, scraped) = http(gateway.port, "GET", "/metrics", b"");
    assert!(status.contains(" 200"), "{status}");
    let labels = ["job=\"errscope\"", "instance=\"gw1\"", "class=\"ok\""];
    assert_eq!(value(&scraped, "errscope_lines", &labels), 184.0);
    let labels = [
        "job=\"errscope\"",
        "name=\"ANONYMOUS_ACCESS_QUOTA_EXCEEDS\"",
    ];
    assert_eq!(value(&scraped, "errscope_undocumented_lines", &labels), 1.0);
}
