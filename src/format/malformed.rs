//! Why a line could not be read: every reason any parser, or the line loop in
//! [`crate::analyze`], gives for a malformed line, in one enum. Its
//! [`Malformed::as_str`] texts are the keys of the report's `malformed.reasons` and
//! the `reason` of its examples, so they are part of the report's schema: renaming
//! one is a change a consumer notices.

use std::fmt;

/// Why a line could not be parsed into at least a status. One byte, `Copy`, and
/// its text static, so the hot loop never allocates for a bad line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformed {
    /// Nothing but whitespace (or a lone `\r`).
    EmptyLine,
    /// Longer than `--max-line-bytes`.
    TooLong,
    /// A text line (nginx, Apache, Envoy) that does not have the format's shape.
    NoMatch,
    /// A JSON line that is not JSON (or holds a captured value that is not UTF-8).
    InvalidJson,
    /// A JSON line whose value is not an object.
    NotAnObject,
    /// A structured line (JSON, logfmt) with no usable status key.
    NoStatus,
    /// A status written as text that is not a run of digits.
    StatusNotANumber,
    /// A status that is a JSON value other than an integer or a string (a
    /// fraction, an exponent, a boolean, an object, an array).
    StatusNotAnInteger,
    /// A status that is an integer outside 100..=599, or not three digits.
    StatusOutOfRange,
    /// Not a malformed line: a well-formed record whose status is `-` or `0`, a
    /// request that got no HTTP response (a TCP listener, a client that went away).
    /// Parsers give it as an error because there is no status to classify by; the
    /// line loop counts it in `no_response`, never as malformed. Not in
    /// [`Malformed::ALL`].
    NoResponse,
}

impl Malformed {
    /// Every reason, in declaration order.
    pub const ALL: [Malformed; 9] = [
        Malformed::EmptyLine,
        Malformed::TooLong,
        Malformed::NoMatch,
        Malformed::InvalidJson,
        Malformed::NotAnObject,
        Malformed::NoStatus,
        Malformed::StatusNotANumber,
        Malformed::StatusNotAnInteger,
        Malformed::StatusOutOfRange,
    ];

    /// The reason as the reports write it (a key of `malformed.reasons`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Malformed::EmptyLine => "empty line",
            Malformed::TooLong => "line longer than --max-line-bytes",
            Malformed::NoMatch => "line does not match the log format",
            Malformed::InvalidJson => "invalid JSON",
            Malformed::NotAnObject => "JSON line is not an object",
            Malformed::NoStatus => "no status field",
            Malformed::StatusNotANumber => "status is not a number",
            Malformed::StatusNotAnInteger => "status is not an integer",
            Malformed::StatusOutOfRange => "status out of range 100-599",
            Malformed::NoResponse => "no response (status - or 0)",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts are the report's keys: these are the ones reports have always
    /// had, and each is distinct.
    #[test]
    fn texts_are_the_report_keys() {
        let texts: Vec<&str> = Malformed::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(
            texts,
            [
                "empty line",
                "line longer than --max-line-bytes",
                "line does not match the log format",
                "invalid JSON",
                "JSON line is not an object",
                "no status field",
                "status is not a number",
                "status is not an integer",
                "status out of range 100-599",
            ]
        );
        let mut unique = texts.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), texts.len());
        assert_eq!(Malformed::NoMatch.to_string(), Malformed::NoMatch.as_str());
    }
}
