//! `-o html`: the report as one self-contained page to look at in a browser.
//!
//! The page needs nothing but itself: no scripts, fonts, stylesheets or images are
//! loaded (a Content-Security-Policy `default-src 'none'` says so to the browser),
//! the CSS is inline and every chart is inline SVG. Charts stretch with their
//! `viewBox` (`preserveAspectRatio="none"`, strokes that do not scale) while their
//! labels stay HTML text, so they read the same at 1280 px and on a phone; tables
//! scroll sideways inside their card on narrow screens.
//!
//! Every string that comes from a log or a catalog is written through [`Esc`]:
//! control characters are made visible (`\x1b`) and `& < > " '` are escaped, so a
//! log line can neither break the markup nor run code.
//!
//! One function per part of the page, in page order: `header`, `timeline`,
//! `top_codes`, `findings`, `code_tables`, `never_seen`, `other_errors`,
//! `endpoints`, `inputs`. This file writes the page's frame (head, header, key
//! figures, navigation); the parts live beside it:
//!
//! - [`charts`]: the inline SVG charts (timeline, top codes, share bars, sparklines);
//! - [`tables`]: the findings callouts and the tables of codes, errors, endpoints
//!   and inputs;
//! - [`text`]: escaping ([`Esc`]) and how numbers, times and durations are written;
//! - `style.css`: the page's stylesheet, inlined.

mod charts;
mod tables;
mod text;

use std::fmt::Write as _;
use std::io::{self, Write};

use super::table::{percent, ratio, thousands};
use super::Report;
use crate::classify::Class;
use charts::{legend, share_bar, timeline, top_codes};
use tables::{code_tables, endpoints, findings, inputs, never_seen, notices, other_errors};
pub use text::Esc;
use text::{bytes_text, day_text, duration_text, ms_text, plural, time_text};

/// The bucket `-o html` analyzes with when `--bucket` is not given, in ms: fine
/// enough for a day; the charts merge buckets to at most `MAX_CHART_POINTS`.
pub const DEFAULT_BUCKET_MS: i64 = 60_000;

/// The page's stylesheet (inline: the page loads nothing).
const STYLE: &str = include_str!("style.css");

/// The classes of error responses, in stacking order.
const ERROR_CLASSES: [Class; 5] = [
    Class::Documented,
    Class::StatusMismatch,
    Class::WrongSection,
    Class::Undocumented,
    Class::UnnamedError,
];

/// Write the whole page.
pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    head(r, out)?;
    writeln!(out, "<body>\n<main>")?;
    header(r, out)?;
    notices(r, out)?;
    nav(r, out)?;
    timeline(r, out)?;
    top_codes(r, out)?;
    findings(r, out)?;
    code_tables(r, out)?;
    never_seen(r, out)?;
    other_errors(r, out)?;
    endpoints(r, out)?;
    inputs(r, out)?;
    writeln!(
        out,
        "<footer>errscope {} · report schema {} v{} · times in UTC</footer>",
        Esc(&r.errscope_version),
        Esc(&r.schema),
        r.version
    )?;
    writeln!(out, "</main>\n</body>\n</html>")
}

/// The CSS class that colors a report class (fill in SVG, background in HTML).
fn kind(class: Class) -> &'static str {
    match class {
        Class::Ok => "k-ok",
        Class::Documented => "k-doc",
        Class::StatusMismatch => "k-mis",
        Class::WrongSection => "k-wrong",
        Class::Undocumented => "k-undoc",
        Class::UnnamedError => "k-unnamed",
        Class::Malformed => "k-malformed",
    }
}

/// How a class is called on the page.
fn label(class: Class) -> &'static str {
    match class {
        Class::Ok => "ok",
        Class::Documented => "documented",
        Class::StatusMismatch => "status mismatch",
        Class::WrongSection => "wrong section",
        Class::Undocumented => "undocumented",
        Class::UnnamedError => "unnamed error",
        Class::Malformed => "malformed",
    }
}

fn head(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let title = match &r.time {
        Some(span) => format!("errscope report · {}", day_text(&span.first)),
        None => "errscope report".to_string(),
    };
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    // Nothing may be fetched or run: the page is its own inline CSS and SVG.
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"
    )?;
    writeln!(
        out,
        "<meta name=\"generator\" content=\"errscope {}\">",
        Esc(&r.errscope_version)
    )?;
    writeln!(out, "<title>{}</title>", Esc(&title))?;
    writeln!(out, "<style>\n{STYLE}</style>\n</head>")
}

