//! Cutting input into newline-aligned chunks: a mapped file into ranges that
//! shrink towards its end so that the workers finish together, a stream into owned
//! chunks read on a reader thread with bounded buffers.

use std::io::{self, Read};
use std::ops::Range;

use crate::format::envelope;

/// The smallest chunk [`chunk_ranges`] tapers to at the end of the data.
pub const MIN_TAPERED_CHUNK: usize = 256 << 10;

/// Split `data` into chunks of about `target` bytes that end just after a newline
/// (the last chunk ends with the data). Every byte is in exactly one chunk.
///
/// Towards the end the chunks get smaller, down to [`MIN_TAPERED_CHUNK`]: a chunk
/// is at most a `4 × workers`th of what is left. Why: the last chunk handed out
/// decides when the run ends; with equal chunks, the other workers could wait up to
/// a whole chunk's time for it. With the taper, the threads finish nearly together
/// (figures in docs/performance.md).
pub fn chunk_ranges(data: &[u8], target: usize, workers: usize) -> Vec<Range<usize>> {
    let target = target.max(1);
    let taper = 4 * workers.max(1);
    let mut ranges = Vec::with_capacity(data.len() / target + 8 * taper);
    let mut start = 0;
    while start < data.len() {
        let left = data.len() - start;
        let size = target.min((left / taper).max(MIN_TAPERED_CHUNK));
        let tentative = start + size;
        let mut end = if tentative >= data.len() {
            data.len()
        } else {
            match memchr::memchr(b'\n', &data[tentative - 1..]) {
                Some(i) => tentative + i,
                None => data.len(),
            }
        };
        // A line continued on the next one (an envelope's partial line) does not
        // end a chunk: the record it starts is joined in one chunk.
        while end < data.len() && envelope::continues(last_line(&data[..end])) {
            end = match memchr::memchr(b'\n', &data[end..]) {
                Some(i) => end + i + 1,
                None => data.len(),
            };
        }
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// The last line of `b`, which ends with a newline (not included).
pub(super) fn last_line(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    let start = memchr::memrchr(b'\n', b).map_or(0, |i| i + 1);
    let line = &b[start..];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where to end a chunk of the complete lines `b`: after its last line, or,
/// when that line is continued on the next one ([`envelope::continues`]), before
/// the run of continued lines at its end (0 when there are only such lines).
pub(super) fn cut_before_continued(b: &[u8]) -> usize {
    let mut end = b.len();
    while end > 0 && envelope::continues(last_line(&b[..end])) {
        end = memchr::memrchr(b'\n', &b[..end - 1]).map_or(0, |i| i + 1);
    }
    end
}

/// The least a [`StreamChunker`] asks a `read` for: a pipe's default capacity.
pub(super) const MIN_READ: usize = 64 << 10;

/// Spare buffers a [`StreamChunker`] keeps at most.
pub(super) const MAX_SPARE_CHUNKS: usize = 16;

/// Cuts a stream into newline-aligned chunks of about `target` bytes, with memory
/// bounded by the chunk size and `max_line`: a line longer than `max_line` is kept
/// to its first `max_line + 1` bytes (enough to be judged too long, exactly as on
/// the mapped path) and the rest of it is skipped.
///
/// Each `read` fills the chunk's own buffer, so a byte is copied once, by the
/// kernel (and the partial line at a chunk's end once more, into the next chunk).
/// Why: reading into a block of its own and appending that to the chunk copied
/// every byte twice, both times into memory no longer in the cache, and the second
/// copy was a large share of a run on standard input (figures in
/// docs/performance.md).
pub struct StreamChunker<R> {
    reader: R,
    target: usize,
    max_line: usize,
    /// The chunk being filled: `buf[..filled]` is what has been read and kept,
    /// complete lines then one partial line; the rest is room for the next read
    /// (initialised, as `read` needs, and kept so across reuse).
    buf: Vec<u8>,
    filled: usize,
    /// Where the partial line at the end of `buf[..filled]` starts.
    partial_start: usize,
    /// Dropping the rest of an over-long line until its newline.
    skipping: bool,
    done: bool,
    /// A read error, reported after the bytes read before it are handed out.
    error: Option<io::Error>,
    /// Buffers of chunks handed back ([`StreamChunker::recycle`]), filled again.
    spare: Vec<Vec<u8>>,
    bytes_read: u64,
}

/// A chunk of a stream: whole lines (but for an input's last, which may lack its
/// newline), in a buffer that goes back to its [`StreamChunker`] once classified.
pub struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

impl std::ops::Deref for Chunk {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<R: Read> StreamChunker<R> {
    /// Chunks of about `target` bytes of `reader`, each ending after a newline; a line longer than `max_line` is kept to its first `max_line + 1` bytes.
    pub fn new(reader: R, target: usize, max_line: usize) -> StreamChunker<R> {
        StreamChunker {
            reader,
            target: target.max(1),
            max_line,
            buf: Vec::new(),
            filled: 0,
            partial_start: 0,
            skipping: false,
            done: false,
            error: None,
            spare: Vec::new(),
            bytes_read: 0,
        }
    }

    /// Take back a chunk that has been classified: its buffer holds a later one.
    /// Why: a fresh buffer per chunk came from the kernel as fresh pages each
    /// time, faulted in and zeroed, which cost time and raised peak memory (figures
    /// in docs/performance.md).
    pub fn recycle(&mut self, chunk: Chunk) {
        // No more spares than chunks can be in flight: more would only hold memory.
        if self.spare.len() < MAX_SPARE_CHUNKS {
            self.spare.push(chunk.buf);
        }
    }

    /// The next chunk: whole lines, except that the input's last line may lack its
    /// newline. `None` at the end. A read error ends the stream: the bytes read
    /// before it come out first (the last line may be cut), then the error.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        // Up to the target, and at least a pipe's worth past it to end a line.
        let least = self.target.min(MIN_READ);
        let capacity = self.target + least;
        // A run of lines continued on the next (an envelope's partial lines) is
        // read on to the line that ends it: a record is never split.
        while !self.done && cut_before_continued(&self.buf[..self.partial_start]) < self.target {
            let end = self.filled + self.target.saturating_sub(self.filled).max(least);
            make_room(&mut self.buf, end, capacity);
            match self.reader.read(&mut self.buf[self.filled..end]) {
                Ok(0) => self.done = true,
                Ok(n) => {
                    self.bytes_read += n as u64;
                    self.keep(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    self.error = Some(e);
                }
            }
        }
        if self.done {
            if self.filled == 0 {
                return self.error.take().map_or(Ok(None), Err);
            }
            self.partial_start = 0;
            return Ok(Some(Chunk {
                len: std::mem::take(&mut self.filled),
                buf: std::mem::take(&mut self.buf),
            }));
        }
        // The next chunk starts with this one's partial last line (and the lines
        // continued onto it, see `cut_before_continued`).
        let cut = cut_before_continued(&self.buf[..self.partial_start]);
        let mut next = self.spare.pop().unwrap_or_default();
        let partial = cut..self.filled;
        make_room(&mut next, partial.len(), capacity);
        next[..partial.len()].copy_from_slice(&self.buf[partial.clone()]);
        let len = cut;
        self.filled = partial.len();
        // The continued lines carried over are complete lines of the next chunk.
        self.partial_start -= cut;
        Ok(Some(Chunk {
            buf: std::mem::replace(&mut self.buf, next),
            len,
        }))
    }

    /// Bytes taken from the reader so far (over-long line tails included).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Keep the `n` bytes just read at `buf[filled..]`: lines up to `max_line + 1`
    /// bytes are kept whole, the rest of a longer line is dropped (the bytes after
    /// it move down over it).
    fn keep(&mut self, n: usize) {
        let mut end = self.filled + n;
        while self.filled < end {
            let at = self.filled;
            let new = &self.buf[at..end];
            if self.skipping {
                match memchr::memchr(b'\n', new) {
                    Some(i) => {
                        self.skipping = false;
                        self.buf.copy_within(at + i..end, at);
                        end -= i;
                    }
                    None => return,
                }
                continue;
            }
            let limit = self.max_line + 1 - (at - self.partial_start);
            match memchr::memchr(b'\n', new) {
                Some(i) if i <= limit => {
                    // The lines after this one, up to the last newline read, are
                    // taken at once when none of them can be too long: one search
                    // per read rather than one per line.
                    let last = i + memchr::memrchr(b'\n', &new[i..]).expect("new[i] is one");
                    let stop = if last - i <= self.max_line { last } else { i };
                    self.filled = at + stop + 1;
                    self.partial_start = self.filled;
                }
                _ if new.len() <= limit => self.filled = end,
                _ => {
                    // Keep max_line + 1 bytes of the line, drop the rest up to its newline.
                    self.filled = at + limit;
                    self.skipping = true;
                }
            }
        }
    }
}

/// Make `buf` at least `len` bytes long, the new bytes zeroed (`read` needs them
/// initialised). A buffer is sized once, for a whole chunk (`capacity`), rather
/// than grown by doubling; a recycled one keeps its length, so it is zeroed once.
pub(super) fn make_room(buf: &mut Vec<u8>, len: usize, capacity: usize) {
    if buf.len() < len {
        buf.reserve_exact(len.max(capacity) - buf.len());
        buf.resize(len, 0);
    }
}
