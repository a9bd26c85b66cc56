//! The work rayon runs: every chunk of every mapped input is a [`Job`], handed out
//! one by one from a shared counter to the workers, each keeping one [`Partial`]
//! (a tally and a path memo) that merge exactly when all are done.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::lines::{process_chunk, Indexes, LineContext};
use super::Options;
use crate::classify::path_memo::PathMemo;
use crate::classify::Class;
use crate::format::envelope::Unwrapper;
use crate::input::Mapped;
use crate::tally::Tally;

/// One chunk's result: whose it is, how many lines and bytes it held, and whether
/// it was dropped (its file was cut under it, so it may have read zeros).
pub(super) struct ChunkCount {
    pub(super) input: u32,
    pub(super) chunk: u32,
    pub(super) lines: u64,
    pub(super) malformed: u64,
    pub(super) bytes: u64,
    pub(super) dropped: bool,
}

/// Merged tallies plus the line count of every chunk they came from.
pub(super) struct Partial {
    pub(super) tally: Tally,
    /// Reused from chunk to chunk.
    pub(super) indexes: Indexes,
    /// Reused from line to line in an envelope.
    pub(super) unwrapper: Unwrapper,
    /// The paths this thread has routed, kept from chunk to chunk (their counts
    /// are flushed into `tally` at each chunk's end).
    pub(super) paths: PathMemo,
    pub(super) chunks: Vec<ChunkCount>,
    /// Indexes of the jobs classified into this result, in its caller's list.
    pub(super) jobs: Vec<usize>,
}

impl Partial {
    pub(super) fn empty(opts: &Options) -> Partial {
        Partial {
            tally: Tally::new(opts.tally_config()),
            indexes: Indexes::default(),
            unwrapper: Unwrapper::default(),
            paths: PathMemo::default(),
            chunks: Vec::new(),
            jobs: Vec::new(),
        }
    }

    /// Classify the chunk of `job` (number `index` in its caller's list), or note it
    /// as dropped when its file was cut before the chunk's end. Whether it counted.
    pub(super) fn add_job(
        &mut self,
        index: usize,
        job: &Job,
        contexts: &[Option<LineContext>],
    ) -> bool {
        self.jobs.push(index);
        if job.spoiled() {
            self.add_dropped(job.input, job.chunk);
            return false;
        }
        let ctx = contexts[job.input as usize]
            .as_ref()
            .expect("context built for every job");
        let data = &job.resident.data[job.range.clone()];
        self.add_chunk(data, job.input, job.chunk, ctx);
        true
    }

    /// Classify one chunk's lines into this partial result, noting how many lines
    /// the chunk held.
    pub(super) fn add_chunk(&mut self, data: &[u8], input: u32, chunk: u32, ctx: &LineContext) {
        let before = self.tally.lines;
        let malformed_before = self.tally.count(Class::Malformed);
        process_chunk(
            data,
            (input, chunk),
            ctx,
            &mut self.tally,
            &mut self.indexes,
            &mut self.unwrapper,
            &mut self.paths,
        );
        self.chunks.push(ChunkCount {
            input,
            chunk,
            lines: self.tally.lines - before,
            malformed: self.tally.count(Class::Malformed) - malformed_before,
            bytes: data.len() as u64,
            dropped: false,
        });
        if let Some(progress) = &ctx.opts.progress {
            progress.add(data.len());
        }
    }

    /// Note a chunk that is not counted: its bytes may not be the file's.
    pub(super) fn add_dropped(&mut self, input: u32, chunk: u32) {
        self.chunks.push(ChunkCount {
            input,
            chunk,
            lines: 0,
            malformed: 0,
            bytes: 0,
            dropped: true,
        });
    }

    pub(super) fn merge(mut self, other: Partial) -> Partial {
        self.tally.merge(other.tally);
        self.chunks.extend(other.chunks);
        self.jobs.clear(); // indexes into different lists mean nothing together
        self
    }
}

