//! The line ends and quotes of a stretch of a chunk, found 64 bytes at a time.
//!
//! [`LineIndex::for_each_line`] reads a chunk [`WINDOW`] bytes at a time. For each
//! window it reads the bytes once, sixteen per compare ([`crate::lines::scan::Sixteen`]:
//! SSE2 on x86-64, part of its baseline), and lists where each line ends and where
//! every quote is, with how many quotes come before each line end. A line's quotes
//! are then a slice of that list, and nginx's own layouts split a line by reading
//! its quotes in order instead of searching for each
//! ([`crate::format::LogFormat::parse_quoted`]).
//!
//! Why: a gateway line needs eight quote searches and a newline search, and each
//! search ends on a branch whose outcome depends on the line (how far the next
//! quote is), which the CPU mispredicts; the time went to those branches more
//! than to the bytes. Here the positions are written without a branch per
//! position: eight slots per 64-byte block whatever the count (a block with more
//! than eight quotes takes a short loop for the rest), the ones past the count
//! holding junk that the next block overwrites.
//!
//! The window is small so that its bytes are still in the cache when its lines
//! are parsed. The walk over windows ([`for_each_window`]) and the listing of line
//! ends ([`add_ends`]) are shared with the JSON lines' structural index
//! ([`crate::format::json::LineIndex`]).

use std::ops::Range;

use crate::lines::scan::Sixteen;

/// Bytes indexed at a time.
pub const WINDOW: usize = 16 * 1024;

/// A line end: where its `\n` is in the window, and how many quotes come before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LineEnd {
    pub at: u32,
    pub quotes: u32,
}

/// The line ends and quotes of one window (see the module doc). Keep one per
/// thread and call [`LineIndex::for_each_line`] on each chunk: its lists are
/// allocated on first use and reused.
#[derive(Default)]
pub struct LineIndex {
    /// Every quote's position, in order; the first `quote_count` are valid. Sized
    /// for a window of quotes plus a block's slack, so the unconditional writes
    /// always land inside.
    quotes: Vec<u32>,
    quote_count: usize,
    /// The line ends, in order; the first `end_count` are valid. Sized like
    /// `quotes`.
    ends: Vec<LineEnd>,
    end_count: usize,
}

impl LineIndex {
    /// Call `each` on every line of `data` in order, with the positions of its
    /// quotes (as a base plus their index in the line), window by window. A line
    /// longer than a window is passed without them. The last line may lack its
    /// newline.
    pub fn for_each_line(
        &mut self,
        data: &[u8],
        each: &mut impl FnMut(&[u8], Option<(&[u32], u32)>),
    ) {
        for_each_window(data, self, &mut |line, at| {
            each(
                line,
                at.map(|at| (at.index.line_quotes(at.n), at.start as u32)),
            )
        });
    }

    /// The quotes of line `n` of the window: those after line end `n - 1` and
    /// before line end `n` (or the window's end, for its last line).
    #[inline(always)]
    fn line_quotes(&self, n: usize) -> &[u32] {
        let range = line_quotes(&self.ends[..self.end_count], self.quote_count, n);
        &self.quotes[range]
    }

