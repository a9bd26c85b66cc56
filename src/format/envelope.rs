//! Envelopes: what a log collector wraps around each line a gateway writes, taken
//! off before the line's format is detected or parsed.
//!
//! - `cri`: the container runtime's log file (Kubernetes),
//!   `2025-12-31T17:37:40.493035218+01:00 stdout F <record>`; a record the runtime
//!   split is written as `P` lines up to the final `F` line, and joined again here.
//! - `docker`: Docker's json-file driver, `{"log":"<record>\n","stream":"stdout",
//!   "time":"..."}`; the `log` value is JSON-unescaped, and a value without its
//!   trailing `\n` continues on the next line.
//! - `compose`: `docker compose logs` prefixes, `caddy  | <record>`,
//!   `api-gateway-1  | <record>`.
//! - `syslog`: RFC 3164 (`Feb  6 12:14:14 localhost haproxy[14389]: <record>`, with
//!   or without `<PRI>`), RFC 5424 (`<134>1 2025-02-06T12:14:14Z host app - - -
//!   <record>`), and the ISO-time header rsyslog writes to files
//!   (`2025-02-06T12:14:14+00:00 host haproxy[14389]: <record>`).
//!
//! [`detect`] picks the envelope that unwraps most of the sample lines (at least
//! half); the format is then detected on the unwrapped lines. The record's own time
//! is used; the envelope's time only when the record has none (an RFC 3164 header
//! has no year, so it gives none).
//!
//! Lines continued on the next (CRI `P`, Docker without `\n`) are never the last
//! line of a chunk ([`continues`], used by the chunkers), so a record is joined
//! the same way however the input is split.
//!
//! Inside an envelope, a line that is not an access record of the gateway (its
//! startup and runtime messages) is counted as `not_access` ([`not_access`]), as is
//! a JSON runtime message in a plain log of JSON lines.

use crate::format::timestamp;

use super::{LogFormat, Malformed};

/// The envelopes errscope takes off, in the order detection tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// CRI (containerd, CRI-O): `TIME STREAM P|F RECORD`.
    Cri,
    /// Docker's json-file driver: `{"log":"RECORD\n","stream":…,"time":…}`.
    Docker,
    /// docker-compose's prefix: `NAME  | RECORD`.
    Compose,
    /// A syslog header, RFC 3164 or RFC 5424.
    Syslog,
}

/// One physical line, taken out of its envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwrapped<'a> {
    /// The record, and the envelope's time (epoch ms) if it has one.
    Record(&'a [u8], Option<i64>),
    /// The first part of a record continued on the next line (kept by the
    /// [`Unwrapper`] until the record is whole).
    Continued,
    /// Not in the envelope's shape.
    Foreign,
}

impl Envelope {
    /// Every envelope, in the order detection prefers them on a tie.
    pub const ALL: [Envelope; 4] = [
        Envelope::Cri,
        Envelope::Docker,
        Envelope::Compose,
        Envelope::Syslog,
    ];

    /// The name the report gives (`inputs[].envelope`).
    pub fn name(self) -> &'static str {
        match self {
            Envelope::Cri => "cri",
            Envelope::Docker => "docker",
            Envelope::Compose => "compose",
            Envelope::Syslog => "syslog",
        }
    }

    /// The line's pieces: the record (or its part), whether it continues on the
    /// next line, and the envelope's time as written. `None`: not this envelope.
    fn split(self, line: &[u8]) -> Option<Piece<'_>> {
        match self {
            Envelope::Cri => cri(line),
            Envelope::Docker => docker(line),
            Envelope::Compose => compose(line),
            Envelope::Syslog => syslog(line),
        }
    }
}

/// A line split by its envelope.
struct Piece<'a> {
    /// The record as written inside the envelope (JSON-escaped for Docker).
    text: &'a [u8],
    escaped: bool,
    continues: bool,
    time: Option<&'a [u8]>,
}

