//! Partial reports (`-o partial`): everything a report is made from, losslessly,
//! so that `errscope merge` ([`crate::fleet::merge`]) can add up the partials of many
//! machines, files or byte ranges into the report one run over all of them gives.
//!
//! A partial is JSON (schema `errscope-partial`, version 1; docs/reference.md).
//! It holds the merged [`Tally`](crate::tally::Tally) as it is, not the numbers a report shows: every
//! count; latencies as (value, count) pairs in the HDR layout
//! ([`Latency::to_pairs`](crate::tally::latency::Latency::to_pairs)), from which any percentile reads as from the histogram;
//! the capped maps' kept keys with their values and their `other` (ranks are not
//! written: they are a fixed function of the key, [`hash_rank`], [`bucket_rank`](crate::tally::bucket_rank));
//! example locations as (input, part, line); the time range and buckets; and each
//! input with its parts (a whole file, or the byte range of it that was read). Its
//! `settings` say what it was made with; partials of other settings are not merged.
//!
//! Every map is written sorted and every list in one order, so the same input
//! gives the same bytes; the size is bounded by the caps (names, endpoints, time
//! buckets, examples) and the catalog, never by the input's size.
//!
//! Log-derived names and endpoints are written as they were logged, not masked
//! ([`crate::classify::secrets::mask`] runs when a report is built): masking first would make
//! two keys one. A partial is as sensitive as the log it was made from.

mod record;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyze::{Analysis, Options};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::format::FormatChoice;
use crate::report::Resumed;
use crate::tally::capped::hash_rank;
use crate::tally::{Location, TallyConfig};
pub use record::{
    tally_of, tally_record, Capped, ClassRecord, CodeBuckets, CodeRecord, LatencyRecord, NameValue,
    TallyRecord, UnnamedRecord,
};

/// `schema` of every partial report.
pub const SCHEMA: &str = "errscope-partial";
/// Bumped on any change an older errscope could not read.
pub const VERSION: u32 = 1;

/// What a partial was made with: setting name -> value, compared whole by
/// `merge`. The counting settings are [`crate::input::state::counting_settings`]'s.
pub type Settings = BTreeMap<String, String>;

/// What a partial's settings say a merge keeps and checks.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// What a tally keeps (the caps, examples, bucket width).
    pub tally: TallyConfig,
    /// `--since`, `--until` (epoch ms).
    pub window: (Option<i64>, Option<i64>),
    /// `--max-malformed`, checked on the merged inputs.
    pub max_malformed: f64,
}

/// The [`Config`] `settings` name; why not, for settings no errscope wrote.
pub fn config_of(settings: &Settings) -> std::result::Result<Config, String> {
    let get = |key: &str| {
        settings
            .get(key)
            .ok_or_else(|| format!("has no setting {key:?}"))
    };
    let count = |key: &str| -> std::result::Result<usize, String> {
        get(key)?
            .parse()
            .map_err(|_| format!("has a setting {key:?} that is not a number"))
    };
    let maybe = |key: &str| -> std::result::Result<Option<i64>, String> {
        match get(key)?.as_str() {
            "none" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| format!("has a setting {key:?} that is not a number")),
        }
    };
    let bucket_ms = maybe("bucket-ms")?;
    if bucket_ms.is_some_and(|b| b <= 0) {
        return Err("has a bucket width that is not positive".into());
    }
    Ok(Config {
        tally: TallyConfig {
            max_names: count("max-names")?,
            max_examples: count("examples")?,
            max_endpoints: count("max-endpoints")?,
            bucket_ms,
        },
        window: (maybe("since-ms")?, maybe("until-ms")?),
        max_malformed: get("max-malformed")?
            .parse()
            .map_err(|_| "has a setting \"max-malformed\" that is not a number".to_string())?,
    })
}

/// The settings of a run: errscope's version, what changes how a line counts
/// (catalog fingerprint, routes, format choice, fields, max-line-bytes), and what
/// changes what a report keeps (max-names, max-endpoints, examples, bucket,
/// since, until).
pub fn settings(
    catalog: &Catalog,
    routes: &[String],
    fields: &[String],
    opts: &Options,
) -> Settings {
    let format: &FormatChoice = &opts.format;
    let mut s: Settings = crate::input::state::counting_settings(
        catalog,
        routes,
        format,
        fields,
        opts.max_line_bytes,
    )
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let number = |t: Option<i64>| t.map_or_else(|| "none".to_string(), |t| t.to_string());
    let extra = [
        ("errscope", env!("CARGO_PKG_VERSION").to_string()),
        // Which names and endpoints a capped map keeps depends on this hash being
        // the same wherever partials are made: a platform where it is not (it is
        // foldhash's, fixed-seed) is caught here rather than merged inexactly.
        (
            "rank-probe",
            format!("{:016x}", hash_rank(b"errscope rank probe")),
        ),
        ("max-names", opts.max_names.to_string()),
        ("max-endpoints", opts.max_endpoints.to_string()),
        ("examples", opts.max_examples.to_string()),
        ("bucket-ms", number(opts.bucket_ms)),
        ("max-malformed", opts.max_malformed.to_string()),
        ("since-ms", number(opts.since)),
        ("until-ms", number(opts.until)),
    ];
    s.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
    s
}