    /// Index `window` (at most [`WINDOW`] bytes), replacing what was indexed before.
    fn index(&mut self, window: &[u8]) {
        assert!(window.len() <= WINDOW, "a window of at most WINDOW bytes");
        if self.quotes.is_empty() {
            self.quotes = vec![0; WINDOW + 64];
            self.ends = vec![LineEnd { at: 0, quotes: 0 }; WINDOW + 64];
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("popcnt") && std::is_x86_feature_detected!("bmi1") {
            // SAFETY: the CPU has the features the function is compiled for,
            // checked just above.
            return unsafe { self.index_popcnt_bmi1(window) };
        }
        self.index_blocks(window);
    }

    /// [`LineIndex::index`] compiled for CPUs with `popcnt` and `bmi1` (nearly all
    /// x86-64 CPUs since 2013, but not the x86-64 baseline): a bit count is one
    /// instruction instead of about fifteen, and clearing the lowest bit one instead
    /// of two: less work for the index, and less time for a gateway log (figures in
    /// docs/performance.md).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt,bmi1")]
    fn index_popcnt_bmi1(&mut self, window: &[u8]) {
        self.index_blocks(window);
    }

    #[inline(always)]
    fn index_blocks(&mut self, window: &[u8]) {
        let mut quotes = 0;
        let mut ends = 0;
        let mut base = 0;
        while base < window.len() {
            let (quote, newline) = masks(window, base);
            (quotes, ends) = add_block(
                &mut self.quotes,
                &mut self.ends,
                base,
                quote,
                newline,
                quotes,
                ends,
            );
            base += 64;
        }
        self.quote_count = quotes;
        self.end_count = ends;
    }

    /// The line ends found, in order.
    #[cfg(test)]
    fn ends(&self) -> &[LineEnd] {
        &self.ends[..self.end_count]
    }

    /// The positions of quotes number `from` up to `to` (from [`LineEnd::quotes`]).
    #[cfg(test)]
    fn quotes(&self, from: u32, to: u32) -> &[u32] {
        &self.quotes[from as usize..to as usize]
    }

    /// How many quotes the window holds.
    #[cfg(test)]
    fn quote_count(&self) -> u32 {
        self.quote_count as u32
    }
}

impl WindowIndex for LineIndex {
    fn index(&mut self, window: &[u8]) -> usize {
        LineIndex::index(self, window);
        self.end_count
    }

    #[inline(always)]
    fn end(&self, n: usize) -> usize {
        self.ends[n].at as usize
    }
}

/// List the quotes and line ends of the block at `base` in `quote_list` and
/// `end_list`, after `quotes` quotes and `ends` line ends; returns both counts
/// with the block's.
///
/// No branch depends on how many there are, up to eight quotes and one line
/// end a block: the slots are written whatever the count (`quotes` and `ends`
/// are at most `base`, one per byte, so the slots fit), and those past the
/// count hold junk that the next block overwrites.
#[inline(always)]
fn add_block(
    quote_list: &mut [u32],
    end_list: &mut [LineEnd],
    base: usize,
    quote: u64,
    newline: u64,
    quotes: usize,
    ends: usize,
) -> (usize, usize) {
    let base32 = base as u32;
    let slots: &mut [u32; 8] = (quote_list[quotes..])
        .first_chunk_mut()
        .expect("room for a block's slots");
    let mut rest = quote;
    for slot in slots {
        *slot = base32 + rest.trailing_zeros();
        rest &= rest.wrapping_sub(1);
    }
    let mut at = quotes + 8;
    while rest != 0 {
        quote_list[at] = base32 + rest.trailing_zeros();
        rest &= rest - 1;
        at += 1;
    }
    let ends = add_ends(end_list, base, quote, newline, quotes, ends);
    (quotes + quote.count_ones() as usize, ends)
}

/// List the line ends of the block at `base` in `end_list` after `ends` of them,
/// each with how many of the block's `quote` bits come before it, after `quotes`
/// quotes; returns the count with the block's. No branch depends on how many
/// there are, up to one a block (see [`add_block`]).
#[inline(always)]
pub(crate) fn add_ends(
    end_list: &mut [LineEnd],
    base: usize,
    quote: u64,
    newline: u64,
    quotes: usize,
    mut ends: usize,
) -> usize {
    let base32 = base as u32;
    let mut rest = newline;
    loop {
        let bit = rest & rest.wrapping_neg();
        end_list[ends] = LineEnd {
            at: base32 + rest.trailing_zeros(),
            quotes: (quotes + (quote & bit.wrapping_sub(1)).count_ones() as usize) as u32,
        };
        ends += usize::from(rest != 0);
        rest ^= bit;
        if rest == 0 {
            return ends;
        }
    }
}

/// The quotes of line `n` of a window, as a range of its quote list: those after
/// line end `n - 1` and before line end `n` (`ends` holds the window's line ends),
/// or the window's end, for its last line.
#[inline(always)]
fn line_quotes(ends: &[LineEnd], quote_count: usize, n: usize) -> Range<usize> {
    let from = if n == 0 {
        0
    } else {
        ends[n - 1].quotes as usize
    };
    let to = match ends.get(n) {
        Some(end) => end.quotes as usize,
        None => quote_count,
    };
    from..to
}

/// What [`for_each_window`] needs of a window's index: this index and the JSON
/// lines' ([`crate::format::json::LineIndex`]) share the walk over windows.
pub(crate) trait WindowIndex {
    /// Index `window` (at most [`WINDOW`] bytes, starting at a line's start),
    /// replacing the window before; how many line ends (newlines) it holds.
    fn index(&mut self, window: &[u8]) -> usize;

