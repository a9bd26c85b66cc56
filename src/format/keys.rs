//! Where structured formats (JSON lines, logfmt) look for each field: the key names
//! tried by default, in priority order, and how a key's value is read. One table,
//! so both formats find the same fields under the same names.

use super::{FieldKey, FieldOverride, FieldUnit};
use crate::format::timestamp::{DurationUnit, TimeUnit};

/// What a key's value means and how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Status,
    /// Only string values are names: a numeric `code` is a status.
    Name,
    /// `request_line`: the value is a request line, `METHOD TARGET PROTOCOL`, read
    /// as every format reads one ([`super::request`]); true for a key (or dotted
    /// path) whose last part is `request`.
    Path {
        request_line: bool,
    },
    Latency(DurationUnit),
    /// `None`: strings are text times (ISO-8601, nginx `$time_local`), numbers
    /// epoch seconds.
    Time(Option<TimeUnit>),
    /// A logged response body, searched for the error name.
    Body,
}

impl ValueKind {
    /// The field's index among the six (status, name, path, latency, time, body),
    /// for parsers that keep one capture slot per field.
    pub fn slot(self) -> usize {
        match self {
            ValueKind::Status => 0,
            ValueKind::Name => 1,
            ValueKind::Path { .. } => 2,
            ValueKind::Latency(_) => 3,
            ValueKind::Time(_) => 4,
            ValueKind::Body => 5,
        }
    }

    /// The kind of value a `--field` names; latency defaults to seconds. A unit
    /// that does not fit the field is an error (parsed specs never have one, but
    /// overrides built in code might).
    pub fn of(o: &FieldOverride) -> Result<ValueKind, &'static str> {
        Ok(match (o.key, o.unit) {
            (FieldKey::Latency, None) => ValueKind::Latency(DurationUnit::S),
            (FieldKey::Latency, Some(FieldUnit::Duration(u))) => ValueKind::Latency(u),
            (FieldKey::Time, None) => ValueKind::Time(None),
            (FieldKey::Time, Some(FieldUnit::Time(u))) => ValueKind::Time(Some(u)),
            (FieldKey::Latency | FieldKey::Time, Some(_)) => {
                return Err("latency takes a duration unit, time a time unit")
            }
            (_, Some(_)) => return Err("only latency and time take a unit"),
            (FieldKey::Status, None) => ValueKind::Status,
            (FieldKey::Name, None) => ValueKind::Name,
            (FieldKey::Path, None) => ValueKind::Path {
                request_line: o.path.rsplit('.').next() == Some("request"),
            },
            (FieldKey::Body, None) => ValueKind::Body,
        })
    }
}

const STATUS: &[&str] = &["status", "status_code"];
const NAME: &[&str] = &["error_code", "reason", "code"];
const PATH: &[&str] = &["uri", "path", "request"];
const LATENCY: &[(&str, DurationUnit)] = &[
    ("request_time", DurationUnit::S),
    ("duration", DurationUnit::S),
    ("duration_ms", DurationUnit::Ms),
    ("latency_ms", DurationUnit::Ms),
];
const TIME: &[&str] = &[
    "time",
    "timestamp",
    "ts",
    "@timestamp",
    "time_local",
    "time_iso8601",
];
const BODY: &[&str] = &["resp_body", "response_body", "body"];

/// The keys tried for `field` when no `--field` names one, first match first.
pub fn defaults(field: FieldKey) -> Vec<(&'static str, ValueKind)> {
    let all =
        |keys: &[&'static str], kind: ValueKind| keys.iter().map(move |k| (*k, kind)).collect();
    match field {
        FieldKey::Status => all(STATUS, ValueKind::Status),
        FieldKey::Name => all(NAME, ValueKind::Name),
        FieldKey::Path => PATH
            .iter()
            .map(|k| {
                (
                    *k,
                    ValueKind::Path {
                        request_line: *k == "request",
                    },
                )
            })
            .collect(),
        FieldKey::Latency => LATENCY
            .iter()
            .map(|(k, u)| (*k, ValueKind::Latency(*u)))
            .collect(),
        FieldKey::Time => all(TIME, ValueKind::Time(None)),
        FieldKey::Body => all(BODY, ValueKind::Body),
    }
}
