//! Every renderer shows the JSON report's numbers. For a generated day (20,000 lines,
//! seed 11) and for `fixtures/sample.log`, `analyze -o json` and each other format run
//! with the same flags (`--bucket 1h`, a `--top` that shows every row). Each rendering
//! is read back: the text report's aligned tables (wrapped cells included), the
//! Markdown pipe tables, the CSV records (RFC 4180), and the HTML page's tables, KPIs
//! and class bars as headless Chromium's DOM holds them. Every number is compared with
//! the JSON report's, formatted by the renderer's documented rules, restated here
//! (`thousands`, `percent`, `text_ms`, `html_ms`) rather than called from the library,
//! so a renderer that changes a number or its rounding fails.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use errscope::report::{Code, Endpoint, Latency, Report};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::util::{parse_csv, run, Dir};

/// `--top`: every endpoint (text) and every code (Markdown) shown.
const TOP: &str = "100000";

/// One log, analyzed into every format with the same flags.
struct Input {
    /// Holds the generated log, the HTML page and Chromium's profile.
    dir: Dir,
    path: PathBuf,
}

impl Input {
    /// `errscope generate --lines 20000 --seed 11`, read by its absolute path (long:
    /// the text report numbers it).
    fn generated() -> Input {
        let dir = Dir::new();
        let (path, _) = dir.generate("gateway", 20_000, 11);
        Input { dir, path }
    }

    /// `fixtures/sample.log`, by its relative path (short: the text report shows it).
    fn sample() -> Input {
        Input {
            dir: Dir::new(),
            path: PathBuf::from("fixtures/sample.log"),
        }
    }

    /// `analyze -o <format> --bucket 1h --top <TOP> <path>`.
    fn args(&self, format: &str) -> Vec<OsString> {
        let flags = ["analyze", "-o", format, "--bucket", "1h", "--top", TOP];
        let mut args: Vec<OsString> = flags.iter().map(OsString::from).collect();
        args.push(self.path.clone().into());
        args
    }

    /// The report in `format`, as written to standard output.
    fn render(&self, format: &str) -> String {
        run(&self.args(format)).expect_code(0).stdout
    }

    /// The JSON report (checked by `util::check_invariants`), which must hold a row
    /// in every table, so that no comparison below passes by being empty.
    #[track_caller]
    fn report(&self) -> Report {
        let r = run(&self.args("json")).expect_code(0).report();
        assert!(r.codes.iter().any(|c| c.count > 0), "no code seen");
        assert!(!r.status_mismatches.is_empty(), "no status mismatch");
        assert!(!r.wrong_section.is_empty(), "no wrong section");
        assert!(
            r.undocumented.iter().any(|u| u.resembles.is_some()),
            "no undocumented name resembling a catalog name"
        );
        assert!(!r.unnamed_errors.is_empty(), "no unnamed error");
        assert!(r.malformed.count > 0, "no malformed line");
        assert!(!r.endpoints.is_empty(), "no endpoint");
        assert!(r.latency.is_some(), "no latency");
        assert!(r.time.is_some(), "no time span");
        assert!(r.totals.unrouted > 0, "no unrouted request");
        assert_eq!(r.totals.bad_time, 0, "a bad time (not compared below)");
        let series = r.time_series.as_ref().expect("a time series");
        assert_eq!(series.bucket_seconds, 3600);
        r
    }
}

// ---------------------------------------------------------------------------------
// The renderers' number formats, restated from their documentation.

/// `report/table.rs::thousands`: `1234567` -> `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number as `thousands` writes it, read back; panics on any other form.
#[track_caller]
fn number(cell: &str) -> u64 {
    let n: u64 = cell
        .replace(',', "")
        .parse()
        .unwrap_or_else(|e| panic!("{cell:?} is not a number: {e}"));
    assert_eq!(thousands(n), cell, "{cell:?} is not grouped by thousands");
    n
}

/// `n / of`, 0 when `of` is 0 (`report/table.rs::ratio`).
fn ratio(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// `report/table.rs::percent`: `0%`, `<0.01%`, two decimals below 10 %, one above.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.01 {
        "<0.01%".into()
    } else if p < 10.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// `report/text.rs::ms`: whole ms from 100, one decimal from 1, three below.
fn text_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// `report/html.rs::ms_text`: seconds from 1 s (two decimals below 10 s), ms below.
fn html_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0} s", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// p50, p90, p99 and max of a row as `fmt` writes them, `-` without latency.
fn latencies(l: &Option<Latency>, fmt: fn(f64) -> String) -> [String; 4] {
    match l {
        Some(l) => [fmt(l.p50_ms), fmt(l.p90_ms), fmt(l.p99_ms), fmt(l.max_ms)],
        None => ["-".into(), "-".into(), "-".into(), "-".into()],
    }
}