/// Title, inputs, time span, totals and the share of every class.
fn header(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    writeln!(out, "<header class=\"card\" id=\"summary\">")?;
    writeln!(out, "<h1>errscope report</h1>")?;
    writeln!(
        out,
        "<p class=\"muted\">{} lines from {} checked against the {} catalog ({})</p>",
        thousands(t.lines),
        plural(r.inputs.len() as u64, "input", "inputs"),
        Esc(&r.catalog.source),
        super::catalog::size(r.catalog.sections.len(), r.catalog.entries, r.catalog.names),
    )?;
    writeln!(out, "<dl class=\"meta\">")?;
    writeln!(out, "<dt>Inputs</dt><dd>{}</dd>", input_summary(r))?;
    match &r.time {
        Some(span) => writeln!(
            out,
            "<dt>Time</dt><dd>{} → {} UTC <span class=\"muted\">({})</span></dd>",
            Esc(&time_text(&span.first)),
            Esc(&time_text(&span.last)),
            duration_text(span.seconds as u64)
        )?,
        None => writeln!(out, "<dt>Time</dt><dd>no line carried a readable time</dd>")?,
    }
    if let Some(w) = &r.window {
        writeln!(
            out,
            "<dt>Window</dt><dd>{} → {} <span class=\"muted\">({} lines outside it not counted)</span></dd>",
            Esc(w.since.as_deref().unwrap_or("…")),
            Esc(w.until.as_deref().unwrap_or("…")),
            thousands(t.outside_window)
        )?;
    }
    for (name, n) in t.other_lines() {
        writeln!(
            out,
            "<dt>{name}</dt><dd>{} lines read, not classified</dd>",
            thousands(n)
        )?;
    }
    if let Some(l) = &r.latency {
        writeln!(
            out,
            "<dt>Latency</dt><dd>p50 {} · p90 {} · p99 {} · max {} <span class=\"muted\">over {} requests</span></dd>",
            ms_text(l.p50_ms),
            ms_text(l.p90_ms),
            ms_text(l.p99_ms),
            ms_text(l.max_ms),
            thousands(l.samples)
        )?;
    }
    writeln!(out, "</dl>")?;
    kpis(r, out)?;
    share_bar(&t.classes, t.lines, out)?;
    legend(&Class::ALL, out)?;
    writeln!(out, "</header>")
}

