//! Inputs read as streams (standard input, gzip, zstd, files that cannot be
//! mapped): a reader thread cuts newline-aligned chunks and sends them through a
//! bounded channel to the workers, so memory stays bounded whatever the input's size.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::mpsc;

use rayon::prelude::*;

use super::lines::LineContext;
use super::workers::Partial;
use super::{context, Options, DETECT_SAMPLE_BYTES};
use crate::catalog::Catalog;
use crate::classify::routes::Routes;
use crate::error::Result;
use crate::input::{Chunk, Source, StreamChunker};

/// What streaming one input gave.
pub(super) struct Streamed<'a> {
    pub(super) partial: Partial,
    pub(super) context: LineContext<'a>,
    /// The first bytes, that the format was chosen from.
    pub(super) sample: Vec<u8>,
    pub(super) bytes: u64,
    /// The read error that ended the stream early, if any (what came before it is
    /// counted).
    pub(super) read_error: Option<io::Error>,
}

/// Stream one reader: its first bytes decide the format, then a reader thread
/// feeds chunks through a bounded channel to the rayon pool.
pub(super) fn analyze_stream<'a>(
    reader: Box<dyn Read + Send>,
    input: u32,
    source: &Source,
    catalog: &'a Catalog,
    routes: &'a Routes,
    opts: &'a Options,
) -> Result<Streamed<'a>> {
    let chunk_size = opts.chunk_size.min(1 << 20);
    let mut chunker = StreamChunker::new(reader, chunk_size, opts.max_line_bytes);
    // The format is chosen from the first DETECT_SAMPLE_BYTES, as for a mapped file,
    // whatever the chunk size: read chunks until the sample is full.
    let mut first: VecDeque<io::Result<Chunk>> = VecDeque::new();
    let mut sample = Vec::new();
    while sample.len() < DETECT_SAMPLE_BYTES {
        match chunker.next_chunk().transpose() {
            Some(Ok(chunk)) => {
                sample.extend_from_slice(
                    &chunk[..chunk.len().min(DETECT_SAMPLE_BYTES - sample.len())],
                );
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
    let (tx, rx) = mpsc::sync_channel::<(u32, Chunk)>(2 * rayon::current_num_threads());
    // Classified chunks go back to the reader, whose next chunks reuse their buffers.
    let (done_tx, done_rx) = mpsc::channel::<Chunk>();
    let (partial, (bytes, read_error)) = std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut index = 0u32;
            loop {
                for done in done_rx.try_iter() {
                    chunker.recycle(done);
                }
                let next = match first.pop_front() {
                    Some(buffered) => Some(buffered),
                    None => chunker.next_chunk().transpose(),
                };
                match next {
                    Some(Ok(chunk)) => {
                        if tx.send((index, chunk)).is_err() {
                            break (chunker.bytes_read(), None);
                        }
                        index += 1;
                    }
                    Some(Err(e)) => break (chunker.bytes_read(), Some(e)),
                    None => break (chunker.bytes_read(), None),
                }
            }
        });
        let partial = rx
            .into_iter()
            .par_bridge()
            .fold(
                || Partial::empty(opts),
                |mut partial, (c, data)| {
                    partial.add_chunk(&data, input, c, &ctx);
                    // Once the reader has finished, the buffer is simply freed.
                    let _ = done_tx.send(data);
                    partial
                },
            )
            .reduce(|| Partial::empty(opts), Partial::merge);
        (
            partial,
            producer.join().expect("the reader thread does not panic"),
        )
    });
    Ok(Streamed {
        partial,
        context: ctx,
        sample,
        bytes,
        read_error,
    })
}
