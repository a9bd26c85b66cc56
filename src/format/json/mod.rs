//! JSON-lines logs: one object per line, fields found under common key names or at
//! `--field` paths.
//!
//! Every wanted key path (the defaults for each field, or the user's `--field`
//! overrides) is compiled once into a small trie. A line is then walked by a serde
//! visitor that compares each key of the top-level object against the trie, captures
//! wanted values as `&RawValue` slices of the line, descends only into objects that
//! lie on a wanted path and skips everything else with [`serde::de::IgnoredAny`]. Nothing is
//! allocated per line in the common case: no map is built, no string is copied.
//!
//! When every wanted path is a single key (the defaults, and `--field`s without
//! a dot), a line is first read by [`FastScan`] ([`walk`]), which ends its
//! strings with the structural pass's masks ([`structural`]: 64-byte masks of the
//! unescaped quotes, backslashes and special bytes, found for a whole window of
//! the chunk at once by the line loop, [`LineIndex`]) and looks keys up in a small
//! hash table ([`key_table`]).
//! It accepts a line only when the walk would read it the same way, and hands
//! every other line to the serde walk ([`mod@reference`]), so that walk remains the
//! definition of what a line means (see [`FastScan`]). Captured values become
//! fields in [`value`].
//!
//! Rules a log line is read by:
//! - For each field the first listed key path that holds a usable value wins.
//!   `null` is never usable; a name must be a non-empty string other than `-`; a
//!   path must be a string; a body must be a string or an object.
//! - Duplicate keys: the FIRST usable occurrence wins. serde_json's own `Value`
//!   keeps the last one, but reading first-wins lets the walk skip every later
//!   occurrence without looking at it, and a line with duplicate keys is already
//!   ambiguous; we just pick one consistently.
//! - A status is an integer, or a string read as text statuses are in every
//!   format ([`super::text_status`]); a path under a `request` key is a request
//!   line, read as in every format ([`super::request`]).
//! - A logged response body is searched for a name only when no name key had
//!   one and the status is 400 or more: success bodies often carry a string
//!   `code` (`"SUCCESS"`) that is no error name.
//! - Nesting: wanted paths are walked with serde_json's recursion limit, and
//!   their depth is bounded by the trie; skipped values go through serde_json's
//!   iterative skipper, so no line, however deeply nested, can overflow the stack.
//! - String values are used as written, escapes and all: `Fields` borrows from the
//!   line, so an escaped value cannot be unescaped without copying. Names, paths
//!   and times hardly ever hold escapes; a body usually does, and
//!   [`name_in_body`] reads escaped quotes.
//! - Bytes that are not UTF-8 are tolerated in skipped values (serde_json skips
//!   strings without decoding them), but one in a captured value, or in a key,
//!   makes the line malformed ("invalid JSON"): serde_json insists on UTF-8 for
//!   every string it hands out.

mod key_table;
mod reference;
mod structural;
mod value;
mod walk;

pub use structural::{IndexedLine, LineIndex};

use super::request::path_value;
use super::{name_in_body, non_empty_name, FieldKey, FieldOverride, FieldUnit, Fields, Malformed};
use crate::error::{Error, Result};
use crate::format::timestamp::parse_duration;

use super::keys::{self, ValueKind as Kind};
use key_table::FlatKeys;
use reference::Walk;
use serde::de::DeserializeSeed;
use value::{body_bytes, parse_status, parse_time_value, scalar_text, string_inner};
use walk::FastScan;

/// Capture slots, one per [`Kind`] variant.
mod slot {
    pub const STATUS: usize = 0;
    pub const NAME: usize = 1;
    pub const PATH: usize = 2;
    pub const LATENCY: usize = 3;
    pub const TIME: usize = 4;
    pub const BODY: usize = 5;
    pub const COUNT: usize = 6;
}

/// One place a field may be found: a dotted key path and how to read its value.
#[derive(Debug, Clone)]
struct Source {
    path: String,
    kind: Kind,
}

