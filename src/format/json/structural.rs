//! The string structure of JSON text, 64 bytes at a time: for a whole window of a
//! chunk at once ([`LineIndex`], the line loop's), or for one line.
//!
//! A [`Block`] describes 64 bytes with one bit per byte (bit `i` for byte
//! `64 * n + i` of block `n`): where the quotes that can end a string are (quotes
//! not escaped by a backslash), which bytes need a closer look inside a string
//! (control characters, non-ASCII bytes, and escapes other than `\"` and `\\`),
//! and which may not be in a key the walk reads itself (those and backslashes).
//! With them the walk ([`super::walk`]) finds a string's end with a
//! `trailing_zeros`, and a string whose span has no special bit (nearly
//! every string in a gateway log, escaped JSON bodies full of `\"` included) costs
//! no work per byte.
//!
//! Which quotes are escaped is found as simdjson does it: a byte is escaped when an
//! odd run of backslashes precedes it, which bit arithmetic finds for 64 bytes at
//! once; a run that ends a block carries into the next, so blocks are read in order.
//! The masks treat every backslash as a possible escape, inside a string or not: the
//! walk reads every byte outside strings itself and gives up on a backslash there,
//! and a run inside a string cannot begin before the string's opening quote. A run
//! never carries from one line into the next: it escapes the newline, which ends it.
//!
//! The line loop's pass ([`LineIndex::for_each_line`]) reads a chunk [`WINDOW`]
//! bytes at a time, and for each window writes the blocks and lists where each line
//! ends, in the same pass: the lines are found without a search per line, each byte
//! is classified once (a line's last bytes share a block with the next line's
//! first), and the window is small enough to be still in the cache when its lines
//! are walked.
//!
//! The bytes are classified by one of three kernels ([`Kernel`]), picked at run
//! time as `memchr` picks its own: AVX2 where the CPU has it, else SSE2 (part of
//! the x86-64 baseline), else (other architectures) a portable byte loop. All three
//! give the same blocks (tested); nothing needs `-C target-cpu`.

use crate::lines::index::{self, add_ends, LineEnd, WindowIndex, WINDOW};

/// The masks of 64 bytes; bits past the text's end are clear in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Block {
    /// Quotes not escaped by a backslash: the ends (and starts) of strings.
    pub quote: u64,
    /// Bytes a key read by the walk may not hold: every backslash (serde_json
    /// unescapes keys) and every special byte. One mask, so that a key is
    /// checked with one load per block.
    pub not_in_key: u64,
    /// Bytes that, inside a string, need a closer look: below 0x20 (invalid
    /// there), 0x80 and above (not ASCII), and escaped bytes other than `"` and
    /// `\\` (valid only as `/ b f n r t` or `u` and four hex digits).
    pub special: u64,
}

/// How the bytes are classified: every kernel gives the same blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    /// One byte at a time: other architectures, and the tests' reference.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    Portable,
    /// Sixteen bytes per compare (x86-64's baseline).
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// Thirty-two bytes per compare, where the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs (the check is cached by the standard
    /// library, so it costs a load).
    #[inline]
    pub fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
            Kernel::Sse2
        }
        #[cfg(not(target_arch = "x86_64"))]
        Kernel::Portable
    }
}

/// The raw byte classes of 64 bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Raw {
    quote: u64,
    backslash: u64,
    /// Below 0x20 or 0x80 and above.
    low_or_high: u64,
    newline: u64,
}

impl Raw {
    #[inline(always)]
    fn shr(self, n: u32) -> Raw {
        Raw {
            quote: self.quote >> n,
            backslash: self.backslash >> n,
            low_or_high: self.low_or_high >> n,
            newline: self.newline >> n,
        }
    }

    #[inline(always)]
    fn and(self, keep: u64) -> Raw {
        Raw {
            quote: self.quote & keep,
            backslash: self.backslash & keep,
            low_or_high: self.low_or_high & keep,
            newline: self.newline & keep,
        }
    }
}

