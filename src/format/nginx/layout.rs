//! The fast split for nginx's own layouts: `combined`, and the `gateway` preset that
//! extends it with `$request_time "$upstream_http_x_error_code"`.
//!
//! The compiled walk ([`super::NginxFormat::parse`]) is general: for each variable
//! it reads which literal ends it, searches for that literal's first byte, compares
//! the rest, checks for an escaped quote, and stores the value under whatever roles
//! the variable plays. For these two layouts, with the roles nginx's variable names
//! give them, all of that is known when the format is compiled, so [`Layout::split`]
//! is the same walk written out: each search is for a fixed byte, each check a
//! constant, and each value goes straight to its role. It only takes lines that
//! split the plain way (no backslash before a closing quote, a three-digit status,
//! each literal where the first search puts it); any other line returns `None` and
//! the walk reads it, so results never differ. The tests and the `nginx_line` fuzz
//! target compare both on any line.
//!
//! The quotes come from `next_quote`: a search for each ([`search_quotes`]), or,
//! in the pipeline, the line's quotes as [`crate::lines::index`] lists them, read in
//! order ([`super::NginxFormat::parse_quoted`]). Listed quotes need no search, and
//! so no branch on how far the next quote is (a branch the CPU mispredicted): more
//! instructions, less time (figures in docs/performance.md).
//!
//! Why: on the default format this takes instructions and time off every gateway
//! line (figures in docs/performance.md). A first version that handed each value to
//! the generic role store through a callback kept most of the cost; one that wrote
//! spans into an array and stored them afterwards was slower than the walk (the
//! reads stalled on store forwarding).

use super::{role, RawValues};
use crate::format::three_digit_status;
use crate::lines::scan::find_byte;

/// The literals after the gateway preset's first ten variables, in order. The
/// `combined` format shares the first five (up to and including `$status`'s).
const GATEWAY_LITERALS: [&str; 10] = [
    " - ", " [", "] \"", "\" ", " ", " \"", "\" \"", "\" ", " \"", "\"",
];

/// The roles of those ten variables when no `--field` moves one: the split stores
/// each value straight into its role.
const GATEWAY_ROLES: [u8; 10] = [
    0,
    0,
    role::TIME,
    role::PATH,
    role::STATUS,
    0,
    0,
    0,
    role::LATENCY,
    role::NAME,
];

/// A layout whose values the fast split can place. Only the variables up to the
/// last one that plays a role are split, as in the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// `$remote_addr - $remote_user [$time_local] "$request" $status `: the five
    /// variables of `combined` that can play a role.
    Combined,
    /// The ten variables of the gateway preset, up to its error name.
    Gateway,
}

impl Layout {
    /// The layout of a format with no text before its first variable, whose
    /// variables are followed by `literals` and play `roles` (up to the last one
    /// that plays a role). The last one's literal need only start as the layout's
    /// does: the rest of it is checked on each line.
    pub(super) fn detect(prefix: &[u8], literals: &[&[u8]], roles: &[u8]) -> Option<Layout> {
        let needed = roles.len();
        let layout = match needed {
            5 => Layout::Combined,
            10 => Layout::Gateway,
            _ => return None,
        };
        let matches = prefix.is_empty()
            && roles == &GATEWAY_ROLES[..needed]
            && literals.len() >= needed
            && literals[..needed - 1]
                .iter()
                .zip(GATEWAY_LITERALS)
                .all(|(have, want)| *have == want.as_bytes())
            && literals[needed - 1].first() == GATEWAY_LITERALS[needed - 1].as_bytes().first();
        matches.then_some(layout)
    }

