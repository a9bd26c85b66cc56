//! gzip decoding with ISA-L's streaming inflate (`isal_inflate`, the code behind
//! `igzip`), about twice as fast as flate2's `MultiGzDecoder` (figures in
//! docs/performance.md, "gzip inflate").
//!
//! [`GzipDecoder`] is a [`Read`] over any reader, seekable or not, with our own
//! input buffer, and behaves as `MultiGzDecoder` does:
//!
//! - every member of the file is decoded (`cat a.gz b.gz`, pigz, bgzip);
//! - each member's trailer (CRC-32 and length) is checked, a mismatch is an error;
//! - bytes after a member that do not start another one are an error;
//! - a stream cut short hands out every byte that can be decoded before the cut,
//!   exactly what flate2 (and gzip) hand out, then the error;
//! - a corrupt stream hands out every byte decoded before the damage was found, as
//!   zlib does, then the error.
//!
//! ISA-L alone does not do the last two: its fast loop writes a match before it
//! checks the distance, so its output on an error may end in bytes that were never
//! decoded; and it decodes up to three literals with one table look-up, so at the
//! end of the input it keeps back the first literals of a group whose last symbol
//! is cut. So before each call the state is kept, and an error is decoded again from
//! it a few bytes at a time (ISA-L's careful loop, which checks first:
//! [`exact_output`]); and the literals kept back at a cut are decoded from ISA-L's
//! table ([`held_back_literals`]).
//!
//! Headers are parsed by `isal_read_gzip_header` with a header record kept across
//! calls: `isal_inflate` can parse them too, but it starts a fresh record on every
//! call, so a header split across two reads (a name, then a comment) loses the flags
//! it has read.

use std::io::{self, Read};

use isal_sys::igzip_lib as isal;

/// Compressed bytes read from the source at a time.
const INPUT_BYTES: usize = 128 << 10;

/// Input given to ISA-L per call when decoding again after an error: under the 8
/// bytes (`IN_BUFFER_SLOP` of `igzip_decode_block_stateless.asm`) below which it
/// leaves its fast loop for the one that checks every symbol before writing it.
const CAREFUL_STEP: usize = 4;

/// A gzip stream's decoder: every member, checked, over a reader that need not seek.
pub struct GzipDecoder<R> {
    inner: R,
    inflate: Box<Inflate>,
    /// The state when the current input was read, to decode `input[replay_from..]`
    /// again after an error; `handed_since` bytes have been handed out since.
    before: Box<State>,
    /// `before` is not kept: the member's data began in this input, so decoding
    /// again starts from a fresh state (a copy per member would cost as much as
    /// the decoding itself on bgzip's 64 KiB members).
    fresh: bool,
    replay_from: usize,
    handed_since: u64,
    /// Compressed bytes; `input[start..end]` are not yet given to ISA-L.
    input: Box<[u8]>,
    start: usize,
    end: usize,
    /// The reader has ended.
    eof: bool,
    stage: Stage,
    /// Bytes decoded before an error, `decoded[handed..]` still to hand out.
    decoded: Vec<u8>,
    handed: usize,
    /// The error that ended the stream, reported once `decoded` is handed out, and
    /// by every read after.
    failed: Option<(io::ErrorKind, &'static str)>,
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// In a member's header (the first member's from the start).
    Header,
    /// In a member's deflate data or trailer.
    Body,
    /// After a member's trailer: the end, or another member.
    Between,
}

/// ISA-L's inflate state and the header record, boxed (the state holds a 64 KiB
/// window) so that moving the decoder moves a pointer.
struct Inflate {
    state: isal::inflate_state,
    header: isal::isal_gzip_header,
}

// SAFETY: `Inflate` (and `inflate_state`, also kept alone) is `!Send` only for its
// raw pointers. `state.next_in` and `state.next_out` are set by `GzipDecoder`
// before every call into ISA-L, to its own input buffer and to the buffer being
// filled, and are never read through outside a call; the header's `extra`, `name`
// and `comment` are null (ISA-L skips those fields). ISA-L keeps nothing per thread:
// its global data are read-only tables and the CPU dispatch, set once and shared.
// So a state may move to another thread between calls, as the decoder thread does.
unsafe impl Send for Inflate {}

/// An `inflate_state` on its own (the copy kept before each call), `Send` as in
/// [`Inflate`].
struct State(isal::inflate_state);

// SAFETY: as for `Inflate`: its pointers are set before every call and not read
// through otherwise.
unsafe impl Send for State {}

impl Inflate {
    /// A state ready for a gzip stream's first header.
    fn new() -> Box<Inflate> {
        // SAFETY: every field of both records is an integer, an array of integers, a
        // union of integers or a raw pointer, for which all zero bits are valid.
        let mut inflate: Box<Inflate> = unsafe { zeroed_box() };
        inflate.start_member();
        inflate
    }

