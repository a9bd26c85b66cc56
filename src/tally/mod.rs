//! Accumulators for the lines one worker classifies, and their exact merge. The same
//! merge serves chunks, threads and files: counts add, latency samples add
//! ([`crate::tally::latency`]), example locations keep the earliest, time ranges widen.

pub mod capped;
pub mod latency;

use rustc_hash::FxHashMap;

use crate::catalog::{NameId, SectionId};
use crate::classify::{Class, Verdict};
use crate::format::{Fields, Malformed};
use crate::tally::capped::{hash_rank, CappedMap, Merge};
use crate::tally::latency::Latency;

/// Where a line is, as the parallel pipeline knows it: the input, the chunk of that
/// input, and the 0-based line within the chunk. Ordered like the input, so the
/// minimum over any split of the work is the same line. Turned into `path:line` once
/// all chunks' line counts are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The input's index.
    pub input: u32,
    /// The chunk's index in the input.
    pub chunk: u32,
    /// The 0-based line in the chunk.
    pub line: u32,
}

/// HTTP statuses a tally indexes directly (valid statuses are 100..=599).
const STATUS_SLOTS: usize = 600;

/// Count, latency and earliest example of one key.
#[derive(Debug, Clone)]
pub struct Stat {
    /// Lines.
    pub count: u64,
    /// Their latencies.
    pub latency: Latency,
    /// The first of them.
    pub example: Location,
}

impl Stat {
    fn new(example: Location) -> Stat {
        Stat {
            count: 0,
            latency: Latency::default(),
            example,
        }
    }

    #[inline]
    fn record(&mut self, latency_us: Option<u64>, loc: Location) {
        self.count += 1;
        if let Some(us) = latency_us {
            self.latency.record(us);
        }
        self.example = self.example.min(loc);
    }

    fn merge(&mut self, other: &Stat) {
        self.count += other.count;
        self.latency.merge(&other.latency);
        self.example = self.example.min(other.example);
    }
}

/// A catalog name seen in a section with a status: the key of documented,
/// status-mismatch and wrong-section counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeKey {
    /// The class: documented, status mismatch or wrong section.
    pub class: Class,
    /// The section the line is accounted to.
    pub section: SectionId,
    /// The catalog name.
    pub name: NameId,
    /// The status sent.
    pub status: u16,
}

/// What is known of one undocumented name.
#[derive(Debug, Clone)]
pub struct Undocumented {
    /// Lines.
    pub count: u64,
    /// Lines per status, sorted by status: a name is sent with a few statuses,
    /// and a short sorted list is cheaper per line than a tree.
    pub statuses: Vec<(u16, u64)>,
    /// The earliest time it was sent (epoch ms).
    pub first_ms: Option<i64>,
    /// The latest time it was sent.
    pub last_ms: Option<i64>,
    /// Its first line.
    pub example: Location,
}

impl Undocumented {
    fn new(example: Location) -> Undocumented {
        Undocumented {
            count: 0,
            statuses: Vec::new(),
            first_ms: None,
            last_ms: None,
            example,
        }
    }

    fn record(&mut self, status: u16, time_ms: Option<i64>, loc: Location) {
        self.count += 1;
        self.add_status(status, 1);
        self.first_ms = min_opt(self.first_ms, time_ms);
        self.last_ms = max_opt(self.last_ms, time_ms);
        self.example = self.example.min(loc);
    }

    fn add_status(&mut self, status: u16, n: u64) {
        match self.statuses.binary_search_by_key(&status, |&(s, _)| s) {
            Ok(i) => self.statuses[i].1 += n,
            Err(i) => self.statuses.insert(i, (status, n)),
        }
    }
}

impl Merge for Undocumented {
    fn merge(&mut self, other: &Undocumented) {
        self.count += other.count;
        for &(status, n) in &other.statuses {
            self.add_status(status, n);
        }
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = max_opt(self.last_ms, other.last_ms);
        self.example = self.example.min(other.example);
    }
}

