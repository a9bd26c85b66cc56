//! The analyze pipeline: open each source, pick its format, cut it into chunks,
//! classify the chunks' lines in parallel (rayon, one tally per worker thread) and
//! merge the tallies.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use rayon::prelude::*;

use crate::catalog::Catalog;
use crate::classify::{classify, Class};
use crate::error::{Error, Result};
use crate::format::envelope::{self, Envelope, Unwrapped, Unwrapper};
use crate::format::json::{self, JsonFormat};
use crate::format::{self, Detection, FieldOverride, Fields, FormatChoice, LogFormat, Malformed};
use crate::input::{self, Chunk, Mapped, Opened, Source, StreamChunker};
use crate::line_index::LineIndex;
use crate::path_memo::{PathMemo, Resolved};
use crate::progress::Progress;
use crate::routes::Routes;
use crate::stage::{Stage, STOP_AFTER};
use crate::tally::{Location, Tally, TallyConfig};

/// Bytes from the start of an input that `--format auto` looks at.
const DETECT_SAMPLE_BYTES: usize = 64 * 1024;

/// How to read and count.
#[derive(Debug, Clone)]
pub struct Options {
    /// How lines are read: auto-detection or the format named.
    pub format: FormatChoice,
    /// `--field` overrides.
    pub fields: Vec<FieldOverride>,
    /// Target chunk size in bytes (chunks end at a newline after it).
    pub chunk_size: usize,
    /// Longer lines are malformed ("line too long"); bounds streaming memory.
    pub max_line_bytes: usize,
    /// Distinct undocumented names kept before the rest are counted as "other".
    pub max_names: usize,
    /// Malformed lines listed with their location.
    pub max_examples: usize,
    /// Distinct endpoints kept before the rest are counted as "other".
    pub max_endpoints: usize,
    /// Count only lines with a time in `[since, until)` (epoch ms); lines without a
    /// readable time are kept.
    pub since: Option<i64>,
    /// `--until` (epoch ms, exclusive).
    pub until: Option<i64>,
    /// Width of the time-series buckets, if a series is wanted.
    pub bucket_ms: Option<i64>,
    /// Where bytes classified are counted, for a progress line.
    pub progress: Option<Arc<Progress>>,
    /// An input with more than this share of malformed lines gets an error: its
    /// format is most likely not the one used (`--max-malformed`).
    pub max_malformed: f64,
}

impl Options {
    pub(crate) fn tally_config(&self) -> TallyConfig {
        TallyConfig {
            max_names: self.max_names,
            max_examples: self.max_examples,
            max_endpoints: self.max_endpoints,
            bucket_ms: self.bucket_ms,
        }
    }

    #[inline]
    fn in_window(&self, time_ms: i64) -> bool {
        self.since.is_none_or(|s| time_ms >= s) && self.until.is_none_or(|u| time_ms < u)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: FormatChoice::Auto,
            fields: Vec::new(),
            chunk_size: 4 << 20,
            max_line_bytes: 1 << 20,
            max_names: 1000,
            max_examples: 10,
            max_endpoints: 1000,
            since: None,
            until: None,
            bucket_ms: None,
            progress: None,
            max_malformed: 0.5,
        }
    }
}

/// What was learned of one input.
#[derive(Debug, Clone, Default)]
pub struct InputSummary {
    /// As given (`-` for standard input).
    pub name: String,
    /// The format used (`json`, `nginx:gateway`, …); `None` if the input was not read.
    pub format: Option<String>,
    /// The field latency was read from, with its unit.
    pub latency_source: Option<String>,
    /// What `--format auto` chose for it (shown as `format kong (50 of 50 sample
    /// lines)`).
    pub detection: Option<Detection>,
    /// `gzip` or `zstd` for a compressed file.
    pub compression: Option<&'static str>,
    /// The envelope its lines were unwrapped from (`cri`, `docker`, ...).
    pub envelope: Option<&'static str>,
    /// Bytes of log text read (after decompression).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Of `lines`, those counted as malformed.
    pub malformed: u64,
    /// Why the input could not be read, or stopped being read part-way, or why its
    /// counts are not to be trusted (most lines malformed).
    pub error: Option<String>,
    /// `(lines, bytes)` of the input read by earlier runs (`--state`) and passed
    /// over: its line numbers go on from there.
    pub resumed: Option<(u64, u64)>,
}

