//! `-o openmetrics`: the report as metrics for Prometheus, through node_exporter's
//! textfile collector or a Pushgateway.
//!
//! Every value is about the run that wrote it (lines in the logs it read), so every
//! metric is a gauge, or a summary for latencies; names carry their unit
//! (`_seconds`) and no `_total`. The text is valid OpenMetrics (it ends with
//! `# EOF`) and valid Prometheus text format 0.0.4, which is what the Pushgateway
//! and `promtool check metrics` read: no `info` type (the build is a gauge
//! `errscope_build_info` of value 1, as Prometheus's own exporters do it), no
//! timestamps. Label values are escaped (`\\`, `\"`, `\n`).
//!
//! Undocumented names are as many as the report keeps (`--max-names`), plus one
//! series with `name=""` and `other="true"` for the rest, so a bug that logs random
//! names cannot blow up a time-series database.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Latency, Report};
use crate::classify::Class;

/// Write the report's metrics; `now_s` is the run's time (Unix seconds).
pub fn render(r: &Report, now_s: f64, out: &mut dyn Write) -> io::Result<()> {
    let mut m = Metrics::default();
    m.family(
        "errscope_build_info",
        "gauge",
        "The errscope version and the catalog the run checked against (value 1).",
    );
    m.sample(
        "errscope_build_info",
        &[
            ("version", &r.errscope_version),
            ("catalog", &r.catalog.source),
        ],
        1.0,
    );
    m.family(
        "errscope_last_run_timestamp_seconds",
        "gauge",
        "When the run that wrote these metrics finished (Unix time).",
    );
    m.sample("errscope_last_run_timestamp_seconds", &[], now_s);
    m.family(
        "errscope_run_complete",
        "gauge",
        "1 when every input was read in full, 0 when the report is incomplete.",
    );
    m.sample(
        "errscope_run_complete",
        &[],
        f64::from(u8::from(r.complete)),
    );
    m.family(
        "errscope_input_errors",
        "gauge",
        "Inputs that could not be read in full, or were mostly malformed.",
    );
    let failed = r.inputs.iter().filter(|i| i.error.is_some()).count();
    m.sample("errscope_input_errors", &[], failed as f64);
    if let Some(span) = &r.time {
        m.family(
            "errscope_log_last_timestamp_seconds",
            "gauge",
            "The time of the last request in the logs read (Unix time).",
        );
        let last = crate::format::timestamp::parse_text_time(span.last.as_bytes())
            .map_or(0.0, |ms| ms as f64 / 1000.0);
        m.sample("errscope_log_last_timestamp_seconds", &[], last);
    }

    m.family(
        "errscope_lines",
        "gauge",
        "Lines read in the run, by class (they add up to the lines read, with those outside --since/--until).",
    );
    for class in Class::ALL {
        let n = r.totals.classes.get(class);
        m.sample("errscope_lines", &[("class", class.as_str())], n as f64);
    }
    m.sample(
        "errscope_lines",
        &[("class", "outside_window")],
        r.totals.outside_window as f64,
    );

    m.family(
        "errscope_code_lines",
        "gauge",
        "Lines with a catalog name in a section that lists it, by the status sent: \
         documented when it is the documented status, status_mismatch otherwise.",
    );
    for c in &r.codes {
        let documented = c.status.to_string();
        for (status, n) in &c.statuses {
            let class = if *status == documented {
                Class::Documented
            } else {
                Class::StatusMismatch
            };
            m.sample(
                "errscope_code_lines",
                &[
                    ("section", &c.section),
                    ("name", &c.name),
                    ("status", status),
                    ("class", class.as_str()),
                ],
                *n as f64,
            );
        }
    }

    m.family(
        "errscope_wrong_section_lines",
        "gauge",
        "Lines with a catalog name in a section that does not list it.",
    );
    for w in &r.wrong_section {
        m.sample(
            "errscope_wrong_section_lines",
            &[
                ("section", &w.section),
                ("name", &w.name),
                ("status", &w.status.to_string()),
            ],
            w.count as f64,
        );
    }

    m.family(
        "errscope_undocumented_lines",
        "gauge",
        "Lines with an error name no section lists (names beyond --max-names together, other=\"true\").",
    );
    for u in &r.undocumented {
        m.sample(
            "errscope_undocumented_lines",
            &[("name", &u.name), ("other", "false")],
            u.count as f64,
        );
    }
    if let Some(o) = &r.undocumented_other {
        m.sample(
            "errscope_undocumented_lines",
            &[("name", ""), ("other", "true")],
            o.count as f64,
        );
    }

    m.family(
        "errscope_unnamed_error_lines",
        "gauge",
        "Error responses (status >= 400) without an error name, by status.",
    );
    for u in &r.unnamed_errors {
        m.sample(
            "errscope_unnamed_error_lines",
            &[("status", &u.status.to_string())],
            u.count as f64,
        );
    }

    m.family(
        "errscope_latency_seconds",
        "summary",
        "Latency of every request that logged one.",
    );
    m.summary("errscope_latency_seconds", &[], r.latency.as_ref());
    m.family(
        "errscope_code_latency_seconds",
        "summary",
        "Latency of the lines of each catalog code (documented and status mismatch).",
    );
    for c in r.codes.iter().filter(|c| c.count > 0) {
        let status = c.status.to_string();
        let labels = [
            ("section", c.section.as_str()),
            ("name", c.name.as_str()),
            ("status", status.as_str()),
        ];
        m.summary("errscope_code_latency_seconds", &labels, c.latency.as_ref());
    }
    m.text.push_str("# EOF\n");
    out.write_all(m.text.as_bytes())
}

/// The exposition text being written.
#[derive(Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape_label(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
    }

    /// Quantiles 0.5, 0.9, 0.99 and the count; nothing without latencies.
    fn summary(&mut self, name: &str, labels: &[(&str, &str)], latency: Option<&Latency>) {
        let Some(l) = latency else {
            return;
        };
        for (q, ms) in [("0.5", l.p50_ms), ("0.9", l.p90_ms), ("0.99", l.p99_ms)] {
            let mut with_q = labels.to_vec();
            with_q.push(("quantile", q));
            self.sample(name, &with_q, ms / 1000.0);
        }
        self.sample(&format!("{name}_count"), labels, l.samples as f64);
    }
}

/// A sample value: integers without a fraction, others as Rust prints them
/// (shortest round-trip form).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A label value: `\`, `"` and line feeds escaped.
fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: `\` and line feeds escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_numbers() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.0735), "0.0735");
        assert_eq!(number(1.7e9), "1700000000");
    }
}
