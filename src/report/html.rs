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
//! `endpoints`, `inputs`.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};

use super::table::{escape_control, percent, ratio, thousands};
use super::{ClassCounts, Code, Latency, Report, TimeSeries};
use crate::classify::Class;
use crate::timestamp;

/// The bucket `-o html` analyzes with when `--bucket` is not given, in ms: fine
/// enough for a day; the charts merge buckets to at most `MAX_CHART_POINTS`.
pub const DEFAULT_BUCKET_MS: i64 = 60_000;

/// Columns at most in the timeline chart; finer series are merged.
const MAX_CHART_POINTS: usize = 120;
/// Points at most in a code's sparkline.
const MAX_SPARK_POINTS: usize = 48;
/// Bars in the top-codes chart.
const TOP_CODES: usize = 15;
/// Rows of a callout shown before the rest is folded away.
const SHOWN_ROWS: usize = 8;
/// Rows written at most per table; the JSON report has them all.
const MAX_ROWS: usize = 200;
/// Endpoints listed.
const TOP_ENDPOINTS: usize = 20;

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

/// Text from a log or a catalog, ready for HTML text or a quoted attribute.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in escape_control(self.0).chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                // Bidirectional overrides could reorder what a reader sees.
                '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                    write!(f, "\\u{{{:04x}}}", c as u32)?
                }
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
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

