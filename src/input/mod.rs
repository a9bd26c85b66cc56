//! Where log bytes come from: the paths given (files, directories, `-` for standard
//! input), memory-mapped when possible and streamed otherwise (stdin, gzip, files that
//! cannot be mapped), and cut into newline-aligned chunks.

pub mod sigbus;
pub mod state;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{Error, Result};
use crate::format::envelope;

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file, by its path.
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

/// Turn the paths given on the command line into sources, in order:
/// - `-` is standard input;
/// - a directory stands for the regular files in it, sorted by name, hidden files
///   skipped; with `recursive`, for those in its subdirectories too (each directory
///   visited once, so a symlink loop ends);
/// - a path that does not exist but holds `*`, `?` or `[` is a glob pattern, expanded
///   in sorted order (for patterns quoted past the shell, as in cron lines).
///
/// A path that cannot be listed, a directory with no files or a pattern that matches
/// nothing is an error for that path only: the other paths are still returned.
/// Subdirectories left out for want of `recursive` are said in a note.
pub fn expand(paths: &[PathBuf], recursive: bool) -> Expanded {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        let listed = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                list_dir(path, recursive, &mut errors).and_then(|listed| {
                    let (files, skipped) = listed;
                    if skipped > 0 {
                        notes.push(format!(
                            "{}: {skipped} subdirector{} not read (give -r to read {})",
                            path.display(),
                            if skipped == 1 { "y" } else { "ies" },
                            if skipped == 1 { "it" } else { "them" },
                        ));
                    }
                    if files.is_empty() {
                        Err(Error::EmptyDirectory { path: path.clone() })
                    } else {
                        Ok(files)
                    }
                })
            }
            Ok(_) => Ok(vec![path.clone()]),
            Err(source) if source.kind() == io::ErrorKind::NotFound && is_pattern(path) => {
                expand_glob(path)
            }
            Err(source) => Err(Error::Input {
                path: path.clone(),
                source,
            }),
        };
        match listed {
            Ok(files) => sources.extend(files.into_iter().map(Source::File)),
            Err(e) => errors.push(e),
        }
    }
    Expanded {
        sources,
        errors,
        notes,
    }
}

/// The paths given, turned into sources by [`expand`].
#[derive(Debug, Default)]
pub struct Expanded {
    /// What to read, in order.
    pub sources: Vec<Source>,
    /// Paths that could not be listed (each an input error).
    pub errors: Vec<Error>,
    /// What a user should know that is no error (subdirectories not read).
    pub notes: Vec<String>,
}

fn is_pattern(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?', '['])
}

fn expand_glob(pattern: &Path) -> Result<Vec<PathBuf>> {
    let not_found = |why: String| Error::Input {
        path: pattern.to_path_buf(),
        source: io::Error::new(io::ErrorKind::NotFound, why),
    };
    let matches = glob::glob(&pattern.to_string_lossy())
        .map_err(|e| not_found(format!("bad pattern: {e}")))?;
    let mut files = Vec::new();
    for entry in matches {
        match entry {
            Ok(p) if p.is_file() => files.push(p),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::Input {
                    path: e.path().to_path_buf(),
                    source: e.into(),
                })
            }
        }
    }
    if files.is_empty() {
        return Err(not_found("no file matches this pattern".into()));
    }
    files.sort();
    Ok(files)
}

/// The files under `dir`, and how many subdirectories were left out (without
/// `recursive`). A subdirectory that cannot be read, or an entry that cannot be
/// looked at (or vanished while listing), is an error of its own, pushed to
/// `errors`; the rest is still listed.
fn list_dir(dir: &Path, recursive: bool, errors: &mut Vec<Error>) -> Result<(Vec<PathBuf>, usize)> {
    let mut files = Vec::new();
    let mut skipped = 0;
    walk(
        dir,
        recursive,
        &mut HashSet::new(),
        &mut files,
        &mut skipped,
        errors,
    )?;
    Ok((files, skipped))
}

