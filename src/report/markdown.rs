//! `-o markdown`: the report for a chat message or a wiki page. A title line with the
//! totals, the findings as a short bullet list, then GitHub-flavoured tables (only the
//! ones with rows). Text from logs is escaped: names and locations become code spans,
//! other cells have markdown punctuation backslash-escaped, and control characters
//! are shown as `\x1b`, so a log line cannot break a table or inject markup.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::table::{self, escape_control, percent, ratio, thousands};
use super::Report;
use crate::classify::Class;

/// Malformed lines listed (the JSON report has `--examples` of them).
const MAX_MALFORMED_EXAMPLES: usize = 5;

/// Write the report; at most `top` catalog codes are listed (most frequent first).
pub fn render(r: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    // A benchmark build's report is wrong on purpose: said before anything else.
    if let Some(build) = &r.build {
        writeln!(out, "> **{}**\n", text(build))?;
    }
    writeln!(
        out,
        "### errscope: {} lines, {} ({}), {}",
        thousands(t.lines),
        super::findings::count(t.errors, "error", "errors"),
        percent(ratio(t.errors, t.requests)),
        finding_count(r),
    )?;
    let mut about = format!(
        "{} input{}, catalog {}",
        r.inputs.len(),
        if r.inputs.len() == 1 { "" } else { "s" },
        code(&r.catalog.source)
    );
    if let Some(span) = &r.time {
        let _ = write!(about, ", {} .. {}", span.first, span.last);
    }
    writeln!(out, "{about}")?;
    writeln!(out)?;
    for line in findings(r) {
        writeln!(out, "- {line}")?;
    }

    classes(r, out)?;
    codes(r, top, out)?;
    mismatches(r, out)?;
    wrong_section(r, out)?;
    undocumented(r, out)?;
    unnamed(r, out)?;
    malformed(r, out)
}

/// "no findings" / "3 findings": the kinds of problem the bullet list shows.
fn finding_count(r: &Report) -> String {
    let n = super::findings::notices(r).len()
        + super::findings::findings(r).len()
        + r.inputs.iter().filter(|i| i.error.is_some()).count();
    match n {
        0 => "no findings".into(),
        1 => "1 finding".into(),
        n => format!("{n} findings"),
    }
}

/// The bullet list: one line per kind of problem, with the worst examples named.
fn findings(r: &Report) -> Vec<String> {
    let mut lines: Vec<String> = super::findings::notices(r)
        .into_iter()
        .map(|n| format!("**{}**", text(&n)))
        .collect();
    lines.extend(super::findings::findings(r).into_iter().map(|f| {
        let mut line = format!("**{}** {}", lines_of(f.lines), f.what);
        if let Some(groups) = &f.groups {
            line.push_str(&format!(" ({groups})"));
        }
        if !f.names.is_empty() {
            line.push_str(&format!(": {}", first_names(f.names.into_iter())));
        }
        if f.more {
            line.push_str(" and more beyond `--max-names`");
        }
        line
    }));
    for input in r.inputs.iter().filter(|i| i.error.is_some()) {
        lines.push(format!(
            "input error: {}",
            text(input.error.as_deref().unwrap_or_default())
        ));
    }
    if lines.is_empty() {
        lines.push("No findings: every named error matches the catalog.".into());
    }
    lines
}

fn lines_of(n: u64) -> String {
    super::findings::count(n, "line", "lines")
}

/// Up to three distinct names as code spans, then "…" when there are more.
fn first_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut distinct: Vec<&str> = Vec::new();
    let mut more = false;
    for name in names {
        if distinct.contains(&name) {
            continue;
        }
        if distinct.len() == 3 {
            more = true;
            break;
        }
        distinct.push(name);
    }
    let mut list: Vec<String> = distinct.into_iter().map(code).collect();
    if more {
        list.push("…".into());
    }
    list.join(", ")
}

fn classes(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    let mut table = MdTable::new("Classes", &["class", "lines", "share"], "lrr");
    for class in Class::ALL {
        let n = t.classes.get(class);
        if n > 0 {
            table.row(vec![
                class.as_str().into(),
                thousands(n),
                percent(ratio(n, t.lines)),
            ]);
        }
    }
    for (name, n) in t.other_lines() {
        table.row(vec![name.into(), thousands(n), percent(ratio(n, t.lines))]);
    }
    table.row(vec!["total".into(), thousands(t.lines), percent(1.0)]);
    table.render(out)
}

fn codes(r: &Report, top: usize, out: &mut dyn Write) -> io::Result<()> {
    let mut seen: Vec<_> = r.codes.iter().filter(|c| c.count > 0).collect();
    seen.sort_by_key(|c| std::cmp::Reverse(c.count));
    let title = if seen.len() > top {
        format!(
            "Catalog codes seen (top {top} of {}; {} codes in the catalog)",
            seen.len(),
            r.codes.len()
        )
    } else {
        format!(
            "Catalog codes seen ({} of {} in the catalog)",
            seen.len(),
            r.codes.len()
        )
    };
    let mut table = MdTable::new(
        &title,
        &[
            "section",
            "name",
            "status",
            "count",
            "%req",
            "statuses seen",
        ],
        "llrrrl",
    );
    for c in seen.into_iter().take(top) {
        table.row(vec![
            text(&c.section),
            code(&c.name),
            c.status.to_string(),
            thousands(c.count),
            percent(c.share_of_requests),
            status_list(&c.statuses),
        ]);
    }
    table.render(out)
}

