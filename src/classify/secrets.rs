//! Masking secrets in log-derived text before it reaches a report.
//!
//! Access logs can carry credentials: an `Authorization: Bearer …` header logged as
//! an error name by a misconfigured upstream, an API key in a path segment
//! (`/v1/keys/sk-…`), a `key=…` parameter that escaped the query string. Reports
//! print error names and endpoints taken from log lines, so every such string goes
//! through [`mask`] first. It keeps a short prefix, enough to tell keys apart when
//! debugging, and replaces the rest with `…`:
//!
//! | shape | example | masked |
//! |---|---|---|
//! | `Bearer` / `Basic` credentials | `Bearer eyJhbGciOi…` | `Bearer ey…` |
//! | `key=`-like parameters (`api_key`, `token`, `secret`, `password`, …), `=` or `:` | `api_key=abcd1234` | `api_key=ab…` |
//! | well-known key prefixes (`sk-`, `sk_live_`, `ghp_`, `AKIA`, `xoxb-`, JWT `eyJ`, …) | `sk-proj-4f9a8b7c6d` | `sk-pr…` |
//! | long high-entropy tokens (≥ 20 chars mixing letters and digits) | `Zm9vYmFyYmF6cXV4MTIzNDU2` | `Zm9v…` |
//!
//! Error names (`INVALID_API_KEY`, `Rate_Limit_Exceeded`) and ordinary paths do not
//! match any of these and pass unchanged.

use std::borrow::Cow;

/// What a masked value ends with.
pub const ELLIPSIS: char = '…';

/// Parameter names whose value is a secret (compared ignoring ASCII case), when
/// followed by `=` or `:`.
const SECRET_KEYS: &[&str] = &[
    "key",
    "apikey",
    "api_key",
    "api-key",
    "x-api-key",
    "access_key",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "authorization",
    "password",
    "passwd",
    "pwd",
    "signature",
    "sig",
    "session",
    "sessionid",
];

/// Scheme words of an `Authorization` value; the credential follows.
const AUTH_SCHEMES: &[&str] = &["bearer", "basic", "token", "apikey"];

/// Prefixes of well-known credential formats (case-sensitive), with the minimum
/// number of characters that must follow for a token to count.
const KEY_PREFIXES: &[(&str, usize)] = &[
    ("sk-", 8),
    ("sk_", 8),
    ("pk_live_", 8),
    ("rk_live_", 8),
    ("ghp_", 16),
    ("gho_", 16),
    ("ghu_", 16),
    ("ghs_", 16),
    ("github_pat_", 16),
    ("glpat-", 16),
    ("xoxb-", 8),
    ("xoxp-", 8),
    ("xoxa-", 8),
    ("AKIA", 12),
    ("ASIA", 12),
    ("AIza", 20),
    ("eyJ", 12),
];

/// Characters kept of a masked value (after a recognised prefix).
const KEEP: usize = 2;
/// Characters kept of a high-entropy token with no recognised prefix.
const KEEP_TOKEN: usize = 4;

/// Characters a token (key, word) is made of; anything else separates tokens.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '+')
}

/// Characters a parameter's value runs over.
fn is_value_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '&' | ';' | ',' | '"' | '\'' | '/' | '?' | '#' | '<' | '>'
        )
}

