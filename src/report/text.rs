//! `-o text`: the report as aligned tables for a terminal, findings first.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use std::collections::HashMap;

use super::table::{
    escape_control, finding_cells, percent, ratio, status_list, thousands, wrap, Align, Table,
    FINDING_COLUMNS, TEXT_WIDTH,
};
use super::{Latency, Report};
use crate::classify::Class;

/// How the text report is written.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Endpoints listed.
    pub top: usize,
    /// ANSI colors (a terminal without NO_COLOR).
    pub color: bool,
}

impl Style {
    /// `text` in bold (headings) when colors are on.
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Input paths longer than this make the report name inputs by number.
const LONG_PATH: usize = 24;

/// How the text report names the place of a line: `path:line` while every input's
/// path is short, else `[N]:line` for all of them, with the inputs listed once,
/// numbered, at the end. So a location fits its column whatever the paths.
struct Places<'a> {
    numbered: bool,
    /// Input path -> its number (1-based), the first input of that path.
    number: HashMap<&'a str, usize>,
}

impl<'a> Places<'a> {
    fn new(r: &'a Report) -> Places<'a> {
        let numbered = r
            .inputs
            .iter()
            .any(|i| escape_control(&i.path).width() > LONG_PATH);
        let mut number = HashMap::new();
        for (n, input) in r.inputs.iter().enumerate() {
            number.entry(input.path.as_str()).or_insert(n + 1);
        }
        Places { numbered, number }
    }

    /// `path:line` as the report shows it.
    fn show(&self, location: &str) -> String {
        if !self.numbered {
            return location.to_string();
        }
        match location.rsplit_once(':') {
            Some((path, line)) => match self.number.get(path) {
                Some(n) => format!("[{n}]:{line}"),
                None => location.to_string(),
            },
            None => location.to_string(),
        }
    }
}

/// Write `text` (escaped) after `first` (as wide as `hang` spaces, or less),
/// wrapped within [`TEXT_WIDTH`] columns, further lines indented by `hang` spaces.
fn para(out: &mut dyn Write, first: &str, hang: usize, text: &str) -> io::Result<()> {
    let lines = wrap(&escape_control(text), TEXT_WIDTH - hang);
    for (k, line) in lines.iter().enumerate() {
        let lead = if k == 0 {
            first.to_string()
        } else {
            " ".repeat(hang)
        };
        writeln!(out, "{lead}{line}")?;
    }
    Ok(())
}

/// Write the report, most important finding first; every line fits
/// [`TEXT_WIDTH`] columns, whatever the paths, names and endpoints.
pub fn render(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    let places = Places::new(r);
    let header = format!(
        "errscope {}: {} lines in {} input{}, catalog {} ({})",
        r.errscope_version,
        thousands(t.lines),
        r.inputs.len(),
        if r.inputs.len() == 1 { "" } else { "s" },
        escape_control(&r.catalog.source),
        super::catalog::size(r.catalog.sections.len(), r.catalog.entries, r.catalog.names),
    );
    // A benchmark build's report is wrong on purpose: said before anything else.
    if let Some(build) = &r.build {
        para(out, "! ", 2, &escape_control(build))?;
    }
    para(out, "", 4, &header)?;
    match &r.time {
        Some(span) => writeln!(
            out,
            "time: {} .. {} ({} s)",
            span.first,
            span.last,
            thousands(span.seconds as u64)
        )?,
        None if r.totals.lines == 0 => writeln!(out, "time: no lines were read")?,
        None if r.is_empty() => writeln!(out, "time: every line was outside the window")?,
        None => writeln!(out, "time: no line carried a readable time")?,
    }
    if let Some(w) = &r.window {
        writeln!(
            out,
            "window: {} .. {} ({} lines outside it were not counted)",
            w.since.as_deref().unwrap_or("-"),
            w.until.as_deref().unwrap_or("-"),
            thousands(t.outside_window)
        )?;
    }

    findings(r, style, out)?;
    classes(r, style, &places, out)?;
    codes(r, style, out)?;
    mismatches(r, style, &places, out)?;
    wrong_section(r, style, &places, out)?;
    undocumented(r, style, &places, out)?;
    unnamed(r, style, &places, out)?;
    malformed(r, style, &places, out)?;
    time_series(r, style, out)?;
    endpoints(r, style, out)?;
    inputs(r, style, &places, out)
}

/// Rows at most in the text time series; longer series are shown merged.
const MAX_SERIES_ROWS: usize = 48;

fn time_series(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(series) = &r.time_series else {
        return Ok(());
    };
    let per_row = series.buckets.len().div_ceil(MAX_SERIES_ROWS).max(1);
    let span = series.bucket_seconds * per_row as u64;
    heading(
        out,
        style,
        &format!("Time series ({} per row, UTC)", span_text(span)),
    )?;
    let mut table = Table::new(&[
        ("start", Align::Left),
        ("requests", Align::Right),
        ("errors", Align::Right),
        ("documented", Align::Right),
        ("mismatch", Align::Right),
        ("wrong sect", Align::Right),
        ("undoc", Align::Right),
        ("unnamed", Align::Right),
    ]);
    for rows in series.buckets.chunks(per_row) {
        let sum = |f: &dyn Fn(&super::Bucket) -> u64| rows.iter().map(f).sum::<u64>();
        table.row(vec![
            rows[0].start.clone(),
            thousands(sum(&|b| b.requests)),
            thousands(sum(&|b| b.errors)),
            thousands(sum(&|b| b.classes.documented)),
            thousands(sum(&|b| b.classes.status_mismatch)),
            thousands(sum(&|b| b.classes.wrong_section)),
            thousands(sum(&|b| b.classes.undocumented)),
            thousands(sum(&|b| b.classes.unnamed_error)),
        ]);
    }
    table.render(out, 2)?;
    if series.overflow > 0 {
        writeln!(
            out,
            "  {} lines fell beyond the bucket limit; use a wider --bucket",
            thousands(series.overflow)
        )?;
    }
    Ok(())
}

fn span_text(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn endpoints(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let top = style.top;
    if r.endpoints.is_empty() || top == 0 {
        return Ok(());
    }
    heading(
        out,
        style,
        &format!(
            "Endpoints (top {} of {} by requests)",
            top.min(r.endpoints.len()),
            r.endpoints.len()
        ),
    )?;
    let mut table = Table::new(
        &[
            &[
                ("endpoint", Align::Left),
                ("requests", Align::Right),
                ("errors", Align::Right),
                ("%err", Align::Right),
            ][..],
            &FINDING_COLUMNS,
        ]
        .concat(),
    );
    for e in r.endpoints.iter().take(top).chain(&r.endpoints_other) {
        let mut row = vec![
            e.endpoint.clone(),
            thousands(e.requests),
            thousands(e.errors),
            percent(ratio(e.errors, e.requests)),
        ];
        row.extend(finding_cells(&e.classes));
        table.row(row);
    }
    table.render(out, 2)
}

fn heading(out: &mut dyn Write, style: &Style, title: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style.bold(title))
}

fn findings(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Findings")?;
    let notices = super::findings::notices(r);
    for notice in &notices {
        para(out, &format!("  {} ", style.paint("1;33", "!")), 4, notice)?;
    }
    let lines: Vec<String> = super::findings::findings(r)
        .iter()
        .map(|f| f.sentence())
        .collect();
    if lines.is_empty() && !r.is_empty() {
        writeln!(
            out,
            "  {}",
            style.paint("32", "none: every named error matches the catalog")
        )?;
    }
    for l in lines {
        writeln!(out, "  {} {l}", style.paint("1;31", "!"))?;
    }
    for input in r.inputs.iter().filter(|i| i.error.is_some()) {
        let error = input.error.as_deref().unwrap_or_default();
        para(out, "  ! ", 4, &format!("input error: {error}"))?;
    }
    Ok(())
}

fn classes(r: &Report, style: &Style, places: &Places, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Classes")?;
    let t = &r.totals;
    let mut table = Table::new(&[
        ("class", Align::Left),
        ("lines", Align::Right),
        ("share", Align::Right),
    ]);
    for class in Class::ALL {
        let n = t.classes.get(class);
        table.row(vec![
            class.as_str().into(),
            thousands(n),
            percent(ratio(n, t.lines)),
        ]);
    }
    for (name, n) in t.other_lines() {
        table.row(vec![name.into(), thousands(n), percent(ratio(n, t.lines))]);
    }
    table.row(vec![
        "total".into(),
        thousands(t.lines),
        percent(ratio(t.lines, t.lines)),
    ]);
    table.render(out, 2)?;
    let statuses: Vec<String> = r
        .status_classes
        .iter()
        .map(|(k, n)| format!("{k} {} ({})", thousands(*n), percent(ratio(*n, t.requests))))
        .collect();
    if !statuses.is_empty() {
        writeln!(out, "  statuses: {}", statuses.join(", "))?;
    }
    if t.unrouted > 0 {
        writeln!(
            out,
            "  {} requests matched no route and were checked against all sections",
            thousands(t.unrouted)
        )?;
    }
    if t.bad_time > 0 {
        let first: Vec<String> = r.bad_time_examples.iter().map(|l| places.show(l)).collect();
        let text = format!(
            "{} requests had a time that could not be read (first at {})",
            thousands(t.bad_time),
            first.join(", ")
        );
        para(out, "  ", 4, &text)?;
    }
    if let Some(l) = &r.latency {
        writeln!(
            out,
            "  latency over {} requests: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
            thousands(l.samples),
            ms(l.p50_ms),
            ms(l.p90_ms),
            ms(l.p99_ms),
            ms(l.max_ms)
        )?;
    }
    Ok(())
}

fn codes(r: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut seen: Vec<_> = r.codes.iter().filter(|c| c.count > 0).collect();
    seen.sort_by_key(|c| std::cmp::Reverse(c.count));
    heading(
        out,
        style,
        &format!(
            "Catalog codes seen ({} of {}; latency in ms; rates and p90 in -o json)",
            seen.len(),
            r.codes.len()
        ),
    )?;
    if seen.is_empty() {
        return writeln!(out, "  none");
    }
    let mut table = Table::new(&[
        ("section", Align::Left),
        ("name", Align::Left),
        ("status", Align::Right),
        ("count", Align::Right),
        ("%req", Align::Right),
        ("p50", Align::Right),
        ("p99", Align::Right),
        ("max", Align::Right),
        ("also sent as", Align::Wrap),
    ]);
    for c in seen {
        let (p50, _, p99, max) = percentiles(&c.latency);
        let documented = c.status.to_string();
        let mut others = c.statuses.clone();
        others.remove(&documented);
        table.row(vec![
            c.section.clone(),
            c.name.clone(),
            documented,
            thousands(c.count),
            percent(c.share_of_requests),
            p50,
            p99,
            max,
            status_list(&others),
        ]);
    }
    table.render(out, 2)
}

fn mismatches(r: &Report, style: &Style, places: &Places, out: &mut dyn Write) -> io::Result<()> {
    if r.status_mismatches.is_empty() {
        return Ok(());
    }
    heading(
        out,
        style,
        "Status mismatches: a documented name with another status",
    )?;
    let mut table = Table::new(&[
        ("section", Align::Left),
        ("name", Align::Left),
        ("documented", Align::Right),
        ("sent", Align::Right),
        ("count", Align::Right),
        ("first at", Align::Whole),
    ]);
    for m in &r.status_mismatches {
        table.row(vec![
            m.section.clone(),
            m.name.clone(),
            m.documented_status.to_string(),
            m.observed_status.to_string(),
            thousands(m.count),
            places.show(&m.example),
        ]);
    }
    table.render(out, 2)
}

fn wrong_section(
    r: &Report,
    style: &Style,
    places: &Places,
    out: &mut dyn Write,
) -> io::Result<()> {
    if r.wrong_section.is_empty() {
        return Ok(());
    }
    heading(
        out,
        style,
        "Wrong section: a name the request's section does not list",
    )?;
    let mut table = Table::new(&[
        ("section", Align::Left),
        ("name", Align::Left),
        ("status", Align::Right),
        ("listed in", Align::Wrap),
        ("count", Align::Right),
        ("first at", Align::Whole),
    ]);
    for w in &r.wrong_section {
        let listed: Vec<String> = w
            .listed_in
            .iter()
            .map(|(s, st)| format!("{s} {st}"))
            .collect();
        table.row(vec![
            w.section.clone(),
            w.name.clone(),
            w.status.to_string(),
            listed.join(", "),
            thousands(w.count),
            places.show(&w.example),
        ]);
    }
    table.render(out, 2)
}

fn undocumented(r: &Report, style: &Style, places: &Places, out: &mut dyn Write) -> io::Result<()> {
    if r.undocumented.is_empty() {
        return Ok(());
    }
    heading(
        out,
        style,
        "Undocumented names: listed in no section (≈ the catalog name it differs from by case)",
    )?;
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("count", Align::Right),
        ("statuses", Align::Wrap),
        ("first seen", Align::Whole),
        ("first at", Align::Whole),
    ]);
    for u in &r.undocumented {
        let name = match &u.resembles {
            Some(catalog) => format!("{} ≈ {catalog}", u.name),
            None => u.name.clone(),
        };
        table.row(vec![
            name,
            thousands(u.count),
            status_list(&u.statuses),
            u.first_seen.as_deref().map_or("-".into(), short_time),
            places.show(&u.example),
        ]);
    }
    if let Some(o) = &r.undocumented_other {
        table.row(vec![
            format!("(names beyond --max-names {})", o.max_names),
            thousands(o.count),
            status_list(&o.statuses),
            String::new(),
            places.show(&o.example),
        ]);
    }
    table.render(out, 2)
}