/// Lines per class, and how many had an error status: one time bucket's or one
/// endpoint's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassTally {
    /// Lines per class.
    pub classes: [u64; Class::ALL.len()],
    /// Lines with status >= 400.
    pub errors: u64,
}

impl ClassTally {
    /// Count one line of `class` with `status`.
    #[inline]
    pub fn record(&mut self, class: Class, status: u16) {
        self.classes[class as usize] += 1;
        self.errors += u64::from(status >= 400);
    }

    /// Lines in any class.
    pub fn requests(&self) -> u64 {
        self.classes.iter().sum()
    }
}

impl Merge for ClassTally {
    fn merge(&mut self, other: &ClassTally) {
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        self.errors += other.errors;
    }
}

/// Time buckets kept at most; a span that needs more (1s buckets over a year) counts
/// the lines of its later buckets together instead of growing without bound.
pub const MAX_BUCKETS: usize = 100_000;

/// What a tally keeps and how much of it.
#[derive(Debug, Clone, Copy)]
pub struct TallyConfig {
    /// Distinct undocumented names kept; the rest are counted together.
    pub max_names: usize,
    /// Malformed and bad-time examples kept (the earliest).
    pub max_examples: usize,
    /// Distinct endpoints kept; the rest are counted together.
    pub max_endpoints: usize,
    /// Width of the time-series buckets, if a series is wanted.
    pub bucket_ms: Option<i64>,
}

/// Everything counted over some lines.
#[derive(Debug, Clone)]
pub struct Tally {
    config: TallyConfig,
    /// Lines read.
    pub lines: u64,
    /// Lines outside `--since`/`--until`: read, not classified.
    pub outside_window: u64,
    /// Lines that are not access records (a runtime's or gateway's own messages,
    /// see [`crate::format::envelope`]): read, not classified.
    pub not_access: u64,
    /// Records with no HTTP response (status `-` or `0`): read, not classified.
    pub no_response: u64,
    /// Lines continued on the next one (CRI `P`, a Docker line without its
    /// newline), joined to it into one record: counted here, the record once.
    pub continued: u64,
    /// Lines per class.
    pub classes: [u64; Class::ALL.len()],
    /// Lines per HTTP status (parsed lines only).
    pub statuses: Vec<u64>,
    /// Parsed lines whose path matched no route (checked against all sections).
    pub unrouted: u64,
    /// Lines with a time field that could not be parsed.
    pub bad_time: u64,
    /// The earliest of them.
    pub bad_time_examples: Vec<Location>,
    /// The earliest request time (epoch ms).
    pub first_ms: Option<i64>,
    /// The latest request time (epoch ms).
    pub last_ms: Option<i64>,
    /// Latency of the lines no per-key histogram holds (ok and undocumented), so
    /// each line is recorded once; [`Tally::overall_latency`] adds the rest.
    pub latency: Latency,
    /// Catalog codes' lines, per (class, section, name, status).
    pub codes: FxHashMap<CodeKey, Stat>,
    /// With a time series: documented and mismatched lines of each (section, name)
    /// per bucket start, for per-code sparklines.
    pub code_buckets: FxHashMap<(SectionId, NameId), CappedMap<i64, u64>>,
    /// Errors without a name, per status.
    pub unnamed: FxHashMap<u16, Stat>,
    /// Undocumented names: `max_names` of them keep their own row (a fixed sample,
    /// by hash, the same however the input is split); the rest count as other.
    pub undocumented: CappedMap<Box<[u8]>, Undocumented>,
    /// Malformed lines per reason.
    pub malformed_reasons: FxHashMap<Malformed, u64>,
    /// The earliest malformed lines, sorted by location.
    pub malformed_examples: Vec<(Location, Malformed)>,
    /// Bucket start (epoch ms) -> counts, when a time series is wanted.
    /// The earliest `MAX_BUCKETS` buckets; lines in later ones count as other.
    /// Read through [`Tally::buckets`], once [`Tally::flush`]ed.
    buckets: CappedMap<i64, ClassTally>,
    /// The bucket the last lines fell in, and their counts, not yet added to
    /// `buckets`. Why: consecutive lines share their bucket, and comparing a start
    /// costs less than a lookup in the capped map for every line, which had made
    /// a run with `--bucket` (and every HTML report) measurably slower (figures in
    /// docs/performance.md).
    pending_bucket: Option<(i64, ClassTally)>,
    /// Endpoint -> counts.
    /// `max_endpoints` of them (a fixed sample by hash); the rest count as other.
    pub endpoints: CappedMap<Box<[u8]>, ClassTally>,
}

