//! `analyze --state FILE`: incremental runs. The state remembers, for every file
//! read, how much of it was read, so the next run reads only what is new, however
//! the files were renamed, compressed or truncated in between.
//!
//! A file is known by a fingerprint of its first bytes (its decompressed first
//! bytes, for an archive), not by its name; device and inode only break ties. So:
//! - a file that grew is read from where the last run stopped; a last line without
//!   its newline waits for the next run;
//! - a renamed file (`access.log` -> `access.log.1`, still appended to until the
//!   gateway reopens its log) is read on from where it was left, and the new
//!   `access.log` from its start;
//! - a rotated file compressed later (`access.log.1` -> `access.log.1.gz`) has the
//!   same fingerprint: its first bytes, decompressed, are skipped and the rest (lines
//!   appended after the last run) read;
//! - a file that shrank, or whose first bytes changed (copytruncate), is read from
//!   its start;
//! - a file no longer given (rotated away, deleted) is dropped from the state.
//!
//! The state is JSON (schema `errscope-state`, version 1), small (one entry per
//! file), written after the report. It records what it was made with (the
//! catalog's fingerprint and the options that change counting); a run with other
//! settings is refused rather than mixed. A lock (`FILE.lock`, `flock`) keeps two
//! runs from using the same state at once.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::{Analysis, InputSummary};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::format::FormatChoice;
use crate::input::{Opened, Resume, Source};

/// `schema` of a state file.
pub const SCHEMA: &str = "errscope-state";
/// Bumped on any change an older errscope could not read.
pub const VERSION: u32 = 1;

/// Bytes of a file's start that identify it.
pub const FINGERPRINT_BYTES: usize = 1024;

/// What incremental runs remember.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Always `errscope-state`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// The catalog and the options that change counting, as [`settings`] writes
    /// them: a run with other settings is refused.
    pub settings: String,
    /// One entry per file read, in the order the last run was given them.
    pub files: Vec<FileState>,
}

/// One file, as far as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileState {
    /// The path it was last read under (for people; files are matched by
    /// fingerprint).
    pub path: String,
    /// FNV-1a (64 bits, hex) of the first `fingerprint_len` bytes of its text.
    pub fingerprint: String,
    /// How many bytes `fingerprint` covers: up to [`FINGERPRINT_BYTES`]; fewer for a shorter file.
    pub fingerprint_len: u64,
    /// Bytes of its text read (decompressed, for an archive): the next run starts
    /// there.
    pub offset: u64,
    /// Lines read: line numbers go on from here.
    pub lines: u64,
    /// Device when last read (with the inode, tie-breaks between equal fingerprints).
    pub dev: u64,
    /// Inode when last read.
    pub ino: u64,
}

impl State {
    fn new(settings: &str) -> State {
        State {
            schema: SCHEMA.to_string(),
            version: VERSION,
            settings: settings.to_string(),
            files: Vec::new(),
        }
    }
}

