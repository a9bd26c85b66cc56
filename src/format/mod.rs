//! Log formats: each turns one line into [`Fields`] borrowed from the line's bytes.
//! `nginx` compiles an nginx `log_format` string into a parser; `json` reads JSON lines;
//! `logfmt` reads `key=value` lines; `apache` translates Apache `LogFormat` strings for
//! the nginx compiler; `presets` names the formats of common gateways; `detect`
//! chooses among them for `--format auto`. This module holds what they share: the
//! fields, `--field` overrides, and [`build`].

pub mod apache;
mod body;
pub mod detect;
pub mod json;
mod json_index;
mod keys;
pub mod logfmt;
pub mod nginx;
pub mod presets;

pub use detect::Detection;

use crate::error::{Error, Result};
use crate::timestamp::{DurationUnit, TimeUnit};

/// What errscope needs from one log line, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields<'a> {
    /// HTTP status, 100..=599.
    pub status: u16,
    /// The error name (`INVALID_API_KEY`), `None` when the line carries none
    /// (absent, empty, `-`, JSON null).
    pub name: Option<&'a [u8]>,
    /// Request path as logged, possibly with a query string.
    pub path: Option<&'a [u8]>,
    /// Latency in microseconds.
    pub latency_us: Option<u64>,
    /// Request time, epoch milliseconds UTC.
    pub time_ms: Option<i64>,
    /// The line has a time field whose value could not be parsed.
    pub bad_time: bool,
}

/// Why a line could not be parsed into at least a status. Static, so the hot loop
/// never allocates for a bad line.
pub type Malformed = &'static str;

/// One of the things errscope reads from a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKey {
    Status,
    Name,
    Path,
    Latency,
    Time,
    Body,
}

impl FieldKey {
    pub const ALL: [FieldKey; 6] = [
        FieldKey::Status,
        FieldKey::Name,
        FieldKey::Path,
        FieldKey::Latency,
        FieldKey::Time,
        FieldKey::Body,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKey::Status => "status",
            FieldKey::Name => "name",
            FieldKey::Path => "path",
            FieldKey::Latency => "latency",
            FieldKey::Time => "time",
            FieldKey::Body => "body",
        }
    }
}

/// Unit attached to a `--field` (latency and time only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldUnit {
    Duration(DurationUnit),
    Time(TimeUnit),
}

/// `--field KEY=PATH[:UNIT]`: where to find a field. For JSON lines PATH is a dotted
/// path into the object; for nginx formats it is a variable name (`$` optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOverride {
    pub key: FieldKey,
    pub path: String,
    pub unit: Option<FieldUnit>,
}

impl FieldOverride {
    /// Parse `KEY=PATH[:UNIT]`.
    pub fn parse(spec: &str) -> Result<FieldOverride> {
        let err = |message: String| Error::Field {
            spec: spec.to_string(),
            message,
        };
        let (key, rest) = spec
            .split_once('=')
            .ok_or_else(|| err("expected KEY=PATH[:UNIT]".into()))?;
        let key = FieldKey::ALL
            .into_iter()
            .find(|k| k.as_str() == key)
            .ok_or_else(|| {
                err(format!(
                    "unknown key {key:?}; use one of status, name, path, latency, time, body"
                ))
            })?;
        let (path, unit) = match rest.rsplit_once(':') {
            Some((path, unit)) => (path, Some(unit)),
            None => (rest, None),
        };
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(err(format!("{path:?} is not a field path")));
        }
        let unit = match (key, unit) {
            (_, None) => None,
            (FieldKey::Latency, Some(u)) => Some(FieldUnit::Duration(
                DurationUnit::parse(u)
                    .ok_or_else(|| err(format!("latency unit {u:?}: use s, ms, us or ns")))?,
            )),
            (FieldKey::Time, Some(u)) => {
                Some(FieldUnit::Time(TimeUnit::parse(u).ok_or_else(|| {
                    err(format!("time unit {u:?}: use iso8601, epoch_s or epoch_ms"))
                })?))
            }
            (k, Some(u)) => {
                return Err(err(format!("{} takes no unit (got {u:?})", k.as_str())));
            }
        };
        Ok(FieldOverride {
            key,
            path: path.to_string(),
            unit,
        })
    }
}

/// A compiled parser for one input's lines.
#[derive(Debug, Clone)]
pub enum LogFormat {
    Nginx(nginx::NginxFormat),
    Json(json::JsonFormat),
    Logfmt(logfmt::LogfmtFormat),
    /// A gateway preset built on one of the parsers above (Envoy, Apache, Kong, ...),
    /// reported under the preset's name.
    Preset(Box<presets::PresetFormat>),
}

