//! Ctrl-C and `kill`: stop at once, leave nothing half-written.
//!
//! [`install`] starts a thread that waits for SIGINT and SIGTERM (through
//! `signal-hook`, so the work happens on an ordinary thread, not in signal context).
//! On a signal it
//!
//! 1. sets the [`interrupted`] flag;
//! 2. takes the output gate ([`gate`]), waiting for an output being committed right
//!    now to finish, and never giving it back;
//! 3. removes every temporary file registered with [`TempPath::register`];
//! 4. ends the process with `_exit(128 + signal)`: 130 for Ctrl-C, 143 for SIGTERM.
//!    `_exit` flushes no buffer, so a report still being rendered never reaches
//!    standard output in part.
//!
//! Output is therefore all or nothing, provided it is committed under the gate: a
//! report is rendered into memory and then written (and flushed) to standard
//! output while holding [`gate`]; a report for a file is written to a registered
//! temporary file and renamed into place with [`TempPath::commit`].

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Exit status of a run ended by Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Temporary files to remove on a signal; its lock is the output gate.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Whether a signal asked the run to stop (the process is about to exit).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Held while committing output (writing a rendered report to standard output,
/// renaming a temporary file into place). A signal arriving meanwhile waits for it
/// to be dropped; once the signal thread holds it, the process is exiting, so a
/// writer that gets the gate is never cut off half-way.
pub struct Gate(#[allow(dead_code)] MutexGuard<'static, Vec<PathBuf>>);

/// Take the output gate.
pub fn gate() -> Gate {
    Gate(lock())
}

fn lock() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list intact: keep using it.
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary file removed if the process is interrupted before it is committed.
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
}

impl TempPath {
    /// Register `path` (create the file after registering, so a signal in between
    /// cannot leave it behind).
    pub fn register(path: PathBuf) -> TempPath {
        lock().push(path.clone());
        TempPath { path }
    }

    /// The file to remove on a signal.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `commit` (typically the rename of the temporary file onto its final name)
    /// under the output gate, then forget the path: the signal thread either runs
    /// before `commit` (the file is removed, the destination untouched) or after it.
    pub fn commit(self, commit: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
        let mut temps = lock();
        let result = commit(&self.path);
        forget(&mut temps, &self.path);
        drop(temps);
        std::mem::forget(self);
        result
    }
}

impl Drop for TempPath {
    /// Forget the path without removing the file: the owner removes it on failure.
    fn drop(&mut self) {
        forget(&mut lock(), &self.path);
    }
}

fn forget(temps: &mut Vec<PathBuf>, path: &Path) {
    if let Some(i) = temps.iter().rposition(|p| p == path) {
        temps.swap_remove(i);
    }
}

/// Remove the registered temporary files (best effort: one that is already gone is
/// fine). Called by the signal thread with the gate held.
fn remove_temps(temps: &mut Vec<PathBuf>) {
    for path in temps.drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// Start the signal thread. Call once, early in `main`.
#[cfg(unix)]
pub fn install() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("errscope-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                INTERRUPTED.store(true, Ordering::SeqCst);
                let mut temps = lock();
                remove_temps(&mut temps);
                // SAFETY: `_exit` ends the process without running destructors or
                // flushing buffers, which is the point: nothing partial is written.
                // The gate stays held until then, so no output is mid-commit.
                unsafe { libc::_exit(128 + signal) }
            }
        })?;
    Ok(())
}

/// Without Unix signals, Ctrl-C keeps its default behaviour.
#[cfg(not(unix))]
pub fn install() -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_temps_are_removed_and_committed_ones_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("report.json.tmp");
        let lost = dir.path().join("other.tmp");
        let done = dir.path().join("report.json");
        let committed = TempPath::register(kept.clone());
        let pending = TempPath::register(lost.clone());
        std::fs::write(&kept, "{}").unwrap();
        std::fs::write(&lost, "{").unwrap();
        committed.commit(|tmp| std::fs::rename(tmp, &done)).unwrap();
        // What the signal thread does, short of exiting.
        {
            let mut temps = lock();
            assert!(temps.contains(&lost));
            assert!(!temps.contains(&kept));
            // Only this test's paths: other tests may register their own.
            let mut ours: Vec<PathBuf> = temps
                .iter()
                .filter(|p| p.starts_with(dir.path()))
                .cloned()
                .collect();
            temps.retain(|p| !p.starts_with(dir.path()));
            remove_temps(&mut ours);
        }
        assert!(done.exists());
        assert!(!lost.exists());
        drop(pending);
        assert!(!lock().contains(&lost));
    }
}
