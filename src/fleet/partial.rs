//! Partial reports (`-o partial`): everything a report is made from, losslessly,
//! so that `errscope merge` ([`crate::fleet::merge`]) can add up the partials of many
//! machines, files or byte ranges into the report one run over all of them gives.
//!
//! A partial is JSON (schema `errscope-partial`, version 1; docs/reference.md).
//! It holds the merged [`Tally`] as it is, not the numbers a report shows: every
//! count; latencies as (value, count) pairs in the HDR layout
//! ([`Latency::to_pairs`]), from which any percentile reads as from the histogram;
//! the capped maps' kept keys with their values and their `other` (ranks are not
//! written: they are a fixed function of the key, [`hash_rank`], [`bucket_rank`]);
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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyze::{Analysis, Options};
use crate::catalog::Catalog;
use crate::classify::Class;
use crate::error::{Error, Result};
use crate::format::{FormatChoice, Malformed};
use crate::report::Resumed;
use crate::tally::capped::{hash_rank, CappedMap};
use crate::tally::latency::Latency;
use crate::tally::{self, bucket_rank, ClassTally, CodeKey, Location, Stat, Tally, TallyConfig};

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

/// Latency samples: (value µs, count) pairs, ascending; `exact` when they are the
/// values as recorded (at most 64), else each HDR bucket's lowest value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyRecord {
    /// Whether `values` are the latencies themselves (few of them) rather than histogram buckets.
    pub exact: bool,
    /// (microseconds, lines), ascending: a value, or a bucket's lowest value.
    pub values: Vec<(u64, u64)>,
}

/// The tally, field by field ([`Tally`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyRecord {
    /// Lines read.
    pub lines: u64,
    /// Lines outside `--since`/`--until`.
    pub outside_window: u64,
    /// Lines that are not access records (inside an envelope).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_access: u64,
    /// Records with no HTTP response.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub no_response: u64,
    /// Lines continued on the next one, joined into one record.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub continued: u64,
    /// Lines per class, in the order of `classes` in a report.
    pub classes: [u64; 7],
    /// Parsed lines per HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests whose path matched no route.
    pub unrouted: u64,
    /// Lines whose time could not be read.
    pub bad_time: u64,
    /// The first of them.
    pub bad_time_examples: Vec<At>,
    /// The earliest request time (epoch ms).
    pub first_ms: Option<i64>,
    /// The latest request time (epoch ms).
    pub last_ms: Option<i64>,
    /// Latency of the ok and undocumented lines (the others are the codes').
    pub latency: Option<LatencyRecord>,
    /// Per catalog code and class (documented or status mismatch): lines, latency, first line.
    pub codes: Vec<CodeRecord>,
    /// With buckets: each code's lines per bucket.
    pub code_buckets: Vec<CodeBuckets>,
    /// Errors without a name, by status.
    pub unnamed: Vec<UnnamedRecord>,
    /// Undocumented names: kept names with their values, the rest together.
    pub undocumented: Capped<(Key, NameValue), NameValue>,
    /// Malformed reason -> lines.
    pub malformed_reasons: BTreeMap<String, u64>,
    /// The first malformed lines.
    pub malformed_examples: Vec<(At, String)>,
    /// (bucket start, epoch ms; its counts)
    pub buckets: Capped<(i64, ClassRecord), ClassRecord>,
    /// Endpoints: kept ones with their counts, the rest together.
    pub endpoints: Capped<(Key, ClassRecord), ClassRecord>,
}

/// A capped map: its kept keys with their values, and the values of the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capped<K, V> {
    /// Kept keys with their values, by key.
    pub kept: Vec<K>,
    /// The values of the keys not kept.
    pub other: Option<V>,
}

/// A catalog code's lines of one class and status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRecord {
    /// `documented`, `status_mismatch` or `wrong_section`.
    pub class: String,
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The status sent.
    pub status: u16,
    /// Lines.
    pub count: u64,
    /// Their latencies.
    pub latency: Option<LatencyRecord>,
    /// The first of them.
    pub example: At,
}

/// Documented and mismatched lines of one (section, name) per bucket start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBuckets {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// (bucket start, epoch ms; lines)
    pub kept: Vec<(i64, u64)>,
    /// Lines in buckets past the cap.
    pub other: Option<u64>,
}

/// Errors without a name, of one status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnnamedRecord {
    /// The status.
    pub status: u16,
    /// Lines.
    pub count: u64,
    /// Their latencies.
    pub latency: Option<LatencyRecord>,
    /// The first of them.
    pub example: At,
}

