//! Inputs read as streams (standard input, gzip, zstd, files that cannot be
//! mapped): decoder threads cut newline-aligned chunks and send them through one
//! bounded channel to the workers, so memory stays bounded whatever the inputs'
//! sizes.
//!
//! Several streams are decoded at once when the pool has threads to spare (see
//! [`decoders`]): a gzip decoder keeps only about one classifying thread busy, so
//! with one stream at a time a many-core machine would wait on a single inflate.
//! All decoders feed the same workers, each keeping one [`Partial`] for every
//! stream, as the in-memory pass does; memory is one channel's chunks whatever
//! the number of decoders.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{mpsc, Mutex, OnceLock};

use rayon::prelude::*;

use super::lines::LineContext;
use super::workers::Partial;
use super::{context, Options, DETECT_SAMPLE_BYTES};
use crate::catalog::Catalog;
use crate::classify::routes::Routes;
use crate::error::Result;
use crate::input::{Chunk, Source, StreamChunker};

/// What streaming one input gave, beside its lines' counts.
pub(super) struct Streamed<'a> {
    pub(super) context: LineContext<'a>,
    /// The first bytes, that the format was chosen from.
    pub(super) sample: Vec<u8>,
    pub(super) bytes: u64,
    /// The read error that ended the stream early, if any (what came before it is
    /// counted).
    pub(super) read_error: Option<io::Error>,
}

/// How many streams are decoded at once by a pool of `threads`: about half of
/// them, since inflating a gzip log costs a little more CPU time per byte than
/// classifying it (docs/performance.md); one on two threads, where one decoder
/// and the two classifying threads already fill both cores.
pub(super) fn decoders(threads: usize, streams: usize) -> usize {
    threads.div_ceil(2).min(streams).max(1)
}

/// A chunk on its way to the workers: its input and its number there.
struct Sent {
    input: u32,
    chunk: u32,
    data: Chunk,
}

/// Stream every reader of `streams` (`(input, reader)`), up to [`decoders`] of them
/// at once: each one's first bytes decide its format, then its chunks go to the
/// rayon pool. The lines of all of them, counted per chunk, and what each stream
/// gave, in the order of `streams` whatever order they ended in.
pub(super) fn analyze_streams<'a>(
    streams: Vec<(usize, Box<dyn Read + Send>)>,
    sources: &[Source],
    catalog: &'a Catalog,
    routes: &'a Routes,
    opts: &'a Options,
) -> (Partial, Vec<(usize, Result<Streamed<'a>>)>) {
    if streams.is_empty() {
        return (Partial::empty(opts), Vec::new());
    }
    let threads = rayon::current_num_threads();
    let lanes = decoders(threads, streams.len());
    let waiting = Mutex::new(streams.into_iter());
    let next = || waiting.lock().expect("no panic while held").next();
    // Set by a stream's decoder before it sends the stream's first chunk.
    let contexts: Vec<OnceLock<LineContext>> = sources.iter().map(|_| OnceLock::new()).collect();
    // At most 2 × threads chunks queued, one per worker being classified and one per
    // decoder being filled: each further decoder takes one off the queue, so the
    // bound stays that of a single stream.
    let (tx, rx) = mpsc::sync_channel::<Sent>(2 * threads + 1 - lanes);
    // Classified chunks go back to the decoders, whose next chunks reuse the
    // buffers: one queue for all, so that no decoder hoards spares while another
    // allocates.
    let (returns, recycled) = mpsc::channel::<Chunk>();
    let recycled = Mutex::new(recycled);
    let (partial, mut read) = std::thread::scope(|scope| {
        let decoding: Vec<_> = (0..lanes)
            .map(|_| {
                let (tx, contexts, next, recycled) = (tx.clone(), &contexts, &next, &recycled);
                scope.spawn(move || {
                    let mut read = Vec::new();
                    while let Some((i, reader)) = next() {
                        let decoder = Decoder {
                            tx: &tx,
                            recycled,
                            input: i,
                        };
                        let told = &contexts[i];
                        let ends = decoder.run(reader, &sources[i], told, catalog, routes, opts);
                        read.push((i, ends));
                    }
                    read
                })
            })
            .collect();
        drop(tx);
        let partial = rx
            .into_iter()
            .par_bridge()
            .fold(
                || Partial::empty(opts),
                |mut partial, sent| {
                    let ctx = contexts[sent.input as usize]
                        .get()
                        .expect("a stream's context is set before its first chunk is sent");
                    partial.add_chunk(&sent.data, sent.input, sent.chunk, ctx);
                    // Once the decoders have finished, the buffer is simply freed.
                    let _ = returns.send(sent.data);
                    partial
                },
            )
            .reduce(|| Partial::empty(opts), Partial::merge);
        let read: Vec<_> = (decoding.into_iter())
            .flat_map(|d| d.join().expect("a decoder thread does not panic"))
            .collect();
        (partial, read)
    });
    read.sort_unstable_by_key(|(i, _)| *i);
    let mut contexts: Vec<Option<LineContext>> =
        contexts.into_iter().map(OnceLock::into_inner).collect();
    let streamed = (read.into_iter())
        .map(|(i, ends)| {
            let streamed = ends.map(|(sample, bytes, read_error)| Streamed {
                context: contexts[i]
                    .take()
                    .expect("set by a stream read without error"),
                sample,
                bytes,
                read_error,
            });
            (i, streamed)
        })
        .collect();
    (partial, streamed)
}

/// One decoder thread's ends of the channels, while it reads input `input`.
struct Decoder<'s> {
    tx: &'s mpsc::SyncSender<Sent>,
    /// Buffers of classified chunks, shared by all decoders.
    recycled: &'s Mutex<mpsc::Receiver<Chunk>>,
    input: usize,
}