    /// Split `line` (without its line ending) and store the values that play a
    /// role in `raw`. `None` when the line is not a plain one and the walk must
    /// split it (`raw` may hold some values by then). `last_tail` tells whether
    /// the rest of the literal after the last split variable (after its first
    /// byte) is at an index of the line.
    ///
    /// `next_quote(from)` gives the line's next quote, which must be at `from` or
    /// later: [`search_quotes`] searches for the first one, and a list of the
    /// line's quotes read in order gives the same answers (see
    /// [`super::NginxFormat::parse_quoted`]). Each call starts after the quote the
    /// last call gave, with no quote between, so the two agree.
    #[inline(always)]
    pub(super) fn split<'a>(
        self,
        line: &'a [u8],
        mut next_quote: impl FnMut(usize) -> Option<usize>,
        last_tail: impl Fn(usize) -> bool,
        raw: &mut RawValues<'a>,
    ) -> Option<()> {
        // `$remote_addr - $remote_user [`.
        let addr_end = find_byte(b' ', line, 0)?;
        if line.get(addr_end + 1..addr_end + 3)? != b"- " {
            return None;
        }
        let user_start = addr_end + 3;
        let user_end = find_byte(b' ', line, user_start)?;
        if line.get(user_end + 1)? != &b'[' {
            return None;
        }
        let time_start = user_end + 2;
        // `$time_local] "`: a `] "` at `time_start` or later has its quote at
        // `time_start + 2` or later; the first such quote ends the time when `] `
        // comes before it.
        let request_start = next_quote(time_start + 2)? + 1;
        if line[request_start - 3..request_start - 1] != *b"] " {
            return None;
        }
        raw.set(role::TIME, &line[time_start..request_start - 3]);
        // `$request" $status `: the status is three digits and a space.
        let request_end = closing_quote(line, next_quote(request_start)?)?;
        let status = request_end + 2;
        let status_bytes = line.get(request_end + 1..status + 4)?;
        if status_bytes[0] != b' ' || status_bytes[4] != b' ' {
            return None;
        }
        raw.status = Some(three_digit_status(&status_bytes[1..4])?);
        raw.set(role::PATH, &line[request_start..request_end]);
        if self == Layout::Combined {
            return last_tail(status + 4).then_some(());
        }
        // `$body_bytes_sent "$http_referer" "$http_user_agent" `.
        let bytes_start = status + 4;
        let referer_start = spaced_quote(line, bytes_start, next_quote(bytes_start)?)? + 1;
        let referer_end = closing_quote(line, next_quote(referer_start)?)?;
        // ` "`: the next quote right after a space.
        if next_quote(referer_end + 1)? != referer_end + 2 || line[referer_end + 1] != b' ' {
            return None;
        }
        let agent_start = referer_end + 3;
        let agent_end = closing_quote(line, next_quote(agent_start)?)?;
        if line.get(agent_end + 1)? != &b' ' {
            return None;
        }
        // `$request_time "$upstream_http_x_error_code"`.
        let time_taken = agent_end + 2;
        let name_start = spaced_quote(line, time_taken, next_quote(time_taken)?)? + 1;
        let name_end = closing_quote(line, next_quote(name_start)?)?;
        raw.set(role::LATENCY, &line[time_taken..name_start - 2]);
        raw.set(role::NAME, &line[name_start..name_end]);
        last_tail(name_end + 1).then_some(())
    }
}

/// The first quote of `line` at `from` or later: [`Layout::split`]'s `next_quote`
/// when the line's quotes are not listed.
#[inline(always)]
pub(super) fn search_quotes(line: &[u8]) -> impl FnMut(usize) -> Option<usize> + '_ {
    |from| find_byte(b'"', line, from.min(line.len()))
}

/// The quote at `at`, when it can close a quoted value: when no backslash is
/// right before it (one could escape it: such lines go to the walk, which reads
/// escapes). The byte before is the opening quote when the value is empty.
#[inline(always)]
fn closing_quote(line: &[u8], at: usize) -> Option<usize> {
    (line[at - 1] != b'\\').then_some(at)
}