impl Tally {
    /// An empty tally that keeps what `config` says.
    pub fn new(config: TallyConfig) -> Tally {
        Tally {
            config,
            lines: 0,
            outside_window: 0,
            not_access: 0,
            no_response: 0,
            continued: 0,
            classes: [0; Class::ALL.len()],
            statuses: vec![0; STATUS_SLOTS],
            unrouted: 0,
            bad_time: 0,
            bad_time_examples: Vec::new(),
            first_ms: None,
            last_ms: None,
            latency: Latency::default(),
            codes: FxHashMap::default(),
            code_buckets: FxHashMap::default(),
            unnamed: FxHashMap::default(),
            undocumented: CappedMap::new(config.max_names),
            malformed_reasons: FxHashMap::default(),
            malformed_examples: Vec::new(),
            buckets: CappedMap::new(MAX_BUCKETS),
            pending_bucket: None,
            endpoints: CappedMap::new(config.max_endpoints),
        }
    }

    /// Add what is held back while lines are recorded (the last lines' time
    /// bucket) to the tally's tables. The pipeline calls it after each chunk, and
    /// [`Tally::merge`] on both tallies; the counts are the same as if every line
    /// had been added at once, since a capped map's result does not depend on the
    /// order of its additions.
    pub fn flush(&mut self) {
        if let Some((start, counts)) = self.pending_bucket.take() {
            self.buckets
                .entry(&start, || bucket_rank(start), ClassTally::default)
                .merge(&counts);
        }
    }

    /// Bucket start (epoch ms) -> counts, when a time series is wanted (see
    /// [`Tally::flush`]).
    pub fn buckets(&self) -> &CappedMap<i64, ClassTally> {
        debug_assert!(
            self.pending_bucket.is_none(),
            "a tally is flushed before its buckets are read"
        );
        &self.buckets
    }

    /// The time buckets, to restore them from a partial report
    /// ([`crate::fleet::partial`]); flushed first.
    pub(crate) fn buckets_mut(&mut self) -> &mut CappedMap<i64, ClassTally> {
        self.flush();
        &mut self.buckets
    }

    /// What it keeps.
    pub fn config(&self) -> &TallyConfig {
        &self.config
    }

    /// Latency of every parsed line that has one.
    pub fn overall_latency(&self) -> Latency {
        let mut all = self.latency.clone();
        for stat in self.codes.values().chain(self.unnamed.values()) {
            all.merge(&stat.latency);
        }
        all
    }

    /// Count a line outside the time window.
    pub fn record_outside_window(&mut self) {
        self.lines += 1;
        self.outside_window += 1;
    }

    /// Count a line that is not an access record.
    pub fn record_not_access(&mut self) {
        self.lines += 1;
        self.not_access += 1;
    }

    /// Count a record that got no HTTP response.
    pub fn record_no_response(&mut self) {
        self.lines += 1;
        self.no_response += 1;
    }

    /// Count a line continued on the next one.
    pub fn record_continued(&mut self) {
        self.lines += 1;
        self.continued += 1;
    }

    /// Lines of `class`.
    pub fn count(&self, class: Class) -> u64 {
        self.classes[class as usize]
    }

