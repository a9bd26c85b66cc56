//! JSON-lines logs: one object per line, fields found under common key names or at
//! `--field` paths.
//!
//! Every wanted key path (the defaults for each field, or the user's `--field`
//! overrides) is compiled once into a small trie. A line is then walked by a serde
//! visitor that compares each key of the top-level object against the trie, captures
//! wanted values as `&RawValue` slices of the line, descends only into objects that
//! lie on a wanted path and skips everything else with [`IgnoredAny`]. Nothing is
//! allocated per line in the common case: no map is built, no string is copied.
//!
//! When every wanted path is a single key (the defaults, and `--field`s without
//! a dot), a line is first read by [`FastScan`], which finds string ends from
//! bit masks of the line's quotes and backslashes ([`super::json_index`]) and
//! looks keys up in a small hash table. It accepts a line only when the walk
//! would read it the same way, and hands every other line to the walk, so the
//! walk remains the definition of what a line means (see [`FastScan`]).
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

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::request::path_value;
use super::{
    name_in_body, non_empty_name, text_status, three_digit_status, FieldKey, FieldOverride,
    FieldUnit, Fields, Malformed,
};
use crate::error::{Error, Result};
use crate::format::timestamp::{parse_duration, parse_text_time, parse_time, TimeUnit};

use super::json_index::{self, Block};
use super::keys::{self, ValueKind as Kind};

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

impl Kind {
    /// Whether `raw` (a JSON value's text) can serve as this field, so that a null
    /// or an unusable value lets the next key in the list have its say.
    fn accepts(self, raw: &[u8]) -> bool {
        if raw == b"null" {
            return false;
        }
        match self {
            Kind::Name => string_inner(raw).is_some_and(|s| non_empty_name(s).is_some()),
            Kind::Path { .. } => raw.starts_with(b"\""),
            Kind::Body => raw.starts_with(b"\"") || raw.starts_with(b"{"),
            Kind::Status | Kind::Latency(_) | Kind::Time(_) => true,
        }
    }
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
            let mut caps = Captures::default();
            if FastScan::new(line).object(flat, &mut caps).is_ok() {
                return self.fields(&caps);
            }
        }
        self.parse_with_serde(line)
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

/// The top-level keys of a format whose key paths are all one key long, in a
/// small table with a perfect hash, so that a key of the line is found, or found
/// unwanted, with one hash, one load and one comparison, and no probe loop.
///
/// Why: the lookup is on every key of every line (a large share of a JSON line's
/// time in perf), and an open-addressing table ended it with a probe loop whose
/// exits depend on the key. With each wanted key alone in its slot, a key's
/// leaves follow from one comparison: fewer instructions per JSON line and less
/// time (figures in docs/performance.md; perf still puts much of the time on the
/// comparison, which waits on the key's load and hash).
#[derive(Debug, Clone)]
struct FlatKeys {
    /// A power of two long; each wanted short key alone in its slot.
    table: Box<[Entry]>,
    /// The multiplier of [`slot_of`], chosen so that no two wanted keys share a
    /// slot, and the shift that keeps the product's top bits, as many as the
    /// table's size needs.
    multiplier: u64,
    shift: u32,
    /// Every key's leaves; an entry holds a range of them.
    leaves: Box<[Leaf]>,
    /// Wanted keys of [`PACKED`] bytes or more, looked up one by one.
    long: Box<[LongKey]>,
}

/// A wanted key of [`PACKED`] bytes or more.
#[derive(Debug, Clone)]
struct LongKey {
    key: Box<[u8]>,
    leaves: Range<u16>,
}

/// Keys shorter than this many bytes are packed into a `u128`.
const PACKED: usize = 16;

/// A slot of [`FlatKeys::table`].
#[derive(Debug, Clone)]
struct Entry {
    /// The key's bytes, little-endian and zero-padded.
    packed: u128,
    /// Its length; [`Entry::VACANT`] in a vacant slot.
    len: usize,
    leaves: Range<u16>,
}

impl Entry {
    const VACANT: usize = usize::MAX;
}