/// The merged result of a run.
pub struct Analysis {
    /// Everything counted.
    pub tally: Tally,
    /// Per input, in the order given.
    pub inputs: Vec<InputSummary>,
    /// `chunk_first_line[input][chunk]`: 0-based line number of the chunk's first line.
    chunk_first_line: Vec<Vec<u64>>,
    /// `first_dropped[input]`: the first chunk not counted because the file changed
    /// under it; lines after it have no reliable line number.
    first_dropped: Vec<Option<u32>>,
    /// Errors met on the way (unreadable inputs, read failures); the run went on.
    pub errors: Vec<Error>,
    window: (Option<i64>, Option<i64>),
}

impl Analysis {
    /// The `--since` / `--until` window the run counted in.
    pub fn window(&self) -> (Option<i64>, Option<i64>) {
        self.window
    }

    /// Say that input `input` was read from where an earlier run stopped, after
    /// `lines` lines and `bytes` bytes: its line numbers go on from there.
    pub fn resume_numbering(&mut self, input: usize, lines: u64, bytes: u64) {
        if lines == 0 && bytes == 0 {
            return;
        }
        for start in &mut self.chunk_first_line[input] {
            *start += lines;
        }
        self.inputs[input].resumed = Some((lines, bytes));
    }

    /// `path:line` (1-based) of a location; `path:?` for a line after a part of a
    /// file that changed during the run (its number cannot be known).
    pub fn locate(&self, loc: Location) -> String {
        let input = &self.inputs[loc.input as usize];
        match self.line_of(loc) {
            Some(line) => format!("{}:{}", input.name, line + 1),
            None => format!("{}:?", input.name),
        }
    }

    /// The 0-based line number of a location in its input; `None` for a line after
    /// a part of a file that changed during the run.
    pub fn line_of(&self, loc: Location) -> Option<u64> {
        if self.first_dropped[loc.input as usize].is_some_and(|d| loc.chunk > d) {
            return None;
        }
        let first = self.chunk_first_line[loc.input as usize]
            .get(loc.chunk as usize)
            .copied()
            .unwrap_or(0);
        Some(first + u64::from(loc.line))
    }

    /// An analysis put together from its parts (`errscope merge`, see
    /// [`crate::merge`]): `chunk_first_line[input][chunk]` numbers the chunks'
    /// lines, and the lines of chunks after `first_dropped[input]` have no number.
    pub(crate) fn assembled(
        tally: Tally,
        inputs: Vec<InputSummary>,
        chunk_first_line: Vec<Vec<u64>>,
        first_dropped: Vec<Option<u32>>,
        window: (Option<i64>, Option<i64>),
    ) -> Analysis {
        Analysis {
            tally,
            inputs,
            chunk_first_line,
            first_dropped,
            errors: Vec::new(),
            window,
        }
    }
}

/// Everything a worker needs to classify lines of one input.
struct LineContext<'a> {
    catalog: &'a Catalog,
    routes: &'a Routes,
    format: LogFormat,
    /// What `--format auto` chose, and from how many sample lines.
    detection: Option<Detection>,
    /// The envelope each line is taken out of, if any.
    envelope: Option<Envelope>,
    opts: &'a Options,
}

/// One chunk's result: whose it is, how many lines and bytes it held, and whether
/// it was dropped (its file was cut under it, so it may have read zeros).
struct ChunkCount {
    input: u32,
    chunk: u32,
    lines: u64,
    malformed: u64,
    bytes: u64,
    dropped: bool,
}

/// A worker's line indexes, reused from chunk to chunk: the quotes of nginx's
/// own layouts ([`LineIndex`]), the strings of JSON lines ([`json::LineIndex`]).
#[derive(Default)]
struct Indexes {
    quotes: LineIndex,
    json: json::LineIndex,
}

/// Merged tallies plus the line count of every chunk they came from.
struct Partial {
    tally: Tally,
    /// Reused from chunk to chunk.
    indexes: Indexes,
    /// Reused from line to line in an envelope.
    unwrapper: Unwrapper,
    /// The paths this thread has routed, kept from chunk to chunk (their counts
    /// are flushed into `tally` at each chunk's end).
    paths: PathMemo,
    chunks: Vec<ChunkCount>,
    /// Indexes of the jobs classified into this result, in its caller's list.
    jobs: Vec<usize>,
}

