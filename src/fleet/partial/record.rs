//! A run's [`Tally`] written as a record and read back, losslessly: every count,
//! latencies as (value, count) pairs in the HDR layout, capped maps' kept keys with
//! their `other`, example locations; and the checks that a record read from a file
//! is one a tally could have written ([`check_consistent`]), so a corrupt partial is
//! refused rather than merged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{At, Key};
use crate::catalog::Catalog;
use crate::classify::Class;
use crate::format::Malformed;
use crate::tally::capped::{hash_rank, CappedMap};
use crate::tally::latency::Latency;
use crate::tally::{self, bucket_rank, ClassTally, CodeKey, Location, Stat, Tally, TallyConfig};

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

pub(super) fn latency_record(l: &Latency) -> Option<LatencyRecord> {
    let (exact, values) = l.to_pairs();
    (!values.is_empty()).then_some(LatencyRecord { exact, values })
}

pub(super) fn class_record(c: &ClassTally) -> ClassRecord {
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

pub(super) fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Why a partial's content cannot be taken in.
pub(super) fn corrupt(what: impl std::fmt::Display) -> String {
    format!("holds {what}")
}

pub(super) fn latency_of(r: &Option<LatencyRecord>) -> std::result::Result<Latency, String> {
    match r {
        None => Ok(Latency::default()),
        Some(r) => Latency::from_pairs(r.exact, &r.values).map_err(corrupt),
    }
}

pub(super) fn class_tally(r: &ClassRecord) -> ClassTally {
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
pub(super) const TIMES: std::ops::RangeInclusive<i64> = -62_167_219_200_000..=253_402_300_799_999;

/// What every record an errscope wrote holds true, and a report relies on: the
/// classes add up to the lines, the statuses to the parsed lines, times are times,
/// and each code's class agrees with the catalog. Why not, otherwise.
pub(super) fn check_consistent(
    r: &TallyRecord,
    catalog: &Catalog,
) -> std::result::Result<(), String> {
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

pub(super) fn malformed(reason: &str) -> std::result::Result<Malformed, String> {
    Malformed::ALL
        .into_iter()
        .find(|m| m.as_str() == reason)
        .ok_or_else(|| corrupt(format!("malformed reason {reason:?}")))
}
