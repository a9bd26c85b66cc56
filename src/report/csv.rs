//! `-o csv`: the report as one table for spreadsheets, one row per code and class
//! (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote or a line
//! break, quotes doubled).
//!
//! Rows, in this order: every catalog code's `documented` row (seen or not), a
//! `status_mismatch` row per observed status, a `wrong_section` row per
//! (section, name, status), an `undocumented` row per (name, status), an
//! `unnamed_error` row per status, then one `ok` and one `malformed` row. The
//! `count` column of these rows therefore adds up to the lines classified (`lines` −
//! `outside_window`).
//!
//! Then, only when there is something to know before trusting the rows: an `empty`
//! row when no line was classified (its `example` says why), and an `input_error`
//! row per input with an error (`name`: the input, `count`: the lines read from it,
//! `example`: the error). These are not part of that sum; nor is the first row of a
//! benchmark build's report, `benchmark_build`, whose `example` says that its counts
//! are wrong on purpose ([`crate::stage`]).
//!
//! Text that comes from logs (names, locations) has control characters escaped
//! (`\x1b`), and a field that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-` or `@`) is prefixed with `'`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::table::escape_control;
use super::Report;

/// The header row; README's "CSV columns" table documents each.
pub const COLUMNS: [&str; 11] = [
    "section",
    "name",
    "documented_status",
    "class",
    "status",
    "count",
    "share_of_requests",
    "share_of_errors",
    "listed_in",
    "resembles",
    "example",
];

/// One CSV row before quoting.
#[derive(Default)]
struct Row {
    section: String,
    name: String,
    documented_status: Option<u16>,
    class: &'static str,
    status: Option<String>,
    count: u64,
    listed_in: String,
    resembles: String,
    example: String,
}

pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_record(out, COLUMNS.iter().copied())?;
    let requests = r.totals.requests;
    let errors = r.totals.errors;
    for row in rows(r) {
        let is_error = row
            .status
            .as_deref()
            .and_then(|s| s.parse::<u16>().ok())
            .is_some_and(|s| s >= 400);
        let share_of_errors = if is_error {
            share(row.count, errors)
        } else {
            String::new()
        };
        let documented = row
            .documented_status
            .map(|s| s.to_string())
            .unwrap_or_default();
        let status = row.status.unwrap_or_default();
        let count = row.count.to_string();
        let share_of_requests = if matches!(
            row.class,
            "malformed" | "empty" | "input_error" | "benchmark_build"
        ) {
            String::new()
        } else {
            share(row.count, requests)
        };
        write_record(
            out,
            [
                guarded(&row.section).as_str(),
                guarded(&row.name).as_str(),
                documented.as_str(),
                row.class,
                status.as_str(),
                count.as_str(),
                share_of_requests.as_str(),
                share_of_errors.as_str(),
                guarded(&row.listed_in).as_str(),
                guarded(&row.resembles).as_str(),
                guarded(&row.example).as_str(),
            ],
        )?;
    }
    Ok(())
}

fn rows(r: &Report) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(build) = &r.build {
        rows.push(Row {
            class: "benchmark_build",
            example: build.clone(),
            ..Row::default()
        });
    }
    for c in &r.codes {
        rows.push(Row {
            section: c.section.clone(),
            name: c.name.clone(),
            documented_status: Some(c.status),
            class: "documented",
            status: Some(c.status.to_string()),
            count: c.statuses.get(&c.status.to_string()).copied().unwrap_or(0),
            ..Row::default()
        });
    }
    for m in &r.status_mismatches {
        rows.push(Row {
            section: m.section.clone(),
            name: m.name.clone(),
            documented_status: Some(m.documented_status),
            class: "status_mismatch",
            status: Some(m.observed_status.to_string()),
            count: m.count,
            example: m.example.clone(),
            ..Row::default()
        });
    }
    for w in &r.wrong_section {
        rows.push(Row {
            section: w.section.clone(),
            name: w.name.clone(),
            class: "wrong_section",
            status: Some(w.status.to_string()),
            count: w.count,
            listed_in: listed_in(&w.listed_in),
            example: w.example.clone(),
            ..Row::default()
        });
    }
    for u in &r.undocumented {
        for (status, n) in &u.statuses {
            rows.push(Row {
                name: u.name.clone(),
                class: "undocumented",
                status: Some(status.clone()),
                count: *n,
                resembles: u.resembles.clone().unwrap_or_default(),
                example: u.example.clone(),
                ..Row::default()
            });
        }
    }
    if let Some(o) = &r.undocumented_other {
        for (status, n) in &o.statuses {
            rows.push(Row {
                name: format!("(other names beyond --max-names {})", o.max_names),
                class: "undocumented",
                status: Some(status.clone()),
                count: *n,
                example: o.example.clone(),
                ..Row::default()
            });
        }
    }
    for u in &r.unnamed_errors {
        rows.push(Row {
            class: "unnamed_error",
            status: Some(u.status.to_string()),
            count: u.count,
            example: u.example.clone(),
            ..Row::default()
        });
    }
    rows.push(Row {
        class: "ok",
        count: r.totals.classes.ok,
        ..Row::default()
    });
    rows.push(Row {
        class: "malformed",
        count: r.totals.classes.malformed,
        example: r
            .malformed
            .examples
            .first()
            .map(|e| e.location.clone())
            .unwrap_or_default(),
        ..Row::default()
    });
    if r.is_empty() {
        rows.push(Row {
            class: "empty",
            count: 0,
            example: super::findings::notices(r).remove(0),
            ..Row::default()
        });
    }
    for input in r.inputs.iter().filter(|i| i.error.is_some()) {
        rows.push(Row {
            name: input.path.clone(),
            class: "input_error",
            count: input.lines,
            example: input.error.clone().unwrap_or_default(),
            ..Row::default()
        });
    }
    rows
}

/// `billing 400; llm 404`: where the catalog lists a wrong-section name.
fn listed_in(m: &BTreeMap<String, u16>) -> String {
    m.iter()
        .map(|(s, st)| format!("{s} {st}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `n / of` with the precision a spreadsheet keeps; empty when `of` is 0.
fn share(n: u64, of: u64) -> String {
    if of == 0 {
        String::new()
    } else {
        format!("{}", n as f64 / of as f64)
    }
}

/// Control characters escaped, and a leading `=`, `+`, `-` or `@` defused with `'`
/// so a name from a log cannot run as a spreadsheet formula.
/// Log text for a CSV field: control characters escaped, and a leading `'` where a
/// spreadsheet would run the field as a formula.
pub fn guarded(s: &str) -> String {
    let s = escape_control(s);
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    }
}

/// One record: fields quoted when needed, CRLF at the end.
pub fn write_record<'a>(
    out: &mut dyn Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> io::Result<()> {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if field.contains([',', '"', '\r', '\n']) {
            write!(out, "\"{}\"", field.replace('"', "\"\""))?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> String {
        let mut out = Vec::new();
        write_record(&mut out, fields.iter().copied()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(record(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            record(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(record(&["two\nlines"]), "\"two\nlines\"\r\n");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(guarded("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(guarded("-x"), "'-x");
        assert_eq!(guarded("NAME"), "NAME");
        assert_eq!(guarded("a\x1b"), "a\\x1b");
    }
}