impl Decoder<'_> {
    /// Read one stream: choose its format from its first bytes (set in `told`),
    /// then send its chunks. Its sample, the bytes read and the read error that
    /// ended it early, if any.
    fn run<'a>(
        &self,
        reader: Box<dyn Read + Send>,
        source: &Source,
        told: &OnceLock<LineContext<'a>>,
        catalog: &'a Catalog,
        routes: &'a Routes,
        opts: &'a Options,
    ) -> Result<(Vec<u8>, u64, Option<io::Error>)> {
        let chunk_size = opts.chunk_size.min(1 << 20);
        let mut chunker = StreamChunker::new(reader, chunk_size, opts.max_line_bytes);
        // The format is chosen from the first DETECT_SAMPLE_BYTES, as for a mapped
        // file, whatever the chunk size: read chunks until the sample is full.
        let mut first: VecDeque<io::Result<Chunk>> = VecDeque::new();
        let mut sample = Vec::new();
        while sample.len() < DETECT_SAMPLE_BYTES {
            match chunker.next_chunk().transpose() {
                Some(Ok(chunk)) => {
                    let room = DETECT_SAMPLE_BYTES - sample.len();
                    sample.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    first.push_back(Ok(chunk));
                }
                Some(Err(e)) => {
                    first.push_back(Err(e));
                    break;
                }
                None => break,
            }
        }
        let ctx = context(catalog, routes, opts, &sample, source)?;
        if told.set(ctx).is_err() {
            unreachable!("each input is streamed once");
        }
        let mut chunk = 0u32;
        let read_error = loop {
            // One buffer back per chunk sent: each decoder reuses about as many as
            // it sends.
            let done = self
                .recycled
                .lock()
                .expect("no panic while held")
                .try_recv();
            if let Ok(done) = done {
                chunker.recycle(done);
            }
            let next = match first.pop_front() {
                Some(buffered) => Some(buffered),
                None => chunker.next_chunk().transpose(),
            };
            match next {
                Some(Ok(data)) => {
                    let sent = Sent {
                        input: self.input as u32,
                        chunk,
                        data,
                    };
                    if self.tx.send(sent).is_err() {
                        break None;
                    }
                    chunk += 1;
                }
                Some(Err(e)) => break Some(e),
                None => break None,
            }
        };
        Ok((sample, chunker.bytes_read(), read_error))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Condvar};
    use std::time::Duration;

    use super::*;
    use crate::format::FormatChoice;

    const SAMPLE: &[u8] = include_bytes!("../../fixtures/sample.log");

    /// A stream whose first read waits until `expected` streams in all have begun
    /// to be read, or fails after a while: the first of them can only be read when
    /// that many are read at once.
    struct Rendezvous {
        data: &'static [u8],
        started: Arc<(Mutex<usize>, Condvar)>,
        expected: usize,
        met: bool,
    }

    impl Read for Rendezvous {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.met {
                let (count, arrived) = &*self.started;
                let mut count = count.lock().unwrap();
                *count += 1;
                arrived.notify_all();
                let (count, timeout) = arrived
                    .wait_timeout_while(count, Duration::from_secs(20), |n| *n < self.expected)
                    .unwrap();
                if timeout.timed_out() {
                    return Err(io::Error::other(format!(
                        "only {} streams were read at once",
                        *count
                    )));
                }
                self.met = true;
            }
            let n = buf.len().min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn streams(n: usize, expected: usize) -> Vec<(usize, Box<dyn Read + Send>)> {
        let started = Arc::new((Mutex::new(0), Condvar::new()));
        (0..n)
            .map(|i| {
                let stream = Rendezvous {
                    data: SAMPLE,
                    started: Arc::clone(&started),
                    expected,
                    met: false,
                };
                (i, Box::new(stream) as Box<dyn Read + Send>)
            })
            .collect()
    }

    #[test]
    fn decoders_are_half_the_threads_and_never_more_than_the_streams() {
        let table = [
            (1, 5, 1),
            (2, 5, 1),
            (3, 5, 2),
            (4, 5, 2),
            (8, 3, 3),
            (16, 0, 1),
        ];
        for (threads, streams, want) in table {
            assert_eq!(
                decoders(threads, streams),
                want,
                "{threads} threads, {streams} streams"
            );
        }
    }

    /// With four threads, two streams are read at once (the first cannot be read
    /// before a second has begun), five in all, and the results come back in input
    /// order, each with its own lines.
    #[test]
    fn streams_are_read_two_at_once_on_four_threads() {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let opts = Options {
            format: FormatChoice::NginxPreset("gateway".into()),
            ..Options::default()
        };
        let sources: Vec<Source> = (0..5).map(|_| Source::Stdin).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let (partial, done) =
            pool.install(|| analyze_streams(streams(5, 2), &sources, &catalog, &routes, &opts));
        let lines = SAMPLE.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            done.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        for (i, streamed) in &done {
            let streamed = streamed.as_ref().unwrap();
            assert!(
                streamed.read_error.is_none(),
                "{i}: {:?}",
                streamed.read_error
            );
            assert_eq!(streamed.bytes, SAMPLE.len() as u64, "{i}");
            let counted: u64 = (partial.chunks.iter())
                .filter(|c| c.input as usize == *i)
                .map(|c| c.lines)
                .sum();
            assert_eq!(counted, lines, "{i}");
        }
        assert_eq!(partial.tally.lines, 5 * lines);
    }
}