/// [`list_dir`]'s depth-first walk: entries sorted by name, hidden ones skipped,
/// links followed, and each directory read once (by its canonical path, however
/// it is reached), so that link loops end.
///
/// Why not the `walkdir` crate: it matches this listing (a test in this module
/// holds the two equal on a tree with every case) only with glue that does this
/// walk's work over again. walkdir stops a link back to an ancestor (yielding an
/// error to be told from a real one), but reads and lists a directory again when
/// a second link reaches it from elsewhere, so the set of directories seen would
/// still be kept here; it yields dangling links as errors, to be sorted out by
/// looking at the entry again; without `-r` (`max_depth(1)`) it still opens and
/// reads every subdirectory before dropping it, and it opens hidden directories
/// before its filter can skip them.
fn walk(
    dir: &Path,
    recursive: bool,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    skipped: &mut usize,
    errors: &mut Vec<Error>,
) -> Result<()> {
    let err = |source: io::Error| Error::Input {
        path: dir.to_path_buf(),
        source,
    };
    // A directory reached twice (through a symlink loop) is read once.
    if !visited.insert(std::fs::canonicalize(dir).map_err(err)?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()
        .map_err(err)?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        // `metadata` follows symlinks, so a link to a log file counts as a file.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => files.push(path),
            Ok(m) if m.is_dir() && recursive => {
                if let Err(e) = walk(&path, recursive, visited, files, skipped, errors) {
                    errors.push(e);
                }
            }
            Ok(m) if m.is_dir() => *skipped += 1,
            // Sockets, pipes, devices: not logs.
            Ok(_) => {}
            // A dangling link, or a link in a loop of links: nothing behind it.
            Err(_) if is_symlink(&path) => {}
            // An entry that is there but cannot be looked at (its path is longer
            // than the system takes, or its directory may be listed but not
            // searched): an error of its own, not a file silently left out.
            Err(source) => errors.push(Error::Input { path, source }),
        }
    }
    Ok(())
}

/// Whether `path` is a symbolic link itself (not what it points to).
fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// How a file's bytes are compressed, told by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), every member.
    Gzip,
    /// zstd.
    Zstd,
}

impl Compression {
    /// `gzip` or `zstd`, as reports say.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression whose magic bytes `magic` (a file's first bytes) start with.
    pub fn detect(magic: &[u8]) -> Option<Compression> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
}

/// A file mapped in memory, its mapping registered with [`sigbus`] so that the file
/// shrinking while it is read (a `copytruncate` rotation) reads zeros instead of
/// killing the process. The length is the file's size when it was opened: what is
/// appended afterwards is not read.
pub struct Mapped {
    // Declared first so it drops first: unregistered before the pages are unmapped.
    guard: sigbus::Guard,
    map: Mmap,
    /// The bytes to read, `map[window]`: all of them, or those not read by an
    /// earlier run ([`Resume`]). Offsets of [`Mapped::bytes`] are within it.
    window: Range<usize>,
}

impl Mapped {
    /// The bytes to read: the mapped file's window.
    pub fn bytes(&self) -> &[u8] {
        &self.map[self.window.clone()]
    }

    /// Unmap the pages of `range` of the bytes from this process (the file's pages
    /// stay in the page cache), so that unmapping them at the end is not left to
    /// one thread: tearing down a large file's page tables takes long enough to
    /// show in a run's time, and one thread would do it after every other thread
    /// has finished (figures in docs/performance.md). Threads that release
    /// disjoint ranges at the same time share that work (`madvise(MADV_DONTNEED)`
    /// only reads the address-space lock). Bytes read afterwards are faulted in
    /// again from the file, so they are still the file's; a range the system
    /// refuses is left mapped, and so is every range where there is no `madvise`
    /// (not Unix).
    pub fn release(&self, range: Range<usize>) {
        #[cfg(unix)]
        // SAFETY: the mapping is of a file and read-only, so dropping its pages
        // changes nothing that can be read through it: a later read faults the
        // same bytes in from the file (or, past a cut, raises the SIGBUS that
        // `sigbus` already handles, as any read there would).
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.window.start + range.start,
                range.len(),
            )
        };
        #[cfg(not(unix))]
        let _ = range;
    }

    /// The offset from which the mapping may have read zeros because the file was
    /// truncated while mapped; `None` if it was not. Bytes before it were read from
    /// the file (see [`sigbus::Guard::cut_at`]).
    pub fn cut_at(&self) -> Option<usize> {
        self.guard
            .cut_at()
            .map(|cut| cut.saturating_sub(self.window.start))
    }
}

