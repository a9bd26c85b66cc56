//! nginx text logs: a `log_format` string compiled into a line parser.
//!
//! Compiling splits the format into literal text and variables (`$name`, `${name}`)
//! and decides which variable plays which role (status, error name, path, latency,
//! time, response body), from well-known nginx variable names or `--field` overrides.
//!
//! Parsing walks the compiled variables once: each value runs up to the next
//! occurrence of the literal that follows it in the format. Nothing is allocated
//! per line; values borrow from the line.
//!
//! Why the hot loop looks the way it does: a gateway line is ~150 bytes split into
//! eleven short values, so calling `memchr`/`memcmp` per value spends more time in
//! call and setup overhead than in searching. The search for a literal's first byte
//! is therefore inlined, sixteen bytes at a time ([`crate::lines::scan`]), with
//! `memchr` taking over only for long values (long URLs and user agents); literal
//! tails (one or two bytes) are compared inline; and variables after the last one
//! that plays a role are never split at all.
//!
//! Formats in nginx's own layouts (`combined`, and the `gateway` preset built on it)
//! are split by [`layout`] first: the same walk written out for that layout, which
//! hands any line that is not a plain one back to the walk.

mod layout;

use layout::Layout;

use super::request::path_value;
use super::{text_status, FieldKey, FieldOverride, FieldUnit, Fields, Malformed};
use crate::error::{Error, Result};
use crate::format::timestamp::{self, DurationUnit, TimeUnit};
use crate::lines::scan;

/// Named formats: (name, log_format string, what it is).
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "gateway",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$upstream_http_x_error_code""#,
        "nginx combined + $request_time and the upstream's X-Error-Code header (the default)",
    ),
    (
        "combined",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        "nginx's predefined combined format (no latency, no error name)",
    ),
];

/// The `log_format` string of a preset.
pub fn preset(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|p| p.0 == name).map(|p| p.1)
}

/// Variables whose value is a logged response body, searched for the error name
/// when no header variable carries it.
const BODY_VARIABLES: &[&str] = &["resp_body", "response_body", "upstream_response_body"];

/// A compiled nginx `log_format`.
#[derive(Debug, Clone)]
pub struct NginxFormat {
    name: String,
    /// Literal text before the first variable; every line must start with it.
    prefix: Box<[u8]>,
    /// The variables in format order, each with the literal that ends its value.
    vars: Box<[Variable]>,
    roles: Roles,
    /// The roles each variable plays, by index into `vars` (a [`role`] bit set).
    var_roles: Box<[u8]>,
    /// Variables from this index on play no role: a line is split no further.
    needed: usize,
    /// nginx's own layout, when the format has it: such lines are split by
    /// [`Layout::split`], and by the walk only when that declines.
    layout: Option<Layout>,
}

/// Bits of [`NginxFormat::var_roles`].
mod role {
    pub const STATUS: u8 = 1;
    pub const NAME: u8 = 1 << 1;
    pub const BODY: u8 = 1 << 2;
    pub const PATH: u8 = 1 << 3;
    pub const LATENCY: u8 = 1 << 4;
    pub const TIME: u8 = 1 << 5;
}

#[derive(Debug, Clone)]
struct Variable {
    name: String,
    /// The literal that follows the value; `None` for a last variable with no
    /// literal after it, whose value ends at the first space or the end of the line.
    end: Option<Literal>,
    /// The value sits between quotes, so a closing `"` may be escaped as `\"`
    /// (`escape=json`) inside it.
    quoted: bool,
}

/// A literal of the format, split where the walk needs it: its first byte is
/// searched for, the rest compared.
#[derive(Debug, Clone)]
struct Literal {
    first: u8,
    tail: Box<[u8]>,
    /// The tail's first eight bytes (at most) as a little-endian word, and the mask
    /// of the bytes it has: one load and one compare test a short tail.
    word: u64,
    mask: u64,
}

impl Literal {
    fn new(first: u8, tail: &[u8]) -> Literal {
        let mut bytes = [0u8; 8];
        let n = tail.len().min(8);
        bytes[..n].copy_from_slice(&tail[..n]);
        let mask = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        Literal {
            first,
            tail: tail.into(),
            word: u64::from_le_bytes(bytes),
            mask,
        }
    }

    /// Whether `line[at..]` starts with the tail. Where eight bytes are left, a
    /// tail of up to eight bytes is one masked word compare (the tails of real
    /// formats are one or two bytes: `" "`, `] "`); near the end of the line, or
    /// for a longer tail, the bytes are compared one by one.
    #[inline(always)]
    fn tail_at(&self, line: &[u8], at: usize) -> bool {
        match line.get(at..at + 8) {
            Some(w) if self.tail.len() <= 8 => {
                let w = u64::from_le_bytes(w.try_into().expect("eight bytes"));
                w & self.mask == self.word
            }
            _ => starts_with_short(&line[at..], &self.tail),
        }
    }
}

/// Which variable (index into `vars`) plays each role.
#[derive(Debug, Clone)]
struct Roles {
    status: usize,
    name: Option<usize>,
    body: Option<usize>,
    path: Option<PathSource>,
    latency: Option<LatencySource>,
    time: Option<TimeSource>,
}

#[derive(Debug, Clone, Copy)]
struct PathSource {
    var: usize,
    /// The value is a whole request line (`$request`): take its target
    /// ([`super::request`]).
    request_line: bool,
}

#[derive(Debug, Clone, Copy)]
struct LatencySource {
    var: usize,
    unit: DurationUnit,
    /// `$upstream_*_time` values list one time per upstream tried; they are summed.
    list: bool,
}

#[derive(Debug, Clone, Copy)]
struct TimeSource {
    var: usize,
    parser: TimeParser,
}

#[derive(Debug, Clone, Copy)]
enum TimeParser {
    /// `$time_local`: `10/Oct/2000:13:55:36 -0700`.
    Local,
    /// `$time_iso8601`.
    Iso8601,
    /// A unit given with `--field time=VAR:UNIT`, or epoch seconds for `$msec`.
    Unit(TimeUnit),
    /// A `--field time=VAR` without a unit: either text layout.
    AutoText,
}

/// Raw values of one line, by role. Empty means "not read" or "logged empty";
/// both are absent.
#[derive(Default)]
struct RawValues<'a> {
    status: Option<u16>,
    /// By [`role`] bit, from `NAME` on: see [`RawValues::get`].
    values: [&'a [u8]; 5],
}