/// `MASKS[n]`: the low `n` bytes of a `u128`.
const MASKS: [u128; PACKED] = {
    let mut masks = [0u128; PACKED];
    let mut n = 1;
    while n < PACKED {
        masks[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    masks
};

impl FlatKeys {
    /// `None` when some key path is longer than one key: such formats (Kong's
    /// `response.status`) are read by the serde walk alone.
    fn new(root: &Node, sources: &[Source]) -> Option<FlatKeys> {
        if root.children.iter().any(|(_, n)| !n.children.is_empty()) {
            return None;
        }
        let mut leaves = Vec::new();
        let mut short = Vec::new();
        let mut long = Vec::new();
        for (key, node) in &root.children {
            let start = u16::try_from(leaves.len()).ok()?;
            leaves.extend(node.leaves.iter().map(|&id| Leaf::new(sources, id)));
            let range = start..u16::try_from(leaves.len()).ok()?;
            if key.len() < PACKED {
                short.push((pack(key.as_bytes()), key.len(), range));
            } else {
                long.push(LongKey {
                    key: key.as_bytes().into(),
                    leaves: range,
                });
            }
        }
        let (size, multiplier) = perfect_hash(&short)?;
        let shift = 64 - size.trailing_zeros();
        let mut table = vec![
            Entry {
                packed: 0,
                len: Entry::VACANT,
                leaves: 0..0,
            };
            size
        ];
        for (packed, len, leaves) in short {
            table[slot_of(packed, len, multiplier, shift)] = Entry {
                packed,
                len,
                leaves,
            };
        }
        Some(FlatKeys {
            table: table.into(),
            multiplier,
            shift,
            leaves: leaves.into(),
            long: long.into(),
        })
    }

    /// The leaves of the key that starts at `line[at..]` and is `len` bytes
    /// long: none when it is not wanted.
    #[inline]
    fn get(&self, line: &[u8], at: usize, len: usize) -> &[Leaf] {
        let range = if len < PACKED {
            // The key is followed by at least its closing quote, so its 16 bytes
            // are usually there to load at once; masked to its length they
            // compare with the packed keys directly.
            let packed = match line.get(at..at + PACKED) {
                Some(word) => u128::from_le_bytes(word.try_into().expect("16 bytes")) & MASKS[len],
                None => pack(&line[at..at + len]),
            };
            let entry = &self.table[slot_of(packed, len, self.multiplier, self.shift)];
            let found = entry.packed == packed && entry.len == len;
            if found {
                entry.leaves.clone()
            } else {
                0..0
            }
        } else {
            let key = &line[at..at + len];
            match self.long.iter().find(|long| *long.key == *key) {
                Some(long) => long.leaves.clone(),
                None => return &[],
            }
        };
        &self.leaves[usize::from(range.start)..usize::from(range.end)]
    }
}

/// A key of under [`PACKED`] bytes as a little-endian, zero-padded integer.
fn pack(key: &[u8]) -> u128 {
    let mut bytes = [0u8; PACKED];
    bytes[..key.len()].copy_from_slice(key);
    u128::from_le_bytes(bytes)
}

/// The slot of [`FlatKeys::table`] (of `2^(64 - shift)` slots) for a packed key
/// of `len` bytes: multiply-shift hashing, the product's top bits.
#[inline]
fn slot_of(packed: u128, len: usize, multiplier: u64, shift: u32) -> usize {
    let folded = (packed as u64) ^ ((packed >> 64) as u64).rotate_left(29) ^ len as u64;
    (folded.wrapping_mul(multiplier) >> shift) as usize
}

/// A table size and a multiplier under which every short key has a slot of its
/// own: the first of a fixed sequence of odd multipliers that works, at the
/// smallest size that has one (from four slots per key). `None` when none does
/// (two keys that fold to the same word); the format is then read by the serde
/// walk alone.
fn perfect_hash(short: &[(u128, usize, Range<u16>)]) -> Option<(usize, u64)> {
    let mut size = (short.len() * 4).next_power_of_two().max(16);
    while size <= 1 << 16 {
        // splitmix64's increments and mixing: a fixed, well-spread sequence.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..1000 {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let multiplier = (z ^ (z >> 31)) | 1;
            let mut taken = vec![false; size];
            let shift = 64 - size.trailing_zeros();
            let distinct = short.iter().all(|&(packed, len, _)| {
                let slot = slot_of(packed, len, multiplier, shift);
                !std::mem::replace(&mut taken[slot], true)
            });
            if distinct {
                return Some((size, multiplier));
            }
        }
        size *= 2;
    }
    None
}

/// The fast path gave up on a line: the serde walk reads it instead, and decides
/// whether it is valid at all.
struct GiveUp;

/// The fast path over one JSON line of a format with only top-level keys.
///
/// Why it exists: serde_json's walk costs a visitor dispatch per value, a UTF-8
/// check per captured value and per key, and a `memcmp` per candidate key; a
/// gateway line has about ten keys, most of them unwanted, so the walk ran far
/// slower than a plain scan (figure in docs/performance.md). This scan reads a
/// flat object directly: each key is looked up in [`FlatKeys`]; wanted values are
/// captured as the same raw text serde_json's `RawValue` would give; other values
/// are only checked and skipped.
///
/// Strings are not read byte by byte. The line is classified 64 bytes at a time
/// ([`json_index::block`], as the scan reaches each block): where the quotes are
/// that no backslash escapes, where the backslashes are, and which bytes need a
/// look inside a string (control characters, non-ASCII bytes, escapes other than
/// `\"` and `\\`). A string ends at the next such quote, and only its special
/// bytes, if its span has any, are examined ([`check_special`]); a plain string,
/// or an escaped body whose escapes are all `\"`, costs a few bit operations per
/// block. Everything outside strings (whitespace, separators, numbers, literals)
/// is read byte by byte, so a backslash or a stray byte there gives up.
///
/// Exactness: it accepts a line only when serde_json would accept it and capture
/// the same values, and gives up otherwise. It checks the full JSON grammar for
/// what it accepts (string escapes, control characters, number syntax, literals,
/// separators, nothing after the object), exactly as serde_json's skipper does,
/// and captures through the same [`Captures`] rules (so duplicate keys resolve as
/// in the walk). It gives up on nested objects and arrays, on keys holding
/// escapes or non-ASCII bytes (serde_json unescapes and UTF-8-checks keys), on a
/// wanted value that is not UTF-8 (serde_json rejects it), and on anything it
/// does not expect. Bytes that are not UTF-8 in skipped strings are accepted, as
/// serde_json accepts them. The tests hold it to the walk on tricky and on
/// assembled lines, with escapes, backslash runs, non-ASCII and control bytes at
/// every offset around the 16- and 64-byte edges, and on lines of many blocks.
struct FastScan<'a> {
    line: &'a [u8],
    at: usize,
    /// Where the scan is in the line's string masks.
    cursor: Cursor,
}

