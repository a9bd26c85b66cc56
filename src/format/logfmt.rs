//! logfmt lines: `key=value key2="quoted \" value" bare_key`, as written by Go
//! services, Heroku's router and many gateways' plugins.
//!
//! Fields are found under the same default keys as JSON lines (`status`,
//! `error_code`, `uri`, `request_time`, `time`, ...; for the time also `ts`, which
//! logfmt writers favour), or under the keys `--field`
//! names (a logfmt key may contain dots: `--field status=response.status` matches
//! the key `response.status` literally). A line is read in one pass; values borrow
//! from the line, quoted ones with their escapes left as written.
//!
//! Rules:
//! - For each field the first listed key that holds a usable value wins; a key
//!   repeated in one line: its first usable occurrence wins.
//! - `-`, empty and bare keys (no `=`) give no value.
//! - A status is read as text statuses are in every format
//!   ([`super::text_status`]); a `request` value is a request line, read as in
//!   every format ([`super::request`]).
//! - A latency value may carry a Go-style unit suffix (`12.5ms`, `3s`, `250us`,
//!   `250µs`, `900ns`); the suffix then wins over the key's unit. Without a
//!   suffix the key's unit applies. Multi-part durations (`1m30s`) are not read.
//! - A quoted value that is never closed (a line cut mid-way) is dropped, as a
//!   half-read value would be misleading; what came before it still counts.

use super::request::path_value;
use super::{
    name_in_body, non_empty_name, text_status, FieldKey, FieldOverride, Fields, Malformed,
};
use crate::error::{Error, Result};
use crate::format::timestamp::{
    parse_duration, parse_text_time, parse_time, DurationUnit, TimeUnit,
};

use super::keys::{self, ValueKind as Kind};

#[derive(Debug, Clone)]
struct Source {
    key: Box<[u8]>,
    kind: Kind,
}

/// A compiled logfmt reader.
#[derive(Debug, Clone)]
pub struct LogfmtFormat {
    /// Sources grouped by field in priority order: a lower index is a better source.
    sources: Box<[Source]>,
}

impl LogfmtFormat {
    /// The default keys, with a field's `--field` overrides replacing its defaults.
    pub fn new(fields: &[FieldOverride]) -> Result<LogfmtFormat> {
        let mut sources = Vec::new();
        for key in FieldKey::ALL {
            let overrides: Vec<&FieldOverride> = fields.iter().filter(|f| f.key == key).collect();
            if overrides.is_empty() {
                sources.extend(default_sources(key));
                continue;
            }
            for o in overrides {
                let kind = Kind::of(o).map_err(|message| Error::Field {
                    spec: format!("{}={}", o.key.as_str(), o.path),
                    message: message.to_string(),
                })?;
                sources.push(Source {
                    key: o.path.as_bytes().into(),
                    kind,
                });
            }
        }
        Ok(LogfmtFormat {
            sources: sources.into_boxed_slice(),
        })
    }

