//! The markdown page parser (nom): `## heading` lines open sections, each followed by a
//! pipe table of name | status | description.
//!
//! The page is read line by line. Small nom parsers recognise what one line is (a
//! heading, a code fence, a table separator row, a table row, prose) and split rows
//! into cells; a small state machine ([`PageBuilder`]) assembles sections from those
//! lines. Working per line keeps every error tied to the 1-based line a docs
//! maintainer has to fix.
//!
//! What the page may hold, besides the tables: a leading blank line, a UTF-8 BOM, CRLF
//! line endings, an `# H1` title, prose paragraphs, `###` sub-headings and fenced code
//! blocks (ignored). A heading may end with `{#id}` to choose its section id.

use std::iter::Peekable;

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_till, take_while1, take_while_m_n};
use nom::character::complete::{anychar, char, satisfy, space0, space1};
use nom::combinator::{all_consuming, eof, opt, value, verify};
use nom::multi::{fold_many0, many1_count, separated_list1};
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use super::{Entry, Section};

/// A page that cannot be parsed: what is wrong and on which 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub line: usize,
    pub message: String,
}

impl PageError {
    fn new(line: usize, message: impl Into<String>) -> PageError {
        PageError {
            line,
            message: message.into(),
        }
    }
}

/// Parse the error page into its sections, in page order.
pub fn parse_page(text: &str) -> Result<Vec<Section>, PageError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .zip(1..)
        .map(|(line, number)| (number, line))
        .peekable();
    let mut page = PageBuilder::default();
    // Inside a fenced code block nothing is structure: `## x` there is a shell comment.
    let mut fence: Option<Fence> = None;

    while let Some((number, line)) = lines.next() {
        if let Some(open) = fence {
            if open.is_closed_by(line) {
                fence = None;
            }
            continue;
        }
        let kind = classify(line);
        if page.in_table() && kind.continues_table(line) {
            page.add_row(number, line)?;
            continue;
        }
        match kind {
            Line::Fence(open) => {
                page.end_table();
                fence = Some(open);
            }
            Line::Heading { level: 2, text } => page.open_section(number, text)?,
            Line::Separator { .. } => return Err(page.stray_separator(number)),
            Line::Row => {
                let separator = take_separator(&mut lines);
                page.start_table(number, line, separator)?;
            }
            // GFM lets a table's header row omit the leading pipe; only the separator
            // row under it tells such a header apart from prose that contains a `|`.
            Line::Text if line.contains('|') => match take_separator(&mut lines) {
                Some(separator) => page.start_table(number, line, Some(separator))?,
                None => page.end_table(),
            },
            // Blank lines and prose end a table; so do `# title` and `###` sub-headings,
            // which are prose as far as the catalog goes.
            Line::Blank | Line::Heading { .. } | Line::Text => page.end_table(),
        }
    }
    page.finish()
}

/// Consume the next line if it is a table separator row: its line number and cell count.
fn take_separator<'a>(
    lines: &mut Peekable<impl Iterator<Item = (usize, &'a str)>>,
) -> Option<(usize, usize)> {
    match lines.peek().map(|&(number, line)| (number, classify(line))) {
        Some((number, Line::Separator { cells })) => {
            lines.next();
            Some((number, cells))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------
// Line parsers

type PResult<'a, T> = IResult<&'a str, T>;

/// What one line of the page is, as far as sections and tables go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    Fence(Fence),
    Heading {
        level: usize,
        text: &'a str,
    },
    /// `|---|:--:|`: the row under a table header; `cells` counts its columns.
    Separator {
        cells: usize,
    },
    /// A line starting with `|`.
    Row,
    /// Anything else: prose (it may still contain a `|`).
    Text,
}

impl Line<'_> {
    /// Whether this line is one more row of an open table. Like GFM, a body row may omit
    /// its leading pipe, and a row that happens to look like `|---|` is still a row.
    fn continues_table(&self, line: &str) -> bool {
        match self {
            Line::Separator { .. } | Line::Row => true,
            Line::Text => line.contains('|'),
            Line::Blank | Line::Fence(_) | Line::Heading { .. } => false,
        }
    }
}

fn classify(line: &str) -> Line<'_> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Line::Blank;
    }
    if let Ok((_, fence)) = fence(line) {
        return Line::Fence(fence);
    }
    if let Ok((text, level)) = heading_marker(line) {
        return Line::Heading { level, text };
    }
    // Without any pipe, `---` is a thematic break (or a setext underline), not a table.
    if trimmed.contains('|') {
        if let Ok((_, cells)) = separator_row(trimmed) {
            return Line::Separator { cells };
        }
    }
    if trimmed.starts_with('|') {
        Line::Row
    } else {
        Line::Text
    }
}