    /// Ready for a member's header: a fresh state and header record. Unread input
    /// (`next_in`, `avail_in`) is set before each call, so nothing else is kept.
    fn start_member(&mut self) {
        fresh_state(&mut self.state, false);
        // SAFETY: the pointer is to a record owned by `self`.
        unsafe { isal::isal_gzip_header_init(&mut self.header) };
    }
}

/// A box of `T` allocated zeroed on the heap (ISA-L's state is too large for the
/// stack; `Box::new_zeroed` needs a newer Rust than `rust-version`).
///
/// # Safety
///
/// All zero bits must be a valid `T`, and `T` not zero-sized.
unsafe fn zeroed_box<T>() -> Box<T> {
    let layout = std::alloc::Layout::new::<T>();
    // SAFETY: `layout` is not zero-sized (the caller's promise).
    let memory = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if memory.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `memory` was allocated by the global allocator with `T`'s layout, and
    // holds a valid `T` (all zero bits, the caller's promise).
    unsafe { Box::from_raw(memory) }
}

/// Make `state` ISA-L's initial state for a gzip member, checking the trailer's
/// CRC-32 and length; with `header_read`, as it is once `isal_read_gzip_header` has
/// read the header (which `isal_inflate` then does not look for).
fn fresh_state(state: &mut isal::inflate_state, header_read: bool) {
    // SAFETY: the pointer is to a record the caller owns.
    unsafe { isal::isal_inflate_init(state) };
    state.crc_flag = isal::ISAL_GZIP;
    if header_read {
        state.wrapper_flag = 1;
    }
}

/// Which ISA-L function [`run`] calls.
enum Call<'a> {
    /// `isal_read_gzip_header`: a member's header, parsed as far as the input goes,
    /// into the record.
    Header(&'a mut isal::isal_gzip_header),
    /// `isal_inflate`: a member's deflate data and trailer, as far as the input and
    /// the output go.
    Inflate,
}

/// Run `call` on `state` with `input` and room `out`: ISA-L's code, the input left
/// unread, and the bytes written.
fn run(
    state: &mut isal::inflate_state,
    call: Call<'_>,
    input: &mut [u8],
    out: &mut [u8],
) -> (i32, usize, usize) {
    // Inputs are at most `INPUT_BYTES`; a read longer than 4 GiB is served in part.
    let room = out.len().min(u32::MAX as usize);
    state.next_in = input.as_mut_ptr();
    state.avail_in = input.len() as u32;
    state.next_out = out.as_mut_ptr();
    state.avail_out = room as u32;
    // SAFETY: `next_in` and `next_out` point to `avail_in` readable and `avail_out`
    // writable bytes that outlive the call; ISA-L writes only there, into the state
    // and into the header record (whose buffers are null: not written).
    let code = unsafe {
        match call {
            Call::Header(header) => isal::isal_read_gzip_header(state, header),
            Call::Inflate => isal::isal_inflate(state),
        }
    };
    (
        code,
        state.avail_in as usize,
        room - state.avail_out as usize,
    )
}

impl<R: Read> GzipDecoder<R> {
    /// A decoder of the gzip stream `inner`.
    pub fn new(inner: R) -> GzipDecoder<R> {
        GzipDecoder {
            inner,
            inflate: Inflate::new(),
            // SAFETY: as in `Inflate::new`: all zero bits are a valid state.
            before: unsafe { zeroed_box() },
            fresh: true,
            replay_from: 0,
            handed_since: 0,
            input: vec![0; INPUT_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            stage: Stage::Header,
            decoded: Vec::new(),
            handed: 0,
            failed: None,
        }
    }

    /// Read more compressed bytes once all earlier ones are taken (none at the end).
    fn fill(&mut self) -> io::Result<()> {
        loop {
            match self.inner.read(&mut self.input) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    (self.start, self.end) = (0, n);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Keep the state (unless `fresh`: a member's data starts here) and where its
    /// unread input starts, to decode from here again after an error. Done once per
    /// input read (not per call: small reads would each copy the 87 KB state).
    fn keep_state(&mut self, fresh: bool) {
        if !fresh {
            self.before.0 = self.inflate.state;
        }
        self.fresh = fresh;
        self.replay_from = self.start;
        self.handed_since = 0;
    }

    /// Run ISA-L on the unread input into `out` (`header`: parse a header):
    /// ISA-L's code and the bytes written.
    fn call(&mut self, header: bool, out: &mut [u8]) -> (i32, usize) {
        let Inflate {
            state,
            header: record,
        } = &mut *self.inflate;
        let call = if header {
            Call::Header(record)
        } else {
            Call::Inflate
        };
        let input = &mut self.input[self.start..self.end];
        let (code, left, written) = run(state, call, input, out);
        self.start = self.end - left;
        (code, written)
    }

    /// End the stream with an error: `decoded` (the bytes before it) are handed out
    /// first, then `message`, by every later read.
    fn stop(
        &mut self,
        out: &mut [u8],
        decoded: Vec<u8>,
        kind: io::ErrorKind,
        message: &'static str,
    ) -> io::Result<usize> {
        (self.decoded, self.handed) = (decoded, 0);
        self.failed = Some((kind, message));
        self.read(out)
    }
}

/// What ISA-L's error `code` means for a gzip stream (`in_header`: met in a header).
fn error_message(code: i32, in_header: bool) -> &'static str {
    match code {
        isal::ISAL_INVALID_WRAPPER => "invalid gzip header",
        isal::ISAL_UNSUPPORTED_METHOD => "gzip member not compressed with deflate",
        isal::ISAL_INCORRECT_CHECKSUM if in_header => "invalid gzip header checksum",
        isal::ISAL_INCORRECT_CHECKSUM => {
            "gzip member's trailer does not match its data (CRC-32 or length)"
        }
        _ => "corrupt deflate stream",
    }
}

impl<R: Read> Read for GzipDecoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, message)) = self.failed {
            let left = &self.decoded[self.handed..];
            if left.is_empty() || out.is_empty() {
                return if left.is_empty() {
                    Err(io::Error::new(kind, message))
                } else {
                    Ok(0)
                };
            }
            let n = left.len().min(out.len());
            out[..n].copy_from_slice(&left[..n]);
            self.handed += n;
            return Ok(n);
        }
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
                if self.stage == Stage::Body {
                    self.keep_state(false);
                }
            }
            let at_end = self.eof && self.start == self.end;
            match self.stage {
                Stage::Between if at_end => return Ok(0),
                Stage::Between => {
                    self.inflate.start_member();
                    self.stage = Stage::Header;
                }
                Stage::Header if at_end => {
                    let eof = io::ErrorKind::UnexpectedEof;
                    return self.stop(out, Vec::new(), eof, "gzip header cut short");
                }
                Stage::Header => match self.call(true, &mut []).0 {
                    0 => {
                        self.stage = Stage::Body;
                        self.keep_state(true);
                    }
                    // ISAL_END_INPUT: the header goes on in the next input.
                    code if code > 0 => {}
                    code => {
                        let invalid = io::ErrorKind::InvalidData;
                        return self.stop(out, Vec::new(), invalid, error_message(code, true));
                    }
                },
                Stage::Body => {
                    let taken = self.start;
                    let (code, written) = self.call(false, out);
                    let invalid = io::ErrorKind::InvalidData;
                    if code == isal::ISAL_INCORRECT_CHECKSUM {
                        // All of the member is out: only its trailer is wrong.
                        let message = error_message(code, false);
                        self.failed = Some((invalid, message));
                        return if written > 0 {
                            Ok(written)
                        } else {
                            self.read(out)
                        };
                    }
                    if code < 0 {
                        if self.fresh {
                            fresh_state(&mut self.before.0, true);
                        }
                        let input = &mut self.input[self.replay_from..self.end];
                        let decoded = exact_output(&mut self.before.0, input, self.handed_since);
                        return self.stop(out, decoded, invalid, error_message(code, false));
                    }
                    if self.inflate.state.block_state == isal::isal_block_state_ISAL_BLOCK_FINISH {
                        self.stage = Stage::Between;
                    }
                    if written > 0 {
                        self.handed_since += written as u64;
                        return Ok(written);
                    }
                    if self.stage == Stage::Body && self.start == taken {
                        // No progress: all input is in, or ISA-L refuses what it has.
                        if !at_end {
                            return self.stop(out, Vec::new(), invalid, "corrupt deflate stream");
                        }
                        let held = held_back_literals(&self.inflate.state);
                        let eof = io::ErrorKind::UnexpectedEof;
                        return self.stop(out, held, eof, "gzip stream cut short");
                    }
                }
            }
        }
    }
}

