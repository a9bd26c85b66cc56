//! Request paths as logs carry them: strip the origin of a full URL, strip the query,
//! and collapse IDs so that `/v3/async/task-result?task_id=…` or `/v1/jobs/8f3a…/logs`
//! group into one endpoint.

use crate::lines::scan;

/// `https://host:port/path` -> `/path`; anything else unchanged.
pub fn strip_origin(path: &[u8]) -> &[u8] {
    if path.first() == Some(&b'/') {
        return path;
    }
    let Some(scheme_end) = memchr::memmem::find(path, b"://") else {
        return path;
    };
    let rest = &path[scheme_end + 3..];
    match memchr::memchr(b'/', rest) {
        Some(i) => &rest[i..],
        None => b"/",
    }
}

/// The bytes that end a request path: the query's `?` and the fragment's `#`.
pub const PATH_ENDS: [u8; 2] = [b'?', b'#'];

/// The path without its query string or fragment.
pub fn strip_query(path: &[u8]) -> &[u8] {
    // Paths are short: an inline search beats memchr's call and setup.
    let [query, fragment] = PATH_ENDS;
    match scan::find_either(query, fragment, path, 0) {
        Some(i) => &path[..i],
        None => path,
    }
}

/// The path a request is routed and grouped by: origin, query and fragment stripped.
#[inline]
pub fn request_path(path: &[u8]) -> &[u8] {
    strip_query(strip_origin(path))
}

/// What a segment that looks like an identifier becomes.
pub const ID_PLACEHOLDER: &[u8] = b"{id}";

/// Write the endpoint of `path` into `out` (cleared first): origin and query
/// stripped, identifier segments replaced by `{id}`. `out` is reused line after
/// line, so the hot loop does not allocate.
pub fn endpoint_into(path: &[u8], out: &mut Vec<u8>) {
    request_endpoint_into(request_path(path), out);
}

/// [`endpoint_into`] for a path already stripped by [`request_path`].
pub fn request_endpoint_into(path: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if path.is_empty() {
        out.push(b'/');
        return;
    }
    for (i, segment) in path.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        if looks_like_id(segment) {
            out.extend_from_slice(ID_PLACEHOLDER);
        } else {
            out.extend_from_slice(segment);
        }
    }
}

/// Numbers, UUIDs, long hex strings and long tokens mixing letters and digits are
/// identifiers; words (`task-result`, `v3`, `chat`) are not.
fn looks_like_id(segment: &[u8]) -> bool {
    if segment.is_empty() {
        return false;
    }
    // One pass over the segment, run for every path segment of every line not
    // memoised: one table lookup per byte gives all four tests.
    let (mut digits, mut letters, mut all) = (0usize, 0usize, byte_class::ALL);
    for &b in segment {
        let class = byte_class::OF[usize::from(b)];
        digits += usize::from(class & byte_class::DIGIT);
        letters += usize::from((class & byte_class::LETTER) >> 1);
        all &= class;
    }
    let hex_or_dash = all & byte_class::HEX_OR_DASH != 0;
    let token = all & byte_class::TOKEN != 0;
    digits == segment.len()
        || (hex_or_dash && segment.len() >= 8 && digits > 0)
        || (token && segment.len() >= 16 && digits >= 2 && letters > 0)
        // An API key in a path (`/v1/keys/sk-…`) is an identifier too, and never shown.
        || crate::classify::secrets::is_secret_segment(segment)
}

/// What [`looks_like_id`] asks of each byte, as bits of one table entry.
mod byte_class {
    pub const DIGIT: u8 = 1;
    pub const LETTER: u8 = 1 << 1;
    pub const HEX_OR_DASH: u8 = 1 << 2;
    /// A letter, digit, `-` or `_`.
    pub const TOKEN: u8 = 1 << 3;
    pub const ALL: u8 = DIGIT | LETTER | HEX_OR_DASH | TOKEN;

    pub const OF: [u8; 256] = {
        let mut table = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            let mut class = 0;
            if b.is_ascii_digit() {
                class |= DIGIT;
            }
            if b.is_ascii_alphabetic() {
                class |= LETTER;
            }
            if b.is_ascii_hexdigit() || b == b'-' {
                class |= HEX_OR_DASH;
            }
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                class |= TOKEN;
            }
            table[i] = class;
            i += 1;
        }
        table
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(path: &str) -> String {
        let mut out = Vec::new();
        endpoint_into(path.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn endpoints_group_ids_and_queries() {
        for (path, want) in [
            (
                "/v3/async/task-result?task_id=92d2510fbb0ec12b",
                "/v3/async/task-result",
            ),
            ("/v3/async/txt2img", "/v3/async/txt2img"),
            ("/v1/jobs/12345/logs", "/v1/jobs/{id}/logs"),
            (
                "/v1/jobs/550e8400-e29b-41d4-a716-446655440000",
                "/v1/jobs/{id}",
            ),
            ("/v1/files/92d2510fbb0ec12b", "/v1/files/{id}"),
            ("/v1/keys/sk_live_4eC39HqLyjWDarjtT1zdp7dc", "/v1/keys/{id}"),
            ("/v1/keys/sk-proj-abcdefghijkl/usage", "/v1/keys/{id}/usage"),
            ("/v1/x/api_key=abcdefgh", "/v1/x/{id}"),
            ("/v3/openai/chat/completions", "/v3/openai/chat/completions"),
            (
                "/openapi/v1/billing/bill/list#x",
                "/openapi/v1/billing/bill/list",
            ),
            (
                "https://api.example.com/v3/openai/models?x=1",
                "/v3/openai/models",
            ),
            ("/v3/remove-background/", "/v3/remove-background/"),
            ("/decade/deadbeef", "/decade/deadbeef"),
            ("", "/"),
            ("?q=1", "/"),
        ] {
            assert_eq!(endpoint(path), want, "{path}");
        }
    }

    /// The table gives the verdicts of the four byte tests written out.
    #[test]
    fn ids_by_table_same_as_by_tests() {
        fn by_tests(segment: &[u8]) -> bool {
            let digits = segment.iter().filter(|b| b.is_ascii_digit()).count();
            let letters = segment.iter().filter(|b| b.is_ascii_alphabetic()).count();
            let hex_or_dash = segment.iter().all(|&b| b.is_ascii_hexdigit() || b == b'-');
            let token = segment
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            !segment.is_empty()
                && (digits == segment.len()
                    || (hex_or_dash && segment.len() >= 8 && digits > 0)
                    || (token && segment.len() >= 16 && digits >= 2 && letters > 0)
                    || crate::classify::secrets::is_secret_segment(segment))
        }
        let alphabet = b"09afAFgz-_.~ \xff";
        let mut segment = Vec::new();
        for n in 0..20_000u32 {
            segment.clear();
            let mut x = n;
            for _ in 0..(n % 24) {
                segment.push(alphabet[(x % alphabet.len() as u32) as usize]);
                x = x.wrapping_mul(2_654_435_761).wrapping_add(n) >> 3;
            }
            assert_eq!(looks_like_id(&segment), by_tests(&segment), "{segment:?}");
        }
        for b in 0..=255u8 {
            assert_eq!(looks_like_id(&[b; 16]), by_tests(&[b; 16]), "{b}");
        }
    }

    #[test]
    fn origins_and_queries() {
        assert_eq!(strip_origin(b"http://h"), b"/");
        assert_eq!(strip_origin(b"http://h:80/a"), b"/a");
        assert_eq!(strip_origin(b"-"), b"-");
        assert_eq!(strip_query(b"/a?b#c"), b"/a");
        assert_eq!(strip_query(b"/a#c?b"), b"/a");
    }
}