impl<'a> RawValues<'a> {
    /// The value of the role with bit `role` (not `STATUS`).
    #[inline]
    fn get(&self, role: u8) -> &'a [u8] {
        self.values[role.trailing_zeros() as usize - 1]
    }

    /// Set the value of the role with bit `role` (not `STATUS`).
    #[inline(always)]
    fn set(&mut self, role: u8, value: &'a [u8]) {
        self.values[role.trailing_zeros() as usize - 1] = value;
    }
}

impl NginxFormat {
    /// Compile `format` (named `name` in reports).
    pub fn compile_named(
        name: &str,
        format: &str,
        fields: &[FieldOverride],
    ) -> Result<NginxFormat> {
        let (prefix, pieces) = split_format(format)?;
        let var_names: Vec<&str> = pieces.iter().map(|(v, _)| v.as_str()).collect();
        let roles = assign_roles(&var_names, fields)?;
        let var_roles: Box<[u8]> = (0..pieces.len()).map(|i| roles.of(i)).collect();
        let needed = var_roles.iter().rposition(|&r| r != 0).map_or(0, |i| i + 1);
        let mut vars = Vec::with_capacity(pieces.len());
        let literals: Vec<&[u8]> = pieces.iter().map(|(_, after)| after.as_bytes()).collect();
        let layout = Layout::detect(prefix.as_bytes(), &literals, &var_roles[..needed]);
        let mut before: &str = &prefix;
        for (var_name, after) in &pieces {
            vars.push(Variable {
                name: var_name.clone(),
                end: after
                    .as_bytes()
                    .split_first()
                    .map(|(&first, tail)| Literal::new(first, tail)),
                quoted: before.ends_with('"') && after.starts_with('"'),
            });
            before = after;
        }
        Ok(NginxFormat {
            name: name.to_string(),
            prefix: prefix.into_bytes().into_boxed_slice(),
            vars: vars.into_boxed_slice(),
            roles,
            var_roles,
            needed,
            layout,
        })
    }

    /// The same format split by the walk alone, as if it had no known layout: the
    /// reference the fast split is tested (and fuzzed) against.
    #[doc(hidden)]
    pub fn without_layout(&self) -> NginxFormat {
        NginxFormat {
            layout: None,
            ..self.clone()
        }
    }

    /// Whether `line` begins as this format's lines do: with its prefix, then the
    /// literals after its first two variables, in order. A cut record does; a
    /// program's own message (`Configuration complete; ready for start up`) does
    /// not. See [`super::envelope::not_access`].
    pub fn starts_like(&self, line: &[u8]) -> bool {
        let Some(mut rest) = line.strip_prefix(&self.prefix[..]) else {
            return false;
        };
        for v in self.vars.iter().take(2) {
            let Some(end) = &v.end else {
                return true;
            };
            let mut literal = vec![end.first];
            literal.extend_from_slice(&end.tail);
            match memchr::memmem::find(rest, &literal) {
                Some(at) => rest = &rest[at + literal.len()..],
                None => return false,
            }
        }
        true
    }

    /// Whether one of the written-out layouts (`combined`, `gateway`) reads its lines.
    pub fn has_layout(&self) -> bool {
        self.layout.is_some()
    }

    /// The name it was compiled under (a preset's, or what the caller named a custom format).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The latency variable and its unit, e.g. `$request_time (s)`.
    pub fn latency_source(&self) -> Option<String> {
        self.roles
            .latency
            .map(|l| format!("${} ({})", self.vars[l.var].name, l.unit.as_str()))
    }

    /// Parse one line (without its `\n`). Fields the line carries after the end of
    /// the format are ignored; a line cut short after its status gives the fields
    /// read so far.
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        self.parse_with(line, layout::search_quotes)
    }

    /// [`NginxFormat::parse`] given the positions of the line's quotes, in order,
    /// as `base` plus their index in the line (from a [`crate::lines::index`]); lines
    /// in nginx's own layouts are then split without searching.
    pub fn parse_quoted<'a>(
        &self,
        line: &'a [u8],
        quotes: &[u32],
        base: u32,
    ) -> Result<Fields<'a>, Malformed> {
        self.parse_with(line, |_| {
            let mut listed = quotes.iter();
            move |from| {
                let at = (listed.next()? - base) as usize;
                (at >= from).then_some(at)
            }
        })
    }

    /// [`NginxFormat::parse_quoted`] with the line's quotes found byte by byte and
    /// listed from a base as a line index lists them: what the tests and fuzz
    /// targets compare with [`NginxFormat::parse`].
    #[doc(hidden)]
    pub fn parse_listing_quotes<'a>(&self, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        // Any base will do; 3 keeps line offsets and listed positions apart.
        let base = 3;
        let quotes: Vec<u32> = (line.iter().enumerate())
            .filter(|&(_, &b)| b == b'"')
            .map(|(i, _)| i as u32 + base)
            .collect();
        self.parse_quoted(line, &quotes, base)
    }

    /// [`NginxFormat::parse`], and whether the format, laid over the line, finds a
    /// latency or time variable holding text that is none (a path where a duration
    /// belongs): the sign that the line is another format's, whose fields only line
    /// up by count. Auto-detection ([`super::detect`]) does not take such a line as
    /// a fit, even when the format matches it whole; the parse itself reads the
    /// value as absent (a time so read is counted as unreadable).
    pub fn parse_checking<'a>(&self, line: &'a [u8]) -> Result<(Fields<'a>, bool), Malformed> {
        let (status, raw) = self.split_with(line, layout::search_quotes)?;
        let fields = self.finish(status, &raw);
        let bad_latency = fields.latency_us.is_none()
            && self.roles.latency.is_some()
            && present(raw.get(role::LATENCY)).is_some();
        Ok((fields, bad_latency || fields.bad_time))
    }

    /// The parse, with `quotes(line)` giving [`Layout::split`]'s `next_quote`.
    #[inline(always)]
    fn parse_with<'a, Q: FnMut(usize) -> Option<usize>>(
        &self,
        line: &'a [u8],
        quotes: impl FnOnce(&'a [u8]) -> Q,
    ) -> Result<Fields<'a>, Malformed> {
        let (status, raw) = self.split_with(line, quotes)?;
        Ok(self.finish(status, &raw))
    }

    /// The line's status and the values that play a role, split by the layout when
    /// there is one (`quotes` as in [`NginxFormat::parse_with`]), else by the walk.
    #[inline(always)]
    fn split_with<'a, Q: FnMut(usize) -> Option<usize>>(
        &self,
        line: &'a [u8],
        quotes: impl FnOnce(&'a [u8]) -> Q,
    ) -> Result<(u16, RawValues<'a>), Malformed> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Err(Malformed::EmptyLine);
        }
        let mut raw = RawValues::default();
        let split = self.layout.and_then(|layout| {
            let last = self.vars[self.needed - 1].end.as_ref()?;
            layout.split(line, quotes(line), |at| last.tail_at(line, at), &mut raw)
        });
        if split.is_none() {
            raw = RawValues::default();
            self.walk(line, &mut raw)?;
        }
        let status = raw.status.ok_or(Malformed::NoMatch)?;
        Ok((status, raw))
    }

    /// Split `line` by walking the compiled variables, each value up to the literal
    /// after it, and store the values that play a role in `raw`.
    fn walk<'a>(&self, line: &'a [u8], raw: &mut RawValues<'a>) -> Result<(), Malformed> {
        if !starts_with_short(line, &self.prefix) {
            return Err(Malformed::NoMatch);
        }
        let mut from = self.prefix.len();
        // Variables after the last one with a role cannot change the result (a
        // missing terminator there would only end the walk), so they are not split.
        for (i, var) in self.vars[..self.needed].iter().enumerate() {
            // A missing terminator means the line ends early: a half-read value
            // (`INVALID_API_K`) is worse than none, so it is dropped.
            let Some((end, next)) = var.split_at(line, from) else {
                // Except a status cut right at its end: three digits are whole.
                if i == self.roles.status {
                    raw.status = text_status(&line[from..]).ok();
                }
                break;
            };
            store(self.var_roles[i], &line[from..end], raw)?;
            from = next;
        }
        Ok(())
    }

    /// Turn the raw values into [`Fields`]: parse numbers and times, pick the path
    /// out of a request line, fall back to the body for the error name.
    fn finish<'a>(&self, status: u16, raw: &RawValues<'a>) -> Fields<'a> {
        let r = &self.roles;
        let name = super::non_empty_name(raw.get(role::NAME)).or_else(|| {
            // Only look into the body when the format logs one: most formats do not.
            r.body
                .and_then(|_| present(raw.get(role::BODY)))
                .and_then(|body| super::name_in_body(status, body))
        });
        let path = r
            .path
            .and_then(|p| path_value(raw.get(role::PATH), p.request_line));
        let (time_ms, bad_time) = self.time(raw);
        Fields {
            status,
            name,
            path,
            latency_us: self.latency(raw).flatten(),
            time_ms,
            bad_time,
        }
    }

    /// The latency of a line: `None` when the format or the line logs none,
    /// `Some(None)` when its value is not a duration.
    #[inline(always)]
    fn latency(&self, raw: &RawValues<'_>) -> Option<Option<u64>> {
        let l = self.roles.latency?;
        present(raw.get(role::LATENCY)).map(|v| parse_latency(v, l))
    }

    /// The time of a line, and whether it logs one that cannot be read.
    #[inline(always)]
    fn time(&self, raw: &RawValues<'_>) -> (Option<i64>, bool) {
        match (self.roles.time, present(raw.get(role::TIME))) {
            (Some(t), Some(v)) => {
                let ms = parse_time_value(v, t.parser);
                (ms, ms.is_none())
            }
            _ => (None, false),
        }
    }
}