/// `report/table.rs::status_list`: `403×12 429×3`, in status order.
fn status_list(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(s, n)| format!("{s}×{}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The classes in report order, as the text, Markdown and CSV reports name them,
/// as the HTML page labels them, and their counts.
fn classes(c: &errscope::report::ClassCounts) -> [(&'static str, &'static str, u64); 7] {
    [
        ("ok", "ok", c.ok),
        ("documented", "documented", c.documented),
        ("status_mismatch", "status mismatch", c.status_mismatch),
        ("wrong_section", "wrong section", c.wrong_section),
        ("undocumented", "undocumented", c.undocumented),
        ("unnamed_error", "unnamed error", c.unnamed_error),
        ("malformed", "malformed", c.malformed),
    ]
}

/// The codes seen, the way the text and Markdown reports list them.
fn seen(r: &Report) -> Vec<&Code> {
    r.codes.iter().filter(|c| c.count > 0).collect()
}

/// Endpoints as listed (all of them: `--top` is large) and the "other" row.
fn endpoint_rows(r: &Report) -> Vec<&Endpoint> {
    r.endpoints.iter().chain(&r.endpoints_other).collect()
}

/// The findings every renderer puts first (`report/findings.rs`): the lines of each
/// kind of problem, what they are, and how many names or pairs are involved.
fn findings(r: &Report) -> Vec<(String, &'static str, Option<String>)> {
    let c = &r.totals.classes;
    let lines = |n: u64| plural(n, "line", "lines");
    let mut out = Vec::new();
    if c.undocumented > 0 {
        let names = plural(r.undocumented.len() as u64, "name", "names");
        let more = if r.undocumented_other.is_some() {
            ", and more beyond --max-names"
        } else {
            ""
        };
        out.push((
            lines(c.undocumented),
            "with names the catalog does not list",
            Some(format!("{names}{more}")),
        ));
    }
    if c.status_mismatch > 0 {
        out.push((
            lines(c.status_mismatch),
            "with a documented name sent with another status",
            Some(plural(r.status_mismatches.len() as u64, "pair", "pairs")),
        ));
    }
    if c.wrong_section > 0 {
        out.push((
            lines(c.wrong_section),
            "with a name from another section",
            Some(plural(r.wrong_section.len() as u64, "pair", "pairs")),
        ));
    }
    if c.malformed > 0 {
        out.push((lines(c.malformed), "that could not be parsed", None));
    }
    out
}

/// `1 line`, `1,234 lines`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The status mismatches as every renderer lists them, `at` writing a location.
fn mismatch_rows(r: &Report, at: impl Fn(&str) -> String) -> Vec<Vec<String>> {
    r.status_mismatches
        .iter()
        .map(|m| {
            strings([
                m.section.clone(),
                m.name.clone(),
                m.documented_status.to_string(),
                m.observed_status.to_string(),
                thousands(m.count),
                at(&m.example),
            ])
        })
        .collect()
}

/// The wrong-section names as every renderer lists them: where the catalog lists
/// each as `section status`, comma-separated.
fn wrong_section_rows(r: &Report, at: impl Fn(&str) -> String) -> Vec<Vec<String>> {
    r.wrong_section
        .iter()
        .map(|w| {
            let listed: Vec<String> = w
                .listed_in
                .iter()
                .map(|(s, st)| format!("{s} {st}"))
                .collect();
            strings([
                w.section.clone(),
                w.name.clone(),
                w.status.to_string(),
                listed.join(", "),
                thousands(w.count),
                at(&w.example),
            ])
        })
        .collect()
}

/// Malformed lines by reason, most first (ties by reason).
fn reason_rows(r: &Report) -> Vec<Vec<String>> {
    let mut reasons: Vec<(&String, &u64)> = r.malformed.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    reasons
        .into_iter()
        .map(|(reason, n)| strings([reason.clone(), thousands(*n)]))
        .collect()
}

/// Requests per status class with their share: `2xx 151 (62.9%)`, joined by `sep`.
fn statuses(r: &Report, sep: &str) -> String {
    let requests = r.totals.requests;
    let parts: Vec<String> = r
        .status_classes
        .iter()
        .map(|(k, n)| format!("{k} {} ({})", thousands(*n), percent(ratio(*n, requests))))
        .collect();
    parts.join(sep)
}

// ---------------------------------------------------------------------------------
// Comparing rows.

/// `shown` and `want` are the same rows, in order; a failure names the first row
/// that differs.
#[track_caller]
fn same_rows(what: &str, shown: &[Vec<String>], want: &[Vec<String>]) {
    for (i, (s, w)) in shown.iter().zip(want).enumerate() {
        assert_eq!(s, w, "{what}: row {i} (shown, then JSON)");
    }
    assert_eq!(shown.len(), want.len(), "{what}: rows shown, rows in JSON");
}

/// Like [`same_rows`] for a table sorted by a count whose ties have no documented
/// order: the rows keyed by their first `key` cells are the same, and the count in
/// column `count` never increases down the table.
#[track_caller]
fn same_rows_by_count(
    what: &str,
    shown: &[Vec<String>],
    want: &[Vec<String>],
    key: usize,
    count: usize,
) {
    let keyed = |rows: &[Vec<String>]| -> BTreeMap<Vec<String>, Vec<String>> {
        let map: BTreeMap<_, _> = rows
            .iter()
            .map(|r| (r[..key].to_vec(), r.clone()))
            .collect();
        assert_eq!(map.len(), rows.len(), "{what}: a key repeats");
        map
    };
    let (shown_map, want_map) = (keyed(shown), keyed(want));
    for (k, w) in &want_map {
        let s = shown_map
            .get(k)
            .unwrap_or_else(|| panic!("{what}: no row {k:?}"));
        assert_eq!(s, w, "{what}: row {k:?} (shown, then JSON)");
    }
    assert_eq!(shown.len(), want.len(), "{what}: rows shown, rows in JSON");
    let counts: Vec<u64> = shown.iter().map(|r| number(&r[count])).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "{what}: not most frequent first: {counts:?}"
    );
}

/// A row's cells.
fn strings<const N: usize>(cells: [String; N]) -> Vec<String> {
    cells.to_vec()
}

// ---------------------------------------------------------------------------------
// Reading the text report.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}
use Align::{Left, Right};

/// A run of text between runs of two or more spaces, with its display columns.
#[derive(Debug)]
struct Token {
    start: usize,
    end: usize,
    text: String,
}

/// The cells of one line of an aligned table: text separated by two or more spaces
/// (columns are two spaces apart; a cell holds single spaces at most), at display
/// columns (`×`, `≈`, CJK count as the terminal counts them).
fn tokens(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    let (mut col, mut spaces) = (0, 0);
    for c in line.chars() {
        if c == ' ' {
            spaces += 1;
        } else {
            match &mut current {
                Some(t) if spaces < 2 => {
                    t.text.push_str(&" ".repeat(spaces));
                    t.text.push(c);
                }
                _ => {
                    if let Some(mut t) = current.take() {
                        t.end = col - spaces;
                        out.push(t);
                    }
                    current = Some(Token {
                        start: col,
                        end: 0,
                        text: c.to_string(),
                    });
                }
            }
            spaces = 0;
        }
        col += c.width().unwrap_or(0);
    }
    if let Some(mut t) = current {
        t.end = col - spaces;
        out.push(t);
    }
    out
}

/// The rows of an aligned text table whose header is `lines[0]` and names `columns`.
/// A left-aligned cell starts where its header starts, a right-aligned one ends where
/// its header ends; a line whose first column is blank continues the row above
/// (a wrapped cell), its pieces joined with a space.
#[track_caller]
fn text_rows(what: &str, lines: &[&str], columns: &[(&str, Align)]) -> Vec<Vec<String>> {
    let header = tokens(lines.first().unwrap_or_else(|| panic!("{what}: no header")));
    let names: Vec<&str> = header.iter().map(|t| t.text.as_str()).collect();
    let want: Vec<&str> = columns.iter().map(|c| c.0).collect();
    assert_eq!(names, want, "{what}: header {:?}", lines[0]);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for line in &lines[1..] {
        let mut cells = vec![String::new(); columns.len()];
        for t in tokens(line) {
            let col = (0..columns.len())
                .find(|&i| match columns[i].1 {
                    Left => t.start == header[i].start,
                    Right => t.end == header[i].end,
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{what}: {:?} (columns {}..{}) is in no column:\n{}\n{line}",
                        t.text, t.start, t.end, lines[0]
                    )
                });
            assert!(
                cells[col].is_empty(),
                "{what}: two cells in one column: {line}"
            );
            cells[col] = t.text;
        }
        if !cells[0].is_empty() {
            rows.push(cells);
            continue;
        }
        let row = rows
            .last_mut()
            .unwrap_or_else(|| panic!("{what}: a continuation line first: {line}"));
        for (cell, more) in row.iter_mut().zip(cells) {
            if !more.is_empty() {
                if !cell.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(&more);
            }
        }
    }
    rows
}

/// The heading line starting with `title` (headings are the unindented lines after a
/// blank line) and the lines under it, up to the next heading, in blocks separated
/// by blank lines.
#[track_caller]
fn text_section<'a>(text: &'a str, title: &str) -> (&'a str, Vec<Vec<&'a str>>) {
    let lines: Vec<&str> = text.lines().collect();
    let at = (1..lines.len())
        .find(|&i| lines[i - 1].is_empty() && lines[i].starts_with(title))
        .unwrap_or_else(|| panic!("no heading {title:?} in\n{text}"));
    let mut blocks = vec![Vec::new()];
    for line in &lines[at + 1..] {
        if line.is_empty() {
            blocks.push(Vec::new());
        } else if !line.starts_with(' ') {
            break;
        } else {
            blocks.last_mut().unwrap().push(*line);
        }
    }
    blocks.retain(|b| !b.is_empty());
    (lines[at], blocks)
}

/// How the text report names a line's place: `path:line`, or `[N]:line` once any
/// input's path is wider than 24 columns (`report/text.rs::Places`).
struct Places {
    numbered: bool,
    number: BTreeMap<String, usize>,
}

