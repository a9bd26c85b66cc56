//! Text on the page: [`Esc`], through which every string from a log or a catalog
//! is written, and how counts, durations, times, sizes and anchors are spelled.

use std::fmt::{self, Write as _};

use crate::report::table::{escape_control, thousands};

/// Text from a log or a catalog, ready for HTML text or a quoted attribute.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in escape_control(self.0).chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                // Bidirectional overrides could reorder what a reader sees.
                '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                    write!(f, "\\u{{{:04x}}}", c as u32)?
                }
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A latency, in ms below a second and in seconds above.
pub(super) fn ms_text(ms: f64) -> String {
    match ms {
        v if v >= 10_000.0 => format!("{:.0} s", v / 1000.0),
        v if v >= 1000.0 => format!("{:.2} s", v / 1000.0),
        v if v >= 100.0 => format!("{v:.0} ms"),
        v if v >= 1.0 => format!("{v:.1} ms"),
        v => format!("{v:.2} ms"),
    }
}

/// A span in its two largest units: `23 h 55 min`, `10 min`, `42 s`.
pub(super) fn duration_text(seconds: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "min"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (size, name) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 || !parts.is_empty() {
            parts.push((n, name));
        }
    }
    parts.truncate(2);
    parts.retain(|(n, _)| *n > 0);
    if parts.is_empty() {
        return "0 s".into();
    }
    parts
        .iter()
        .map(|(n, name)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `2026-11-25T16:00:01Z` as `2026-11-25 16:00:01`.
pub(super) fn time_text(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
}

/// `2026-11-25T16:00:00Z` as `11-25 16:00` for an axis.
pub(super) fn short_time(rfc3339: &str) -> String {
    time_text(rfc3339).get(5..16).unwrap_or(rfc3339).to_string()
}

/// `2026-11-25T16:00:01Z` as `2026-11-25`.
pub(super) fn day_text(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

pub(super) fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} B"),
    }
}

/// A section id as an HTML id: letters, digits, `-` and `_` kept, the rest `-`.
pub(super) fn slug(section: &str) -> String {
    section
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
