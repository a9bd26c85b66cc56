//! The page's charts, as inline SVG that stretches with its `viewBox` while its
//! labels stay HTML text: the timeline of classes per time bucket, the top codes,
//! the share bars and legends, and each code's sparkline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::text::{duration_text, plural, short_time, time_text, Esc};
use super::{kind, label, ERROR_CLASSES};
use crate::classify::Class;
use crate::format::timestamp;
use crate::report::table::{percent, ratio, thousands};
use crate::report::{ClassCounts, Report, TimeSeries};

/// Columns at most in the timeline chart; finer series are merged.
const MAX_CHART_POINTS: usize = 120;
/// Bars in the top-codes chart.
const TOP_CODES: usize = 15;

/// One bar of all lines split by class.
pub(super) fn share_bar(c: &ClassCounts, total: u64, out: &mut dyn Write) -> io::Result<()> {
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

pub(super) fn legend(classes: &[Class], out: &mut dyn Write) -> io::Result<()> {
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

/// Where each bucket of a time series lands when the series is drawn with at most
/// `max` points: buckets are merged in runs of `per`, placed by their start time (a
/// sparse series, beyond the bucket limit, keeps its gaps).
pub(super) struct Grid {
    start_ms: i64,
    pub(super) step_ms: i64,
    /// The point of every bucket, in bucket order.
    slots: Vec<usize>,
    len: usize,
}

impl Grid {
    pub(super) fn new(series: &TimeSeries, max: usize) -> Option<Grid> {
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
    pub(super) fn regroup(&self, values: impl IntoIterator<Item = u64>) -> Vec<u64> {
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
pub(super) fn timeline(r: &Report, out: &mut dyn Write) -> io::Result<()> {
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
pub(super) fn stacked_chart(
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
pub(super) struct Bar<'a> {
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
pub(super) fn error_bars(r: &Report) -> Vec<Bar<'_>> {
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
pub(super) fn top_codes(r: &Report, out: &mut dyn Write) -> io::Result<()> {
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

/// A small line chart of `points`, its area filled.
pub(super) fn sparkline(points: &[u64]) -> String {
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

/// A thin bar of one row's lines by class.
pub(super) fn class_mini_bar(c: &ClassCounts, total: u64) -> String {
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

/// A round axis top at or above `n`, whose half is a whole number too.
pub(super) fn nice_ceiling(n: u64) -> u64 {
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