impl Places {
    fn new(r: &Report) -> Places {
        let mut number = BTreeMap::new();
        for (n, input) in r.inputs.iter().enumerate() {
            number.entry(input.path.clone()).or_insert(n + 1);
        }
        Places {
            numbered: r.inputs.iter().any(|i| i.path.width() > 24),
            number,
        }
    }

    fn show(&self, location: &str) -> String {
        let (path, line) = location.rsplit_once(':').expect("path:line");
        if self.numbered {
            format!("[{}]:{line}", self.number[path])
        } else {
            location.to_string()
        }
    }
}

/// `2026-11-25T16:26:23Z` -> `11-25 16:26` (the text report's "first seen").
fn short_time(rfc3339: &str) -> String {
    format!("{} {}", &rfc3339[5..10], &rfc3339[11..16])
}

/// Compare the text report with the JSON report; returns how many lines of the codes
/// table continue a wrapped cell.
#[track_caller]
fn check_text(input: &Input) -> usize {
    let r = input.report();
    let text = input.render("text");
    let t = &r.totals;
    let places = Places::new(&r);

    let first = text.lines().next().unwrap();
    let want = format!(
        "errscope {}: {} lines in {} input{}, catalog embedded ({} sections, {} entries, {} names)",
        r.errscope_version,
        thousands(t.lines),
        r.inputs.len(),
        if r.inputs.len() == 1 { "" } else { "s" },
        r.catalog.sections.len(),
        r.catalog.entries,
        r.catalog.names
    );
    assert_eq!(first, want, "first line");
    let span = r.time.as_ref().unwrap();
    let want = format!(
        "time: {} .. {} ({} s)",
        span.first,
        span.last,
        thousands(span.seconds as u64)
    );
    assert_eq!(text.lines().nth(1).unwrap(), want, "time line");

    let (_, blocks) = text_section(&text, "Findings");
    let want: Vec<String> = findings(&r)
        .into_iter()
        .map(|(lines, what, groups)| match groups {
            Some(g) => format!("  ! {lines} {what} ({g})"),
            None => format!("  ! {lines} {what}"),
        })
        .collect();
    assert_eq!(blocks, [want], "text findings");

    // Classes: lines and shares of all lines, the total, then statuses, unrouted
    // requests and latency.
    let (_, blocks) = text_section(&text, "Classes");
    let lines = &blocks[0];
    let columns = [("class", Left), ("lines", Right), ("share", Right)];
    let rows = text_rows("classes", &lines[..9], &columns);
    let mut want: Vec<Vec<String>> = classes(&t.classes)
        .iter()
        .map(|(name, _, n)| strings([name.to_string(), thousands(*n), percent(ratio(*n, t.lines))]))
        .collect();
    want.push(strings([
        "total".into(),
        thousands(t.lines),
        percent(ratio(t.lines, t.lines)),
    ]));
    same_rows("classes", &rows, &want);
    let l = r.latency.as_ref().unwrap();
    let want = [
        format!("  statuses: {}", statuses(&r, ", ")),
        format!(
            "  {} requests matched no route and were checked against all sections",
            thousands(t.unrouted)
        ),
        format!(
            "  latency over {} requests: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
            thousands(l.samples),
            text_ms(l.p50_ms),
            text_ms(l.p90_ms),
            text_ms(l.p99_ms),
            text_ms(l.max_ms)
        ),
    ];
    assert_eq!(&lines[9..], &want[..], "under the classes");

    // Every catalog code seen.
    let (heading, blocks) = text_section(&text, "Catalog codes seen");
    assert_eq!(
        heading,
        format!(
            "Catalog codes seen ({} of {}; latency in ms; rates and p90 in -o json)",
            seen(&r).len(),
            r.codes.len()
        )
    );
    let columns = [
        ("section", Left),
        ("name", Left),
        ("status", Right),
        ("count", Right),
        ("%req", Right),
        ("p50", Right),
        ("p99", Right),
        ("max", Right),
        ("also sent as", Left),
    ];
    let rows = text_rows("codes", &blocks[0], &columns);
    let want: Vec<Vec<String>> = seen(&r)
        .into_iter()
        .map(|c| {
            let [p50, _, p99, max] = latencies(&c.latency, text_ms);
            let mut others = c.statuses.clone();
            others.remove(&c.status.to_string());
            strings([
                c.section.clone(),
                c.name.clone(),
                c.status.to_string(),
                thousands(c.count),
                percent(c.share_of_requests),
                p50,
                p99,
                max,
                status_list(&others),
            ])
        })
        .collect();
    same_rows_by_count("text codes", &rows, &want, 2, 3);
    let wrapped = blocks[0].len() - 1 - rows.len();

    let (_, blocks) = text_section(&text, "Status mismatches");
    let columns = [
        ("section", Left),
        ("name", Left),
        ("documented", Right),
        ("sent", Right),
        ("count", Right),
        ("first at", Left),
    ];
    let rows = text_rows("mismatches", &blocks[0], &columns);
    let want = mismatch_rows(&r, |l| places.show(l));
    same_rows("text status mismatches", &rows, &want);

    let (_, blocks) = text_section(&text, "Wrong section");
    let columns = [
        ("section", Left),
        ("name", Left),
        ("status", Right),
        ("listed in", Left),
        ("count", Right),
        ("first at", Left),
    ];
    let rows = text_rows("wrong section", &blocks[0], &columns);
    let want = wrong_section_rows(&r, |l| places.show(l));
    same_rows("text wrong section", &rows, &want);

    let (_, blocks) = text_section(&text, "Undocumented names");
    let columns = [
        ("name", Left),
        ("count", Right),
        ("statuses", Left),
        ("first seen", Left),
        ("first at", Left),
    ];
    let rows = text_rows("undocumented", &blocks[0], &columns);
    let mut want: Vec<Vec<String>> = r
        .undocumented
        .iter()
        .map(|u| {
            strings([
                match &u.resembles {
                    Some(c) => format!("{} ≈ {c}", u.name),
                    None => u.name.clone(),
                },
                thousands(u.count),
                status_list(&u.statuses),
                u.first_seen.as_deref().map_or("-".into(), short_time),
                places.show(&u.example),
            ])
        })
        .collect();
    if let Some(o) = &r.undocumented_other {
        want.push(strings([
            format!("(names beyond --max-names {})", o.max_names),
            thousands(o.count),
            status_list(&o.statuses),
            String::new(),
            places.show(&o.example),
        ]));
    }
    same_rows("text undocumented", &rows, &want);

    let (_, blocks) = text_section(&text, "Errors without a name");
    let columns = [
        ("status", Right),
        ("count", Right),
        ("%err", Right),
        ("p50 ms", Right),
        ("p99 ms", Right),
        ("first at", Left),
    ];
    let rows = text_rows("unnamed", &blocks[0], &columns);
    let want: Vec<Vec<String>> = r
        .unnamed_errors
        .iter()
        .map(|u| {
            let [p50, _, p99, _] = latencies(&u.latency, text_ms);
            strings([
                u.status.to_string(),
                thousands(u.count),
                percent(u.share_of_errors),
                p50,
                p99,
                places.show(&u.example),
            ])
        })
        .collect();
    same_rows("text unnamed errors", &rows, &want);

    // Malformed lines: by reason (most first), then the first ones.
    let (heading, blocks) = text_section(&text, "Malformed lines");
    assert_eq!(
        heading,
        format!("Malformed lines: {}", thousands(r.malformed.count))
    );
    let rows = text_rows(
        "malformed reasons",
        &blocks[0],
        &[("reason", Left), ("count", Right)],
    );
    let want = reason_rows(&r);
    same_rows("text malformed reasons", &rows, &want);
    let rows = text_rows(
        "malformed examples",
        &blocks[1],
        &[("first at", Left), ("reason", Left)],
    );
    let want: Vec<Vec<String>> = r
        .malformed
        .examples
        .iter()
        .map(|e| strings([places.show(&e.location), e.reason.clone()]))
        .collect();
    same_rows("text malformed examples", &rows, &want);

    // The time series, a row per bucket (at most 48 rows; longer series merged).
    let series = r.time_series.as_ref().unwrap();
    let per_row = series.buckets.len().div_ceil(48).max(1);
    let (heading, blocks) = text_section(&text, "Time series");
    assert_eq!(heading, format!("Time series ({}h per row, UTC)", per_row));
    let columns = [
        ("start", Left),
        ("requests", Right),
        ("errors", Right),
        ("documented", Right),
        ("mismatch", Right),
        ("wrong sect", Right),
        ("undoc", Right),
        ("unnamed", Right),
    ];
    let rows = text_rows("time series", &blocks[0], &columns);
    let want: Vec<Vec<String>> = series
        .buckets
        .chunks(per_row)
        .map(|b| {
            let sum = |f: fn(&errscope::report::Bucket) -> u64| thousands(b.iter().map(f).sum());
            strings([
                b[0].start.clone(),
                sum(|b| b.requests),
                sum(|b| b.errors),
                sum(|b| b.classes.documented),
                sum(|b| b.classes.status_mismatch),
                sum(|b| b.classes.wrong_section),
                sum(|b| b.classes.undocumented),
                sum(|b| b.classes.unnamed_error),
            ])
        })
        .collect();
    same_rows("text time series", &rows, &want);

    let (heading, blocks) = text_section(&text, "Endpoints");
    assert_eq!(
        heading,
        format!("Endpoints (top {0} of {0} by requests)", r.endpoints.len())
    );
    let columns = [
        ("endpoint", Left),
        ("requests", Right),
        ("errors", Right),
        ("%err", Right),
        ("doc", Right),
        ("mismatch", Right),
        ("wrong", Right),
        ("undoc", Right),
        ("unnamed", Right),
    ];
    let rows = text_rows("endpoints", &blocks[0], &columns);
    let want: Vec<Vec<String>> = endpoint_rows(&r)
        .into_iter()
        .map(|e| {
            strings([
                e.endpoint.clone(),
                thousands(e.requests),
                thousands(e.errors),
                percent(ratio(e.errors, e.requests)),
                thousands(e.classes.documented),
                thousands(e.classes.status_mismatch),
                thousands(e.classes.wrong_section),
                thousands(e.classes.undocumented),
                thousands(e.classes.unnamed_error),
            ])
        })
        .collect();
    same_rows("text endpoints", &rows, &want);

    // Inputs: numbered ones are listed with their paths under the table.
    let (_, blocks) = text_section(&text, "Inputs");
    let tail = [
        ("format", Left),
        ("compressed", Left),
        ("latency from", Left),
        ("bytes", Right),
        ("lines", Right),
    ];
    let mut columns = vec![if places.numbered {
        ("#", Right)
    } else {
        ("path", Left)
    }];
    columns.extend(tail);
    if !places.numbered {
        columns.push(("error", Left));
    }
    let rows = text_rows("inputs", &blocks[0], &columns);
    let want: Vec<Vec<String>> = r
        .inputs
        .iter()
        .enumerate()
        .map(|(n, i)| {
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
            row
        })
        .collect();
    same_rows("text inputs", &rows, &want);
    if places.numbered {
        let want: Vec<String> = r
            .inputs
            .iter()
            .enumerate()
            .map(|(n, i)| format!("  [{}] {}", n + 1, i.path))
            .collect();
        assert_eq!(blocks[1], want, "the numbered inputs");
        assert_eq!(blocks.len(), 2);
    } else {
        assert_eq!(blocks.len(), 1);
    }
    wrapped
}