/// Up to three spaces: more would make the line an indented code block.
fn indent(input: &str) -> PResult<'_, &str> {
    take_while_m_n(0, 3, |c| c == ' ')(input)
}

/// The `##` of an ATX heading; the rest of the line is the heading text.
fn heading_marker(line: &str) -> PResult<'_, usize> {
    delimited(
        indent,
        verify(many1_count(char('#')), |&level| level <= 6),
        alt((space1, eof)),
    )
    .parse(line)
}

/// The opening (or closing) line of a fenced code block: three or more backticks or
/// tildes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fence {
    marker: char,
    len: usize,
}

impl Fence {
    /// A fence closes with the same marker, at least as long, and nothing after it.
    fn is_closed_by(self, line: &str) -> bool {
        matches!(fence(line), Ok((rest, close))
            if close.marker == self.marker && close.len >= self.len && rest.trim().is_empty())
    }
}

fn fence(line: &str) -> PResult<'_, Fence> {
    let run = alt((take_while1(|c| c == '`'), take_while1(|c| c == '~')));
    preceded(indent, verify(run, |run: &str| run.len() >= 3))
        .map(|run: &str| Fence {
            marker: if run.starts_with('~') { '~' } else { '`' },
            len: run.len(),
        })
        .parse(line)
}

/// One separator cell: dashes with optional alignment colons, `:---:`.
fn separator_cell(input: &str) -> PResult<'_, ()> {
    value(
        (),
        (
            space0,
            opt(char(':')),
            take_while1(|c| c == '-'),
            opt(char(':')),
            space0,
        ),
    )
    .parse(input)
}

/// A whole separator row (trimmed), leading and trailing pipes optional; yields the
/// number of columns.
fn separator_row(line: &str) -> PResult<'_, usize> {
    all_consuming(delimited(
        opt(char('|')),
        separated_list1(char('|'), separator_cell),
        opt(char('|')),
    ))
    .map(|cells| cells.len())
    .parse(line)
}

/// A cell's raw text up to the next unescaped `|`. GFM splits cells before any other
/// markdown, so `\|` is a literal pipe even inside a code span.
fn cell(input: &str) -> PResult<'_, String> {
    fold_many0(
        alt((value("|", tag("\\|")), is_not("\\|"), tag("\\"))),
        String::new,
        |mut cell, piece| {
            cell.push_str(piece);
            cell
        },
    )
    .parse(input)
}

fn row_cells(line: &str) -> PResult<'_, Vec<String>> {
    preceded(opt(char('|')), separated_list1(char('|'), cell)).parse(line)
}

/// The trimmed cells of a table row. A trailing pipe is optional: when present it
/// leaves an empty last segment, which is not a cell.
fn split_row(line: &str) -> Vec<String> {
    let mut cells = row_cells(line.trim())
        .map(|(_, cells)| cells)
        .unwrap_or_default();
    if cells.last().is_some_and(String::is_empty) {
        cells.pop();
    }
    cells.iter().map(|cell| cell.trim().to_owned()).collect()
}

/// Text with markdown backslash escapes resolved: `INVALID\_API\_KEY` shows as
/// `INVALID_API_KEY`.
fn unescaped(input: &str) -> PResult<'_, String> {
    fold_many0(
        alt((
            preceded(char('\\'), satisfy(|c| c.is_ascii_punctuation())),
            anychar,
        )),
        String::new,
        |mut text, c| {
            text.push(c);
            text
        },
    )
    .parse(input)
}

/// An error name as the page shows it: a cell written as a code span (`` `NAME` ``) or
/// with escaped underscores still names `NAME`.
fn name_text(cell: &str) -> String {
    if cell.len() >= 2 && cell.starts_with('`') && cell.ends_with('`') {
        return cell.trim_matches('`').trim().to_owned();
    }
    unescaped(cell).map_or_else(|_| cell.to_owned(), |(_, name)| name)
}

/// An HTTP status: a plain integer from 100 to 599.
fn status_code(cell: &str) -> Option<u16> {
    all_consuming(nom::character::complete::u16::<_, nom::error::Error<&str>>)
        .parse(cell)
        .ok()
        .map(|(_, status)| status)
        .filter(|status| (100..=599).contains(status))
}

/// A trailing `{#id}` on a heading (the pandoc/kramdown explicit identifier); yields the
/// id as written.
fn explicit_id(input: &str) -> PResult<'_, &str> {
    delimited(
        tag("{#"),
        take_till(|c| c == '}'),
        terminated(char('}'), (space0, eof)),
    )
    .parse(input)
}