impl LogFormat {
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        match self {
            LogFormat::Nginx(f) => f.parse(line),
            LogFormat::Json(f) => f.parse(line),
            LogFormat::Logfmt(f) => f.parse(line),
            LogFormat::Preset(f) => f.parse(line),
        }
    }

    /// Whether [`LogFormat::parse_quoted`] reads the quotes it is given: lines of
    /// nginx's own layouts are then split without searching.
    pub fn reads_quotes(&self) -> bool {
        matches!(self, LogFormat::Nginx(f) if f.has_layout())
    }

    /// [`LogFormat::parse`] given the positions of the line's quotes, in order, as
    /// `base` plus their index in the line (see [`crate::line_index`]).
    #[inline]
    pub fn parse_quoted<'a>(
        &self,
        line: &'a [u8],
        quotes: &[u32],
        base: u32,
    ) -> Result<Fields<'a>, Malformed> {
        match self {
            LogFormat::Nginx(f) => f.parse_quoted(line, quotes, base),
            _ => self.parse(line),
        }
    }

    /// A short human name: `nginx:gateway`, `nginx:custom`, `json`, `logfmt`, or a
    /// preset's name (`kong`, `envoy`, `apache:custom`).
    pub fn name(&self) -> String {
        match self {
            LogFormat::Nginx(f) => format!("nginx:{}", f.name()),
            LogFormat::Json(_) => "json".to_string(),
            LogFormat::Logfmt(_) => "logfmt".to_string(),
            LogFormat::Preset(f) => f.name().to_string(),
        }
    }

    /// Where latency comes from and in which unit, e.g. `$request_time (s)`.
    pub fn latency_source(&self) -> Option<String> {
        match self {
            LogFormat::Nginx(f) => f.latency_source(),
            LogFormat::Json(f) => Some(f.latency_source()),
            LogFormat::Logfmt(f) => Some(f.latency_source()),
            LogFormat::Preset(f) => f.latency_source(),
        }
    }
}

/// What the user asked for with `--format` / `--preset` / `--log-format` /
/// `--apache-format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatChoice {
    /// Decide from the first lines of each input.
    Auto,
    Json,
    /// An nginx preset by name (any preset name works; kept for compatibility).
    NginxPreset(String),
    /// An nginx `log_format` string.
    NginxCustom(String),
    /// A gateway preset by name or alias (see [`presets::PRESETS`]).
    Preset(String),
    /// An Apache `LogFormat` string.
    ApacheCustom(String),
}

/// Lines looked at to choose a format in `auto` mode.
pub const DETECT_SAMPLE_LINES: usize = 50;

/// Build the parser for `choice`. In `Auto` mode, `sample` (the start of the input)
/// decides, as [`detect`] describes; an input whose format cannot be told is an
/// error. [`build_detected`] also says what was chosen.
pub fn build(choice: &FormatChoice, fields: &[FieldOverride], sample: &[u8]) -> Result<LogFormat> {
    build_detected(choice, fields, sample).map(|(format, _)| format)
}

/// [`build`], plus, in `Auto` mode, what detection chose and why, for errscope to
/// print (`errscope: access.log: format kong (50 of 50 sample lines)`).
pub fn build_detected(
    choice: &FormatChoice,
    fields: &[FieldOverride],
    sample: &[u8],
) -> Result<(LogFormat, Option<Detection>)> {
    let format = match choice {
        FormatChoice::Auto => {
            let (format, detection) = detect::detect(fields, sample)?;
            return Ok((format, Some(detection)));
        }
        FormatChoice::Json => LogFormat::Json(json::JsonFormat::new(fields)?),
        FormatChoice::NginxPreset(name) | FormatChoice::Preset(name) => {
            presets::lookup(name)?.build(fields)?
        }
        FormatChoice::NginxCustom(fmt) => {
            LogFormat::Nginx(nginx::NginxFormat::compile_named("custom", fmt, fields)?)
        }
        FormatChoice::ApacheCustom(fmt) => presets::build_apache(fmt, fields)?,
    };
    Ok((format, None))
}