impl Roles {
    /// The [`role`] bits of variable `i`.
    fn of(&self, i: usize) -> u8 {
        let mut bits = 0;
        for (plays, bit) in [
            (self.status == i, role::STATUS),
            (self.name == Some(i), role::NAME),
            (self.body == Some(i), role::BODY),
            (self.path.is_some_and(|p| p.var == i), role::PATH),
            (self.latency.is_some_and(|l| l.var == i), role::LATENCY),
            (self.time.is_some_and(|t| t.var == i), role::TIME),
        ] {
            if plays {
                bits |= bit;
            }
        }
        bits
    }
}

/// Record `value` under every role in `roles`. The status is checked here so a bad
/// one fails the line at once.
#[inline]
fn store<'a>(roles: u8, value: &'a [u8], raw: &mut RawValues<'a>) -> Result<(), Malformed> {
    if roles == 0 {
        return Ok(());
    }
    if roles & role::STATUS != 0 {
        raw.status = Some(text_status(value)?);
    }
    // Each other role bit, lowest first.
    let mut others = roles & !role::STATUS;
    while others != 0 {
        raw.values[others.trailing_zeros() as usize - 1] = value;
        others &= others - 1;
    }
    Ok(())
}

impl Variable {
    /// Where this variable's value, starting at `line[from..]`, ends, and where the
    /// next one starts (after the terminating literal). `None` when the terminator
    /// is not in the line (it ended early).
    #[inline(always)]
    fn split_at(&self, line: &[u8], from: usize) -> Option<(usize, usize)> {
        let Some(end) = &self.end else {
            let end = scan::find_byte(b' ', line, from).unwrap_or(line.len());
            return Some((end, end));
        };
        // Literals are short and values are short, so finding the literal's first
        // byte and comparing the rest inline beats a general substring search.
        let mut search = from;
        loop {
            let at = scan::find_byte(end.first, line, search)?;
            search = at + 1;
            if !end.tail_at(line, search) {
                continue;
            }
            // With `escape=json` nginx writes a `"` inside a value as `\"`; such a
            // quote does not close the value. (Default escaping writes `\x22`, which
            // never looks like a quote.)
            if self.quoted && escaped(&line[from..at]) {
                continue;
            }
            return Some((at, search + end.tail.len()));
        }
    }
}

/// `hay.starts_with(prefix)` for short prefixes (the tails of literals, a format's
/// first literal), compared inline: the slice comparison calls `memcmp` for
/// lengths unknown at compile time, which costs more than the compare.
#[inline(always)]
pub(super) fn starts_with_short(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay.iter().zip(prefix).all(|(a, b)| a == b)
}

