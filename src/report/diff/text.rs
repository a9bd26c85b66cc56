//! `diff -o text`: the comparison as aligned tables for a terminal, findings first,
//! in the style of the text report (and appended to it by `analyze --baseline`).

use std::io::{self, Write};

use super::{change_text, Change, Diff, Side};
use crate::classify::Class;
use crate::report::table::{escape_control, percent, ratio, status_list, thousands, Align, Table};

/// Write the comparison; each table lists at most `top` rows (`-o json` has all).
pub fn render(d: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "errscope diff: {} -> {}",
        side_text(&d.baseline),
        side_text(&d.current)
    )?;
    writeln!(
        out,
        "a rate changed when it moved by more than a factor of {} (--threshold {}) with at \
         least {} lines (--min-count)",
        factor(d.threshold),
        d.threshold,
        thousands(d.min_count)
    )?;

    writeln!(out)?;
    writeln!(out, "Changes")?;
    let findings = findings(d);
    if findings.is_empty() {
        writeln!(
            out,
            "  none: no new names, no new mismatches, no rate beyond the threshold"
        )?;
    }
    for f in findings {
        writeln!(out, "  ! {f}")?;
    }
    let quiet = [
        (d.improvements.len(), "improvement", "improvements"),
        (d.disappeared.len(), "code disappeared", "codes disappeared"),
    ];
    for (n, one, many) in quiet {
        if n > 0 {
            writeln!(out, "  {n} {}", if n == 1 { one } else { many })?;
        }
    }
    for note in notices(d) {
        writeln!(out, "  note: {note}")?;
    }
    if d.baseline_names_capped {
        writeln!(
            out,
            "  note: the baseline listed only its first --max-names undocumented names; \
             a \"new\" name may have been among the rest"
        )?;
    }

    classes(d, out)?;
    new_names(d, top, out)?;
    new_pairs(d, top, out)?;
    changes(
        out,
        &format!(
            "Regressions: rate up by more than {}",
            change_text(Some(d.threshold))
        ),
        &d.regressions,
        top,
    )?;
    changes(
        out,
        "Improvements: rate down by the same factor",
        &d.improvements,
        top,
    )?;
    changes(
        out,
        "Disappeared: in the baseline, not now",
        &d.disappeared,
        top,
    )
}

/// What to know before trusting the comparison: a report that counted nothing or
/// is incomplete (`complete: false`) compares only what it holds.
pub(crate) fn notices(d: &Diff) -> Vec<String> {
    let mut out = Vec::new();
    for (which, side) in [("baseline", &d.baseline), ("current", &d.current)] {
        if side.lines == 0 {
            out.push(format!(
                "the {which} report counted no lines ({})",
                side.source
            ));
        }
        if !side.complete {
            out.push(format!(
                "the {which} report is incomplete: some of its inputs were not read in full ({})",
                side.source
            ));
        }
    }
    out
}

/// The lines of the findings list (what `--fail-on` can act on).
pub(crate) fn findings(d: &Diff) -> Vec<String> {
    let mut lines = Vec::new();
    let n = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if !d.new_undocumented.is_empty() {
        lines.push(n(
            d.new_undocumented.len(),
            "new undocumented name",
            "new undocumented names",
        ));
    }
    if !d.new_mismatches.is_empty() {
        lines.push(n(
            d.new_mismatches.len(),
            "new mismatch (status or section)",
            "new mismatches (status or section)",
        ));
    }
    if !d.regressions.is_empty() {
        lines.push(n(
            d.regressions.len(),
            "code whose rate rose beyond the threshold",
            "codes whose rate rose beyond the threshold",
        ));
    }
    lines
}

fn side_text(s: &Side) -> String {
    let mut text = format!(
        "{} ({} lines",
        escape_control(&s.source),
        thousands(s.lines)
    );
    if let Some(t) = &s.time {
        text.push_str(&format!(", {} .. {}", t.first, t.last));
    }
    text.push(')');
    text
}

/// The factor a threshold stands for: 0.5 -> `1.5`.
pub(crate) fn factor(threshold: f64) -> String {
    let f = 1.0 + threshold;
    if f.fract() == 0.0 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

fn classes(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Classes")?;
    let mut table = Table::new(&[
        ("class", Align::Left),
        ("baseline", Align::Right),
        ("share", Align::Right),
        ("current", Align::Right),
        ("share", Align::Right),
    ]);
    for class in Class::ALL {
        let (b, c) = (d.baseline.classes.get(class), d.current.classes.get(class));
        table.row(vec![
            class.as_str().into(),
            thousands(b),
            percent(ratio(b, d.baseline.lines)),
            thousands(c),
            percent(ratio(c, d.current.lines)),
        ]);
    }
    table.row(vec![
        "total".into(),
        thousands(d.baseline.lines),
        String::new(),
        thousands(d.current.lines),
        String::new(),
    ]);
    table.render(out, 2)
}

fn new_names(d: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    if d.new_undocumented.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "New undocumented names: not in the baseline")?;
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("count", Align::Right),
        ("statuses", Align::Left),
        ("first at", Align::Left),
        ("resembles", Align::Left),
    ]);
    for u in &d.new_undocumented {
        table.row(vec![
            u.name.clone(),
            thousands(u.count),
            status_list(&u.statuses),
            u.example.clone(),
            u.resembles.clone().unwrap_or_default(),
        ]);
    }
    table.cap(top);
    table.render(out, 2)
}

fn new_pairs(d: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    if d.new_mismatches.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "New mismatches: pairs not in the baseline")?;
    let mut table = Table::new(&[
        ("class", Align::Left),
        ("section", Align::Left),
        ("name", Align::Left),
        ("sent", Align::Right),
        ("documented", Align::Left),
        ("count", Align::Right),
        ("first at", Align::Left),
    ]);
    for p in &d.new_mismatches {
        table.row(vec![
            p.class.as_str().into(),
            p.section.clone(),
            p.name.clone(),
            p.status.to_string(),
            documented(p),
            thousands(p.count),
            p.example.clone(),
        ]);
    }
    table.cap(top);
    table.render(out, 2)
}

/// `429`, or `listed in llm 404` for a wrong-section pair.
pub(crate) fn documented(p: &super::NewPair) -> String {
    match p.documented_status {
        Some(s) => s.to_string(),
        None => {
            let listed: Vec<String> = p
                .listed_in
                .iter()
                .map(|(s, st)| format!("{s} {st}"))
                .collect();
            format!("listed in {}", listed.join(", "))
        }
    }
}

fn changes(out: &mut dyn Write, title: &str, rows: &[Change], top: usize) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{title}")?;
    let mut table = Table::new(&[
        ("kind", Align::Left),
        ("code", Align::Left),
        ("baseline", Align::Right),
        ("%req", Align::Right),
        ("current", Align::Right),
        ("%req", Align::Right),
        ("change", Align::Right),
    ]);
    for c in rows {
        table.row(vec![
            c.kind.as_str().into(),
            c.label(),
            thousands(c.baseline_count),
            percent(c.baseline_share),
            thousands(c.current_count),
            percent(c.current_share),
            if c.current_count == 0 {
                "gone".into()
            } else {
                change_text(c.change)
            },
        ]);
    }
    table.cap(top);
    table.render(out, 2)
}
