//! Latency samples of one key (a code, an unnamed status, all lines): the few
//! values of a rare key as recorded, the many of a common one as counts in an HDR
//! histogram's layout, with an exact merge either way; percentiles are read from an
//! [`hdrhistogram::Histogram`] built from them.
//!
//! Why two forms: a tally keeps latencies per (section, name, status) seen, a few
//! hundred keys in a gateway log, and most of them (status mismatches, wrong
//! sections) hold a few dozen lines per thread on a small input. Counts that cover
//! gateway latencies take kilobytes, so those few lines cost a fresh allocation,
//! its page faults and its growth, and then a pass over every count to merge each
//! thread's and to build the report. That was most of the fixed cost of a run, the
//! part that makes 100 MB slower per byte than 1 GB (figures in
//! docs/performance.md).
//!
//! Why counts of our own: a line records one latency, and `Histogram::record`
//! (a call, checked index arithmetic, a saturating add, minimum, maximum and total
//! updates) took dozens of instructions of it. [`Counts::record`] computes the same
//! index in a few and adds one; the total, minimum and maximum follow from the
//! counts when a report asks.
//!
//! Exactness: a histogram's counts depend only on which values were recorded, not
//! on their order or on how they were split and added; and every value of one
//! bucket reads the same (its percentiles and maximum are the bucket's). So counts
//! kept in the histogram's own layout, and turned into a histogram by recording
//! each bucket's lowest value as often as the bucket counts, read exactly as
//! recording each line's value would (a test holds both to the crate on values of
//! every magnitude).

use hdrhistogram::Histogram;

/// Values kept as recorded before they move into counts.
pub const FEW: usize = 64;

/// Significant digits of the histograms: 2 (1 % error) keep each a few KiB while
/// percentiles stay exact enough to read.
const SIGNIFICANT_DIGITS: u8 = 2;

/// Latency samples in microseconds, read through [`Latency::histogram`].
#[derive(Debug, Clone)]
pub struct Latency(Samples);

#[derive(Debug, Clone)]
enum Samples {
    /// At most [`FEW`] values, in no particular order.
    Few(Vec<u64>),
    Many(Counts),
}

impl Default for Latency {
    fn default() -> Self {
        Latency(Samples::Few(Vec::new()))
    }
}

impl Latency {
    /// Record one latency, in microseconds.
    #[inline]
    pub fn record(&mut self, micros: u64) {
        match &mut self.0 {
            Samples::Many(counts) => counts.record(micros),
            Samples::Few(values) if values.len() < FEW => values.push(micros),
            Samples::Few(_) => self.make_counts().record(micros),
        }
    }

    /// Add `other`'s latencies: the same as recording each of them here.
    pub fn merge(&mut self, other: &Latency) {
        match (&mut self.0, &other.0) {
            (_, Samples::Few(theirs)) if theirs.is_empty() => {}
            (Samples::Few(ours), Samples::Few(theirs)) if ours.len() + theirs.len() <= FEW => {
                ours.extend_from_slice(theirs);
            }
            (_, Samples::Few(theirs)) => {
                let counts = self.make_counts();
                theirs.iter().for_each(|&micros| counts.record(micros));
            }
            (_, Samples::Many(theirs)) => self.make_counts().add(theirs),
        }
    }

