//! Where log bytes come from: the paths given (files, directories, `-` for standard
//! input), memory-mapped when possible and streamed otherwise (stdin, gzip, files that
//! cannot be mapped), and cut into newline-aligned chunks.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{Error, Result};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// How reports name it: the path as given, or `-` for standard input.
    pub fn display_name(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// Turn the paths given on the command line into sources. A directory stands for the
/// regular files directly in it (sorted by name, hidden files skipped). A path that
/// cannot be listed, or a directory with no files, is an error for that path only:
/// the other paths are still returned.
pub fn expand(paths: &[PathBuf]) -> (Vec<Source>, Vec<Error>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => match list_dir(path) {
                Ok(files) if files.is_empty() => {
                    errors.push(Error::EmptyDirectory { path: path.clone() })
                }
                Ok(files) => sources.extend(files.into_iter().map(Source::File)),
                Err(source) => errors.push(Error::Input {
                    path: path.clone(),
                    source,
                }),
            },
            Ok(_) => sources.push(Source::File(path.clone())),
            Err(source) => errors.push(Error::Input {
                path: path.clone(),
                source,
            }),
        }
    }
    (sources, errors)
}

fn list_dir(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // `metadata` follows symlinks, so a link to a log file counts as a file.
        let is_file = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
        if is_file && !hidden {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// An opened source: its bytes mapped in memory, or a stream to read in chunks.
pub enum Opened {
    Mapped(Mmap),
    /// A file of length zero (which cannot be mapped).
    Empty,
    Stream(Box<dyn Read + Send>),
}

/// Open a source. gzip files (by their magic bytes) and standard input are streamed;
/// other files are mapped, falling back to streaming when mapping fails.
pub fn open(source: &Source) -> Result<Opened> {
    let path = match source {
        Source::Stdin => return Ok(Opened::Stream(Box::new(io::stdin()))),
        Source::File(p) => p,
    };
    let err = |source: io::Error| Error::Input {
        path: path.clone(),
        source,
    };
    let mut file = File::open(path).map_err(err)?;
    let len = file.metadata().map_err(err)?.len();
    if is_gzip(&mut file).map_err(err)? {
        let decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(file));
        return Ok(Opened::Stream(Box::new(decoder)));
    }
    if len == 0 {
        return Ok(Opened::Empty);
    }
    // SAFETY: the map is only read. If another process truncates the file while it
    // is mapped, reading the missing pages raises SIGBUS; access logs are appended
    // to, not truncated, while a run reads them (rotation renames them).
    match unsafe { Mmap::map(&file) } {
        Ok(map) => {
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Sequential);
            Ok(Opened::Mapped(map))
        }
        Err(_) => Ok(Opened::Stream(Box::new(file))),
    }
}

/// Reads the first two bytes and rewinds.
fn is_gzip(file: &mut File) -> io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match file.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(got == 2 && magic == [0x1f, 0x8b])
}