    /// Where line end `n` is in the window (below the count of
    /// [`WindowIndex::index`]).
    fn end(&self, n: usize) -> usize;
}

/// A line of an indexed window: the window, its index, the line's number in the
/// window and where it starts there.
pub(crate) struct InWindow<'a, 'i, I> {
    pub window: &'a [u8],
    pub index: &'i I,
    pub n: usize,
    pub start: usize,
}

/// Call `each` on every line of `data` in order, window by window, with its
/// window (see [`InWindow`]). Each window starts at a line's start and ends at
/// the last line end in it, so a line is held whole by one window; a line longer
/// than a window is passed without one. The last line may lack its newline.
#[inline(always)]
pub(crate) fn for_each_window<'a, I: WindowIndex>(
    data: &'a [u8],
    index: &mut I,
    each: &mut impl FnMut(&'a [u8], Option<InWindow<'a, '_, I>>),
) {
    let mut start = 0;
    while start < data.len() {
        let window = &data[start..data.len().min(start + WINDOW)];
        let count = index.index(window);
        let mut line_start = 0;
        for n in 0..count {
            let end = index.end(n);
            let at = InWindow {
                window,
                index: &*index,
                n,
                start: line_start,
            };
            each(&window[line_start..end], Some(at));
            line_start = end + 1;
        }
        if start + window.len() == data.len() {
            if line_start < window.len() {
                let at = InWindow {
                    window,
                    index: &*index,
                    n: count,
                    start: line_start,
                };
                each(&window[line_start..], Some(at));
            }
            return;
        }
        if line_start == 0 {
            // No line ends in the whole window: a line longer than a window,
            // passed without it.
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            each(&data[start..end], None);
            start = end + 1;
        } else {
            start += line_start;
        }
    }
}

/// The quote and newline masks of the 64 bytes of `window` at `base` (below its
/// length); bits past the window's end are clear.
#[inline(always)]
fn masks(window: &[u8], base: usize) -> (u64, u64) {
    if let Some(block) = window[base..].first_chunk::<64>() {
        return block_masks(block);
    }
    let left = window.len() - base;
    if window.len() >= 64 {
        // The window's last 64 bytes, with the bits before `base` shifted out.
        let last = window.len() - 64;
        let block = window[last..].first_chunk::<64>().expect("64 bytes");
        let (quote, newline) = block_masks(block);
        let shift = base - last;
        return (quote >> shift, newline >> shift);
    }
    let mut padded = [0u8; 64];
    padded[..left].copy_from_slice(&window[base..]);
    block_masks(&padded)
}

#[inline(always)]
fn block_masks(block: &[u8; 64]) -> (u64, u64) {
    let mut quote = 0;
    let mut newline = 0;
    for (i, sixteen) in block.chunks_exact(16).enumerate() {
        let v = Sixteen::load(sixteen.try_into().expect("16 bytes"));
        quote |= u64::from(v.eq(b'"')) << (16 * i);
        newline |= u64::from(v.eq(b'\n')) << (16 * i);
    }
    (quote, newline)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The index's view, in the plain form: each line end with the positions of
    /// the quotes before it that follow the previous end. Both builds of the
    /// index (for this CPU, and for the x86-64 baseline) must agree.
    fn lines(window: &[u8]) -> Vec<(u32, Vec<u32>)> {
        let mut index = LineIndex::default();
        index.index(window);
        let this_cpu = listed(&index);
        index.index_blocks(window);
        let baseline = listed(&index);
        assert_eq!(baseline, this_cpu);
        this_cpu
    }

    fn listed(index: &LineIndex) -> Vec<(u32, Vec<u32>)> {
        let mut from = 0;
        let mut out = Vec::new();
        for end in index.ends() {
            out.push((end.at, index.quotes(from, end.quotes).to_vec()));
            from = end.quotes;
        }
        out.push((u32::MAX, index.quotes(from, index.quote_count()).to_vec()));
        out
    }

    /// The same, byte by byte.
    fn reference(window: &[u8]) -> Vec<(u32, Vec<u32>)> {
        let mut out = Vec::new();
        let mut quotes = Vec::new();
        for (i, &b) in window.iter().enumerate() {
            match b {
                b'"' => quotes.push(i as u32),
                b'\n' => out.push((i as u32, std::mem::take(&mut quotes))),
                _ => {}
            }
        }
        out.push((u32::MAX, quotes));
        out
    }

    #[test]
    fn every_length_and_position() {
        for len in 0..200 {
            for at in 0..len {
                for b in [b'"', b'\n'] {
                    let mut window = vec![b'a'; len];
                    window[at] = b;
                    assert_eq!(lines(&window), reference(&window), "len {len} at {at}");
                }
            }
        }
    }

    #[test]
    fn blocks_full_of_quotes_and_a_full_window() {
        let all_quotes = vec![b'"'; 300];
        assert_eq!(lines(&all_quotes), reference(&all_quotes));
        let mixed: Vec<u8> = (0..WINDOW).map(|i| b"\"\n\"a"[i % 4]).collect();
        assert_eq!(lines(&mixed), reference(&mixed));
        let full = vec![b'"'; WINDOW];
        assert_eq!(lines(&full), reference(&full));
    }

    /// Each line `for_each_line` gives, with its quotes as indexes in the
    /// line (`None` when it gave none).
    fn lines_of(data: &[u8]) -> Vec<(Vec<u8>, Option<Vec<usize>>)> {
        let mut out = Vec::new();
        LineIndex::default().for_each_line(data, &mut |line, quotes| {
            let quotes = quotes.map(|(q, base)| q.iter().map(|&at| (at - base) as usize).collect());
            out.push((line.to_vec(), quotes));
        });
        out
    }

    #[test]
    fn indexed_lines_are_the_lines_with_their_quotes() {
        // Lines of every length up to a few hundred bytes, so that windows end at
        // every place in a line; lines about a window long, one longer than two;
        // CRLF, empty lines, quotes next to line ends; with and without a final
        // newline.
        let window = WINDOW;
        let mut lines: Vec<Vec<u8>> = (0..400)
            .map(|n| (0..n).map(|i| b"ab\"c \"\r"[(i * 5 + n) % 7]).collect())
            .collect();
        for len in [window - 2, window - 1, window, window + 1, 2 * window + 100] {
            lines.insert(len % 97, vec![b'"'; len]);
        }
        lines.extend([vec![], b"\"".to_vec(), b"\r".to_vec(), vec![]]);
        let joined = lines.join(&b'\n');
        for ending in [&b""[..], b"\n", b"y", b"\"", b"\"x\r"] {
            let data = [&joined[..], ending].concat();
            let mut want: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if want.last().is_some_and(|l| l.is_empty()) {
                want.pop(); // a final newline ends the last line; it starts none
            }
            let got = lines_of(&data);
            assert_eq!(got.len(), want.len());
            for ((line, quotes), want) in got.iter().zip(want) {
                assert_eq!(line, want);
                match quotes {
                    Some(quotes) => {
                        let all: Vec<usize> = (line.iter().enumerate())
                            .filter(|&(_, &b)| b == b'"')
                            .map(|(i, _)| i)
                            .collect();
                        assert_eq!(quotes, &all);
                    }
                    // Only a line that no window holds whole goes without.
                    None => assert!(line.len() >= window, "{}", line.len()),
                }
            }
        }
        assert!(lines_of(b"").is_empty());
    }

    proptest! {
        #[test]
        fn same_as_a_byte_loop(window in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\n'), Just(b'\\'), Just(b' '), any::<u8>()],
            0..1000,
        )) {
            prop_assert_eq!(lines(&window), reference(&window));
        }
    }
}