/// The quote at `at` (the first at `from` or later), when it opens a quoted value
/// after an unquoted one starting at `from`: when a space is right before it and
/// not before `from`.
#[inline(always)]
fn spaced_quote(line: &[u8], from: usize, at: usize) -> Option<usize> {
    (at > from && line[at - 1] == b' ').then_some(at)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::format::nginx::tests::{combined, gateway, with_fields};
    use crate::format::nginx::{preset, NginxFormat};

    fn compile(format: &str, fields: &[&str]) -> NginxFormat {
        with_fields(format, fields).unwrap()
    }

    /// Whether the fast split takes `line` whole.
    fn splits(f: &NginxFormat, line: &[u8]) -> bool {
        let layout = f.layout.expect("a known layout");
        let last = f.vars[f.needed - 1].end.as_ref().unwrap();
        let mut raw = RawValues::default();
        layout
            .split(
                line,
                search_quotes(line),
                |at| last.tail_at(line, at),
                &mut raw,
            )
            .is_some()
    }

    const LINE: &str = r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2img?x=1 HTTP/1.1" 403 98 "https://example.com/" "Mozilla/5.0 (X11)" 0.012 "INVALID_API_KEY""#;

    #[test]
    fn detects_the_presets_and_formats_that_extend_them() {
        assert_eq!(gateway().layout, Some(Layout::Gateway));
        assert_eq!(combined().layout, Some(Layout::Combined));
        let extended = format!("{} $upstream_addr", preset("gateway").unwrap());
        assert_eq!(compile(&extended, &[]).layout, Some(Layout::Gateway));
        let extended = format!("{} rt=$request_time", preset("combined").unwrap());
        // `$request_time` plays a role after `$status`: not the combined layout.
        assert_eq!(compile(&extended, &[]).layout, None);
    }

    #[test]
    fn other_roles_or_literals_get_the_walk() {
        let gw = preset("gateway").unwrap();
        assert_eq!(compile(gw, &["name=$http_referer"]).layout, None);
        assert_eq!(
            compile(gw, &["latency=$request_time:ms"]).layout,
            Some(Layout::Gateway)
        );
        assert_eq!(compile(&format!("x {gw}"), &[]).layout, None);
        assert_eq!(compile(&gw.replace("] \"", "]  \""), &[]).layout, None);
        assert_eq!(
            compile(r#"$status "$upstream_http_x_error_code""#, &[]).layout,
            None
        );
    }

    #[test]
    fn takes_plain_lines_and_leaves_the_rest_to_the_walk() {
        let (gw, co) = (gateway(), combined());
        assert!(splits(&gw, LINE.as_bytes()));
        assert!(splits(&co, LINE.as_bytes()));
        let line = LINE.replace(r#""INVALID_API_KEY""#, r#""INVALID_API_KEY" "trace" 1"#);
        assert!(splits(&gw, line.as_bytes()));
        for (from, to) in [
            ("Mozilla/5.0 (X11)", r#"Mozilla \"q\""#), // an escaped quote
            ("403", "4030"),                           // not three digits
            ("403", "600"),                            // out of range
            ("\"https://example.com/\"", "\"a\"b\""),  // a quote inside
            ("0.012", "0.012\""),                      // a quote, no space before
            (" - - ", " -x- "),                        // no ` - ` after the address
        ] {
            let line = LINE.replace(from, to);
            assert!(!splits(&gw, line.as_bytes()), "{line}");
            let walked = gw.without_layout().parse(line.as_bytes());
            assert_eq!(gw.parse(line.as_bytes()), walked);
            assert_eq!(gw.parse_listing_quotes(line.as_bytes()), walked);
        }
    }

    #[test]
    fn takes_every_well_formed_generated_line() {
        let log =
            crate::generate::Generator::log(crate::generate::GenerateFormat::Gateway, 7, 2_000);
        let (gw, co) = (gateway(), combined());
        let mut taken = 0;
        for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            for f in [&gw, &co] {
                let walked = f.without_layout().parse(line);
                assert_eq!(f.parse(line), walked);
                assert_eq!(f.parse_listing_quotes(line), walked);
            }
            // The generator writes some malformed lines on purpose; every other
            // line is a plain one.
            if gw.without_layout().parse(line).is_ok() {
                assert!(splits(&gw, line), "{}", String::from_utf8_lossy(line));
                assert!(splits(&co, line));
                taken += 1;
            }
        }
        assert!(taken > 1_900, "{taken}");
    }

    /// A gateway line with a few bytes replaced or inserted (quotes, spaces,
    /// backslashes, brackets, digits: the bytes that matter to the split), and
    /// sometimes cut short.
    fn mutated_line() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            Just(b'"'),
            Just(b' '),
            Just(b'\\'),
            Just(b']'),
            Just(b'['),
            Just(b'-'),
            Just(b'5'),
            Just(b'x'),
        ];
        let edits = proptest::collection::vec((0..LINE.len(), byte, any::<bool>()), 0..4);
        let cut = proptest::option::weighted(0.25, 0..=LINE.len());
        (edits, cut).prop_map(|(edits, cut)| {
            let mut line = LINE.as_bytes().to_vec();
            for (at, b, insert) in edits {
                let at = at.min(line.len());
                if insert {
                    line.insert(at, b);
                } else if at < line.len() {
                    line[at] = b;
                }
            }
            if let Some(cut) = cut {
                line.truncate(cut);
            }
            line
        })
    }

    proptest! {
        #[test]
        fn same_fields_as_the_walk(line in mutated_line()) {
            for f in [gateway(), combined()] {
                let walked = f.without_layout().parse(&line);
                prop_assert_eq!(f.parse(&line), walked);
                prop_assert_eq!(f.parse_listing_quotes(&line), walked);
            }
        }
    }
}
