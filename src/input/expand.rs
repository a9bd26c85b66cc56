//! The paths given, made into sources: `-`, files, directories (with `-r`, the
//! whole tree, symlink loops ended), glob patterns; what cannot be read is kept as
//! an error beside the sources that can.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use super::Source;
use crate::error::{Error, Result};

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

pub(super) fn is_pattern(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?', '['])
}

pub(super) fn expand_glob(pattern: &Path) -> Result<Vec<PathBuf>> {
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
pub(super) fn list_dir(
    dir: &Path,
    recursive: bool,
    errors: &mut Vec<Error>,
) -> Result<(Vec<PathBuf>, usize)> {
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
pub(super) fn walk(
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
pub(super) fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