const STYLE: &str = r#"
:root{--bg:#f4f5f7;--card:#fff;--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--soft:#f9fafb;--accent:#2563eb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:24px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:18px;margin:0 0 4px}
h3{font-size:15px;margin:18px 0 8px}
p{margin:0 0 10px}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.muted{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(16,24,40,.04);min-width:0}
.card>p.lead{color:var(--muted);margin-bottom:14px}
.wrap{overflow-wrap:anywhere}
header.card{padding:22px 22px 18px}
.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 14px;margin:12px 0 16px}
.meta dt{color:var(--muted)}
.meta dd{margin:0;overflow-wrap:anywhere}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:10px;margin-bottom:16px}
.kpi{display:block;border:1px solid var(--line);border-radius:10px;padding:10px 12px;background:var(--soft);color:inherit;border-left:4px solid #cbd5e1}
a.kpi:hover{text-decoration:none;border-color:#94a3b8}
.kpi b{display:block;font-size:22px;line-height:1.2;font-variant-numeric:tabular-nums}
.kpi span{color:var(--muted);font-size:12.5px}
.kpi.alert b{color:#b91c1c}
.kpi.k-doc,.kpi.k-mis,.kpi.k-wrong,.kpi.k-undoc,.kpi.k-unnamed,.kpi.k-malformed{background:var(--soft)}
.kpi.k-doc{border-left-color:#3b82f6}.kpi.k-mis{border-left-color:#f59e0b}.kpi.k-wrong{border-left-color:#a855f7}
.kpi.k-undoc{border-left-color:#e11d48}.kpi.k-unnamed{border-left-color:#14b8a6}.kpi.k-malformed{border-left-color:#78716c}
.k-ok{fill:#d5dbe3;background:#d5dbe3}
.k-doc{fill:#3b82f6;background:#3b82f6}
.k-mis{fill:#f59e0b;background:#f59e0b}
.k-wrong{fill:#a855f7;background:#a855f7}
.k-undoc{fill:#e11d48;background:#e11d48}
.k-unnamed{fill:#14b8a6;background:#14b8a6}
.k-malformed{fill:#78716c;background:#78716c}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 10px;padding:0;list-style:none;font-size:12.5px;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:6px;white-space:nowrap}
.sw{display:inline-block;width:10px;height:10px;border-radius:3px}
.share{display:block;width:100%;height:14px;border-radius:7px;overflow:hidden}
nav{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 18px}
nav a{background:var(--card);border:1px solid var(--line);border-radius:999px;padding:3px 12px;font-size:13px;color:var(--ink)}
nav a:hover{border-color:#94a3b8;text-decoration:none}
.chart{display:grid;grid-template-columns:56px minmax(0,1fr);margin:4px 0 14px}
.chart .title{grid-column:1/-1;font-size:12.5px;color:var(--muted);margin-bottom:4px}
.yaxis{position:relative;font-size:11px;color:var(--muted);font-variant-numeric:tabular-nums}
.yaxis span{position:absolute;right:8px;transform:translateY(-50%)}
.plot{position:relative;height:150px;border-bottom:1px solid #cbd5e1;background:linear-gradient(#eef0f3,#eef0f3) 0 0/100% 1px no-repeat,linear-gradient(#eef0f3,#eef0f3) 0 50%/100% 1px no-repeat}
.plot svg{position:absolute;inset:0;width:100%;height:100%;display:block}
.plot .hit{fill:transparent}
.plot .hit:hover{fill:rgba(15,23,42,.08)}
.xaxis{grid-column:2;display:flex;white-space:nowrap;justify-content:space-between;font-size:11px;color:var(--muted);margin-top:4px;font-variant-numeric:tabular-nums}
.bars{display:grid;grid-template-columns:minmax(0,17rem) minmax(0,1fr) 4.5rem;gap:6px 12px;align-items:center}
.bars .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bars .name small{color:var(--muted);margin-left:6px}
.bars svg{display:block;width:100%;height:16px;border-radius:3px}
.bars .n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px}
table{border-collapse:separate;border-spacing:0;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap;vertical-align:middle}
tr:last-child td{border-bottom:0}
th{background:var(--soft);font-weight:600;color:#374151;font-size:12px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:hover td{background:#fafbfc}
tr.zero td{color:#9ca3af}
td.statuses{white-space:normal;min-width:16rem;line-height:1.75}
table.pinned th:first-child,table.pinned td:first-child{position:sticky;left:0;background:var(--card);box-shadow:1px 0 0 var(--line)}
table.pinned th:first-child{background:var(--soft)}
.spark{display:block;width:120px;height:22px}
.spark .area{fill:#dbeafe}
.spark .line{fill:none;stroke:#2563eb;stroke-width:1.5;vector-effect:non-scaling-stroke}
.mini{display:block;width:120px;height:10px;border-radius:2px}
.chip{display:inline-block;white-space:nowrap;padding:0 5px;border-radius:5px;background:#eef2f7;margin-right:2px;font-size:11.5px;font-variant-numeric:tabular-nums}
.chip.off{background:#fef3c7;color:#92400e}
.callout{border-left:5px solid #cbd5e1}
.callout.k-undoc,.callout.k-mis,.callout.k-wrong,.callout.k-unnamed,.callout.k-malformed{background:var(--card)}
.callout.k-undoc{border-left-color:#e11d48}.callout.k-mis{border-left-color:#f59e0b}.callout.k-wrong{border-left-color:#a855f7}
.callout.k-unnamed{border-left-color:#14b8a6}.callout.k-malformed{border-left-color:#78716c}
.callout.clean{border-left-color:#22c55e}
.notice{border-left:5px solid #f59e0b;background:#fffbeb}.notice ul{margin:0;padding-left:18px}
.callout h2 .count{font-variant-numeric:tabular-nums}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 8px;border-radius:999px;background:#fee2e2;color:#991b1b;vertical-align:2px;margin-left:6px}
.badge.ok{background:#dcfce7;color:#166534}
details{margin-top:8px}
summary{cursor:pointer;color:var(--accent);font-size:13px;margin-bottom:8px}
.pills{display:flex;flex-wrap:wrap;gap:6px;list-style:none;margin:0;padding:0}
.pills li{border:1px solid var(--line);border-radius:8px;padding:3px 9px;background:var(--soft);font-size:12.5px}
.pills li small{color:var(--muted);margin-left:4px}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:720px){
main{padding:12px 10px 28px}
.card{padding:14px 12px;border-radius:10px}
h1{font-size:20px}
.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}
.kpi b{font-size:18px}
.chart{grid-template-columns:40px minmax(0,1fr)}
.plot{height:110px}
.xaxis span:nth-child(even){display:none}
.bars{grid-template-columns:minmax(0,1fr) 4rem}
.bars .name{grid-column:1/-1;margin-bottom:-4px}
.grid2{grid-template-columns:minmax(0,1fr)}
.meta{grid-template-columns:minmax(0,1fr)}
.meta dt{margin-top:6px}
td.statuses{white-space:nowrap;min-width:0}
}
"#;

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
    writeln!(out, "<style>{STYLE}</style>\n</head>")
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

/// One bar of all lines split by class.
fn share_bar(c: &ClassCounts, total: u64, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "<svg class=\"share\" viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"lines by class\">"
    )?;
    let mut x = 0.0;
    for class in Class::ALL {
        let n = c.get(class);
        if n == 0 {
            continue;
        }
        let w = 1000.0 * ratio(n, total);
        write!(
            out,
            "<rect class=\"{}\" x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"10\"><title>{}: {} lines ({})</title></rect>",
            kind(class),
            label(class),
            thousands(n),
            percent(ratio(n, total))
        )?;
        x += w;
    }
    writeln!(out, "</svg>")
}

fn legend(classes: &[Class], out: &mut dyn Write) -> io::Result<()> {
    write!(out, "<ul class=\"legend\">")?;
    for class in classes {
        write!(
            out,
            "<li><span class=\"sw {}\"></span>{}</li>",
            kind(*class),
            label(*class)
        )?;
    }
    writeln!(out, "</ul>")
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

/// Where each bucket of a time series lands when the series is drawn with at most
/// `max` points: buckets are merged in runs of `per`, placed by their start time (a
/// sparse series, beyond the bucket limit, keeps its gaps).
struct Grid {
    start_ms: i64,
    step_ms: i64,
    /// The point of every bucket, in bucket order.
    slots: Vec<usize>,
    len: usize,
}

impl Grid {
    fn new(series: &TimeSeries, max: usize) -> Option<Grid> {
        let bucket_ms = (series.bucket_seconds.max(1) * 1000) as i64;
        let starts = series
            .buckets
            .iter()
            .map(|b| timestamp::parse_iso8601(b.start.as_bytes()))
            .collect::<Option<Vec<i64>>>()?;
        let (&first, &last) = (starts.first()?, starts.last()?);
        let span = usize::try_from((last - first) / bucket_ms).ok()? + 1;
        let per = span.div_ceil(max.max(1));
        let slots = starts
            .iter()
            .map(|s| ((s - first) / bucket_ms) as usize / per)
            .collect();
        Some(Grid {
            start_ms: first,
            step_ms: bucket_ms * per as i64,
            slots,
            len: span.div_ceil(per),
        })
    }

    /// Values given per bucket, summed per point.
    fn regroup(&self, values: impl IntoIterator<Item = u64>) -> Vec<u64> {
        let mut points = vec![0; self.len];
        for (slot, v) in self.slots.iter().zip(values) {
            points[*slot] += v;
        }
        points
    }

    fn point_start(&self, i: usize) -> String {
        timestamp::format_rfc3339(self.start_ms + self.step_ms * i as i64)
    }
}

/// Requests by class and errors by class over time, as two stacked bar charts.
fn timeline(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<section class=\"card\" id=\"timeline\">")?;
    writeln!(out, "<h2>Requests and errors over time</h2>")?;
    let grid = r
        .time_series
        .as_ref()
        .and_then(|s| Some((s, Grid::new(s, MAX_CHART_POINTS)?)));
    let Some((series, grid)) = grid else {
        writeln!(
            out,
            "<p class=\"lead\">No time series: no request carried a readable time.</p>"
        )?;
        return writeln!(out, "</section>");
    };
    writeln!(
        out,
        "<p class=\"lead\">{} per column, UTC; hover a column for its numbers.{}</p>",
        duration_text((grid.step_ms / 1000) as u64),
        if series.overflow > 0 {
            format!(
                " {} lines fell beyond the bucket limit and are not shown.",
                thousands(series.overflow)
            )
        } else {
            String::new()
        }
    )?;
    let per_class: Vec<(Class, Vec<u64>)> = Class::ALL[..6]
        .iter()
        .map(|&c| {
            (
                c,
                grid.regroup(series.buckets.iter().map(|b| b.classes.get(c))),
            )
        })
        .collect();
    legend(&Class::ALL[..6], out)?;
    stacked_chart("Requests", &per_class, &grid, out)?;
    stacked_chart("Errors", &per_class[1..], &grid, out)?;
    writeln!(out, "</section>")
}

/// One stacked bar chart: a column per point, a layer per class.
fn stacked_chart(
    title: &str,
    layers: &[(Class, Vec<u64>)],
    grid: &Grid,
    out: &mut dyn Write,
) -> io::Result<()> {
    let totals: Vec<u64> = (0..grid.len)
        .map(|i| layers.iter().map(|(_, v)| v[i]).sum())
        .collect();
    let top = nice_ceiling(totals.iter().copied().max().unwrap_or(0));
    let scale = |n: u64| 100.0 * n as f64 / top as f64;
    writeln!(
        out,
        "<div class=\"chart\" id=\"chart-{}\"><div class=\"title\">{title} per {}</div>",
        title.to_ascii_lowercase(),
        duration_text((grid.step_ms / 1000) as u64)
    )?;
    writeln!(
        out,
        "<div class=\"yaxis\"><span style=\"top:0\">{}</span><span style=\"top:50%\">{}</span><span style=\"top:100%\">0</span></div>",
        thousands(top),
        thousands(top / 2)
    )?;
    writeln!(
        out,
        "<div class=\"plot\"><svg viewBox=\"0 0 {} 100\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{title} over time\">",
        grid.len
    )?;
    let mut base = vec![0u64; grid.len];
    for (class, values) in layers {
        let mut d = String::new();
        for (i, &n) in values.iter().enumerate() {
            if n > 0 {
                let y = 100.0 - scale(base[i] + n);
                let _ = write!(d, "M{}.1 {y:.2}h.8V{:.2}h-.8z", i, 100.0 - scale(base[i]));
                base[i] += n;
            }
        }
        if !d.is_empty() {
            writeln!(out, "<path class=\"{}\" d=\"{d}\"/>", kind(*class))?;
        }
    }
    for (i, total) in totals.iter().enumerate() {
        let parts: Vec<String> = layers
            .iter()
            .filter(|(_, v)| v[i] > 0)
            .map(|(c, v)| format!("{} {}", label(*c), thousands(v[i])))
            .collect();
        writeln!(
            out,
            "<rect class=\"hit\" x=\"{i}\" y=\"0\" width=\"1\" height=\"100\"><title>{} UTC: {}{}{}</title></rect>",
            Esc(&time_text(&grid.point_start(i))),
            // "Requests" -> "1 request", "2 requests".
            plural(
                *total,
                title.to_ascii_lowercase().trim_end_matches('s'),
                &title.to_ascii_lowercase()
            ),
            if parts.is_empty() { "" } else { " — " },
            parts.join(", ")
        )?;
    }
    writeln!(out, "</svg></div>")?;
    write!(out, "<div class=\"xaxis\">")?;
    for k in 0..5 {
        let i = (grid.len * k / 4).min(grid.len);
        let t = timestamp::format_rfc3339(grid.start_ms + grid.step_ms * i as i64);
        write!(out, "<span>{}</span>", Esc(&short_time(&t)))?;
    }
    writeln!(out, "</div></div>")
}

/// One bar of the top-codes chart.
struct Bar<'a> {
    name: &'a str,
    /// What kind of name: section and status, "undocumented", …
    note: String,
    parts: Vec<(Class, u64)>,
}

impl Bar<'_> {
    fn total(&self) -> u64 {
        self.parts.iter().map(|p| p.1).sum()
    }
}

/// Every error name (and every status of errors without one) with its lines by class.
fn error_bars(r: &Report) -> Vec<Bar<'_>> {
    let mut bars: Vec<Bar> = r
        .codes
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| {
            let documented = c.statuses.get(&c.status.to_string()).copied().unwrap_or(0);
            Bar {
                name: &c.name,
                note: format!("{} {}", c.section, c.status),
                parts: vec![
                    (Class::Documented, documented),
                    (Class::StatusMismatch, c.count - documented),
                ],
            }
        })
        .collect();
    let mut wrong: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for w in &r.wrong_section {
        *wrong.entry((&w.name, &w.section)).or_default() += w.count;
    }
    bars.extend(wrong.into_iter().map(|((name, section), n)| Bar {
        name,
        note: format!("in {section}"),
        parts: vec![(Class::WrongSection, n)],
    }));
    bars.extend(r.undocumented.iter().map(|u| Bar {
        name: &u.name,
        note: "undocumented".into(),
        parts: vec![(Class::Undocumented, u.count)],
    }));
    bars.extend(r.unnamed_errors.iter().map(|u| Bar {
        name: "(no name)",
        note: u.status.to_string(),
        parts: vec![(Class::UnnamedError, u.count)],
    }));
    bars.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.name.cmp(b.name)));
    bars
}

/// The most frequent error names, one bar each, split by class.
fn top_codes(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let bars = error_bars(r);
    writeln!(out, "<section class=\"card\" id=\"top-codes\">")?;
    writeln!(out, "<h2>Top error codes</h2>")?;
    writeln!(
        out,
        "<p class=\"lead\">The {} most frequent error names by lines; a catalog code's bar is split into lines sent with its documented status and with another.</p>",
        TOP_CODES.min(bars.len())
    )?;
    if bars.is_empty() {
        writeln!(out, "<p>No error responses.</p>")?;
        return writeln!(out, "</section>");
    }
    legend(&ERROR_CLASSES, out)?;
    let max = bars[0].total().max(1);
    writeln!(out, "<div class=\"bars\">")?;
    for bar in bars.iter().take(TOP_CODES) {
        write!(
            out,
            "<div class=\"name\" title=\"{0} ({1})\"><span class=\"mono\">{0}</span><small>{1}</small></div>",
            Esc(bar.name),
            Esc(&bar.note)
        )?;
        write!(
            out,
            "<svg viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{} lines\">",
            thousands(bar.total())
        )?;
        let mut x = 0.0;
        for &(class, n) in bar.parts.iter().filter(|p| p.1 > 0) {
            let w = 1000.0 * n as f64 / max as f64;
            write!(
                out,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"10\"><title>{}: {}</title></rect>",
                kind(class),
                label(class),
                thousands(n)
            )?;
            x += w;
        }
        writeln!(
            out,
            "</svg><div class=\"n\">{}</div>",
            thousands(bar.total())
        )?;
    }
    writeln!(out, "</div>\n</section>")
}

/// What to know before trusting the page (a benchmark build's, an empty or an
/// incomplete run), in a box above everything else; nothing when the run is whole.
fn notices(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let notices = super::findings::notices(r);
    if notices.is_empty() && r.build.is_none() {
        return Ok(());
    }
    writeln!(out, "<section class=\"card notice\" id=\"notices\">\n<ul>")?;
    if let Some(build) = &r.build {
        writeln!(out, "<li><b>{}</b></li>", Esc(build))?;
    }
    for n in &notices {
        writeln!(out, "<li><b>{}</b></li>", Esc(n))?;
    }
    for input in r.inputs.iter().filter(|i| i.error.is_some()) {
        writeln!(
            out,
            "<li>input error: {}</li>",
            Esc(input.error.as_deref().unwrap_or_default())
        )?;
    }
    writeln!(out, "</ul>\n</section>")
}

/// The three ways the gateway breaks its documentation, each with examples.
fn findings(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<div id=\"findings\">")?;
    undocumented(r, out)?;
    mismatches(r, out)?;
    wrong_section(r, out)?;
    writeln!(out, "</div>")
}

/// A callout's frame: title with a count, one line of explanation.
fn callout_start(
    out: &mut dyn Write,
    id: &str,
    class: Class,
    lines: u64,
    title: &str,
    lead: &str,
) -> io::Result<()> {
    let (state, badge) = if lines > 0 {
        (
            kind(class),
            format!(
                "<span class=\"badge\">{}</span>",
                plural(lines, "line", "lines")
            ),
        )
    } else {
        ("clean", "<span class=\"badge ok\">none</span>".to_string())
    };
    writeln!(
        out,
        "<section class=\"card callout {state}\" id=\"{id}\">\n<h2>{title}{badge}</h2>\n<p class=\"lead\">{lead}</p>"
    )
}

/// A table whose first rows show and the rest fold away; at most [`MAX_ROWS`].
fn folded_table(out: &mut dyn Write, head: &str, rows: &[String]) -> io::Result<()> {
    let table = |out: &mut dyn Write, rows: &[String]| -> io::Result<()> {
        writeln!(
            out,
            "<div class=\"scroll\"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>"
        )?;
        for row in rows {
            writeln!(out, "<tr>{row}</tr>")?;
        }
        writeln!(out, "</tbody></table></div>")
    };
    let shown = rows.len().min(SHOWN_ROWS);
    table(out, &rows[..shown])?;
    let kept = rows.len().min(MAX_ROWS);
    if kept > shown {
        writeln!(
            out,
            "<details><summary>Show {} more</summary>",
            kept - shown
        )?;
        table(out, &rows[shown..kept])?;
        writeln!(out, "</details>")?;
    }
    if rows.len() > kept {
        writeln!(
            out,
            "<p class=\"muted\">and {} more rows: <code>-o json</code> lists them all.</p>",
            thousands((rows.len() - kept) as u64)
        )?;
    }
    Ok(())
}

fn undocumented(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lines = r.totals.classes.undocumented;
    callout_start(
        out,
        "undocumented",
        Class::Undocumented,
        lines,
        &format!(
            "Undocumented names <span class=\"count muted\">{}</span>",
            plural(r.undocumented.len() as u64, "name", "names")
        ),
        "Error names that reach clients but no section of the catalog lists. A name that differs from a catalog name only by case is undocumented too.",
    )?;
    if lines > 0 {
        let head = "<th>name</th><th class=\"num\">lines</th><th>statuses</th><th>first seen</th><th>last seen</th><th>example</th><th>resembles</th>";
        let mut rows: Vec<String> = r
            .undocumented
            .iter()
            .map(|u| {
                format!(
                    "<td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"mono\">{}</td>",
                    Esc(&u.name),
                    thousands(u.count),
                    chips(&u.statuses, None),
                    Esc(&u.first_seen.as_deref().map_or("-".into(), time_text)),
                    Esc(&u.last_seen.as_deref().map_or("-".into(), time_text)),
                    Esc(&u.example),
                    Esc(u.resembles.as_deref().unwrap_or("")),
                )
            })
            .collect();
        if let Some(o) = &r.undocumented_other {
            rows.push(format!(
                "<td><i>other names beyond --max-names {}</i></td><td class=\"num\">{}</td><td>{}</td><td></td><td></td><td><code>{}</code></td><td></td>",
                o.max_names,
                thousands(o.count),
                chips(&o.statuses, None),
                Esc(&o.example)
            ));
        }
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")
}

fn mismatches(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lines = r.totals.classes.status_mismatch;
    callout_start(
        out,
        "status-mismatches",
        Class::StatusMismatch,
        lines,
        &format!(
            "Status mismatches <span class=\"count muted\">{}</span>",
            plural(r.status_mismatches.len() as u64, "pair", "pairs")
        ),
        "A documented name sent with another HTTP status than its section documents.",
    )?;
    if lines > 0 {
        let head = "<th>section</th><th>name</th><th class=\"num\">documented</th><th class=\"num\">sent</th><th class=\"num\">lines</th><th>example</th>";
        let rows: Vec<String> = r
            .status_mismatches
            .iter()
            .map(|m| {
                format!(
                    "<td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\"><span class=\"chip off\">{}</span></td><td class=\"num\">{}</td><td><code>{}</code></td>",
                    Esc(&m.section),
                    Esc(&m.name),
                    m.documented_status,
                    m.observed_status,
                    thousands(m.count),
                    Esc(&m.example)
                )
            })
            .collect();
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")
}

fn wrong_section(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lines = r.totals.classes.wrong_section;
    callout_start(
        out,
        "wrong-section",
        Class::WrongSection,
        lines,
        &format!(
            "Names from another section <span class=\"count muted\">{}</span>",
            plural(r.wrong_section.len() as u64, "pair", "pairs")
        ),
        "A catalog name used on a request whose section does not list it; another section does.",
    )?;
    if lines > 0 {
        let head = "<th>request section</th><th>name</th><th class=\"num\">status</th><th>listed in</th><th class=\"num\">lines</th><th>example</th>";
        let rows: Vec<String> = r
            .wrong_section
            .iter()
            .map(|w| {
                let listed: Vec<String> = w
                    .listed_in
                    .iter()
                    .map(|(s, st)| format!("{} {st}", Esc(s)))
                    .collect();
                format!(
                    "<td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td>",
                    Esc(&w.section),
                    Esc(&w.name),
                    w.status,
                    listed.join(", "),
                    thousands(w.count),
                    Esc(&w.example)
                )
            })
            .collect();
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")
}

/// One table per catalog section with every code of that section, busiest first.
fn code_tables(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<section class=\"card\" id=\"codes\">")?;
    writeln!(out, "<h2>Catalog codes by section</h2>")?;
    writeln!(
        out,
        "<p class=\"lead\">Every code of the catalog: lines sent with its name in its section (with the documented status or another), share of requests and of errors, latency, and lines over time.</p>"
    )?;
    let grid = r
        .time_series
        .as_ref()
        .and_then(|s| Grid::new(s, MAX_SPARK_POINTS));
    for section in &r.catalog.sections {
        let mut codes: Vec<&Code> = r.codes.iter().filter(|c| &c.section == section).collect();
        codes.sort_by_key(|c| std::cmp::Reverse(c.count));
        let seen = codes.iter().filter(|c| c.count > 0).count();
        let lines: u64 = codes.iter().map(|c| c.count).sum();
        writeln!(
            out,
            "<h3 id=\"codes-{}\">{} <span class=\"muted\">· {} of {} codes seen · {} lines</span></h3>",
            slug(section),
            Esc(section),
            seen,
            codes.len(),
            thousands(lines)
        )?;
        writeln!(out, "<div class=\"scroll\"><table class=\"pinned\">\n<thead><tr><th>name</th><th class=\"num\">status</th><th class=\"num\">lines</th><th class=\"num\">% req</th><th class=\"num\">% err</th><th class=\"num\">p50</th><th class=\"num\">p90</th><th class=\"num\">p99</th><th>over time</th><th>statuses sent</th></tr></thead>\n<tbody>")?;
        for code in codes {
            code_row(code, grid.as_ref(), out)?;
        }
        writeln!(out, "</tbody></table></div>")?;
    }
    writeln!(out, "</section>")
}

fn code_row(c: &Code, grid: Option<&Grid>, out: &mut dyn Write) -> io::Result<()> {
    let (p50, p90, p99) = match &c.latency {
        Some(Latency {
            p50_ms,
            p90_ms,
            p99_ms,
            ..
        }) => (ms_text(*p50_ms), ms_text(*p90_ms), ms_text(*p99_ms)),
        None => ("-".into(), "-".into(), "-".into()),
    };
    let spark = match (grid, &c.series) {
        (Some(grid), Some(series)) if c.count > 0 => {
            sparkline(&grid.regroup(series.iter().copied()))
        }
        _ => String::new(),
    };
    let documented = c.status.to_string();
    writeln!(
        out,
        "<tr{}><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{p50}</td><td class=\"num\">{p90}</td><td class=\"num\">{p99}</td><td>{spark}</td><td class=\"statuses\">{}</td></tr>",
        if c.count == 0 { " class=\"zero\"" } else { "" },
        Esc(&c.name),
        c.status,
        thousands(c.count),
        percent(c.share_of_requests),
        percent(c.share_of_errors),
        if c.count == 0 { "never seen".to_string() } else { chips(&c.statuses, Some(&documented)) },
    )
}

/// A small line chart of `points`, its area filled.
fn sparkline(points: &[u64]) -> String {
    let max = points.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = points.len().saturating_sub(1).max(1);
    let y = |n: u64| 19.0 - 18.0 * n as f64 / max;
    let mut line = String::new();
    for (i, &n) in points.iter().enumerate() {
        let _ = write!(line, "{}{i} {:.1}", if i == 0 { "M" } else { "L" }, y(n));
    }
    if points.len() == 1 {
        let _ = write!(line, "L1 {:.1}", y(points[0]));
    }
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {width} 20\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"peak {}\"><title>peak {} lines per point</title><path class=\"area\" d=\"{line}L{width} 20L0 20z\"/><path class=\"line\" d=\"{line}\"/></svg>",
        thousands(max as u64),
        thousands(max as u64),
    )
}

/// Status chips `403×12`, most lines first; with a `documented` status, that one
/// leads and the others stand out.
fn chips(statuses: &BTreeMap<String, u64>, documented: Option<&str>) -> String {
    let mut sorted: Vec<(&String, &u64)> = statuses.iter().collect();
    sorted.sort_by_key(|&(s, n)| (Some(s.as_str()) != documented, std::cmp::Reverse(*n)));
    sorted
        .into_iter()
        .map(|(s, n)| {
            let off = documented.is_some_and(|d| d != s);
            format!(
                "<span class=\"chip{}\">{}×{}</span>",
                if off { " off" } else { "" },
                Esc(s),
                thousands(*n)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn never_seen(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let unseen: Vec<&Code> = r.codes.iter().filter(|c| c.count == 0).collect();
    writeln!(out, "<section class=\"card\" id=\"never-seen\">")?;
    writeln!(
        out,
        "<h2>Catalog codes never seen <span class=\"muted\">{} of {}</span></h2>",
        unseen.len(),
        r.codes.len()
    )?;
    if unseen.is_empty() {
        writeln!(
            out,
            "<p class=\"lead\">Every catalog code occurred in these logs.</p>"
        )?;
    } else {
        writeln!(
            out,
            "<p class=\"lead\">Documented codes no request in these logs was answered with: candidates for dead documentation, or paths the logs did not cover.</p>\n<ul class=\"pills\">"
        )?;
        for c in unseen {
            writeln!(
                out,
                "<li><span class=\"mono\">{}</span><small>{} {}</small></li>",
                Esc(&c.name),
                Esc(&c.section),
                c.status
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
}

/// Errors without a name, and lines that could not be parsed.
fn other_errors(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<div class=\"grid2\">")?;
    callout_start(
        out,
        "unnamed",
        Class::UnnamedError,
        r.totals.classes.unnamed_error,
        "Errors without a name",
        "Responses with status ≥ 400 that carried no error name: an unknown route's 404, a gateway timeout.",
    )?;
    if !r.unnamed_errors.is_empty() {
        let head = "<th class=\"num\">status</th><th class=\"num\">lines</th><th class=\"num\">% err</th><th class=\"num\">p50</th><th class=\"num\">p99</th><th>example</th>";
        let rows: Vec<String> = r
            .unnamed_errors
            .iter()
            .map(|u| {
                let (p50, p99) = u
                    .latency
                    .as_ref()
                    .map_or(("-".into(), "-".into()), |l| (ms_text(l.p50_ms), ms_text(l.p99_ms)));
                format!(
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{p50}</td><td class=\"num\">{p99}</td><td><code>{}</code></td>",
                    u.status,
                    thousands(u.count),
                    percent(u.share_of_errors),
                    Esc(&u.example)
                )
            })
            .collect();
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")?;
    malformed(r, out)?;
    writeln!(out, "</div>")
}

fn malformed(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let m = &r.malformed;
    callout_start(
        out,
        "malformed",
        Class::Malformed,
        m.count,
        "Malformed lines",
        "Lines that could not be read into at least a status, by reason, with the first ones.",
    )?;
    if m.count > 0 {
        let mut reasons: Vec<_> = m.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let rows: Vec<String> = reasons
            .into_iter()
            .map(|(reason, n)| {
                format!(
                    "<td>{}</td><td class=\"num\">{}</td>",
                    Esc(reason),
                    thousands(*n)
                )
            })
            .collect();
        folded_table(out, "<th>reason</th><th class=\"num\">lines</th>", &rows)?;
        let examples: Vec<String> = m
            .examples
            .iter()
            .map(|e| {
                format!(
                    "<td><code>{}</code></td><td>{}</td>",
                    Esc(&e.location),
                    Esc(&e.reason)
                )
            })
            .collect();
        writeln!(out, "<h3>First malformed lines</h3>")?;
        folded_table(out, "<th>location</th><th>reason</th>", &examples)?;
    }
    writeln!(out, "</section>")
}

fn endpoints(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.endpoints.is_empty() {
        return Ok(());
    }
    writeln!(out, "<section class=\"card\" id=\"endpoints\">")?;
    writeln!(
        out,
        "<h2>Endpoints <span class=\"muted\">top {} of {}</span></h2>\n<p class=\"lead\">Most requested first; IDs in paths are collapsed to <code>{{id}}</code>.</p>",
        TOP_ENDPOINTS.min(r.endpoints.len()),
        thousands(r.endpoints.len() as u64)
    )?;
    legend(&Class::ALL[..6], out)?;
    writeln!(out, "<div class=\"scroll\"><table class=\"pinned\">\n<thead><tr><th>endpoint</th><th class=\"num\">requests</th><th class=\"num\">errors</th><th class=\"num\">% err</th><th>by class</th><th class=\"num\">mismatch</th><th class=\"num\">wrong sect.</th><th class=\"num\">undoc.</th><th class=\"num\">unnamed</th></tr></thead>\n<tbody>")?;
    for e in r
        .endpoints
        .iter()
        .take(TOP_ENDPOINTS)
        .chain(&r.endpoints_other)
    {
        writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            Esc(&e.endpoint),
            thousands(e.requests),
            thousands(e.errors),
            percent(ratio(e.errors, e.requests)),
            class_mini_bar(&e.classes, e.requests),
            thousands(e.classes.status_mismatch),
            thousands(e.classes.wrong_section),
            thousands(e.classes.undocumented),
            thousands(e.classes.unnamed_error),
        )?;
    }
    writeln!(out, "</tbody></table></div>\n</section>")
}

/// A thin bar of one row's lines by class.
fn class_mini_bar(c: &ClassCounts, total: u64) -> String {
    let mut svg = String::from(
        "<svg class=\"mini\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\">",
    );
    let mut x = 0.0;
    for class in Class::ALL {
        let n = c.get(class);
        if n > 0 {
            let w = 100.0 * ratio(n, total);
            let _ = write!(
                svg,
                "<rect class=\"{}\" x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"10\"/>",
                kind(class)
            );
            x += w;
        }
    }
    svg.push_str("</svg>");
    svg
}

fn inputs(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section class=\"card\" id=\"inputs\">\n<h2>Inputs</h2>"
    )?;
    writeln!(out, "<div class=\"scroll\"><table>\n<thead><tr><th>path</th><th>format</th><th>compressed</th><th>latency from</th><th class=\"num\">bytes</th><th class=\"num\">lines</th><th>error</th></tr></thead>\n<tbody>")?;
    for i in &r.inputs {
        writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            Esc(&i.path),
            Esc(i.format.as_deref().unwrap_or("-")),
            Esc(i.compression.as_deref().unwrap_or("-")),
            Esc(i.latency_source.as_deref().unwrap_or("-")),
            thousands(i.bytes),
            thousands(i.lines),
            Esc(i.error.as_deref().unwrap_or("")),
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    let statuses: Vec<String> = r
        .status_classes
        .iter()
        .map(|(k, n)| {
            format!(
                "{} {} ({})",
                Esc(k),
                thousands(*n),
                percent(ratio(*n, r.totals.requests))
            )
        })
        .collect();
    if !statuses.is_empty() {
        writeln!(
            out,
            "<p class=\"muted\" style=\"margin-top:10px\">Statuses: {}.",
            statuses.join(" · ")
        )?;
        if r.totals.unrouted > 0 {
            write!(
                out,
                " {} requests matched no route and were checked against all sections.",
                thousands(r.totals.unrouted)
            )?;
        }
        if r.totals.bad_time > 0 {
            write!(
                out,
                " {} requests had a time that could not be read (first at <code>{}</code>).",
                thousands(r.totals.bad_time),
                Esc(&r.bad_time_examples.join(", "))
            )?;
        }
        writeln!(out, "</p>")?;
    }
    writeln!(out, "</section>")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A round axis top at or above `n`, whose half is a whole number too.
fn nice_ceiling(n: u64) -> u64 {
    if n <= 10 {
        return n.max(1).div_ceil(2) * 2;
    }
    let mut tenth = 1u64;
    while n > tenth.saturating_mul(100) {
        tenth = tenth.saturating_mul(10);
    }
    [10, 12, 16, 20, 30, 40, 50, 60, 80, 100]
        .into_iter()
        .map(|step| step * tenth)
        .find(|&top| top >= n)
        .unwrap_or(n)
}

/// A latency, in ms below a second and in seconds above.
fn ms_text(ms: f64) -> String {
    match ms {
        v if v >= 10_000.0 => format!("{:.0} s", v / 1000.0),
        v if v >= 1000.0 => format!("{:.2} s", v / 1000.0),
        v if v >= 100.0 => format!("{v:.0} ms"),
        v if v >= 1.0 => format!("{v:.1} ms"),
        v => format!("{v:.2} ms"),
    }
}

/// A span in its two largest units: `23 h 55 min`, `10 min`, `42 s`.
fn duration_text(seconds: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "min"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 || !parts.is_empty() {
            parts.push((n, name));
        }
    }
    parts.truncate(2);
    parts.retain(|(n, _)| *n > 0);
    if parts.is_empty() {
        return "0 s".into();
    }
    parts
        .iter()
        .map(|(n, name)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `2026-11-25T16:00:01Z` as `2026-11-25 16:00:01`.
fn time_text(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
}

/// `2026-11-25T16:00:00Z` as `11-25 16:00` for an axis.
fn short_time(rfc3339: &str) -> String {
    time_text(rfc3339).get(5..16).unwrap_or(rfc3339).to_string()
}

/// `2026-11-25T16:00:01Z` as `2026-11-25`.
fn day_text(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} B"),
    }
}

/// A section id as an HTML id: letters, digits, `-` and `_` kept, the rest `-`.
fn slug(section: &str) -> String {
    section
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{
        Bucket, CatalogInfo, Endpoint, Input, Malformed, MalformedExample, Mismatch, Totals,
        Undocumented, Unnamed, WrongSection,
    };

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