impl Partial {
    fn empty(opts: &Options) -> Partial {
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
    fn add_job(&mut self, index: usize, job: &Job, contexts: &[Option<LineContext>]) -> bool {
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
    fn add_chunk(&mut self, data: &[u8], input: u32, chunk: u32, ctx: &LineContext) {
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
    fn add_dropped(&mut self, input: u32, chunk: u32) {
        self.chunks.push(ChunkCount {
            input,
            chunk,
            lines: 0,
            malformed: 0,
            bytes: 0,
            dropped: true,
        });
    }

    fn merge(mut self, other: Partial) -> Partial {
        self.tally.merge(other.tally);
        self.chunks.extend(other.chunks);
        self.jobs.clear(); // indexes into different lists mean nothing together
        self
    }
}

/// Bytes held in memory for the whole run: a mapped file (which may be cut short
/// under us, see [`crate::sigbus`]) or a caller's buffer.
struct Resident<'a> {
    input: usize,
    data: &'a [u8],
    mapped: Option<&'a Mapped>,
}

/// One chunk of a resident input to classify.
#[derive(Clone)]
struct Job<'a> {
    input: u32,
    chunk: u32,
    range: std::ops::Range<usize>,
    resident: &'a Resident<'a>,
}

impl Job<'_> {
    /// Whether the chunk's file is known to have been cut before the chunk's end:
    /// then some of its bytes may read as zeros, and it is not counted.
    fn spoiled(&self) -> bool {
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
fn classify_group(group: &[Job], contexts: &[Option<LineContext>], opts: &Options) -> Partial {
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
/// size; the last chunks of an input are smaller, see [`input::chunk_ranges`].)
///
/// A chunk whose file is cut while it is read (see [`Job::spoiled`]) cannot be taken
/// out of a tally again, so a thread's partial result that holds such a chunk is
/// classified again from its chunks by [`classify_group`], which leaves it out.
fn classify_per_thread(jobs: &[Job], contexts: &[Option<LineContext>], opts: &Options) -> Partial {
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
fn release_mapped(resident: &[Resident]) {
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

/// Analyze `sources`. Inputs that cannot be opened are reported in
/// [`Analysis::errors`] and the rest are still read.
pub fn analyze(sources: &[Source], catalog: &Catalog, routes: &Routes, opts: &Options) -> Analysis {
    // Opened (and mapped) in parallel: many small files cost a system call or
    // three each.
    let opened = sources.par_iter().map(input::open).collect();
    analyze_opened(sources, opened, catalog, routes, opts)
}

/// Analyze sources already opened (`opened[i]` is `sources[i]` opened, or why it
/// could not be): [`analyze`] after its first step.
pub fn analyze_opened(
    sources: &[Source],
    opened: Vec<Result<Opened>>,
    catalog: &Catalog,
    routes: &Routes,
    opts: &Options,
) -> Analysis {
    let mut inputs = summaries(sources.iter().map(Source::display_name));
    let mut errors = Vec::new();
    let mut maps = Vec::new();
    let mut streams = Vec::new();
    for (i, opened) in opened.into_iter().enumerate() {
        match opened {
            Ok(Opened::Mapped(map)) => {
                if let Some(progress) = &opts.progress {
                    progress.expect(map.bytes().len() as u64);
                }
                maps.push((i, Some(map)));
            }
            Ok(Opened::Empty) => maps.push((i, None)),
            Ok(Opened::Stream(reader, compression)) => {
                inputs[i].compression = compression.map(|c| c.name());
                streams.push((i, reader));
            }
            Err(e) => {
                inputs[i].error = Some(e.to_string());
                errors.push(e);
            }
        }
    }
    let resident: Vec<Resident> = maps
        .iter()
        .map(|(i, map)| Resident {
            input: *i,
            data: map.as_ref().map_or(&[][..], Mapped::bytes),
            mapped: map.as_ref(),
        })
        .collect();
    let mut run = Run {
        sources,
        catalog,
        routes,
        opts,
        inputs,
        errors,
        resident: vec![false; sources.len()],
    };
    let mut total = run.resident_pass(&resident);

    // Streamed inputs, one after another, each decoded on its own thread while the
    // rayon pool classifies its chunks.
    let mut cut_short = Vec::new();
    let mut samples: Vec<&[u8]> = vec![&[]; sources.len()];
    for r in &resident {
        samples[r.input] = &r.data[..r.data.len().min(DETECT_SAMPLE_BYTES)];
    }
    let mut stream_samples = Vec::new();
    for (i, reader) in streams {
        match analyze_stream(reader, i as u32, &sources[i], catalog, routes, opts) {
            Ok(streamed) => {
                describe(&mut run.inputs[i], &streamed.context);
                stream_samples.push((i, streamed.sample));
                run.inputs[i].bytes = streamed.bytes;
                cut_short.extend(streamed.read_error.map(|e| (i, e)));
                total = total.merge(streamed.partial);
            }
            Err(e) => {
                run.inputs[i].error = Some(e.to_string());
                run.errors.push(e);
            }
        }
    }
    let mut analysis = run.finish(total);
    // Said once the lines read before the failure are known.
    for (i, source) in cut_short {
        let e = Error::InputCut {
            path: sources[i].display_name().into(),
            lines: analysis.inputs[i].lines,
            source,
        };
        analysis.inputs[i].error = Some(e.to_string());
        analysis.errors.push(e);
    }
    // Mapped files that shrank while being read: what was read before is counted.
    for (i, map) in &maps {
        let Some(cut) = map.as_ref().and_then(Mapped::cut_at) else {
            continue;
        };
        let summary = &analysis.inputs[*i];
        let e = Error::InputChanged {
            path: sources[*i].display_name().into(),
            lines: summary.lines,
            bytes: summary.bytes,
            size: map.as_ref().map_or(0, |m| m.bytes().len() as u64),
            cut: cut as u64,
        };
        analysis.inputs[*i].error = Some(e.to_string());
        analysis.errors.push(e);
    }
    for (i, sample) in &stream_samples {
        samples[*i] = sample;
    }
    check_malformed_share(&mut analysis, sources, &samples, opts);
    analysis
}

/// Give an input an error when more than `opts.max_malformed` of its lines are
/// malformed: the format it was read with is most likely not its own (a wrong
/// `--format` or `--preset`), and its counts say nothing. The error names the
/// format used and what auto-detection picks from the input's first bytes
/// (`samples[i]`).
fn check_malformed_share(
    analysis: &mut Analysis,
    sources: &[Source],
    samples: &[&[u8]],
    opts: &Options,
) {
    for (i, input) in analysis.inputs.iter_mut().enumerate() {
        let too_many = input.malformed as f64 > opts.max_malformed * input.lines as f64;
        if input.error.is_some() || input.lines == 0 || !too_many {
            continue;
        }
        let Some(format) = input.format.clone() else {
            continue;
        };
        // What auto-detection picks: the name `--preset` takes, and whether it is
        // the format that was used.
        let auto = format::build_reading(&FormatChoice::Auto, &opts.fields, samples[i])
            .ok()
            .map(|r| {
                let same = r.format.name() == format;
                (
                    r.detection.map_or_else(|| r.format.name(), |d| d.chosen),
                    same,
                )
            });
        let e = Error::MostlyMalformed {
            path: sources[i].display_name().into(),
            malformed: input.malformed,
            lines: input.lines,
            format,
            detected: input.detection.is_some(),
            auto,
            max: opts.max_malformed,
        };
        input.error = Some(e.to_string());
        analysis.errors.push(e);
    }
}

/// Analyze `data`, in memory, as one input called `name`: the same chunking,
/// parsing and merging as for a mapped file (chunks of `opts.chunk_size`).
pub fn analyze_bytes(
    name: &str,
    data: &[u8],
    catalog: &Catalog,
    routes: &Routes,
    opts: &Options,
) -> Analysis {
    let sources = [Source::File(name.into())];
    let mut run = Run {
        sources: &sources,
        catalog,
        routes,
        opts,
        inputs: summaries([name.to_string()]),
        errors: Vec::new(),
        resident: vec![false],
    };
    let total = run.resident_pass(&[Resident {
        input: 0,
        data,
        mapped: None,
    }]);
    run.finish(total)
}

fn summaries(names: impl IntoIterator<Item = String>) -> Vec<InputSummary> {
    names
        .into_iter()
        .map(|name| InputSummary {
            name,
            ..InputSummary::default()
        })
        .collect()
}

/// One run's inputs and what is known of them so far.
struct Run<'a> {
    sources: &'a [Source],
    catalog: &'a Catalog,
    routes: &'a Routes,
    opts: &'a Options,
    inputs: Vec<InputSummary>,
    errors: Vec<Error>,
    /// Inputs whose bytes are the sum of their counted chunks (in memory); streamed
    /// ones know theirs from the reader.
    resident: Vec<bool>,
}

impl Run<'_> {
    /// Every chunk of every in-memory input in one parallel pass.
    fn resident_pass(&mut self, resident: &[Resident]) -> Partial {
        let opts = self.opts;
        let mut contexts: Vec<Option<LineContext>> =
            (0..self.sources.len()).map(|_| None).collect();
        let mut jobs: Vec<Job> = Vec::new();
        // Formats are told for all inputs at once: with thousands of small files,
        // detection is most of the work (docs/performance.md).
        let (catalog, routes, sources) = (self.catalog, self.routes, self.sources);
        let told: Vec<Result<LineContext>> = resident
            .par_iter()
            .map(|r| {
                let sample = &r.data[..r.data.len().min(DETECT_SAMPLE_BYTES)];
                context(catalog, routes, opts, sample, &sources[r.input])
            })
            .collect();
        for (r, told) in resident.iter().zip(told) {
            match told {
                Ok(ctx) => {
                    describe(&mut self.inputs[r.input], &ctx);
                    contexts[r.input] = Some(ctx);
                    self.resident[r.input] = true;
                    for (c, range) in
                        input::chunk_ranges(r.data, opts.chunk_size, rayon::current_num_threads())
                            .into_iter()
                            .enumerate()
                    {
                        jobs.push(Job {
                            input: r.input as u32,
                            chunk: c as u32,
                            range,
                            resident: r,
                        });
                    }
                }
                Err(e) => {
                    self.inputs[r.input].error = Some(e.to_string());
                    self.errors.push(e);
                }
            }
        }
        let total = classify_per_thread(&jobs, &contexts, opts);
        release_mapped(resident);
        total
    }

    /// Number the chunks' lines, sum lines and bytes per input.
    fn finish(self, mut total: Partial) -> Analysis {
        let mut inputs = self.inputs;
        let mut chunk_first_line = vec![Vec::new(); self.sources.len()];
        let mut first_dropped = vec![None; self.sources.len()];
        total.chunks.sort_unstable_by_key(|c| (c.input, c.chunk));
        for c in &total.chunks {
            let input = &mut inputs[c.input as usize];
            let starts = &mut chunk_first_line[c.input as usize];
            debug_assert_eq!(
                starts.len(),
                c.chunk as usize,
                "chunks are numbered densely"
            );
            starts.push(input.lines);
            input.lines += c.lines;
            input.malformed += c.malformed;
            // Streamed inputs know their bytes from the reader (over-long lines
            // included); in-memory ones add up the chunks they counted.
            if self.resident[c.input as usize] {
                input.bytes += c.bytes;
            }
            if c.dropped {
                first_dropped[c.input as usize].get_or_insert(c.chunk);
            }
        }
        Analysis {
            tally: total.tally,
            inputs,
            chunk_first_line,
            first_dropped,
            errors: self.errors,
            window: (self.opts.since, self.opts.until),
        }
    }
}

fn describe(summary: &mut InputSummary, ctx: &LineContext) {
    summary.format = Some(ctx.format.name());
    summary.latency_source = ctx.format.latency_source();
    summary.detection = ctx.detection.clone();
    summary.envelope = ctx.envelope.map(Envelope::name);
}

/// The parser for one input, chosen from `sample` (its first bytes) in auto mode.
fn context<'a>(
    catalog: &'a Catalog,
    routes: &'a Routes,
    opts: &'a Options,
    sample: &[u8],
    source: &Source,
) -> Result<LineContext<'a>> {
    let reading =
        format::build_reading(&opts.format, &opts.fields, sample).map_err(|e| Error::Format {
            path: source.display_name().into(),
            message: e.to_string(),
        })?;
    Ok(LineContext {
        catalog,
        routes,
        format: reading.format,
        detection: reading.detection,
        envelope: reading.envelope,
        opts,
    })
}

/// What streaming one input gave.
struct Streamed<'a> {
    partial: Partial,
    context: LineContext<'a>,
    /// The first bytes, that the format was chosen from.
    sample: Vec<u8>,
    bytes: u64,
    /// The read error that ended the stream early, if any (what came before it is
    /// counted).
    read_error: Option<io::Error>,
}