/// Whether the byte after `before` is escaped: `before` ends with an odd number of
/// backslashes. Nearly every value ends in no backslash at all, which is tested
/// first.
#[inline]
fn escaped(before: &[u8]) -> bool {
    before.last() == Some(&b'\\')
        && before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// `-` and empty values mean "not logged" for every field.
#[inline]
fn present(v: &[u8]) -> Option<&[u8]> {
    match v {
        b"" | b"-" => None,
        _ => Some(v),
    }
}

/// A latency value in `l.unit`. Upstream times list one value per upstream tried,
/// `0.120, 0.003` (retries) or `0.120 : 0.003` (internal redirects): the request
/// spent their sum. `-` entries (no response from that upstream) are skipped.
fn parse_latency(v: &[u8], l: LatencySource) -> Option<u64> {
    if !l.list || memchr::memchr2(b',', b':', v).is_none() {
        return timestamp::parse_duration(v, l.unit);
    }
    let mut total: Option<u64> = None;
    for part in v.split(|&b| b == b',' || b == b':') {
        let part = part.trim_ascii();
        if part == b"-" {
            continue;
        }
        let us = timestamp::parse_duration(part, l.unit)?;
        total = Some(total.unwrap_or(0).checked_add(us)?);
    }
    total
}

fn parse_time_value(v: &[u8], parser: TimeParser) -> Option<i64> {
    match parser {
        TimeParser::Local => timestamp::parse_time_local(v),
        TimeParser::Iso8601 => timestamp::parse_iso8601(v),
        TimeParser::Unit(unit) => timestamp::parse_time(v, unit),
        TimeParser::AutoText => timestamp::parse_text_time(v),
    }
}

fn format_error(message: String) -> Error {
    Error::LogFormat { message }
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
}

/// Split a format into the literal before the first variable and, for each
/// variable, its name and the literal that follows it (empty only after the last).
fn split_format(format: &str) -> Result<(String, Vec<(String, String)>)> {
    if format.is_empty() {
        return Err(format_error("the format is empty".into()));
    }
    let bytes = format.as_bytes();
    let mut prefix = String::new();
    let mut pieces: Vec<(String, String)> = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let Some((var, next)) = variable_at(format, i)? else {
            i += 1;
            continue;
        };
        let literal = &format[literal_start..i];
        match pieces.last_mut() {
            None => prefix = literal.to_string(),
            Some((prev, after)) => {
                // Nothing marks where one value ends and the next begins.
                if literal.is_empty() {
                    return Err(format_error(format!(
                        "variables ${prev} and ${var} have no text between them, so their \
                         values cannot be split apart; put a separator (such as a space) \
                         between them"
                    )));
                }
                *after = literal.to_string();
            }
        }
        pieces.push((var.to_string(), String::new()));
        i = next;
        literal_start = next;
    }
    let trailing = &format[literal_start..];
    match pieces.last_mut() {
        None => {
            return Err(format_error(format!(
                "the format {format:?} has no variables; it needs at least $status"
            )))
        }
        // Trailing whitespace pasted with the format is not worth failing lines
        // over: the last value then ends at the first space anyway.
        Some((_, after)) if !trailing.trim().is_empty() => *after = trailing.to_string(),
        Some(_) => {}
    }
    Ok((prefix, pieces))
}

/// The variable starting at byte `i` of `format`, if a `$` there starts one:
/// its name and the index just past it. A `$` not followed by a name is literal.
fn variable_at(format: &str, i: usize) -> Result<Option<(&str, usize)>> {
    let bytes = format.as_bytes();
    if bytes[i] != b'$' {
        return Ok(None);
    }
    if bytes.get(i + 1) == Some(&b'{') {
        let start = i + 2;
        let len = bytes[start..]
            .iter()
            .take_while(|&&b| is_name_char(b))
            .count();
        if len == 0 || bytes.get(start + len) != Some(&b'}') {
            return Err(format_error(format!(
                "\"${{\" at byte {i} does not start a variable: write ${{name}} with a \
                 name of a-z, 0-9 and _"
            )));
        }
        return Ok(Some((&format[start..start + len], start + len + 1)));
    }
    let start = i + 1;
    let len = bytes[start..]
        .iter()
        .take_while(|&&b| is_name_char(b))
        .count();
    Ok((len > 0).then(|| (&format[start..start + len], start + len)))
}

/// A header variable that carries the error name: the upstream's `X-Error-Code`,
/// or any request/response header ending in `error_code` or `_reason`.
fn is_name_variable(var: &str) -> bool {
    ["upstream_http_", "sent_http_", "http_"]
        .iter()
        .any(|p| var.starts_with(p))
        && (var.ends_with("error_code") || var.ends_with("_reason"))
}

/// Decide each role's variable: `--field` overrides first, else well-known names.
fn assign_roles(vars: &[&str], fields: &[FieldOverride]) -> Result<Roles> {
    let find = |name: &str| vars.iter().position(|v| *v == name);
    let mut status = find("status");
    let mut name = vars.iter().position(|v| is_name_variable(v));
    let mut body = vars.iter().position(|v| BODY_VARIABLES.contains(v));
    let mut path = ["request_uri", "uri", "request"]
        .iter()
        .find_map(|&n| find(n).map(|var| path_source(n, var)));
    let mut latency = ["request_time", "upstream_response_time"]
        .iter()
        .find_map(|&n| find(n).map(|var| latency_source(n, var, DurationUnit::S)));
    let mut time = ["time_local", "time_iso8601", "msec"]
        .iter()
        .find_map(|&n| {
            find(n).map(|var| TimeSource {
                var,
                parser: known_time_parser(n),
            })
        });

    // Later overrides of the same key win, as later flags usually do.
    for o in fields {
        let var_name = o
            .path
            .strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
            .or_else(|| o.path.strip_prefix('$'))
            .unwrap_or(&o.path);
        let var = find(var_name).ok_or_else(|| unknown_variable(o, var_name, vars))?;
        match o.key {
            FieldKey::Status => status = Some(var),
            FieldKey::Name => name = Some(var),
            FieldKey::Body => body = Some(var),
            FieldKey::Path => path = Some(path_source(var_name, var)),
            FieldKey::Latency => {
                let unit = match o.unit {
                    Some(FieldUnit::Duration(u)) => u,
                    _ => DurationUnit::S,
                };
                latency = Some(latency_source(var_name, var, unit));
            }
            FieldKey::Time => {
                let parser = match o.unit {
                    Some(FieldUnit::Time(u)) => TimeParser::Unit(u),
                    // No unit: a known time variable keeps its own layout, any
                    // other is read as text in either layout.
                    _ => match var_name {
                        "time_local" | "time_iso8601" | "msec" => known_time_parser(var_name),
                        _ => TimeParser::AutoText,
                    },
                };
                time = Some(TimeSource { var, parser });
            }
        }
    }

    let status = status.ok_or_else(|| {
        format_error(
            "the format has no $status variable; errscope needs every line's status \
             (add $status to the format, or name the variable that holds it with \
             --field status=VAR)"
                .into(),
        )
    })?;
    Ok(Roles {
        status,
        name,
        body,
        path,
        latency,
        time,
    })
}

fn path_source(var_name: &str, var: usize) -> PathSource {
    PathSource {
        var,
        request_line: var_name == "request",
    }
}

fn latency_source(var_name: &str, var: usize, unit: DurationUnit) -> LatencySource {
    LatencySource {
        var,
        unit,
        list: var_name.starts_with("upstream_"),
    }
}

