//! Latency samples of one key (a code, an unnamed status, all lines): the few
//! values of a rare key as recorded, the many of a common one in an HDR histogram,
//! with an exact merge either way.
//!
//! Why two forms: a tally keeps a histogram per (section, name, status) seen, a few
//! hundred in a gateway log, and most of them (status mismatches, wrong sections)
//! hold a few dozen lines per thread on a small input. A histogram that covers
//! gateway latencies holds about 1,400 counts (11 KiB), so those few lines cost a
//! fresh allocation, its page faults and its growth, and then a pass over every
//! count to merge each thread's and to build the report. That was most of the
//! fixed cost of a run, the part that makes 100 MB slower per byte than 1 GB.
//!
//! Exactness: a histogram's counts depend only on which values were recorded, not
//! on their order or on how they were split and added, so recording the kept
//! values into a histogram (when they outgrow [`FEW`], when merged into one, or
//! when a report reads them) gives the histogram that recording each line would
//! have given.

use std::borrow::Cow;

use hdrhistogram::Histogram;

/// Values kept as recorded before they move into a histogram.
pub const FEW: usize = 64;

/// Latency samples in microseconds. Read through [`Latency::histogram`]: 2
/// significant digits (1 % error) keep each histogram a few KiB while percentiles
/// stay exact enough to read; it resizes itself.
#[derive(Debug, Clone)]
pub struct Latency(Samples);

#[derive(Debug, Clone)]
enum Samples {
    /// At most [`FEW`] values, in no particular order.
    Few(Vec<u64>),
    Many(Histogram<u64>),
}

impl Default for Latency {
    fn default() -> Self {
        Latency(Samples::Few(Vec::new()))
    }
}

impl Latency {
    #[inline]
    pub fn record(&mut self, micros: u64) {
        match &mut self.0 {
            Samples::Many(histogram) => record(histogram, micros),
            Samples::Few(values) if values.len() < FEW => values.push(micros),
            Samples::Few(_) => {
                let histogram = self.make_histogram();
                record(histogram, micros);
            }
        }
    }

    pub fn merge(&mut self, other: &Latency) {
        match (&mut self.0, &other.0) {
            (_, Samples::Few(theirs)) if theirs.is_empty() => {}
            (Samples::Few(ours), Samples::Few(theirs)) if ours.len() + theirs.len() <= FEW => {
                ours.extend_from_slice(theirs);
            }
            (_, Samples::Few(theirs)) => {
                let histogram = self.make_histogram();
                for &micros in theirs {
                    record(histogram, micros);
                }
            }
            (_, Samples::Many(theirs)) => {
                self.make_histogram()
                    .add(theirs)
                    .expect("auto-resizing histograms always add");
            }
        }
    }

    /// The samples as a histogram (built from the kept values when they are few).
    pub fn histogram(&self) -> Cow<'_, Histogram<u64>> {
        match &self.0 {
            Samples::Many(histogram) => Cow::Borrowed(histogram),
            Samples::Few(values) => Cow::Owned(histogram_of(values)),
        }
    }

    /// Move the kept values into a histogram, if they are not in one yet.
    fn make_histogram(&mut self) -> &mut Histogram<u64> {
        if let Samples::Few(values) = &self.0 {
            self.0 = Samples::Many(histogram_of(values));
        }
        match &mut self.0 {
            Samples::Many(histogram) => histogram,
            Samples::Few(_) => unreachable!("just moved into a histogram"),
        }
    }
}

fn histogram_of(values: &[u64]) -> Histogram<u64> {
    let mut histogram = Histogram::new(2).expect("2 significant digits is a valid precision");
    for &micros in values {
        record(&mut histogram, micros);
    }
    histogram
}

#[inline]
fn record(histogram: &mut Histogram<u64>, micros: u64) {
    // An auto-resizing histogram accepts any u64, so this cannot fail.
    let _ = histogram.record(micros);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What a report reads of a histogram.
    fn reading(latency: &Latency) -> (u64, u64, u64, Vec<u64>) {
        let h = latency.histogram();
        let quantiles = [0.0, 0.5, 0.9, 0.99, 1.0].map(|q| h.value_at_quantile(q));
        (h.len(), h.min(), h.max(), quantiles.to_vec())
    }

    fn one_histogram(values: &[u64]) -> Latency {
        Latency(Samples::Many(histogram_of(values)))
    }

    #[test]
    fn few_values_stay_as_recorded_and_more_move_into_a_histogram() {
        let mut latency = Latency::default();
        for micros in 0..FEW as u64 {
            latency.record(micros * 1000);
        }
        assert!(matches!(&latency.0, Samples::Few(v) if v.len() == FEW));
        latency.record(7);
        assert!(matches!(latency.0, Samples::Many(_)));
        let all: Vec<u64> = (0..FEW as u64).map(|m| m * 1000).chain([7]).collect();
        assert_eq!(reading(&latency), reading(&one_histogram(&all)));
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
                assert_eq!(reading(&merged), reading(&one_histogram(&all)));
                let kept_few = matches!(merged.0, Samples::Few(_));
                assert_eq!(kept_few, all.len() <= FEW, "{} + {}", a.len(), b.len());
            }
        }
    }

    proptest! {
        /// However values are split into parts, recorded and merged, a report
        /// reads what one histogram of all of them gives.
        #[test]
        fn any_split_reads_as_one_histogram(
            parts in proptest::collection::vec(
                proptest::collection::vec(0u64..5_000_000, 0..150), 1..6),
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
            prop_assert_eq!(reading(&merged), reading(&one_histogram(&all)));
        }
    }
}
