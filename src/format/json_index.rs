//! Bit masks of a JSON line's string syntax, 64 bytes at a time, for the JSON fast
//! path ([`super::json`]'s `FastScan`).
//!
//! A [`Block`] describes 64 bytes of a line with one bit per byte (bit `i` for
//! byte `base + i`): where the quotes that can end a string are (quotes not
//! escaped by a backslash), where the backslashes are, and which bytes need a
//! closer look inside a string (control characters, non-ASCII bytes, and escapes
//! other than `\"` and `\\`). With them a string's end is a `trailing_zeros`, and a
//! string whose span has no special bit (nearly every string in a gateway log,
//! including escaped JSON bodies full of `\"`) needs no per-byte work at all.
//!
//! Which quotes are escaped is found as simdjson does it: a byte is escaped when
//! an odd run of backslashes precedes it, which bit arithmetic finds for all 64
//! bytes at once; a run that ends a block carries into the next, so blocks are
//! read in order ([`block`] takes and returns the carry). The masks treat every backslash as a possible
//! escape, inside a string or not: the scanner reads every byte outside strings
//! itself and gives up on a backslash there, so only backslashes inside strings
//! matter, and a run inside a string cannot begin before the string's opening
//! quote.
//!
//! The bytes are classified sixteen at a time with [`crate::lines::scan::Sixteen`] (SSE2
//! compares on x86-64, part of its baseline, so no runtime detection).
//! Loads stay inside the line: the last partial block of a line is read as the
//! line's last 64 bytes (overlapping what was read before) with the bits before
//! it shifted out, or, for a line under 64 bytes, from a padded copy.

use crate::lines::scan::Sixteen;

/// The masks of 64 bytes of a line; bits past the line's end are clear in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Block {
    /// Quotes not escaped by a backslash: the ends (and starts) of strings.
    pub quote: u64,
    /// Every backslash.
    pub backslash: u64,
    /// Bytes that, inside a string, need a closer look: below 0x20 (invalid
    /// there), 0x80 and above (not ASCII), and escaped bytes other than `"` and
    /// `\\` (valid only as `/ b f n r t` or `u` and four hex digits).
    pub special: u64,
}

/// The masks of the block of `line` at `base` (below the line's length), given
/// `carry`: 1 when the bytes before `base` end in an odd run of backslashes, so
/// that the byte at `base` is escaped. Returns the block and the carry into the
/// next one, so blocks are read in order.
#[inline]
pub(super) fn block(line: &[u8], base: usize, mut carry: u64) -> (Block, u64) {
    let raw = raw_masks(line, base);
    let mut escaped = escaped(raw.backslash, &mut carry);
    let left = line.len() - base;
    if left < 64 {
        // A backslash that ends the line escapes no byte.
        escaped &= (1u64 << left) - 1;
    }
    let escape = escaped & !(raw.quote | raw.backslash);
    let block = Block {
        quote: raw.quote & !escaped,
        backslash: raw.backslash,
        special: raw.low_or_high | escape,
    };
    (block, carry)
}

const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;

/// The bytes of a block escaped by a backslash, given its backslashes and the
/// carry from the block before (updated for the next): simdjson's
/// `json_escape_scanner`. A run of backslashes escapes every other byte from its
/// start, so what is escaped depends on whether the run starts on an even or an
/// odd bit; a subtraction tells the two apart for every run at once.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    if backslash == 0 {
        return std::mem::take(carry);
    }
    // A backslash escaped by the run before it starts no escape.
    let potential_escape = backslash & !*carry;
    // Odd bits set, and the bytes after each potential escape: subtracting the
    // escapes clears an even-aligned run's odd bits (and its code) and leaves an
    // odd-aligned run's code set; the xor with the odd bits then leaves the
    // escapes and the escaped codes of every run set.
    let maybe_escaped = potential_escape << 1;
    let escape_and_terminal_code =
        (maybe_escaped | ODD_BITS).wrapping_sub(potential_escape) ^ ODD_BITS;
    let escaped = escape_and_terminal_code ^ (backslash | *carry);
    let escape = escape_and_terminal_code & backslash;
    *carry = escape >> 63;
    escaped
}

/// The raw byte classes of one block.
#[derive(Debug, Default)]
struct Raw {
    quote: u64,
    backslash: u64,
    /// Below 0x20 or 0x80 and above.
    low_or_high: u64,
}

impl Raw {
    #[inline(always)]
    fn shr(self, n: u32) -> Raw {
        Raw {
            quote: self.quote >> n,
            backslash: self.backslash >> n,
            low_or_high: self.low_or_high >> n,
        }
    }

    #[inline(always)]
    fn and(self, keep: u64) -> Raw {
        Raw {
            quote: self.quote & keep,
            backslash: self.backslash & keep,
            low_or_high: self.low_or_high & keep,
        }
    }
}

/// The byte classes of sixteen bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Chunk {
    quote: u16,
    backslash: u16,
    low_or_high: u16,
}

/// The byte classes of `line[base..base + 64]`, clear past the line's end.
#[inline(always)]
fn raw_masks(line: &[u8], base: usize) -> Raw {
    if let Some(block) = line.get(base..base + 64) {
        return classify_block(block.try_into().expect("64 bytes"));
    }
    tail_masks(line, base)
}