/// The string masks of the block the scan has reached (see [`json_index`]).
/// Helpers that are not inlined take and return it by value, so that the scan's
/// state stays in registers.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    /// The masks of `block_end - 64..block_end`.
    block: Block,
    /// 0 before the first block is read.
    block_end: usize,
    /// The carry into the next block.
    carry: u64,
}

impl Cursor {
    /// Read blocks up to the one holding `at`; the end of the line gives up.
    #[inline(always)]
    fn reach(&mut self, line: &[u8], at: usize) -> Result<(), GiveUp> {
        while at >= self.block_end {
            *self = next_block(line, *self)?;
        }
        Ok(())
    }
}

/// The cursor on the next block; the end of the line gives up (a string runs on
/// past it).
#[inline(never)]
fn next_block(line: &[u8], cursor: Cursor) -> Result<Cursor, GiveUp> {
    let base = cursor.block_end;
    if base >= line.len() {
        return Err(GiveUp);
    }
    let (block, carry) = json_index::block(line, base, cursor.carry);
    Ok(Cursor {
        block,
        block_end: base + 64,
        carry,
    })
}

impl<'a> FastScan<'a> {
    fn new(line: &'a [u8]) -> FastScan<'a> {
        FastScan {
            line,
            at: 0,
            cursor: Cursor::default(),
        }
    }

    /// Read the line as one flat object, offering wanted values to `caps`.
    #[inline(always)]
    fn object(mut self, keys: &FlatKeys, caps: &mut Captures<'a>) -> Result<(), GiveUp> {
        self.whitespace();
        self.expect(b'{')?;
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return self.end();
        }
        loop {
            self.expect(b'"')?;
            let key_at = self.at;
            self.string::<true>()?;
            let key_len = self.at - 1 - key_at;
            // Gateways write `"key":value,` without whitespace: that is tested
            // for first.
            if self.peek() == Some(b':') {
                self.at += 1;
            } else {
                self.whitespace();
                self.expect(b':')?;
            }
            self.whitespace();
            let leaves = keys.get(self.line, key_at, key_len);
            let (raw, ascii) = self.value()?;
            if !leaves.is_empty() {
                // serde_json hands out a captured value as `&str`: one that is not
                // UTF-8 makes the line invalid, which the walk will report. Most
                // values are ASCII, known from the scan, and need no check.
                if !ascii
                    && leaves.iter().any(|leaf| caps.wants(leaf))
                    && std::str::from_utf8(raw).is_err()
                {
                    return Err(GiveUp);
                }
                for leaf in leaves {
                    caps.offer(leaf, raw);
                }
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return self.end();
                }
                _ => {
                    self.whitespace();
                    match self.next() {
                        Some(b',') => {}
                        Some(b'}') => return self.end(),
                        _ => return Err(GiveUp),
                    }
                }
            }
            self.whitespace();
        }
    }

    /// Only whitespace may follow the object.
    #[inline(always)]
    fn end(mut self) -> Result<(), GiveUp> {
        self.whitespace();
        if self.at == self.line.len() {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.line.get(self.at).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Result<(), GiveUp> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// JSON whitespace: space, tab, newline, carriage return.
    #[inline(always)]
    fn whitespace(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at = skip_whitespace(self.line, self.at);
        }
    }

    /// One value, checked and skipped; returns its text and whether it is all
    /// ASCII. Objects and arrays give up.
    #[inline(always)]
    fn value(&mut self) -> Result<(&'a [u8], bool), GiveUp> {
        let start = self.at;
        let ascii = match self.peek().ok_or(GiveUp)? {
            b'"' => {
                self.at += 1;
                self.string::<false>()?
            }
            b'-' | b'0'..=b'9' => {
                self.at = number(self.line, start)?;
                true
            }
            _ => {
                self.at = literal(self.line, start)?;
                true
            }
        };
        Ok((&self.line[start..self.at], ascii))
    }

    /// The rest of a string whose opening quote was read, up to and past its
    /// closing quote: whether it is all ASCII. Escapes are checked as
    /// serde_json's skipper checks them (`\u` takes four hex digits, surrogates
    /// unchecked); a control character or the end of the line gives up. A `KEY`
    /// also gives up on any escape or non-ASCII byte (serde_json unescapes keys
    /// and checks them for UTF-8).
    ///
    /// The string ends at the first quote of the block masks (quotes escaped by
    /// an odd run of backslashes are not in them). Bytes of its span that need a
    /// look are found by their bits too: none in a plain string, and none in one
    /// whose only escapes are `\"` and `\\`, such as an escaped JSON body.
    #[inline(always)]
    fn string<const KEY: bool>(&mut self) -> Result<bool, GiveUp> {
        let start = self.at;
        self.cursor.reach(self.line, start)?;
        // The block's bits from `start` on.
        let mut live = !0u64 << (start + 64 - self.cursor.block_end);
        let mut ascii = true;
        loop {
            let block = self.cursor.block;
            let quotes = block.quote & live;
            // The bits before the first quote, or all when there is none.
            let span = live & quotes.wrapping_sub(1) & !quotes;
            if KEY {
                if (block.special | block.backslash) & span != 0 {
                    return Err(GiveUp);
                }
            } else if block.special & span != 0 {
                let base = self.cursor.block_end - 64;
                ascii &= check_special(self.line, start, base, block.special & span)?;
            }
            if quotes != 0 {
                self.at = self.cursor.block_end - 64 + quotes.trailing_zeros() as usize + 1;
                return Ok(ascii);
            }
            self.cursor = next_block(self.line, self.cursor)?;
            live = !0;
        }
    }
}

