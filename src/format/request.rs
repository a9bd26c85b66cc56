//! The path a log line's path field gives, for every format: a value that is `-`
//! or empty was not logged, and a request line (nginx's `$request`, Apache's `%r`,
//! Envoy's `"%REQ(:METHOD)% %REQ(...:PATH)% %PROTOCOL%"`, a JSON or logfmt `request`
//! key) gives its target. One rule, so that the same request gives the same
//! endpoint in every format.
//!
//! A request line is `METHOD SP TARGET SP PROTOCOL`:
//! - the method is one or more ASCII letters, followed by a space;
//! - the target runs to the space before the protocol (`HTTP/…`), so a target
//!   holding a raw space stays whole; without a protocol (HTTP/0.9) it runs to the
//!   first space;
//! - runs of spaces count as one space (nginx accepts them), and the target is
//!   never empty nor `-`.
//!
//! Anything else gives no path: a TLS handshake or other binary sent to a
//! plain-HTTP port (`\x16\x03\x01…`), a lone word or path with no method, text
//! that is not a request at all. Such a line is still counted by its status, but
//! with no endpoint and no section. The target is left as written: an
//! absolute-form `http://host/path` or an asterisk-form `*` are stripped or kept by
//! [`crate::classify::path`].

/// The path of a path field's `value` as logged: `None` when it is `-` or empty,
/// or, when the value is a request line (`request_line`), when it is none
/// ([`request_target`]).
#[inline]
pub fn path_value(value: &[u8], request_line: bool) -> Option<&[u8]> {
    if matches!(value, b"" | b"-") {
        return None;
    }
    if request_line {
        request_target(value)
    } else {
        Some(value)
    }
}

/// The target of a request line `METHOD SP target SP protocol` (see the module
/// doc); `None` for a line that is not one.
#[inline]
pub fn request_target(request: &[u8]) -> Option<&[u8]> {
    let sp = match request.first_chunk::<8>() {
        Some(head) => short_method_end(head).or_else(|| method_end(request))?,
        None => method_end(request)?,
    };
    let rest = &request[sp + 1..];
    // Nearly every request line ends ` HTTP/1.1` or ` HTTP/2.0` (no space after
    // that one, so it is where the general split would cut): tested first.
    let target = match rest.split_last_chunk::<9>() {
        Some((target, [b' ', b'H', b'T', b'T', b'P', b'/', b'0'..=b'9', b'.', b'0'..=b'9'])) => {
            target
        }
        _ => target_before_protocol(rest),
    };
    usable_target(target)
}

/// A target as split out, without the spaces around it; `None` when empty or `-`.
#[inline]
fn usable_target(target: &[u8]) -> Option<&[u8]> {
    let target = match (target.first(), target.last()) {
        (Some(b' '), _) | (_, Some(b' ')) => trim_spaces(target),
        _ => target,
    };
    match target {
        b"" | b"-" => None,
        _ => Some(target),
    }
}

/// The index of the space that ends the method of a request line, when the method
/// is one or more ASCII letters.
fn method_end(request: &[u8]) -> Option<usize> {
    // The space is near the start: a byte loop beats memchr.
    let sp = request.iter().position(|&b| b == b' ')?;
    let method = &request[..sp];
    (!method.is_empty() && method.iter().all(u8::is_ascii_alphabetic)).then_some(sp)
}