/// A partial report, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    /// Always `errscope-partial`.
    pub schema: String,
    /// The format's version: 1.
    pub version: u32,
    /// What it was made with; partials merge only when these are equal.
    pub settings: Settings,
    /// The inputs read, in order.
    pub inputs: Vec<PartialInput>,
    /// Everything counted, losslessly.
    pub tally: TallyRecord,
}

/// One input: a file (or standard input) read whole, or the byte ranges of one
/// file that were read (one per `--range` run, several once merged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialInput {
    /// As given (`-`, or `--stdin-name`).
    pub path: String,
    /// The format it was read with; `None` if not read.
    pub format: Option<String>,
    /// The field latency was read from, with its unit.
    pub latency_source: Option<String>,
    /// `gzip` or `zstd` for a compressed input.
    pub compression: Option<String>,
    /// The envelope its lines were unwrapped from (`cri`, `docker`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<String>,
    /// Why it was not read, or not in full.
    pub error: Option<String>,
    /// With `--state`: what earlier runs read of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Resumed>,
    /// The file's size when a range of it was read (`--range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// What was read: one part for a whole input; for a file read by ranges, one
    /// per range, in order of their start.
    pub parts: Vec<Part>,
}

impl PartialInput {
    /// Whether this input is byte ranges of a file, which merge with the other
    /// ranges of the same path into one input.
    pub fn is_ranged(&self) -> bool {
        !self.parts.is_empty() && self.parts.iter().all(|p| p.range.is_some())
    }
}

/// A part of an input that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// `[start, end)`: the bytes of the file whose lines were read (line starts,
    /// see [`crate::input::open_range`]); absent for a whole input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[u64; 2]>,
    /// Bytes of text read (decompressed).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Of them, malformed.
    pub malformed: u64,
}

/// Where a line is: (input, part, 0-based line in the part); the line is `null`
/// when it cannot be known (after a part of a file that changed while read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct At(pub u32, pub u32, pub Option<u64>);

/// A log-derived key: text when it is UTF-8, else its bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    /// A UTF-8 key.
    Text(String),
    /// Any other key, byte by byte.
    Bytes(Vec<u8>),
}

impl Key {
    fn of(bytes: &[u8]) -> Key {
        match std::str::from_utf8(bytes) {
            Ok(text) => Key::Text(text.to_string()),
            Err(_) => Key::Bytes(bytes.to_vec()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Key::Text(t) => t.as_bytes(),
            Key::Bytes(b) => b,
        }
    }
}

/// The byte range an input of `analyze` was read from: `--range` (with the file's
/// size) or `--stdin-offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first byte.
    pub start: u64,
    /// The byte after the last.
    pub end: u64,
    /// The file's size, for `--range`.
    pub size: Option<u64>,
}

/// The partial of one `analyze` run: `spans[i]` is input `i`'s byte range, if it
/// was read by one; `unread` are inputs that could not even be listed.
pub fn of_analysis(
    analysis: &Analysis,
    catalog: &Catalog,
    settings: Settings,
    spans: &[Option<Span>],
    unread: &[Error],
) -> Partial {
    let mut inputs: Vec<PartialInput> = (analysis.inputs.iter().enumerate())
        .map(|(i, s)| {
            let span = spans.get(i).copied().flatten();
            PartialInput {
                path: s.name.clone(),
                format: s.format.clone(),
                latency_source: s.latency_source.clone(),
                compression: s.compression.map(str::to_string),
                envelope: s.envelope.map(str::to_string),
                error: s.error.clone(),
                resumed: s.resumed.map(|(lines, bytes)| Resumed { lines, bytes }),
                size: span.and_then(|s| s.size),
                parts: vec![Part {
                    range: span.map(|s| [s.start, s.end]),
                    bytes: s.bytes,
                    lines: s.lines,
                    malformed: s.malformed,
                }],
            }
        })
        .collect();
    inputs.extend(unread.iter().map(|e| {
        let r = crate::report::Input::unread(e);
        PartialInput {
            path: r.path,
            format: None,
            latency_source: None,
            compression: None,
            envelope: None,
            error: r.error,
            resumed: None,
            size: None,
            parts: Vec::new(),
        }
    }));
    let at = |l: Location| At(l.input, 0, analysis.line_of(l));
    Partial {
        schema: SCHEMA.to_string(),
        version: VERSION,
        settings,
        inputs,
        tally: tally_record(&analysis.tally, catalog, &at),
    }
}

/// The partial as written: compact JSON (it is for machines, and small), one
/// trailing newline.
pub fn to_json(p: &Partial) -> Vec<u8> {
    let mut out = serde_json::to_vec(p).expect("a partial serializes");
    out.push(b'\n');
    out
}