/// A status written the usual way: three digits, the first 1 to 5 (so
/// 100..=599). `None` for anything else, which each format then judges by its
/// own rules (and finds out of range or not a number).
#[inline(always)]
pub fn three_digit_status(v: &[u8]) -> Option<u16> {
    match *v {
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// Treat `-`, empty and `null` header values as "no error name".
#[inline]
pub fn non_empty_name(v: &[u8]) -> Option<&[u8]> {
    match v {
        b"" | b"-" | b"null" => None,
        _ => Some(v),
    }
}

/// Find the error name in the logged body of a response with `status` (raw or with
/// its quotes escaped, as JSON logs and nginx write it).
///
/// - An error response (status >= 400): the string value of `reason`, else a string
///   `code` (OpenAI-style `{"error":{"code":"invalid_api_key"}}`). Numeric codes are
///   statuses, not names.
/// - Any other response: only a `reason` at the body's top level whose whole value
///   is a name, as the platform's error body has it (`{"code":200,"reason":
///   "TASK_FAILED"}`: a failure sent as a success). A success body's string `code`
///   ("SUCCESS", "0") is no name, and neither is a nested `reason`
///   (`"task":{"reason":""}`) or another key that ends in it (`"finish_reason"`).
pub fn name_in_body(status: u16, body: &[u8]) -> Option<&[u8]> {
    if status < 400 {
        return body::top_level_string(body, b"reason")
            .filter(|v| v.iter().all(|&c| is_name_byte(c)))
            .and_then(non_empty_name);
    }
    value_after_key(body, b"reason").or_else(|| value_after_key(body, b"code"))
}

/// Bytes an error name read from a body is made of.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

/// The string value following the first `"key"` in `body`, tolerating the escapes
/// `\"` and `\x22` around it.
fn value_after_key<'a>(body: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(&body[from..], key) {
        let start = from + pos;
        let end = start + key.len();
        from = end;
        // The key must be quoted: preceded by `"` (possibly escaped).
        if !ends_with_quote(&body[..start]) {
            continue;
        }
        let mut rest = skip_quote(&body[end..])?;
        rest = trim_ascii_start(rest);
        let Some(after_colon) = rest.strip_prefix(b":") else {
            continue;
        };
        let value = trim_ascii_start(after_colon);
        let Some(value) = skip_quote(value).filter(|v| v.len() < value.len()) else {
            // Not a string (a number, null, an object): no name here.
            continue;
        };
        let len = value.iter().take_while(|&&c| is_name_byte(c)).count();
        return non_empty_name(&value[..len]);
    }
    None
}

fn ends_with_quote(b: &[u8]) -> bool {
    b.ends_with(b"\"") || b.ends_with(b"\\x22")
}

/// Strip one quote (`"`, `\"` or `\x22`) from the start, if there is one.
fn skip_quote(b: &[u8]) -> Option<&[u8]> {
    Some(
        b.strip_prefix(b"\\\"")
            .or_else(|| b.strip_prefix(b"\\x22"))
            .or_else(|| b.strip_prefix(b"\""))
            .unwrap_or(b),
    )
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_override_specs() {
        let f = FieldOverride::parse("latency=latencies.request:ms").unwrap();
        assert_eq!(f.key, FieldKey::Latency);
        assert_eq!(f.path, "latencies.request");
        assert_eq!(f.unit, Some(FieldUnit::Duration(DurationUnit::Ms)));
        let f = FieldOverride::parse("time=started_at:epoch_ms").unwrap();
        assert_eq!(f.unit, Some(FieldUnit::Time(TimeUnit::EpochMs)));
        let f = FieldOverride::parse("name=response.headers.x-error-code").unwrap();
        assert_eq!(
            (f.key, f.path.as_str(), f.unit),
            (FieldKey::Name, "response.headers.x-error-code", None)
        );
        for bad in [
            "latency",
            "foo=bar",
            "latency=x:hours",
            "name=x:ms",
            "path=",
            "path=a..b",
            "time=t:ms",
        ] {
            let e = FieldOverride::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn body_names_raw_and_escaped() {
        let raw = br#"{"code": 403, "reason": "INVALID_API_KEY", "message": "x"}"#;
        assert_eq!(name_in_body(403, raw), Some(&b"INVALID_API_KEY"[..]));
        let escaped = br#"{\"code\":403,\"reason\":\"TASK_FAILED\",\"metadata\":{}}"#;
        assert_eq!(name_in_body(403, escaped), Some(&b"TASK_FAILED"[..]));
        let nginx = br#"{\x22code\x22:429,\x22reason\x22:\x22RATE_LIMIT_EXCEEDED\x22}"#;
        assert_eq!(name_in_body(403, nginx), Some(&b"RATE_LIMIT_EXCEEDED"[..]));
        let openai = br#"{"error":{"message":"bad","code":"invalid_api_key"}}"#;
        assert_eq!(name_in_body(403, openai), Some(&b"invalid_api_key"[..]));
        assert_eq!(
            name_in_body(403, br#"{"code":500,"message":"reason unknown"}"#),
            None
        );
        assert_eq!(name_in_body(403, br#"{"reason":null}"#), None);
        assert_eq!(name_in_body(403, b"404 page not found"), None);
        assert_eq!(name_in_body(403, b""), None);
        assert_eq!(name_in_body(200, br#"{"code":"SUCCESS"}"#), None);
    }
}