fn known_time_parser(var_name: &str) -> TimeParser {
    match var_name {
        "time_local" => TimeParser::Local,
        "time_iso8601" => TimeParser::Iso8601,
        // `$msec`: epoch seconds with a millisecond fraction.
        _ => TimeParser::Unit(TimeUnit::EpochS),
    }
}

fn unknown_variable(o: &FieldOverride, var_name: &str, vars: &[&str]) -> Error {
    let listed: Vec<String> = vars.iter().map(|v| format!("${v}")).collect();
    format_error(format!(
        "--field {}={}: the format has no variable ${var_name}; its variables are {}",
        o.key.as_str(),
        o.path,
        listed.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // `gateway`, `combined` and `with_fields` also serve `layout`'s tests.

    /// 27/Nov/2026:10:00:00 +0800 in epoch milliseconds.
    const NOV_27_MS: i64 = 1_795_744_800_000;

    pub(super) fn gateway() -> NginxFormat {
        NginxFormat::compile_named("gateway", preset("gateway").unwrap(), &[]).unwrap()
    }

    pub(super) fn combined() -> NginxFormat {
        NginxFormat::compile_named("combined", preset("combined").unwrap(), &[]).unwrap()
    }

    fn custom(format: &str) -> NginxFormat {
        NginxFormat::compile_named("custom", format, &[]).unwrap()
    }

    pub(super) fn with_fields(format: &str, specs: &[&str]) -> Result<NginxFormat> {
        let fields: Vec<FieldOverride> = specs
            .iter()
            .map(|s| FieldOverride::parse(s).unwrap())
            .collect();
        NginxFormat::compile_named("custom", format, &fields)
    }

    fn compile_error(format: &str, specs: &[&str]) -> String {
        with_fields(format, specs).unwrap_err().to_string()
    }

    fn gw_line(ua: &str, name: &str) -> String {
        format!(
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2img HTTP/1.1" 403 98 "-" "{ua}" 0.012 "{name}""#
        )
    }

    /// The parser as first written, one `memchr` per value and every variable
    /// split: the reference the fast walk must agree with.
    fn reference_parse<'a>(f: &NginxFormat, line: &'a [u8]) -> Result<Fields<'a>, Malformed> {
        fn split<'a>(var: &Variable, rest: &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
            let Some(literal) = &var.end else {
                let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
                return Some((&rest[..end], &rest[end..]));
            };
            let (first, tail) = (literal.first, &*literal.tail);
            let mut from = 0;
            loop {
                let at = from + memchr::memchr(first, &rest[from..])?;
                from = at + 1;
                if !rest[from..].starts_with(tail) {
                    continue;
                }
                if var.quoted && escaped(&rest[..at]) {
                    continue;
                }
                return Some((&rest[..at], &rest[from + tail.len()..]));
            }
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Err(Malformed::EmptyLine);
        }
        let mut rest = line.strip_prefix(&*f.prefix).ok_or(Malformed::NoMatch)?;
        let mut raw = RawValues::default();
        for (i, var) in f.vars.iter().enumerate() {
            let Some((value, after)) = split(var, rest) else {
                if i == f.roles.status {
                    raw.status = text_status(rest).ok();
                }
                break;
            };
            store(f.roles.of(i), value, &mut raw)?;
            rest = after;
        }
        let status = raw.status.ok_or(Malformed::NoMatch)?;
        Ok(f.finish(status, &raw))
    }

    #[test]
    fn fast_walk_agrees_with_reference_on_tricky_lines() {
        let long_ua = format!("Mozilla {} end", "x y\\\" ".repeat(40));
        let mut lines: Vec<Vec<u8>> = [
            gw_line("ua", "INVALID_API_KEY"),
            gw_line(r#"Mozilla \"quoted\" agent"#, "X"),
            gw_line(r#"ends with \" "#, "X"),
            gw_line(r"back\\", "X"),
            gw_line(r"back\\\", "X"),
            gw_line(r#"Mozilla \x22quoted\x22 \x5C agent"#, "TASK_FAILED"),
            gw_line(&long_ua, "LONG"),
            gw_line("ua\" \"fake", "X"),
            gw_line("", ""),
            gw_line("-", "-"),
            gw_line("ua", "INVALID_API_KEY") + "\r",
            gw_line("ua", "TASK_FAILED") + r#" "trace-id=abc" 0.003 extra"#,
            format!(
                r#"1.2.3.4 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/async/task-result?task_id={} HTTP/1.1" 404 0 "-" "-" 0.001 "TASK_NOT_FOUND""#,
                "a".repeat(300)
            ),
            r#"2001:db8::1 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/openai/chat HTTP/1.1" 429 10 "-" "ua" 0.5 "RATE_LIMIT_EXCEEDED""#.into(),
            r#"1.2.3.4 - - [yesterday at noon] "GET / HTTP/1.1" 200 0 "-" "-""#.into(),
            r#"1.2.3.4 - - [27/Nov/2026:10:00:00 +0800] "\x16\x03\x01" 400 0 "-" "-""#.into(),
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /x HTTP/1.1" 403"#.into(),
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /x HTTP/1.1" 40"#.into(),
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2"#.into(),
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /x HTTP/1.1" 2x0 1 "-" "-" 1 "-""#.into(),
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /x HTTP/1.1" 700 1 "-" "-" 1 "-""#.into(),
            r#"{"status":200,"path":"/v3/openai/x"}"#.into(),
            "".into(),
            " ".into(),
            "\r".into(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect();
        let mut bad = gw_line("bad \u{1}", "X").into_bytes();
        bad.extend_from_slice(&[0xff, 0xfe, b' ', b'"']);
        lines.push(bad);
        // Every prefix of a gateway line: cut anywhere, in a value or a literal.
        let whole = gw_line(r#"Mozilla/5.0 \"q\" (X11)"#, "INVALID_API_KEY");
        for end in 0..=whole.len() {
            lines.push(whole.as_bytes()[..end].to_vec());
        }
        let formats = [
            gateway(),
            combined(),
            custom(r#"$status "$upstream_http_x_error_code" "$resp_body""#),
            custom("${status}|${request_time}s|${upstream_http_x_error_code}"),
            custom(r#"$remote_addr "$request" $request_time $status"#),
            custom(r#"[$time_local] $status "$upstream_response_time" $remote_addr"#),
        ];
        for f in &formats {
            for line in &lines {
                assert_eq!(
                    f.parse(line),
                    reference_parse(f, line),
                    "{}: {}",
                    f.name(),
                    String::from_utf8_lossy(line)
                );
            }
        }
    }

    #[test]
    fn fast_walk_agrees_with_reference_on_generated_lines() {
        let log =
            crate::generate::Generator::log(crate::generate::GenerateFormat::Gateway, 3, 5_000);
        for f in [gateway(), combined()] {
            for line in log.split(|&b| b == b'\n') {
                assert_eq!(f.parse(line), reference_parse(&f, line));
            }
        }
    }

    #[test]
    fn gateway_line_gives_every_field() {
        let f = gateway();
        let line = gw_line("python-requests/2.31", "INVALID_API_KEY");
        let got = f.parse(line.as_bytes()).unwrap();
        assert_eq!(
            got,
            Fields {
                status: 403,
                name: Some(&b"INVALID_API_KEY"[..]),
                path: Some(&b"/v3/async/txt2img"[..]),
                latency_us: Some(12_000),
                time_ms: Some(NOV_27_MS),
                bad_time: false,
            }
        );
        assert_eq!(f.name(), "gateway");
        assert_eq!(f.latency_source().as_deref(), Some("$request_time (s)"));
    }

    #[test]
    fn combined_line_has_no_latency_or_name() {
        let f = combined();
        let line = br#"198.51.100.2 - alice [27/Nov/2026:10:00:00 +0800] "GET /openai/v1/models?x=1 HTTP/2.0" 200 1234 "https://example.com/" "curl/8.5.0""#;
        let got = f.parse(line).unwrap();
        assert_eq!(got.status, 200);
        assert_eq!(got.path, Some(&b"/openai/v1/models?x=1"[..]));
        assert_eq!((got.name, got.latency_us), (None, None));
        assert_eq!(got.time_ms, Some(NOV_27_MS));
        assert_eq!(f.latency_source(), None);
    }

    #[test]
    fn name_dash_or_empty_is_none() {
        let f = gateway();
        for name in ["-", ""] {
            let line = gw_line("ua", name);
            assert_eq!(f.parse(line.as_bytes()).unwrap().name, None, "{name:?}");
        }
    }

    #[test]
    fn ipv6_client() {
        let line = r#"2001:db8::1 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/openai/chat HTTP/1.1" 429 10 "-" "ua" 0.5 "RATE_LIMIT_EXCEEDED""#;
        let got = gateway().parse(line.as_bytes()).unwrap();
        assert_eq!(got.status, 429);
        assert_eq!(got.path, Some(&b"/v3/openai/chat"[..]));
        assert_eq!(got.name, Some(&b"RATE_LIMIT_EXCEEDED"[..]));
    }

    #[test]
    fn user_agent_with_default_x22_escape() {
        let line = gw_line(r#"Mozilla \x22quoted\x22 \x5C agent"#, "INVALID_API_KEY");
        let got = gateway().parse(line.as_bytes()).unwrap();
        assert_eq!((got.status, got.latency_us), (403, Some(12_000)));
        assert_eq!(got.name, Some(&b"INVALID_API_KEY"[..]));
    }

    #[test]
    fn user_agent_with_json_escaped_quotes() {
        // escape=json: `\"` inside the value, and a value ending in an escaped
        // backslash (`\\`) whose following quote does close it.
        for ua in [
            r#"Mozilla \"quoted\" agent"#,
            r#"ends with \" "#,
            r#"back\\"#,
        ] {
            let line = gw_line(ua, "INVALID_API_KEY");
            let got = gateway().parse(line.as_bytes()).unwrap();
            assert_eq!((got.status, got.latency_us), (403, Some(12_000)), "{ua}");
            assert_eq!(got.name, Some(&b"INVALID_API_KEY"[..]), "{ua}");
        }
    }

    #[test]
    fn extra_trailing_fields_are_ignored() {
        let line = gw_line("ua", "TASK_FAILED") + r#" "trace-id=abc" 0.003 extra"#;
        let got = gateway().parse(line.as_bytes()).unwrap();
        assert_eq!(got.name, Some(&b"TASK_FAILED"[..]));
        // The combined preset reads a gateway line as combined plus extras.
        let got = combined().parse(line.as_bytes()).unwrap();
        assert_eq!((got.status, got.name), (403, None));
    }

    #[test]
    fn truncated_after_status_gives_partial_fields() {
        let line = br#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2img HTTP/1.1" 403 98 "-" "python-req"#;
        let got = gateway().parse(line).unwrap();
        assert_eq!(got.status, 403);
        assert_eq!(got.path, Some(&b"/v3/async/txt2img"[..]));
        assert_eq!((got.name, got.latency_us), (None, None));
        // A name cut short is dropped, not reported half-read.
        let line = gw_line("ua", "INVALID_API_KEY");
        let cut = &line.as_bytes()[..line.len() - 5];
        let got = gateway().parse(cut).unwrap();
        assert_eq!((got.latency_us, got.name), (Some(12_000), None));
    }

    #[test]
    fn truncated_before_status_is_malformed() {
        let line = br#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2"#;
        assert_eq!(gateway().parse(line), Err(Malformed::NoMatch));
        let line =
            br#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2img HTTP/1.1" 40"#;
        assert_eq!(gateway().parse(line), Err(Malformed::NoMatch));
        // Cut right after a whole status: the status stands.
        let line = br#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /x HTTP/1.1" 403"#;
        let got = gateway().parse(line).unwrap();
        assert_eq!((got.status, got.latency_us), (403, None));
    }

    #[test]
    fn crlf_line_ending_is_stripped() {
        let line = gw_line("ua", "INVALID_API_KEY") + "\r";
        let got = gateway().parse(line.as_bytes()).unwrap();
        assert_eq!(got.name, Some(&b"INVALID_API_KEY"[..]));
        assert_eq!(gateway().parse(b"\r"), Err(Malformed::EmptyLine));
        assert_eq!(gateway().parse(b""), Err(Malformed::EmptyLine));
    }

    #[test]
    fn non_utf8_user_agent() {
        let mut line =
            br#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET /v2/x HTTP/1.1" 500 0 "-" "bad "#
                .to_vec();
        line.extend_from_slice(&[0xff, 0xfe, 0xc3]);
        line.extend_from_slice(br#" agent" 1.5 "-""#);
        let got = gateway().parse(&line).unwrap();
        assert_eq!(
            (got.status, got.latency_us, got.name),
            (500, Some(1_500_000), None)
        );
    }

    #[test]
    fn bad_statuses_are_malformed() {
        let f = custom(r#""$request" $status $request_time"#);
        let cases = [
            ("abc", Malformed::StatusNotANumber),
            ("-", Malformed::NoResponse),
            ("0", Malformed::NoResponse),
            ("2x0", Malformed::StatusNotANumber),
            ("99", Malformed::StatusOutOfRange),
            ("099", Malformed::StatusOutOfRange),
            ("1000", Malformed::StatusOutOfRange),
            ("600", Malformed::StatusOutOfRange),
        ];
        for (status, want) in cases {
            let line = format!(r#""GET / HTTP/1.1" {status} 0.1"#);
            assert_eq!(f.parse(line.as_bytes()), Err(want), "{status}");
        }
        for status in ["100", "599"] {
            let line = format!(r#""GET / HTTP/1.1" {status} 0.1"#);
            assert!(f.parse(line.as_bytes()).is_ok(), "{status}");
        }
        // The rule itself is `format::text_status`'s, tested there.
    }

    #[test]
    fn unusable_request_line_gives_no_path() {
        let f = combined();
        for request in [
            "-",
            "",
            r"\x16\x03\x01\x02\x00\x01\x00",
            "garbage",
            "GET",
            "/v3/x",
        ] {
            let line =
                format!(r#"1.2.3.4 - - [27/Nov/2026:10:00:00 +0800] "{request}" 400 0 "-" "-""#);
            let got = f.parse(line.as_bytes()).unwrap();
            assert_eq!((got.status, got.path), (400, None), "{request:?}");
        }
        // The rule itself, and its shortcuts, are tested in `format::request`.
    }

    #[test]
    fn very_long_url() {
        let url = format!("/v3/async/task-result?task_id={}", "a".repeat(64 * 1024));
        let line = format!(
            r#"1.2.3.4 - - [27/Nov/2026:10:00:00 +0800] "GET {url} HTTP/1.1" 404 0 "-" "-" 0.001 "TASK_NOT_FOUND""#
        );
        let got = gateway().parse(line.as_bytes()).unwrap();
        assert_eq!(got.path, Some(url.as_bytes()));
        assert_eq!(got.name, Some(&b"TASK_NOT_FOUND"[..]));
    }

    #[test]
    fn upstream_response_time_lists_are_summed() {
        let f = custom(r#"$status "$upstream_response_time" $remote_addr"#);
        assert_eq!(
            f.latency_source().as_deref(),
            Some("$upstream_response_time (s)")
        );
        let cases = [
            ("0.120", Some(120_000)),
            ("0.120, 0.003", Some(123_000)),
            ("0.120 : 0.003", Some(123_000)),
            ("0.100, 0.020 : 0.003", Some(123_000)),
            ("-, 0.003", Some(3_000)),
            ("-", None),
            ("-, -", None),
            ("0.1, junk", None),
        ];
        for (value, want) in cases {
            let line = format!(r#"502 "{value}" 1.2.3.4"#);
            assert_eq!(
                f.parse(line.as_bytes()).unwrap().latency_us,
                want,
                "{value}"
            );
        }
        // $request_time wins over the upstream time when both are logged.
        let f = custom("$status $upstream_response_time $request_time");
        assert_eq!(f.parse(b"200 0.5 0.7").unwrap().latency_us, Some(700_000));
    }

    #[test]
    fn braced_variables() {
        let f = custom("${status}|${request_time}s|${upstream_http_x_error_code}");
        let got = f.parse(b"403|0.25s|INVALID_API_KEY").unwrap();
        assert_eq!(got.status, 403);
        assert_eq!(got.latency_us, Some(250_000));
        assert_eq!(got.name, Some(&b"INVALID_API_KEY"[..]));
    }

    #[test]
    fn dollar_without_a_name_is_literal() {
        let f = custom("$status cost=$ $request_time");
        assert_eq!(
            f.parse(b"200 cost=$ 1").unwrap().latency_us,
            Some(1_000_000)
        );
    }

    #[test]
    fn msec_and_time_iso8601() {
        let f = custom("$msec $status");
        let got = f.parse(b"1714564800.250 200").unwrap();
        assert_eq!(
            (got.time_ms, got.bad_time),
            (Some(1_714_564_800_250), false)
        );
        let f = custom("$time_iso8601 $status");
        let got = f.parse(b"2024-05-01T20:00:00+08:00 200").unwrap();
        assert_eq!(
            (got.time_ms, got.bad_time),
            (Some(1_714_564_800_000), false)
        );
        let got = f.parse(b"- 200").unwrap();
        assert_eq!((got.time_ms, got.bad_time), (None, false));
    }

    #[test]
    fn unparseable_time_sets_bad_time() {
        let line = br#"1.2.3.4 - - [yesterday at noon] "GET / HTTP/1.1" 200 0 "-" "-""#;
        let got = combined().parse(line).unwrap();
        assert_eq!((got.status, got.time_ms, got.bad_time), (200, None, true));
    }

    #[test]
    fn misreads_only_values_that_are_not_durations_or_times() {
        let gw = gateway();
        let line = |latency: &str, time: &str| {
            format!(r#"1.2.3.4 - - [{time}] "GET / HTTP/1.1" 200 0 "-" "-" {latency} "-""#)
        };
        let ok_time = "10/Oct/2000:13:55:36 -0700";
        for (latency, time, misread) in [
            ("0.120", ok_time, false),
            ("-", ok_time, false),
            ("", ok_time, false),
            ("/v3/models", ok_time, true),
            ("0.120", "yesterday at noon", true),
            ("0.120", "-", false),
        ] {
            let l = line(latency, time);
            let (checked, misreads) = gw.parse_checking(l.as_bytes()).unwrap();
            assert_eq!(misreads, misread, "{l}");
            // The parse itself still takes the line, with the value absent.
            let f = gw.parse(l.as_bytes()).unwrap();
            assert_eq!(f.status, 200, "{l}");
            assert_eq!(checked, f, "{l}");
        }
        // A line the format cannot split is no misread: it is not parsed at all.
        assert!(gw.parse_checking(b"nothing like it").is_err());
        // Formats without a latency or time read nothing to misread.
        let f = custom(r#"$status "$request""#);
        assert!(!f.parse_checking(br#"200 "GET / HTTP/1.1""#).unwrap().1);
    }

    #[test]
    fn status_unquoted_at_end_of_custom_format() {
        let f = custom(r#"$remote_addr "$request" $request_time $status"#);
        let got = f
            .parse(br#"10.0.0.1 "GET /openapi/v1/billing/x HTTP/1.1" 0.040 402"#)
            .unwrap();
        assert_eq!(got.status, 402);
        assert_eq!(got.path, Some(&b"/openapi/v1/billing/x"[..]));
        assert_eq!(got.latency_us, Some(40_000));
        // The last value ends at the first space: appended fields do not spoil it.
        let got = f
            .parse(br#"10.0.0.1 "GET / HTTP/1.1" 0.040 402 appended"#)
            .unwrap();
        assert_eq!(got.status, 402);
    }

    #[test]
    fn path_prefers_request_uri_then_uri_then_request() {
        let f = custom(r#""$request" "$uri" "$request_uri" $status"#);
        let got = f.parse(br#""GET /a?q HTTP/1.1" "/b" "/c?q" 200"#).unwrap();
        assert_eq!(got.path, Some(&b"/c?q"[..]));
        let f = custom(r#""$request" "$uri" $status"#);
        let got = f.parse(br#""GET /a?q HTTP/1.1" "/b" 200"#).unwrap();
        assert_eq!(got.path, Some(&b"/b"[..]));
    }

    #[test]
    fn name_variables_by_name() {
        for var in [
            "sent_http_x_error_code",
            "upstream_http_x_api_error_code",
            "http_x_error_reason",
            "upstream_http_grpc_reason",
        ] {
            let f = custom(&format!("$status ${var}"));
            assert_eq!(
                f.parse(b"400 BAD").unwrap().name,
                Some(&b"BAD"[..]),
                "{var}"
            );
        }
        let f = custom("$status $upstream_http_x_request_id");
        assert_eq!(f.parse(b"400 abc").unwrap().name, None);
    }

    #[test]
    fn body_fallback_finds_the_reason() {
        let f = custom(r#"$status "$upstream_http_x_error_code" "$resp_body""#);
        let body =
            r#"{\x22code\x22:403,\x22reason\x22:\x22INVALID_API_KEY\x22,\x22metadata\x22:{}}"#;
        let line = format!(r#"403 "-" "{body}""#);
        let got = f.parse(line.as_bytes()).unwrap();
        assert_eq!(got.name, Some(&b"INVALID_API_KEY"[..]));
        // escape=json bodies, and the header winning over the body.
        let line = br#"403 "" "{\"code\":403,\"reason\":\"TASK_FAILED\"}""#;
        assert_eq!(f.parse(line).unwrap().name, Some(&b"TASK_FAILED"[..]));
        let line = format!(r#"403 "FROM_HEADER" "{body}""#);
        assert_eq!(
            f.parse(line.as_bytes()).unwrap().name,
            Some(&b"FROM_HEADER"[..])
        );
        // A success body's top-level reason, in either escaping, names the error;
        // a nested one does not.
        let line = format!(r#"200 "-" "{}""#, body.replace("403", "200"));
        assert_eq!(
            f.parse(line.as_bytes()).unwrap().name,
            Some(&b"INVALID_API_KEY"[..])
        );
        let line = br#"200 "" "{\"code\":200,\"reason\":\"TASK_FAILED\"}""#;
        assert_eq!(f.parse(line).unwrap().name, Some(&b"TASK_FAILED"[..]));
        let line = br#"200 "-" "{\x22task\x22:{\x22reason\x22:\x22X_Y\x22}}""#;
        assert_eq!(f.parse(line).unwrap().name, None);
        // A plain-text body has no name.
        let line = br#"404 "-" "404 page not found""#;
        assert_eq!(f.parse(line).unwrap().name, None);
        // request_body is not a response body.
        let f = custom(r#"$status "$request_body""#);
        assert_eq!(
            f.parse(br#"403 "{\x22reason\x22:\x22X\x22}""#)
                .unwrap()
                .name,
            None
        );
    }

    #[test]
    fn field_overrides_pick_variables() {
        let f = with_fields(
            r#"$code "$upstream_response_time" $t "$x_err" "$uri""#,
            &[
                "status=$code",
                "latency=upstream_response_time:ms",
                "time=$t:epoch_ms",
                "name=x_err",
                "path=uri",
            ],
        )
        .unwrap();
        let got = f
            .parse(br#"404 "12, 3" 1714564800250 "NOPE" "/v2/x""#)
            .unwrap();
        assert_eq!(
            got,
            Fields {
                status: 404,
                name: Some(&b"NOPE"[..]),
                path: Some(&b"/v2/x"[..]),
                latency_us: Some(15_000),
                time_ms: Some(1_714_564_800_250),
                bad_time: false,
            }
        );
        assert_eq!(
            f.latency_source().as_deref(),
            Some("$upstream_response_time (ms)")
        );
        // Without a unit a time override reads text times; $msec keeps epoch seconds.
        let f = with_fields("$status $when", &["time=when"]).unwrap();
        assert_eq!(
            f.parse(b"200 2024-05-01T12:00:00Z").unwrap().time_ms,
            Some(1_714_564_800_000)
        );
        let f = with_fields("$status $msec", &["time=${msec}"]).unwrap();
        assert_eq!(
            f.parse(b"200 1714564800").unwrap().time_ms,
            Some(1_714_564_800_000)
        );
        // A path override on $request still reads the request line.
        let f = with_fields(r#"$status "$request" "$uri""#, &["path=request"]).unwrap();
        assert_eq!(
            f.parse(br#"200 "GET /a HTTP/1.1" "/b""#).unwrap().path,
            Some(&b"/a"[..])
        );
    }

    #[test]
    fn compile_errors_say_what_to_fix() {
        let e = compile_error("", &[]);
        assert!(e.contains("empty"), "{e}");
        let e = compile_error("just text", &[]);
        assert!(e.contains("$status"), "{e}");
        let e = compile_error(r#"$remote_addr "$request" $body_bytes_sent"#, &[]);
        assert!(e.contains("no $status"), "{e}");
        let e = compile_error("$status $request_time$upstream_response_time", &[]);
        assert!(
            e.contains("$request_time") && e.contains("$upstream_response_time"),
            "{e}"
        );
        let e = compile_error("$status ${request_time", &[]);
        assert!(e.contains("${"), "{e}");
        let e = compile_error(
            "$status $request_time",
            &["name=$upstream_http_x_error_code"],
        );
        assert!(e.contains("$upstream_http_x_error_code"), "{e}");
        assert!(e.contains("$status, $request_time"), "{e}");
        assert!(matches!(with_fields("", &[]), Err(Error::LogFormat { .. })));
    }

    #[test]
    fn line_of_another_format_is_malformed() {
        let json = br#"{"status":200,"path":"/v3/openai/x"}"#;
        assert!(gateway().parse(json).is_err());
        let f = custom("status=$status path=$uri");
        assert_eq!(f.parse(b"code=200 path=/x"), Err(Malformed::NoMatch));
        assert_eq!(
            f.parse(b"status=200 path=/x").unwrap().path,
            Some(&b"/x"[..])
        );
    }

    #[test]
    fn presets_compile() {
        for (name, fmt, _) in PRESETS {
            let f = NginxFormat::compile_named(name, fmt, &[]).unwrap();
            assert_eq!(f.name(), *name);
        }
        assert!(preset("nope").is_none());
    }
}
