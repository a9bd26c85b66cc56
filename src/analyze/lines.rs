//! The lines of one chunk: found with the line index (nginx's own layouts), with
//! `memchr`, or unwrapped from an envelope; and one line from bytes to its count
//! ([`process_line`]).

use super::Options;
use crate::analyze::stage::{Stage, STOP_AFTER};
use crate::catalog::Catalog;
use crate::classify::classify;
use crate::classify::path_memo::{PathMemo, Resolved};
use crate::classify::routes::Routes;
use crate::error::Result;
use crate::format::envelope::{self, Envelope, Unwrapped, Unwrapper};
use crate::format::json::{self, JsonFormat};
use crate::format::{Detection, Fields, LogFormat, Malformed};
use crate::lines::index::LineIndex;
use crate::tally::{Location, Tally};

/// A worker's line indexes, reused from chunk to chunk: the quotes of nginx's
/// own layouts ([`LineIndex`]), the strings of JSON lines ([`json::LineIndex`]).
#[derive(Default)]
pub(super) struct Indexes {
    pub(super) quotes: LineIndex,
    pub(super) json: json::LineIndex,
}

/// Everything a worker needs to classify lines of one input.
pub(super) struct LineContext<'a> {
    pub(super) catalog: &'a Catalog,
    pub(super) routes: &'a Routes,
    pub(super) format: LogFormat,
    /// What `--format auto` chose, and from how many sample lines.
    pub(super) detection: Option<Detection>,
    /// The envelope each line is taken out of, if any.
    pub(super) envelope: Option<Envelope>,
    pub(super) opts: &'a Options,
}

/// Classify every line of chunk `at` (input, chunk). The last line may lack its
/// newline; `\r\n` ends a line like `\n`.
pub(super) fn process_chunk(
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
pub(super) fn process_lines(
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
pub(super) struct InEnvelope {
    pub(super) enveloped: bool,
    pub(super) time_ms: Option<i64>,
}

pub(super) const NO_ENVELOPE: InEnvelope = InEnvelope {
    enveloped: false,
    time_ms: None,
};

/// The lines of a chunk taken out of their envelope ([`crate::format::envelope`]),
/// continued lines joined, each record parsed by the format's parser.
#[inline(never)]
pub(super) fn process_enveloped_lines(
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
pub(super) fn process_indexed_lines(
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
pub(super) fn process_json_lines(
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
pub(super) fn process_line<'a>(
    line: &'a [u8],
    parse: impl FnOnce(&'a [u8]) -> Result<Fields<'a>, Malformed>,
    loc: Location,
    ctx: &LineContext,
    tally: &mut Tally,
    paths: &mut PathMemo,
    at: InEnvelope,
) {
    // Benchmark builds stop early (see `crate::analyze::stage`); in every other build these
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
