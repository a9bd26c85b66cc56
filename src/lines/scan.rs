//! Byte searches for short text (the nginx line parser's values, request paths),
//! sixteen bytes at a time, and the sixteen-byte comparisons ([`Sixteen`]) both line
//! parsers build on.
//!
//! The nginx walk looks for the end of a short value (a quote, a space, a bracket) a
//! dozen times per line (nginx's own layouts take their quotes from
//! [`crate::lines::index`] instead). `memchr` is the fastest search over long text,
//! but its call and setup cost more than the search itself when the byte is a few
//! positions away, so
//! these searches test sixteen bytes per step inline: on x86-64 with SSE2 compares
//! (part of the x86-64 baseline, so no runtime detection is needed and the binary runs
//! on any x86-64), elsewhere with a plain byte loop. A search that has not
//! ended after [`INLINE_BYTES`] bytes hands over to `memchr`, which switches to AVX2
//! where the CPU has it.
//!
//! A block's matches are a `u16` bit mask: bit `i` set when byte `i` matches.

/// Bytes searched inline before a search hands over to `memchr`.
pub const INLINE_BYTES: usize = 64;

/// The index of the first `needle` in `hay` at or after `from` (at most `hay.len()`).
///
/// Taking the whole line and a start, rather than the rest of the line, lets the
/// last few bytes of a line be tested as one block too: the line's last sixteen
/// bytes, with the bits before `from` shifted out.
#[inline(always)]
pub fn find_byte(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    find_with(
        hay,
        from,
        |block| block.eq(needle),
        |b| b == needle,
        |rest| memchr::memchr(needle, rest),
    )
}

/// The index of the first `a` or `b` in `hay` at or after `from`, as
/// [`find_byte`] finds one byte.
#[inline(always)]
pub fn find_either(a: u8, b: u8, hay: &[u8], from: usize) -> Option<usize> {
    find_with(
        hay,
        from,
        |block| block.eq(a) | block.eq(b),
        |x| x == a || x == b,
        |rest| memchr::memchr2(a, b, rest),
    )
}

/// The search behind [`find_byte`] and [`find_either`]: `block` gives a sixteen-byte
/// block's matches, `byte` tests one byte (lines shorter than a block), `long`
/// searches what is left after [`INLINE_BYTES`].
#[inline(always)]
fn find_with(
    hay: &[u8],
    from: usize,
    block: impl Fn(Sixteen) -> u16,
    byte: impl Fn(u8) -> bool,
    long: impl Fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let mut at = from;
    while hay.len() - at >= 16 {
        if at - from == INLINE_BYTES {
            return long(&hay[at..]).map(|i| at + i);
        }
        let mask = block(Sixteen::load(sixteen(hay, at)));
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
        return hay[at..].iter().position(|&b| byte(b)).map(|i| at + i);
    }
    let last = hay.len() - 16;
    let mask = block(Sixteen::load(sixteen(hay, last))) >> (at - last);
    (mask != 0).then(|| at + mask.trailing_zeros() as usize)
}

/// The sixteen bytes of `hay` at `at` (which has them).
#[inline(always)]
fn sixteen(hay: &[u8], at: usize) -> &[u8; 16] {
    hay[at..].first_chunk().expect("sixteen bytes left")
}

/// Sixteen bytes loaded once and compared many ways, each comparison a `u16` bit
/// mask (bit `i` for byte `i`). The one place errscope's parsers use SIMD: SSE2 on
/// x86-64, a byte loop elsewhere.
#[derive(Clone, Copy)]
pub struct Sixteen(imp::Vector);

impl Sixteen {
    /// The sixteen bytes, in a register.
    #[inline(always)]
    pub fn load(bytes: &[u8; 16]) -> Sixteen {
        Sixteen(imp::load(bytes))
    }

    /// Bytes equal to `needle`.
    #[inline(always)]
    pub fn eq(self, needle: u8) -> u16 {
        imp::eq(self.0, needle)
    }

    /// Bytes below 0x20 (control characters) or 0x80 and above (not ASCII).
    #[inline(always)]
    pub fn control_or_non_ascii(self) -> u16 {
        imp::control_or_non_ascii(self.0)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod imp {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    pub type Vector = __m128i;

    // SAFETY (every block below): the module is compiled only where SSE2 is
    // enabled, which the whole x86-64 target guarantees; loads read 16 readable
    // bytes and `loadu` has no alignment needs.

    #[inline(always)]
    pub fn load(bytes: &[u8; 16]) -> Vector {
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    #[inline(always)]
    pub fn eq(v: Vector, needle: u8) -> u16 {
        unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(needle as i8))) as u16 }
    }

    #[inline(always)]
    pub fn control_or_non_ascii(v: Vector) -> u16 {
        // Signed: bytes of 0x80 and above are negative, so below 0x20 as well.
        unsafe { _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20))) as u16 }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
mod imp {
    pub type Vector = [u8; 16];

    #[inline(always)]
    pub fn load(bytes: &[u8; 16]) -> Vector {
        *bytes
    }

    #[inline(always)]
    fn mask(v: Vector, hit: impl Fn(u8) -> bool) -> u16 {
        let mut mask = 0;
        for (i, &b) in v.iter().enumerate() {
            mask |= u16::from(hit(b)) << i;
        }
        mask
    }

    #[inline(always)]
    pub fn eq(v: Vector, needle: u8) -> u16 {
        mask(v, |b| b == needle)
    }

    #[inline(always)]
    pub fn control_or_non_ascii(v: Vector) -> u16 {
        mask(v, |b| !(0x20..0x80).contains(&b))
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
        fn either_same_as_a_plain_search(hay in proptest::collection::vec(prop_oneof![Just(b'?'), Just(b'#'), any::<u8>()], 0..300)) {
            for from in 0..=hay.len() {
                let want = hay[from..].iter().position(|&b| b == b'?' || b == b'#').map(|i| from + i);
                prop_assert_eq!(find_either(b'?', b'#', &hay, from), want);
            }
        }

        #[test]
        fn same_as_a_plain_search(hay in proptest::collection::vec(any::<u8>(), 0..300), needle: u8) {
            for from in 0..=hay.len() {
                let want = hay[from..].iter().position(|&b| b == needle).map(|i| from + i);
                prop_assert_eq!(find_byte(needle, &hay, from), want);
            }
        }
    }
}