/// `text` with every secret masked; borrowed unchanged when there is none.
pub fn mask(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    // `text[copied..]` has not been written to `out` yet.
    let mut copied = 0;
    let mut i = 0;
    // After a key or an auth scheme: mask the next value.
    let mut mask_next = false;
    while i < text.len() {
        let c = text[i..].chars().next().expect("i is a char boundary");
        if !is_token_char(c) {
            i += c.len_utf8();
            continue;
        }
        // `%3Fkey=…`: a percent-escape is a separator, not part of the word.
        if text[..i].ends_with('%')
            && text[i..].len() >= 2
            && text.as_bytes()[i..i + 2].iter().all(u8::is_ascii_hexdigit)
        {
            i += 2;
            continue;
        }
        let end = text[i..]
            .find(|c: char| !is_token_char(c))
            .map_or(text.len(), |n| i + n);
        let word = &text[i..end];
        let after = &text[end..];
        if mask_next {
            // `Authorization: Bearer x`: keep the scheme, mask what follows it.
            if AUTH_SCHEMES.iter().any(|s| word.eq_ignore_ascii_case(s))
                && after.starts_with(' ')
                && after.trim_start().starts_with(is_value_char)
            {
                i = end + (after.len() - after.trim_start().len());
                continue;
            }
            mask_next = false;
            // The value runs further than a token when it holds `.`, `=` or `:`.
            let value_end = text[i..]
                .find(|c: char| !is_value_char(c))
                .map_or(text.len(), |n| i + n);
            replace(&mut out, &mut copied, text, i, value_end, KEEP);
            i = value_end;
            continue;
        }
        if let Some(sep) = key_separator(word, after) {
            mask_next = true;
            i = end + sep;
            continue;
        }
        if AUTH_SCHEMES.iter().any(|s| word.eq_ignore_ascii_case(s))
            && after.starts_with(' ')
            && after.trim_start().starts_with(is_token_char)
            && looks_like_credential(after.trim_start())
        {
            mask_next = true;
            i = end + (after.len() - after.trim_start().len());
            continue;
        }
        if let Some(prefix) = key_prefix(word) {
            replace(&mut out, &mut copied, text, i, end, prefix + KEEP);
        } else if high_entropy(word) {
            replace(&mut out, &mut copied, text, i, end, KEEP_TOKEN);
        }
        i = end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether `text` (a log-derived string) holds anything [`mask`] would hide.
pub fn has_secret(text: &str) -> bool {
    matches!(mask(text), Cow::Owned(_))
}

/// Whether a path segment holds a secret. The per-line endpoint grouping calls it,
/// so a byte-level filter first rules out the segments paths are made of (words,
/// versions): only a segment of 8 bytes or more with `=` or `:`, a long one, or one
/// starting like a known key is looked at closely.
#[inline]
pub fn is_secret_segment(segment: &[u8]) -> bool {
    if segment.len() < 8 {
        return false;
    }
    let worth_a_look = segment.len() >= 20
        || segment.iter().any(|&b| b == b'=' || b == b':')
        || (segment.len() >= 11
            && matches!(segment[0], b's' | b'p' | b'r' | b'g' | b'x' | b'A' | b'e')
            && KEY_PREFIXES
                .iter()
                .any(|(p, _)| segment.starts_with(p.as_bytes())));
    worth_a_look && std::str::from_utf8(segment).is_ok_and(has_secret)
}

/// Write `text[copied..start]`, then the first `keep` characters of
/// `text[start..end]` and `…`, and move `copied` to `end`. A value no longer than
/// `keep` is hidden whole.
fn replace(
    out: &mut String,
    copied: &mut usize,
    text: &str,
    start: usize,
    end: usize,
    keep: usize,
) {
    let value = &text[start..end];
    let kept = if value.chars().count() > keep + 2 {
        value
            .char_indices()
            .nth(keep)
            .map_or(value.len(), |(n, _)| n)
    } else {
        0
    };
    out.push_str(&text[*copied..start]);
    out.push_str(&value[..kept]);
    out.push(ELLIPSIS);
    *copied = end;
}

/// If `word` is a secret parameter name followed by `=` or `:` (with optional
/// quotes and spaces, as in `"api_key": "…"`) and then a value, the length of that
/// separator.
fn key_separator(word: &str, after: &str) -> Option<usize> {
    if !SECRET_KEYS.iter().any(|k| word.eq_ignore_ascii_case(k)) {
        return None;
    }
    let rest = after.strip_prefix('"').unwrap_or(after);
    let rest = rest.strip_prefix(['=', ':']).or_else(|| {
        // Percent-encoded: `%3D` (=) or `%3A` (:), either case.
        let escape = rest.get(..3)?;
        ["%3D", "%3A"]
            .iter()
            .any(|e| escape.eq_ignore_ascii_case(e))
            .then(|| &rest[3..])
    })?;
    let rest = rest.trim_start_matches([' ', '"', '\'']);
    rest.starts_with(|c: char| is_value_char(c))
        .then_some(after.len() - rest.len())
}

/// The length of the well-known prefix `word` starts with, if it is long enough to
/// be a key.
fn key_prefix(word: &str) -> Option<usize> {
    KEY_PREFIXES
        .iter()
        .find(|(p, min)| word.starts_with(p) && word.len() >= p.len() + min)
        .map(|(p, _)| p.len())
}

/// What follows an auth scheme: a credential, not prose (`token expired`).
fn looks_like_credential(s: &str) -> bool {
    let word: &str = s.split(|c: char| !is_value_char(c)).next().unwrap_or("");
    word.len() >= 8
        && word
            .chars()
            .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// A long token mixing character kinds the way random keys do: at least 20
/// characters with letters and at least 2 digits, and both cases or at least 32
/// characters. Words, `UPPER_SNAKE` names and version strings are not.
fn high_entropy(word: &str) -> bool {
    if word.len() < 20 {
        return false;
    }
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    let upper = word.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = word.bytes().filter(u8::is_ascii_lowercase).count();
    if digits < 2 || upper + lower < 2 {
        return false;
    }
    (upper > 0 && lower > 0) || word.len() >= 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_shapes_are_masked() {
        for (input, want) in [
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
                "Bearer ey…",
            ),
            (
                "Authorization: Bearer abcdEFGH1234",
                "Authorization: Bearer ab…",
            ),
            (
                "authorization=Basic dXNlcjpwYXNz",
                "authorization=Basic dX…",
            ),
            ("sk-proj-4f9a8b7c6d5e", "sk-pr…"),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_li…"),
            ("/v1/keys/sk-abcdefghijkl/usage", "/v1/keys/sk-ab…/usage"),
            ("/v1/x;api_key=abcd1234&y=2", "/v1/x;api_key=ab…&y=2"),
            ("/v1/x%3Fkey=abcd1234", "/v1/x%3Fkey=ab…"),
            ("/v1/x%3fapi_key%3Dabcd1234", "/v1/x%3fapi_key%3Dab…"),
            ("key=AIzaSyA-1234567890abcdefgh", "key=AI…"),
            ("KEY=hunter2hunter2", "KEY=hu…"),
            (r#"{"api_key": "abc123xyz"}"#, r#"{"api_key": "ab…"}"#),
            ("token:abcdefgh", "token:ab…"),
            ("password=x", "password=…"),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_ab…"),
            ("AKIAIOSFODNN7EXAMPLE", "AKIAIO…"),
            ("Zm9vYmFyYmF6cXV4MTIzNDU2", "Zm9v…"),
            (
                "req 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b done",
                "req 9f86… done",
            ),
            (
                "two sk-aaaaaaaaaa and sk-bbbbbbbbbb",
                "two sk-aa… and sk-bb…",
            ),
        ] {
            assert_eq!(mask(input), want, "{input}");
            assert!(has_secret(input), "{input}");
        }
    }

    #[test]
    fn names_and_paths_pass_unchanged() {
        for text in [
            "INVALID_API_KEY",
            "ANONYMOUS_ACCESS_QUOTA_EXCEEDS",
            "Rate_Limit_Exceeded",
            "invalid_api_key",
            "CONTEXT_LENGTH_EXCEEDED",
            "/v3/async/task-result",
            "/openapi/v1/billing/bill/list",
            "/v1/jobs/{id}/logs",
            "/v3/openai/chat/completions",
            "token expired",
            "Bearer",
            "key",
            "key=",
            "skip-this",
            "sk-short",
            "名称",
            "",
            "x\u{1b}[31mred",
        ] {
            assert!(matches!(mask(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn secret_segments() {
        for segment in [
            "sk-proj-abcdefghijkl",
            "api_key=abcdefgh",
            "x%3Fkey=abcd1234",
            "ghp_abcdefghijklmnopqrstuv",
        ] {
            assert!(is_secret_segment(segment.as_bytes()), "{segment}");
        }
        for segment in [
            "completions",
            "task-result",
            "v3",
            "key=abc",
            "remove-background",
            "sk-short1",
        ] {
            assert!(!is_secret_segment(segment.as_bytes()), "{segment}");
        }
        // The first-byte filter matches the prefixes' first bytes.
        for (prefix, _) in KEY_PREFIXES {
            assert!(matches!(
                prefix.as_bytes()[0],
                b's' | b'p' | b'r' | b'g' | b'x' | b'A' | b'e'
            ));
        }
    }

    #[test]
    fn multibyte_text_around_secrets() {
        assert_eq!(mask("密钥 sk-проверка123456 结束"), "密钥 sk-пр… 结束");
        assert_eq!(mask("é key=ü€€€€€€ x"), "é key=ü€… x");
    }
}
