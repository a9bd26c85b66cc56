//! `errscope catalog lint`: check the catalog page itself and say what a docs
//! maintainer should fix, each finding with the 1-based line of the row to look at.
//!
//! | kind | what |
//! |---|---|
//! | `parse_error` | a row (or heading, or table) the page parser rejects |
//! | `invalid_status` | a status that is not an HTTP error status (400-599) |
//! | `duplicate_name` | a name listed twice in one section |
//! | `conflicting_status` | a name with different statuses in different sections |
//! | `shared_description` | one description used for different names |
//!
//! The page parser stops at the first row it cannot read; lint reports that row and
//! reads on without it, so one bad row does not hide the rest of the page (it stops at
//! a heading or table that cannot be read, where what follows would be guesswork).
//! `errscope catalog lint` exits with status 1 when there are findings, so the docs
//! repository's CI can run it.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::markdown::parse_page;
use super::{Catalog, Section, EMBEDDED_PAGE};
use crate::error::{Error, Result};

/// `schema` of the JSON output.
pub const SCHEMA: &str = "errscope-lint";
/// Bumped on any change a consumer could notice.
pub const VERSION: u32 = 1;

/// Findings past this many parse errors are not looked for.
const MAX_PARSE_ERRORS: usize = 100;

/// What `catalog lint` found on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lint {
    /// Always `errscope-lint`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// `embedded` or the path of the page.
    pub source: String,
    /// Sections and rows read (rows that could not be read are not counted).
    pub sections: usize,
    /// Rows read from the page's tables.
    pub entries: usize,
    /// By line, rows without a line (JSON catalogs) last.
    pub findings: Vec<Finding>,
}

/// The kinds of lint finding (the module doc says when each applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A row or heading that could not be read.
    ParseError,
    /// A status that is not an HTTP error status (400-599).
    InvalidStatus,
    /// A name listed twice in one section.
    DuplicateName,
    /// A name listed in several sections with different statuses.
    ConflictingStatus,
    /// One description used for different names.
    SharedDescription,
}

impl Kind {
    /// The kind as written in reports: `parse_error`, `duplicate_name`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ParseError => "parse_error",
            Kind::InvalidStatus => "invalid_status",
            Kind::DuplicateName => "duplicate_name",
            Kind::ConflictingStatus => "conflicting_status",
            Kind::SharedDescription => "shared_description",
        }
    }
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// What kind of problem.
    pub kind: Kind,
    /// The line to fix (1-based); null for a JSON catalog.
    pub line: Option<usize>,
    /// What is wrong, for a person.
    pub message: String,
    /// The rows involved, in page order (empty for parse errors).
    pub rows: Vec<Row>,
}

/// A catalog row a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The documented status.
    pub status: u16,
    /// The description.
    pub description: String,
    /// 1-based line of the row in the page.
    pub line: Option<usize>,
}

/// Lint the catalog errscope would use: the embedded page, or the page or JSON
/// catalog at `path`. An unreadable file or a JSON catalog that does not load is an
/// error; a markdown page that does not parse gives `parse_error` findings.
pub fn lint(path: Option<&Path>) -> Result<Lint> {
    let Some(path) = path else {
        return Ok(lint_page(EMBEDDED_PAGE, "embedded"));
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Input {
        path: path.to_path_buf(),
        source,
    })?;
    if text.trim_start().starts_with('{') {
        let catalog = Catalog::from_json(&text, &name)?;
        Ok(lint_sections(catalog.sections(), &name, Vec::new()))
    } else {
        Ok(lint_page(&text, &name))
    }
}

/// Lint a markdown page; `source` names it in the output.
pub fn lint_page(text: &str, source: &str) -> Lint {
    let lines: Vec<&str> = text.split('\n').collect();
    // Original line numbers of the lines still given to the parser.
    let mut kept: Vec<usize> = (1..=lines.len()).collect();
    let mut errors = Vec::new();
    loop {
        let page: Vec<&str> = kept.iter().map(|&n| lines[n - 1]).collect();
        match parse_page(&page.join("\n")) {
            Ok(mut sections) => {
                for entry in sections.iter_mut().flat_map(|s| &mut s.entries) {
                    entry.line = entry.line.map(|l| kept[l - 1]);
                }
                return lint_sections(&sections, source, errors);
            }
            Err(e) => {
                let at = e.line.saturating_sub(1).min(kept.len().saturating_sub(1));
                let line = kept.get(at).copied();
                // The parser's own wording for a status that is not 100-599.
                let kind = if e.message.starts_with("status ") {
                    Kind::InvalidStatus
                } else {
                    Kind::ParseError
                };
                errors.push(Finding {
                    kind,
                    line,
                    message: e.message,
                    rows: Vec::new(),
                });
                let recoverable = at > 0
                    && errors.len() < MAX_PARSE_ERRORS
                    && is_body_row(lines[kept[at] - 1])
                    && lines[kept[at - 1] - 1].contains('|');
                if !recoverable {
                    return Lint {
                        schema: SCHEMA.to_string(),
                        version: VERSION,
                        source: source.to_string(),
                        sections: 0,
                        entries: 0,
                        findings: errors,
                    };
                }
                kept.remove(at);
            }
        }
    }
}

