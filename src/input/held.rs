//! Small files read whole into memory instead of mapped.
//!
//! A file of a few KiB costs more to map than to read: the mapping, its page
//! faults and the unmapping are three trips into the kernel where one `read`
//! copies the bytes, and each mapping takes one of the [`super::sigbus`]
//! registry's slots, of which a run over thousands of small files would run out
//! (the files past them would then be streamed, one after another). So a plain
//! file of at most [`SMALL_FILE_BYTES`] is read into a buffer, as long as the
//! buffers held at once stay within [`BUDGET`] bytes for the whole process; past
//! that it is mapped as any other file. Read files cannot change under the run:
//! what is counted is the file as it was read.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Plain files up to this size are read, not mapped.
pub const SMALL_FILE_BYTES: u64 = 64 * 1024;

/// The most bytes of read files held at once, process-wide: the private memory
/// reading small files may add to a run.
pub const BUDGET: usize = 32 << 20;

/// Bytes of the budget taken by the [`Held`] buffers alive.
static TAKEN: AtomicUsize = AtomicUsize::new(0);

/// A file's bytes, read into memory; its share of the budget is given back when
/// it is dropped.
pub struct Held {
    bytes: Vec<u8>,
    /// What it took of the budget (the size it was read at).
    taken: usize,
}

impl Held {
    /// At most `len` bytes of `file` from where it stands (fewer if it is shorter
    /// by now), or `None` when `len` is more than the budget has left.
    pub(super) fn read(file: &mut File, len: u64) -> Option<io::Result<Held>> {
        let taken = usize::try_from(len).ok()?;
        TAKEN
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t + taken <= BUDGET).then_some(t + taken)
            })
            .ok()?;
        // Made first, so that an error below gives the budget back.
        let mut held = Held {
            bytes: Vec::with_capacity(taken),
            taken,
        };
        Some(file.take(len).read_to_end(&mut held.bytes).map(|_| held))
    }

    /// The bytes read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        TAKEN.fetch_sub(self.taken, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_what_is_there_and_gives_the_budget_back() {
        use std::io::{Seek, SeekFrom};
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"line one\nline two\n").unwrap();
        f.seek(SeekFrom::Start(5)).unwrap();
        // Asked for more than is left (the file shrank since its size was taken).
        let held = Held::read(&mut f, 100).unwrap().unwrap();
        assert_eq!(held.bytes(), b"one\nline two\n");
        // More than the whole budget is never read.
        assert!(Held::read(&mut f, BUDGET as u64 + 1).is_none());
        // Three quarters of the budget twice over: only if the first is given back.
        let big = (BUDGET / 4 * 3) as u64;
        let mut sparse = tempfile::tempfile().unwrap();
        sparse.set_len(big).unwrap();
        for _ in 0..2 {
            sparse.seek(SeekFrom::Start(0)).unwrap();
            let held = Held::read(&mut sparse, big).unwrap().unwrap();
            assert_eq!(held.bytes().len() as u64, big);
            // Not while it is held.
            assert!(Held::read(&mut sparse, big).is_none());
        }
    }
}