/// Stream one reader: its first bytes decide the format, then a reader thread
/// feeds chunks through a bounded channel to the rayon pool.
fn analyze_stream<'a>(
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

/// Classify every line of chunk `at` (input, chunk). The last line may lack its
/// newline; `\r\n` ends a line like `\n`.
fn process_chunk(
    data: &[u8],
    at: (u32, u32),
    ctx: &LineContext,
    tally: &mut Tally,
    indexes: &mut Indexes,
    unwrapper: &mut Unwrapper,
    paths: &mut PathMemo,
) {
    let (input, chunk) = at;
    let first = Location {
        input,
        chunk,
        line: 0,
    };
    if let Some(envelope) = ctx.envelope {
        process_enveloped_lines(data, first, envelope, ctx, tally, paths, unwrapper);
    } else if ctx.format.reads_quotes() {
        process_indexed_lines(data, first, ctx, tally, paths, &mut indexes.quotes);
    } else if let LogFormat::Json(json) = &ctx.format {
        process_json_lines(data, first, json, ctx, tally, paths, &mut indexes.json);
    } else {
        process_lines(data, first, ctx, tally, paths);
    }
    paths.flush(tally);
    tally.flush();
}

/// The lines of a chunk found with memchr, each parsed by the format's parser.
///
/// The two line loops are functions of their own, never inlined, so that LLVM
/// weighs inlining for each alone: in one function together, it stopped inlining
/// the line's work into the JSON loop, which then ran more instructions per line
/// and more slowly (figures in docs/performance.md).
#[inline(never)]
fn process_lines(
    data: &[u8],
    mut loc: Location,
    ctx: &LineContext,
    tally: &mut Tally,
    paths: &mut PathMemo,
) {
    let parse = |text| ctx.format.parse(text);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', data) {
        process_line(
            &data[start..end],
            parse,
            loc,
            ctx,
            tally,
            paths,
            NO_ENVELOPE,
        );
        loc.line += 1;
        start = end + 1;
    }
    if start < data.len() {
        process_line(&data[start..], parse, loc, ctx, tally, paths, NO_ENVELOPE);
    }
}