/// Whether `line` is continued on the next one (a CRI `P` line, a Docker line
/// whose `log` lacks its `\n`), whatever the input's envelope: a chunk never ends
/// after such a line.
#[inline]
pub fn continues(line: &[u8]) -> bool {
    // Cheap first test: CRI lines start with a digit, Docker's with `{"log":`.
    match line.first() {
        Some(b'0'..=b'9') => cri(line).is_some_and(|p| p.continues),
        Some(b'{') if line.starts_with(br#"{"log":""#) => docker(line).is_some_and(|p| p.continues),
        _ => false,
    }
}

/// The envelope most of `lines` are in (at least half of them, and more than in
/// any other), if any.
pub fn detect(lines: &[&[u8]]) -> Option<Envelope> {
    let counts = Envelope::ALL.map(|e| lines.iter().filter(|l| e.split(l).is_some()).count());
    let (at, &best) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))?;
    (best > 0 && best * 2 >= lines.len()).then(|| Envelope::ALL[at])
}

/// Takes lines out of one envelope, joining continued lines; one per worker, its
/// buffer reused from line to line.
#[derive(Debug, Default)]
pub struct Unwrapper {
    buf: Vec<u8>,
    /// `buf` holds the first part of a record continued on the next line.
    pending: bool,
}

impl Unwrapper {
    /// Unwrap `line`. A record joined from continued lines, or unescaped, is
    /// returned from the unwrapper's buffer.
    pub fn unwrap<'a>(&'a mut self, envelope: Envelope, line: &'a [u8]) -> Unwrapped<'a> {
        if !self.pending {
            self.buf.clear();
        }
        let Some(p) = envelope.split(line) else {
            self.pending = false;
            return Unwrapped::Foreign;
        };
        let time = p.time.and_then(timestamp::parse_iso8601);
        if p.continues {
            append(&mut self.buf, p.text, p.escaped);
            self.pending = true;
            return Unwrapped::Continued;
        }
        if !self.pending && !p.escaped {
            return Unwrapped::Record(p.text, time);
        }
        self.pending = false;
        append(&mut self.buf, p.text, p.escaped);
        Unwrapped::Record(&self.buf, time)
    }

    /// Drop a record left unfinished at the end of a chunk.
    pub fn reset(&mut self) {
        self.pending = false;
    }
}

fn append(buf: &mut Vec<u8>, text: &[u8], escaped: bool) {
    if escaped {
        unescape_into(buf, text);
    } else {
        buf.extend_from_slice(text);
    }
}

/// Whether a line `format` could not read (`reason`) is not an access record at
/// all: inside an envelope, a line that is not a JSON object for a JSON format, or
/// that does not even begin as the text format's lines do
/// ([`LogFormat::starts_like`]: a cut record does, and stays malformed); anywhere,
/// a JSON object with no status that has a message key (`msg`, `message`): a
/// runtime log entry, as Caddy, Traefik and Envoy write next to their access
/// records.
pub fn not_access(format: &LogFormat, line: &[u8], reason: Malformed, enveloped: bool) -> bool {
    let trimmed = line.trim_ascii();
    if format.reads_json() {
        let object = trimmed.starts_with(b"{");
        if !object {
            return enveloped;
        }
        reason == Malformed::NoStatus
            && (has_key(trimmed, b"\"msg\"") || has_key(trimmed, b"\"message\""))
    } else {
        enveloped && reason == Malformed::NoMatch && !format.starts_like(line)
    }
}

fn has_key(line: &[u8], key: &[u8]) -> bool {
    memchr::memmem::find(line, key).is_some()
}

/// `<RFC 3339 time> <stdout|stderr> <F|P> <record>`.
fn cri(line: &[u8]) -> Option<Piece<'_>> {
    let (time, rest) = split_space(line)?;
    if !(time.len() >= 20 && time[0].is_ascii_digit() && time[10] == b'T') {
        return None;
    }
    let (stream, rest) = split_space(rest)?;
    if stream != b"stdout" && stream != b"stderr" {
        return None;
    }
    let (tag, text) = match split_space(rest) {
        Some(t) => t,
        None => (rest, &b""[..]),
    };
    // The tag is F or P, possibly with other flags after a colon (`F:x`).
    let continues = match tag.split(|&c| c == b':').next()? {
        b"F" => false,
        b"P" => true,
        _ => return None,
    };
    Some(Piece {
        text,
        escaped: false,
        continues,
        time: Some(time),
    })
}