/// `2026-11-25T16:26:23Z` -> `11-25 16:26` UTC (the full times are in `-o json`).
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(5..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => rfc3339.to_string(),
    }
}

fn unnamed(r: &Report, style: &Style, places: &Places, out: &mut dyn Write) -> io::Result<()> {
    if r.unnamed_errors.is_empty() {
        return Ok(());
    }
    heading(out, style, "Errors without a name, by status")?;
    let mut table = Table::new(&[
        ("status", Align::Right),
        ("count", Align::Right),
        ("%err", Align::Right),
        ("p50 ms", Align::Right),
        ("p99 ms", Align::Right),
        ("first at", Align::Whole),
    ]);
    for u in &r.unnamed_errors {
        let (p50, _, p99, _) = percentiles(&u.latency);
        table.row(vec![
            u.status.to_string(),
            thousands(u.count),
            percent(u.share_of_errors),
            p50,
            p99,
            places.show(&u.example),
        ]);
    }
    table.render(out, 2)
}

fn malformed(r: &Report, style: &Style, places: &Places, out: &mut dyn Write) -> io::Result<()> {
    let m = &r.malformed;
    if m.count == 0 {
        return Ok(());
    }
    heading(
        out,
        style,
        &format!("Malformed lines: {}", thousands(m.count)),
    )?;
    let mut reasons = Table::new(&[("reason", Align::Left), ("count", Align::Right)]);
    let mut sorted: Vec<_> = m.reasons.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (reason, n) in sorted {
        reasons.row(vec![reason.clone(), thousands(*n)]);
    }
    reasons.render(out, 2)?;
    let mut first = Table::new(&[("first at", Align::Whole), ("reason", Align::Wrap)]);
    for e in &m.examples {
        first.row(vec![places.show(&e.location), e.reason.clone()]);
    }
    writeln!(out)?;
    first.render(out, 2)
}