/// A partial without its tally: what `merge` reads of every partial before it
/// reads any tally (so that it holds one tally at a time, not all of them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// Always `errscope-partial`.
    pub schema: String,
    /// The format's version.
    pub version: u32,
    /// What it was made with.
    pub settings: Settings,
    /// The inputs read.
    pub inputs: Vec<PartialInput>,
    /// Passed over.
    #[serde(rename = "tally")]
    _tally: serde::de::IgnoredAny,
}

/// What a partial and its head both are.
pub trait Parsed: serde::de::DeserializeOwned {
    /// The inputs the partial lists.
    fn inputs(&self) -> &[PartialInput];
}

impl Parsed for Partial {
    fn inputs(&self) -> &[PartialInput] {
        &self.inputs
    }
}

impl Parsed for Head {
    fn inputs(&self) -> &[PartialInput] {
        &self.inputs
    }
}

/// Read a partial (or its [`Head`]) from `text`, named `name` in messages:
/// refused with a message saying what it is instead (a report, another version,
/// not JSON, cut short, byte ranges that are not a file's).
pub fn parse<T: Parsed>(text: &[u8], name: &str) -> Result<T> {
    let bad = |why: String| Error::Usage(format!("{name}: {why}"));
    #[derive(Deserialize)]
    struct Head {
        schema: Option<String>,
        version: Option<u32>,
    }
    let head: Head = serde_json::from_slice(text).map_err(|e| {
        bad(if e.is_eof() {
            format!("cut short ({e}): not a whole errscope partial report; write it again")
        } else {
            format!("not an errscope partial report ({e})")
        })
    })?;
    match (head.schema.as_deref(), head.version) {
        (Some(SCHEMA), Some(VERSION)) => {}
        (Some(SCHEMA), v) => {
            return Err(bad(format!(
                "a partial report of version {}, and this errscope reads version {VERSION}: \
                 make the partials and merge them with the same errscope version",
                v.map_or("?".into(), |v| v.to_string())
            )))
        }
        (Some(crate::report::SCHEMA), _) => {
            return Err(bad(
                "a report (`-o json`), not a partial: a report holds percentiles, which \
                 do not add up; write partials with `errscope analyze -o partial`"
                    .into(),
            ))
        }
        (s, _) => {
            return Err(bad(format!(
                "not an errscope partial report (schema {})",
                s.map_or("missing".into(), |s| format!("{s:?}"))
            )))
        }
    }
    let partial: T = serde_json::from_slice(text)
        .map_err(|e| bad(format!("not a valid errscope partial report ({e})")))?;
    for input in partial.inputs() {
        for part in &input.parts {
            if let Some([start, end]) = part.range {
                if start > end || input.size.is_some_and(|size| end > size) {
                    return Err(bad(format!(
                        "not a valid errscope partial report: {} has a byte range \
                         {start}..{end} that is not one of the file",
                        input.path
                    )));
                }
            }
        }
    }
    Ok(partial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze_bytes;
    use crate::classify::routes::Routes;

    /// A tally written as a record and read back is the same tally: its record,
    /// written again, is the same, and so is its report.
    #[test]
    fn a_record_reads_back_as_the_same_tally() {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let opts = Options {
            max_names: 2,
            max_endpoints: 3,
            max_examples: 2,
            bucket_ms: Some(60_000),
            chunk_size: 4096,
            ..Options::default()
        };
        let mut log = include_bytes!("../../../fixtures/sample.log").to_vec();
        log.extend_from_slice(b"garbage\n\xff\xfe not utf-8\n");
        let analysis = analyze_bytes("s.log", &log, &catalog, &routes, &opts);
        let settings = settings(&catalog, &[], &[], &opts);
        let p = of_analysis(&analysis, &catalog, settings, &[], &[]);
        let text = to_json(&p);
        let back: Partial = parse(&text, "s.partial.json").unwrap();
        assert_eq!(back, p);
        let config = config_of(&back.settings).unwrap().tally;
        let mut loc = |At(input, _, line): At| {
            Ok(Location {
                input,
                chunk: 0,
                line: line.unwrap() as u32,
            })
        };
        let tally = tally_of(&back.tally, config, &catalog, &mut loc).unwrap();
        let again = tally_record(&tally, &catalog, &|l: Location| {
            At(l.input, 0, Some(u64::from(l.line)))
        });
        assert_eq!(again, p.tally);
        assert!(p.tally.undocumented.other.is_some() || p.tally.undocumented.kept.len() <= 2);
    }

    /// Keys that are not UTF-8 are written as their bytes, and read back as such.
    #[test]
    fn keys_that_are_not_utf8_keep_their_bytes() {
        let key = Key::of(b"\xffA");
        assert_eq!(serde_json::to_string(&key).unwrap(), "[255,65]");
        assert_eq!(serde_json::from_str::<Key>("[255,65]").unwrap(), key);
        assert_eq!(
            serde_json::to_string(&Key::of(b"NAME")).unwrap(),
            "\"NAME\""
        );
        assert_eq!(Key::of(b"\xffA").bytes(), b"\xffA");
    }
}