/// Skip JSON whitespace from `at`.
#[inline(never)]
fn skip_whitespace(line: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = line.get(at) {
        at += 1;
    }
    at
}

/// `true`, `false` or `null` at `at`: where it ends.
#[inline(never)]
fn literal(line: &[u8], at: usize) -> Result<usize, GiveUp> {
    let rest = &line[at..];
    for word in [&b"true"[..], b"false", b"null"] {
        if rest.starts_with(word) {
            return Ok(at + word.len());
        }
    }
    Err(GiveUp)
}

/// A number at `at` as serde_json's skipper reads it: `-`, no leading zeros,
/// an optional fraction with digits, an optional exponent with digits. Where it
/// ends.
#[inline(never)]
fn number(line: &[u8], mut at: usize) -> Result<usize, GiveUp> {
    let byte = |at: usize| line.get(at).copied().unwrap_or(0);
    if byte(at) == b'-' {
        at += 1;
    }
    match byte(at) {
        b'0' => {
            at += 1;
            if byte(at).is_ascii_digit() {
                return Err(GiveUp);
            }
        }
        b'1'..=b'9' => {
            at += 1;
            while byte(at).is_ascii_digit() {
                at += 1;
            }
        }
        _ => return Err(GiveUp),
    }
    if byte(at) == b'.' {
        at += 1;
        if !byte(at).is_ascii_digit() {
            return Err(GiveUp);
        }
        while byte(at).is_ascii_digit() {
            at += 1;
        }
    }
    if let b'e' | b'E' = byte(at) {
        at += 1;
        if let b'+' | b'-' = byte(at) {
            at += 1;
        }
        if !byte(at).is_ascii_digit() {
            return Err(GiveUp);
        }
        while byte(at).is_ascii_digit() {
            at += 1;
        }
    }
    Ok(at)
}

/// The special bytes of a string that starts at `start`, the `bits` of the
/// block at `base`: an escape other than `\"` and `\\` must be valid, and a
/// control character gives up. Whether there was no non-ASCII byte.
#[cold]
#[inline(never)]
fn check_special(line: &[u8], start: usize, base: usize, mut bits: u64) -> Result<bool, GiveUp> {
    let mut ascii = true;
    while bits != 0 {
        let at = base + bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let c = line[at];
        // Escaped when an odd run of backslashes precedes it, which begins after
        // the string's opening quote.
        let run = line[start..at]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if run % 2 == 1 {
            match c {
                b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    let hex = line.get(at + 1..at + 5).ok_or(GiveUp)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(GiveUp);
                    }
                }
                _ => return Err(GiveUp),
            }
        } else if c >= 0x80 {
            ascii = false;
        } else {
            return Err(GiveUp); // a control character
        }
    }
    Ok(ascii)
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

    #[inline]
    fn offer(&mut self, leaf: &Leaf, raw: &'de [u8]) {
        if self.wants(leaf) && leaf.kind.accepts(raw) {
            self.slots[leaf.slot] = Some((leaf.source, raw));
        }
    }
}