/// [`method_end`] for a method of at most seven letters, read from the request
/// line's first eight bytes at once; `None` also when the first eight bytes hold no
/// space (a longer method: [`method_end`] decides). Why: the byte loops' exits
/// depend on the method's length (`GET` or `POST`), which the CPU mispredicts on
/// every other line; here no branch depends on it.
#[inline]
fn short_method_end(head: &[u8; 8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = u64::from_le_bytes(*head);
    // The high bit of each byte that is a space: exact up to the first one, which
    // is all that is read.
    let spaces = word ^ (LOW * u64::from(b' '));
    let spaces = spaces.wrapping_sub(LOW) & !spaces & HIGH;
    if spaces == 0 {
        return None;
    }
    let sp = (spaces.trailing_zeros() / 8) as usize;
    // The high bit of each byte that is an ASCII letter: below 0x80, and with the
    // lower-case bit set between `a` and `z` (the sums stay within each byte).
    let lower = (word | (LOW * 0x20)) & !HIGH;
    let letters = lower.wrapping_add(LOW * (0x80 - u64::from(b'a')))
        & !lower.wrapping_add(LOW * (0x80 - u64::from(b'z') - 1))
        & !word
        & HIGH;
    let method = HIGH & ((1u64 << (8 * sp)) - 1);
    (sp > 0 && letters & method == method).then_some(sp)
}

/// The target of `target SP protocol`, spaces around it left for
/// [`usable_target`]: split at the last space, so a target holding a raw space
/// stays whole; without a protocol (HTTP/0.9) the target is the first word.
fn target_before_protocol(rest: &[u8]) -> &[u8] {
    match rest.iter().rposition(|&b| b == b' ') {
        Some(p) if rest[p + 1..].starts_with(b"HTTP/") => &rest[..p],
        _ => (rest.split(|&b| b == b' ').find(|word| !word.is_empty())).unwrap_or_default(),
    }
}

fn trim_spaces(b: &[u8]) -> &[u8] {
    let start = b.iter().take_while(|&&c| c == b' ').count();
    let end = b.len() - b[start..].iter().rev().take_while(|&&c| c == b' ').count();
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(request: &str) -> Option<&str> {
        request_target(request.as_bytes()).map(|t| std::str::from_utf8(t).unwrap())
    }

    /// [`request_target`] without the ` HTTP/d.d` and eight-byte method shortcuts.
    fn general(request: &[u8]) -> Option<&[u8]> {
        let sp = method_end(request)?;
        usable_target(target_before_protocol(&request[sp + 1..]))
    }

    #[test]
    fn request_lines_and_what_is_not_one() {
        let cases = [
            ("GET /v3/x HTTP/1.1", Some("/v3/x")),
            ("POST /v3/x?a=1&b=2 HTTP/2.0", Some("/v3/x?a=1&b=2")),
            (
                "GET http://host:8080/v3/x HTTP/1.1",
                Some("http://host:8080/v3/x"),
            ),
            ("OPTIONS * HTTP/1.1", Some("*")),
            ("CONNECT host:443 HTTP/1.1", Some("host:443")),
            ("PROPFIND /dav HTTP/1.1", Some("/dav")),
            // HTTP/0.9: no protocol.
            ("GET /old", Some("/old")),
            // A raw space in the target keeps it whole.
            ("GET /a b HTTP/1.1", Some("/a b")),
            ("GET /x HTTP/ . ", Some("/x")),
            // Runs of spaces are one space.
            ("GET  /x  HTTP/1.1", Some("/x")),
            ("GET   /x", Some("/x")),
            ("GET /x HTTP/1.1 ", Some("/x")),
            // Not a request line.
            ("", None),
            ("-", None),
            ("GET", None),
            ("GET ", None),
            ("GET  HTTP/1.1", None),
            ("GET - HTTP/1.1", None),
            ("/v3/x", None),
            ("garbage", None),
            (" GET /x HTTP/1.1", None),
            ("M-SEARCH * HTTP/1.1", None),
            (r"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03", None),
            (r"\x16\x03\x01 \x02 HTTP/1.1", None),
            ("\u{16}\u{3}\u{1} /x HTTP/1.1", None),
        ];
        for (request, want) in cases {
            assert_eq!(target(request), want, "{request:?}");
            assert_eq!(
                general(request.as_bytes()),
                want.map(str::as_bytes),
                "{request:?}"
            );
        }
        assert_eq!(
            request_target(b"\x16\x03\x01\x02\x00\x01\xfc\x03\x03"),
            None
        );
    }

    #[test]
    fn path_values() {
        assert_eq!(path_value(b"-", false), None);
        assert_eq!(path_value(b"", false), None);
        assert_eq!(path_value(b"-", true), None);
        assert_eq!(path_value(b"/x y", false), Some(&b"/x y"[..]));
        assert_eq!(path_value(b"/x", true), None);
        assert_eq!(path_value(b"GET /x HTTP/1.1", true), Some(&b"/x"[..]));
    }

    #[test]
    fn short_method_same_as_byte_loops_for_every_byte() {
        // Every byte value at every place of a method of every length up to seven.
        for b in 0..=u8::MAX {
            for len in 1..8 {
                for at in 0..len {
                    let mut head = *b"GETXPOST";
                    head[len] = b' ';
                    head[at] = b;
                    assert_eq!(short_method_end(&head), method_end(&head), "{head:?}");
                }
            }
        }
        // A case proptest once found: spaces after the first.
        assert_eq!(short_method_end(b"AZ      "), Some(2));
    }

    proptest::proptest! {
        /// The eight-byte method check agrees with the byte loops wherever it
        /// answers, and answers for every method of up to seven bytes.
        #[test]
        fn short_method_same_as_byte_loops(head in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::Just(b' '),
                b'A'..=b'Z',
                b'a'..=b'z',
                proptest::prelude::any::<u8>(),
            ],
            8,
        )) {
            let head: [u8; 8] = head.try_into().unwrap();
            let short = short_method_end(&head);
            let general = method_end(&head);
            match short {
                Some(_) => proptest::prop_assert_eq!(short, general),
                None => proptest::prop_assert!(
                    general.is_none() || !head.contains(&b' '),
                    "{:?}", head
                ),
            }
        }

        /// The shortcuts (` HTTP/d.d`, the eight-byte method) cut where the
        /// general split does.
        #[test]
        fn request_target_shortcut_same_as_general(
            method in "(GET|POST|OPTIONS|CONNECTION|G|[A-Za-z-]{0,9}|\\x16\\x03)",
            rest in "[/a-z -]{0,6}( HTTP/[0-9 .]{0,4}|  ?HTTP/[0-9][.][0-9]|[ H]{0,2})",
        ) {
            let line = format!("{method} {rest}");
            proptest::prop_assert_eq!(
                request_target(line.as_bytes()),
                general(line.as_bytes()),
                "{:?}", line
            );
        }
    }
}