impl Source {
    fn from_override(o: &FieldOverride) -> Result<Source> {
        let err = |message: &str| Error::Field {
            spec: override_spec(o),
            message: message.to_string(),
        };
        if o.path.is_empty() || o.path.split('.').any(str::is_empty) {
            return Err(err("not a dotted key path"));
        }
        let kind = Kind::of(o).map_err(err)?;
        Ok(Source {
            path: o.path.clone(),
            kind,
        })
    }
}

/// The `--field` spec an override was (or could have been) written as, for errors.
fn override_spec(o: &FieldOverride) -> String {
    let unit = match o.unit {
        Some(FieldUnit::Duration(u)) => format!(":{}", u.as_str()),
        Some(FieldUnit::Time(u)) => format!(":{}", u.as_str()),
        None => String::new(),
    };
    format!("{}={}{}", o.key.as_str(), o.path, unit)
}

/// The default sources, field by field, in priority order.
fn default_sources(key: FieldKey) -> Vec<Source> {
    keys::defaults(key)
        .into_iter()
        .map(|(path, kind)| Source {
            path: path.to_string(),
            kind,
        })
        .collect()
}

/// A trie node: one key of a wanted path. A node can both end a path (`leaves`)
/// and lead further (`children`), e.g. `body=response` with `status=response.status`.
#[derive(Debug, Clone, Default)]
struct Node {
    children: Vec<(Box<str>, Node)>,
    /// Indices into [`JsonFormat::sources`] of the sources ending here.
    leaves: Vec<usize>,
}

impl Node {
    fn insert<'k>(&mut self, mut keys: impl Iterator<Item = &'k str>, source: usize) {
        match keys.next() {
            None => self.leaves.push(source),
            Some(key) => {
                let at = match self.children.iter().position(|(k, _)| &**k == key) {
                    Some(i) => i,
                    None => {
                        self.children.push((key.into(), Node::default()));
                        self.children.len() - 1
                    }
                };
                self.children[at].1.insert(keys, source);
            }
        }
    }

    /// A handful of children at most, so a linear scan beats hashing.
    #[inline]
    fn child(&self, key: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, n)| n)
    }
}

/// A JSON-lines format: where each field is looked up in a line's object.
#[derive(Debug, Clone)]
pub struct JsonFormat {
    /// All sources, grouped by field in priority order, so that within one field a
    /// lower index is a better source.
    sources: Vec<Source>,
    root: Node,
    /// The top-level keys to look for, when every source is one (the default keys
    /// and any `--field` without a dot): lines are then read by [`FastScan`] first.
    flat: Option<FlatKeys>,
}

impl JsonFormat {
    /// Compile the key paths: a field's `--field` overrides (in the order given)
    /// replace its default keys.
    pub fn new(fields: &[FieldOverride]) -> Result<JsonFormat> {
        let mut sources = Vec::new();
        for key in FieldKey::ALL {
            let overrides: Vec<&FieldOverride> = fields.iter().filter(|f| f.key == key).collect();
            if overrides.is_empty() {
                sources.extend(default_sources(key));
            } else {
                for o in overrides {
                    sources.push(Source::from_override(o)?);
                }
            }
        }
        let mut root = Node::default();
        for (i, s) in sources.iter().enumerate() {
            root.insert(s.path.split('.'), i);
        }
        let flat = FlatKeys::new(&root, &sources);
        Ok(JsonFormat {
            sources,
            root,
            flat,
        })
    }