/// One undocumented name's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameValue {
    /// Lines.
    pub count: u64,
    /// (status, lines), by status.
    pub statuses: Vec<(u16, u64)>,
    /// The earliest time it was sent (epoch ms).
    pub first_ms: Option<i64>,
    /// The latest time it was sent.
    pub last_ms: Option<i64>,
    /// Its first line.
    pub example: At,
}

/// Lines per class (in the order of a report's `classes`) and error lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRecord {
    /// Lines per class.
    pub classes: [u64; 7],
    /// Requests with status >= 400.
    pub errors: u64,
}

fn latency_record(l: &Latency) -> Option<LatencyRecord> {
    let (exact, values) = l.to_pairs();
    (!values.is_empty()).then_some(LatencyRecord { exact, values })
}

fn class_record(c: &ClassTally) -> ClassRecord {
    ClassRecord {
        classes: c.classes,
        errors: c.errors,
    }
}

/// The record of `t`, its locations given by `at`.
pub fn tally_record(t: &Tally, catalog: &Catalog, at: &dyn Fn(Location) -> At) -> TallyRecord {
    let names = |section, name| {
        (
            catalog.section(section).id.clone(),
            catalog.name(name).to_string(),
        )
    };
    let mut keys: Vec<&CodeKey> = t.codes.keys().collect();
    keys.sort();
    let codes = keys
        .into_iter()
        .map(|key| {
            let stat = &t.codes[key];
            let (section, name) = names(key.section, key.name);
            CodeRecord {
                class: key.class.as_str().to_string(),
                section,
                name,
                status: key.status,
                count: stat.count,
                latency: latency_record(&stat.latency),
                example: at(stat.example),
            }
        })
        .collect();
    let mut code_buckets: Vec<CodeBuckets> = t
        .code_buckets
        .iter()
        .map(|(&(section, name), map)| {
            let (section, name) = names(section, name);
            let mut kept: Vec<(i64, u64)> = map.iter().map(|(s, n)| (*s, *n)).collect();
            kept.sort_unstable();
            CodeBuckets {
                section,
                name,
                kept,
                other: map.other().copied(),
            }
        })
        .collect();
    code_buckets.sort_by(|a, b| (&a.section, &a.name).cmp(&(&b.section, &b.name)));
    let mut unnamed: Vec<UnnamedRecord> = t
        .unnamed
        .iter()
        .map(|(&status, s)| UnnamedRecord {
            status,
            count: s.count,
            latency: latency_record(&s.latency),
            example: at(s.example),
        })
        .collect();
    unnamed.sort_by_key(|u| u.status);
    let name_value = |u: &tally::Undocumented| NameValue {
        count: u.count,
        statuses: u.statuses.clone(),
        first_ms: u.first_ms,
        last_ms: u.last_ms,
        example: at(u.example),
    };
    let mut names_kept: Vec<(Key, NameValue)> = (t.undocumented.iter())
        .map(|(k, u)| (Key::of(k), name_value(u)))
        .collect();
    names_kept.sort_by(|a, b| a.0.bytes().cmp(b.0.bytes()));
    let mut buckets: Vec<(i64, ClassRecord)> = (t.buckets().iter())
        .map(|(&start, c)| (start, class_record(c)))
        .collect();
    buckets.sort_by_key(|b| b.0);
    let mut endpoints: Vec<(Key, ClassRecord)> = (t.endpoints.iter())
        .map(|(k, c)| (Key::of(k), class_record(c)))
        .collect();
    endpoints.sort_by(|a, b| a.0.bytes().cmp(b.0.bytes()));
    TallyRecord {
        lines: t.lines,
        outside_window: t.outside_window,
        not_access: t.not_access,
        no_response: t.no_response,
        continued: t.continued,
        classes: t.classes,
        statuses: (t.statuses.iter().enumerate())
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s as u16, *n))
            .collect(),
        unrouted: t.unrouted,
        bad_time: t.bad_time,
        bad_time_examples: t.bad_time_examples.iter().map(|l| at(*l)).collect(),
        first_ms: t.first_ms,
        last_ms: t.last_ms,
        latency: latency_record(&t.latency),
        codes,
        code_buckets,
        unnamed,
        undocumented: Capped {
            kept: names_kept,
            other: t.undocumented.other().map(name_value),
        },
        malformed_reasons: (t.malformed_reasons.iter())
            .map(|(r, n)| (r.as_str().to_string(), *n))
            .collect(),
        malformed_examples: (t.malformed_examples.iter())
            .map(|(l, r)| (at(*l), r.as_str().to_string()))
            .collect(),
        buckets: Capped {
            kept: buckets,
            other: t.buckets().other().map(class_record),
        },
        endpoints: Capped {
            kept: endpoints,
            other: t.endpoints.other().map(class_record),
        },
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Why a partial's content cannot be taken in.
fn corrupt(what: impl std::fmt::Display) -> String {
    format!("holds {what}")
}