    /// The samples as a histogram, for reading percentiles.
    pub fn histogram(&self) -> Histogram<u64> {
        let mut histogram =
            Histogram::new(SIGNIFICANT_DIGITS).expect("2 significant digits is a valid precision");
        match &self.0 {
            Samples::Few(values) => {
                for &micros in values {
                    record_n(&mut histogram, micros, 1);
                }
            }
            Samples::Many(counts) => {
                for (index, &n) in counts.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                    record_n(&mut histogram, lowest_value(index), n);
                }
                // The crate reads a maximum of u64::MAX as such, and any other value
                // of the last bucket as one less.
                let mut last = counts.last;
                if counts.last_has_max {
                    record_n(&mut histogram, u64::MAX, 1);
                    last -= 1;
                }
                if last > 0 {
                    record_n(&mut histogram, lowest_value(LAST), last);
                }
            }
        }
        histogram
    }

    /// The samples without loss, for a partial report ([`crate::fleet::partial`]):
    /// `(exact, pairs)`, pairs of (value, count) in ascending order of value. While
    /// few, `exact` and the values as recorded; else each non-empty bucket's lowest
    /// value (u64::MAX apart, as the crate reads it) and its count. Which form a
    /// latency has depends only on how many samples it holds (at most [`FEW`]:
    /// exact), never on how they were split, so the same lines give the same pairs.
    pub fn to_pairs(&self) -> (bool, Vec<(u64, u64)>) {
        match &self.0 {
            Samples::Few(values) => {
                let mut sorted = values.clone();
                sorted.sort_unstable();
                let mut pairs: Vec<(u64, u64)> = Vec::new();
                for v in sorted {
                    match pairs.last_mut() {
                        Some((last, n)) if *last == v => *n += 1,
                        _ => pairs.push((v, 1)),
                    }
                }
                (true, pairs)
            }
            Samples::Many(counts) => {
                let mut pairs: Vec<(u64, u64)> = (counts.counts.iter().enumerate())
                    .filter(|(_, n)| **n > 0)
                    .map(|(index, &n)| (lowest_value(index), n))
                    .collect();
                let mut last = counts.last;
                if counts.last_has_max {
                    last -= 1;
                }
                if last > 0 {
                    pairs.push((lowest_value(LAST), last));
                }
                if counts.last_has_max {
                    pairs.push((u64::MAX, 1));
                }
                (false, pairs)
            }
        }
    }

    /// The latency [`Latency::to_pairs`] described; why not, for pairs it cannot
    /// have written (more than [`FEW`] exact values, a value that does not start
    /// its bucket, values out of order).
    pub fn from_pairs(exact: bool, pairs: &[(u64, u64)]) -> Result<Latency, String> {
        if pairs.windows(2).any(|w| w[0].0 >= w[1].0) || pairs.iter().any(|p| p.1 == 0) {
            return Err("latency values are not ascending with counts above 0".into());
        }
        let total = pairs
            .iter()
            .try_fold(0u64, |sum, p| sum.checked_add(p.1))
            .ok_or("latency counts overflow")?;
        if exact {
            if total > FEW as u64 {
                return Err(format!("more than {FEW} exact latency values"));
            }
            let values = pairs
                .iter()
                .flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
                .collect();
            return Ok(Latency(Samples::Few(values)));
        }
        let mut counts = Counts::default();
        for &(value, n) in pairs {
            let index = bucket_index(value);
            if value != lowest_value(index) && value != u64::MAX {
                return Err(format!("latency value {value} does not start its bucket"));
            }
            if index == LAST {
                if value == u64::MAX && n != 1 {
                    return Err("u64::MAX counted more than once".into());
                }
                counts.last += n;
                counts.last_has_max |= value == u64::MAX;
            } else {
                counts.record_beyond_n(index, n);
            }
        }
        Ok(Latency(Samples::Many(counts)))
    }

    /// Move the kept values into counts, if they are not in counts yet.
    fn make_counts(&mut self) -> &mut Counts {
        if let Samples::Few(values) = &self.0 {
            let mut counts = Counts::default();
            values.iter().for_each(|&micros| counts.record(micros));
            self.0 = Samples::Many(counts);
        }
        match &mut self.0 {
            Samples::Many(counts) => counts,
            Samples::Few(_) => unreachable!("just moved into counts"),
        }
    }
}

#[inline]
fn record_n(histogram: &mut Histogram<u64>, micros: u64, n: u64) {
    // An auto-resizing histogram accepts any u64, so this cannot fail.
    let _ = histogram.record_n(micros, n);
}

