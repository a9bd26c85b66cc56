//! Log formats: each turns one line into [`Fields`] borrowed from the line's bytes.
//! `nginx` compiles an nginx `log_format` string into a parser; `json` reads JSON lines;
//! `logfmt` reads `key=value` lines; `apache` translates Apache `LogFormat` strings for
//! the nginx compiler; `presets` names the formats of common gateways; `detect`
//! chooses among them for `--format auto`. This module holds what they share: the
//! fields, `--field` overrides, [`build`], and the rules every format reads a line
//! by: why a line is malformed ([`Malformed`]), a status written as text
//! ([`text_status`]), the path of a request line ([`request`]), and what is a name
//! ([`non_empty_name`], [`name_in_body`]).

pub mod timestamp;

pub mod apache;
mod body;
pub mod detect;
pub mod envelope;
pub mod haproxy;
pub mod json;
mod keys;
pub mod logfmt;
mod malformed;
pub mod nginx;
pub mod presets;
pub mod request;

pub use detect::Detection;
pub use malformed::Malformed;

use crate::error::{Error, Result};
use crate::format::timestamp::{DurationUnit, TimeUnit};

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

/// One of the things errscope reads from a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKey {
    /// The HTTP status.
    Status,
    /// The error name.
    Name,
    /// The request path (or the whole request line).
    Path,
    /// The latency.
    Latency,
    /// The request time.
    Time,
    /// A logged response body (the name may be in it).
    Body,
}

impl FieldKey {
    /// Every key, in the order `--field` lists them.
    pub const ALL: [FieldKey; 6] = [
        FieldKey::Status,
        FieldKey::Name,
        FieldKey::Path,
        FieldKey::Latency,
        FieldKey::Time,
        FieldKey::Body,
    ];

    /// The key as `--field` spells it.
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
    /// A latency's unit.
    Duration(DurationUnit),
    /// How a time is written.
    Time(TimeUnit),
}

/// `--field KEY=PATH[:UNIT]`: where to find a field. For JSON lines PATH is a dotted
/// path into the object; for nginx formats it is a variable name (`$` optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOverride {
    /// Which field.
    pub key: FieldKey,
    /// Where it is: a dotted JSON path or an nginx variable.
    pub path: String,
    /// Its unit, for latency and time.
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
    /// nginx-style text (nginx, Apache, Envoy text, …).
    Nginx(nginx::NginxFormat),
    /// JSON lines.
    Json(json::JsonFormat),
    /// logfmt.
    Logfmt(logfmt::LogfmtFormat),
    /// HAProxy's `option httplog` (optional captured-header groups).
    Haproxy(haproxy::HaproxyFormat),
    /// A gateway preset built on one of the parsers above (Envoy, Apache, Kong, ...),
    /// reported under the preset's name.
    Preset(Box<presets::PresetFormat>),
}

