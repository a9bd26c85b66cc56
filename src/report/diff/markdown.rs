//! `diff -o markdown`: the comparison for a chat message or a wiki page: a title line,
//! the changes as a bullet list, then a table per kind of change (only those with
//! rows). Escaping as in the markdown report.

use std::io::{self, Write};

use super::text::{documented, factor, findings, notices};
use super::{change_text, Change, Diff};
use crate::report::markdown::{code, text, MdTable};
use crate::report::table::{percent, thousands};

/// Write the comparison; each table and list names at most `top` rows (`-o json`
/// has all).
pub fn render(d: &Diff, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let found = findings(d);
    writeln!(
        out,
        "### errscope diff: {}",
        if found.is_empty() {
            "no new findings".to_string()
        } else {
            found.join(", ")
        }
    )?;
    writeln!(
        out,
        "{} ({} lines) → {} ({} lines); rates compared at ×{} with at least {} lines",
        code(&d.baseline.source),
        thousands(d.baseline.lines),
        code(&d.current.source),
        thousands(d.current.lines),
        factor(d.threshold),
        thousands(d.min_count)
    )?;
    writeln!(out)?;
    let mut bullets: Vec<String> = notices(d)
        .iter()
        .map(|n| format!("**note**: {}", text(n)))
        .collect();
    // `a, b, c and 7 more`
    let at_most = |items: Vec<String>| {
        let more = items.len().saturating_sub(top);
        let mut shown = items.into_iter().take(top).collect::<Vec<_>>().join(", ");
        if more > 0 {
            shown.push_str(&format!(" and {more} more"));
        }
        shown
    };
    if !d.new_undocumented.is_empty() {
        let names: Vec<String> = d.new_undocumented.iter().map(|u| code(&u.name)).collect();
        bullets.push(format!("**new undocumented names**: {}", at_most(names)));
    }
    if !d.new_mismatches.is_empty() {
        let pairs: Vec<String> = d
            .new_mismatches
            .iter()
            .map(|p| format!("{} {} {}", text(&p.section), code(&p.name), p.status))
            .collect();
        bullets.push(format!("**new mismatches**: {}", at_most(pairs)));
    }
    if !d.regressions.is_empty() {
        bullets.push(format!("**regressions**: {}", change_list(&d.regressions)));
    }
    if !d.improvements.is_empty() {
        bullets.push(format!("improvements: {}", change_list(&d.improvements)));
    }
    if !d.disappeared.is_empty() {
        bullets.push(format!("disappeared: {}", change_list(&d.disappeared)));
    }
    if bullets.is_empty() {
        bullets.push("No changes beyond the threshold.".into());
    }
    for b in bullets {
        writeln!(out, "- {b}")?;
    }

    let mut names = MdTable::new(
        "New undocumented names",
        &["name", "count", "first at", "resembles"],
        "lrll",
    );
    for u in &d.new_undocumented {
        names.row(vec![
            code(&u.name),
            thousands(u.count),
            code(&u.example),
            u.resembles.as_deref().map(code).unwrap_or_default(),
        ]);
    }
    names.cap(top);
    names.render(out)?;

    let mut pairs = MdTable::new(
        "New mismatches",
        &[
            "class",
            "section",
            "name",
            "sent",
            "documented",
            "count",
            "first at",
        ],
        "lllrlrl",
    );
    for p in &d.new_mismatches {
        pairs.row(vec![
            text(p.class.as_str()),
            text(&p.section),
            code(&p.name),
            p.status.to_string(),
            text(&documented(p)),
            thousands(p.count),
            code(&p.example),
        ]);
    }
    pairs.cap(top);
    pairs.render(out)?;

    changes(out, "Regressions", &d.regressions, top)?;
    changes(out, "Improvements", &d.improvements, top)?;
    changes(out, "Disappeared", &d.disappeared, top)
}

/// `` `NAME` +80% `` items, at most five, for a bullet.
fn change_list(rows: &[Change]) -> String {
    let mut items: Vec<String> = rows
        .iter()
        .take(5)
        .map(|c| format!("{} {}", code(&c.label()), change_cell(c)))
        .collect();
    if rows.len() > 5 {
        items.push(format!("and {} more", rows.len() - 5));
    }
    items.join(", ")
}

fn changes(out: &mut dyn Write, title: &str, rows: &[Change], top: usize) -> io::Result<()> {
    let mut table = MdTable::new(
        title,
        &[
            "kind", "code", "baseline", "%req", "current", "%req", "change",
        ],
        "llrrrrr",
    );
    for c in rows {
        table.row(vec![
            text(c.kind.as_str()),
            code(&c.label()),
            thousands(c.baseline_count),
            percent(c.baseline_share),
            thousands(c.current_count),
            percent(c.current_share),
            change_cell(c),
        ]);
    }
    table.cap(top);
    table.render(out)
}

/// `+50%`, or `gone` for a code no longer seen.
fn change_cell(c: &Change) -> String {
    if c.current_count == 0 {
        "gone".into()
    } else {
        change_text(c.change)
    }
}