/// `{"log":"...","stream":"...","time":"..."}`, keys in the order Docker writes.
fn docker(line: &[u8]) -> Option<Piece<'_>> {
    let rest = line.trim_ascii_end().strip_prefix(br#"{"log":""#)?;
    let end = string_end(rest)?;
    let (text, after) = (&rest[..end], &rest[end + 1..]);
    let after = after.strip_prefix(br#","stream":""#)?;
    let stream_end = memchr::memchr(b'"', after)?;
    let after = after[stream_end + 1..].strip_prefix(br#","time":""#)?;
    let time_end = memchr::memchr(b'"', after)?;
    if after.get(time_end + 1..) != Some(&b"}"[..]) {
        return None;
    }
    let (text, continues) = match text.strip_suffix(br"\n") {
        // `\\n` is a backslash and an `n`, not a newline.
        Some(t) if !ends_in_odd_backslashes(t) => (t, false),
        _ => (text, true),
    };
    let text = text.strip_suffix(br"\r").unwrap_or(text);
    Some(Piece {
        text,
        escaped: true,
        continues,
        time: Some(&after[..time_end]),
    })
}

/// `name  | record`: a service name, spaces, `| `.
fn compose(line: &[u8]) -> Option<Piece<'_>> {
    let name_len = line
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        .count();
    if name_len == 0 {
        return None;
    }
    let rest = &line[name_len..];
    let spaces = rest.iter().take_while(|&&c| c == b' ').count();
    let text = rest[spaces..].strip_prefix(b"|")?;
    if spaces == 0 {
        return None;
    }
    let text = text.strip_prefix(b" ").unwrap_or(text);
    Some(Piece {
        text,
        escaped: false,
        continues: false,
        time: None,
    })
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// RFC 3164, RFC 5424, or rsyslog's ISO-time file header.
fn syslog(line: &[u8]) -> Option<Piece<'_>> {
    // An optional `<PRI>`.
    let rest = match line.strip_prefix(b"<") {
        Some(r) => {
            let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 3 {
                return None;
            }
            r[n..].strip_prefix(b">")?
        }
        None => line,
    };
    // RFC 5424: `1 TIME HOST APP PROCID MSGID SD MSG`.
    if let Some(r) = rest.strip_prefix(b"1 ") {
        let (time, r) = split_space(r)?;
        let (_host, r) = split_space(r)?;
        let (_app, r) = split_space(r)?;
        let (_procid, r) = split_space(r)?;
        let (_msgid, r) = split_space(r)?;
        let text = if let Some(r) = r.strip_prefix(b"- ") {
            r
        } else if r == b"-" {
            &r[1..]
        } else if r.starts_with(b"[") {
            // Structured data: `[id k="v"]...`, then a space.
            let end = structured_data_end(r)?;
            r[end..].strip_prefix(b" ").unwrap_or(&r[end..])
        } else {
            return None;
        };
        let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
        return Some(Piece {
            text,
            escaped: false,
            continues: false,
            time: (time != b"-").then_some(time),
        });
    }
    // RFC 3164 `Mmm dd hh:mm:ss`, or an ISO time.
    let (time, r) = if rest.len() > 16
        && MONTHS.contains(&&rest[..3])
        && rest[3] == b' '
        && rest[9] == b':'
        && rest[12] == b':'
        && rest[15] == b' '
    {
        (None, &rest[16..])
    } else {
        let (time, r) = split_space(rest)?;
        if !(time.len() >= 19 && time[0].is_ascii_digit() && time[10] == b'T') {
            return None;
        }
        (Some(time), r)
    };
    let (_host, r) = split_space(r)?;
    // `tag[pid]: ` or `tag: `.
    let (tag, text) = split_space(r)?;
    let tag = tag.strip_suffix(b":")?;
    if tag.is_empty() || !tag[0].is_ascii_alphabetic() {
        return None;
    }
    Some(Piece {
        text,
        escaped: false,
        continues: false,
        time,
    })
}

/// The end (exclusive) of RFC 5424 structured data: `[...]` groups, `\]` escaped.
fn structured_data_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        i += 1;
        loop {
            match b.get(i)? {
                b'\\' => i += 2,
                b']' => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
    }
    Some(i)
}

fn split_space(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memchr::memchr(b' ', b)?;
    Some((&b[..at], &b[at + 1..]))
}

/// The index of the quote that ends a JSON string's contents `b`.
fn string_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', &b[i..])?;
        if b[at] == b'"' {
            return Some(at);
        }
        i = at + 2;
        if i > b.len() {
            return None;
        }
    }
}