    /// Where latency comes from, e.g. `request_time (s) | duration (s)`.
    pub fn latency_source(&self) -> String {
        self.sources
            .iter()
            .filter_map(|s| match s.kind {
                Kind::Latency(u) => Some(format!(
                    "{} ({})",
                    String::from_utf8_lossy(&s.key),
                    u.as_str()
                )),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Parse one line (without its `\n`).
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            return Err(Malformed::EmptyLine);
        }
        // Best (source index, value) per field, on the stack.
        let mut caps: [Option<(usize, &'a [u8])>; 6] = [None; 6];
        for (key, value) in (Pairs { rest: line }) {
            let Some(value) = value.filter(|v| !matches!(*v, b"" | b"-")) else {
                continue;
            };
            for (id, s) in self.sources.iter().enumerate() {
                if *s.key != *key {
                    continue;
                }
                let slot = &mut caps[s.kind.slot()];
                if slot.is_none_or(|(best, _)| id < best) && usable(s.kind, value) {
                    *slot = Some((id, value));
                }
            }
        }
        let (_, status) = caps[0].ok_or(Malformed::NoStatus)?;
        let status = text_status(status)?;
        let mut fields = Fields {
            status,
            ..Fields::default()
        };
        fields.name = caps[1].and_then(|(_, v)| non_empty_name(v));
        if fields.name.is_none() {
            fields.name = caps[5].and_then(|(_, v)| name_in_body(status, v));
        }
        fields.path = caps[2].and_then(|(id, v)| match self.sources[id].kind {
            Kind::Path { request_line } => path_value(v, request_line),
            _ => None,
        });
        fields.latency_us = caps[3].and_then(|(id, v)| match self.sources[id].kind {
            Kind::Latency(unit) => parse_latency(v, unit),
            _ => None,
        });
        if let Some((id, v)) = caps[4] {
            if let Kind::Time(unit) = self.sources[id].kind {
                fields.time_ms = match unit {
                    Some(u) => parse_time(v, u),
                    None if v.iter().all(|b| b.is_ascii_digit() || *b == b'.') => {
                        parse_time(v, TimeUnit::EpochS)
                    }
                    None => parse_text_time(v),
                };
                fields.bad_time = fields.time_ms.is_none();
            }
        }
        Ok(fields)
    }
}

fn default_sources(key: FieldKey) -> Vec<Source> {
    keys::defaults(key)
        .into_iter()
        .map(|(k, kind)| Source {
            key: k.as_bytes().into(),
            kind,
        })
        .collect()
}

/// Whether `value` can serve as the field, so that an unusable one lets the next
/// key have its say. A numeric `code` is a status, not an error name.
fn usable(kind: Kind, value: &[u8]) -> bool {
    match kind {
        Kind::Name => non_empty_name(value).is_some() && !value.iter().all(u8::is_ascii_digit),
        _ => true,
    }
}

/// The `key=value` pairs of a line. A bare key yields `(key, None)`; a quoted value
/// that is never closed yields `(key, None)` and ends the line.
struct Pairs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.rest.iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = &self.rest[start..];
        let key_end = rest
            .iter()
            .position(|&b| b == b'=' || b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let key = &rest[..key_end];
        if rest.get(key_end) != Some(&b'=') {
            self.rest = &rest[key_end..];
            return Some((key, None));
        }
        let after = &rest[key_end + 1..];
        if let Some(quoted) = after.strip_prefix(b"\"") {
            match closing_quote(quoted) {
                Some(end) => {
                    self.rest = &quoted[end + 1..];
                    Some((key, Some(&quoted[..end])))
                }
                None => {
                    self.rest = &[];
                    Some((key, None))
                }
            }
        } else {
            let end = after
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(after.len());
            self.rest = &after[end..];
            Some((key, Some(&after[..end])))
        }
    }
}

/// Index of the first `"` not escaped by a backslash.
fn closing_quote(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + memchr::memchr(b'"', &s[from..])?;
        let backslashes = s[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 == 0 {
            return Some(at);
        }
        from = at + 1;
    }
}

/// A latency with an optional Go-style unit suffix, else in `unit`.
fn parse_latency(v: &[u8], unit: DurationUnit) -> Option<u64> {
    const SUFFIXES: &[(&[u8], DurationUnit)] = &[
        (b"ns", DurationUnit::Ns),
        (b"us", DurationUnit::Us),
        ("µs".as_bytes(), DurationUnit::Us),
        (b"ms", DurationUnit::Ms),
        (b"s", DurationUnit::S),
    ];
    for (suffix, u) in SUFFIXES {
        if let Some(number) = v.strip_suffix(*suffix) {
            return parse_duration(number, *u);
        }
    }
    parse_duration(v, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> LogfmtFormat {
        LogfmtFormat::new(&[]).unwrap()
    }

    fn with(specs: &[&str]) -> LogfmtFormat {
        let fields: Vec<FieldOverride> = specs
            .iter()
            .map(|s| FieldOverride::parse(s).unwrap())
            .collect();
        LogfmtFormat::new(&fields).unwrap()
    }

    #[test]
    fn every_field() {
        let line = br#"time=2024-05-01T12:00:00Z level=info method=POST uri=/v3/async/txt2img status=403 duration_ms=12.5 error_code=INVALID_API_KEY msg="request done""#;
        assert_eq!(
            defaults().parse(line).unwrap(),
            Fields {
                status: 403,
                name: Some(&b"INVALID_API_KEY"[..]),
                path: Some(&b"/v3/async/txt2img"[..]),
                latency_us: Some(12_500),
                time_ms: Some(1_714_564_800_000),
                bad_time: false,
            }
        );
        assert_eq!(
            defaults().latency_source(),
            "request_time (s) | duration (s) | duration_ms (ms) | latency_ms (ms)"
        );
    }

    #[test]
    fn quoted_values_with_escaped_quotes() {
        let line = br#"status="429" ua="Mozilla \"quoted\" agent" reason="RATE_LIMIT_EXCEEDED" path="/v3/openai/a b""#;
        let got = defaults().parse(line).unwrap();
        assert_eq!(got.status, 429);
        assert_eq!(got.name, Some(&b"RATE_LIMIT_EXCEEDED"[..]));
        assert_eq!(got.path, Some(&b"/v3/openai/a b"[..]));
        // An escaped backslash right before the closing quote.
        let line = br#"ua="ends with \\" status=200"#;
        assert_eq!(defaults().parse(line).unwrap().status, 200);
    }

    #[test]
    fn bare_keys_dashes_and_empty_values() {
        let line = b"debug status=502 error_code=- uri= request_time=-";
        let got = defaults().parse(line).unwrap();
        assert_eq!(
            (got.status, got.name, got.path, got.latency_us),
            (502, None, None, None)
        );
        // A numeric code is a status, not a name; reason is tried first anyway.
        let got = defaults().parse(b"status=500 code=500").unwrap();
        assert_eq!(got.name, None);
        let got = defaults()
            .parse(b"status=400 code=invalid_api_key")
            .unwrap();
        assert_eq!(got.name, Some(&b"invalid_api_key"[..]));
    }

    #[test]
    fn go_duration_suffixes() {
        for (v, want) in [
            ("1.5s", 1_500_000),
            ("12.5ms", 12_500),
            ("250us", 250),
            ("250µs", 250),
            ("9000ns", 9),
            ("0.25", 250_000),
        ] {
            let line = format!("status=200 duration={v}");
            assert_eq!(
                defaults().parse(line.as_bytes()).unwrap().latency_us,
                Some(want),
                "{v}"
            );
        }
        assert_eq!(
            defaults()
                .parse(b"status=200 duration=1m30s")
                .unwrap()
                .latency_us,
            None
        );
    }

    #[test]
    fn times() {
        let got = defaults().parse(b"ts=1714564800.25 status=200").unwrap();
        assert_eq!(got.time_ms, Some(1_714_564_800_250));
        let got = defaults()
            .parse(br#"time="01/May/2024:20:00:00 +0800" status=200"#)
            .unwrap();
        assert_eq!(got.time_ms, Some(1_714_564_800_000));
        let got = defaults().parse(b"time=yesterday status=200").unwrap();
        assert_eq!((got.time_ms, got.bad_time), (None, true));
    }

    #[test]
    fn request_line_and_first_key_wins() {
        let got = defaults()
            .parse(br#"status=200 request="GET /v2/x?a=1 HTTP/1.1""#)
            .unwrap();
        assert_eq!(got.path, Some(&b"/v2/x?a=1"[..]));
        let got = defaults()
            .parse(br#"status=200 path=/p uri=/u request="GET /r HTTP/1.1""#)
            .unwrap();
        assert_eq!(got.path, Some(&b"/u"[..]));
        let got = defaults().parse(b"status=200 status=500").unwrap();
        assert_eq!(got.status, 200);
    }

    #[test]
    fn overrides_with_dotted_keys() {
        let f = with(&[
            "status=response.status",
            "latency=latency:ms",
            "name=x_error_code",
        ]);
        let got = f
            .parse(b"response.status=404 latency=3 x_error_code=MODEL_NOT_FOUND status=200")
            .unwrap();
        assert_eq!(got.status, 404);
        assert_eq!(got.latency_us, Some(3_000));
        assert_eq!(got.name, Some(&b"MODEL_NOT_FOUND"[..]));
        assert_eq!(f.latency_source(), "latency (ms)");
    }

    #[test]
    fn body_fallback() {
        let line = br#"status=403 resp_body="{\"code\":403,\"reason\":\"INVALID_API_KEY\"}""#;
        assert_eq!(
            defaults().parse(line).unwrap().name,
            Some(&b"INVALID_API_KEY"[..])
        );
    }

    #[test]
    fn cut_lines() {
        // Cut inside a quoted value: the status before it stands, the value goes.
        let got = defaults()
            .parse(br#"status=403 uri=/v3/x error_code="INVALID_AP"#)
            .unwrap();
        assert_eq!((got.status, got.name), (403, None));
        // Cut before the status: no status.
        assert_eq!(
            defaults().parse(br#"uri=/v3/x ua="Mozi"#),
            Err(Malformed::NoStatus)
        );
        assert_eq!(
            defaults().parse(b"status=40"),
            Err(Malformed::StatusOutOfRange)
        );
    }

    #[test]
    fn other_formats_and_garbage_are_malformed() {
        let f = defaults();
        assert_eq!(f.parse(br#"{"status":200}"#), Err(Malformed::NoStatus));
        let nginx = br#"1.2.3.4 - - [27/Nov/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 0 "-" "-""#;
        assert_eq!(f.parse(nginx), Err(Malformed::NoStatus));
        assert_eq!(
            f.parse(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            Err(Malformed::NoStatus)
        );
        assert_eq!(f.parse(b"status=abc"), Err(Malformed::StatusNotANumber));
        assert_eq!(f.parse(b"status=99999"), Err(Malformed::StatusOutOfRange));
        assert_eq!(f.parse(b"  \r"), Err(Malformed::EmptyLine));
    }

    #[test]
    fn very_long_value() {
        let url = format!("/v3/async/task-result?id={}", "a".repeat(100_000));
        let line = format!("status=404 uri={url} error_code=TASK_NOT_FOUND");
        let got = defaults().parse(line.as_bytes()).unwrap();
        assert_eq!(got.path, Some(url.as_bytes()));
        assert_eq!(got.name, Some(&b"TASK_NOT_FOUND"[..]));
    }
}
