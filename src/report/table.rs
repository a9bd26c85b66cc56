//! Aligned plain-text tables for terminal output. Widths count display columns, so
//! Chinese descriptions line up; control characters from log content are escaped so
//! a log line can never drive the terminal.

use std::fmt::Write as _;
use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

/// Columns every table and line of the text report fits in.
pub const TEXT_WIDTH: usize = 100;

/// A column narrowed to fit [`TEXT_WIDTH`] keeps at least this many columns.
const MIN_WRAPPED: usize = 12;

/// `text` in lines of at most `width` display columns: broken at spaces, and a
/// word longer than a line broken where it reaches the edge. Text that fits is one
/// line, as it is.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    if text.width() <= width || width == 0 {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if line.width() + sep + word.width() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if line.width() + w > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// How a column's cells are aligned, and whether they may wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left-aligned text.
    Left,
    /// Right-aligned: numbers.
    Right,
    /// Left-aligned, and the first to be narrowed (its cells wrapped) when the
    /// table is wider than [`TEXT_WIDTH`]: lists that read well on several lines.
    Wrap,
    /// Left-aligned and never narrowed: a cell that must stay on one line (a
    /// `path:line` location, a time).
    Whole,
}

/// A text table: headers, rows of escaped cells, rendered within [`TEXT_WIDTH`].
pub struct Table {
    headers: Vec<&'static str>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
    /// Rows left out by [`Table::cap`].
    more: usize,
}

impl Table {
    /// An empty table with these (header, alignment) columns.
    pub fn new(columns: &[(&'static str, Align)]) -> Table {
        Table {
            headers: columns.iter().map(|c| c.0).collect(),
            align: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
            more: 0,
        }
    }

    /// Keep the first `top` rows; the table ends with how many more there were.
    pub fn cap(&mut self, top: usize) {
        if self.rows.len() > top {
            self.more += self.rows.len() - top;
            self.rows.truncate(top);
        }
    }

    /// Add a row; cells are escaped here.
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows
            .push(cells.iter().map(|c| escape_control(c)).collect());
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Write the table, each line indented by `indent` spaces, no trailing spaces,
    /// within [`TEXT_WIDTH`] columns: when the cells are wider, the widest
    /// left-aligned columns are narrowed and their cells wrap onto more lines (at
    /// spaces, or anywhere in a long word), so nothing is cut off. A table that fits
    /// is written as it is.
    pub fn render(&self, out: &mut dyn Write, indent: usize) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.width());
            }
        }
        self.narrow(&mut widths, indent);
        let headers: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let pieces: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| wrap(cell, w))
                .collect();
            let height = pieces.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut line = " ".repeat(indent);
                for (i, cell) in pieces.iter().enumerate() {
                    let cell = cell.get(k).map_or("", String::as_str);
                    let pad = widths[i].saturating_sub(cell.width());
                    if i > 0 {
                        line.push_str("  ");
                    }
                    match self.align[i] {
                        Align::Left | Align::Wrap | Align::Whole => {
                            line.push_str(cell);
                            line.push_str(&" ".repeat(pad));
                        }
                        Align::Right => {
                            line.push_str(&" ".repeat(pad));
                            line.push_str(cell);
                        }
                    }
                }
                writeln!(out, "{}", line.trim_end())?;
            }
        }
        if self.more > 0 {
            writeln!(
                out,
                "{}and {} more (-o json lists them all)",
                " ".repeat(indent),
                thousands(self.more as u64)
            )?;
        }
        Ok(())
    }

    /// Narrow the widest [`Align::Wrap`] columns, then the widest left-aligned
    /// ones, one column at a time, until the table fits [`TEXT_WIDTH`] or none can
    /// be narrowed further (a column keeps at least its header's width, and
    /// [`MIN_WRAPPED`] columns).
    fn narrow(&self, widths: &mut [usize], indent: usize) {
        let total = |w: &[usize]| indent + w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        for kind in [Align::Wrap, Align::Left] {
            while total(widths) > TEXT_WIDTH {
                let widest = (0..widths.len())
                    .filter(|&i| self.align[i] == kind)
                    .filter(|&i| widths[i] > self.headers[i].width().max(MIN_WRAPPED))
                    .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
                match widest {
                    Some(i) => widths[i] -= 1,
                    None => break,
                }
            }
        }
    }
}

/// Replace control characters (C0, DEL, C1) with visible escapes (`\x1b`), so log
/// content printed in a terminal stays text.
///
/// Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) are escaped
/// too (`\u{202e}`): they are not control characters, but they reorder what a
/// terminal shows, so log content could make a row read as something else.
pub fn escape_control(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else if is_bidi_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The finding classes' columns of a text table, in report order (documented,
/// status mismatch, wrong section, undocumented, unnamed error); their cells are
/// [`finding_cells`].
pub const FINDING_COLUMNS: [(&str, Align); 5] = [
    ("doc", Align::Right),
    ("mismatch", Align::Right),
    ("wrong", Align::Right),
    ("undoc", Align::Right),
    ("unnamed", Align::Right),
];

/// A row's cells under [`FINDING_COLUMNS`].
pub fn finding_cells(c: &super::ClassCounts) -> [String; 5] {
    [
        c.documented,
        c.status_mismatch,
        c.wrong_section,
        c.undocumented,
        c.unnamed_error,
    ]
    .map(thousands)
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n / of`, or 0 when `of` is 0.
pub fn ratio(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// Observed statuses as `403×12 429×3`.
pub fn status_list(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(s, n)| format!("{s}×{}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A share as a percentage with enough digits to tell rare codes apart.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p < 0.01 {
        "<0.01%".to_string()
    } else if p < 10.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_by_display_width_and_escapes() {
        let mut t = Table::new(&[
            ("name", Align::Left),
            ("n", Align::Right),
            ("说明", Align::Left),
        ]);
        t.row(vec!["A".into(), "1".into(), "余额不足".into()]);
        t.row(vec!["BB\x1b[31m".into(), "100".into(), "x".into()]);
        let mut out = Vec::new();
        t.render(&mut out, 2).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  name          n  说明\n  A             1  余额不足\n  BB\\x1b[31m  100  x\n"
        );
    }

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.00001), "<0.01%");
        assert_eq!(percent(0.0123), "1.23%");
        assert_eq!(percent(0.5), "50.0%");
    }
}