    /// Count a line that could not be parsed.
    pub fn record_malformed(&mut self, loc: Location, reason: Malformed) {
        self.lines += 1;
        self.classes[Class::Malformed as usize] += 1;
        *self.malformed_reasons.entry(reason).or_default() += 1;
        keep_earliest(
            &mut self.malformed_examples,
            (loc, reason),
            self.config.max_examples,
        );
    }

    /// Count a parsed line and its verdict. Its endpoint is counted apart, by
    /// [`Tally::record_endpoint`] or through a [`crate::classify::path_memo::PathMemo`].
    ///
    /// Always inlined: once the line loop had one instance per kind of line loop,
    /// LLVM stopped inlining it into the JSON one, which ran slower; the text loop's
    /// difference with it inlined is within code-layout noise (figures in
    /// docs/performance.md).
    #[inline(always)]
    pub fn record(&mut self, verdict: Verdict, fields: &Fields<'_>, routed: bool, loc: Location) {
        let class = verdict.class();
        self.lines += 1;
        self.classes[class as usize] += 1;
        self.statuses[usize::from(fields.status)] += 1;
        self.unrouted += u64::from(!routed);
        if fields.bad_time {
            self.bad_time += 1;
            keep_earliest(&mut self.bad_time_examples, loc, self.config.max_examples);
        }
        if let Some(t) = fields.time_ms {
            self.first_ms = min_opt(self.first_ms, Some(t));
            self.last_ms = max_opt(self.last_ms, Some(t));
        }
        let bucket = self.bucket_of(fields.time_ms);
        if let Some(start) = bucket {
            self.count_in_bucket(start, class, fields.status);
        }
        let (section, name) = match verdict {
            Verdict::Ok => {
                if let Some(us) = fields.latency_us {
                    self.latency.record(us);
                }
                return;
            }
            Verdict::UnnamedError => {
                self.unnamed
                    .entry(fields.status)
                    .or_insert_with(|| Stat::new(loc))
                    .record(fields.latency_us, loc);
                return;
            }
            Verdict::Undocumented => {
                if let Some(us) = fields.latency_us {
                    self.latency.record(us);
                }
                let name = fields.name.expect("an undocumented verdict has a name");
                self.record_undocumented(name, fields, loc);
                return;
            }
            Verdict::Documented { section, name }
            | Verdict::StatusMismatch { section, name }
            | Verdict::WrongSection { section, name } => (section, name),
        };
        let key = CodeKey {
            class,
            section,
            name,
            status: fields.status,
        };
        self.codes
            .entry(key)
            .or_insert_with(|| Stat::new(loc))
            .record(fields.latency_us, loc);
        if let (Some(start), Class::Documented | Class::StatusMismatch) = (bucket, class) {
            *self
                .code_buckets
                .entry((section, name))
                .or_insert_with(|| CappedMap::new(MAX_BUCKETS))
                .entry(&start, || bucket_rank(start), || 0) += 1;
        }
    }

    /// Count a line of `class` and `status` in the bucket at `start` (held back in
    /// `pending_bucket` while lines fall in the same one).
    #[inline]
    fn count_in_bucket(&mut self, start: i64, class: Class, status: u16) {
        if let Some((pending, counts)) = &mut self.pending_bucket {
            if *pending == start {
                counts.record(class, status);
                return;
            }
        }
        self.flush();
        let mut counts = ClassTally::default();
        counts.record(class, status);
        self.pending_bucket = Some((start, counts));
    }

    /// The start of the time bucket `time_ms` falls in, when a series is wanted.
    #[inline]
    fn bucket_of(&self, time_ms: Option<i64>) -> Option<i64> {
        let width = self.config.bucket_ms?;
        let time_ms = time_ms?;
        // Most lines fall in the pending bucket: a compare, not a division.
        if let Some((start, _)) = self.pending_bucket {
            if time_ms
                .checked_sub(start)
                .is_some_and(|d| (0..width).contains(&d))
            {
                return Some(start);
            }
        }
        Some(time_ms.div_euclid(width) * width)
    }

