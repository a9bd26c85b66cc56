//! The analyze pipeline: open each source, pick its format, cut it into chunks,
//! classify the chunks' lines in parallel (rayon, one tally per worker thread) and
//! merge the tallies.
//!
//! This file holds the run: its options, the inputs it opens and plans, the merged
//! [`Analysis`] with its lines numbered per input, and the re-reading of files that
//! were cut short under it. Beside it:
//!
//! - [`workers`]: the jobs handed to rayon and each worker's accumulators;
//! - [`stream`]: inputs read as streams (stdin, gzip, zstd), chunked on a reader
//!   thread;
//! - [`lines`]: the line loops of one chunk, and one line from bytes to a count;
//! - [`progress`]: bytes done, for the progress line;
//! - [`stage`]: benchmark builds that stop the line loop early.

mod lines;
pub mod progress;
pub mod stage;
mod stream;
mod workers;

use std::sync::Arc;

use rayon::prelude::*;

use crate::catalog::Catalog;
use crate::classify::routes::Routes;
use crate::error::{Error, Result};
use crate::format::envelope::Envelope;
use crate::format::{self, Detection, FieldOverride, FormatChoice};
use crate::input::{self, Mapped, Opened, Source};
use crate::tally::{Location, Tally, TallyConfig};
use lines::LineContext;
use progress::Progress;
use stream::analyze_streams;
use workers::{classify_per_thread, release_mapped, Job, Partial, Resident};

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
    /// [`crate::fleet::merge`]): `chunk_first_line[input][chunk]` numbers the chunks'
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
    let mut held = Vec::new();
    let mut streams = Vec::new();
    for (i, opened) in opened.into_iter().enumerate() {
        match opened {
            Ok(Opened::Mapped(map)) => {
                if let Some(progress) = &opts.progress {
                    progress.expect(map.bytes().len() as u64);
                }
                maps.push((i, Some(map)));
            }
            Ok(Opened::Read(bytes)) => {
                if let Some(progress) = &opts.progress {
                    progress.expect(bytes.bytes().len() as u64);
                }
                held.push((i, bytes));
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
    let mut resident: Vec<Resident> = maps
        .iter()
        .map(|(i, map)| Resident {
            input: *i,
            data: map.as_ref().map_or(&[][..], Mapped::bytes),
            mapped: map.as_ref(),
        })
        .chain(held.iter().map(|(i, held)| Resident {
            input: *i,
            data: held.bytes(),
            mapped: None,
        }))
        .collect();
    resident.sort_unstable_by_key(|r| r.input);
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

    // Streamed inputs, each decoded on a thread of its own while the rayon pool
    // classifies its chunks; several at once when there are cores to spare.
    let mut cut_short = Vec::new();
    let mut samples: Vec<&[u8]> = vec![&[]; sources.len()];
    for r in &resident {
        samples[r.input] = &r.data[..r.data.len().min(DETECT_SAMPLE_BYTES)];
    }
    let mut stream_samples = Vec::new();
    let (streamed_lines, streamed) = analyze_streams(streams, sources, catalog, routes, opts);
    total = total.merge(streamed_lines);
    for (i, streamed) in streamed {
        match streamed {
            Ok(streamed) => {
                describe(&mut run.inputs[i], &streamed.context);
                stream_samples.push((i, streamed.sample));
                run.inputs[i].bytes = streamed.bytes;
                cut_short.extend(streamed.read_error.map(|e| (i, e)));
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

#[cfg(test)]
mod tests {
    use std::io::{self, Write};

    use proptest::prelude::*;

    use super::*;
    use crate::report::{self, Report};

    const SAMPLE: &[u8] = include_bytes!("../../fixtures/sample.log");

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