#[test]
fn text_shows_the_json_numbers_of_a_generated_day() {
    let input = Input::generated();
    // The path is long: the text report numbers the inputs.
    assert!(input.path.to_string_lossy().width() > 24);
    // Codes sent with many statuses: their "also sent as" cells wrap.
    assert!(check_text(&input) > 0, "no wrapped cell was read");
}

#[test]
fn text_shows_the_json_numbers_of_the_sample() {
    check_text(&Input::sample());
}

// ---------------------------------------------------------------------------------
// Reading the Markdown report.

/// A GFM table row's cells: split at `|` outside backslash escapes (GFM splits cells
/// before code spans, so `\|` is a pipe in a code span too), then each cell read
/// back: a code span's content, or text with backslash escapes removed.
#[track_caller]
fn md_cells(line: &str) -> Vec<String> {
    let inner = line
        .strip_prefix("| ")
        .and_then(|l| l.strip_suffix(" |"))
        .unwrap_or_else(|| panic!("not a table row: {line:?}"));
    let mut raw = vec![String::new()];
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let cell = raw.last_mut().unwrap();
                cell.push(c);
                cell.extend(chars.next());
            }
            '|' => raw.push(String::new()),
            c => raw.last_mut().unwrap().push(c),
        }
    }
    raw.iter().map(|c| md_cell(c.trim())).collect()
}

/// One cell's content: a whole-cell code span unwrapped (its `\|` a pipe), or text
/// with its backslash escapes removed.
#[track_caller]
fn md_cell(cell: &str) -> String {
    let fence = cell.chars().take_while(|&c| c == '`').count();
    if fence > 0 {
        let ticks = "`".repeat(fence);
        let inner = cell
            .strip_prefix(&ticks)
            .and_then(|c| c.strip_suffix(&ticks))
            .unwrap_or_else(|| panic!("an unclosed code span: {cell:?}"));
        let inner = match inner.strip_prefix(' ').and_then(|i| i.strip_suffix(' ')) {
            Some(i) if !i.is_empty() => i,
            _ => inner,
        };
        return inner.replace("\\|", "|");
    }
    let mut out = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table: its title (after `#### `), header cells and rows.
type MdTable = (String, Vec<String>, Vec<Vec<String>>);

/// The Markdown report's tables, in order.
#[track_caller]
fn md_tables(md: &str) -> Vec<MdTable> {
    let lines: Vec<&str> = md.lines().collect();
    let mut tables = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(title) = line.strip_prefix("#### ") else {
            continue;
        };
        assert_eq!(lines[i + 1], "", "a blank line after {line:?}");
        let header = md_cells(lines[i + 2]);
        assert!(
            lines[i + 3].starts_with("|--"),
            "no delimiter row under {line:?}"
        );
        let rows: Vec<Vec<String>> = lines[i + 4..]
            .iter()
            .take_while(|l| l.starts_with('|'))
            .map(|l| md_cells(l))
            .collect();
        for row in &rows {
            assert_eq!(row.len(), header.len(), "{title}: {row:?}");
        }
        tables.push((title.to_string(), header, rows));
    }
    tables
}

/// The rows of the `k`th Markdown table, whose header must be `header`.
#[track_caller]
fn md_rows<'a>(tables: &'a [MdTable], k: usize, header: &[&str]) -> &'a [Vec<String>] {
    assert_eq!(tables[k].1, header, "{}: header", tables[k].0);
    &tables[k].2
}

