//! Byte searches for the line parsers, sixteen bytes at a time.
//!
//! The parsers look for the end of a short value (a quote, a space, a bracket) a dozen
//! times per line. `memchr` is the fastest search over long text, but its call and
//! setup cost more than the search itself when the byte is a few positions away, so
//! these searches test sixteen bytes per step inline: on x86-64 with SSE2 compares
//! (part of the x86-64 baseline, so no runtime detection is needed and the binary runs
//! on any x86-64), elsewhere with the same loop on plain words. A search that has not
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
        let mask = block::eq(needle, &hay[at..]);
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
    let mask = block::eq(needle, &hay[last..]) >> (at - last);
    (mask != 0).then(|| at + mask.trailing_zeros() as usize)
}

/// The index of the first byte of `hay` that ends a plain run of ASCII JSON string
/// text: `"`, `\`, a control character (below 0x20) or a non-ASCII byte (0x80 and
/// above).
#[inline(always)]
pub fn find_json_string_special(hay: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < hay.len() {
        let mask = block::json_string_special(&hay[at..]);
        if mask != 0 {
            return Some(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    None
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod block {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// The first sixteen bytes of `bytes`; past its end, bytes that are masked off
    /// by [`valid`]. Reads only inside `bytes`.
    #[inline(always)]
    fn load(bytes: &[u8]) -> __m128i {
        if let Some(head) = bytes.first_chunk::<16>() {
            // SAFETY: `head` is 16 readable bytes; `loadu` has no alignment needs.
            unsafe { _mm_loadu_si128(head.as_ptr().cast()) }
        } else {
            let mut padded = [0u8; 16];
            padded[..bytes.len()].copy_from_slice(bytes);
            // SAFETY: `padded` is 16 readable bytes; `loadu` has no alignment needs.
            unsafe { _mm_loadu_si128(padded.as_ptr().cast()) }
        }
    }

    /// Bits of the block's bytes that are inside `bytes`.
    #[inline(always)]
    fn valid(bytes: &[u8]) -> u16 {
        if bytes.len() >= 16 {
            u16::MAX
        } else {
            (1u16 << bytes.len()) - 1
        }
    }

    #[inline(always)]
    fn bits(v: __m128i) -> u16 {
        // SAFETY (this and every intrinsic call below): the module is compiled only
        // where SSE2 is enabled, which the whole x86-64 target guarantees.
        unsafe { _mm_movemask_epi8(v) as u16 }
    }

    /// Bits of the first sixteen bytes of `bytes` that equal `needle`.
    #[inline(always)]
    pub fn eq(needle: u8, bytes: &[u8]) -> u16 {
        let v = load(bytes);
        // SAFETY: SSE2, as in `bits`.
        let hits = unsafe { _mm_cmpeq_epi8(v, _mm_set1_epi8(needle as i8)) };
        bits(hits) & valid(bytes)
    }

    /// Bits of the first sixteen bytes of `bytes` that are `"`, `\`, below 0x20 or
    /// 0x80 and above.
    #[inline(always)]
    pub fn json_string_special(bytes: &[u8]) -> u16 {
        let v = load(bytes);
        // SAFETY: SSE2, as in `bits`.
        let hits = unsafe {
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Signed: bytes of 0x80 and above are negative, so below 0x20 as well.
            let low_or_high = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
            _mm_or_si128(_mm_or_si128(quote, backslash), low_or_high)
        };
        bits(hits) & valid(bytes)
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
mod block {
    /// Bits of the first sixteen bytes of `bytes` for which `hit` holds.
    #[inline(always)]
    fn mask_of(bytes: &[u8], hit: impl Fn(u8) -> bool) -> u16 {
        let mut mask = 0;
        for (i, &b) in bytes.iter().take(16).enumerate() {
            mask |= u16::from(hit(b)) << i;
        }
        mask
    }

    #[inline(always)]
    pub fn eq(needle: u8, bytes: &[u8]) -> u16 {
        mask_of(bytes, |b| b == needle)
    }

    #[inline(always)]
    pub fn json_string_special(bytes: &[u8]) -> u16 {
        mask_of(bytes, |b| {
            b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b)
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn special(b: u8) -> bool {
        b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b)
    }

    #[test]
    fn finds_at_every_offset_and_length() {
        // Every position of the needle in every length, across block edges, the
        // inline part and memchr's part; never a match past the end.
        for len in 0..200 {
            let mut hay = vec![b'a'; len];
            assert_eq!(find_byte(b'"', &hay, 0), None);
            assert_eq!(find_json_string_special(&hay), None);
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
                assert_eq!(find_json_string_special(&hay), Some(at));
                hay[at] = b'a';
            }
        }
    }

    #[test]
    fn json_specials_are_exactly_the_four_kinds() {
        for b in 0..=255u8 {
            let hay = [b'a', b'b', b];
            let want = special(b).then_some(2);
            assert_eq!(find_json_string_special(&hay), want, "{b:#x}");
        }
    }

    #[test]
    fn padding_never_matches_a_zero_needle() {
        assert_eq!(find_byte(0, b"abc", 0), None);
        assert_eq!(find_byte(0, b"ab\0", 0), Some(2));
        assert_eq!(find_json_string_special(b"abc"), None);
    }

    proptest! {
        #[test]
        fn same_as_a_plain_search(hay in proptest::collection::vec(any::<u8>(), 0..300), needle: u8) {
            for from in 0..=hay.len() {
                let want = hay[from..].iter().position(|&b| b == needle).map(|i| from + i);
                prop_assert_eq!(find_byte(needle, &hay, from), want);
            }
            prop_assert_eq!(
                find_json_string_special(&hay),
                hay.iter().position(|&b| special(b))
            );
        }
    }
}