    /// Where latency comes from, e.g. `request_time (s) | duration_ms (ms)`.
    pub fn latency_source(&self) -> String {
        self.sources
            .iter()
            .filter_map(|s| match s.kind {
                Kind::Latency(u) => Some(format!("{} ({})", s.path, u.as_str())),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// One line's fields, or why it is malformed.
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        // serde_json skips trailing whitespace (and `\r`) itself; trimming first
        // only serves to tell an empty line apart.
        if line.trim_ascii().is_empty() {
            return Err(Malformed::EmptyLine);
        }
        if let Some(flat) = &self.flat {
            if let Some(fields) = structural::with_line(line, |at| self.fast(flat, at)) {
                return fields;
            }
        }
        self.parse_with_serde(line)
    }

    /// [`JsonFormat::parse`] for a line of the line loop's index, whose structure
    /// was found with its window's (see [`LineIndex`]): `line` is the indexed
    /// line, perhaps without its trailing `\r`.
    #[inline]
    pub fn parse_indexed<'a>(
        &self,
        line: &'a [u8],
        at: IndexedLine<'a, '_>,
    ) -> Result<Fields<'a>, Malformed> {
        if line.trim_ascii().is_empty() {
            return Err(Malformed::EmptyLine);
        }
        if let Some(flat) = &self.flat {
            let at = IndexedLine {
                text: &at.text[..at.start + line.len()],
                ..at
            };
            if let Some(fields) = self.fast(flat, at) {
                return fields;
            }
        }
        self.parse_with_serde(line)
    }

    /// The fast walk over a line: its fields, or `None` when it gave up.
    #[inline(always)]
    fn fast<'a>(
        &self,
        flat: &FlatKeys,
        line: IndexedLine<'a, '_>,
    ) -> Option<Result<Fields<'a>, Malformed>> {
        let mut caps = Captures::default();
        FastScan::new(line).object(flat, &mut caps).ok()?;
        Some(self.fields(&caps))
    }

    /// The reference reading of a line: serde_json walks it (see the module doc).
    /// Every line the fast path gives up on comes here, so results stay exact; for a
    /// line that is not blank, [`JsonFormat::parse`] must give exactly what this
    /// gives (unit tests and the `json_line` fuzz target check it).
    pub fn parse_with_serde<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        let mut caps = Captures::default();
        let mut de = serde_json::Deserializer::from_slice(line);
        let walk = Walk {
            sources: &self.sources,
            node: &self.root,
            caps: &mut caps,
        };
        let is_object = walk
            .deserialize(&mut de)
            .map_err(|_| Malformed::InvalidJson)?;
        // Anything but whitespace after the value is garbage.
        de.end().map_err(|_| Malformed::InvalidJson)?;
        if !is_object {
            return Err(Malformed::NotAnObject);
        }
        self.fields(&caps)
    }

    /// Turn the captured values into fields.
    fn fields<'a>(&self, caps: &Captures<'a>) -> Result<Fields<'a>, Malformed> {
        let (_, status) = caps.get(slot::STATUS).ok_or(Malformed::NoStatus)?;
        let status = parse_status(status)?;
        let mut fields = Fields {
            status,
            ..Fields::default()
        };
        // A name with escapes in it is kept as written (see the module doc).
        fields.name = caps
            .get(slot::NAME)
            .and_then(|(_, raw)| string_inner(raw))
            .and_then(non_empty_name);
        if fields.name.is_none() {
            fields.name = caps
                .get(slot::BODY)
                .and_then(|(_, raw)| name_in_body(status, body_bytes(raw)));
        }
        fields.path = caps.get(slot::PATH).and_then(|(id, raw)| {
            let Kind::Path { request_line } = self.sources[id].kind else {
                return None;
            };
            path_value(string_inner(raw)?, request_line)
        });
        fields.latency_us = caps.get(slot::LATENCY).and_then(|(id, raw)| {
            let Kind::Latency(unit) = self.sources[id].kind else {
                return None;
            };
            parse_duration(scalar_text(raw), unit)
        });
        if let Some((id, raw)) = caps.get(slot::TIME) {
            if let Kind::Time(unit) = self.sources[id].kind {
                fields.time_ms = parse_time_value(raw, unit);
                fields.bad_time = fields.time_ms.is_none();
            }
        }
        Ok(fields)
    }
}