/// Split `data` into chunks of about `target` bytes that end just after a newline
/// (the last chunk ends with the data). Every byte is in exactly one chunk.
pub fn chunk_ranges(data: &[u8], target: usize) -> Vec<Range<usize>> {
    let target = target.max(1);
    let mut ranges = Vec::with_capacity(data.len() / target + 1);
    let mut start = 0;
    while start < data.len() {
        let tentative = start + target;
        let end = if tentative >= data.len() {
            data.len()
        } else {
            match memchr::memchr(b'\n', &data[tentative - 1..]) {
                Some(i) => tentative + i,
                None => data.len(),
            }
        };
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// Cuts a stream into newline-aligned chunks of about `target` bytes, with memory
/// bounded by the chunk size and `max_line`: a line longer than `max_line` is kept
/// to its first `max_line + 1` bytes (enough to be judged too long, exactly as on
/// the mapped path) and the rest of it is skipped.
pub struct StreamChunker<R> {
    reader: R,
    target: usize,
    max_line: usize,
    /// Bytes read but not yet handed out: complete lines, then one partial line.
    buf: Vec<u8>,
    /// Where the partial line at the end of `buf` starts.
    partial_start: usize,
    /// Dropping the rest of an over-long line until its newline.
    skipping: bool,
    done: bool,
    bytes_read: u64,
}

impl<R: Read> StreamChunker<R> {
    pub fn new(reader: R, target: usize, max_line: usize) -> StreamChunker<R> {
        StreamChunker {
            reader,
            target: target.max(1),
            max_line,
            buf: Vec::new(),
            partial_start: 0,
            skipping: false,
            done: false,
            bytes_read: 0,
        }
    }

    /// The next chunk: whole lines, except that the input's last line may lack its
    /// newline. `None` at the end. A read error ends the stream; bytes before it
    /// have been handed out already.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        let read_size = self.target.clamp(1, 1 << 20);
        let mut block = vec![0u8; read_size];
        while !self.done && self.partial_start < self.target {
            let n = match self.reader.read(&mut block) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(n) => {
                    self.bytes_read += n as u64;
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            };
            self.push(&block[..n]);
        }
        if self.done {
            if self.buf.is_empty() {
                return Ok(None);
            }
            self.partial_start = 0;
            return Ok(Some(std::mem::take(&mut self.buf)));
        }
        let tail = self.buf.split_off(self.partial_start);
        self.partial_start = 0;
        Ok(Some(std::mem::replace(&mut self.buf, tail)))
    }

    /// Bytes taken from the reader so far (over-long line tails included).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.skipping {
                match memchr::memchr(b'\n', bytes) {
                    Some(i) => {
                        self.skipping = false;
                        bytes = &bytes[i..];
                    }
                    None => return,
                }
                continue;
            }
            let limit = self.max_line + 1 - (self.buf.len() - self.partial_start);
            match memchr::memchr(b'\n', bytes) {
                Some(i) if i <= limit => {
                    self.buf.extend_from_slice(&bytes[..=i]);
                    self.partial_start = self.buf.len();
                    bytes = &bytes[i + 1..];
                }
                _ if bytes.len() <= limit => {
                    self.buf.extend_from_slice(bytes);
                    return;
                }
                _ => {
                    // Keep max_line + 1 bytes of the line, drop the rest up to its newline.
                    self.buf.extend_from_slice(&bytes[..limit]);
                    self.skipping = true;
                    bytes = &bytes[limit..];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_all(data: &[u8], target: usize, max_line: usize) -> Vec<Vec<u8>> {
        let mut c = StreamChunker::new(data, target, max_line);
        let mut out = Vec::new();
        while let Some(chunk) = c.next_chunk().unwrap() {
            out.push(chunk);
        }
        out
    }

    #[test]
    fn chunk_ranges_cover_every_byte_at_newlines() {
        let data = b"a\nbb\nccc\n\ndddd";
        for target in 1..=data.len() + 2 {
            let ranges = chunk_ranges(data, target);
            let joined: Vec<u8> = ranges
                .iter()
                .flat_map(|r| data[r.clone()].to_vec())
                .collect();
            assert_eq!(joined, data, "target {target}");
            for r in &ranges[..ranges.len() - 1] {
                assert_eq!(data[r.end - 1], b'\n', "target {target}");
            }
        }
        assert!(chunk_ranges(b"", 4).is_empty());
        assert_eq!(chunk_ranges(b"a\nb\n", 1), vec![0..2, 2..4]);
    }

    #[test]
    fn stream_chunks_are_line_aligned_and_lossless() {
        let data = b"one\ntwo\r\nthree\n\nfour";
        for target in 1..=data.len() + 2 {
            let chunks = stream_all(data, target, 1 << 20);
            assert_eq!(chunks.concat(), data, "target {target}");
            for c in &chunks[..chunks.len() - 1] {
                assert_eq!(c.last(), Some(&b'\n'), "target {target}");
            }
        }
        assert!(stream_all(b"", 4, 100).is_empty());
    }

    #[test]
    fn stream_cuts_overlong_lines_to_max_plus_one() {
        let data = b"ok\n0123456789abcdef\nok2\nxxxxxxxxxxxx";
        for target in [1, 3, 7, 100] {
            let joined = stream_all(data, target, 5).concat();
            assert_eq!(joined, b"ok\n012345\nok2\nxxxxxx", "target {target}");
        }
    }
}