/// A table body row: it has a `|` and is not a separator row (`|---|:--:|`).
fn is_body_row(line: &str) -> bool {
    line.contains('|')
        && !line
            .trim()
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

/// Lint parsed sections; `findings` are those found while parsing.
pub fn lint_sections(sections: &[Section], source: &str, mut findings: Vec<Finding>) -> Lint {
    let rows: Vec<Row> = sections
        .iter()
        .flat_map(|s| {
            s.entries.iter().map(|e| Row {
                section: s.id.clone(),
                name: e.name.clone(),
                status: e.status,
                description: e.description.clone(),
                line: e.line,
            })
        })
        .collect();
    invalid_statuses(&rows, &mut findings);
    duplicates(&rows, &mut findings);
    conflicting_statuses(&rows, &mut findings);
    shared_descriptions(&rows, &mut findings);
    findings.sort_by(|a, b| {
        (a.line.is_none(), a.line, a.kind).cmp(&(b.line.is_none(), b.line, b.kind))
    });
    Lint {
        schema: SCHEMA.to_string(),
        version: VERSION,
        source: source.to_string(),
        sections: sections.len(),
        entries: rows.len(),
        findings,
    }
}

/// ` (line 8)`, or nothing without a line.
fn at(line: Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

fn invalid_statuses(rows: &[Row], findings: &mut Vec<Finding>) {
    for r in rows.iter().filter(|r| !(400..=599).contains(&r.status)) {
        findings.push(Finding {
            kind: Kind::InvalidStatus,
            line: r.line,
            message: format!(
                "{} in {} has status {}, which is not an HTTP error status (400-599)",
                r.name, r.section, r.status
            ),
            rows: vec![r.clone()],
        });
    }
}

fn duplicates(rows: &[Row], findings: &mut Vec<Finding>) {
    let mut first: HashMap<(&str, &str), &Row> = HashMap::new();
    for r in rows {
        let Some(earlier) = first.get(&(r.section.as_str(), r.name.as_str())).copied() else {
            first.insert((&r.section, &r.name), r);
            continue;
        };
        let statuses = if earlier.status == r.status {
            String::new()
        } else {
            format!(", with statuses {} and {}", earlier.status, r.status)
        };
        findings.push(Finding {
            kind: Kind::DuplicateName,
            line: r.line,
            message: format!(
                "{} is listed twice in {}{}{}; errscope uses the first row",
                r.name,
                r.section,
                match (earlier.line, r.line) {
                    (Some(a), Some(b)) => format!(" (lines {a} and {b})"),
                    _ => String::new(),
                },
                statuses
            ),
            rows: vec![earlier.clone(), r.clone()],
        });
    }
}

fn conflicting_statuses(rows: &[Row], findings: &mut Vec<Finding>) {
    // name -> the first row of each section listing it, in page order.
    let mut by_name: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        let listed = by_name.entry(&r.name).or_default();
        if !listed.iter().any(|l| l.section == r.section) {
            listed.push(r);
        }
    }
    for (name, listed) in by_name {
        let Some(differs) = listed.iter().find(|r| r.status != listed[0].status) else {
            continue;
        };
        let each: Vec<String> = listed
            .iter()
            .map(|r| format!("{} in {}{}", r.status, r.section, at(r.line)))
            .collect();
        findings.push(Finding {
            kind: Kind::ConflictingStatus,
            line: differs.line,
            message: format!(
                "{name} has different statuses in different sections: {}",
                each.join(", ")
            ),
            rows: listed.into_iter().cloned().collect(),
        });
    }
}

/// Whitespace-insensitive form of a description.
fn normalized(description: &str) -> String {
    description.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shared_descriptions(rows: &[Row], findings: &mut Vec<Finding>) {
    let mut by_text: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        let text = normalized(&r.description);
        if !text.is_empty() {
            by_text.entry(text).or_default().push(r);
        }
    }
    let mut groups: Vec<(String, Vec<&Row>)> = by_text
        .into_iter()
        .filter(|(_, rs)| rs.iter().any(|r| r.name != rs[0].name))
        .collect();
    groups.sort_by_key(|(_, rs)| rs[0].line);
    for (text, group) in groups {
        // A row whose name is described differently elsewhere most likely took
        // another name's description by mistake: that is the row to fix.
        let elsewhere = |r: &Row| {
            rows.iter()
                .find(|o| o.name == r.name && normalized(&o.description) != text)
                .cloned()
        };
        let suspect = group.iter().find_map(|r| elsewhere(r).map(|o| (*r, o)));
        let message = match &suspect {
            Some((r, other)) => {
                let owners: Vec<String> = group
                    .iter()
                    .filter(|o| o.name != r.name)
                    .map(|o| format!("{} in {}{}", o.name, o.section, at(o.line)))
                    .collect();
                format!(
                    "{} in {} is described as {:?}, the description of {}; {} is described \
                     as {:?} in {}{}",
                    r.name,
                    r.section,
                    r.description,
                    owners.join(", "),
                    r.name,
                    other.description,
                    other.section,
                    at(other.line)
                )
            }
            None => {
                let names: Vec<String> = group
                    .iter()
                    .map(|r| format!("{} in {}{}", r.name, r.section, at(r.line)))
                    .collect();
                format!(
                    "the description {:?} is used for different names: {}",
                    group[0].description,
                    names.join(", ")
                )
            }
        };
        let line = match suspect {
            Some((r, _)) => r.line,
            None => group.last().and_then(|r| r.line),
        };
        findings.push(Finding {
            kind: Kind::SharedDescription,
            line,
            message,
            rows: group.into_iter().cloned().collect(),
        });
    }
}

/// Text output: one `source:line: kind: message` line per finding (the form editors
/// and CI annotations read), then a summary line.
pub fn render_text(lint: &Lint, out: &mut dyn Write) -> io::Result<()> {
    use crate::report::table::escape_control;
    for f in &lint.findings {
        let place = match f.line {
            Some(line) => format!("{}:{line}", lint.source),
            None => lint.source.clone(),
        };
        writeln!(
            out,
            "{}: {}: {}",
            escape_control(&place),
            f.kind.as_str(),
            escape_control(&f.message)
        )?;
    }
    let n = lint.findings.len();
    writeln!(
        out,
        "{} in {} ({} sections, {} entries)",
        match n {
            0 => "no findings".to_string(),
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        },
        escape_control(&lint.source),
        lint.sections,
        lint.entries
    )
}

/// JSON output: the [`Lint`], pretty, one trailing newline.
pub fn render_json(lint: &Lint, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, lint)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(lint: &Lint) -> Vec<(Kind, Option<usize>)> {
        lint.findings.iter().map(|f| (f.kind, f.line)).collect()
    }

    #[test]
    fn embedded_page() {
        let lint = lint_page(EMBEDDED_PAGE, "embedded");
        assert_eq!(lint.sections, 3);
        assert_eq!(
            kinds(&lint),
            [
                (Kind::SharedDescription, Some(37)),
                (Kind::SharedDescription, Some(40)),
            ],
            "{lint:#?}"
        );
        let api_key = &lint.findings[0].message;
        assert!(api_key.contains("INVALID_API_KEY in llm"), "{api_key}");
        assert!(
            api_key.contains("MISSING_API_KEY in media (line 22)"),
            "{api_key}"
        );
        assert!(
            api_key.contains("\"API Key 校验失败\" in media (line 23)"),
            "{api_key}"
        );
        let balance = &lint.findings[1].message;
        assert!(balance.contains("\"余额不足\""), "{balance}");
        assert!(balance.contains("BILLING_BALANCE_NOT_ENOUGH in media (line 21)"));
        assert!(balance.contains("NOT_ENOUGH_BALANCE in llm (line 40)"));
    }

    #[test]
    fn reads_on_after_a_bad_row() {
        let page = "## A\n\n| name | status | description |\n|---|---|---|\n| X | 4OO | x |\n\
                    | Y | 200 | y |\n| Z | 400 | z | extra |\n| Y | 404 | y2 |\n";
        let lint = lint_page(page, "p.md");
        assert_eq!(
            kinds(&lint),
            [
                (Kind::InvalidStatus, Some(5)),
                (Kind::InvalidStatus, Some(6)),
                (Kind::ParseError, Some(7)),
                (Kind::DuplicateName, Some(8)),
            ],
            "{lint:#?}"
        );
        assert_eq!(lint.entries, 2);
    }

    #[test]
    fn stops_at_a_broken_table() {
        let page = "## A\n\n| name | status | description |\n| X | 400 | x |\n";
        let lint = lint_page(page, "p.md");
        assert_eq!(kinds(&lint), [(Kind::ParseError, Some(3))]);
        assert_eq!(lint.sections, 0);
    }
}