/// Where to start reading a file that an earlier run read part of (`--state`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resume {
    /// Bytes of the file's text (decompressed, for an archive) read before: skipped.
    pub skip: u64,
    /// Leave a last line without its newline for the next run (a live file may be
    /// in the middle of writing it). Archives are read to their end.
    pub whole_lines: bool,
}

/// An opened source: its bytes mapped in memory, or a stream to read in chunks.
pub enum Opened {
    /// A file mapped in memory.
    Mapped(Mapped),
    /// A file of length zero (which cannot be mapped).
    Empty,
    /// A stream to read in chunks, and its compression.
    Stream(Box<dyn Read + Send>, Option<Compression>),
}

/// Open a source. Compressed files (gzip, zstd: told by their magic bytes, whatever
/// their name), standard input and named pipes (decompressed the same way) are
/// streamed; other files are mapped, falling back to streaming when mapping fails.
pub fn open(source: &Source) -> Result<Opened> {
    open_resumed(source, Resume::default())
}

/// [`open`], reading a file from where `resume` says: its first `skip` bytes of
/// text are passed over, and with `whole_lines` a plain file is read only up to
/// its last newline. (Standard input and pipes are read whole.)
pub fn open_resumed(source: &Source, resume: Resume) -> Result<Opened> {
    let path = match source {
        Source::Stdin => return open_stdin(),
        Source::File(p) => p,
    };
    let err = |source: io::Error| Error::Input {
        path: path.clone(),
        source,
    };
    let mut file = File::open(path).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    // A named pipe (a FIFO; `<(zcat …)` and `/dev/stdin` are pipes too) can neither
    // be mapped nor seek back over its magic bytes: it is read as standard input is.
    #[cfg(unix)]
    if std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()) {
        return stream(file).map_err(err);
    }
    let len = meta.len();
    if let Some(compression) = Compression::detect(&read_magic(&mut file).map_err(err)?) {
        let mut decoder = decoder(file, compression).map_err(err)?;
        if resume.skip > 0 {
            io::copy(&mut (&mut decoder).take(resume.skip), &mut io::sink()).map_err(err)?;
        }
        return Ok(Opened::Stream(decoder, Some(compression)));
    }
    let start = resume.skip.min(len);
    let end = if resume.whole_lines {
        end_of_last_line(&mut file, start, len).map_err(err)?
    } else {
        len
    };
    open_window(file, path, start, end)
}

/// Open `start..end` of a plain `file` (of `path`): mapped (the whole file up to
/// `end` is mapped, only the window read), streamed when it cannot be mapped, or
/// [`Opened::Empty`].
fn open_window(mut file: File, path: &Path, start: u64, end: u64) -> Result<Opened> {
    let err = |source: io::Error| Error::Input {
        path: path.to_path_buf(),
        source,
    };
    if end == start {
        return Ok(Opened::Empty);
    }
    // SAFETY: the map is only read, and only its first `len` bytes (the size now).
    // If another process truncates the file while it is mapped, reading the missing
    // pages raises SIGBUS: the mapping is registered with `sigbus` before any byte
    // of it is read, whose handler turns such pages into zeros and records the cut,
    // which the analysis checks (and otherwise the file is streamed).
    // The whole file is mapped (the cut `sigbus` records is an offset in it), and
    // only `start..end` of it read.
    let mapped = usize::try_from(end)
        .ok()
        .and_then(|end| unsafe { memmap2::MmapOptions::new().len(end).map(&file) }.ok())
        .and_then(|map| {
            let guard = sigbus::Guard::register(map.as_ptr(), map.len())?;
            let window = start as usize..map.len();
            Some(Mapped { guard, map, window })
        });
    match mapped {
        Some(mapped) => {
            #[cfg(unix)]
            let _ = mapped.map.advise(memmap2::Advice::Sequential);
            Ok(Opened::Mapped(mapped))
        }
        // Streamed up to the size at open, like a mapping.
        None => {
            use std::io::{Seek, SeekFrom};
            file.seek(SeekFrom::Start(start)).map_err(err)?;
            Ok(Opened::Stream(Box::new(file.take(end - start)), None))
        }
    }
}

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
fn record_start_at(file: &mut File, at: u64, len: u64) -> io::Result<u64> {
    let mut start = line_start_at(file, at, len)?;
    while start > 0 && start < len && envelope::continues(&line_before(file, start)?) {
        start = line_start_at(file, start + 1, len)?;
    }
    Ok(start)
}