/// [`raw_masks`] for the line's last, partial block.
#[inline(never)]
fn tail_masks(line: &[u8], base: usize) -> Raw {
    let left = line.len() - base;
    if let Some(last) = line.last_chunk::<64>() {
        // The line's last 64 bytes end at the same place; the bytes before
        // `base` in them are shifted out.
        classify_block(last).shr(64 - left as u32)
    } else {
        // A line under 64 bytes (so `base` is 0): the padding is masked off.
        let mut padded = [0u8; 64];
        padded[..left].copy_from_slice(line);
        classify_block(&padded).and((1u64 << left) - 1)
    }
}

/// The byte classes of 64 bytes.
#[inline(always)]
fn classify_block(block: &[u8; 64]) -> Raw {
    let mut raw = Raw::default();
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let chunk = classify(chunk.try_into().expect("sixteen bytes"));
        let at = 16 * k as u32;
        raw.quote |= u64::from(chunk.quote) << at;
        raw.backslash |= u64::from(chunk.backslash) << at;
        raw.low_or_high |= u64::from(chunk.low_or_high) << at;
    }
    raw
}

/// The byte classes of sixteen bytes.
#[inline(always)]
fn classify(bytes: &[u8; 16]) -> Chunk {
    let v = Sixteen::load(bytes);
    Chunk {
        quote: v.eq(b'"'),
        backslash: v.eq(b'\\'),
        low_or_high: v.control_or_non_ascii(),
    }
}

/// [`classify`] one byte at a time: the reference it is tested against.
#[cfg(test)]
fn classify_bytes(bytes: &[u8; 16]) -> Chunk {
    let mut chunk = Chunk::default();
    for (i, &b) in bytes.iter().enumerate() {
        chunk.quote |= u16::from(b == b'"') << i;
        chunk.backslash |= u16::from(b == b'\\') << i;
        chunk.low_or_high |= u16::from(!(0x20..0x80).contains(&b)) << i;
    }
    chunk
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The blocks' masks worked out one byte at a time, for the whole line.
    fn reference(line: &[u8]) -> Vec<Block> {
        let mut blocks = vec![Block::default(); line.len().div_ceil(64)];
        let mut run = 0; // backslashes just before this byte
        for (i, &b) in line.iter().enumerate() {
            let escaped = run % 2 == 1;
            let block = &mut blocks[i / 64];
            let bit = 1u64 << (i % 64);
            if b == b'"' && !escaped {
                block.quote |= bit;
            }
            if b == b'\\' {
                block.backslash |= bit;
            }
            let other_escape = escaped && b != b'"' && b != b'\\';
            if !(0x20..0x80).contains(&b) || other_escape {
                block.special |= bit;
            }
            run = if b == b'\\' { run + 1 } else { 0 };
        }
        blocks
    }

    fn blocks(line: &[u8]) -> Vec<Block> {
        let mut out = Vec::new();
        let mut carry = 0;
        for base in (0..line.len()).step_by(64) {
            let (block, next) = block(line, base, carry);
            out.push(block);
            carry = next;
        }
        out
    }

    #[test]
    fn classify_matches_bytes() {
        for b in 0..=255u8 {
            let mut bytes = [b'a'; 16];
            for i in [0, 7, 15] {
                bytes[i] = b;
                assert_eq!(classify(&bytes), classify_bytes(&bytes), "{b:#x} at {i}");
                bytes[i] = b'a';
            }
        }
    }

    #[test]
    fn every_length_and_position() {
        // A quote, an escaped quote, a control byte and a non-ASCII byte at every
        // position of lines of every length around the chunk and block sizes.
        for len in 0..200 {
            for at in 0..len {
                for piece in [
                    &b"\""[..],
                    b"\\\"",
                    b"\\\\\"",
                    b"\x01",
                    b"\xe9",
                    b"\\n",
                    b"\\u00e9",
                ] {
                    let mut line = vec![b'a'; len];
                    let end = (at + piece.len()).min(len);
                    line[at..end].copy_from_slice(&piece[..end - at]);
                    assert_eq!(blocks(&line), reference(&line), "{len} {at} {piece:?}");
                }
            }
        }
    }

    #[test]
    fn backslash_runs_across_blocks() {
        // Runs of every length ending just before, on and after block edges.
        for edge in [64, 128] {
            for run in 1..140 {
                for end in edge - 3..edge + 3 {
                    if run > end {
                        continue;
                    }
                    let mut line = vec![b'"'; 200];
                    line[end - run..end].fill(b'\\');
                    assert_eq!(blocks(&line), reference(&line), "run {run} ending {end}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn same_as_a_byte_loop(line in proptest::collection::vec(
            prop_oneof![
                4 => Just(b'\\'),
                2 => Just(b'"'),
                1 => Just(b'n'),
                1 => Just(b'u'),
                1 => Just(0x1fu8),
                1 => Just(0xc3u8),
                2 => Just(b'a'),
            ],
            0..400,
        )) {
            prop_assert_eq!(blocks(&line), reference(&line));
        }

        #[test]
        fn same_as_a_byte_loop_on_any_bytes(line in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(blocks(&line), reference(&line));
        }
    }
}