    /// Count a line under `endpoint` (a path grouped by [`crate::classify::path::endpoint_into`]).
    pub fn record_endpoint(&mut self, endpoint: &[u8], class: Class, status: u16) {
        self.endpoint(endpoint).record(class, status);
    }

    /// Count `counts` under `endpoint`: the same as recording each of their lines.
    pub fn add_endpoint_counts(&mut self, endpoint: &[u8], counts: &ClassTally) {
        self.endpoint(endpoint).merge(counts);
    }

    /// The counts of `endpoint`, or of the endpoints not kept.
    fn endpoint(&mut self, endpoint: &[u8]) -> &mut ClassTally {
        self.endpoints
            .entry(endpoint, || hash_rank(endpoint), ClassTally::default)
    }

    fn record_undocumented(&mut self, name: &[u8], fields: &Fields<'_>, loc: Location) {
        self.undocumented
            .entry(name, || hash_rank(name), || Undocumented::new(loc))
            .record(fields.status, fields.time_ms, loc);
    }

    /// Add `other` into `self`. Exact for every count, and which capped keys keep
    /// a row of their own (names, endpoints, time buckets) does not depend on the
    /// merge order (see [`crate::tally::capped`]).
    pub fn merge(&mut self, mut other: Tally) {
        self.flush();
        other.flush();
        self.lines += other.lines;
        self.outside_window += other.outside_window;
        self.not_access += other.not_access;
        self.no_response += other.no_response;
        self.continued += other.continued;
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        for (a, b) in self.statuses.iter_mut().zip(&other.statuses) {
            *a += b;
        }
        self.unrouted += other.unrouted;
        self.bad_time += other.bad_time;
        self.bad_time_examples.extend(other.bad_time_examples);
        self.bad_time_examples.sort_unstable();
        self.bad_time_examples.truncate(self.config.max_examples);
        self.first_ms = min_opt(self.first_ms, other.first_ms);
        self.last_ms = max_opt(self.last_ms, other.last_ms);
        self.latency.merge(&other.latency);
        merge_stats(&mut self.codes, other.codes);
        merge_stats(&mut self.unnamed, other.unnamed);
        self.undocumented.merge(other.undocumented);
        for (reason, n) in other.malformed_reasons {
            *self.malformed_reasons.entry(reason).or_default() += n;
        }
        self.malformed_examples.extend(other.malformed_examples);
        self.malformed_examples.sort_unstable();
        self.malformed_examples.truncate(self.config.max_examples);
        self.buckets.merge(other.buckets);
        for (code, buckets) in other.code_buckets {
            match self.code_buckets.get_mut(&code) {
                Some(mine) => mine.merge(buckets),
                None => {
                    self.code_buckets.insert(code, buckets);
                }
            }
        }
        self.endpoints.merge(other.endpoints);
    }
}

fn merge_stats<K: std::hash::Hash + Eq>(into: &mut FxHashMap<K, Stat>, from: FxHashMap<K, Stat>) {
    for (k, s) in from {
        match into.get_mut(&k) {
            Some(mine) => mine.merge(&s),
            None => {
                into.insert(k, s);
            }
        }
    }
}

/// Keep `item` in `list` (sorted, at most `max` long) if it is among the `max`
/// smallest: chunks reach a tally in any order, and the examples must be the first
/// lines of the input whatever the order.
#[inline]
fn keep_earliest<T: Ord>(list: &mut Vec<T>, item: T, max: usize) {
    if list.len() == max && list.last().is_none_or(|last| item >= *last) {
        return;
    }
    let at = list.partition_point(|x| *x < item);
    list.insert(at, item);
    list.truncate(max);
}

