//! `trend -o html`: one self-contained page (inline CSS and SVG, no scripts, no
//! network) with a chart of the error rate over the nights, a small chart per top
//! code, and the nights' table.

use std::io::{self, Write};

use super::{Series, Trend};
use crate::report::html::Esc;
use crate::report::table::{percent, thousands};

/// Codes charted one by one.
const CHARTED: usize = 12;

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}\
main{max-width:1100px;margin:0 auto;padding:16px}\
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;margin:12px 0}\
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:4px 0 8px}\
.muted{color:#64748b}.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;border-bottom:1px solid #f1f5f9;text-align:right;white-space:nowrap}\
th:first-child,td:first-child{text-align:left}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}\
.mini{border:1px solid #e2e8f0;border-radius:6px;padding:6px 8px}.mini b{font-size:12px;word-break:break-all}\
svg{width:100%;height:auto;display:block}\
.line{fill:none;stroke:#e11d48;stroke-width:2}.dot{fill:#e11d48}.axis{stroke:#cbd5e1}\
.bar{fill:#f59e0b}";

/// Write the page.
pub fn render(t: &Trend, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>errscope trend</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>"
    )?;
    writeln!(
        out,
        "<header class=\"card\"><h1>errscope trend</h1><p class=\"muted\">{} nights, {} to {}</p></header>",
        t.nights.len(),
        Esc(t.nights.first().map_or("", |n| n.label.as_str())),
        Esc(t.nights.last().map_or("", |n| n.label.as_str()))
    )?;
    // The error rate per night.
    let rates: Vec<f64> = t.nights.iter().map(|n| n.error_rate).collect();
    writeln!(
        out,
        "<section class=\"card\" id=\"error-rate\"><h2>Error rate per night</h2>"
    )?;
    line_chart(
        out,
        &rates,
        &t.nights
            .iter()
            .map(|n| n.label.as_str())
            .collect::<Vec<_>>(),
    )?;
    writeln!(out, "</section>")?;
    // The top codes, one small chart each.
    writeln!(
        out,
        "<section class=\"card\" id=\"codes\"><h2>Catalog codes, worst movers first</h2><div class=\"grid\">"
    )?;
    for s in t.codes.iter().take(CHARTED) {
        mini(out, s, t)?;
    }
    writeln!(out, "</div>")?;
    if t.codes.len() > CHARTED {
        writeln!(
            out,
            "<p class=\"muted\">and {} more codes: <code>-o json</code> lists them all.</p>",
            t.codes.len() - CHARTED
        )?;
    }
    writeln!(out, "</section>")?;
    // The nights.
    writeln!(
        out,
        "<section class=\"card\" id=\"nights\"><h2>Nights</h2><div class=\"scroll\"><table>\n\
         <thead><tr><th>night</th><th>lines</th><th>requests</th><th>errors</th><th>error rate</th>\
         <th>documented</th><th>mismatch</th><th>wrong section</th><th>undocumented</th><th>unnamed</th>\
         <th>malformed</th><th>new names</th></tr></thead><tbody>"
    )?;
    for n in &t.nights {
        let c = &n.classes;
        writeln!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            Esc(&n.label),
            if n.complete { "" } else { " (incomplete)" },
            thousands(n.lines),
            thousands(n.requests),
            thousands(n.errors),
            percent(n.error_rate),
            thousands(c.documented),
            thousands(c.status_mismatch),
            thousands(c.wrong_section),
            thousands(c.undocumented),
            thousands(c.unnamed_error),
            thousands(c.malformed),
            Esc(&n.new_names.join(", "))
        )?;
    }
    writeln!(out, "</tbody></table></div></section>")?;
    writeln!(
        out,
        "<footer class=\"muted\">errscope {} · trend schema {} v{}</footer>\n</main>\n</body>\n</html>",
        Esc(&t.errscope_version),
        Esc(&t.schema),
        t.version
    )
}

/// A line of `values` (0 to their max) over the nights, with a title per point.
fn line_chart(out: &mut dyn Write, values: &[f64], labels: &[&str]) -> io::Result<()> {
    let max = values
        .iter()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = values.len().max(2) - 1;
    let x = |i: usize| 20.0 + 560.0 * i as f64 / n as f64;
    let y = |v: f64| 110.0 - 100.0 * v / max;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
        .collect();
    writeln!(
        out,
        "<svg viewBox=\"0 0 600 135\" role=\"img\" aria-label=\"error rate per night\">\
         <line class=\"axis\" x1=\"20\" y1=\"110\" x2=\"580\" y2=\"110\"/>\
         <text x=\"22\" y=\"8\" font-size=\"8\" fill=\"#64748b\">{} (0 at the axis)</text>\
         <polyline class=\"line\" points=\"{}\"/>",
        percent(max),
        points.join(" ")
    )?;
    for (i, label) in labels.iter().enumerate() {
        writeln!(
            out,
            "<text x=\"{:.1}\" y=\"124\" font-size=\"8\" text-anchor=\"middle\" fill=\"#64748b\">{}</text>",
            x(i),
            Esc(label)
        )?;
    }
    for (i, v) in values.iter().enumerate() {
        writeln!(
            out,
            "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}: {}</title></circle>",
            x(i),
            y(*v),
            Esc(labels.get(i).copied().unwrap_or("")),
            percent(*v)
        )?;
    }
    writeln!(out, "</svg>")
}

/// A code's lines per night as bars.
fn mini(out: &mut dyn Write, s: &Series, t: &Trend) -> io::Result<()> {
    let label = match (&s.section, s.status) {
        (Some(section), Some(status)) => format!("{section} {} {status}", s.name),
        _ => s.name.clone(),
    };
    let max = s.counts.iter().copied().max().unwrap_or(0).max(1);
    let w = 200.0 / s.counts.len().max(1) as f64;
    write!(
        out,
        "<div class=\"mini\"><b>{}</b><svg viewBox=\"0 0 200 50\" role=\"img\" aria-label=\"lines per night\">",
        Esc(&label)
    )?;
    for (i, c) in s.counts.iter().enumerate() {
        let h = 48.0 * *c as f64 / max as f64;
        write!(
            out,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}: {} lines</title></rect>",
            i as f64 * w + 1.0,
            50.0 - h,
            (w - 2.0).max(1.0),
            Esc(&t.nights[i].label),
            thousands(*c)
        )?;
    }
    writeln!(out, "</svg></div>")
}
