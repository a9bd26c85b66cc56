//! Reading a key at the top level of a logged response body, as the log wrote it.
//!
//! A body is logged raw (an object in JSON lines: `"body":{"reason":"X"}`), or as a
//! string whose quotes are escaped: JSON-escaped (`"resp_body":"{\"reason\":\"X\"}"`,
//! nginx `escape=json`, APISIX) or hex-escaped (nginx's default escaping,
//! `{\x22reason\x22:\x22X\x22}`). The escaping is told from the first quote after
//! the opening brace, and each escaped byte is read back as the byte it stands for,
//! so the JSON structure (nesting, strings, escapes inside strings) is followed
//! exactly without copying the body. Nothing is allocated.

/// How the body's bytes stand for the JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escaping {
    /// The JSON text itself.
    Raw,
    /// A JSON string's contents: `\"` for `"`, `\\` for `\`, `\uXXXX`, `\n`, ….
    Json,
    /// nginx's default: `\xHH` for `"`, `\` and bytes outside printable ASCII.
    Hex,
}

/// The body's JSON text, one byte at a time, read back from its escaping.
struct Units<'a> {
    body: &'a [u8],
    at: usize,
    escaping: Escaping,
}

impl<'a> Units<'a> {
    /// Start after the body's opening `{`; `None` if the body is not an object or
    /// its escaping cannot be told.
    fn new(body: &'a [u8]) -> Option<Units<'a>> {
        let start = body.iter().position(|c| !c.is_ascii_whitespace())?;
        if body[start] != b'{' {
            return None;
        }
        let rest = &body[start + 1..];
        let first = rest.iter().position(|c| !c.is_ascii_whitespace())?;
        let escaping = match &rest[first..] {
            [b'"', ..] => Escaping::Raw,
            [b'\\', b'"', ..] => Escaping::Json,
            [b'\\', b'x', b'2', b'2', ..] => Escaping::Hex,
            _ => return None,
        };
        Some(Units {
            body,
            at: start + 1,
            escaping,
        })
    }

    /// The next byte of the JSON text and where it starts in the body.
    fn next(&mut self) -> Option<(u8, usize)> {
        let b = self.body;
        let at = self.at;
        let first = *b.get(at)?;
        let (byte, len) = match (self.escaping, first) {
            (Escaping::Json, b'\\') => match b.get(at + 1)? {
                b'u' => {
                    let hex = b.get(at + 2..at + 6)?;
                    let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    // Outside ASCII, only "not a quote, not a backslash" matters.
                    (
                        u8::try_from(code).ok().filter(u8::is_ascii).unwrap_or(0x80),
                        6,
                    )
                }
                b'n' | b't' | b'r' | b'b' | b'f' => (b' ', 2),
                &other => (other, 2),
            },
            (Escaping::Hex, b'\\') if b.get(at + 1) == Some(&b'x') => {
                let hex = b.get(at + 2..at + 4)?;
                let byte = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                (byte, 4)
            }
            (_, byte) => (byte, 1),
        };
        self.at = at + len;
        Some((byte, at))
    }

    /// Skip JSON whitespace; the next byte and where it starts.
    fn next_token(&mut self) -> Option<(u8, usize)> {
        loop {
            let (byte, at) = self.next()?;
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some((byte, at));
            }
        }
    }

    /// Read a string whose opening quote was just read; where its contents end in
    /// the body (at the closing quote), and whether they equal `wanted` (compared
    /// as JSON text, escapes read back).
    fn string(&mut self, wanted: &[u8]) -> Option<(usize, bool)> {
        let mut matched = 0;
        let mut equal = true;
        loop {
            let (byte, at) = self.next()?;
            match byte {
                b'"' => return Some((at, equal && matched == wanted.len())),
                b'\\' => {
                    // An escape inside the string: never part of a name.
                    self.next()?;
                    equal = false;
                }
                _ => {
                    equal &= wanted.get(matched) == Some(&byte);
                    matched += 1;
                }
            }
        }
    }
}

