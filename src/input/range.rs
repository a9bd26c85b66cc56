//! Byte ranges of a file (`--range A..B`, and resumed runs): which records a range
//! owns, by the Hadoop line rule extended to records continued over several lines.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use super::{open_window, read_magic, Compression, Opened};
use crate::error::{Error, Result};
use crate::format::envelope;

/// `errscope analyze --range A..B FILE`: open the lines of `path` that start in
/// bytes `[A, B)` (Hadoop's line-reader rule: a range that starts inside a line
/// begins at the next line start; its last line may end past B). Gives the bytes
/// actually read, `S..E`: the first line start at or after A to the first at or
/// after B (or the end of the file). Ranges that tile a file give spans that tile
/// it, so every line is read by exactly one range. A compressed file cannot be
/// split (its bytes are not its text's), and a range past the file's end names the
/// wrong file or size: both are refused.
pub fn open_range(path: &Path, range: Range<u64>) -> Result<(Opened, Range<u64>, u64)> {
    let err = |source: io::Error| Error::Input {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{}: --range reads a byte range of a regular file, and this is not one",
            path.display()
        )));
    }
    if let Some(c) = Compression::detect(&read_magic(&mut file).map_err(err)?) {
        return Err(Error::Usage(format!(
            "{}: a {} file cannot be split into byte ranges (its bytes are not its \
             lines'); read it whole, one task per compressed file, without --range",
            path.display(),
            c.name()
        )));
    }
    let len = meta.len();
    if range.end > len {
        return Err(Error::Usage(format!(
            "--range {}..{}: {} has only {len} bytes; a range ends at most at the \
             file's size",
            range.start,
            range.end,
            path.display()
        )));
    }
    let start = record_start_at(&mut file, range.start, len).map_err(err)?;
    let end = record_start_at(&mut file, range.end, len).map_err(err)?;
    let opened = open_window(file, path, start, end)?;
    Ok((opened, start..end, len))
}

/// The first record start at or after `at` in a file of `len` bytes: the first
/// line start ([`line_start_at`]) that does not follow a line continued on the next
/// one ([`envelope::continues`]: an envelope's partial line, whose record goes on
/// to the end of its run). So a range owns the records that start in it, however
/// many lines they take, as it owns the lines of a plain log.
pub(super) fn record_start_at(file: &mut File, at: u64, len: u64) -> io::Result<u64> {
    let mut start = line_start_at(file, at, len)?;
    while start > 0 && start < len && envelope::continues(&line_before(file, start)?) {
        start = line_start_at(file, start + 1, len)?;
    }
    Ok(start)
}

/// The line that ends (with its newline) just before `end`, without the newline.
pub(super) fn line_before(file: &mut File, end: u64) -> io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    const BLOCK: u64 = 64 << 10;
    let mut line: Vec<u8> = Vec::new();
    let mut to = end - 1;
    while to > 0 {
        let from = to.saturating_sub(BLOCK);
        let mut block = vec![0u8; (to - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        match memchr::memrchr(b'\n', &block) {
            Some(i) => {
                block.drain(..=i);
                block.extend_from_slice(&line);
                line = block;
                break;
            }
            None => {
                block.extend_from_slice(&line);
                line = block;
                to = from;
            }
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(line)
}

/// The first line start at or after `at` in a file of `len` bytes: `at` itself
/// at the file's start or just after a newline, else just after the next newline
/// (or the file's end).
pub(super) fn line_start_at(file: &mut File, at: u64, len: u64) -> io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    if at == 0 || at >= len {
        return Ok(at.min(len));
    }
    let mut buf = vec![0u8; 64 << 10];
    let mut from = at - 1;
    while from < len {
        file.seek(SeekFrom::Start(from))?;
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            file.seek(SeekFrom::Start(0))?;
            return Ok(from + i as u64 + 1);
        }
        from += n as u64;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(len)
}

/// The offset just after the last newline in `start..len` of `file`, or `start`
/// when there is none: where the whole lines of that part end. Read backwards, a
/// block at a time.
pub(super) fn end_of_last_line(file: &mut File, start: u64, len: u64) -> io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    const BLOCK: u64 = 64 << 10;
    let mut buf = vec![0u8; BLOCK as usize];
    let mut end = len;
    while end > start {
        let from = end.saturating_sub(BLOCK).max(start);
        let block = &mut buf[..(end - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(block)?;
        if let Some(at) = memchr::memrchr(b'\n', block) {
            file.seek(SeekFrom::Start(0))?;
            return Ok(from + at as u64 + 1);
        }
        end = from;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(start)
}