/// The settings a state must have been made with: [`counting_settings`] joined into
/// one line (`catalog …; routes …; format …; fields …; max-line-bytes …`).
pub fn settings(
    catalog: &Catalog,
    routes: &[String],
    format: &FormatChoice,
    fields: &[String],
    max_line_bytes: usize,
) -> String {
    counting_settings(catalog, routes, format, fields, max_line_bytes)
        .iter()
        .map(|(name, value)| format!("{name} {value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What changes how a line counts, as (name, value) pairs: the catalog's names and
/// statuses per section (a fingerprint; not its descriptions or line numbers, which
/// change no count), the routes, the format choice, the field overrides and the
/// line-length limit. The state file records them joined ([`settings`]); a partial
/// report records them with the options that change what a report keeps
/// ([`crate::fleet::partial::Settings`]). The same on every machine and run.
pub fn counting_settings(
    catalog: &Catalog,
    routes: &[String],
    format: &FormatChoice,
    fields: &[String],
    max_line_bytes: usize,
) -> Vec<(&'static str, String)> {
    vec![
        ("catalog", catalog_fingerprint(catalog)),
        ("routes", format!("{routes:?}")),
        ("format", format!("{format:?}")),
        ("fields", format!("{fields:?}")),
        ("max-line-bytes", max_line_bytes.to_string()),
    ]
}

/// The catalog's names and statuses per section, fingerprinted (FNV-1a): what of
/// a catalog changes a count.
pub fn catalog_fingerprint(catalog: &Catalog) -> String {
    let mut names = String::new();
    for section in catalog.sections() {
        names.push_str(&section.id);
        for entry in &section.entries {
            names.push_str(&format!(" {}={}", entry.name, entry.status));
        }
        names.push('\n');
    }
    fnv1a(names.as_bytes())
}

/// FNV-1a, 64 bits, as 16 hex digits: the same on every machine and version.
pub fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A held lock on a state file; released when dropped (or when the process ends,
/// however it ends: `flock` locks die with their holder).
pub struct Lock {
    _file: File,
}

/// Take the lock beside `state` (`STATE.lock`), or say who holds it.
pub fn lock(state: &Path) -> Result<Lock> {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Input {
            path: path.clone(),
            source,
        })?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor this function owns; no memory is shared.
        let held = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if held != 0 {
            return Err(Error::Usage(format!(
                "{}: another errscope run is using this state (it holds {}); wait for it, \
                 or give each job its own --state",
                state.display(),
                path.display()
            )));
        }
    }
    Ok(Lock { _file: file })
}

/// Read the state at `path`; a fresh state when the file does not exist. A state
/// made with other `settings` is refused.
pub fn load(path: &Path, settings: &str) -> Result<State> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::new(settings)),
        Err(source) => {
            return Err(Error::Input {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let bad = |why: String| {
        Error::Usage(format!(
            "{}: not an errscope state file of version {VERSION} ({why}); remove it to start over",
            path.display()
        ))
    };
    let state: State = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if state.schema != SCHEMA || state.version != VERSION {
        return Err(bad(format!(
            "schema {:?} version {}",
            state.schema, state.version
        )));
    }
    if state.settings != settings {
        return Err(Error::Usage(format!(
            "{}: this state was made with other settings, so its files' lines were counted \
             differently; counting on would mix the two. It has: {}; this run has: {}. \
             Use the same catalog and options, or another --state file",
            path.display(),
            state.settings,
            settings
        )));
    }
    Ok(state)
}

/// The state as it is written: pretty JSON, one trailing newline.
pub fn to_json(state: &State) -> String {
    let mut text = serde_json::to_string_pretty(state).expect("a state serializes");
    text.push('\n');
    text
}

/// What a run does with each source, and what it should say about it.
pub struct Plan {
    /// Per source: where to start reading.
    pub resume: Vec<Resume>,
    /// Per source: lines earlier runs counted (its line numbers go on from there).
    pub first_line: Vec<u64>,
    /// Per source: the state entry it continues (to keep device/inode hints), if any.
    matched: Vec<Option<usize>>,
    /// Per source: its fingerprint now (bytes, length), `None` for standard input or
    /// a file that could not be read.
    fingerprints: Vec<Option<(String, u64)>>,
    /// Sources that are the same file as another one given (same fingerprint and
    /// state entry): not read again.
    pub duplicates: Vec<bool>,
    /// What a person should know: files started over, duplicates.
    pub notes: Vec<String>,
}

impl Plan {
    /// Open each source from where this plan starts it (see
    /// [`crate::input::open_resumed`]); a duplicate is opened empty, so it is
    /// listed with no lines.
    pub fn open(&self, sources: &[Source]) -> Vec<Result<Opened>> {
        sources
            .iter()
            .enumerate()
            .map(|(i, source)| {
                if self.duplicates[i] {
                    Ok(Opened::Empty)
                } else {
                    crate::input::open_resumed(source, self.resume[i])
                }
            })
            .collect()
    }

    /// Number each input's lines on from where earlier runs stopped.
    pub fn number(&self, analysis: &mut Analysis) {
        for i in 0..self.resume.len() {
            analysis.resume_numbering(i, self.first_line[i], self.resume[i].skip);
        }
    }
}

/// A file's first bytes (decompressed for an archive), at most `n`.
fn first_bytes(path: &Path, n: usize) -> io::Result<(Vec<u8>, bool)> {
    let mut file = File::open(path)?;
    let mut magic = Vec::new();
    (&mut file).take(4).read_to_end(&mut magic)?;
    let compressed = crate::input::Compression::detect(&magic);
    let file = File::open(path)?;
    let mut reader: Box<dyn Read + Send> = match compressed {
        Some(c) => crate::input::decoder(file, c)?,
        None => Box::new(file),
    };
    let mut out = Vec::with_capacity(n);
    (&mut reader).take(n as u64).read_to_end(&mut out)?;
    Ok((out, compressed.is_some()))
}

#[cfg(unix)]
fn dev_ino(path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map_or((0, 0), |m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dev_ino(_: &Path) -> (u64, u64) {
    (0, 0)
}

/// Decide where each of `sources` starts, from `state`.
pub fn plan(state: &State, sources: &[Source]) -> Plan {
    let n = sources.len();
    let mut p = Plan {
        resume: vec![Resume::default(); n],
        first_line: vec![0; n],
        matched: vec![None; n],
        fingerprints: vec![None; n],
        duplicates: vec![false; n],
        notes: Vec::new(),
    };
    let mut taken: HashSet<usize> = HashSet::new();
    let mut seen_inodes: HashSet<(u64, u64)> = HashSet::new();
    for (i, source) in sources.iter().enumerate() {
        let Source::File(path) = source else {
            continue;
        };
        // The same file given twice (a link, a directory and a path in it).
        let (dev, ino) = dev_ino(path);
        if (dev, ino) != (0, 0) && !seen_inodes.insert((dev, ino)) {
            p.duplicates[i] = true;
            p.notes.push(format!(
                "{}: the same file as another input: not read again",
                path.display()
            ));
            continue;
        }
        // Unreadable files fail later, when opened, with their own error.
        let Ok((head, compressed)) = first_bytes(path, FINGERPRINT_BYTES) else {
            continue;
        };
        p.fingerprints[i] = Some((fnv1a(&head), head.len() as u64));
        p.resume[i].whole_lines = !compressed;
        // Entries whose fingerprinted start this file begins with; the same inode
        // first, then the same path, then the first listed.
        let candidates: Vec<usize> = state
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.fingerprint_len > 0
                    && f.fingerprint_len <= head.len() as u64
                    && fnv1a(&head[..f.fingerprint_len as usize]) == f.fingerprint
            })
            .map(|(k, _)| k)
            .collect();
        let best = candidates.iter().copied().max_by_key(|&k| {
            let f = &state.files[k];
            (
                f.dev == dev && f.ino == ino && !compressed,
                f.path == path.display().to_string(),
                std::cmp::Reverse(k),
            )
        });
        let Some(k) = best else {
            continue;
        };
        if !taken.insert(k) {
            p.duplicates[i] = true;
            p.notes.push(format!(
                "{}: the same file as another input (same first bytes and state entry): not read again",
                path.display()
            ));
            continue;
        }
        let f = &state.files[k];
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if !compressed && size < f.offset {
            p.notes.push(format!(
                "{}: shorter than when last read ({size} < {} bytes): truncated, read from its start",
                path.display(),
                f.offset
            ));
            continue;
        }
        p.matched[i] = Some(k);
        p.resume[i].skip = f.offset;
        p.first_line[i] = f.lines;
    }
    p
}

/// The state after a run that followed `plan`: one entry per file read, at the
/// offset its lines were counted to; files no longer given are dropped, and so are
/// files that could not be read (they are read from where they were when they can
/// be again: their old entry is kept).
pub fn advance(state: &State, plan: &Plan, sources: &[Source], inputs: &[InputSummary]) -> State {
    let mut next = State::new(&state.settings);
    for (i, source) in sources.iter().enumerate() {
        let Source::File(path) = source else {
            continue;
        };
        if plan.duplicates[i] {
            continue;
        }
        let input = &inputs[i];
        let old = plan.matched[i].map(|k| &state.files[k]);
        let Some((fingerprint, fingerprint_len)) = plan.fingerprints[i].clone() else {
            next.files.extend(old.cloned());
            continue;
        };
        // An empty file has no first bytes to be known by: it is read whole
        // when it has some.
        if fingerprint_len == 0 {
            continue;
        }
        // An input that could not be read at all keeps its old entry.
        if input.format.is_none() && input.error.is_some() {
            next.files.extend(old.cloned());
            continue;
        }
        let (dev, ino) = dev_ino(path);
        next.files.push(FileState {
            path: path.display().to_string(),
            fingerprint,
            fingerprint_len,
            offset: plan.resume[i].skip + input.bytes,
            lines: plan.first_line[i] + input.lines,
            dev,
            ino,
        });
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        // The published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(b""), "cbf29ce484222325");
        assert_eq!(fnv1a(b"a"), "af63dc4c8601ec8c");
        assert_eq!(fnv1a(b"foobar"), "85944171f73967e8");
    }
}