fn ends_in_odd_backslashes(b: &[u8]) -> bool {
    b.iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1
}

/// Append the JSON string contents `s` to `out`, unescaped. An escape that is not
/// JSON is kept as written.
fn unescape_into(out: &mut Vec<u8>, s: &[u8]) {
    let mut i = 0;
    while i < s.len() {
        let Some(at) = memchr::memchr(b'\\', &s[i..]) else {
            out.extend_from_slice(&s[i..]);
            return;
        };
        out.extend_from_slice(&s[i..i + at]);
        i += at;
        let c = s.get(i + 1).copied();
        let simple = match c {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'/') => Some(b'/'),
            Some(b'n') => Some(b'\n'),
            Some(b't') => Some(b'\t'),
            Some(b'r') => Some(b'\r'),
            Some(b'b') => Some(8),
            Some(b'f') => Some(12),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            i += 2;
            continue;
        }
        if c == Some(b'u') {
            if let Some(ch) = unicode_escape(&s[i..]) {
                let (ch, len) = ch;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                i += len;
                continue;
            }
        }
        out.push(b'\\');
        i += 1;
    }
}

/// `\uXXXX` (with its surrogate pair): the character and the bytes it took.
fn unicode_escape(s: &[u8]) -> Option<(char, usize)> {
    let hex = |b: &[u8]| -> Option<u32> {
        let t = std::str::from_utf8(b.get(2..6)?).ok()?;
        u32::from_str_radix(t, 16).ok()
    };
    let hi = hex(s)?;
    if (0xD800..0xDC00).contains(&hi) {
        let lo = s
            .get(6..8)
            .filter(|p| *p == br"\u")
            .and_then(|_| hex(&s[6..]))?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return Some((char::from_u32(c)?, 12));
    }
    Some((char::from_u32(hi)?, 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(e: Envelope, line: &str) -> (String, Option<i64>) {
        let mut u = Unwrapper::default();
        match u.unwrap(e, line.as_bytes()) {
            Unwrapped::Record(t, time) => (String::from_utf8(t.to_vec()).unwrap(), time),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn cri_lines() {
        let (t, time) = record(
            Envelope::Cri,
            r#"2025-12-31T17:37:40.493035218+01:00 stdout F {"response_code":200}"#,
        );
        assert_eq!(t, r#"{"response_code":200}"#);
        assert_eq!(time, Some(1_767_199_060_493));
        assert_eq!(record(Envelope::Cri, "2025-12-31T17:37:40Z stderr F").0, "");
        // Partial lines are joined up to the F line.
        let mut u = Unwrapper::default();
        let e = Envelope::Cri;
        assert_eq!(
            u.unwrap(e, b"2025-12-31T17:37:40Z stdout P {\"a\":"),
            Unwrapped::Continued
        );
        assert_eq!(
            u.unwrap(e, b"2025-12-31T17:37:40Z stdout P 1,\"b\""),
            Unwrapped::Continued
        );
        match u.unwrap(e, b"2025-12-31T17:37:41Z stdout F :2}") {
            Unwrapped::Record(t, _) => assert_eq!(t, br#"{"a":1,"b":2}"#),
            other => panic!("{other:?}"),
        }
        assert!(continues(b"2025-12-31T17:37:40Z stdout P x"));
        assert!(!continues(b"2025-12-31T17:37:40Z stdout F x"));
        for bad in [
            "2025-12-31 stdout F x",
            "2025-12-31T17:37:40Z stdin F x",
            "2025-12-31T17:37:40Z stdout X x",
        ] {
            assert_eq!(u.unwrap(e, bad.as_bytes()), Unwrapped::Foreign, "{bad}");
        }
    }

    #[test]
    fn docker_lines() {
        let line = r#"{"log":"10.0.0.1 - - [06/Feb/2025:12:14:14 +0000] \"GET /a\\b HTTP/1.1\" 200 5 \"-\" \"ua \u00e9\"\n","stream":"stdout","time":"2025-02-06T12:14:14.123456789Z"}"#;
        let (t, time) = record(Envelope::Docker, line);
        assert_eq!(
            t,
            "10.0.0.1 - - [06/Feb/2025:12:14:14 +0000] \"GET /a\\b HTTP/1.1\" 200 5 \"-\" \"ua é\""
        );
        assert_eq!(time, Some(1_738_844_054_123));
        // Without its newline, the log continues on the next line.
        let part = r#"{"log":"{\"a\":","stream":"stdout","time":"2025-02-06T12:14:14Z"}"#;
        let rest = r#"{"log":"1}\n","stream":"stdout","time":"2025-02-06T12:14:14Z"}"#;
        assert!(continues(part.as_bytes()) && !continues(rest.as_bytes()));
        let mut u = Unwrapper::default();
        assert_eq!(
            u.unwrap(Envelope::Docker, part.as_bytes()),
            Unwrapped::Continued
        );
        assert_eq!(
            u.unwrap(Envelope::Docker, rest.as_bytes()),
            Unwrapped::Record(b"{\"a\":1}", Some(1_738_844_054_000))
        );
        // `\\n` at the end is a backslash and an n.
        let odd = r#"{"log":"a\\n","stream":"stdout","time":"2025-02-06T12:14:14Z"}"#;
        assert!(continues(odd.as_bytes()));
        assert!(docker(br#"{"log":"x\n","stream":"stdout"}"#).is_none());
        assert!(docker(br#"{"log":"x\n""#).is_none());
    }

    #[test]
    fn compose_and_syslog_lines() {
        assert_eq!(
            record(Envelope::Compose, r#"caddy  | {"a":1}"#).0,
            r#"{"a":1}"#
        );
        assert_eq!(record(Envelope::Compose, "api-gateway-1  | x y").0, "x y");
        assert!(compose(b"caddy| x").is_none() && compose(b"| x").is_none());
        let (t, time) = record(
            Envelope::Syslog,
            "Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] x",
        );
        assert_eq!(
            (t.as_str(), time),
            ("10.0.1.2:33317 [06/Feb/2009:12:14:14.655] x", None)
        );
        assert_eq!(
            record(Envelope::Syslog, "<134>Feb 16 12:14:14 lb1 haproxy: x").0,
            "x"
        );
        let (t, time) = record(
            Envelope::Syslog,
            "<134>1 2025-02-06T12:14:14Z lb1 haproxy 14389 - - x y",
        );
        assert_eq!((t.as_str(), time), ("x y", Some(1_738_844_054_000)));
        let sd = r#"<134>1 2025-02-06T12:14:14Z lb1 haproxy 14389 ID7 [a b="c\]"][d] x"#;
        assert_eq!(record(Envelope::Syslog, sd).0, "x");
        let iso = "2025-02-06T12:14:14+00:00 lb1 haproxy[14389]: x";
        assert_eq!(
            record(Envelope::Syslog, iso),
            ("x".into(), Some(1_738_844_054_000))
        );
        assert!(syslog(b"Feb  6 12:14:14 localhost").is_none());
        assert!(
            syslog(b"127.0.0.1 - - [06/Feb/2025:12:14:14 +0000] \"GET / HTTP/1.1\" 200 1")
                .is_none()
        );
    }

    #[test]
    fn detection_needs_half_the_lines() {
        let cri = b"2025-12-31T17:37:40Z stdout F x".as_slice();
        let plain =
            b"127.0.0.1 - - [06/Feb/2025:12:14:14 +0000] \"GET / HTTP/1.1\" 200 1".as_slice();
        assert_eq!(detect(&[cri, plain]), Some(Envelope::Cri));
        assert_eq!(detect(&[cri, plain, plain]), None);
        assert_eq!(detect(&[plain]), None);
        assert_eq!(detect(&[]), None);
    }

    #[test]
    fn runtime_messages_are_not_access_records() {
        let preset = |name| {
            crate::format::presets::find(name)
                .unwrap()
                .build(&[])
                .unwrap()
        };
        let (caddy, gateway, haproxy) = (preset("caddy"), preset("gateway"), preset("haproxy"));
        let is = |f: &LogFormat, line: &[u8], enveloped| match f.parse(line) {
            Err(reason) => not_access(f, line, reason, enveloped),
            Ok(_) => false,
        };
        let runtime =
            br#"{"level":"info","ts":1646861401.5,"logger":"tls","msg":"cleaning storage unit"}"#;
        assert!(is(&caddy, runtime, false));
        assert!(!is(&caddy, br#"{"status":"x","msg":"m"}"#, true));
        assert!(!is(&caddy, br#"{"uri":"/x"}"#, false));
        assert!(is(&caddy, b"caddy: [warn] x", true));
        assert!(!is(&caddy, b"caddy: [warn] x", false));
        let entrypoint = b"/docker-entrypoint.sh: Configuration complete; ready for start up";
        assert!(is(&gateway, entrypoint, true));
        assert!(!is(&gateway, entrypoint, false));
        // A cut record begins as the format's lines do: malformed, not another line.
        let cut = b"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] \"POST /v3/async/tx";
        assert!(!is(&gateway, cut, true));
        assert!(is(&haproxy, b"Proxy http-in started.", true));
        assert!(!is(
            &haproxy,
            b"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in cut",
            true
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes, in any envelope: no panic; a line said to continue unwraps as
        /// a continued piece in its own envelope, and a record is never longer than
        /// the pieces it was joined from.
        #[test]
        fn any_bytes_unwrap_without_panic(
            lines in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60), 0..8),
            prefix in proptest::sample::select(vec![
                "", "2025-12-31T17:37:40Z stdout P ", "2025-12-31T17:37:40Z stderr F ",
                "{\"log\":\"", "caddy  | ", "<134>1 2025-02-06T12:14:14Z h a - - - ",
                "Feb  6 12:14:14 h t[1]: ",
            ]),
        ) {
            let lines: Vec<Vec<u8>> = lines
                .into_iter()
                .map(|l| [prefix.as_bytes(), &l].concat())
                .filter(|l| !l.contains(&b'\n'))
                .collect();
            for e in Envelope::ALL {
                let mut u = Unwrapper::default();
                let mut joined = 0;
                for l in &lines {
                    joined += l.len();
                    match u.unwrap(e, l) {
                        Unwrapped::Record(t, _) => {
                            proptest::prop_assert!(t.len() <= joined);
                            joined = 0;
                        }
                        Unwrapped::Continued => {}
                        Unwrapped::Foreign => joined = 0,
                    }
                }
            }
            let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            let _ = detect(&refs);
            for l in &lines {
                if continues(l) {
                    let e = if l.starts_with(b"{") { Envelope::Docker } else { Envelope::Cri };
                    let mut u = Unwrapper::default();
                    let got = u.unwrap(e, l);
                    proptest::prop_assert_eq!(got, Unwrapped::Continued);
                }
            }
        }
    }

    #[test]
    fn unescaping() {
        let mut out = Vec::new();
        unescape_into(&mut out, br#"a\"b\\c\/d\te\u00e9\ud83d\ude00\x"#);
        assert_eq!(out, "a\"b\\c/d\teé😀\\x".as_bytes());
    }
}