/// Buckets rank by time, so the earliest ones are kept when there are too many.
pub(crate) fn bucket_rank(start: i64) -> u64 {
    (start as u64) ^ (1 << 63)
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Verdict;
    use crate::format::Fields;

    const MINUTE: i64 = 60_000;

    fn bucketed() -> Tally {
        Tally::new(TallyConfig {
            max_names: 10,
            max_examples: 10,
            max_endpoints: 10,
            bucket_ms: Some(MINUTE),
        })
    }

    /// A line at `time_ms` with `status`, ok or an unnamed error.
    fn record(tally: &mut Tally, time_ms: i64, status: u16) {
        let fields = Fields {
            status,
            time_ms: Some(time_ms),
            ..Fields::default()
        };
        let verdict = if status < 400 {
            Verdict::Ok
        } else {
            Verdict::UnnamedError
        };
        let loc = Location {
            input: 0,
            chunk: 0,
            line: 0,
        };
        tally.record(verdict, &fields, true, loc);
    }

    /// (start, requests, errors) of every bucket, in order, and the other bucket's
    /// requests.
    fn series(tally: &Tally) -> (Vec<(i64, u64, u64)>, u64) {
        let mut buckets: Vec<_> = (tally.buckets().iter())
            .map(|(&start, counts)| (start, counts.requests(), counts.errors))
            .collect();
        buckets.sort_unstable();
        let other = tally.buckets().other().map_or(0, ClassTally::requests);
        (buckets, other)
    }

    /// Lines held back in the pending bucket are counted exactly, whether they stay
    /// in one bucket, go back to an earlier one, sit on a bucket's edges or before
    /// the epoch, and whether the tally is flushed between lines or only at the end.
    #[test]
    fn buckets_count_every_line_however_they_alternate() {
        let lines = [
            (0, 200),
            (10, 500),
            (MINUTE - 1, 200),
            (MINUTE, 200),
            (5, 404),
            (2 * MINUTE + 7, 200),
            (MINUTE + 1, 503),
            (-1, 200),
            (-MINUTE, 200),
        ];
        let want = vec![
            (-MINUTE, 2, 0),
            (0, 4, 2),
            (MINUTE, 2, 1),
            (2 * MINUTE, 1, 0),
        ];
        let mut at_end = bucketed();
        let mut each = bucketed();
        for (time_ms, status) in lines {
            record(&mut at_end, time_ms, status);
            record(&mut each, time_ms, status);
            each.flush();
        }
        at_end.flush();
        assert_eq!(series(&at_end), (want.clone(), 0));
        assert_eq!(series(&each), (want, 0));
        // Merging flushes both sides: two unflushed halves give the same series.
        let mut first = bucketed();
        let mut second = bucketed();
        for (i, (time_ms, status)) in lines.into_iter().enumerate() {
            record(
                if i < 4 { &mut first } else { &mut second },
                time_ms,
                status,
            );
        }
        first.merge(second);
        assert_eq!(series(&first), series(&at_end));
    }

    /// Buckets past `MAX_BUCKETS` go to other whether or not they pass through the
    /// pending bucket first.
    #[test]
    fn pending_buckets_respect_the_cap() {
        let mut tally = bucketed();
        for i in 0..MAX_BUCKETS as i64 + 3 {
            record(&mut tally, i * MINUTE, 200);
            record(&mut tally, i * MINUTE + 1, 500);
        }
        tally.flush();
        let (buckets, other) = series(&tally);
        assert_eq!(buckets.len(), MAX_BUCKETS);
        assert_eq!(
            buckets.last(),
            Some(&((MAX_BUCKETS as i64 - 1) * MINUTE, 2, 1))
        );
        assert_eq!(other, 6);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "flushed before its buckets are read")]
    fn buckets_are_not_read_unflushed() {
        let mut tally = bucketed();
        record(&mut tally, 0, 200);
        let _ = tally.buckets();
    }

    #[test]
    fn earliest_examples_whatever_the_order() {
        let mut kept = Vec::new();
        for x in [9, 3, 7, 1, 8, 2, 2, 10] {
            keep_earliest(&mut kept, x, 3);
        }
        assert_eq!(kept, [1, 2, 2]);
        let mut none = Vec::new();
        keep_earliest(&mut none, 1, 0);
        assert!(none.is_empty());
    }
}