// ---------------------------------------------------------------------------------
// Headings and section ids

/// Split heading text into its title and its explicit `{#id}`, if any.
fn split_heading(text: &str) -> (&str, Option<&str>) {
    let text = strip_closing_hashes(text.trim());
    let Some(at) = text.rfind("{#") else {
        return (text, None);
    };
    match explicit_id(&text[at..]) {
        Ok((_, id)) => (text[..at].trim_end(), Some(id)),
        Err(_) => (text, None),
    }
}

/// `## Title ##`: `CommonMark`'s optional closing sequence is not part of the title, but
/// `## C#` keeps its `#`.
fn strip_closing_hashes(text: &str) -> &str {
    let body = text.trim_end_matches('#');
    if body.len() < text.len() && (body.is_empty() || body.ends_with([' ', '\t'])) {
        body.trim_end()
    } else {
        text
    }
}

/// The ids the rest of errscope (default routes, docs) knows the published sections by.
fn known_section_id(title: &str) -> Option<&'static str> {
    let key: String = title
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '／' { '/' } else { c })
        .collect();
    match key.as_str() {
        "图片/视频/音频" => Some("media"),
        "大语言" => Some("llm"),
        "账单" => Some("billing"),
        _ => None,
    }
}

/// Lower-case ASCII letters and digits of the title, other runs joined by one `-`.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    let mut gap = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            slug.push(c.to_ascii_lowercase());
            gap = false;
        } else {
            gap = true;
        }
    }
    slug
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

// ---------------------------------------------------------------------------------
// Assembling sections

/// Which cell holds what; indexes into a row of `width` cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    width: usize,
    name: usize,
    status: usize,
    description: Option<usize>,
}

/// Header keywords (matched lower-cased, anywhere in the cell). Status words are tried
/// first and description words before name words, because "error message" is a
/// description and "HTTP status" never a name.
const STATUS_WORDS: &[&str] = &["状态码", "状态", "status", "http"];
const DESCRIPTION_WORDS: &[&str] = &["说明", "描述", "description", "message"];
const NAME_WORDS: &[&str] = &["错误名称", "名称", "name", "error", "code name"];

impl Columns {
    /// Place name, status and description by header keywords; roles no header names
    /// take the remaining columns in order (a plain `a | b | c` header is positional).
    fn from_header(header: &[String]) -> Option<Columns> {
        // [name, status, description]
        let mut roles: [Option<usize>; 3] = [None; 3];
        let mut unnamed = Vec::new();
        for (index, cell) in header.iter().enumerate() {
            let cell = cell.to_lowercase();
            let has = |words: &[&str]| words.iter().any(|word| cell.contains(word));
            let role = if has(STATUS_WORDS) {
                1
            } else if has(DESCRIPTION_WORDS) {
                2
            } else if has(NAME_WORDS) {
                0
            } else {
                unnamed.push(index);
                continue;
            };
            roles[role].get_or_insert(index);
        }
        let mut unnamed = unnamed.into_iter();
        for role in &mut roles {
            if role.is_none() {
                *role = unnamed.next();
            }
        }
        let [name, status, description] = roles;
        Some(Columns {
            width: header.len(),
            name: name?,
            status: status?,
            description,
        })
    }

    fn entry(&self, line: usize, cells: &[String]) -> Result<Entry, PageError> {
        if cells.len() != self.width {
            let hint = if cells.len() > self.width {
                " (a `|` inside a cell must be written `\\|`)"
            } else {
                ""
            };
            return Err(PageError::new(
                line,
                format!(
                    "row has {} cells but the table header has {}{hint}",
                    cells.len(),
                    self.width
                ),
            ));
        }
        let cell = |index: usize| cells.get(index).map_or("", String::as_str);
        let name = name_text(cell(self.name));
        if name.is_empty() {
            return Err(PageError::new(line, "error name is empty"));
        }
        if let Some(bad) = name.chars().find(|&c| !is_id_char(c)) {
            return Err(PageError::new(
                line,
                format!(
                    "error name {name:?} contains {bad:?}; names use only ASCII letters, \
                     digits, '_', '-' and '.'"
                ),
            ));
        }
        let status = status_code(cell(self.status)).ok_or_else(|| {
            PageError::new(
                line,
                format!(
                    "status {:?} of {name} is not an HTTP status (an integer from 100 to 599)",
                    cell(self.status)
                ),
            )
        })?;
        Ok(Entry {
            name,
            status,
            description: self.description.map_or("", cell).to_owned(),
            line: Some(line),
        })
    }
}