#[track_caller]
fn check_markdown(input: &Input) {
    let r = input.report();
    let md = input.render("markdown");
    let t = &r.totals;

    let first = md.lines().next().unwrap();
    let want = format!(
        "### errscope: {} lines, {} errors ({}), ",
        thousands(t.lines),
        thousands(t.errors),
        percent(ratio(t.errors, t.requests))
    );
    assert!(
        first.starts_with(&want),
        "{first:?} does not start {want:?}"
    );
    let findings = findings(&r);
    let want = format!(", {} findings", findings.len());
    assert!(first.ends_with(&want), "{first:?} does not end {want:?}");
    let bullets: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        bullets.len(),
        findings.len(),
        "markdown findings: {bullets:?}"
    );
    for (bullet, (lines, what, groups)) in bullets.iter().zip(findings) {
        let want = match groups {
            Some(g) => format!("- **{lines}** {what} ({g}): "),
            None => format!("- **{lines}** {what}"),
        };
        assert!(
            bullet.starts_with(&want),
            "{bullet:?} does not start {want:?}"
        );
    }

    let tables = md_tables(&md);
    let titles: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    let shown = r.malformed.examples.len().min(5);
    let want_titles = [
        "Classes".to_string(),
        format!(
            "Catalog codes seen ({} of {} in the catalog)",
            seen(&r).len(),
            r.codes.len()
        ),
        "Status mismatches".into(),
        "Wrong section".into(),
        "Undocumented names".into(),
        "Errors without a name".into(),
        format!(
            "Malformed lines: {} (the first {shown})",
            thousands(r.malformed.count)
        ),
    ];
    assert_eq!(titles, want_titles, "the Markdown tables");
    let table = |k: usize, header: &[&str]| md_rows(&tables, k, header);

    // Classes with lines, then the total.
    let mut want: Vec<Vec<String>> = classes(&t.classes)
        .iter()
        .filter(|c| c.2 > 0)
        .map(|(name, _, n)| strings([name.to_string(), thousands(*n), percent(ratio(*n, t.lines))]))
        .collect();
    want.push(strings(["total".into(), thousands(t.lines), percent(1.0)]));
    same_rows(
        "markdown classes",
        table(0, &["class", "lines", "share"]),
        &want,
    );

    let want: Vec<Vec<String>> = seen(&r)
        .into_iter()
        .map(|c| {
            strings([
                c.section.clone(),
                c.name.clone(),
                c.status.to_string(),
                thousands(c.count),
                percent(c.share_of_requests),
                status_list(&c.statuses),
            ])
        })
        .collect();
    let header = [
        "section",
        "name",
        "status",
        "count",
        "%req",
        "statuses seen",
    ];
    same_rows_by_count("markdown codes", table(1, &header), &want, 2, 3);

    let want = mismatch_rows(&r, str::to_string);
    let header = ["section", "name", "documented", "sent", "count", "first at"];
    same_rows("markdown status mismatches", table(2, &header), &want);

    let want = wrong_section_rows(&r, str::to_string);
    let header = [
        "section",
        "name",
        "status",
        "listed in",
        "count",
        "first at",
    ];
    same_rows("markdown wrong section", table(3, &header), &want);

    let mut want: Vec<Vec<String>> = r
        .undocumented
        .iter()
        .map(|u| {
            strings([
                u.name.clone(),
                thousands(u.count),
                status_list(&u.statuses),
                u.example.clone(),
                u.resembles.clone().unwrap_or_default(),
            ])
        })
        .collect();
    if let Some(o) = &r.undocumented_other {
        want.push(strings([
            format!("(other names beyond `--max-names {}`)", o.max_names),
            thousands(o.count),
            status_list(&o.statuses),
            o.example.clone(),
            String::new(),
        ]));
    }
    let header = ["name", "count", "statuses", "first at", "resembles"];
    same_rows("markdown undocumented", table(4, &header), &want);

    let want: Vec<Vec<String>> = r
        .unnamed_errors
        .iter()
        .map(|u| {
            strings([
                u.status.to_string(),
                thousands(u.count),
                percent(u.share_of_errors),
                u.example.clone(),
            ])
        })
        .collect();
    let header = ["status", "count", "%err", "first at"];
    same_rows("markdown unnamed errors", table(5, &header), &want);

    let want: Vec<Vec<String>> = r
        .malformed
        .examples
        .iter()
        .take(shown)
        .map(|e| strings([e.location.clone(), e.reason.clone()]))
        .collect();
    same_rows(
        "markdown malformed",
        table(6, &["first at", "reason"]),
        &want,
    );
}

#[test]
fn markdown_shows_the_json_numbers_of_a_generated_day() {
    check_markdown(&Input::generated());
}

#[test]
fn markdown_shows_the_json_numbers_of_the_sample() {
    check_markdown(&Input::sample());
}

// ---------------------------------------------------------------------------------
// Reading the CSV report.