/// The inputs in one line: the first few paths, and how many more.
fn input_summary(r: &Report) -> String {
    const SHOWN: usize = 3;
    let mut text = r
        .inputs
        .iter()
        .take(SHOWN)
        .map(|i| {
            format!(
                "<code>{}</code> <span class=\"muted\">{}, {}</span>",
                Esc(&i.path),
                Esc(i.format.as_deref().unwrap_or("not read")),
                bytes_text(i.bytes)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>");
    if r.inputs.len() > SHOWN {
        let _ = write!(
            text,
            "<br><a href=\"#inputs\">and {} more</a>",
            r.inputs.len() - SHOWN
        );
    }
    if r.inputs.iter().any(|i| i.error.is_some()) {
        text.push_str("<br><a href=\"#inputs\"><b>some inputs could not be read fully</b></a>");
    }
    text
}

/// The headline numbers, each linking to its part of the page.
fn kpis(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    let c = &t.classes;
    writeln!(out, "<div class=\"kpis\">")?;
    writeln!(
        out,
        "<div class=\"kpi\"><b>{}</b><span>requests</span></div>",
        thousands(t.requests)
    )?;
    writeln!(
        out,
        "<a class=\"kpi\" href=\"#timeline\"><b>{}</b><span>errors · {} of requests</span></a>",
        thousands(t.errors),
        percent(ratio(t.errors, t.requests))
    )?;
    let cards: [(Class, &str, &str); 6] = [
        (Class::Documented, "#codes", "documented errors"),
        (
            Class::Undocumented,
            "#undocumented",
            "with undocumented names",
        ),
        (
            Class::StatusMismatch,
            "#status-mismatches",
            "with a status mismatch",
        ),
        (
            Class::WrongSection,
            "#wrong-section",
            "in the wrong section",
        ),
        (Class::UnnamedError, "#unnamed", "errors without a name"),
        (Class::Malformed, "#malformed", "malformed lines"),
    ];
    for (class, href, what) in cards {
        let n = c.get(class);
        let alert = n > 0 && !matches!(class, Class::Documented);
        writeln!(
            out,
            "<a class=\"kpi {}{}\" href=\"{href}\"><b>{}</b><span>{what}</span></a>",
            kind(class),
            if alert { " alert" } else { "" },
            thousands(n)
        )?;
    }
    writeln!(out, "</div>")
}

fn nav(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    write!(out, "<nav aria-label=\"sections\">")?;
    let links = [
        ("#timeline", "Over time"),
        ("#top-codes", "Top codes"),
        ("#findings", "Findings"),
        ("#codes", "Catalog codes"),
        ("#never-seen", "Never seen"),
        ("#unnamed", "Without a name"),
        ("#endpoints", "Endpoints"),
        ("#inputs", "Inputs"),
    ];
    for (href, text) in links {
        if href == "#endpoints" && r.endpoints.is_empty() {
            continue;
        }
        write!(out, "<a href=\"{href}\">{text}</a>")?;
    }
    writeln!(out, "</nav>")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::charts::{nice_ceiling, Grid};
    use super::text::{short_time, slug};
    use super::*;
    use crate::report::{
        Bucket, CatalogInfo, Endpoint, Input, Malformed, MalformedExample, Mismatch, Totals,
        Undocumented, Unnamed, WrongSection,
    };
    use crate::report::{ClassCounts, Code, TimeSeries};

    const HOSTILE: &str = "<script>alert(1)</script>\"onload=alert(2) x='\x1b[31m\0";

    fn statuses(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(s, n)| (s.to_string(), *n)).collect()
    }

    fn bucket(start: &str, documented: u64, ok: u64) -> Bucket {
        Bucket {
            start: start.into(),
            requests: documented + ok,
            errors: documented,
            classes: ClassCounts {
                ok,
                documented,
                ..ClassCounts::default()
            },
        }
    }

    /// A small report with `text` in every field that comes from a log or a catalog.
    fn report(text: &str) -> Report {
        let classes = ClassCounts {
            ok: 10,
            documented: 3,
            status_mismatch: 1,
            wrong_section: 1,
            undocumented: 2,
            unnamed_error: 1,
            malformed: 1,
        };
        let code = |name: &str, count: u64, series: Vec<u64>| Code {
            section: text.into(),
            name: name.into(),
            status: 403,
            count,
            share_of_requests: count as f64 / 18.0,
            share_of_errors: count as f64 / 8.0,
            per_second: Some(0.1),
            latency: None,
            statuses: if count > 0 {
                statuses(&[("403", count - 1), ("500", 1)])
            } else {
                BTreeMap::new()
            },
            series: Some(series),
        };
        Report {
            schema: crate::report::SCHEMA.into(),
            version: crate::report::VERSION,
            errscope_version: "0.0.0".into(),
            build: None,
            complete: false,
            catalog: CatalogInfo {
                source: text.into(),
                sections: vec![text.into()],
                entries: 2,
                names: 2,
            },
            inputs: vec![Input {
                path: text.into(),
                format: Some(text.into()),
                latency_source: None,
                compression: None,
                envelope: None,
                bytes: 2048,
                lines: 19,
                malformed: 0,
                error: Some(text.into()),
                resumed: None,
            }],
            totals: Totals {
                lines: 19,
                bytes: 0,
                outside_window: 0,
                not_access: 0,
                no_response: 0,
                continued: 0,
                requests: 18,
                errors: 8,
                unrouted: 1,
                bad_time: 0,
                classes,
            },
            time: Some(crate::report::TimeSpan {
                first: "2026-11-25T16:00:00Z".into(),
                last: "2026-11-25T16:02:30Z".into(),
                seconds: 150.0,
            }),
            window: None,
            bad_time_examples: vec![],
            time_series: Some(TimeSeries {
                bucket_seconds: 60,
                buckets: vec![
                    bucket("2026-11-25T16:00:00Z", 2, 5),
                    bucket("2026-11-25T16:01:00Z", 0, 0),
                    bucket("2026-11-25T16:02:00Z", 2, 5),
                ],
                overflow: 0,
            }),
            status_classes: statuses(&[("2xx", 10), ("4xx", 6), ("5xx", 2)]),
            statuses: statuses(&[("200", 10), ("403", 6), ("500", 2)]),
            latency: None,
            codes: vec![
                code(text, 4, vec![2, 0, 2]),
                code("NEVER", 0, vec![0, 0, 0]),
            ],
            status_mismatches: vec![Mismatch {
                section: text.into(),
                name: text.into(),
                documented_status: 403,
                observed_status: 500,
                count: 1,
                example: format!("{text}:3"),
            }],
            wrong_section: vec![WrongSection {
                section: text.into(),
                name: text.into(),
                status: 403,
                listed_in: [(text.to_string(), 403)].into(),
                count: 1,
                example: format!("{text}:4"),
            }],
            undocumented: vec![Undocumented {
                name: text.into(),
                count: 2,
                statuses: statuses(&[("429", 2)]),
                first_seen: None,
                last_seen: None,
                example: format!("{text}:5"),
                resembles: Some(text.into()),
            }],
            undocumented_other: None,
            unnamed_errors: vec![Unnamed {
                status: 504,
                count: 1,
                share_of_errors: 0.125,
                latency: None,
                example: format!("{text}:6"),
            }],
            malformed: Malformed {
                count: 1,
                reasons: statuses(&[(text, 1)]),
                examples: vec![MalformedExample {
                    location: format!("{text}:7"),
                    reason: text.into(),
                }],
            },
            endpoints: vec![Endpoint {
                endpoint: text.into(),
                requests: 18,
                errors: 8,
                classes,
            }],
            endpoints_other: None,
        }
    }

    fn page(r: &Report) -> String {
        let mut out = Vec::new();
        render(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn log_and_catalog_text_is_escaped_and_controls_made_visible() {
        let html = page(&report(HOSTILE));
        assert!(!html.contains("<script"), "a raw <script> tag");
        assert!(!html.contains("\"onload="), "an attribute could be opened");
        assert!(!html.contains("x='"), "a quote reached the markup");
        assert!(
            !html.contains('\x1b') && !html.contains('\0'),
            "raw controls"
        );
        let escaped =
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onload=alert(2) x=&#39;\\x1b[31m\\x00";
        // Names, endpoints, paths, sections, examples, reasons, the catalog source.
        assert!(html.matches(escaped).count() >= 15, "{html}");
    }

    #[test]
    fn bidi_overrides_are_made_visible() {
        assert_eq!(Esc("a\u{202e}b&").to_string(), "a\\u{202e}b&amp;");
    }

    #[test]
    fn loads_nothing_and_runs_nothing() {
        let html = page(&report("NAME"));
        for needle in [
            "<script", "<link", "<img", "src=", "url(", "@import", "http:", "https:",
        ] {
            assert!(!html.contains(needle), "{needle} in the page");
        }
        assert!(html.contains("Content-Security-Policy"));
    }

    #[test]
    fn every_part_of_the_page_is_there() {
        let html = page(&report("NAME"));
        for id in [
            "summary",
            "timeline",
            "chart-requests",
            "chart-errors",
            "top-codes",
            "findings",
            "undocumented",
            "status-mismatches",
            "wrong-section",
            "codes",
            "codes-NAME",
            "never-seen",
            "unnamed",
            "malformed",
            "endpoints",
            "inputs",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
        }
        // The code never seen is listed as such.
        assert!(html.contains("<span class=\"mono\">NEVER</span>"));
    }

    #[test]
    fn renders_without_time_series_or_traffic() {
        let mut r = report("NAME");
        r.time_series = None;
        r.time = None;
        for c in &mut r.codes {
            c.series = None;
        }
        let html = page(&r);
        assert!(html.contains("No time series"));
        r.codes.clear();
        r.undocumented.clear();
        r.unnamed_errors.clear();
        r.status_mismatches.clear();
        r.wrong_section.clear();
        r.endpoints.clear();
        r.totals.classes = ClassCounts::default();
        assert!(page(&r).contains("No error responses."));
    }

    #[test]
    fn grid_merges_buckets_by_time() {
        let series = TimeSeries {
            bucket_seconds: 60,
            buckets: (0..10)
                .map(|m| bucket(&format!("2026-11-25T16:{m:02}:00Z"), 1, 0))
                .collect(),
            overflow: 0,
        };
        let grid = Grid::new(&series, 4).unwrap();
        assert_eq!(grid.regroup([1; 10]), vec![3, 3, 3, 1]);
        assert_eq!(grid.step_ms, 180_000);
        // A sparse series keeps its gaps.
        let sparse = TimeSeries {
            bucket_seconds: 60,
            buckets: vec![
                bucket("2026-11-25T16:00:00Z", 1, 0),
                bucket("2026-11-25T16:09:00Z", 1, 0),
            ],
            overflow: 0,
        };
        let grid = Grid::new(&sparse, 5).unwrap();
        assert_eq!(grid.regroup([1, 1]), vec![1, 0, 0, 0, 1]);
    }

    #[test]
    fn number_and_time_formats() {
        assert_eq!(nice_ceiling(0), 2);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(11), 12);
        assert_eq!(nice_ceiling(290), 300);
        assert_eq!(nice_ceiling(1001), 1200);
        assert_eq!(duration_text(86_120), "23 h 55 min");
        assert_eq!(duration_text(600), "10 min");
        assert_eq!(duration_text(90_000), "1 d 1 h");
        assert_eq!(duration_text(0), "0 s");
        assert_eq!(ms_text(813.2), "813 ms");
        assert_eq!(ms_text(1790.0), "1.79 s");
        assert_eq!(ms_text(60_031.0), "60 s");
        assert_eq!(short_time("2026-11-25T16:00:00Z"), "11-25 16:00");
        assert_eq!(slug("a b<c"), "a-b-c");
    }
}