/// Where a wanted top-level key's value goes: one of its sources, with the
/// source's capture slot and kind at hand.
#[derive(Debug, Clone, Copy)]
struct Leaf {
    source: usize,
    slot: usize,
    kind: Kind,
}

impl Leaf {
    fn new(sources: &[Source], source: usize) -> Leaf {
        let kind = sources[source].kind;
        Leaf {
            source,
            slot: kind.slot(),
            kind,
        }
    }
}

/// The best value seen so far for each field: (source index, raw JSON text, which
/// serde_json has checked, or the fast path has found, to be UTF-8).
/// On the stack, so a line costs no allocation.
#[derive(Default)]
struct Captures<'de> {
    slots: [Option<(usize, &'de [u8])>; slot::COUNT],
}

impl<'de> Captures<'de> {
    fn get(&self, slot: usize) -> Option<(usize, &'de [u8])> {
        self.slots[slot]
    }

    /// Whether a value for `leaf` could still replace what is captured: only a
    /// better (earlier) source can, so a duplicate key never does.
    #[inline]
    fn wants(&self, leaf: &Leaf) -> bool {
        self.slots[leaf.slot].is_none_or(|(best, _)| leaf.source < best)
    }

    /// Take `raw` for `leaf` if it is better than what is held and usable.
    /// Always inlined: the walk offers every value of a wanted key, and LLVM
    /// left it out of line, a call per value (figures in docs/performance.md).
    #[inline(always)]
    fn offer(&mut self, leaf: &Leaf, raw: &'de [u8]) {
        if self.wants(leaf) && leaf.kind.accepts(raw) {
            self.slots[leaf.slot] = Some((leaf.source, raw));
        }
    }
}

/// The default format, for tests.
#[cfg(test)]
fn defaults() -> JsonFormat {
    JsonFormat::new(&[]).unwrap()
}

/// A format with `--field` overrides, for tests.
#[cfg(test)]
fn with(specs: &[&str]) -> JsonFormat {
    let fields: Vec<FieldOverride> = specs
        .iter()
        .map(|s| FieldOverride::parse(s).unwrap())
        .collect();
    JsonFormat::new(&fields).unwrap()
}

#[cfg(test)]
mod tests {
    use super::super::text_status;
    use super::*;
    use crate::format::timestamp::{DurationUnit, TimeUnit};

    fn ok(line: &[u8]) -> Fields<'_> {
        match defaults().parse(line) {
            Ok(f) => f,
            Err(e) => panic!("{e}: {}", String::from_utf8_lossy(line)),
        }
    }

    fn err(line: &[u8]) -> Malformed {
        defaults().parse(line).unwrap_err()
    }

    fn name(line: &[u8]) -> Option<&str> {
        ok(line).name.map(|n| std::str::from_utf8(n).unwrap())
    }

    #[test]
    fn apisix_resp_body_holding_escaped_json() {
        let line = br#"{"host":"api.example.com","client_ip":"10.0.0.7","uri":"/v3/async/txt2img","status":403,"request_time":0.012,"time_iso8601":"2024-05-01T20:00:00+08:00","resp_body":"{\"code\":403,\"reason\":\"INVALID_API_KEY\",\"message\":\"key \\\"abc\\\" is invalid\",\"metadata\":{}}"}"#;
        let f = ok(line);
        assert_eq!(f.status, 403);
        assert_eq!(f.name, Some(&b"INVALID_API_KEY"[..]));
        assert_eq!(f.path, Some(&b"/v3/async/txt2img"[..]));
        assert_eq!(f.latency_us, Some(12_000));
        assert_eq!(f.time_ms, Some(1_714_564_800_000));
        assert!(!f.bad_time);
    }

    #[test]
    fn body_as_object_and_only_for_errors() {
        let line = br#"{"status":429,"body":{"code":429,"reason":"RATE_LIMIT_EXCEEDED"}}"#;
        assert_eq!(name(line), Some("RATE_LIMIT_EXCEEDED"));
        // A success body's string `code` is no error name.
        assert_eq!(name(br#"{"status":200,"body":{"code":"SUCCESS"}}"#), None);
        // A header name wins over the body.
        let line = br#"{"status":403,"error_code":"A","resp_body":"{\"reason\":\"B\"}"}"#;
        assert_eq!(name(line), Some("A"));
    }

    #[test]
    fn kong_nested_fields_via_overrides() {
        let fmt = with(&[
            "status=response.status",
            "path=request.uri",
            "latency=latencies.request:ms",
            "time=started_at:epoch_ms",
            "name=response.headers.x-error-code",
        ]);
        let line = br#"{"request":{"method":"POST","uri":"/v3/openai/chat/completions","headers":{"user-agent":"sdk/1.0","x-error-code":"WRONG"}},"response":{"headers":{"content-type":"application/json","x-error-code":"RATE_LIMIT_EXCEEDED"},"status":429,"size":120},"latencies":{"kong":2,"proxy":150,"request":153},"tries":[{"balancer_latency":0,"ip":"10.0.0.1"}],"started_at":1700000000123,"status":200}"#;
        let f = fmt.parse(line).unwrap();
        assert_eq!(f.status, 429, "the override replaces top-level `status`");
        assert_eq!(f.name, Some(&b"RATE_LIMIT_EXCEEDED"[..]));
        assert_eq!(f.path, Some(&b"/v3/openai/chat/completions"[..]));
        assert_eq!(f.latency_us, Some(153_000));
        assert_eq!(f.time_ms, Some(1_700_000_000_123));
        assert_eq!(fmt.latency_source(), "latencies.request (ms)");
        // A wanted parent that is not an object is skipped, not an error.
        let line = br#"{"response":"gone","latencies":[1,2],"started_at":"x"}"#;
        assert_eq!(fmt.parse(line), Err(Malformed::NoStatus));
    }

    #[test]
    fn overlapping_override_paths() {
        let fmt = with(&["body=response", "status=response.status"]);
        let line = br#"{"response":{"status":404,"reason":"NOT_FOUND"}}"#;
        let f = fmt.parse(line).unwrap();
        assert_eq!(f.status, 404);
        assert_eq!(f.name, Some(&b"NOT_FOUND"[..]));
    }

    #[test]
    fn default_latency_source_and_units() {
        assert_eq!(
            defaults().latency_source(),
            "request_time (s) | duration (s) | duration_ms (ms) | latency_ms (ms)"
        );
        assert_eq!(
            ok(br#"{"status":200,"duration_ms":"12.5"}"#).latency_us,
            Some(12_500)
        );
        assert_eq!(
            ok(br#"{"status":200,"latency_ms":3}"#).latency_us,
            Some(3_000)
        );
        assert_eq!(ok(br#"{"status":200,"request_time":"-"}"#).latency_us, None);
        assert_eq!(ok(br#"{"status":200,"request_time":-1}"#).latency_us, None);
        assert_eq!(ok(br#"{"status":200,"duration":true}"#).latency_us, None);
        // request_time is listed first, whatever the order in the line.
        let line = br#"{"status":200,"duration_ms":5,"request_time":0.5}"#;
        assert_eq!(ok(line).latency_us, Some(500_000));
        let fmt = with(&["latency=took:ns"]);
        assert_eq!(fmt.latency_source(), "took (ns)");
        assert_eq!(
            fmt.parse(br#"{"status":200,"took":2500}"#)
                .unwrap()
                .latency_us,
            Some(2)
        );
        assert_eq!(with(&["latency=t"]).latency_source(), "t (s)");
    }

    #[test]
    fn status_as_string() {
        assert_eq!(ok(br#"{"status":"404"}"#).status, 404);
        assert_eq!(ok(br#"{"status_code":502}"#).status, 502);
        assert_eq!(ok(br#"{"status":null,"status_code":"503"}"#).status, 503);
    }

    #[test]
    fn status_out_of_range_or_not_an_integer() {
        // 0: no response (Caddy, Envoy's TCP proxy).
        assert_eq!(err(br#"{"status":0}"#), Malformed::NoResponse);
        assert_eq!(err(br#"{"status":"-"}"#), Malformed::NoResponse);
        // Other integers: out of range unless 100..=599.
        for v in ["1", "999", "99999999999999999999", "-1", "-404"] {
            let line = format!(r#"{{"status":{v}}}"#);
            assert_eq!(err(line.as_bytes()), Malformed::StatusOutOfRange, "{v}");
        }
        // Other JSON values.
        for v in ["4.5", "4e2", "404.0", "true", "{}", "[404]"] {
            let line = format!(r#"{{"status":{v}}}"#);
            assert_eq!(err(line.as_bytes()), Malformed::StatusNotAnInteger, "{v}");
        }
        // Strings are text, read as every text format reads a status.
        for (v, want) in [
            ("\"404\"", Ok(404)),
            ("\"0\"", Err(Malformed::NoResponse)),
            ("\"1000000\"", Err(Malformed::StatusOutOfRange)),
            ("\"0404\"", Err(Malformed::StatusOutOfRange)),
            ("\"abc\"", Err(Malformed::StatusNotANumber)),
            ("\"\"", Err(Malformed::StatusNotANumber)),
            ("\" 404\"", Err(Malformed::StatusNotANumber)),
            ("\"404.0\"", Err(Malformed::StatusNotANumber)),
            ("\"-1\"", Err(Malformed::StatusNotANumber)),
        ] {
            let line = format!(r#"{{"status":{v}}}"#);
            let got = defaults().parse(line.as_bytes()).map(|f| f.status);
            let text = v.trim_matches('"');
            assert_eq!(got, want, "{v}");
            assert_eq!(got, text_status(text.as_bytes()), "{v}");
        }
    }

    #[test]
    fn missing_status() {
        assert_eq!(err(br#"{"uri":"/x","reason":"X"}"#), Malformed::NoStatus);
        assert_eq!(err(b"{}"), Malformed::NoStatus);
        assert_eq!(err(br#"{"status":null}"#), Malformed::NoStatus);
    }

    #[test]
    fn numeric_code_is_not_a_name() {
        assert_eq!(name(br#"{"status":500,"code":500}"#), None);
        // ...and does not stop the body from being read.
        let line = br#"{"status":403,"code":403,"resp_body":"{\"reason\":\"INVALID_API_KEY\"}"}"#;
        assert_eq!(name(line), Some("INVALID_API_KEY"));
        assert_eq!(
            name(br#"{"status":400,"code":"invalid_api_key"}"#),
            Some("invalid_api_key")
        );
    }

    #[test]
    fn reason_found_and_error_code_beats_reason() {
        assert_eq!(
            name(br#"{"status":429,"reason":"RATE_LIMIT_EXCEEDED"}"#),
            Some("RATE_LIMIT_EXCEEDED")
        );
        assert_eq!(
            name(br#"{"reason":"B","status":400,"error_code":"A"}"#),
            Some("A")
        );
        assert_eq!(
            name(br#"{"status":400,"error_code":"A","reason":"B","code":"C"}"#),
            Some("A")
        );
    }

    #[test]
    fn empty_names_are_none() {
        for v in ["null", "\"\"", "\"-\"", "\"null\"", "{}", "[]"] {
            let line = format!(r#"{{"status":500,"error_code":{v}}}"#);
            assert_eq!(name(line.as_bytes()), None, "{v}");
        }
        // An empty error_code lets reason speak.
        assert_eq!(
            name(br#"{"status":500,"error_code":null,"reason":"X"}"#),
            Some("X")
        );
    }

    #[test]
    fn path_from_request_line_or_path_key() {
        // The request line's rule is `format::request`'s, tested there.
        assert_eq!(
            ok(br#"{"status":200,"request":"GET /x HTTP/1.1"}"#).path,
            Some(&b"/x"[..])
        );
        assert_eq!(
            ok(br#"{"status":200,"request":"GET /x?a=1"}"#).path,
            Some(&b"/x?a=1"[..])
        );
        // A request line with no method is none: no path, as in every format.
        assert_eq!(ok(br#"{"status":200,"request":"/y"}"#).path, None);
        assert_eq!(
            ok(br#"{"status":400,"request":"\u0016\u0003\u0001"}"#).path,
            None
        );
        assert_eq!(ok(br#"{"status":200,"path":"/y"}"#).path, Some(&b"/y"[..]));
        // uri is listed before request; its value is used as is.
        let line = br#"{"status":200,"request":"GET /r HTTP/1.1","uri":"/u v"}"#;
        assert_eq!(ok(line).path, Some(&b"/u v"[..]));
        assert_eq!(ok(br#"{"status":200,"path":"-"}"#).path, None);
        // Kong logs `request` as an object: no path, no error.
        assert_eq!(ok(br#"{"status":200,"request":{"uri":"/k"}}"#).path, None);
    }

    #[test]
    fn crlf_and_whitespace() {
        assert_eq!(ok(b"{\"status\":200}\r\n").status, 200);
        assert_eq!(ok(b"  {\"status\" : 201 }  \t\r").status, 201);
        assert_eq!(err(b""), Malformed::EmptyLine);
        assert_eq!(err(b" \r\n"), Malformed::EmptyLine);
    }

    #[test]
    fn invalid_json() {
        for line in [
            &b"{"[..],
            b"{\"status\":200",
            b"{\"status\":200}}",
            b"{\"status\":200} x",
            b"{\"status\":200}{\"status\":200}",
            b"{status:200}",
            b"{'status':200}",
            b"{\"status\":200,}",
            b"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 2326",
        ] {
            assert_eq!(
                err(line),
                Malformed::InvalidJson,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn not_an_object() {
        assert_eq!(err(br#"[{"status":200}]"#), Malformed::NotAnObject);
        assert_eq!(err(b"200"), Malformed::NotAnObject);
        assert_eq!(err(b"\"x\""), Malformed::NotAnObject);
        assert_eq!(err(b"null"), Malformed::NotAnObject);
        assert_eq!(err(b"[1,2] x"), Malformed::InvalidJson);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert_eq!(err(deep.as_bytes()), Malformed::InvalidJson);
        let line = format!(r#"{{"status":200,"x":{deep}"#);
        assert_eq!(err(line.as_bytes()), Malformed::InvalidJson);
        let line = format!(r#"{{"status":200,"x":{}"#, r#"{"a":"#.repeat(100_000));
        assert_eq!(err(line.as_bytes()), Malformed::InvalidJson);
        // Deep but complete nesting in a skipped value is fine.
        let line = format!(r#"{{"x":{deep}{},"status":200}}"#, "]".repeat(100_000));
        assert_eq!(ok(line.as_bytes()).status, 200);
        // Nesting along a wanted path is bounded by the path's length.
        let fmt = with(&["status=a.a.a"]);
        let line = format!(
            r#"{{"a":{}1{}}}"#,
            r#"{"a":"#.repeat(100_000),
            "}".repeat(100_000)
        );
        assert!(fmt.parse(line.as_bytes()).is_err());
    }

    #[test]
    fn duplicate_keys_first_usable_wins() {
        assert_eq!(ok(br#"{"status":200,"status":500}"#).status, 200);
        assert_eq!(
            name(br#"{"status":400,"reason":"A","reason":"B"}"#),
            Some("A")
        );
        assert_eq!(
            name(br#"{"status":400,"reason":null,"reason":"B"}"#),
            Some("B")
        );
        let fmt = with(&["status=r.s"]);
        let line = br#"{"r":{"s":401},"r":{"s":402}}"#;
        assert_eq!(fmt.parse(line).unwrap().status, 401);
    }

    #[test]
    fn non_utf8_bytes() {
        // In a skipped value: serde_json skips strings without decoding them.
        let line = b"{\"status\":200,\"user_agent\":\"caf\xe9\"}";
        assert_eq!(ok(line).status, 200);
        // In a captured value: serde_json will not hand it out; the line is
        // malformed.
        assert_eq!(
            err(b"{\"status\":400,\"reason\":\"X\xff\"}"),
            Malformed::InvalidJson
        );
        assert_eq!(err(b"{\"st\xffatus\":400}"), Malformed::InvalidJson);
    }

    #[test]
    fn keys_with_escapes() {
        let f = ok(br#"{"st\u0061tus":418,"re\u0061son":"TEAPOT","u\ri":"/x"}"#);
        assert_eq!(f.status, 418);
        assert_eq!(f.name, Some(&b"TEAPOT"[..]));
        assert_eq!(f.path, None);
        // A value with escapes is kept as written.
        assert_eq!(
            name(br#"{"status":400,"reason":"A\u005fB"}"#),
            Some(r"A\u005fB")
        );
    }

    #[test]
    fn unicode_in_user_agent() {
        let line = r#"{"status":200,"user_agent":"Mozilla/5.0 (中文; 🦀) \u00e9","uri":"/v3/openai/模型"}"#;
        let f = ok(line.as_bytes());
        assert_eq!(f.status, 200);
        assert_eq!(f.path, Some("/v3/openai/模型".as_bytes()));
    }

    #[test]
    fn times() {
        let t = 1_700_000_000_000;
        assert_eq!(ok(br#"{"status":200,"time":1700000000}"#).time_ms, Some(t));
        assert_eq!(
            ok(br#"{"status":200,"timestamp":1700000000.25}"#).time_ms,
            Some(t + 250)
        );
        assert_eq!(
            ok(br#"{"status":200,"@timestamp":"2023-11-14T22:13:20Z"}"#).time_ms,
            Some(t)
        );
        let line = br#"{"status":200,"time_local":"10/Oct/2000:13:55:36 -0700"}"#;
        assert_eq!(ok(line).time_ms, Some(971_211_336_000));
        let fmt = with(&["time=ts:epoch_ms"]);
        assert_eq!(
            fmt.parse(br#"{"status":200,"ts":"1700000000000"}"#)
                .unwrap()
                .time_ms,
            Some(t)
        );
        let fmt = with(&["time=ts:iso8601"]);
        assert!(
            fmt.parse(br#"{"status":200,"ts":1700000000}"#)
                .unwrap()
                .bad_time
        );
        let f = ok(br#"{"status":200}"#);
        assert_eq!((f.time_ms, f.bad_time), (None, false));
        assert!(!ok(br#"{"status":200,"time":null}"#).bad_time);
    }

    #[test]
    fn bad_time_still_classified() {
        for v in [
            "\"yesterday\"",
            "\"2024-13-01T00:00:00Z\"",
            "-5",
            "true",
            "{}",
        ] {
            let line = format!(r#"{{"status":503,"time":{v}}}"#);
            let f = ok(line.as_bytes());
            assert_eq!((f.status, f.time_ms, f.bad_time), (503, None, true), "{v}");
        }
    }

    #[test]
    fn override_errors() {
        let bad = |key, path: &str, unit| {
            let o = FieldOverride {
                key,
                path: path.to_string(),
                unit,
            };
            JsonFormat::new(&[o]).unwrap_err().to_string()
        };
        let e = bad(
            FieldKey::Latency,
            "t",
            Some(FieldUnit::Time(TimeUnit::EpochMs)),
        );
        assert!(e.contains("latency=t:epoch_ms"), "{e}");
        let e = bad(FieldKey::Name, "a..b", None);
        assert!(e.contains("name=a..b"), "{e}");
        let e = bad(
            FieldKey::Status,
            "s",
            Some(FieldUnit::Duration(DurationUnit::Ms)),
        );
        assert!(e.contains("unit"), "{e}");
    }
}
