//! Byte searches for the nginx line parser, sixteen bytes at a time.
//!
//! The parser looks for the end of a short value (a quote, a space, a bracket) a dozen
//! times per line. `memchr` is the fastest search over long text, but its call and
//! setup cost more than the search itself when the byte is a few positions away, so
//! these searches test sixteen bytes per step inline: on x86-64 with SSE2 compares
//! (part of the x86-64 baseline, so no runtime detection is needed and the binary runs
//! on any x86-64), elsewhere with a plain byte loop. A search that has not
//! ended after [`INLINE_BYTES`] bytes hands over to `memchr`, which switches to AVX2
//! where the CPU has it.
//!
//! A block is a `u16` bit mask: bit `i` set when byte `i` of the block matches.

/// Bytes searched inline before a search hands over to `memchr`.
pub const INLINE_BYTES: usize = 64;

/// The index of the first `needle` in `hay` at or after `from` (at most `hay.len()`).
///
/// Taking the whole line and a start, rather than the rest of the line, lets the
/// last few bytes of a line be tested as one block too: the line's last sixteen
/// bytes, with the bits before `from` shifted out.
#[inline(always)]
pub fn find_byte(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while hay.len() - at >= 16 {
        if at - from == INLINE_BYTES {
            return memchr::memchr(needle, &hay[at..]).map(|i| at + i);
        }
        let mask = block::eq(needle, sixteen(hay, at));
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    if at == hay.len() {
        return None;
    }
    if hay.len() < 16 {
        // A line this short: byte by byte.
        return hay[at..].iter().position(|&b| b == needle).map(|i| at + i);
    }
    let last = hay.len() - 16;
    let mask = block::eq(needle, sixteen(hay, last)) >> (at - last);
    (mask != 0).then(|| at + mask.trailing_zeros() as usize)
}

/// The sixteen bytes of `hay` at `at` (which has them).
#[inline(always)]
fn sixteen(hay: &[u8], at: usize) -> &[u8; 16] {
    hay[at..].first_chunk().expect("sixteen bytes left")
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod block {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};

    /// Bits of the sixteen `bytes` that equal `needle`.
    #[inline(always)]
    pub fn eq(needle: u8, bytes: &[u8; 16]) -> u16 {
        // SAFETY: `bytes` is 16 readable bytes and `loadu` has no alignment needs;
        // the intrinsics need SSE2, which this module is compiled only with (the
        // whole x86-64 target guarantees it).
        unsafe {
            let v = _mm_loadu_si128(bytes.as_ptr().cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(needle as i8))) as u16
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
mod block {
    /// Bits of the sixteen `bytes` that equal `needle`.
    #[inline(always)]
    pub fn eq(needle: u8, bytes: &[u8; 16]) -> u16 {
        let mut mask = 0;
        for (i, &b) in bytes.iter().enumerate() {
            mask |= u16::from(b == needle) << i;
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_at_every_offset_and_length() {
        // Every position of the needle in every length, across block edges, the
        // inline part and memchr's part; never a match past the end.
        for len in 0..200 {
            let mut hay = vec![b'a'; len];
            assert_eq!(find_byte(b'"', &hay, 0), None);
            for at in 0..len {
                hay[at] = b'"';
                for from in 0..=len {
                    let want = (at >= from).then_some(at);
                    assert_eq!(
                        find_byte(b'"', &hay, from),
                        want,
                        "len {len} at {at} from {from}"
                    );
                }
                hay[at] = b'a';
            }
        }
    }

    #[test]
    fn padding_never_matches_a_zero_needle() {
        assert_eq!(find_byte(0, b"abc", 0), None);
        assert_eq!(find_byte(0, b"ab\0", 0), Some(2));
    }

    proptest! {
        #[test]
        fn same_as_a_plain_search(hay in proptest::collection::vec(any::<u8>(), 0..300), needle: u8) {
            for from in 0..=hay.len() {
                let want = hay[from..].iter().position(|&b| b == needle).map(|i| from + i);
                prop_assert_eq!(find_byte(needle, &hay, from), want);
            }
        }
    }
}
