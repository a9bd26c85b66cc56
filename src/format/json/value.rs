//! A captured JSON value's raw text turned into what a field holds: whether it
//! can serve at all, a status, a time, the text inside a string.

use super::super::{non_empty_name, text_status, three_digit_status, Malformed};
use super::Kind;
use crate::format::timestamp::{parse_text_time, parse_time, TimeUnit};

impl Kind {
    /// Whether `raw` (a JSON value's text) can serve as this field, so that a null
    /// or an unusable value lets the next key in the list have its say.
    pub(super) fn accepts(self, raw: &[u8]) -> bool {
        if raw == b"null" {
            return false;
        }
        match self {
            Kind::Name => string_inner(raw).is_some_and(|s| non_empty_name(s).is_some()),
            Kind::Path { .. } => raw.starts_with(b"\""),
            Kind::Body => raw.starts_with(b"\"") || raw.starts_with(b"{"),
            Kind::Status | Kind::Latency(_) | Kind::Time(_) => true,
        }
    }
}

/// The text between the quotes of a raw JSON string, escapes left as they are;
/// `None` for any other value. `raw` has been validated, so a leading quote
/// implies a trailing one.
pub(super) fn string_inner(raw: &[u8]) -> Option<&[u8]> {
    raw.strip_prefix(b"\"")?.strip_suffix(b"\"")
}

/// A number as written, or the contents of a string (`"0.123"`).
pub(super) fn scalar_text(raw: &[u8]) -> &[u8] {
    string_inner(raw).unwrap_or(raw)
}

/// The bytes to look for an error name in: a string body as written (its quotes
/// escaped, which `name_in_body` expects), an object body as raw JSON.
pub(super) fn body_bytes(raw: &[u8]) -> &[u8] {
    scalar_text(raw)
}

/// A status: a string is text, read as every format reads a status written as
/// text ([`text_status`]); a number must be an integer in 100..=599 (`-1`, `0`,
/// `1000` are out of range), and any other value (`4.5`, `4e2`, `true`, `{}`) is
/// not an integer.
#[inline]
pub(super) fn parse_status(raw: &[u8]) -> Result<u16, Malformed> {
    if let Some(text) = string_inner(raw) {
        return text_status(text);
    }
    if let Some(status) = three_digit_status(raw) {
        return Ok(status);
    }
    if raw == b"0" {
        return Err(Malformed::NoResponse);
    }
    // A JSON integer has no leading zeros, so one that is not three digits worth
    // 100..=599 is out of range.
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        Err(Malformed::StatusOutOfRange)
    } else {
        Err(Malformed::StatusNotAnInteger)
    }
}

/// A time value: with no unit given, strings are text times (ISO-8601 or nginx
/// `time_local`) and numbers epoch seconds; with a unit, the unit says (an epoch
/// unit also reads a string of digits). `None` when it cannot be read.
pub(super) fn parse_time_value(raw: &[u8], unit: Option<TimeUnit>) -> Option<i64> {
    match (string_inner(raw), unit) {
        (Some(text), None) => parse_text_time(text),
        (Some(text), Some(unit)) => parse_time(text, unit),
        (None, Some(TimeUnit::Iso8601)) => None,
        (None, unit) => parse_time(raw, unit.unwrap_or(TimeUnit::EpochS)),
    }
}