/// What decoding `input` from `state` gives up to the error it ends in, less the
/// first `skip` bytes (handed out already): the calls made again, a few bytes of
/// input at a time, so that ISA-L checks every symbol before it writes it. (Its
/// fast loop moves its output on by a match's length before checking the
/// distance, so its output on an error may end in bytes that were never written.)
fn exact_output(state: &mut isal::inflate_state, input: &mut [u8], mut skip: u64) -> Vec<u8> {
    let mut decoded = Vec::new();
    let mut room = vec![0; 1 << 16];
    for piece in input.chunks_mut(CAREFUL_STEP) {
        loop {
            let (code, left, written) = run(state, Call::Inflate, piece, &mut room);
            let skipped = skip.min(written as u64) as usize;
            skip -= skipped as u64;
            decoded.extend_from_slice(&room[skipped..written]);
            let finished = state.block_state == isal::isal_block_state_ISAL_BLOCK_FINISH;
            if code < 0 || finished {
                return decoded;
            }
            if left == 0 && written < room.len() {
                break;
            }
            if written == 0 {
                // No progress (ISA-L took none of the piece): nothing more to find.
                return decoded;
            }
        }
    }
    decoded
}

/// Bits ISA-L looks a literal/length symbol up by (`ISAL_DECODE_LONG_BITS`).
const LOOKUP_BITS: u32 = isal::ISAL_DECODE_LONG_BITS;
/// In a `short_code_lookup` entry (ISA-L's `igzip_inflate.c`, private, checked by
/// the tests against flate2): the flag of a code longer than [`LOOKUP_BITS`], the
/// shift of the count of symbols in the entry, and the mask of a single symbol.
/// Entries of two or three symbols hold literals in their low bytes, first one
/// lowest.
const LONG_CODE_FLAG: u32 = 1 << 25;
const SYMBOL_COUNT_SHIFT: u32 = 26;
const SYMBOL_MASK: u32 = (1 << 25) - 1;

