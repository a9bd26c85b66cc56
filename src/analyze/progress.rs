//! How far a run is: bytes classified so far, out of a total that is known up front
//! (mapped files) or grows as streams are read. The workers count into it; the
//! command layer's progress line (`command::progress`) reads it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes classified so far, out of a total known up front (mapped files) or not
/// (streams: the total grows as they are read).
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    /// Count `bytes` more as classified.
    #[inline]
    pub fn add(&self, bytes: usize) {
        self.done.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Add `bytes` to the total expected.
    pub fn expect(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes done and the total expected so far.
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}