impl LogFormat {
    /// One line's fields, or why it is malformed.
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        match self {
            LogFormat::Nginx(f) => f.parse(line),
            LogFormat::Json(f) => f.parse(line),
            LogFormat::Logfmt(f) => f.parse(line),
            LogFormat::Haproxy(f) => f.parse(line),
            LogFormat::Preset(f) => f.parse(line),
        }
    }

    /// Whether [`LogFormat::parse_quoted`] reads the quotes it is given: lines of
    /// nginx's own layouts are then split without searching.
    pub fn reads_quotes(&self) -> bool {
        matches!(self, LogFormat::Nginx(f) if f.has_layout())
    }

    /// [`LogFormat::parse`] given the positions of the line's quotes, in order, as
    /// `base` plus their index in the line (see [`crate::lines::index`]).
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
            LogFormat::Haproxy(_) => "haproxy".to_string(),
            LogFormat::Preset(f) => f.name().to_string(),
        }
    }

    /// Whether `line` begins as a line of this text format does (see
    /// [`nginx::NginxFormat::starts_like`]); true for JSON lines and logfmt.
    pub fn starts_like(&self, line: &[u8]) -> bool {
        match self {
            LogFormat::Nginx(f) => f.starts_like(line),
            LogFormat::Haproxy(f) => f.starts_like(line),
            LogFormat::Preset(f) => f.inner().starts_like(line),
            LogFormat::Json(_) | LogFormat::Logfmt(_) => true,
        }
    }

    /// [`LogFormat::parse`], and whether this positional text format, laid over the
    /// line, reads text that is no latency or time where it expects one (see
    /// [`nginx::NginxFormat::parse_checking`]); never for formats that find their
    /// values by key or by their own grammar (JSON lines, logfmt, HAProxy), which
    /// cannot be misaligned so. What auto-detection scores a line with.
    pub fn parse_checking<'a>(&self, line: &'a [u8]) -> Result<(Fields<'a>, bool), Malformed> {
        match self {
            LogFormat::Nginx(f) => f.parse_checking(line),
            LogFormat::Preset(f) => f.parse_checking(line),
            LogFormat::Json(_) | LogFormat::Logfmt(_) | LogFormat::Haproxy(_) => {
                self.parse(line).map(|f| (f, false))
            }
        }
    }

    /// Whether it reads JSON lines (a JSON preset or generic JSON lines).
    pub fn reads_json(&self) -> bool {
        match self {
            LogFormat::Json(_) => true,
            LogFormat::Preset(f) => f.inner().reads_json(),
            LogFormat::Nginx(_) | LogFormat::Logfmt(_) | LogFormat::Haproxy(_) => false,
        }
    }

    /// Where latency comes from and in which unit, e.g. `$request_time (s)`.
    pub fn latency_source(&self) -> Option<String> {
        match self {
            LogFormat::Nginx(f) => f.latency_source(),
            LogFormat::Json(f) => Some(f.latency_source()),
            LogFormat::Logfmt(f) => Some(f.latency_source()),
            LogFormat::Haproxy(_) => Some("Ta (ms)".to_string()),
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
    /// JSON lines with the usual keys.
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

/// How one input is read: its envelope, if any, and the format of what is inside.
#[derive(Debug)]
pub struct Reading {
    /// The format of the records.
    pub format: LogFormat,
    /// What `--format auto` chose, in auto mode.
    pub detection: Option<Detection>,
    /// The envelope each line is taken out of, if any.
    pub envelope: Option<envelope::Envelope>,
}

/// [`build_detected`] on the input's lines taken out of their envelope, when most
/// of the sample's lines are in one ([`envelope::detect`]). When no format reads
/// the unwrapped lines but one reads them as they are, they are read as they are.
pub fn build_reading(
    choice: &FormatChoice,
    fields: &[FieldOverride],
    sample: &[u8],
) -> Result<Reading> {
    let lines = detect::sample_lines(sample);
    let Some(env) = envelope::detect(&lines) else {
        let (format, detection) = build_detected(choice, fields, sample)?;
        return Ok(Reading {
            format,
            detection,
            envelope: None,
        });
    };
    let mut unwrapper = envelope::Unwrapper::default();
    let mut inner = Vec::with_capacity(sample.len());
    for line in &lines {
        if let envelope::Unwrapped::Record(text, _) = unwrapper.unwrap(env, line) {
            inner.extend_from_slice(text);
            inner.push(b'\n');
        }
    }
    let built = match choice {
        FormatChoice::Auto => detect::detect_in(fields, &inner, true).map(|(f, d)| (f, Some(d))),
        _ => build_detected(choice, fields, &inner),
    };
    match built {
        Ok((format, detection)) => Ok(Reading {
            format,
            detection: detection.map(|d| Detection {
                envelope: Some(env.name()),
                ..d
            }),
            envelope: Some(env),
        }),
        Err(e) => match build_detected(choice, fields, sample) {
            Ok((format, detection)) if matches!(choice, FormatChoice::Auto) => Ok(Reading {
                format,
                detection,
                envelope: None,
            }),
            _ => Err(e),
        },
    }
}

/// A status written the usual way: three digits, the first 1 to 5 (so
/// 100..=599). `None` for anything else, which [`text_status`] (or, for a JSON
/// number, the JSON reader) then finds out of range or not a number.
#[inline(always)]
pub fn three_digit_status(v: &[u8]) -> Option<u16> {
    match *v {
        [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// A status written as text, in every format that writes it so (nginx, Apache and
/// Envoy text, logfmt, a JSON string): exactly three digits worth 100..=599. Any
/// other run of digits is out of range (`99`, `099`, `0200`, `1000`); anything
/// else is not a number (`-1`, `2x0`, `404.0`, ` 404`). A JSON number is read by
/// the JSON reader's own rule, which differs only where JSON numbers do.
///
/// `-` and `0` are no status at all: the request got no HTTP response
/// ([`Malformed::NoResponse`], counted as `no_response`).
#[inline]
pub fn text_status(v: &[u8]) -> Result<u16, Malformed> {
    match three_digit_status(v) {
        Some(status) => Ok(status),
        None if v == b"-" || v == b"0" => Err(Malformed::NoResponse),
        None if !v.is_empty() && v.iter().all(u8::is_ascii_digit) => {
            Err(Malformed::StatusOutOfRange)
        }
        None => Err(Malformed::StatusNotANumber),
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
    fn text_statuses() {
        // Every run of one to four digits: a status exactly when it is three digits
        // worth 100..=599; a lone 0 is no response.
        for width in 1..=4 {
            for n in 0..10u32.pow(width) {
                let text = format!("{n:0width$}", width = width as usize);
                let want = match n {
                    100..=599 if width == 3 => Ok(n as u16),
                    0 if width == 1 => Err(Malformed::NoResponse),
                    _ => Err(Malformed::StatusOutOfRange),
                };
                assert_eq!(text_status(text.as_bytes()), want, "{text}");
            }
        }
        assert_eq!(
            text_status(b"99999999999999999999999"),
            Err(Malformed::StatusOutOfRange)
        );
        assert_eq!(text_status(b"-"), Err(Malformed::NoResponse));
        for text in [
            "",
            "-1",
            "abc",
            "2x0",
            "404.0",
            " 404",
            "404 ",
            "\u{663}\u{660}\u{660}",
        ] {
            assert_eq!(
                text_status(text.as_bytes()),
                Err(Malformed::StatusNotANumber),
                "{text:?}"
            );
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

    /// How one format writes a request: `line(request line, target, status)`, the
    /// target being what a gateway that logs a path (not a request line) logs, or
    /// `None` when there is none.
    struct Writer {
        label: &'static str,
        format: LogFormat,
        line: fn(&str, Option<&str>, &str) -> String,
    }

    /// nginx's default escaping (`\xHH` for quotes, backslashes, control and
    /// non-ASCII bytes), as text formats and logfmt writers log odd bytes.
    fn escaped(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'"' | b'\\' | ..0x20 | 0x7f.. => format!("\\x{b:02X}"),
                _ => char::from(b).to_string(),
            })
            .collect()
    }

    fn json_string(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    /// A status as a JSON gateway writes it: a number when it is one, else text.
    fn json_status(s: &str) -> String {
        let number = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
        if number {
            s.to_string()
        } else {
            json_string(s)
        }
    }

    fn path_or_dash(target: Option<&str>) -> String {
        json_string(target.unwrap_or("-"))
    }

    fn preset(name: &str) -> LogFormat {
        presets::lookup(name).unwrap().build(&[]).unwrap()
    }

    /// Every format that logs a request line or a path.
    fn writers() -> Vec<Writer> {
        vec![
            Writer {
                label: "gateway",
                format: preset("gateway"),
                line: |r, _, s| {
                    let r = escaped(r);
                    format!(
                        r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "{r}" {s} 98 "-" "curl/8.5.0" 0.012 "-""#
                    )
                },
            },
            Writer {
                label: "combined",
                format: preset("combined"),
                line: |r, _, s| {
                    let r = escaped(r);
                    format!(
                        r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "{r}" {s} 98 "-" "curl/8.5.0""#
                    )
                },
            },
            Writer {
                label: "nginx custom",
                format: LogFormat::Nginx(
                    nginx::NginxFormat::compile_named(
                        "custom",
                        r#"[$time_iso8601] $status "$request" $request_time"#,
                        &[],
                    )
                    .unwrap(),
                ),
                line: |r, _, s| {
                    format!(r#"[2026-11-27T10:00:00+08:00] {s} "{}" 0.012"#, escaped(r))
                },
            },
            Writer {
                label: "common (Apache)",
                format: preset("common"),
                line: |r, _, s| {
                    let r = escaped(r);
                    format!(r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "{r}" {s} 2326"#)
                },
            },
            Writer {
                label: "--apache-format",
                format: presets::build_apache(
                    r#"%h %l %u %t "%r" %>s %b %D "%{X-Error-Code}o""#,
                    &[],
                )
                .unwrap(),
                line: |r, _, s| {
                    let r = escaped(r);
                    format!(r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "{r}" {s} 2326 1200 "-""#)
                },
            },
            Writer {
                label: "envoy",
                format: preset("envoy"),
                line: |r, _, s| {
                    let r = escaped(r);
                    format!(
                        r#"[2016-04-15T20:17:00.310Z] "{r}" {s} - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80""#
                    )
                },
            },
            Writer {
                label: "JSON lines, request",
                format: LogFormat::Json(json::JsonFormat::new(&[]).unwrap()),
                line: |r, _, s| {
                    format!(
                        r#"{{"request":{},"status":{}}}"#,
                        json_string(r),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "JSON lines, uri",
                format: LogFormat::Json(json::JsonFormat::new(&[]).unwrap()),
                line: |_, t, s| {
                    format!(
                        r#"{{"uri":{},"status":{}}}"#,
                        path_or_dash(t),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "logfmt, request",
                format: preset("logfmt"),
                line: |r, _, s| format!(r#"at=info request="{}" status={s}"#, escaped(r)),
            },
            Writer {
                label: "logfmt, path",
                format: preset("logfmt"),
                line: |_, t, s| format!(r#"at=info path="{}" status={s}"#, t.unwrap_or("-")),
            },
            Writer {
                label: "nginx-json",
                format: preset("nginx-json"),
                line: |r, _, s| {
                    format!(
                        r#"{{"time_local":"27/Nov/2026:10:00:00 +0800","request":{},"status":{},"request_time":0.003,"upstream_http_x_error_code":""}}"#,
                        json_string(r),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "envoy-json",
                format: preset("envoy-json"),
                line: |_, t, s| {
                    format!(
                        r#"{{"start_time":"2016-04-15T20:17:00.310Z","method":"GET","path":{},"protocol":"HTTP/1.1","response_code":{},"duration":226}}"#,
                        path_or_dash(t),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "kong",
                format: preset("kong"),
                line: |_, t, s| {
                    format!(
                        r#"{{"request":{{"method":"GET","uri":{}}},"response":{{"status":{}}},"latencies":{{"request":1921}},"started_at":1433209822425}}"#,
                        path_or_dash(t),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "apisix",
                format: preset("apisix"),
                line: |_, t, s| {
                    format!(
                        r#"{{"start_time":1703907485819,"latency":101.9,"request":{{"uri":{},"method":"GET"}},"response":{{"status":{}}}}}"#,
                        path_or_dash(t),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "traefik",
                format: preset("traefik"),
                line: |_, t, s| {
                    format!(
                        r#"{{"DownstreamStatus":{},"Duration":1000,"RequestPath":{},"StartUTC":"2024-01-01T00:00:00Z"}}"#,
                        json_status(s),
                        path_or_dash(t)
                    )
                },
            },
            Writer {
                label: "caddy",
                format: preset("caddy"),
                line: |_, t, s| {
                    format!(
                        r#"{{"ts":1646861401.52,"request":{{"method":"GET","uri":{}}},"duration":0.0009,"status":{}}}"#,
                        path_or_dash(t),
                        json_status(s)
                    )
                },
            },
            Writer {
                label: "aws-apigw",
                format: preset("aws-apigw"),
                // API Gateway writes every value as a string.
                line: |_, t, s| {
                    format!(
                        r#"{{"requestId":"c6af9ac6","requestTime":"27/Nov/2026:02:00:00 +0000","httpMethod":"GET","path":{},"status":{}}}"#,
                        path_or_dash(t),
                        json_string(s)
                    )
                },
            },
        ]
    }

    /// What the pipeline takes from a line: its status and endpoint, or why it is
    /// malformed.
    fn read(format: &LogFormat, line: &str) -> Result<(u16, Option<String>), Malformed> {
        let fields = format.parse(line.as_bytes());
        // The pipeline hands nginx's own layouts their quotes, listed.
        if let LogFormat::Nginx(f) = format {
            assert_eq!(f.parse_listing_quotes(line.as_bytes()), fields, "{line}");
        }
        let fields = fields?;
        let endpoint = fields.path.map(|p| {
            let mut out = Vec::new();
            crate::classify::path::endpoint_into(p, &mut out);
            String::from_utf8(out).unwrap()
        });
        Ok((fields.status, endpoint))
    }

    /// The same request gives the same endpoint, status and malformed reason in
    /// every format that logs a request line or a path (issue 17: a TLS handshake
    /// once gave no endpoint in one format and `\x16\x03…` in another).
    #[test]
    fn same_request_same_fields_in_every_format() {
        // (request line, the target a path-logging gateway logs, endpoint)
        let requests: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "GET /v3/async/txt2img HTTP/1.1",
                Some("/v3/async/txt2img"),
                Some("/v3/async/txt2img"),
            ),
            (
                "POST /v3/async/task-result?task_id=8f3a9c2e1b7d HTTP/2.0",
                Some("/v3/async/task-result?task_id=8f3a9c2e1b7d"),
                Some("/v3/async/task-result"),
            ),
            (
                "GET /v1/jobs/12345/logs HTTP/1.1",
                Some("/v1/jobs/12345/logs"),
                Some("/v1/jobs/{id}/logs"),
            ),
            (
                "GET http://api.example.com:8080/v3/openai/models?x=1 HTTP/1.1",
                Some("http://api.example.com:8080/v3/openai/models?x=1"),
                Some("/v3/openai/models"),
            ),
            ("OPTIONS * HTTP/1.1", Some("*"), Some("*")),
            // HTTP/0.9: no protocol.
            ("GET /v3/old", Some("/v3/old"), Some("/v3/old")),
            (
                "GET  /v3/spaced  HTTP/1.1",
                Some("/v3/spaced"),
                Some("/v3/spaced"),
            ),
            ("GET /a b HTTP/1.1", Some("/a b"), Some("/a b")),
            // A TLS handshake sent to the plain-HTTP port.
            (
                "\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\u{0}\u{1}\u{fc}\u{3}\u{3}",
                None,
                None,
            ),
            // Binary garbage, with spaces and a protocol.
            ("\u{16}\u{3} /v3/x HTTP/1.1", None, None),
            ("\u{0}\u{7f}\u{ff} \u{1}", None, None),
            ("", None, None),
            ("-", None, None),
            ("GET - HTTP/1.1", None, None),
            ("GET", None, None),
            ("/v3/async/txt2img", None, None),
            // Another protocol's greeting.
            ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13", None, None),
        ];
        let statuses: &[(&str, Result<u16, Malformed>)] = &[
            ("200", Ok(200)),
            ("404", Ok(404)),
            ("599", Ok(599)),
            ("99", Err(Malformed::StatusOutOfRange)),
            ("600", Err(Malformed::StatusOutOfRange)),
            ("0404", Err(Malformed::StatusOutOfRange)),
            ("4040", Err(Malformed::StatusOutOfRange)),
            ("abc", Err(Malformed::StatusNotANumber)),
            ("-1", Err(Malformed::StatusNotANumber)),
            ("4x4", Err(Malformed::StatusNotANumber)),
        ];
        let writers = writers();
        for &(request, target, endpoint) in requests {
            for &(status, want_status) in statuses {
                let want = want_status.map(|s| (s, endpoint.map(str::to_string)));
                for w in &writers {
                    let line = (w.line)(request, target, status);
                    assert_eq!(
                        read(&w.format, &line),
                        want,
                        "{}: request {request:?}, status {status:?}: {line}",
                        w.label
                    );
                }
            }
        }
    }
}