/// The section being read: its heading line, and where its table stands.
#[derive(Debug)]
struct OpenSection {
    section: Section,
    heading_line: usize,
    /// Line of the table's header row, once the section has a table.
    table_line: Option<usize>,
    /// The columns of the table while its rows are being read.
    body: Option<Columns>,
}

#[derive(Debug, Default)]
struct PageBuilder {
    sections: Vec<Section>,
    /// Heading line of each section in `sections`, to point at duplicate ids.
    heading_lines: Vec<usize>,
    open: Option<OpenSection>,
}

impl PageBuilder {
    fn in_table(&self) -> bool {
        self.open.as_ref().is_some_and(|open| open.body.is_some())
    }

    /// A blank line, prose or a heading ends a table.
    fn end_table(&mut self) {
        if let Some(open) = &mut self.open {
            open.body = None;
        }
    }

    fn open_section(&mut self, line: usize, text: &str) -> Result<(), PageError> {
        self.close_section()?;
        let (title, explicit) = split_heading(text);
        let id = match explicit {
            Some(id) if id.is_empty() || !id.chars().all(is_id_char) => {
                return Err(PageError::new(
                    line,
                    format!(
                        "section id {id:?} in {{#…}} may only use ASCII letters, digits, \
                         '-', '_' and '.'"
                    ),
                ));
            }
            Some(id) => id.to_owned(),
            None => match known_section_id(title) {
                Some(id) => id.to_owned(),
                None => Some(slug(title))
                    .filter(|slug| !slug.is_empty())
                    .unwrap_or_else(|| format!("section-{}", self.sections.len() + 1)),
            },
        };
        if let Some(at) = self.sections.iter().position(|s| s.id == id) {
            return Err(PageError::new(
                line,
                format!(
                    "section id {id:?} is already used by the heading on line {}; \
                     give this heading its own id with {{#some-id}}",
                    self.heading_lines[at]
                ),
            ));
        }
        self.open = Some(OpenSection {
            section: Section {
                id,
                title: title.to_owned(),
                entries: Vec::new(),
            },
            heading_line: line,
            table_line: None,
            body: None,
        });
        Ok(())
    }

    fn close_section(&mut self) -> Result<(), PageError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        if open.table_line.is_none() {
            return Err(PageError::new(
                open.heading_line,
                format!(
                    "section {:?} has no table; each `##` heading must be followed by a \
                     table of error names and statuses",
                    open.section.title
                ),
            ));
        }
        self.heading_lines.push(open.heading_line);
        self.sections.push(open.section);
        Ok(())
    }

    /// A header row at `line`, with the separator row under it if there is one.
    fn start_table(
        &mut self,
        line: usize,
        header: &str,
        separator: Option<(usize, usize)>,
    ) -> Result<(), PageError> {
        let Some(open) = &mut self.open else {
            return Err(before_first_section(line));
        };
        if let Some(first) = open.table_line {
            return Err(PageError::new(
                line,
                format!(
                    "second table in section {:?}, whose table starts on line {first}; \
                     a section holds one table (is there a blank line inside the table?)",
                    open.section.title
                ),
            ));
        }
        let header = split_row(header);
        let Some((separator_line, cells)) = separator else {
            return Err(PageError::new(
                line,
                "table header row is not followed by a separator row such as |---|---|---|",
            ));
        };
        if cells != header.len() {
            return Err(PageError::new(
                separator_line,
                format!(
                    "separator row has {cells} cells but the header row above has {}",
                    header.len()
                ),
            ));
        }
        let columns = Columns::from_header(&header).ok_or_else(|| {
            PageError::new(
                line,
                format!("table header {header:?} needs at least a name and a status column"),
            )
        })?;
        open.table_line = Some(line);
        open.body = Some(columns);
        Ok(())
    }

    fn add_row(&mut self, line: usize, row: &str) -> Result<(), PageError> {
        if let Some(OpenSection {
            section,
            body: Some(columns),
            ..
        }) = &mut self.open
        {
            section.entries.push(columns.entry(line, &split_row(row))?);
        }
        Ok(())
    }

    /// A separator row with no header row above it.
    fn stray_separator(&self, line: usize) -> PageError {
        if self.open.is_none() {
            before_first_section(line)
        } else {
            PageError::new(line, "table separator row without a header row above it")
        }
    }

    fn finish(mut self) -> Result<Vec<Section>, PageError> {
        self.close_section()?;
        if self.sections.is_empty() {
            return Err(PageError::new(
                1,
                "no sections: the page needs `## heading` lines, each followed by a table \
                 of error names and statuses",
            ));
        }
        Ok(self.sections)
    }
}

fn before_first_section(line: usize) -> PageError {
    PageError::new(
        line,
        "table before the first `##` heading; put each table under a section heading",
    )
}
