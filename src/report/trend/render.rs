//! `trend -o text|markdown|csv|json`: the nights, then the codes and undocumented
//! names with a count per night and a sparkline, worst movers first.

use std::io::{self, Write};

use super::{Series, Trend};
use crate::report::markdown::{code, text, MdTable};
use crate::report::table::{
    escape_control, finding_cells, percent, thousands, Align, Table, FINDING_COLUMNS,
};

/// `▁▃█`: each count's height against the series' largest (a space for 0).
pub fn sparkline(counts: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| match c {
            0 => ' ',
            c => BARS[((c * 8).div_ceil(max) - 1).min(7) as usize],
        })
        .collect()
}

/// `code`'s label: `llm RATE_LIMIT_EXCEEDED 429`, or the undocumented name.
fn label(s: &Series) -> String {
    match (&s.section, s.status) {
        (Some(section), Some(status)) => format!("{section} {} {status}", s.name),
        _ => s.name.clone(),
    }
}

/// `-o text`, tables of at most `top` codes and names.
pub fn text_report(t: &Trend, top: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "errscope trend: {} nights, {} .. {}",
        t.nights.len(),
        t.nights.first().map_or("", |n| n.label.as_str()),
        t.nights.last().map_or("", |n| n.label.as_str())
    )?;
    writeln!(out, "\nNights")?;
    let mut nights = Table::new(
        &[
            &[
                ("night", Align::Left),
                ("lines", Align::Right),
                ("requests", Align::Right),
                ("errors", Align::Right),
                ("%err", Align::Right),
            ][..],
            &FINDING_COLUMNS,
            &[("malformed", Align::Right)],
        ]
        .concat(),
    );
    for n in &t.nights {
        let mut row = vec![
            if n.complete {
                n.label.clone()
            } else {
                format!("{} (incomplete)", n.label)
            },
            thousands(n.lines),
            thousands(n.requests),
            thousands(n.errors),
            percent(n.error_rate),
        ];
        row.extend(finding_cells(&n.classes));
        row.push(thousands(n.classes.malformed));
        nights.row(row);
    }
    nights.render(out, 2)?;
    for (title, rows) in [
        ("Catalog codes, worst movers first", &t.codes),
        ("Undocumented names, worst movers first", &t.undocumented),
    ] {
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{title} (lines per night)")?;
        let mut table = Table::new(&[
            ("code", Align::Left),
            ("nights", Align::Left),
            ("first", Align::Right),
            ("last", Align::Right),
            ("%req last", Align::Right),
            ("change", Align::Right),
        ]);
        for s in rows {
            let first = s.counts.first().copied().unwrap_or(0);
            let last = s.counts.last().copied().unwrap_or(0);
            let change = s.score * 100.0;
            table.row(vec![
                label(s),
                sparkline(&s.counts),
                thousands(first),
                thousands(last),
                percent(s.rates.last().copied().unwrap_or(0.0)),
                format!("{change:+.2} pt"),
            ]);
        }
        table.cap(top);
        table.render(out, 2)?;
    }
    let changes: Vec<String> = t
        .nights
        .iter()
        .filter(|n| !n.new_names.is_empty() || !n.gone_names.is_empty())
        .map(|n| {
            let mut parts = Vec::new();
            if !n.new_names.is_empty() {
                parts.push(format!("new {}", n.new_names.join(", ")));
            }
            if !n.gone_names.is_empty() {
                parts.push(format!("gone {}", n.gone_names.join(", ")));
            }
            format!("{}: {}", n.label, parts.join("; "))
        })
        .collect();
    if !changes.is_empty() {
        writeln!(out, "\nUndocumented names new or gone")?;
        for c in changes {
            for line in crate::report::table::wrap(&escape_control(&c), 96) {
                writeln!(out, "  {line}")?;
            }
        }
    }
    Ok(())
}

/// `-o markdown`.
pub fn markdown(t: &Trend, top: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### errscope trend: {} nights", t.nights.len())?;
    let mut nights = MdTable::new(
        "Nights",
        &[
            "night",
            "lines",
            "requests",
            "errors",
            "%err",
            "undocumented",
            "mismatch",
        ],
        "lrrrrrr",
    );
    for n in &t.nights {
        nights.row(vec![
            text(&n.label),
            thousands(n.lines),
            thousands(n.requests),
            thousands(n.errors),
            percent(n.error_rate),
            thousands(n.classes.undocumented),
            thousands(n.classes.status_mismatch),
        ]);
    }
    nights.render(out)?;
    for (title, rows) in [
        ("Catalog codes", &t.codes),
        ("Undocumented names", &t.undocumented),
    ] {
        let mut table = MdTable::new(title, &["code", "nights", "last", "%req last"], "lllr");
        for s in rows {
            table.row(vec![
                code(&label(s)),
                sparkline(&s.counts),
                s.counts
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" · "),
                percent(s.rates.last().copied().unwrap_or(0.0)),
            ]);
        }
        table.cap(top);
        table.render(out)?;
    }
    Ok(())
}

/// `-o json`: every night, code and name.
pub fn json(t: &Trend, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, t)?;
    writeln!(out)
}

/// `-o csv`: one row per night and code or name (RFC 4180, CRLF), for a
/// spreadsheet's pivot table: `night,kind,section,name,status,count,rate`.
pub fn csv(t: &Trend, out: &mut dyn Write) -> io::Result<()> {
    use crate::report::csv::{guarded, io_error, writer};
    let mut out = writer(out);
    out.write_record([
        "night", "kind", "section", "name", "status", "count", "rate",
    ])
    .map_err(io_error)?;
    for (kind, rows) in [("catalog", &t.codes), ("undocumented", &t.undocumented)] {
        for s in rows {
            let section = guarded(s.section.as_deref().unwrap_or(""));
            let name = guarded(&s.name);
            let status = s.status.map_or(String::new(), |st| st.to_string());
            for (i, night) in t.nights.iter().enumerate() {
                let (count, rate) = (s.counts[i].to_string(), s.rates[i].to_string());
                out.write_record([
                    guarded(&night.label).as_str(),
                    kind,
                    &section,
                    &name,
                    &status,
                    &count,
                    &rate,
                ])
                .map_err(io_error)?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0, 1, 8]), " ▁█");
        assert_eq!(sparkline(&[5, 5]), "██");
        assert_eq!(sparkline(&[1, 2, 3, 4, 5, 6, 7, 8]), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[1, 1000]), "▁█");
        assert_eq!(sparkline(&[]), "");
    }
}