/// The line that ends (with its newline) just before `end`, without the newline.
fn line_before(file: &mut File, end: u64) -> io::Result<Vec<u8>> {
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
fn line_start_at(file: &mut File, at: u64, len: u64) -> io::Result<u64> {
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
fn end_of_last_line(file: &mut File, start: u64, len: u64) -> io::Result<u64> {
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

/// Standard input, decompressed when its first bytes are gzip's or zstd's magic
/// (`curl …/access.log.gz | errscope analyze -` works as a `.gz` file does).
fn open_stdin() -> Result<Opened> {
    let err = |source: io::Error| Error::Input {
        path: "-".into(),
        source,
    };
    // A pipe holds 64 KiB by default: its writer (`zcat`, `cat`) and errscope then
    // wake each other every 64 KiB. 1 MiB (the most an unprivileged process may
    // ask for by default) makes them wake each other far less often, which
    // shortens a run on a piped log (figure in docs/performance.md). Where
    // stdin is not a pipe, or the size is refused, nothing changes: the result is
    // ignored.
    #[cfg(target_os = "linux")]
    // SAFETY: fcntl on a descriptor number only reads its integer argument.
    unsafe {
        libc::fcntl(libc::STDIN_FILENO, libc::F_SETPIPE_SZ, 1 << 20);
    }
    stream(io::stdin()).map_err(err)
}

/// A reader that cannot seek (standard input, a named pipe), decompressed when its
/// first bytes are gzip's or zstd's magic.
fn stream<R: Read + Send + 'static>(mut reader: R) -> io::Result<Opened> {
    // Up to four bytes, however the writer splits them; handed on in front of
    // the rest, so nothing is lost.
    let mut magic = Vec::with_capacity(4);
    (&mut reader).take(4).read_to_end(&mut magic)?;
    let compression = Compression::detect(&magic);
    let whole = io::Cursor::new(magic).chain(reader);
    let reader: Box<dyn Read + Send> = match compression {
        Some(compression) => decoder(whole, compression)?,
        None => Box::new(whole),
    };
    Ok(Opened::Stream(reader, compression))
}

/// A streaming decoder of `compression` over `reader`.
pub fn decoder<R: Read + Send + 'static>(
    reader: R,
    compression: Compression,
) -> io::Result<Box<dyn Read + Send>> {
    Ok(match compression {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(
            reader,
        ))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(reader)?),
    })
}