/// Counts per bucket in the layout of an auto-resizing `Histogram::new(2)`:
/// 256 sub-buckets, the values 0 to 255 one each, then for each power of two
/// `b` from 1 on, 128 sub-buckets of width `2^b` covering `128 << b` up to
/// `256 << b`. Index `b * 128 + (value >> b)`, the crate's own (its
/// `index_for` with a unit of 1).
#[derive(Debug, Clone, Default)]
struct Counts {
    /// Grown a block of 128 at a time to the highest index recorded, never to
    /// [`LAST`].
    counts: Vec<u64>,
    /// The bucket at [`LAST`] (values from `255 << 56` on), and whether it
    /// holds u64::MAX itself, whose maximum the crate reads apart.
    last: u64,
    last_has_max: bool,
}

impl Counts {
    #[inline]
    fn record(&mut self, value: u64) {
        let index = bucket_index(value);
        match self.counts.get_mut(index) {
            Some(count) => *count += 1,
            None => self.record_beyond(value, index),
        }
    }

    /// Record a value past the counts so far: grow them, or count the last bucket.
    #[cold]
    fn record_beyond(&mut self, value: u64, index: usize) {
        if index == LAST {
            self.last += 1;
            self.last_has_max |= value == u64::MAX;
            return;
        }
        self.counts
            .resize(((index | (SUB_BUCKETS_HALF - 1)) + 1).min(LAST), 0);
        self.counts[index] += 1;
    }

    /// Count `n` values of the bucket at `index` (below [`LAST`]).
    fn record_beyond_n(&mut self, index: usize, n: u64) {
        if index >= self.counts.len() {
            self.counts
                .resize(((index | (SUB_BUCKETS_HALF - 1)) + 1).min(LAST), 0);
        }
        self.counts[index] += n;
    }

    fn add(&mut self, other: &Counts) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (ours, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *ours += theirs;
        }
        self.last += other.last;
        self.last_has_max |= other.last_has_max;
    }
}

/// The index of the last bucket, u64::MAX's.
const LAST: usize = 56 * SUB_BUCKETS_HALF + 255;

/// Half the sub-buckets of a power of two: the width of a bucket's index block.
const SUB_BUCKETS_HALF: usize = 128;

/// The index of `value`'s bucket (see [`Counts`]).
#[inline(always)]
fn bucket_index(value: u64) -> usize {
    // The power of two: 0 for values below 256, else how far the top bit is
    // above bit 7.
    let power = 56 - (value | 255).leading_zeros();
    power as usize * SUB_BUCKETS_HALF + (value >> power) as usize
}