/// The literals ISA-L holds back at the end of a stream cut short.
///
/// ISA-L decodes up to three literals with one table look-up of [`LOOKUP_BITS`]
/// bits, and a group may end with a length. When the input ends inside a group (or
/// inside the match its length starts), it keeps the whole group back, even its
/// first literals whose codes are all there; flate2, zlib and gzip hand those out.
/// Here they are decoded from the same table: a literal's code is the fewest low
/// bits of the index that every index sharing them starts with that literal (a
/// prefix code). Nothing after them can be decodable: the group's last symbol, or
/// its match, is cut, or ISA-L would have taken the group.
fn held_back_literals(state: &isal::inflate_state) -> Vec<u8> {
    let mut literals = Vec::new();
    let mut left = state.read_in_length;
    if state.block_state != isal::isal_block_state_ISAL_BLOCK_CODED
        || state.avail_in != 0
        || !(0..=64).contains(&left)
    {
        return literals;
    }
    let table = &state.lit_huff_code.short_code_lookup;
    let mut bits = state.read_in & u64::MAX.checked_shr(64 - left as u32).unwrap_or(0);
    loop {
        let index = (bits & ((1 << LOOKUP_BITS) - 1)) as usize;
        match literal_code_length(table, index) {
            Some(length) if length as i32 <= left => {
                literals.push(table[index] as u8);
                bits >>= length;
                left -= length as i32;
            }
            _ => return literals,
        }
    }
}