/// Classify `text` with `kernel` into `blocks` (one per 64 bytes) and its line
/// ends (`ends`, which needs room for one per byte plus 64 of slack). Returns how
/// many line ends it wrote.
#[inline]
fn classify(kernel: Kernel, text: &[u8], blocks: &mut [Block], ends: &mut [LineEnd]) -> usize {
    match kernel {
        Kernel::Portable => classify_with(text, blocks, ends, portable::raw),
        #[cfg(target_arch = "x86_64")]
        Kernel::Sse2 => classify_with(text, blocks, ends, x86::sse2),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Kernel::Avx2` is only chosen where the CPU has AVX2
        // (`Kernel::detect`, and tests that check it first).
        Kernel::Avx2 => unsafe { x86::classify_avx2(text, blocks, ends) },
    }
}

/// [`classify`] with one kernel's 64-byte classifier, `raw`; inlined into each
/// kernel's function so that it is compiled for that kernel's CPU features.
#[inline(always)]
fn classify_with(
    text: &[u8],
    blocks: &mut [Block],
    ends: &mut [LineEnd],
    raw: impl Fn(&[u8; 64]) -> Raw,
) -> usize {
    let blocks = &mut blocks[..text.len().div_ceil(64)];
    let mut carry = 0;
    let mut count = 0;
    let (whole, _) = text.as_chunks::<64>();
    for (n, (bytes, block)) in whole.iter().zip(blocks.iter_mut()).enumerate() {
        let raw = raw(bytes);
        *block = finish(raw, &mut carry);
        count = add_ends(ends, 64 * n, 0, raw.newline, 0, count);
    }
    let base = whole.len() * 64;
    if base < text.len() {
        let left = text.len() - base;
        let raw = if let Some(last) = text.last_chunk::<64>() {
            // The text's last 64 bytes end at the same place; the bytes before
            // `base` in them are shifted out.
            raw(last).shr(64 - left as u32)
        } else {
            // Text under 64 bytes: the padding is masked off.
            let mut padded = [0u8; 64];
            padded[..left].copy_from_slice(text);
            raw(&padded).and((1u64 << left) - 1)
        };
        let mut block = finish(raw, &mut carry);
        // A backslash that ends the text escapes no byte of it.
        block.special &= (1u64 << left) - 1;
        block.not_in_key &= (1u64 << left) - 1;
        blocks[whole.len()] = block;
        count = add_ends(ends, base, 0, raw.newline, 0, count);
    }
    count
}

/// A block from its raw classes and the carry from the block before (updated).
#[inline(always)]
fn finish(raw: Raw, carry: &mut u64) -> Block {
    let escaped = escaped(raw.backslash, carry);
    let special = raw.low_or_high | (escaped & !(raw.quote | raw.backslash));
    Block {
        quote: raw.quote & !escaped,
        not_in_key: raw.backslash | special,
        special,
    }
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

/// The structure of a text (a window, or a line): its blocks and its line ends.
/// The lists grow on first use and are reused.
#[derive(Debug, Default)]
struct Structure {
    blocks: Vec<Block>,
    ends: Vec<LineEnd>,
    end_count: usize,
}

impl Structure {
    /// Index `text` with `kernel`, replacing what was indexed before.
    fn index(&mut self, kernel: Kernel, text: &[u8]) {
        let room = text.len() + 64;
        if self.ends.len() < room {
            self.ends.resize(room, LineEnd::default());
        }
        // One block more than the text's, left clear: the walk reads the masks of
        // the 64 bytes from any place in the text from two blocks in a row.
        let blocks = text.len().div_ceil(64);
        if self.blocks.len() < blocks + 1 {
            self.blocks.resize(blocks + 1, Block::default());
        }
        self.blocks[blocks] = Block::default();
        self.end_count = classify(kernel, text, &mut self.blocks, &mut self.ends);
    }
}

/// A line and its structure: the text up to the line's end (a window of the line
/// loop's index, or the line itself), that text's blocks, and where the line
/// starts in it.
#[derive(Debug, Clone, Copy)]
pub struct IndexedLine<'a, 'b> {
    pub(super) text: &'a [u8],
    pub(super) blocks: &'b [Block],
    pub(super) start: usize,
}

/// Call `each` with the structure of `line`, for a line the line loop did not
/// index (one longer than a window, one out of an envelope or a preset,
/// detection's sample): indexed alone, into lists kept per thread.
pub(super) fn with_line<'a, R>(line: &'a [u8], each: impl FnOnce(IndexedLine<'a, '_>) -> R) -> R {
    thread_local! {
        static LINE: std::cell::RefCell<LineIndex> = std::cell::RefCell::default();
    }
    LINE.with_borrow_mut(|index| index.line(line, each))
}

/// The structure of one window of a chunk at a time (see the module doc). Keep
/// one per worker thread and call [`LineIndex::for_each_line`] on each chunk: its
/// lists are allocated on first use and reused.
#[derive(Debug)]
pub struct LineIndex {
    kernel: Kernel,
    structure: Structure,
}

impl Default for LineIndex {
    fn default() -> LineIndex {
        LineIndex::with(Kernel::detect())
    }
}

impl LineIndex {
    /// An index whose text is classified by `kernel`.
    pub(super) fn with(kernel: Kernel) -> LineIndex {
        LineIndex {
            kernel,
            structure: Structure::default(),
        }
    }

    /// Call `each` on every line of `data` in order, with its structure (see
    /// [`IndexedLine`]). A line longer than a window is passed without it. The
    /// last line may lack its newline.
    pub fn for_each_line<'a>(
        &mut self,
        data: &'a [u8],
        each: &mut impl FnMut(&'a [u8], Option<IndexedLine<'a, '_>>),
    ) {
        index::for_each_window(data, self, &mut |line, at| {
            let at = at.map(|at| IndexedLine {
                text: &at.window[..at.start + line.len()],
                blocks: &at.index.structure.blocks,
                start: at.start,
            });
            each(line, at)
        });
    }

    /// Call `each` with the structure of `line`, indexed alone.
    pub(super) fn line<'a, R>(
        &mut self,
        line: &'a [u8],
        each: impl FnOnce(IndexedLine<'a, '_>) -> R,
    ) -> R {
        self.structure.index(self.kernel, line);
        each(IndexedLine {
            text: line,
            blocks: &self.structure.blocks,
            start: 0,
        })
    }
}

impl WindowIndex for LineIndex {
    fn index(&mut self, window: &[u8]) -> usize {
        assert!(window.len() <= WINDOW, "a window of at most WINDOW bytes");
        self.structure.index(self.kernel, window);
        self.structure.end_count
    }

    #[inline(always)]
    fn end(&self, n: usize) -> usize {
        self.structure.ends[n].at as usize
    }
}

/// The portable kernel: a byte loop.
mod portable {
    use super::Raw;

    #[inline(always)]
    pub fn raw(bytes: &[u8; 64]) -> Raw {
        let mut raw = Raw::default();
        for (i, &b) in bytes.iter().enumerate() {
            let bit = 1u64 << i;
            raw.quote |= bit * u64::from(b == b'"');
            raw.backslash |= bit * u64::from(b == b'\\');
            raw.low_or_high |= bit * u64::from(!(0x20..0x80).contains(&b));
            raw.newline |= bit * u64::from(b == b'\n');
        }
        raw
    }
}

/// The x86-64 kernels: SSE2 (the baseline) and AVX2 (detected at run time).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{classify_with, Block, LineEnd, Raw};

    /// 64 bytes classified sixteen at a time.
    #[inline(always)]
    pub fn sse2(bytes: &[u8; 64]) -> Raw {
        let mut raw = Raw::default();
        for (k, sixteen) in bytes.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is part of the x86-64 baseline, so every x86-64 CPU
            // runs these; `sixteen` is 16 readable bytes and the load is
            // unaligned.
            unsafe {
                let v = _mm_loadu_si128(sixteen.as_ptr().cast());
                let mask = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
                raw.quote |= mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
                raw.backslash |= mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
                // Signed, 0x80 and above are negative: one compare finds both.
                raw.low_or_high |= mask(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
                raw.newline |= mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)));
            }
        }
        raw
    }

    /// 64 bytes classified thirty-two at a time; only called from functions
    /// compiled with AVX2.
    #[inline(always)]
    unsafe fn avx2(bytes: &[u8; 64]) -> Raw {
        let mut raw = Raw::default();
        for (k, half) in bytes.chunks_exact(32).enumerate() {
            // SAFETY: `half` is 32 readable bytes; the load is unaligned, and
            // the caller runs with AVX2.
            unsafe {
                let v = _mm256_loadu_si256(half.as_ptr().cast());
                let mask = |m: __m256i| u64::from(_mm256_movemask_epi8(m) as u32) << (32 * k);
                raw.quote |= mask(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8)));
                raw.backslash |= mask(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8)));
                // Signed, 0x80 and above are negative: one compare finds both.
                raw.low_or_high |= mask(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v));
                raw.newline |= mask(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\n' as i8)));
            }
        }
        raw
    }

    /// [`super::classify`] compiled for AVX2.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn classify_avx2(text: &[u8], blocks: &mut [Block], ends: &mut [LineEnd]) -> usize {
        // SAFETY: this function only runs where the CPU has AVX2 (its contract).
        classify_with(text, blocks, ends, |bytes| unsafe { avx2(bytes) })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every kernel this CPU runs, the portable one first.
    pub(in super::super) fn kernels() -> Vec<Kernel> {
        #[allow(unused_mut)]
        let mut kernels = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            kernels.push(Kernel::Sse2);
            if std::is_x86_feature_detected!("avx2") {
                kernels.push(Kernel::Avx2);
            } else {
                eprintln!("this CPU has no AVX2: its kernel is not tested here");
            }
        }
        kernels
    }

    /// The blocks worked out one byte at a time, for the whole text.
    fn reference(text: &[u8]) -> Vec<Block> {
        let mut blocks = vec![Block::default(); text.len().div_ceil(64)];
        let mut run = 0; // backslashes just before this byte
        for (i, &b) in text.iter().enumerate() {
            let escaped = run % 2 == 1;
            let block = &mut blocks[i / 64];
            let bit = 1u64 << (i % 64);
            if b == b'"' && !escaped {
                block.quote |= bit;
            }
            let other_escape = escaped && b != b'"' && b != b'\\';
            if !(0x20..0x80).contains(&b) || other_escape {
                block.special |= bit;
                block.not_in_key |= bit;
            }
            if b == b'\\' {
                block.not_in_key |= bit;
            }
            run = if b == b'\\' { run + 1 } else { 0 };
        }
        blocks
    }

    /// The blocks of `text` indexed alone by every kernel, which must agree with
    /// each other; and the same text read by the line loop's index, whose blocks
    /// must agree with the reference up to each line's end, and whose lines must
    /// be the text's.
    fn blocks(text: &[u8]) -> Vec<Block> {
        let n = text.len().div_ceil(64);
        let mut first = None;
        for kernel in kernels() {
            LineIndex::with(kernel).line(text, |at| {
                let blocks = at.blocks[..n].to_vec();
                match &first {
                    None => first = Some(blocks),
                    Some(first) => assert_eq!(&blocks, first, "{kernel:?}"),
                }
            });
        }
        thread_local! {
            // One index per kernel, reused (each holds a window's lists).
            static INDEXES: std::cell::RefCell<Vec<LineIndex>> =
                std::cell::RefCell::new(kernels().into_iter().map(LineIndex::with).collect());
        }
        INDEXES.with_borrow_mut(|indexes| {
            for index in indexes {
                let kernel = index.kernel;
                let mut lines = Vec::new();
                index.for_each_line(text, &mut |line, at| {
                    lines.push(line);
                    let at = at.expect("short lines are indexed");
                    assert_eq!(&at.text[at.start..], line);
                    let len = at.text.len();
                    let want = reference(at.text);
                    for (i, want) in want.iter().enumerate() {
                        let keep = if len - 64 * i >= 64 {
                            !0
                        } else {
                            (1u64 << (len - 64 * i)) - 1
                        };
                        let got = at.blocks[i];
                        let got = Block {
                            quote: got.quote & keep,
                            not_in_key: got.not_in_key & keep,
                            special: got.special & keep,
                        };
                        assert_eq!(got, *want, "{kernel:?} block {i} of {len}");
                    }
                });
                let mut want: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                if want.last().is_some_and(|l| l.is_empty()) {
                    want.pop();
                }
                assert_eq!(lines, want, "{kernel:?}");
            }
        });
        first.expect("the portable kernel")
    }

    #[test]
    fn every_byte_in_every_kernel() {
        for b in 0..=255u8 {
            for at in [0, 15, 16, 31, 32, 63] {
                let mut text = [b'a'; 64];
                text[at] = b;
                assert_eq!(blocks(&text), reference(&text), "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn every_length_and_position() {
        // A quote, an escaped quote, a control byte and a non-ASCII byte at every
        // position of texts of every length around the block sizes.
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
                    let mut text = vec![b'a'; len];
                    let end = (at + piece.len()).min(len);
                    text[at..end].copy_from_slice(&piece[..end - at]);
                    assert_eq!(blocks(&text), reference(&text), "{len} {at} {piece:?}");
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
                    let mut text = vec![b'"'; 200];
                    text[end - run..end].fill(b'\\');
                    assert_eq!(blocks(&text), reference(&text), "run {run} ending {end}");
                }
            }
        }
    }

    #[test]
    fn lines_across_windows() {
        // Lines of every length up to a few hundred bytes, so that windows end at
        // every place in a line, with escapes, quotes and backslashes at line
        // ends; and a line longer than a window, passed without its structure.
        let lines: Vec<Vec<u8>> = (0..400)
            .map(|n| {
                (0..n)
                    .map(|i| b"ab\"c\\\\\"\\\xe9"[(i * 5 + n) % 9])
                    .collect()
            })
            .collect();
        let text = lines.join(&b'\n');
        assert!(text.len() > 2 * WINDOW);
        blocks(&text);
        let long = [&b"x\n"[..], &vec![b'"'; WINDOW + 10], b"\ny"].concat();
        let mut seen = Vec::new();
        LineIndex::default().for_each_line(&long, &mut |line, at| {
            seen.push((line.len(), at.is_some()));
        });
        assert_eq!(seen, [(1, true), (WINDOW + 10, false), (1, true)]);
    }

    proptest! {
        #[test]
        fn same_as_a_byte_loop(text in proptest::collection::vec(
            prop_oneof![
                4 => Just(b'\\'),
                2 => Just(b'"'),
                1 => Just(b'\n'),
                1 => Just(b'u'),
                1 => Just(0x1fu8),
                1 => Just(0xc3u8),
                2 => Just(b'a'),
            ],
            0..400,
        )) {
            prop_assert_eq!(blocks(&text), reference(&text));
        }

        #[test]
        fn same_as_a_byte_loop_on_any_bytes(text in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(blocks(&text), reference(&text));
        }
    }
}