/// The lowest value of the bucket at `index`.
fn lowest_value(index: usize) -> u64 {
    if index < 2 * SUB_BUCKETS_HALF {
        return index as u64;
    }
    let power = index / SUB_BUCKETS_HALF - 1;
    let sub_bucket = (index % SUB_BUCKETS_HALF + SUB_BUCKETS_HALF) as u64;
    sub_bucket << power
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What a report reads of a histogram.
    fn reading(h: &Histogram<u64>) -> (u64, u64, u64, Vec<u64>) {
        let quantiles = [0.0, 0.5, 0.9, 0.99, 1.0].map(|q| h.value_at_quantile(q));
        (h.len(), h.min(), h.max(), quantiles.to_vec())
    }

    /// Values of every magnitude: all below 5000, and around and between every
    /// power of two up to the largest u64.
    fn every_magnitude() -> Vec<u64> {
        let mut values: Vec<u64> = (0..5000).collect();
        for power in 8..64 {
            let p = 1u64 << power;
            values.extend([p - 1, p, p + 1, p + p / 3, p + p / 2 + 7]);
        }
        values.push(u64::MAX);
        values
    }

    /// A value's bucket starts where the crate says its equivalent values start,
    /// and the lowest value of a bucket is in it.
    #[test]
    fn buckets_are_the_crates() {
        let h = one_histogram(&[]);
        for v in every_magnitude() {
            let index = bucket_index(v);
            assert_eq!(lowest_value(index), h.lowest_equivalent(v), "{v}");
            assert_eq!(bucket_index(lowest_value(index)), index, "{v}");
        }
    }

    #[test]
    fn values_of_every_magnitude_read_as_the_crates_histogram() {
        let values = every_magnitude();
        let mut latency = Latency::default();
        values.iter().for_each(|&v| latency.record(v));
        assert!(matches!(latency.0, Samples::Many(_)));
        assert_eq!(
            reading(&latency.histogram()),
            reading(&one_histogram(&values))
        );
        // And each alone, from few values.
        for &v in &values {
            let mut one = Latency::default();
            one.record(v);
            assert_eq!(
                reading(&one.histogram()),
                reading(&one_histogram(&[v])),
                "{v}"
            );
        }
    }

    /// The crate's histogram of `values`, recorded one by one.
    fn one_histogram(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::new(SIGNIFICANT_DIGITS).unwrap();
        values.iter().for_each(|&v| h.record(v).unwrap());
        h
    }

    #[test]
    fn few_values_stay_as_recorded_and_more_move_into_counts() {
        let mut latency = Latency::default();
        for micros in 0..FEW as u64 {
            latency.record(micros * 1000);
        }
        assert!(matches!(&latency.0, Samples::Few(v) if v.len() == FEW));
        latency.record(7);
        assert!(matches!(latency.0, Samples::Many(_)));
        let all: Vec<u64> = (0..FEW as u64).map(|m| m * 1000).chain([7]).collect();
        assert_eq!(reading(&latency.histogram()), reading(&one_histogram(&all)));
    }

    #[test]
    fn merging_empty_few_and_many_in_every_pairing() {
        let few: Vec<u64> = (1..=10).map(|m| m * 37).collect();
        let many: Vec<u64> = (1..=200).map(|m| m * 991).collect();
        let build = |values: &[u64]| {
            let mut l = Latency::default();
            values.iter().for_each(|&v| l.record(v));
            l
        };
        for a in [&[][..], &few, &many] {
            for b in [&[][..], &few, &many] {
                let mut merged = build(a);
                merged.merge(&build(b));
                let all: Vec<u64> = a.iter().chain(b).copied().collect();
                assert_eq!(reading(&merged.histogram()), reading(&one_histogram(&all)));
                let kept_few = matches!(merged.0, Samples::Few(_));
                assert_eq!(kept_few, all.len() <= FEW, "{} + {}", a.len(), b.len());
            }
        }
    }

    /// Pairs give back a latency that reads the same and gives the same pairs, few
    /// or many, u64::MAX and the last bucket included; pairs it cannot have written
    /// are refused.
    #[test]
    fn pairs_round_trip_and_bad_pairs_are_refused() {
        for values in [vec![], vec![5, 5, 3], every_magnitude()] {
            let mut latency = Latency::default();
            values.iter().for_each(|&v| latency.record(v));
            let (exact, pairs) = latency.to_pairs();
            assert_eq!(exact, values.len() <= FEW);
            let back = Latency::from_pairs(exact, &pairs).unwrap();
            assert_eq!(back.to_pairs(), (exact, pairs));
            assert_eq!(reading(&back.histogram()), reading(&latency.histogram()));
        }
        assert!(Latency::from_pairs(false, &[(257, 1)]).is_err());
        assert!(Latency::from_pairs(true, &[(1, 65)]).is_err());
        assert!(Latency::from_pairs(true, &[(2, 1), (1, 1)]).is_err());
        assert!(Latency::from_pairs(false, &[(u64::MAX, 2)]).is_err());
        assert!(Latency::from_pairs(false, &[(1, 0)]).is_err());
    }

    proptest! {
        /// However values are split into parts, recorded and merged, a report
        /// reads what one histogram of all of them gives.
        #[test]
        fn any_split_reads_as_one_histogram(
            parts in proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![0u64..5_000_000, 0u64..u64::MAX / 2, proptest::num::u64::ANY],
                    0..150,
                ),
                1..6,
            ),
        ) {
            let mut merged = Latency::default();
            for part in &parts {
                let mut latency = Latency::default();
                for &micros in part {
                    latency.record(micros);
                }
                merged.merge(&latency);
            }
            let all: Vec<u64> = parts.concat();
            prop_assert_eq!(reading(&merged.histogram()), reading(&one_histogram(&all)));
        }
    }
}