/// The length of the code of the literal that the look-up `index` starts with;
/// `None` when it starts with a length, the end of the block, a long code or
/// nothing.
fn literal_code_length(table: &[u32], index: usize) -> Option<u32> {
    let first = |entry: u32| match (entry & LONG_CODE_FLAG, (entry >> SYMBOL_COUNT_SHIFT) & 3) {
        (0, 1) => Some(entry & SYMBOL_MASK),
        (0, 2 | 3) => Some(entry & 0xff),
        _ => None,
    };
    let literal = first(table[index]).filter(|&symbol| symbol < 256)?;
    (1..=LOOKUP_BITS).find(|&length| {
        let low = index & ((1 << length) - 1);
        (0..1 << (LOOKUP_BITS - length))
            .all(|high: usize| first(table[low | high << length]) == Some(literal))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateFormat, Generator};
    use flate2::write::GzEncoder;
    use std::io::Write;

    /// A reader that hands out at most `step` bytes a read, as a pipe may.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Everything `reader` hands out in reads of `size` bytes, and the error that
    /// ended it.
    fn drain(mut reader: impl Read, size: usize) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut buf = vec![0; size];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// Ours, read from a pipe handing out `step` bytes at a time, in reads of `size`.
    fn ours(data: &[u8], step: usize, size: usize) -> (Vec<u8>, Option<io::Error>) {
        drain(GzipDecoder::new(Trickle { data, step }), size)
    }

    /// flate2's `MultiGzDecoder`, the decoder errscope used before.
    fn flate2(data: &[u8], size: usize) -> (Vec<u8>, Option<io::Error>) {
        drain(
            flate2::read::MultiGzDecoder::new(io::BufReader::new(data)),
            size,
        )
    }

    fn gzip(data: &[u8], level: u32) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn log(seed: u64, lines: u64) -> Vec<u8> {
        Generator::log(GenerateFormat::Gateway, seed, lines)
    }

    /// A deterministic sequence of numbers below `bound` (an LCG).
    fn positions(seed: u64, bound: usize) -> impl Iterator<Item = usize> {
        let mut state = seed;
        std::iter::from_fn(move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Some((state >> 20) as usize % bound)
        })
    }

    #[test]
    fn decoder_is_send() {
        fn send<T: Send>() {}
        send::<GzipDecoder<std::fs::File>>();
        send::<GzipDecoder<Box<dyn Read + Send>>>();
    }

    /// Whole archives decode to their text, whatever the read sizes on either side.
    #[test]
    fn archives_decode_whole_in_any_read_sizes() {
        let text = log(3, 3000);
        for level in [0, 1, 6, 9] {
            let packed = gzip(&text, level);
            for (step, size) in [(1, 1 << 20), (1 << 20, 1), (7, 13), (65536, 1 << 20)] {
                let (out, error) = ours(&packed, step, size);
                assert!(error.is_none(), "level {level}: {error:?}");
                assert!(out == text, "level {level}, step {step}, size {size}");
            }
        }
    }

    /// Concatenated members (`cat a.gz b.gz`, pigz, bgzip), empty ones and headers
    /// with every optional field, split anywhere between reads, decode whole, as
    /// flate2 decodes them.
    #[test]
    fn every_member_decodes_as_flate2_decodes_it() {
        let text = log(4, 2000);
        let mut packed = gzip(&text[..1000], 6);
        packed.extend(gzip(b"", 6));
        let mut builder = flate2::GzBuilder::new()
            .filename("access.log")
            .comment("rotated")
            .extra(vec![b'B', b'C', 2, 0, 1, 2])
            .write(Vec::new(), flate2::Compression::new(1));
        builder.write_all(&text[1000..]).unwrap();
        packed.extend(builder.finish().unwrap());
        packed.extend(header_crc_member(b"last line\n"));
        let mut whole = text.clone();
        whole.extend_from_slice(b"last line\n");
        let (reference, error) = flate2(&packed, 1 << 16);
        assert!(error.is_none() && reference == whole, "{error:?}");
        for step in [1, 2, 3, 5, 10, 4096] {
            let (out, error) = ours(&packed, step, 1000);
            assert!(error.is_none(), "step {step}: {error:?}");
            assert!(out == whole, "step {step}");
        }
    }

    /// A member whose header has a name, a comment and a header CRC (FHCRC), which
    /// flate2's writer does not write.
    fn header_crc_member(text: &[u8]) -> Vec<u8> {
        let mut header = vec![0x1f, 0x8b, 8, 0x02 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3];
        header.extend_from_slice(b"name\0comment\0");
        let mut crc = flate2::Crc::new();
        crc.update(&header);
        header.extend_from_slice(&(crc.sum() as u16).to_le_bytes());
        let member = gzip(text, 6);
        header.extend_from_slice(&member[10..]);
        header
    }

    /// An archive cut anywhere (in a header, in the data, in a trailer, between
    /// members) hands out exactly the bytes flate2 hands out before the cut, then an
    /// error.
    #[test]
    fn cut_archives_keep_what_flate2_keeps() {
        let text = log(5, 4000);
        let mut packed = gzip(&text[..text.len() / 3], 6);
        packed.extend(gzip(&text[text.len() / 3..], 9));
        let near_ends = (0..40).flat_map(|i| [i, packed.len() - 1 - i]);
        let boundary = gzip(&text[..text.len() / 3], 6).len();
        let near_boundary = boundary - 20..boundary + 20;
        let cuts = near_ends
            .chain(near_boundary)
            .chain(positions(5, packed.len()).take(400));
        for (i, cut) in cuts.enumerate() {
            let (want, want_error) = flate2(&packed[..cut], 1 << 20);
            // Input a byte at a time and small reads on a tenth of the cuts: slow.
            let sizes: &[_] = match i % 10 {
                0 => &[(1 << 17, 1 << 20), (1, 4096), (999, 7)],
                _ => &[(1 << 17, 1 << 20)],
            };
            for &(step, size) in sizes {
                let (out, error) = ours(&packed[..cut], step, size);
                assert_eq!(out.len(), want.len(), "cut {cut}, step {step}, size {size}");
                assert!(out == want, "cut {cut}");
                // Cut after the first member's trailer: a whole archive.
                let whole = cut == boundary;
                assert!(
                    error.is_some() != whole && want_error.is_some() != whole,
                    "cut {cut}"
                );
            }
        }
    }

    /// A corrupt archive hands out what it decoded before finding the damage, then
    /// an error, as zlib does; flate2 agrees byte for byte as far as both go. Where
    /// they differ, flate2 went on: it lets a match reach back before a member's
    /// first byte (reading zeros there), where ISA-L and zlib stop, so only damage
    /// in a member's first 32 KiB can make ours stop first.
    #[test]
    fn corrupt_archives_keep_what_came_before_the_damage() {
        // Two members, also read 1,000 bytes at a time: damage is found in the input
        // where a member's data starts, and in a later one (from a kept state).
        let text = log(6, 6000);
        let half = text.len() / 2;
        let mut packed = gzip(&text[..half], 6);
        packed.extend(gzip(&text[half..], 1));
        let (mut kept_more, mut kept_less) = (0, 0);
        for (at, width) in positions(6, packed.len()).zip(positions(7, 64)).take(300) {
            let mut garbled = packed.clone();
            for b in &mut garbled[at..(at + width + 1).min(packed.len())] {
                *b ^= 0x5a;
            }
            let (want, want_error) = flate2(&garbled, 1 << 20);
            for step in [1 << 20, 1000] {
                let (out, error) = ours(&garbled, step, 1 << 20);
                assert!(error.is_some() && want_error.is_some(), "{at}+{width}");
                let common = out.len().min(want.len());
                assert!(out[..common] == want[..common], "{at}+{width}");
                let in_first_32k = |n: usize| n < 1 << 15 || (half..half + (1 << 15)).contains(&n);
                assert!(
                    out.len() >= want.len() || in_first_32k(out.len()),
                    "{at}+{width}: {} bytes, flate2 {}",
                    out.len(),
                    want.len()
                );
                if step == 1000 {
                    continue;
                }
                kept_more += usize::from(out.len() > want.len());
                kept_less += usize::from(out.len() < want.len());
            }
        }
        // Most damage is found alike; ours stops earlier only in a first 32 KiB.
        assert!(
            kept_more + kept_less < 50,
            "{kept_more} more, {kept_less} less"
        );
    }

    /// A trailer whose CRC-32 or length does not match is an error once all the
    /// member's bytes are out, as with flate2; so are bytes after a member that do
    /// not start another one.
    #[test]
    fn trailers_and_trailing_bytes_are_checked() {
        let text = log(7, 500);
        let packed = gzip(&text, 6);
        let n = packed.len();
        let mut bad_crc = packed.clone();
        bad_crc[n - 8] ^= 1;
        let mut bad_size = packed.clone();
        bad_size[n - 1] ^= 1;
        let mut garbage = packed.clone();
        garbage.extend_from_slice(b"not gzip");
        let mut zeros = packed.clone();
        zeros.extend_from_slice(&[0; 16]);
        let mut magic_only = packed.clone();
        magic_only.extend_from_slice(&[0x1f, 0x8b]);
        for (name, data) in [
            ("crc", &bad_crc),
            ("size", &bad_size),
            ("garbage", &garbage),
            ("zeros", &zeros),
            ("magic only", &magic_only),
        ] {
            let (want, want_error) = flate2(data, 1 << 20);
            let (out, error) = ours(data, 1 << 17, 1 << 20);
            assert!(want_error.is_some(), "{name}: flate2 accepts it");
            assert!(error.is_some(), "{name}: {} bytes and no error", out.len());
            assert!(out == want && out == text, "{name}");
        }
    }

    /// An empty stream, or one with only a part of a header, is an error.
    #[test]
    fn headers_cut_short_are_errors() {
        for data in [
            &b""[..],
            &[0x1f],
            &[0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3, b'a'],
        ] {
            let (out, error) = ours(data, 1, 64);
            assert!(out.is_empty() && error.is_some(), "{data:?}");
        }
        let (_, error) = ours(b"\x1f\x8b\x07\0\0\0\0\0\0\x03", 64, 64);
        assert!(error.unwrap().to_string().contains("deflate"));
    }
}