/// The contents of the string value of `key` in the body's top-level object, as
/// written in the body (still escaped, if its bytes were). `None` when the body is
/// not an object, has no such key at its top level, or the value is not a string.
/// A key nested in an object or array inside the body is not looked at.
pub fn top_level_string<'a>(body: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut units = Units::new(body)?;
    // Depth of nesting below the top-level object, and whether the next string at
    // the top level is a key.
    let mut depth = 0usize;
    let mut key_next = true;
    loop {
        let (byte, _) = units.next_token()?;
        match byte {
            b'"' if depth == 0 && key_next => {
                let (_, is_key) = units.string(key)?;
                if units.next_token()?.0 != b':' {
                    return None;
                }
                let (value, _) = units.next_token()?;
                key_next = false;
                match value {
                    b'"' => {
                        let contents = units.at;
                        let (end, _) = units.string(b"")?;
                        if is_key {
                            return Some(&body[contents..end]);
                        }
                    }
                    b'{' | b'[' => depth += 1,
                    _ => {}
                }
            }
            b'"' => {
                units.string(b"")?;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return None,
            b'}' | b']' => depth -= 1,
            b',' if depth == 0 => key_next = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(body: &[u8]) -> Option<&[u8]> {
        top_level_string(body, b"reason")
    }

    #[test]
    fn every_escaping() {
        let want = Some(&b"TASK_FAILED"[..]);
        assert_eq!(reason(br#"{"code":200,"reason":"TASK_FAILED"}"#), want);
        assert_eq!(
            reason(br#"{\"code\":200,\"reason\":\"TASK_FAILED\"}"#),
            want
        );
        assert_eq!(
            reason(br#"{\x22code\x22:200,\x22reason\x22:\x22TASK_FAILED\x22}"#),
            want
        );
        assert_eq!(reason(br#" { "reason" : "TASK_FAILED" } "#), want);
    }

    #[test]
    fn only_the_top_level() {
        for body in [
            &br#"{"task":{"reason":"X"},"code":0}"#[..],
            br#"{"choices":[{"finish_reason":"stop","reason":"Y"}]}"#,
            br#"{"finish_reason":"stop"}"#,
            br#"{\"task\":{\"reason\":\"\"}}"#,
            br#"{"a":"\"reason\":\"Z\"","b":1}"#,
            br#"{\"a\":\"x\\\"reason\\\":\\\"Z\"}"#,
            br#"{"reason":200}"#,
            br#"{"reason":{"name":"X"}}"#,
            br#"["reason","X"]"#,
            b"plain text",
            b"",
            br#"{"reason":"X"#,
        ] {
            assert_eq!(reason(body), None, "{}", String::from_utf8_lossy(body));
        }
        // After a nested object closes, the top level goes on.
        assert_eq!(
            reason(br#"{"task":{"reason":"no","x":[1,{"y":2}]},"reason":"YES"}"#),
            Some(&b"YES"[..])
        );
        assert_eq!(
            reason(br#"{\"task\":{\"reason\":\"no\"},\"reason\":\"YES\"}"#),
            Some(&b"YES"[..])
        );
    }

    #[test]
    fn escapes_inside_strings() {
        // An escaped quote inside a value does not end it, at either level.
        assert_eq!(
            reason(br#"{"m":"say \"hi\", \"reason\":\"no\"","reason":"OK_NAME"}"#),
            Some(&b"OK_NAME"[..])
        );
        assert_eq!(
            reason(br#"{\"m\":\"a \\\"q\\\" b\",\"reason\":\"OK_NAME\"}"#),
            Some(&b"OK_NAME"[..])
        );
        // A key spelled with an escape is not taken: bodies written by a JSON
        // encoder do not escape letters.
        assert_eq!(reason(br#"{"re\u0061son":"X"}"#), None);
        // The value comes back as written.
        assert_eq!(reason(br#"{"reason":"a\"b"}"#), Some(&br#"a\"b"#[..]));
    }

    #[test]
    fn any_bytes_end_cleanly() {
        // Truncated bodies and stray escapes never read past the end.
        let body = br#"{\"reason\":\"X\"}"#;
        for end in 0..body.len() {
            let _ = reason(&body[..end]);
        }
        let _ = reason(br#"{\x2"#);
        let _ = reason(br#"{"a":"\u12"#);
    }
}