/// What the line loop knows of a line's envelope: whether it was in one, and
/// the envelope's time.
#[derive(Clone, Copy)]
struct InEnvelope {
    enveloped: bool,
    time_ms: Option<i64>,
}

const NO_ENVELOPE: InEnvelope = InEnvelope {
    enveloped: false,
    time_ms: None,
};

/// The lines of a chunk taken out of their envelope ([`crate::format::envelope`]),
/// continued lines joined, each record parsed by the format's parser.
#[inline(never)]
fn process_enveloped_lines(
    data: &[u8],
    mut loc: Location,
    envelope: Envelope,
    ctx: &LineContext,
    tally: &mut Tally,
    paths: &mut PathMemo,
    unwrapper: &mut Unwrapper,
) {
    let mut start = 0;
    while start < data.len() {
        let parse = |text| ctx.format.parse(text);
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let line = &data[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match unwrapper.unwrap(envelope, line) {
            Unwrapped::Continued => tally.record_continued(),
            Unwrapped::Record(text, time_ms) => {
                let at = InEnvelope {
                    enveloped: true,
                    time_ms,
                };
                process_line(text, parse, loc, ctx, tally, paths, at);
            }
            // A line not in the envelope's shape is read as it is.
            Unwrapped::Foreign => {
                let at = InEnvelope {
                    enveloped: true,
                    time_ms: None,
                };
                process_line(line, parse, loc, ctx, tally, paths, at);
            }
        }
        loc.line += 1;
        start = end + 1;
    }
    unwrapper.reset();
}

/// The lines of a chunk with their quotes, from a [`LineIndex`], for formats that
/// read them ([`LogFormat::reads_quotes`]).
#[inline(never)]
fn process_indexed_lines(
    data: &[u8],
    mut loc: Location,
    ctx: &LineContext,
    tally: &mut Tally,
    paths: &mut PathMemo,
    line_index: &mut LineIndex,
) {
    line_index.for_each_line(data, &mut |text, quotes| {
        let parse = |text| match quotes {
            Some((quotes, base)) => ctx.format.parse_quoted(text, quotes, base),
            None => ctx.format.parse(text),
        };
        process_line(text, parse, loc, ctx, tally, paths, NO_ENVELOPE);
        loc.line += 1;
    });
}

/// The lines of a chunk of JSON lines with their strings' structure, from a
/// [`json::LineIndex`].
#[inline(never)]
fn process_json_lines(
    data: &[u8],
    mut loc: Location,
    json: &JsonFormat,
    ctx: &LineContext,
    tally: &mut Tally,
    paths: &mut PathMemo,
    index: &mut json::LineIndex,
) {
    index.for_each_line(data, &mut |text, at| {
        let parse = |text| match at {
            Some(at) => json.parse_indexed(text, at),
            None => json.parse(text),
        };
        process_line(text, parse, loc, ctx, tally, paths, NO_ENVELOPE);
        loc.line += 1;
    });
}

/// Classify one line, read by `parse` (the format's parser, given what the line
/// loop knows of the line); `at` says whether it came out of an envelope (the
/// plain loops pass the constant [`NO_ENVELOPE`], so its checks compile away).
#[inline(always)]
fn process_line<'a>(
    line: &'a [u8],
    parse: impl FnOnce(&'a [u8]) -> Result<Fields<'a>, Malformed>,
    loc: Location,
    ctx: &LineContext,
    tally: &mut Tally,
    paths: &mut PathMemo,
    at: InEnvelope,
) {
    // Benchmark builds stop early (see `crate::stage`); in every other build these
    // checks are on a constant and compile away.
    if let Stage::Lines = STOP_AFTER {
        std::hint::black_box(line);
        return;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        // An empty line out of an envelope is the gateway's output, no record.
        if at.enveloped {
            tally.record_not_access();
        } else {
            tally.record_malformed(loc, Malformed::EmptyLine);
        }
        return;
    }
    if line.len() > ctx.opts.max_line_bytes {
        tally.record_malformed(loc, Malformed::TooLong);
        return;
    }
    if let Stage::Parse = STOP_AFTER {
        let fields = parse(line).map(|f| (f.status, f.name, f.path, f.latency_us, f.time_ms));
        std::hint::black_box(fields.ok());
        return;
    }
    let mut parsed = parse(line);
    // The record's own time, else the envelope's (a constant `false` in the plain
    // loops, so this is compiled away there).
    if at.enveloped {
        if let Ok(fields) = &mut parsed {
            if fields.time_ms.is_none() && !fields.bad_time {
                fields.time_ms = at.time_ms;
            }
        }
    }
    match parsed {
        Err(Malformed::NoResponse) => tally.record_no_response(),
        Err(reason) if envelope::not_access(&ctx.format, line, reason, at.enveloped) => {
            tally.record_not_access()
        }
        Err(reason) => tally.record_malformed(loc, reason),
        // Parsers promise 100..=599; the check keeps the tally's status table safe
        // whatever a format does.
        Ok(fields) if !(100..=599).contains(&fields.status) => {
            tally.record_malformed(loc, Malformed::StatusOutOfRange)
        }
        Ok(fields) if fields.time_ms.is_some_and(|t| !ctx.opts.in_window(t)) => {
            tally.record_outside_window()
        }
        Ok(fields) => {
            let path = fields.path.map(|p| paths.resolve(p, line, ctx.routes));
            let section = path.as_ref().and_then(Resolved::section);
            let verdict = classify(ctx.catalog, section, fields.status, fields.name);
            tally.record(verdict, &fields, section.is_some(), loc);
            if let Some(path) = path {
                path.count(verdict.class(), fields.status, tally);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;
    use crate::report::{self, Report};

    const SAMPLE: &[u8] = include_bytes!("../fixtures/sample.log");

    /// The sample's lines (without their newlines), cycled to `n` lines, as a log.
    fn sample_log(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for line in SAMPLE
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .cycle()
            .take(n)
        {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out
    }

    fn setup() -> (Catalog, Routes) {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        (catalog, routes)
    }

    fn opts() -> Options {
        Options {
            format: FormatChoice::NginxPreset("gateway".into()),
            // Small caps, so the capped maps' merge is exercised too.
            max_names: 2,
            max_endpoints: 3,
            max_examples: 2,
            bucket_ms: Some(3_600_000),
            ..Options::default()
        }
    }

    /// One chunk classified on its own.
    fn of_chunk(data: &[u8], chunk: u32, ctx: &LineContext) -> Partial {
        let mut partial = Partial::empty(ctx.opts);
        partial.add_chunk(data, 0, chunk, ctx);
        partial
    }

    /// The report of `partial`, merged from chunks of `data` as input 0.
    fn report_of(partial: Partial, catalog: &Catalog, routes: &Routes, opts: &Options) -> Report {
        let sources = [Source::File("mem.log".into())];
        let run = Run {
            sources: &sources,
            catalog,
            routes,
            opts,
            inputs: summaries(["mem.log".to_string()]),
            errors: Vec::new(),
            resident: vec![true],
        };
        report::build(&run.finish(partial), catalog)
    }

    /// Up to 60 lines of the sample log, plus hostile lines.
    fn log_lines() -> impl Strategy<Value = Vec<u8>> {
        let lines: Vec<&'static [u8]> = SAMPLE.split(|&b| b == b'\n').collect();
        let line = prop_oneof![
            8 => proptest::sample::select(lines).prop_map(<[u8]>::to_vec),
            1 => proptest::collection::vec(any::<u8>(), 0..40),
            1 => Just(Vec::new()),
        ];
        proptest::collection::vec(line, 0..60).prop_map(|lines| {
            let mut out = lines.join(&b'\n');
            out.push(b'\n');
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Chunks merged in any grouping and order give the report of the input read
        /// as one chunk: merging is associative and commutative.
        #[test]
        fn merge_is_associative_and_commutative(
            data in log_lines(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            order in any::<prop::sample::Index>(),
        ) {
            let (catalog, routes) = setup();
            let opts = opts();
            let ctx = context(&catalog, &routes, &opts, &data, &Source::Stdin).unwrap();
            let whole = report_of(of_chunk(&data, 0, &ctx), &catalog, &routes, &opts);

            // Cut at line starts picked by `cuts`.
            let starts: Vec<usize> = std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', &data).map(|i| i + 1))
                .filter(|&i| i < data.len())
                .collect();
            let mut bounds: Vec<usize> = cuts.iter().map(|c| starts[c.index(starts.len())]).collect();
            bounds.extend([0, data.len()]);
            bounds.sort_unstable();
            bounds.dedup();
            let parts: Vec<Partial> = bounds
                .windows(2)
                .enumerate()
                .map(|(c, w)| of_chunk(&data[w[0]..w[1]], c as u32, &ctx))
                .collect();
            let n = parts.len();
            // Left fold, right fold, and a rotation of the order.
            let fold = |parts: Vec<Partial>| parts.into_iter().fold(Partial::empty(&opts), Partial::merge);
            let rebuild = || -> Vec<Partial> {
                bounds
                    .windows(2)
                    .enumerate()
                    .map(|(c, w)| of_chunk(&data[w[0]..w[1]], c as u32, &ctx))
                    .collect()
            };
            let left = report_of(fold(parts), &catalog, &routes, &opts);
            let right = report_of(
                rebuild().into_iter().rev().fold(Partial::empty(&opts), |acc, p| p.merge(acc)),
                &catalog, &routes, &opts,
            );
            let mut rotated = rebuild();
            rotated.rotate_left(order.index(n.max(1)));
            let rotated = report_of(fold(rotated), &catalog, &routes, &opts);
            prop_assert_eq!(&left, &whole);
            prop_assert_eq!(&right, &whole);
            prop_assert_eq!(&rotated, &whole);
        }
    }

    /// A file truncated after it was mapped (the copytruncate race, made
    /// deterministic): no SIGBUS death; the chunks read after the cut are dropped,
    /// and the input is reported as changed, with what was counted.
    #[test]
    fn file_truncated_while_mapped_is_reported_not_fatal() {
        let (catalog, routes) = setup();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&sample_log(4000)).unwrap();
        file.flush().unwrap();
        let source = Source::File(file.path().to_path_buf());
        let opened = input::open(&source).unwrap();
        assert!(matches!(opened, Opened::Mapped(_)));
        // Keep the first 3 pages and a bit: chunks of 4 KiB after that fault.
        file.as_file().set_len(3 * 4096 + 100).unwrap();
        let opts = Options {
            chunk_size: 4096,
            ..opts()
        };
        let a = analyze_opened(&[source], vec![Ok(opened)], &catalog, &routes, &opts);
        assert_eq!(a.errors.len(), 1, "{:?}", a.errors);
        let message = a.errors[0].to_string();
        assert!(message.contains("changed during the run"), "{message}");
        let input = &a.inputs[0];
        // Only whole chunks of real bytes are counted: below the cut, nothing of the
        // zeros past it, every line a line of the sample.
        assert!(input.bytes < 3 * 4096 + 4096, "{}", input.bytes);
        assert!(input.lines > 0 && input.lines < 4000);
        assert_eq!(a.tally.lines, input.lines);
        assert!(a.tally.count(crate::classify::Class::Malformed) <= input.lines / 20);
        assert!(
            message.contains(&format!("the {} lines", input.lines)),
            "{message}"
        );
        let r = report::build(&a, &catalog);
        assert_eq!(
            r.totals.classes.sum() + r.totals.outside_window,
            r.totals.lines
        );
        assert_eq!(r.totals.bytes, input.bytes);
    }

    /// A file that grows while it is read is read up to its size at open.
    #[test]
    fn file_grown_while_mapped_is_read_to_its_size_at_open() {
        let (catalog, routes) = setup();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let text = sample_log(100);
        file.write_all(&text).unwrap();
        file.flush().unwrap();
        let source = Source::File(file.path().to_path_buf());
        let opened = input::open(&source).unwrap();
        file.write_all(&text.repeat(50)).unwrap();
        file.flush().unwrap();
        let a = analyze_opened(&[source], vec![Ok(opened)], &catalog, &routes, &opts());
        assert!(a.errors.is_empty(), "{:?}", a.errors);
        assert_eq!(a.inputs[0].bytes, text.len() as u64);
        assert_eq!(a.inputs[0].lines, 100);
    }

    /// A file that vanished between listing and opening is reported and skipped.
    #[test]
    fn file_vanished_after_listing_is_reported_and_skipped() {
        let (catalog, routes) = setup();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), SAMPLE).unwrap();
        std::fs::write(dir.path().join("b.log"), SAMPLE).unwrap();
        let input::Expanded {
            sources, errors, ..
        } = input::expand(&[dir.path().to_path_buf()], false);
        assert!(errors.is_empty());
        std::fs::remove_file(dir.path().join("a.log")).unwrap();
        let a = analyze(&sources, &catalog, &routes, &opts());
        assert_eq!(a.errors.len(), 1);
        assert!(
            matches!(&a.errors[0], Error::Input { source, .. } if source.kind() == io::ErrorKind::NotFound)
        );
        assert_eq!(a.inputs[1].lines, 250);
        assert_eq!(a.tally.lines, 250);
    }
}