/// Reads up to the first four bytes and rewinds.
fn read_magic(file: &mut File) -> io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut magic = Vec::with_capacity(4);
    file.by_ref().take(4).read_to_end(&mut magic)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(magic)
}

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
fn last_line(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    let start = memchr::memrchr(b'\n', b).map_or(0, |i| i + 1);
    let line = &b[start..];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where to end a chunk of the complete lines `b`: after its last line, or,
/// when that line is continued on the next one ([`envelope::continues`]), before
/// the run of continued lines at its end (0 when there are only such lines).
fn cut_before_continued(b: &[u8]) -> usize {
    let mut end = b.len();
    while end > 0 && envelope::continues(last_line(&b[..end])) {
        end = memchr::memrchr(b'\n', &b[..end - 1]).map_or(0, |i| i + 1);
    }
    end
}

/// The least a [`StreamChunker`] asks a `read` for: a pipe's default capacity.
const MIN_READ: usize = 64 << 10;

/// Spare buffers a [`StreamChunker`] keeps at most.
const MAX_SPARE_CHUNKS: usize = 16;

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
fn make_room(buf: &mut Vec<u8>, len: usize, capacity: usize) {
    if buf.len() < len {
        buf.reserve_exact(len.max(capacity) - buf.len());
        buf.resize(len, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::symlink;

    /// A range owns the lines that start in it: mid-line starts skip to the next
    /// line, the last line may end past the range, a range with no line start
    /// reads nothing, and a range past the file's end is refused.
    #[test]
    fn ranges_own_the_lines_that_start_in_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.log");
        std::fs::write(&path, b"ab\ncd\nef").unwrap();
        let span = |a: u64, b: u64| open_range(&path, a..b).map(|(_, span, size)| (span, size));
        for (range, want) in [
            ((0, 0), 0..0),
            ((0, 1), 0..3),
            ((1, 3), 3..3),
            ((1, 4), 3..6),
            ((3, 4), 3..6),
            ((2, 3), 3..3),
            ((4, 8), 6..8),
            ((7, 8), 8..8),
            ((8, 8), 8..8),
            ((0, 8), 0..8),
        ] {
            assert_eq!(span(range.0, range.1).unwrap(), (want, 8), "{range:?}");
        }
        let e = span(0, 9).unwrap_err().to_string();
        assert!(e.contains("has only 8 bytes"), "{e}");
    }

    /// A record split over CRI `P` lines belongs to the range its first line starts
    /// in, however many lines it takes.
    #[test]
    fn ranges_own_the_records_that_start_in_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cri.log");
        let p = "2025-12-31T17:37:40.493035218+01:00 stdout P {\"a\":\n";
        let f = "2025-12-31T17:37:40.493035218+01:00 stdout F 1}\n";
        let text = format!("{f}{p}{p}{f}{f}");
        std::fs::write(&path, &text).unwrap();
        let (f_len, p_len) = (f.len() as u64, p.len() as u64);
        let size = text.len() as u64;
        let span = |a: u64, b: u64| open_range(&path, a..b).unwrap().1;
        // The second record starts at f_len and takes three lines.
        let second_ends = f_len + 2 * p_len + f_len;
        assert_eq!(span(0, 1), 0..f_len);
        assert_eq!(span(1, f_len + 1), f_len..second_ends);
        // Ranges starting inside the record's later lines own none of it.
        assert_eq!(span(f_len + 1, f_len + p_len + 1), second_ends..second_ends);
        assert_eq!(span(f_len + p_len + 1, size), second_ends..size);
    }

    /// A chain of `levels` nested directories of 200-byte names under `dir`, made
    /// with `mkdirat` from the parent's descriptor, since past `PATH_MAX` (4096
    /// bytes) no path reaches them. Returns the first whose path is too long.
    fn deep_chain(dir: &Path, levels: usize) -> PathBuf {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let name = "d".repeat(200);
        let c_name = CString::new(name.clone()).unwrap();
        let c_dir = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: plain system calls on descriptors this function opens and closes,
        // with NUL-terminated names that outlive the calls.
        unsafe {
            let mut fd = libc::open(c_dir.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(fd >= 0, "open {}", dir.display());
            for _ in 0..levels {
                assert_eq!(libc::mkdirat(fd, c_name.as_ptr(), 0o755), 0);
                let next = libc::openat(fd, c_name.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
                assert!(next >= 0);
                libc::close(fd);
                fd = next;
            }
            libc::close(fd);
        }
        let mut path = dir.to_path_buf();
        while path.as_os_str().len() < libc::PATH_MAX as usize {
            path.push(&name);
        }
        path
    }

    /// A tree with every case the listing handles: nesting; hidden files and
    /// directories; a link to a directory met before its own name (`a0 -> b/d`), a
    /// link to a sibling (`c -> b`) and one out of the tree; links back to the
    /// root (`here`, `b/d/up`), to itself and to nothing; a socket; an empty
    /// directory; and directories nested past `PATH_MAX`. Returns the temporary
    /// directory, the root `logs` in it and the first directory too deep to read.
    fn tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("logs");
        let write = |name: &str| {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x\n").unwrap();
        };
        for name in [
            "a.log",
            "b/c.log",
            "b/.hidden.log",
            "b/d/e.log",
            "b/d/.hid/x.log",
            ".git/config.log",
            "z.log",
            "deep/f.log",
        ] {
            write(name);
        }
        std::fs::create_dir(root.join("zz")).unwrap();
        std::fs::create_dir(tmp.path().join("outside")).unwrap();
        std::fs::write(tmp.path().join("outside/o.log"), "x\n").unwrap();
        symlink("b/d", root.join("a0")).unwrap();
        symlink("b", root.join("c")).unwrap();
        symlink("../outside", root.join("out")).unwrap();
        symlink(".", root.join("here")).unwrap();
        symlink("../..", root.join("b/d/up")).unwrap();
        symlink("self", root.join("self")).unwrap();
        symlink("nowhere", root.join("gone")).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        let too_deep = deep_chain(&root.join("deep"), 24);
        (tmp, root, too_deep)
    }

    /// The hand-written listing: files, subdirectories left out, error paths.
    fn listing(root: &Path, recursive: bool) -> (Vec<PathBuf>, usize, Vec<PathBuf>) {
        let mut errors = Vec::new();
        let (files, skipped) = list_dir(root, recursive, &mut errors).unwrap();
        let errors = errors
            .into_iter()
            .map(|e| match e {
                Error::Input { path, .. } => path,
                other => panic!("{other}"),
            })
            .collect();
        (files, skipped, errors)
    }

    /// The same listing through walkdir (sorted by name, links followed, hidden
    /// entries below the root filtered out), with the glue it needs to say the
    /// same (see `walk`): a directory's files are kept only under the first path
    /// that reached it; a loop back to an ancestor is no error (and, without
    /// `-r`, a subdirectory left out); an error on a link is a dangling link.
    fn walkdir_listing(root: &Path, recursive: bool) -> (Vec<PathBuf>, usize, Vec<PathBuf>) {
        let mut first_path: HashMap<PathBuf, PathBuf> = HashMap::new();
        let (mut files, mut skipped, mut errors) = (Vec::new(), 0, Vec::new());
        let entries = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .max_depth(if recursive { usize::MAX } else { 1 })
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in entries {
            match entry {
                Ok(e) if e.file_type().is_dir() && e.depth() == 1 && !recursive => skipped += 1,
                Ok(e) if e.file_type().is_dir() => {
                    // A directory too deep to name has no canonical path: its
                    // error comes next.
                    if let Ok(canonical) = std::fs::canonicalize(e.path()) {
                        first_path
                            .entry(canonical)
                            .or_insert_with(|| e.path().to_path_buf());
                    }
                }
                Ok(e) if e.file_type().is_file() => {
                    let parent = e.path().parent().unwrap();
                    let canonical = std::fs::canonicalize(parent).unwrap();
                    if first_path.get(&canonical).map(PathBuf::as_path) == Some(parent) {
                        files.push(e.into_path());
                    }
                }
                Ok(_) => {}
                Err(e) if e.loop_ancestor().is_some() => {
                    skipped += usize::from(e.depth() == 1 && !recursive);
                }
                Err(e) => {
                    let path = e.path().unwrap().to_path_buf();
                    if !is_symlink(&path) {
                        errors.push(path);
                    }
                }
            }
        }
        (files, skipped, errors)
    }

    #[test]
    fn walk_lists_what_walkdir_lists() {
        let (_tmp, root, too_deep) = tree();
        let rel = |paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
                .collect()
        };
        let (files, skipped, errors) = listing(&root, true);
        assert_eq!(
            rel(&files),
            [
                "a.log",
                "a0/e.log",
                "b/c.log",
                "deep/f.log",
                "out/o.log",
                "z.log"
            ]
        );
        assert_eq!(skipped, 0);
        assert_eq!(errors, [too_deep]);
        assert_eq!((files, skipped, errors), walkdir_listing(&root, true));

        let (files, skipped, errors) = listing(&root, false);
        assert_eq!(rel(&files), ["a.log", "z.log"]);
        // a0, b, c, deep, here, out, zz: hidden .git, the socket and the links
        // to nothing are no subdirectories.
        assert_eq!(skipped, 7);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((files, skipped, errors), walkdir_listing(&root, false));
    }

    /// A subdirectory that cannot be read is an error of its own, and the rest of
    /// the tree is still listed: through `expand`, as `analyze` calls it.
    #[test]
    fn unreadable_subdirectory_is_an_error_of_its_own() {
        let (_tmp, root, too_deep) = tree();
        let expanded = expand(std::slice::from_ref(&root), true);
        assert_eq!(expanded.sources.len(), 6);
        assert!(expanded.notes.is_empty(), "{:?}", expanded.notes);
        match &expanded.errors[..] {
            [Error::Input { path, source }] => {
                assert_eq!(path, &too_deep);
                assert_eq!(source.raw_os_error(), Some(libc::ENAMETOOLONG));
            }
            other => panic!("{other:?}"),
        }
        let shallow = expand(std::slice::from_ref(&root), false);
        assert_eq!(shallow.sources.len(), 2);
        assert_eq!(
            shallow.notes,
            [format!(
                "{}: 7 subdirectories not read (give -r to read them)",
                root.display()
            )]
        );
    }

    fn stream_all(data: &[u8], target: usize, max_line: usize) -> Vec<Vec<u8>> {
        let mut c = StreamChunker::new(data, target, max_line);
        let mut out = Vec::new();
        while let Some(chunk) = c.next_chunk().unwrap() {
            out.push(chunk.to_vec());
        }
        out
    }

    /// A run of an envelope's continued lines (CRI `P`, Docker without `\n`) and
    /// the line that ends it are always in one chunk, mapped or streamed, whatever
    /// the chunk size; every byte still comes out once.
    #[test]
    fn continued_lines_never_end_a_chunk() {
        let mut data = Vec::new();
        for i in 0..6 {
            data.extend_from_slice(
                format!("2025-12-31T17:37:4{i}Z stdout P part-{i}-a\n").as_bytes(),
            );
            data.extend_from_slice(b"2025-12-31T17:37:40Z stdout P b\n");
            data.extend_from_slice(b"2025-12-31T17:37:40Z stdout F end\n");
            data.extend_from_slice(
                br#"{"log":"x","stream":"stdout","time":"2025-02-06T12:14:14Z"}"#,
            );
            data.push(b'\n');
            data.extend_from_slice(
                br#"{"log":"y\n","stream":"stdout","time":"2025-02-06T12:14:14Z"}"#,
            );
            data.push(b'\n');
            data.extend_from_slice(b"plain line\n");
        }
        let ends_a_run = |chunk: &[u8]| !envelope::continues(last_line(chunk));
        for target in 1..data.len() + 2 {
            let ranges = chunk_ranges(&data, target, 1);
            assert_eq!(ranges.iter().map(|r| r.len()).sum::<usize>(), data.len());
            for r in &ranges {
                assert!(ends_a_run(&data[r.clone()]), "target {target}: {r:?}");
            }
            let chunks = stream_all(&data, target, 1 << 20);
            assert_eq!(chunks.concat(), data, "target {target}");
            for c in &chunks {
                assert!(ends_a_run(c), "target {target}");
            }
        }
    }

    #[test]
    fn released_pages_still_read_as_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let data: Vec<u8> = (0..5 * 4096 + 123).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let Ok(Opened::Mapped(map)) = open(&Source::File(path)) else {
            panic!("a plain file is mapped");
        };
        assert_eq!(map.bytes(), &data[..]);
        // Unaligned, overlapping, empty, whole; then every byte read again.
        for range in [1000..9000, 4096..8192, 0..0, 8000..8000, 0..data.len()] {
            map.release(range);
            assert_eq!(map.bytes(), &data[..]);
        }
    }

    #[test]
    fn chunk_ranges_cover_every_byte_at_newlines() {
        let data = b"a\nbb\nccc\n\ndddd";
        for target in 1..=data.len() + 2 {
            let ranges = chunk_ranges(data, target, 2);
            let joined: Vec<u8> = ranges
                .iter()
                .flat_map(|r| data[r.clone()].to_vec())
                .collect();
            assert_eq!(joined, data, "target {target}");
            for r in &ranges[..ranges.len() - 1] {
                assert_eq!(data[r.end - 1], b'\n', "target {target}");
            }
        }
        assert!(chunk_ranges(b"", 4, 2).is_empty());
        assert_eq!(chunk_ranges(b"a\nb\n", 1, 2), vec![0..2, 2..4]);
    }

    #[test]
    fn chunks_taper_towards_the_end() {
        let line = b"0123456789abcde\n";
        let data: Vec<u8> = line.repeat((64 << 20) / line.len());
        let target = 4 << 20;
        let ranges = chunk_ranges(&data, target, 2);
        let sizes: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
        // Whole chunks while more than 8 of them are left, then ever smaller ones,
        // never below the floor (but the very last), every one at a newline.
        let whole = sizes.iter().take_while(|&&s| s == target).count();
        assert_eq!(whole, (64 - 32) / 4 + 1, "{sizes:?}");
        assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
        assert!(sizes[..sizes.len() - 1]
            .iter()
            .all(|&s| s >= MIN_TAPERED_CHUNK));
        assert!(sizes[sizes.len() - 2] < MIN_TAPERED_CHUNK + line.len());
        assert_eq!(ranges.last().unwrap().end, data.len());
        assert!(ranges[..ranges.len() - 1]
            .iter()
            .all(|r| data[r.end - 1] == b'\n'));
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

    /// Reads its data, then fails.
    struct FailingReader<'a>(&'a [u8]);

    impl Read for FailingReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A reader that gives at most `.1` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn stream_hands_out_what_came_before_a_read_error() {
        for target in [1, 4, 1000] {
            let mut c = StreamChunker::new(FailingReader(b"a\nbb\ncu"), target, 100);
            let mut got = Vec::new();
            let err = loop {
                match c.next_chunk() {
                    Ok(Some(chunk)) => got.extend_from_slice(&chunk),
                    Ok(None) => panic!("the error must be reported"),
                    Err(e) => break e,
                }
            };
            assert_eq!(got, b"a\nbb\ncu", "target {target}");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(matches!(c.next_chunk(), Ok(None)));
        }
    }

    proptest::proptest! {
        /// Whatever the chunk size and line cap: every line comes out once, in
        /// order, cut to `max_line + 1` bytes when longer, and chunks end at newlines.
        #[test]
        fn stream_chunks_any_lines(
            lines in proptest::collection::vec(proptest::collection::vec(b'a'..=b'c', 0..40), 0..40),
            last_newline: bool,
            target in 1usize..100,
            max_line in 1usize..30,
            trickle in 1usize..8,
        ) {
            let mut data = lines.join(&b'\n');
            if last_newline && !data.is_empty() {
                data.push(b'\n');
            }
            let mut want = Vec::new();
            for (i, line) in data.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    want.push(b'\n');
                }
                want.extend_from_slice(&line[..line.len().min(max_line + 1)]);
            }
            let chunks = stream_all(&data, target, max_line);
            proptest::prop_assert_eq!(chunks.concat(), want);
            if let Some((_, whole)) = chunks.split_last() {
                proptest::prop_assert!(whole.iter().all(|c| c.last() == Some(&b'\n')));
            }
            // The same chunks when every chunk's buffer is handed back and reused.
            let mut chunker = StreamChunker::new(&data[..], target, max_line);
            let mut reused = Vec::new();
            while let Some(chunk) = chunker.next_chunk().unwrap() {
                reused.push(chunk.to_vec());
                chunker.recycle(chunk);
            }
            proptest::prop_assert_eq!(&reused, &chunks);
            // The same lines when the reader hands out a few bytes at a time, as a
            // pipe may: an over-long line's rest is dropped across many reads.
            let mut chunker = StreamChunker::new(Trickle(&data[..], trickle), target, max_line);
            let mut trickled = Vec::new();
            while let Some(chunk) = chunker.next_chunk().unwrap() {
                trickled.extend_from_slice(&chunk);
                chunker.recycle(chunk);
            }
            proptest::prop_assert_eq!(trickled, chunks.concat());
        }
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