/// Text from a log or the catalog as the CSV report writes it: a leading `=`, `+`,
/// `-` or `@` defused with `'` (no input here has control characters).
fn guarded(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// One expected CSV row, by column.
#[derive(Default)]
struct CsvRow {
    section: String,
    name: String,
    documented_status: String,
    class: &'static str,
    status: String,
    count: u64,
    /// Whether the row's share of requests is written (not for malformed lines).
    of_requests: bool,
    listed_in: String,
    resembles: String,
    example: String,
}

#[track_caller]
fn check_csv(input: &Input) {
    let r = input.report();
    let records = parse_csv(&input.render("csv"));
    let t = &r.totals;
    let header = [
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
    assert_eq!(records[0], header, "the CSV header");
    let rows = &records[1..];

    let mut want: Vec<CsvRow> = Vec::new();
    for c in &r.codes {
        let status = c.status.to_string();
        want.push(CsvRow {
            section: c.section.clone(),
            name: c.name.clone(),
            documented_status: status.clone(),
            class: "documented",
            count: c.statuses.get(&status).copied().unwrap_or(0),
            status,
            of_requests: true,
            ..CsvRow::default()
        });
    }
    for m in &r.status_mismatches {
        want.push(CsvRow {
            section: m.section.clone(),
            name: m.name.clone(),
            documented_status: m.documented_status.to_string(),
            class: "status_mismatch",
            status: m.observed_status.to_string(),
            count: m.count,
            of_requests: true,
            example: m.example.clone(),
            ..CsvRow::default()
        });
    }
    for w in &r.wrong_section {
        let listed: Vec<String> = w
            .listed_in
            .iter()
            .map(|(s, st)| format!("{s} {st}"))
            .collect();
        want.push(CsvRow {
            section: w.section.clone(),
            name: w.name.clone(),
            class: "wrong_section",
            status: w.status.to_string(),
            count: w.count,
            of_requests: true,
            listed_in: listed.join("; "),
            example: w.example.clone(),
            ..CsvRow::default()
        });
    }
    for u in &r.undocumented {
        for (status, n) in &u.statuses {
            want.push(CsvRow {
                name: u.name.clone(),
                class: "undocumented",
                status: status.clone(),
                count: *n,
                of_requests: true,
                resembles: u.resembles.clone().unwrap_or_default(),
                example: u.example.clone(),
                ..CsvRow::default()
            });
        }
    }
    if let Some(o) = &r.undocumented_other {
        for (status, n) in &o.statuses {
            want.push(CsvRow {
                name: format!("(other names beyond --max-names {})", o.max_names),
                class: "undocumented",
                status: status.clone(),
                count: *n,
                of_requests: true,
                example: o.example.clone(),
                ..CsvRow::default()
            });
        }
    }
    for u in &r.unnamed_errors {
        want.push(CsvRow {
            class: "unnamed_error",
            status: u.status.to_string(),
            count: u.count,
            of_requests: true,
            example: u.example.clone(),
            ..CsvRow::default()
        });
    }
    want.push(CsvRow {
        class: "ok",
        count: t.classes.ok,
        of_requests: true,
        ..CsvRow::default()
    });
    want.push(CsvRow {
        class: "malformed",
        count: t.classes.malformed,
        example: r.malformed.examples[0].location.clone(),
        ..CsvRow::default()
    });

    for (i, (row, w)) in rows.iter().zip(&want).enumerate() {
        let what = format!("CSV row {} ({} {} {})", i + 1, w.class, w.name, w.status);
        assert_eq!(row.len(), header.len(), "{what}: fields");
        let field = |name: &str| row[header.iter().position(|h| *h == name).unwrap()].as_str();
        let count: u64 = field("count")
            .parse()
            .unwrap_or_else(|e| panic!("{what}: count {:?}: {e}", field("count")));
        assert_eq!(count, w.count, "{what}: count");
        // Shares are written with a spreadsheet's precision: read back, they are
        // exactly count / requests and count / errors (errors: statuses >= 400).
        let share = |name: &str, of: u64, written: bool| {
            let cell = field(name);
            if !written || of == 0 {
                assert_eq!(cell, "", "{what}: {name}");
                return;
            }
            let v: f64 = cell
                .parse()
                .unwrap_or_else(|e| panic!("{what}: {name} {cell:?}: {e}"));
            assert_eq!(v, w.count as f64 / of as f64, "{what}: {name} {cell:?}");
        };
        let is_error = w.status.parse::<u16>().is_ok_and(|s| s >= 400);
        share("share_of_requests", t.requests, w.of_requests);
        share("share_of_errors", t.errors, is_error);
        let text = [
            ("section", guarded(&w.section)),
            ("name", guarded(&w.name)),
            ("documented_status", w.documented_status.clone()),
            ("class", w.class.to_string()),
            ("status", w.status.clone()),
            ("listed_in", guarded(&w.listed_in)),
            ("resembles", guarded(&w.resembles)),
            ("example", guarded(&w.example)),
        ];
        for (name, value) in text {
            assert_eq!(field(name), value, "{what}: {name}");
        }
    }
    assert_eq!(
        rows.len(),
        want.len(),
        "CSV rows, rows from the JSON report"
    );
    let counts: u64 = rows.iter().map(|r| r[5].parse::<u64>().unwrap()).sum();
    assert_eq!(counts, t.lines - t.outside_window, "the count column's sum");
}

#[test]
fn csv_shows_the_json_numbers_of_a_generated_day() {
    check_csv(&Input::generated());
}

#[test]
fn csv_shows_the_json_numbers_of_the_sample() {
    check_csv(&Input::sample());
}

// ---------------------------------------------------------------------------------
// Reading the HTML page from the browser's DOM.

/// Rows per table on the page (`report/html.rs::MAX_ROWS`); the rest are counted.
const HTML_MAX_ROWS: usize = 200;
/// Endpoints on the page (`report/html.rs::TOP_ENDPOINTS`).
const HTML_TOP_ENDPOINTS: usize = 20;

/// Where `<tag` (followed by a space or `>`) next opens in `html` from `from`.
fn find_open(html: &str, tag: &str, from: usize) -> Option<usize> {
    let open = format!("<{tag}");
    let mut at = from;
    while let Some(p) = html[at..].find(&open) {
        let p = at + p;
        if matches!(html[p + open.len()..].chars().next(), Some(' ' | '>')) {
            return Some(p);
        }
        at = p + open.len();
    }
    None
}

/// The end (after `</tag>`) of the element opened at `start`, nested ones skipped.
#[track_caller]
fn element_end(html: &str, tag: &str, start: usize) -> usize {
    let close = format!("</{tag}>");
    let mut depth = 0;
    let mut at = start;
    loop {
        let next_close = at
            + html[at..]
                .find(&close)
                .unwrap_or_else(|| panic!("<{tag}> at {start} is not closed"));
        match find_open(html, tag, at) {
            Some(open) if open < next_close => {
                depth += 1;
                at = open + tag.len() + 1;
            }
            _ => {
                depth -= 1;
                at = next_close + close.len();
                if depth == 0 {
                    return at;
                }
            }
        }
    }
}

/// Every `<tag>` element of `html` (outer HTML), outermost ones only, in order.
fn elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find_open(html, tag, at) {
        let end = element_end(html, tag, start);
        out.push(&html[start..end]);
        at = end;
    }
    out
}

/// The element with `id`.
#[track_caller]
fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the DOM"));
    let start = html[..at].rfind('<').unwrap();
    let tag: String = html[start + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    &html[start..element_end(html, &tag, start)]
}

/// The value of attribute `name` of the element's opening tag.
#[track_caller]
fn attr<'a>(element: &'a str, name: &str) -> &'a str {
    let open = &element[..element.find('>').unwrap()];
    let key = format!(" {name}=\"");
    let at = open
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {open}"))
        + key.len();
    &open[at..at + open[at..].find('"').unwrap()]
}

/// The `<tag>` elements whose class attribute is exactly `class`.
fn by_class<'a>(html: &'a str, tag: &str, class: &str) -> Vec<&'a str> {
    elements(html, tag)
        .into_iter()
        .filter(|e| {
            let open = &e[..e.find('>').unwrap()];
            open.contains(&format!(" class=\"{class}\""))
        })
        .collect()
}

