//! Where log bytes come from: the paths given (files, directories, `-` for standard
//! input), memory-mapped when possible and streamed otherwise (stdin, gzip, files that
//! cannot be mapped), and cut into newline-aligned chunks.
//!
//! This file opens one source (mapped, streamed, decompressed by its magic bytes,
//! or a window of it); beside it:
//!
//! - [`mod@expand`]: paths, directories and glob patterns to sources;
//! - [`range`]: the byte ranges of `--range` and resumed runs, and the records they
//!   own;
//! - [`chunk`]: newline-aligned chunks of a mapped file or a stream;
//! - [`gzip`]: gzip decoding with ISA-L;
//! - [`sigbus`]: surviving a mapped file truncated under us;
//! - [`state`]: `--state`, which part of each file earlier runs read.

mod chunk;
mod expand;
mod gzip;
mod range;
pub mod sigbus;
pub mod state;

pub use chunk::{chunk_ranges, Chunk, StreamChunker, MIN_TAPERED_CHUNK};
pub use expand::{expand, Expanded};
use range::end_of_last_line;
pub use range::open_range;

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{Error, Result};

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
        Compression::Gzip => Box::new(gzip::GzipDecoder::new(reader)),
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

#[cfg(test)]
mod tests {
    use super::chunk::last_line;
    use super::expand::{is_symlink, list_dir};
    use super::*;
    use crate::format::envelope;
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