fn latency_of(r: &Option<LatencyRecord>) -> std::result::Result<Latency, String> {
    match r {
        None => Ok(Latency::default()),
        Some(r) => Latency::from_pairs(r.exact, &r.values).map_err(corrupt),
    }
}

fn class_tally(r: &ClassRecord) -> ClassTally {
    ClassTally {
        classes: r.classes,
        errors: r.errors,
    }
}

/// The tally a record holds, its locations mapped by `loc`; why not, for a record
/// no errscope of this version wrote (a code the catalog does not list, a status
/// out of range, a reason that does not exist, latencies out of order).
pub fn tally_of(
    r: &TallyRecord,
    config: TallyConfig,
    catalog: &Catalog,
    loc: &mut dyn FnMut(At) -> std::result::Result<Location, String>,
) -> std::result::Result<Tally, String> {
    check_consistent(r, catalog)?;
    let mut t = Tally::new(config);
    t.lines = r.lines;
    t.outside_window = r.outside_window;
    t.not_access = r.not_access;
    t.no_response = r.no_response;
    t.continued = r.continued;
    t.classes = r.classes;
    for (&status, &n) in &r.statuses {
        let slot = t
            .statuses
            .get_mut(usize::from(status))
            .filter(|_| (100..=599).contains(&status))
            .ok_or_else(|| corrupt(format!("status {status}")))?;
        *slot = n;
    }
    t.unrouted = r.unrouted;
    t.bad_time = r.bad_time;
    for &a in &r.bad_time_examples {
        t.bad_time_examples.push(loc(a)?);
    }
    t.bad_time_examples.sort_unstable();
    t.bad_time_examples.truncate(config.max_examples);
    t.first_ms = r.first_ms;
    t.last_ms = r.last_ms;
    t.latency = latency_of(&r.latency)?;
    let ids = |section: &str, name: &str| {
        let s = catalog.section_id(section);
        let n = catalog.name_id(name.as_bytes());
        s.zip(n)
            .ok_or_else(|| corrupt(format!("{section} {name}, which the catalog does not list")))
    };
    for c in &r.codes {
        let class = Class::parse(&c.class)
            .filter(|c| {
                matches!(
                    c,
                    Class::Documented | Class::StatusMismatch | Class::WrongSection
                )
            })
            .ok_or_else(|| corrupt(format!("a code of class {:?}", c.class)))?;
        let (section, name) = ids(&c.section, &c.name)?;
        let key = CodeKey {
            class,
            section,
            name,
            status: c.status,
        };
        let stat = Stat {
            count: c.count,
            latency: latency_of(&c.latency)?,
            example: loc(c.example)?,
        };
        if t.codes.insert(key, stat).is_some() {
            return Err(corrupt(format!(
                "{} {} {} twice",
                c.section, c.name, c.status
            )));
        }
    }
    for cb in &r.code_buckets {
        let key = ids(&cb.section, &cb.name)?;
        let map = t
            .code_buckets
            .entry(key)
            .or_insert_with(|| CappedMap::new(tally::MAX_BUCKETS));
        for &(start, n) in &cb.kept {
            map.add(bucket_rank(start), start, n);
        }
        if let Some(o) = &cb.other {
            map.add_other(o);
        }
    }
    for u in &r.unnamed {
        let stat = Stat {
            count: u.count,
            latency: latency_of(&u.latency)?,
            example: loc(u.example)?,
        };
        if t.unnamed.insert(u.status, stat).is_some() {
            return Err(corrupt(format!("unnamed status {} twice", u.status)));
        }
    }
    let mut undocumented = |v: &NameValue| -> std::result::Result<tally::Undocumented, String> {
        if v.statuses.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(corrupt("a name's statuses out of order"));
        }
        Ok(tally::Undocumented {
            count: v.count,
            statuses: v.statuses.clone(),
            first_ms: v.first_ms,
            last_ms: v.last_ms,
            example: loc(v.example)?,
        })
    };
    for (name, v) in &r.undocumented.kept {
        let value = undocumented(v)?;
        let key: Box<[u8]> = name.bytes().into();
        t.undocumented.add(hash_rank(&key), key, value);
    }
    if let Some(o) = &r.undocumented.other {
        t.undocumented.add_other(&undocumented(o)?);
    }
    for (reason, &n) in &r.malformed_reasons {
        let m = malformed(reason)?;
        t.malformed_reasons.insert(m, n);
    }
    for (a, reason) in &r.malformed_examples {
        t.malformed_examples.push((loc(*a)?, malformed(reason)?));
    }
    t.malformed_examples.sort_unstable();
    t.malformed_examples.truncate(config.max_examples);
    let buckets = t.buckets_mut();
    for (start, c) in &r.buckets.kept {
        buckets.add(bucket_rank(*start), *start, class_tally(c));
    }
    if let Some(o) = &r.buckets.other {
        buckets.add_other(&class_tally(o));
    }
    for (endpoint, c) in &r.endpoints.kept {
        let key: Box<[u8]> = endpoint.bytes().into();
        t.endpoints.add(hash_rank(&key), key, class_tally(c));
    }
    if let Some(o) = &r.endpoints.other {
        t.endpoints.add_other(&class_tally(o));
    }
    Ok(t)
}