fn mismatches(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut table = MdTable::new(
        "Status mismatches",
        &["section", "name", "documented", "sent", "count", "first at"],
        "llrrrl",
    );
    for m in &r.status_mismatches {
        table.row(vec![
            text(&m.section),
            code(&m.name),
            m.documented_status.to_string(),
            m.observed_status.to_string(),
            thousands(m.count),
            code(&m.example),
        ]);
    }
    table.render(out)
}

fn wrong_section(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut table = MdTable::new(
        "Wrong section",
        &[
            "section",
            "name",
            "status",
            "listed in",
            "count",
            "first at",
        ],
        "llrlrl",
    );
    for w in &r.wrong_section {
        let listed: Vec<String> = w
            .listed_in
            .iter()
            .map(|(s, st)| format!("{} {st}", text(s)))
            .collect();
        table.row(vec![
            text(&w.section),
            code(&w.name),
            w.status.to_string(),
            listed.join(", "),
            thousands(w.count),
            code(&w.example),
        ]);
    }
    table.render(out)
}

fn undocumented(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut table = MdTable::new(
        "Undocumented names",
        &["name", "count", "statuses", "first at", "resembles"],
        "lrlll",
    );
    for u in &r.undocumented {
        table.row(vec![
            code(&u.name),
            thousands(u.count),
            status_list(&u.statuses),
            code(&u.example),
            u.resembles.as_deref().map(code).unwrap_or_default(),
        ]);
    }
    if let Some(o) = &r.undocumented_other {
        table.row(vec![
            format!("(other names beyond `--max-names {}`)", o.max_names),
            thousands(o.count),
            status_list(&o.statuses),
            code(&o.example),
            String::new(),
        ]);
    }
    table.render(out)
}

fn unnamed(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut table = MdTable::new(
        "Errors without a name",
        &["status", "count", "%err", "first at"],
        "rrrl",
    );
    for u in &r.unnamed_errors {
        table.row(vec![
            u.status.to_string(),
            thousands(u.count),
            percent(u.share_of_errors),
            code(&u.example),
        ]);
    }
    table.render(out)
}

fn malformed(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let shown = r.malformed.examples.len().min(MAX_MALFORMED_EXAMPLES);
    let title = format!(
        "Malformed lines: {} (the first {shown})",
        thousands(r.malformed.count)
    );
    let mut table = MdTable::new(&title, &["first at", "reason"], "ll");
    for e in r.malformed.examples.iter().take(shown) {
        table.row(vec![code(&e.location), text(&e.reason)]);
    }
    table.render(out)
}

/// A markdown table under a `####` heading; written only when it has rows.
pub(crate) struct MdTable {
    title: String,
    headers: Vec<&'static str>,
    /// One `l` or `r` per column.
    align: &'static str,
    rows: Vec<Vec<String>>,
    /// Rows left out by [`MdTable::cap`].
    more: usize,
}

impl MdTable {
    /// `align` holds one `l` (left) or `r` (right) per header.
    pub(crate) fn new(title: &str, headers: &[&'static str], align: &'static str) -> MdTable {
        debug_assert_eq!(headers.len(), align.len());
        MdTable {
            title: title.to_string(),
            headers: headers.to_vec(),
            align,
            rows: Vec::new(),
            more: 0,
        }
    }

    /// Keep the first `top` rows; the table ends with how many more there were.
    pub(crate) fn cap(&mut self, top: usize) {
        if self.rows.len() > top {
            self.more += self.rows.len() - top;
            self.rows.truncate(top);
        }
    }

    /// Add a row of cells already escaped with [`code`] or [`text`] (or made of
    /// numbers).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    pub(crate) fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        writeln!(out)?;
        writeln!(out, "#### {}", self.title)?;
        writeln!(out)?;
        writeln!(out, "| {} |", self.headers.join(" | "))?;
        let rule: Vec<&str> = self
            .align
            .chars()
            .map(|a| if a == 'r' { "--:" } else { "---" })
            .collect();
        writeln!(out, "|{}|", rule.join("|"))?;
        for row in &self.rows {
            writeln!(out, "| {} |", row.join(" | "))?;
        }
        if self.more > 0 {
            writeln!(out)?;
            writeln!(
                out,
                "_and {} more (`-o json` lists them all)_",
                thousands(self.more as u64)
            )?;
        }
        Ok(())
    }
}

/// `s` as an inline code span that shows it verbatim inside a table cell: control
/// characters escaped, `|` written `\|` (GFM splits cells before code spans), and a
/// backtick fence longer than any run of backticks inside.
pub(crate) fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let s = escape_control(s).replace('|', "\\|");
    let longest = s
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or_default();
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space inside the fence.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// `s` as plain table-cell text: control characters escaped and the punctuation
/// markdown would act on backslash-escaped.
pub(crate) fn text(s: &str) -> String {
    let s = escape_control(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn status_list(m: &BTreeMap<String, u64>) -> String {
    text(&table::status_list(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_pipes_backticks_and_controls() {
        assert_eq!(code("INVALID_API_KEY"), "`INVALID_API_KEY`");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("x\x1by"), "`x\\x1by`");
        assert_eq!(code(""), "");
    }

    #[test]
    fn text_escapes_markup() {
        assert_eq!(text("a*b*_c_|d"), "a\\*b\\*\\_c\\_\\|d");
        assert_eq!(text("<script>"), "\\<script\\>");
        assert_eq!(text("line\nbreak"), "line\\\\x0abreak");
    }
}