/// The text a reader sees in `html`: SVG charts left out (their titles are read
/// separately), tags removed, white space collapsed, entities decoded.
fn dom_text(html: &str) -> String {
    let mut html = html.to_string();
    while let Some(start) = find_open(&html, "svg", 0) {
        let end = element_end(&html, "svg", start);
        html.replace_range(start..end, "");
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    // A browser shows a run of white space in text as one space.
    let text = text
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The body rows of every table in `html`, in document order, as cell texts.
fn dom_rows(html: &str) -> Vec<Vec<String>> {
    elements(html, "tr")
        .into_iter()
        .map(|tr| {
            elements(tr, "td")
                .into_iter()
                .map(dom_text)
                .collect::<Vec<_>>()
        })
        .filter(|cells| !cells.is_empty())
        .collect()
}

/// An SVG bar's pieces: (class, x, width, title) of every `<rect>`.
fn rects(svg: &str) -> Vec<[String; 4]> {
    elements(svg, "rect")
        .into_iter()
        .map(|r| {
            let title = elements(r, "title")
                .first()
                .map_or(String::new(), |t| dom_text(t));
            [
                attr(r, "class").to_string(),
                attr(r, "x").to_string(),
                attr(r, "width").to_string(),
                title,
            ]
        })
        .collect()
}

/// A class bar as `report/html.rs` draws it: a piece per class with lines, placed
/// one after another, `scale` wide in all; `title` says what a piece's hover shows.
fn class_bar(
    r_classes: &errscope::report::ClassCounts,
    total: u64,
    scale: f64,
    title: impl Fn(&str, u64) -> String,
) -> Vec<[String; 4]> {
    let kinds = [
        "k-ok",
        "k-doc",
        "k-mis",
        "k-wrong",
        "k-undoc",
        "k-unnamed",
        "k-malformed",
    ];
    let mut x = 0.0;
    let mut out = Vec::new();
    for (kind, (_, label, n)) in kinds.iter().zip(classes(r_classes)) {
        if n == 0 {
            continue;
        }
        let w = scale * ratio(n, total);
        out.push([
            kind.to_string(),
            format!("{x:.2}"),
            format!("{w:.2}"),
            title(label, n),
        ]);
        x += w;
    }
    out
}

/// `2026-11-25T16:00:01Z` as `2026-11-25 16:00:01`.
fn time_text(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
}

/// Status chips as the page orders them: the documented status first, then most
/// lines first (ties in status order).
fn chips(statuses: &BTreeMap<String, u64>, documented: Option<&str>) -> String {
    let mut sorted: Vec<(&String, &u64)> = statuses.iter().collect();
    sorted.sort_by_key(|&(s, n)| (Some(s.as_str()) != documented, std::cmp::Reverse(*n)));
    sorted
        .into_iter()
        .map(|(s, n)| format!("{s}×{}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A folded table's rows as the page holds them: at most [`HTML_MAX_ROWS`], and a
/// note counting the rest.
#[track_caller]
fn same_folded_rows(what: &str, part: &str, want: &[Vec<String>]) {
    let kept = want.len().min(HTML_MAX_ROWS);
    same_rows(what, &dom_rows(part), &want[..kept]);
    let note = format!(
        "and {} more rows: -o json lists them all.",
        thousands((want.len() - kept) as u64)
    );
    let notes: Vec<String> = by_class(part, "p", "muted")
        .into_iter()
        .map(dom_text)
        .collect();
    if want.len() > kept {
        assert_eq!(notes, [note], "{what}: the rows beyond {HTML_MAX_ROWS}");
    } else {
        assert!(notes.is_empty(), "{what}: {notes:?}");
    }
}

/// A callout's badge: its class's lines; and in its title, the names or pairs when
/// `groups` says how many.
#[track_caller]
fn badge(what: &str, part: &str, lines: u64, groups: Option<String>) {
    let badge: Vec<String> = by_class(part, "span", "badge")
        .into_iter()
        .map(dom_text)
        .collect();
    assert_eq!(badge, [plural(lines, "line", "lines")], "{what}: badge");
    let count: Vec<String> = by_class(part, "span", "count muted")
        .into_iter()
        .map(dom_text)
        .collect();
    assert_eq!(count, Vec::from_iter(groups), "{what}: names or pairs");
}

#[track_caller]
fn check_html(input: &Input) {
    if !crate::html::have_chromium() {
        return;
    }
    let r = input.report();
    let t = &r.totals;
    let page = input.dir.write("report.html", input.render("html"));
    let browser = crate::html::chromium(&input.dir, "renderers", &["--dump-dom".into()], &page);
    crate::html::no_console_messages(&browser);
    let dom = browser.stdout.as_str();

    // The header: lines, latency, the KPIs and the bar of all lines by class.
    let summary = by_id(dom, "summary");
    let lead = dom_text(elements(summary, "p")[0]);
    let want = format!(
        "{} lines from {} checked against the embedded catalog ({} sections, {} entries, {} names)",
        thousands(t.lines),
        plural(r.inputs.len() as u64, "input", "inputs"),
        r.catalog.sections.len(),
        r.catalog.entries,
        r.catalog.names,
    );
    assert_eq!(lead, want, "the page's first line");
    let terms: Vec<String> = elements(summary, "dt").into_iter().map(dom_text).collect();
    let details: Vec<String> = elements(summary, "dd").into_iter().map(dom_text).collect();
    let detail = |term: &str| &details[terms.iter().position(|t| t == term).unwrap()];
    let l = r.latency.as_ref().unwrap();
    let want = format!(
        "p50 {} · p90 {} · p99 {} · max {} over {} requests",
        html_ms(l.p50_ms),
        html_ms(l.p90_ms),
        html_ms(l.p99_ms),
        html_ms(l.max_ms),
        thousands(l.samples)
    );
    assert_eq!(detail("Latency"), &want, "latency");
    let span = r.time.as_ref().unwrap();
    let want = format!("{} → {} UTC", time_text(&span.first), time_text(&span.last));
    assert!(detail("Time").starts_with(&want), "{:?}", detail("Time"));

    let kpis = by_class(summary, "div", "kpis")[0];
    let shown: Vec<(String, String)> = elements(kpis, "b")
        .into_iter()
        .map(dom_text)
        .zip(elements(kpis, "span").into_iter().map(dom_text))
        .collect();
    let c = &t.classes;
    let want: Vec<(String, String)> = [
        (t.requests, "requests".to_string()),
        (
            t.errors,
            format!(
                "errors · {} of requests",
                percent(ratio(t.errors, t.requests))
            ),
        ),
        (c.documented, "documented errors".into()),
        (c.undocumented, "with undocumented names".into()),
        (c.status_mismatch, "with a status mismatch".into()),
        (c.wrong_section, "in the wrong section".into()),
        (c.unnamed_error, "errors without a name".into()),
        (c.malformed, "malformed lines".into()),
    ]
    .into_iter()
    .map(|(n, what)| (thousands(n), what))
    .collect();
    assert_eq!(shown, want, "the KPIs");

    let share = by_class(summary, "svg", "share");
    assert_eq!(share.len(), 1, "one share bar");
    let want = class_bar(c, t.lines, 1000.0, |label, n| {
        format!(
            "{label}: {} lines ({})",
            thousands(n),
            percent(ratio(n, t.lines))
        )
    });
    assert_eq!(rects(share[0]), want, "the share of every class");

    // Per hour: requests by class and errors by class (one column per bucket).
    let series = r.time_series.as_ref().unwrap();
    assert!(series.buckets.len() <= 48, "buckets drawn one per column");
    for (chart, first, noun) in [
        ("chart-requests", 0, "request"),
        ("chart-errors", 1, "error"),
    ] {
        let hits = by_class(by_id(dom, chart), "rect", "hit");
        let titles: Vec<String> = hits.into_iter().map(dom_text).collect();
        let want: Vec<String> = series
            .buckets
            .iter()
            .map(|b| {
                let parts: Vec<String> = classes(&b.classes)[first..6]
                    .iter()
                    .filter(|p| p.2 > 0)
                    .map(|(_, label, n)| format!("{label} {}", thousands(*n)))
                    .collect();
                let total = if first == 0 { b.requests } else { b.errors };
                format!(
                    "{} UTC: {}{}{}",
                    time_text(&b.start),
                    plural(total, noun, &format!("{noun}s")),
                    if parts.is_empty() { "" } else { " — " },
                    parts.join(", ")
                )
            })
            .collect();
        assert_eq!(titles, want, "#{chart}: a column per bucket");
    }

    let part = by_id(dom, "undocumented");
    badge(
        "undocumented",
        part,
        c.undocumented,
        Some(plural(r.undocumented.len() as u64, "name", "names")),
    );
    let mut want: Vec<Vec<String>> = r
        .undocumented
        .iter()
        .map(|u| {
            strings([
                u.name.clone(),
                thousands(u.count),
                chips(&u.statuses, None),
                u.first_seen.as_deref().map_or("-".into(), time_text),
                u.last_seen.as_deref().map_or("-".into(), time_text),
                u.example.clone(),
                u.resembles.clone().unwrap_or_default(),
            ])
        })
        .collect();
    if let Some(o) = &r.undocumented_other {
        want.push(strings([
            format!("other names beyond --max-names {}", o.max_names),
            thousands(o.count),
            chips(&o.statuses, None),
            String::new(),
            String::new(),
            o.example.clone(),
            String::new(),
        ]));
    }
    same_folded_rows("html undocumented", part, &want);

    let part = by_id(dom, "status-mismatches");
    badge(
        "status mismatches",
        part,
        c.status_mismatch,
        Some(plural(r.status_mismatches.len() as u64, "pair", "pairs")),
    );
    let want = mismatch_rows(&r, str::to_string);
    same_folded_rows("html status mismatches", part, &want);

    let part = by_id(dom, "wrong-section");
    badge(
        "wrong section",
        part,
        c.wrong_section,
        Some(plural(r.wrong_section.len() as u64, "pair", "pairs")),
    );
    let want = wrong_section_rows(&r, str::to_string);
    same_folded_rows("html wrong section", part, &want);

    // A table per catalog section with every code, busiest first.
    let codes = by_id(dom, "codes");
    let headings: Vec<usize> = codes.match_indices("<h3 ").map(|(i, _)| i).collect();
    assert_eq!(
        headings.len(),
        r.catalog.sections.len(),
        "a table per section"
    );
    for (k, section) in r.catalog.sections.iter().enumerate() {
        let part = &codes[headings[k]..*headings.get(k + 1).unwrap_or(&codes.len())];
        let of: Vec<&Code> = r.codes.iter().filter(|c| &c.section == section).collect();
        let want = format!(
            "{section} · {} of {} codes seen · {} lines",
            of.iter().filter(|c| c.count > 0).count(),
            of.len(),
            thousands(of.iter().map(|c| c.count).sum())
        );
        assert_eq!(
            dom_text(elements(part, "h3")[0]),
            want,
            "codes of {section}"
        );
        let want: Vec<Vec<String>> = of
            .iter()
            .map(|c| {
                let [p50, p90, p99, _] = latencies(&c.latency, html_ms);
                let documented = c.status.to_string();
                strings([
                    c.name.clone(),
                    documented.clone(),
                    thousands(c.count),
                    percent(c.share_of_requests),
                    percent(c.share_of_errors),
                    p50,
                    p90,
                    p99,
                    String::new(),
                    if c.count == 0 {
                        "never seen".into()
                    } else {
                        chips(&c.statuses, Some(&documented))
                    },
                ])
            })
            .collect();
        let what = format!("html codes of {section}");
        same_rows_by_count(&what, &dom_rows(part), &want, 1, 2);
        // Each seen code's sparkline names its busiest hour.
        let peaks: BTreeMap<String, String> = elements(part, "tr")
            .into_iter()
            .filter_map(|tr| {
                let spark = by_class(tr, "svg", "spark").into_iter().next()?;
                let name = dom_text(elements(tr, "td")[0]);
                Some((name, dom_text(elements(spark, "title")[0])))
            })
            .collect();
        let want: BTreeMap<String, String> = of
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| {
                let peak = c.series.as_ref().unwrap().iter().max().copied().unwrap();
                (
                    c.name.clone(),
                    format!("peak {} lines per point", thousands(peak)),
                )
            })
            .collect();
        assert_eq!(peaks, want, "{what}: sparkline peaks");
    }

    let part = by_id(dom, "never-seen");
    let unseen: Vec<&Code> = r.codes.iter().filter(|c| c.count == 0).collect();
    let want = format!(
        "Catalog codes never seen {} of {}",
        unseen.len(),
        r.codes.len()
    );
    assert_eq!(dom_text(elements(part, "h2")[0]), want);
    let pills: Vec<(String, String)> = elements(part, "li")
        .into_iter()
        .map(|li| {
            (
                dom_text(elements(li, "span")[0]),
                dom_text(elements(li, "small")[0]),
            )
        })
        .collect();
    let want: Vec<(String, String)> = unseen
        .iter()
        .map(|c| (c.name.clone(), format!("{} {}", c.section, c.status)))
        .collect();
    assert_eq!(pills, want, "codes never seen");

    let part = by_id(dom, "unnamed");
    badge("unnamed", part, c.unnamed_error, None);
    let want: Vec<Vec<String>> = r
        .unnamed_errors
        .iter()
        .map(|u| {
            let [p50, _, p99, _] = latencies(&u.latency, html_ms);
            strings([
                u.status.to_string(),
                thousands(u.count),
                percent(u.share_of_errors),
                p50,
                p99,
                u.example.clone(),
            ])
        })
        .collect();
    same_folded_rows("html unnamed errors", part, &want);

    let part = by_id(dom, "malformed");
    badge("malformed", part, c.malformed, None);
    let (reasons_part, examples_part) = part
        .split_once("<h3>First malformed lines</h3>")
        .expect("the first malformed lines");
    let want = reason_rows(&r);
    same_folded_rows("html malformed reasons", reasons_part, &want);
    let want: Vec<Vec<String>> = r
        .malformed
        .examples
        .iter()
        .map(|e| strings([e.location.clone(), e.reason.clone()]))
        .collect();
    same_folded_rows("html malformed examples", examples_part, &want);

    // Endpoints: the first 20, then "other"; each with a bar of its requests by class.
    let part = by_id(dom, "endpoints");
    let want = format!(
        "Endpoints top {} of {}",
        r.endpoints.len().min(HTML_TOP_ENDPOINTS),
        thousands(r.endpoints.len() as u64)
    );
    assert_eq!(dom_text(elements(part, "h2")[0]), want);
    let listed: Vec<&Endpoint> = r
        .endpoints
        .iter()
        .take(HTML_TOP_ENDPOINTS)
        .chain(&r.endpoints_other)
        .collect();
    let want: Vec<Vec<String>> = listed
        .iter()
        .map(|e| {
            strings([
                e.endpoint.clone(),
                thousands(e.requests),
                thousands(e.errors),
                percent(ratio(e.errors, e.requests)),
                String::new(),
                thousands(e.classes.status_mismatch),
                thousands(e.classes.wrong_section),
                thousands(e.classes.undocumented),
                thousands(e.classes.unnamed_error),
            ])
        })
        .collect();
    same_rows("html endpoints", &dom_rows(part), &want);
    let bars: Vec<Vec<[String; 4]>> = elements(part, "tr")
        .into_iter()
        .filter_map(|tr| by_class(tr, "svg", "mini").into_iter().next().map(rects))
        .collect();
    let want: Vec<Vec<[String; 4]>> = listed
        .iter()
        .map(|e| class_bar(&e.classes, e.requests, 100.0, |_, _| String::new()))
        .collect();
    assert_eq!(bars, want, "html endpoints: requests by class");

    let part = by_id(dom, "inputs");
    let want: Vec<Vec<String>> = r
        .inputs
        .iter()
        .map(|i| {
            strings([
                i.path.clone(),
                i.format.clone().unwrap_or_else(|| "-".into()),
                i.compression.clone().unwrap_or_else(|| "-".into()),
                i.latency_source.clone().unwrap_or_else(|| "-".into()),
                thousands(i.bytes),
                thousands(i.lines),
                i.error.clone().unwrap_or_default(),
            ])
        })
        .collect();
    same_rows("html inputs", &dom_rows(part), &want);
    let want = format!(
        "Statuses: {}. {} requests matched no route and were checked against all sections.",
        statuses(&r, " · "),
        thousands(t.unrouted)
    );
    assert_eq!(dom_text(by_class(part, "p", "muted")[0]), want, "statuses");
}

#[test]
fn html_in_chromium_shows_the_json_numbers_of_a_generated_day() {
    check_html(&Input::generated());
}

#[test]
fn html_in_chromium_shows_the_json_numbers_of_the_sample() {
    check_html(&Input::sample());
}