/// Times a partial may hold: years 0 to 9999, as logs write them.
const TIMES: std::ops::RangeInclusive<i64> = -62_167_219_200_000..=253_402_300_799_999;

/// What every record an errscope wrote holds true, and a report relies on: the
/// classes add up to the lines, the statuses to the parsed lines, times are times,
/// and each code's class agrees with the catalog. Why not, otherwise.
fn check_consistent(r: &TallyRecord, catalog: &Catalog) -> std::result::Result<(), String> {
    fn sum<'a>(v: impl Iterator<Item = &'a u64>) -> Option<u64> {
        v.copied().try_fold(0u64, u64::checked_add)
    }
    let classes = sum(r.classes.iter());
    let read_not_classified = [r.outside_window, r.not_access, r.no_response, r.continued];
    if classes.and_then(|c| sum(read_not_classified.iter().chain([&c]))) != Some(r.lines) {
        return Err(corrupt("classes that do not add up to its lines"));
    }
    let parsed = classes.map(|c| c - r.classes[Class::Malformed as usize]);
    if sum(r.statuses.values()) != parsed {
        return Err(corrupt("statuses that do not add up to its parsed lines"));
    }
    let times = [r.first_ms, r.last_ms]
        .into_iter()
        .flatten()
        .chain(r.buckets.kept.iter().map(|b| b.0))
        .chain(
            r.code_buckets
                .iter()
                .flat_map(|c| c.kept.iter().map(|b| b.0)),
        )
        .chain(
            r.undocumented
                .kept
                .iter()
                .flat_map(|(_, v)| [v.first_ms, v.last_ms])
                .flatten(),
        )
        .chain(
            r.undocumented
                .other
                .iter()
                .flat_map(|v| [v.first_ms, v.last_ms])
                .flatten(),
        );
    for t in times {
        if !TIMES.contains(&t) {
            return Err(corrupt(format!("a time out of range ({t} ms)")));
        }
    }
    for c in &r.codes {
        let section = catalog.section_id(&c.section);
        let name = catalog.name_id(c.name.as_bytes());
        let listed = section.zip(name).and_then(|(s, n)| catalog.status_in(s, n));
        let fits = match (c.class.as_str(), listed) {
            ("documented", Some(status)) => status == c.status,
            ("status_mismatch", Some(status)) => status != c.status,
            ("wrong_section", None) => name.is_some(),
            _ => false,
        };
        if !fits || !(100..=599).contains(&c.status) {
            return Err(corrupt(format!(
                "{} {} {} as {}, which this catalog does not make it",
                c.section, c.name, c.status, c.class
            )));
        }
    }
    Ok(())
}

fn malformed(reason: &str) -> std::result::Result<Malformed, String> {
    Malformed::ALL
        .into_iter()
        .find(|m| m.as_str() == reason)
        .ok_or_else(|| corrupt(format!("malformed reason {reason:?}")))
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
        let mut log = include_bytes!("../../fixtures/sample.log").to_vec();
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