fn inputs(r: &Report, style: &Style, places: &Places, out: &mut dyn Write) -> io::Result<()> {
    heading(out, style, "Inputs")?;
    // Numbered inputs are listed with their paths and errors under the table,
    // where a long path has the whole width.
    let first = if places.numbered {
        ("#", Align::Right)
    } else {
        ("path", Align::Wrap)
    };
    let mut columns = vec![
        first,
        ("format", Align::Left),
        ("compressed", Align::Left),
        ("latency from", Align::Left),
        ("bytes", Align::Right),
        ("lines", Align::Right),
    ];
    if !places.numbered {
        columns.push(("error", Align::Wrap));
    }
    let mut table = Table::new(&columns);
    for (n, i) in r.inputs.iter().enumerate() {
        let mut row = vec![
            if places.numbered {
                format!("[{}]", n + 1)
            } else {
                i.path.clone()
            },
            i.format.clone().unwrap_or_else(|| "-".into()),
            i.compression.clone().unwrap_or_else(|| "-".into()),
            i.latency_source.clone().unwrap_or_else(|| "-".into()),
            thousands(i.bytes),
            thousands(i.lines),
        ];
        if !places.numbered {
            row.push(i.error.clone().unwrap_or_default());
        }
        table.row(row);
    }
    table.render(out, 2)?;
    if places.numbered {
        writeln!(out)?;
        for (n, i) in r.inputs.iter().enumerate() {
            // Errors about an input start with its path.
            let text = match &i.error {
                Some(e) if e.starts_with(i.path.as_str()) => e.clone(),
                Some(e) => format!("{}: {e}", i.path),
                None => i.path.clone(),
            };
            para(out, "  ", 6, &format!("[{}] {text}", n + 1))?;
        }
    }
    for (n, i) in r.inputs.iter().enumerate() {
        let Some(resumed) = i.resumed else {
            continue;
        };
        let name = if places.numbered {
            format!("[{}]", n + 1)
        } else {
            i.path.clone()
        };
        let line = format!(
            "{name}: read on from where the last run stopped (--state), after line {} ({} bytes)",
            thousands(resumed.lines),
            thousands(resumed.bytes)
        );
        para(out, "  ", 4, &line)?;
    }
    Ok(())
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn percentiles(l: &Option<Latency>) -> (String, String, String, String) {
    match l {
        Some(l) => (ms(l.p50_ms), ms(l.p90_ms), ms(l.p99_ms), ms(l.max_ms)),
        None => ("-".into(), "-".into(), "-".into(), "-".into()),
    }
}
