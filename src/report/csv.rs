//! `-o csv`: the report as one table for spreadsheets, one row per code and class
//! (RFC 4180, written by the csv crate: CRLF line ends, fields quoted when they hold a
//! comma, a quote or a line break, quotes doubled; see [`writer`]).
//!
//! Rows, in this order: every catalog code's `documented` row (seen or not), a
//! `status_mismatch` row per observed status, a `wrong_section` row per
//! (section, name, status), an `undocumented` row per (name, status), an
//! `unnamed_error` row per status, then one `ok` and one `malformed` row, and, when
//! not 0, a `not_access`, a `no_response` and a `continued` row (lines read but not
//! classified). The `count` column of these rows therefore adds up to `lines` −
//! `outside_window`.
//!
//! Then, only when there is something to know before trusting the rows: an `empty`
//! row when no line was classified (its `example` says why), and an `input_error`
//! row per input with an error (`name`: the input, `count`: the lines read from it,
//! `example`: the error). These are not part of that sum; nor is the first row of a
//! benchmark build's report, `benchmark_build`, whose `example` says that its counts
//! are wrong on purpose ([`crate::analyze::stage`]).
//!
//! Text that comes from logs (names, locations) has control characters escaped
//! (`\x1b`), and a field that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-` or `@`) is prefixed with `'` ([`guarded`]): errscope's rules, applied
//! before the csv crate quotes the field.

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

/// Write the report's rows as CSV (the module doc gives the rows and columns).
pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut out = writer(out);
    out.write_record(COLUMNS).map_err(io_error)?;
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
        out.write_record([
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
        ])
        .map_err(io_error)?;
    }
    out.flush()
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
    for (class, count) in r.totals.other_lines() {
        rows.push(Row {
            class,
            count,
            ..Row::default()
        });
    }
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

/// The RFC 4180 writer: a field is quoted when it holds a comma, a quote, a CR or an
/// LF (quotes inside doubled), and every record ends with CRLF. Every record must have
/// as many fields as the first (the header), or writing it fails.
pub(crate) fn writer(out: &mut dyn Write) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .quote(b'"')
        .double_quote(true)
        .from_writer(out)
}

/// The I/O error a write failed with (a closed pipe stays one); any other CSV error
/// (a record of the wrong length) as an error of its own.
pub(crate) fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("writing CSV: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> String {
        let mut out = Vec::new();
        let mut csv = writer(&mut out);
        csv.write_record(fields).unwrap();
        csv.flush().unwrap();
        drop(csv);
        String::from_utf8(out).unwrap()
    }

    /// RFC 4180 as errscope wrote it by hand before the csv crate: the rule the
    /// output keeps, byte for byte.
    fn reference_record(fields: &[&str]) -> String {
        let mut out = String::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if field.contains([',', '"', '\r', '\n']) {
                out.push_str(&format!("\"{}\"", field.replace('"', "\"\"")));
            } else {
                out.push_str(field);
            }
        }
        out + "\r\n"
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(record(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            record(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            record(&["two\nlines", "cr\ronly"]),
            "\"two\nlines\",\"cr\ronly\"\r\n"
        );
        // What RFC 4180 leaves unquoted stays so: spaces, tabs, `#`, `'`, non-ASCII.
        let plain = [" lead", "trail ", "\ttab", "#comment", "'=x", "名", ""];
        assert_eq!(record(&plain), reference_record(&plain));
    }

    #[test]
    fn a_record_of_another_length_is_an_error() {
        let mut out = Vec::new();
        let mut csv = writer(&mut out);
        csv.write_record(COLUMNS).unwrap();
        let e = io_error(csv.write_record(["short"]).unwrap_err());
        assert_eq!(e.kind(), io::ErrorKind::Other);
    }

    proptest::proptest! {
        /// The csv crate writes any row of the report's width exactly as the
        /// hand-written RFC 4180 rule did.
        #[test]
        fn crate_writes_what_the_rule_wrote(
            fields in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-z ,\"\r\n'=#\t-]{0,8}",
                    proptest::prelude::any::<String>(),
                ],
                COLUMNS.len(),
            ),
        ) {
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(record(&fields), reference_record(&fields));
        }
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(guarded("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(guarded("-x"), "'-x");
        assert_eq!(guarded("NAME"), "NAME");
        assert_eq!(guarded("a\x1b"), "a\\x1b");
    }
}