/// Bytes held in memory for the whole run: a mapped file (which may be cut short
/// under us, see [`crate::input::sigbus`]) or a caller's buffer.
pub(super) struct Resident<'a> {
    pub(super) input: usize,
    pub(super) data: &'a [u8],
    pub(super) mapped: Option<&'a Mapped>,
}

/// One chunk of a resident input to classify.
#[derive(Clone)]
pub(super) struct Job<'a> {
    pub(super) input: u32,
    pub(super) chunk: u32,
    pub(super) range: std::ops::Range<usize>,
    pub(super) resident: &'a Resident<'a>,
}

impl Job<'_> {
    /// Whether the chunk's file is known to have been cut before the chunk's end:
    /// then some of its bytes may read as zeros, and it is not counted.
    pub(super) fn spoiled(&self) -> bool {
        self.resident
            .mapped
            .and_then(Mapped::cut_at)
            .is_some_and(|cut| self.range.end > cut)
    }
}

/// Classify a group of chunks into one partial result. A chunk whose file was cut
/// before its end (see [`Job::spoiled`]) is not counted; when a chunk turns out to
/// have been cut only while it was read, the group is classified again without it
/// (rare: a `copytruncate` during the run), so no zero read from a cut file counts.
pub(super) fn classify_group(
    group: &[Job],
    contexts: &[Option<LineContext>],
    opts: &Options,
) -> Partial {
    loop {
        let mut partial = Partial::empty(opts);
        let mut dropped = 0;
        for (index, job) in group.iter().enumerate() {
            dropped += usize::from(!partial.add_job(index, job, contexts));
        }
        // Cuts only move earlier, so this ends: each pass drops at least one more.
        if group.iter().filter(|job| job.spoiled()).count() == dropped {
            return partial;
        }
    }
}

/// Classify `jobs` in parallel into one partial result per worker thread.
///
/// Why per thread: a tally's fixed cost (its histograms grow from nothing, and each
/// partial result is merged) is paid once per partial result; paid for eight groups
/// of chunks a run, it weighed on small inputs and kept eight sets of histograms in
/// memory (figures in docs/performance.md).
///
/// The chunks are handed out one by one, in order, from a shared counter: whichever
/// thread is free takes the next. (A parallel iterator would split the list of
/// chunks into halves and quarters up front, which balances only chunks of equal
/// size; the last chunks of an input are smaller, see [`crate::input::chunk_ranges`].)
///
/// A chunk whose file is cut while it is read (see [`Job::spoiled`]) cannot be taken
/// out of a tally again, so a thread's partial result that holds such a chunk is
/// classified again from its chunks by [`classify_group`], which leaves it out.
pub(super) fn classify_per_thread(
    jobs: &[Job],
    contexts: &[Option<LineContext>],
    opts: &Options,
) -> Partial {
    let next = AtomicUsize::new(0);
    rayon::broadcast(|_| {
        let mut partial = Partial::empty(opts);
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(index) else {
                return partial;
            };
            partial.add_job(index, job, contexts);
        }
    })
    .into_iter()
    .map(|partial| {
        // `jobs` and `chunks` were pushed together, one of each per job.
        let cut_while_read = (partial.jobs.iter().zip(&partial.chunks))
            .any(|(&i, count)| !count.dropped && jobs[i].spoiled());
        if cut_while_read {
            let group: Vec<Job> = partial.jobs.iter().map(|&i| jobs[i].clone()).collect();
            classify_group(&group, contexts, opts)
        } else {
            partial
        }
    })
    .reduce(Partial::merge)
    .unwrap_or_else(|| Partial::empty(opts))
}

/// Unmap the mapped inputs' pages once every chunk is classified, each worker
/// thread an equal share of each file (see [`Mapped::release`]): unmapping a large
/// file on the one thread that dropped it showed in the run's time, and split
/// between the threads it takes a share of that (figures in docs/performance.md).
pub(super) fn release_mapped(resident: &[Resident]) {
    rayon::broadcast(|thread| {
        let (share, shares) = (thread.index(), thread.num_threads());
        for r in resident {
            if let Some(map) = r.mapped {
                let len = r.data.len();
                map.release(len * share / shares..len * (share + 1) / shares);
            }
        }
    });
}