/// Walks one JSON value positioned at a trie node: an object's keys are matched
/// against the node's children; any other value is skipped. Yields whether the
/// value was an object.
struct Walk<'f, 'c, 'de> {
    sources: &'f [Source],
    node: &'f Node,
    caps: &'c mut Captures<'de>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, 'de> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        // `deserialize_any` so that a value of another type on a wanted path (a
        // string where an object was expected) is skipped, not an error.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Walk {
            sources,
            node,
            caps,
        } = self;
        while let Some(child) = map.next_key_seed(KeySeed(node))? {
            let Some(child) = child else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let capture = child
                .leaves
                .iter()
                .any(|&id| caps.wants(&Leaf::new(sources, id)));
            if capture {
                let raw: &'de RawValue = map.next_value()?;
                let raw = raw.get();
                for &id in &child.leaves {
                    caps.offer(&Leaf::new(sources, id), raw.as_bytes());
                }
                // The same value is also on a longer path: walk the captured text
                // again. It is a slice of the line, so what is captured inside still
                // borrows from the line; it has been validated already, so this
                // cannot fail, and the trie's depth bounds the recursion.
                if !child.children.is_empty() && raw.starts_with('{') {
                    let mut inner = serde_json::Deserializer::from_str(raw);
                    let walk = Walk {
                        sources,
                        node: child,
                        caps: &mut *caps,
                    };
                    walk.deserialize(&mut inner).map_err(de::Error::custom)?;
                }
            } else if !child.children.is_empty() {
                map.next_value_seed(Walk {
                    sources,
                    node: child,
                    caps: &mut *caps,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        // IgnoredAny skips nested values iteratively (serde_json keeps its own
        // stack on the heap), so even absurd nesting cannot overflow ours.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Reads one object key and looks it up among a node's children. `visit_str`
/// sees both borrowed keys and (rare) keys unescaped into serde_json's scratch
/// buffer, so `"st\u0061tus"` matches `status` without an allocation of ours.
struct KeySeed<'f>(&'f Node);

impl<'de, 'f> DeserializeSeed<'de> for KeySeed<'f> {
    type Value = Option<&'f Node>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'f> Visitor<'de> for KeySeed<'f> {
    type Value = Option<&'f Node>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.child(key))
    }
}

/// The text between the quotes of a raw JSON string, escapes left as they are;
/// `None` for any other value. `raw` has been validated, so a leading quote
/// implies a trailing one.
fn string_inner(raw: &[u8]) -> Option<&[u8]> {
    raw.strip_prefix(b"\"")?.strip_suffix(b"\"")
}

/// A number as written, or the contents of a string (`"0.123"`).
fn scalar_text(raw: &[u8]) -> &[u8] {
    string_inner(raw).unwrap_or(raw)
}

/// The bytes to look for an error name in: a string body as written (its quotes
/// escaped, which `name_in_body` expects), an object body as raw JSON.
fn body_bytes(raw: &[u8]) -> &[u8] {
    scalar_text(raw)
}

/// A status: a string is text, read as every format reads a status written as
/// text ([`text_status`]); a number must be an integer in 100..=599 (`-1`, `0`,
/// `1000` are out of range), and any other value (`4.5`, `4e2`, `true`, `{}`) is
/// not an integer.
#[inline]
fn parse_status(raw: &[u8]) -> Result<u16, Malformed> {
    if let Some(text) = string_inner(raw) {
        return text_status(text);
    }
    if let Some(status) = three_digit_status(raw) {
        return Ok(status);
    }
    if raw == b"0" {
        return Err(Malformed::NoResponse);
    }
    // A JSON integer has no leading zeros, so one that is not three digits worth
    // 100..=599 is out of range.
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        Err(Malformed::StatusOutOfRange)
    } else {
        Err(Malformed::StatusNotAnInteger)
    }
}

/// A time value: with no unit given, strings are text times (ISO-8601 or nginx
/// `time_local`) and numbers epoch seconds; with a unit, the unit says (an epoch
/// unit also reads a string of digits). `None` when it cannot be read.
fn parse_time_value(raw: &[u8], unit: Option<TimeUnit>) -> Option<i64> {
    match (string_inner(raw), unit) {
        (Some(text), None) => parse_text_time(text),
        (Some(text), Some(unit)) => parse_time(text, unit),
        (None, Some(TimeUnit::Iso8601)) => None,
        (None, unit) => parse_time(raw, unit.unwrap_or(TimeUnit::EpochS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::timestamp::DurationUnit;

    fn defaults() -> JsonFormat {
        JsonFormat::new(&[]).unwrap()
    }

    fn with(specs: &[&str]) -> JsonFormat {
        let fields: Vec<FieldOverride> = specs
            .iter()
            .map(|s| FieldOverride::parse(s).unwrap())
            .collect();
        JsonFormat::new(&fields).unwrap()
    }

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

    /// Lines the fast path must read exactly as the serde walk does, or give up on.
    const TRICKY_JSON: &[&[u8]] = &[
        br#"{"status":200}"#,
        br#"  {"status" : 201 ,"uri" :"/v3/x"}  	"#,
        b"{\"status\":200}\r",
        br#"{}"#,
        br#"{ }"#,
        br#"{"status":null}"#,
        br#"{"status":"404"}"#,
        br#"{"status":4.5}"#,
        br#"{"status":-1}"#,
        br#"{"status":0404}"#,
        br#"{"status":404.}"#,
        br#"{"status":4e2}"#,
        br#"{"status":4E+2,"x":1e-7,"y":-0.5}"#,
        br#"{"status":-}"#,
        br#"{"status":99999999999999999999}"#,
        br#"{"status":true}"#,
        br#"{"status":tru}"#,
        br#"{"status":nul,"reason":"X"}"#,
        br#"{"status":200,"status":500}"#,
        br#"{"status":400,"reason":"A","reason":"B"}"#,
        br#"{"status":400,"reason":null,"reason":"B"}"#,
        br#"{"status":400,"error_code":"","reason":"-","code":"C"}"#,
        br#"{"status":500,"code":500,"resp_body":"{\"reason\":\"INVALID_API_KEY\"}"}"#,
        br#"{"status":403,"resp_body":"{\"code\":403,\"reason\":\"X\",\"message\":\"key \\\"abc\\\" bad\"}"}"#,
        br#"{"status":400,"reason":"A\u005fB"}"#,
        br#"{"status":400,"reason":"A\u00"}"#,
        br#"{"status":400,"reason":"A\x"}"#,
        br#"{"status":400,"ua":"\ud800 lone surrogate"}"#,
        br#"{"st\u0061tus":418,"re\u0061son":"TEAPOT"}"#,
        r#"{"status":200,"user_agent":"Mozilla/5.0 (中文; 🦀) \u00e9","uri":"/v3/openai/模型"}"#
            .as_bytes(),
        b"{\"status\":200,\"user_agent\":\"caf\xe9\"}",
        b"{\"status\":400,\"reason\":\"X\xff\"}",
        b"{\"st\xffatus\":400}",
        b"{\"status\":200,\"ua\":\"tab\there\"}",
        b"{\"status\":200,\"ua\":\"new\nline\"}",
        br#"{"status":200,"body":{"code":"SUCCESS"}}"#,
        br#"{"status":429,"body":{"code":429,"reason":"RATE_LIMIT_EXCEEDED"}}"#,
        br#"{"status":200,"request":{"uri":"/k"}}"#,
        br#"{"status":200,"tries":[1,2,{"a":[]}]}"#,
        br#"{"status":200,"request":"GET /x HTTP/1.1","uri":"/u v"}"#,
        br#"{"status":200,"path":"-"}"#,
        br#"{"status":200,"duration_ms":5,"request_time":0.5}"#,
        br#"{"status":200,"request_time":"-","duration":true}"#,
        br#"{"status":503,"time":"yesterday"}"#,
        br#"{"status":200,"time":1700000000.25,"@timestamp":"2023-11-14T22:13:20Z"}"#,
        br#"{"status":200,}"#,
        br#"{"status":200"#,
        br#"{"status":200}}"#,
        br#"{"status":200} x"#,
        br#"{"status":200}{"status":200}"#,
        br#"{status:200}"#,
        br#"{'status':200}"#,
        br#"{"status" 200}"#,
        br#"{"status":200 "uri":"/x"}"#,
        br#"{"a":"unterminated}"#,
        br#"[{"status":200}]"#,
        br#"200"#,
        br#""x""#,
        br#"null"#,
        b"\x0c{\"status\":200}",
        br#"{"":1,"status":200}"#,
        br#"{"a_key_longer_than_sixteen_bytes":"v","status":201}"#,
        br#"{"statu":1,"statuses":2,"status":202}"#,
        br#"{"status":400,"an_error_name_key_of_many_bytes":"LONG","sixteen_bytes_ab":"/16"}"#,
        br#"{"sixteen_bytes_ab":"/16","status":400,"an_error_name_key_of_many_bytes":"L"}"#,
        br#"{"status":400,"sixteen_bytes_a":"/15","an_error_name_key_of_many_byte":"L"}"#,
        br#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 2326"#,
    ];

    fn fast_path(fmt: &JsonFormat, line: &[u8]) -> Option<Result<Fields<'static>, Malformed>> {
        let line: &'static [u8] = Box::leak(line.to_vec().into_boxed_slice());
        let flat = fmt.flat.as_ref()?;
        let mut caps = Captures::default();
        FastScan::new(line)
            .object(flat, &mut caps)
            .ok()
            .map(|()| fmt.fields(&caps))
    }

    #[test]
    fn fast_path_agrees_with_serde_walk() {
        let formats = [
            defaults(),
            with(&["name=ua", "latency=x:ms"]),
            with(&["status=status_code", "time=ts:epoch_ms", "body=body"]),
            // Keys of 16 bytes and more are not packed.
            with(&[
                "name=an_error_name_key_of_many_bytes",
                "path=sixteen_bytes_ab",
            ]),
        ];
        for fmt in &formats {
            assert!(fmt.flat.is_some());
            let mut taken = 0;
            for &line in TRICKY_JSON {
                let slow = fmt.parse_with_serde(line);
                if let Some(fast) = fast_path(fmt, line) {
                    taken += 1;
                    assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
                }
                assert_eq!(fmt.parse(line), slow, "{}", String::from_utf8_lossy(line));
            }
            // The fast path does take the ordinary lines.
            assert!(taken >= TRICKY_JSON.len() / 2, "fast path took {taken}");
        }
    }

    /// Read `line` with every format of [`fast_path_agrees_with_serde_walk`]:
    /// the fast path, when it takes the line, must give what the serde walk
    /// gives, and `parse` must always. Whether the default format's fast path
    /// took it.
    fn agrees(line: &[u8]) -> bool {
        thread_local! {
            static FORMATS: Vec<JsonFormat> = vec![
                defaults(),
                with(&["name=ua", "latency=x:ms"]),
                with(&["status=status_code", "time=ts:epoch_ms", "body=body"]),
                // Keys that are written with escapes: the walk unescapes them.
                with(&["name=q\"k", "path=b\\k"]),
            ];
        }
        FORMATS.with(|formats| {
            let mut taken = false;
            for (i, fmt) in formats.iter().enumerate() {
                let slow = fmt.parse_with_serde(line);
                if let Some(fast) = fast_path(fmt, line) {
                    taken |= i == 0;
                    assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
                }
                assert_eq!(fmt.parse(line), slow, "{}", String::from_utf8_lossy(line));
            }
            taken
        })
    }

    /// String contents that make the masks work: escaped quotes and
    /// backslashes, runs of backslashes of both parities, the other escapes,
    /// bad escapes, non-ASCII and control bytes.
    const PIECES: &[&[u8]] = &[
        br#"\""#,
        br#"\\"#,
        br#"\\\""#,
        br#"\\\\"#,
        br#"\\\\\""#,
        br#"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\"#,
        br#"\/\b\f\n\r\t"#,
        br#"\u00e9"#,
        br#"\u00"#,
        br#"\uZZZZ"#,
        br#"\x"#,
        br#"\'"#,
        "é中🦀".as_bytes(),
        b"\xe9",
        b"\xff\xfe",
        b"\x01",
        b"\x1f",
        b"\t",
        b"\x7f",
    ];

    #[test]
    fn fast_path_agrees_at_block_edges() {
        // Each piece at every position around the 16- and 64-byte edges, in a
        // skipped value, a captured one, an escaped body and a key.
        for pad in 0..140 {
            let a = "a".repeat(pad);
            for piece in PIECES {
                let piece = String::from_utf8_lossy(piece).into_owned();
                let piece = piece.as_str();
                let plain = !piece.contains(['\\', '\u{1}', '\u{1f}', '\t', '\u{fffd}'])
                    || piece.starts_with("\\\"")
                    || piece.starts_with("\\\\");
                let lines = [
                    format!(r#"{{"status":400,"ua":"{a}{piece}","uri":"/u"}}"#),
                    format!(r#"{{"ua":"{a}","status":400,"reason":"X{piece}Y","uri":"/u"}}"#),
                    format!(
                        r#"{{"ua":"{a}","status":400,"resp_body":"{{\"reason\":\"X{piece}\",\"code\":400}}"}}"#
                    ),
                    format!(r#"{{"ua":"{a}","k{piece}":1,"status":400}}"#),
                    format!(r#"{{"{a}{piece}":1,"status":400}}"#),
                    format!(r#"{{"ua":"{a}","q\"k":"N{piece}","b\\k":"/p","status":400}}"#),
                ];
                for (i, line) in lines.iter().enumerate() {
                    let taken = agrees(line.as_bytes());
                    if plain && i < 3 && piece.is_ascii() {
                        assert!(taken, "fast path gave up on {line}");
                    }
                }
            }
            // The raw (lossy-decoded above) bytes themselves.
            for piece in PIECES {
                let mut line = format!(r#"{{"status":400,"ua":"{a}"#).into_bytes();
                line.extend_from_slice(piece);
                line.extend_from_slice(br#"","reason":"R"#);
                line.extend_from_slice(piece);
                line.extend_from_slice(br#""}"#);
                agrees(&line);
            }
        }
    }

    #[test]
    fn fast_path_agrees_on_backslash_runs_across_blocks() {
        // A run of n backslashes ending at every offset around block edges,
        // followed by a quote: the string ends there when n is even.
        for end in 50..200 {
            for n in 1..70 {
                if n > end - 30 {
                    continue;
                }
                let mut value = "b".repeat(end - 30 - n);
                value.push_str(&"\\".repeat(n));
                let line = format!(r#"{{"status":500,"ua":"{value}","reason":"R"}}"#);
                let taken = agrees(line.as_bytes());
                assert_eq!(taken, n % 2 == 0, "{line}");
                let line = format!(r#"{{"status":500,"ua":"{value}" ,"reason":"R"}}"#);
                agrees(line.as_bytes());
            }
        }
    }

    #[test]
    fn fast_path_takes_long_lines() {
        // Far more blocks than any line of a test above, escapes in every one.
        let body = r#"\"k\":\"v\\\\\",\u00e9 "#.repeat(2_000);
        let line = format!(
            r#"{{"time":"2026-11-26T00:00:00.002+08:00","status":400,"resp_body":"{{{body}\"reason\":\"LONG\"}}","uri":"/long"}}"#
        );
        assert!(line.len() > 40_000);
        assert!(agrees(line.as_bytes()));
        let f = ok(line.as_bytes());
        assert_eq!(f.name, Some(&b"LONG"[..]));
        assert_eq!(f.path, Some(&b"/long"[..]));
        // Cut anywhere, it is invalid, and never read past its end.
        for cut in (1..line.len()).step_by(997) {
            assert!(!agrees(&line.as_bytes()[..cut]));
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_on_assembled_lines(
            pairs in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "status", "status_code", "reason", "error_code", "uri", "ua",
                        "request_time", "time", "resp_body", "x", "k\\u0061", "ts", "",
                    ]),
                    proptest::collection::vec(
                        proptest::prop_oneof![
                            8 => proptest::sample::select(vec![
                                &b"a"[..], b"\\\"", b"\\\\", b"\\", b"\"", b"\\u00e9", b"\\n",
                                b"\xc3\xa9", b"\xff", b"\x01", b" ", b"{", b"404", b"-",
                            ]),
                        ],
                        0..40,
                    ),
                    0u8..8,
                ),
                0..8,
            ),
            spaces in 0u8..4,
        ) {
            let ws = [&b""[..], b" ", b"\t", b"\r\n"][usize::from(spaces)];
            let mut line = b"{".to_vec();
            for (i, (key, parts, form)) in pairs.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                    line.extend_from_slice(ws);
                }
                line.extend_from_slice(format!("\"{key}\"").as_bytes());
                line.extend_from_slice(ws);
                line.push(b':');
                let text = parts.concat();
                match form {
                    0 => line.extend_from_slice(b"404"),
                    1 => line.extend_from_slice(b"-0.5e+3"),
                    2 => line.extend_from_slice(b"null"),
                    3 => line.extend_from_slice(&text),
                    _ => {
                        line.push(b'"');
                        line.extend_from_slice(&text);
                        line.push(b'"');
                    }
                }
            }
            line.extend_from_slice(ws);
            line.push(b'}');
            agrees(&line);
        }
    }

    #[test]
    fn fast_path_agrees_on_generated_lines() {
        let log =
            crate::generate::Generator::log(crate::command::cli::GenerateFormat::Json, 7, 5_000);
        let fmt = defaults();
        let mut taken = 0;
        for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let slow = fmt.parse_with_serde(line);
            if let Some(fast) = fast_path(&fmt, line) {
                taken += 1;
                assert_eq!(fast, slow, "{}", String::from_utf8_lossy(line));
            }
            assert_eq!(fmt.parse(line), slow);
        }
        assert!(taken > 4_500, "fast path took {taken} of 5000");
    }

    #[test]
    fn nested_key_paths_use_the_serde_walk_only() {
        assert!(with(&["status=response.status"]).flat.is_none());
    }

    /// The perfect hash gives every wanted key a slot of its own, for the
    /// defaults and for two hundred keys of every short length: each is found
    /// with its leaves, and look-alikes (one byte or one length off) find none.
    #[test]
    fn flat_keys_find_each_wanted_key_and_no_other() {
        let mut keys: Vec<String> = (0..200)
            .map(|i| format!("{}k{i}", "x".repeat(i % 12)))
            .collect();
        keys.extend(["a", "ab", "status", "code", "uri"].map(String::from));
        let root = {
            let mut root = Node::default();
            for (i, key) in keys.iter().enumerate() {
                root.insert(std::iter::once(key.as_str()), i);
            }
            root
        };
        let sources: Vec<Source> = keys
            .iter()
            .map(|k| {
                Source::from_override(&FieldOverride::parse(&format!("name={k}")).unwrap()).unwrap()
            })
            .collect();
        let flat = FlatKeys::new(&root, &sources).expect("a perfect hash for 205 keys");
        for (i, key) in keys.iter().enumerate() {
            let line = format!("{{\"{key}\":1}}");
            let leaves = flat.get(line.as_bytes(), 2, key.len());
            assert_eq!(
                leaves.iter().map(|l| l.source).collect::<Vec<_>>(),
                [i],
                "{key}"
            );
            for other in [
                format!("{key}z"),
                format!("z{}", &key[1..]),
                key[..key.len() - 1].to_string(),
            ] {
                if !keys.contains(&other) {
                    let line = format!("{{\"{other}\":1}}");
                    assert!(
                        flat.get(line.as_bytes(), 2, other.len()).is_empty(),
                        "{other}"
                    );
                }
            }
        }
        assert!(defaults().flat.is_some());
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
