//! The live histogram of a timeline interval: HDR's buckets, read and emptied in time
//! proportional to the range of values the interval saw.
//!
//! A timeline closes up to 600 intervals per flow and replication whatever the traffic,
//! and `hdrhistogram` reads a quantile by scanning its counts from the first bucket and
//! empties them all (3 328 of them for 1 µs .. 1 h at 2 significant digits): about 35 k
//! instructions per flow and interval, 4.8% of a sweep of `scenarios/checkout-sync.toml`.
//! This keeps the same buckets (the layout `hdrhistogram` gives the same bounds and
//! precision, the bucket of a value found by its arithmetic), remembers the lowest and
//! highest bucket recorded into, and scans and empties only those. Quantiles are
//! `Histogram::value_at_quantile`'s, exactly (the tests record the same values into
//! both); the values handed to a baseline's prefix are its recorded iterator's.

use hdrhistogram::Histogram;

/// Bounds and precision of an interval histogram (ns).
const LOW: u64 = 1_000;
const HIGH: u64 = 3_600_000_000_000;
const SIGFIG: u8 = 2;

/// A histogram of the interval's response latencies (ns).
#[derive(Clone, Debug)]
pub(super) struct IntervalHistogram {
    counts: Vec<u32>,
    /// Buckets `[lo, hi]` hold every recorded value (`lo > hi` when empty).
    lo: usize,
    hi: usize,
    total: u64,
    unit_magnitude: u32,
    sub_bucket_half_count_magnitude: u32,
    sub_bucket_half_count: u32,
    sub_bucket_mask: u64,
    leading_zero_count_base: u32,
}

/// An `hdrhistogram` of the interval histograms' bounds and precision.
pub(super) fn interval_layout<T: hdrhistogram::Counter>() -> Histogram<T> {
    Histogram::new_with_bounds(LOW, HIGH, SIGFIG).expect("valid static bounds")
}

/// Buckets of the layout (`distinct_values`; computed once, not per flow).
fn counts_len() -> usize {
    static LEN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LEN.get_or_init(|| interval_layout::<u8>().distinct_values())
}

impl IntervalHistogram {
    pub fn new() -> Self {
        // `hdrhistogram`'s derivation of its layout from the bounds and precision.
        let unit_magnitude = (LOW as f64).log2().floor() as u32;
        let single_unit_resolution = 2 * 10u32.pow(u32::from(SIGFIG));
        let sub_bucket_count_magnitude = f64::from(single_unit_resolution).log2().ceil() as u32;
        let sub_bucket_half_count_magnitude = sub_bucket_count_magnitude.max(1) - 1;
        let sub_bucket_count = 1u32 << (sub_bucket_half_count_magnitude + 1);
        IntervalHistogram {
            counts: vec![0; counts_len()],
            lo: usize::MAX,
            hi: 0,
            total: 0,
            unit_magnitude,
            sub_bucket_half_count_magnitude,
            sub_bucket_half_count: sub_bucket_count / 2,
            sub_bucket_mask: u64::from(sub_bucket_count - 1) << unit_magnitude,
            leading_zero_count_base: 64 - unit_magnitude - sub_bucket_half_count_magnitude - 1,
        }
    }

    /// The bucket of `value` (`hdrhistogram`'s `index_for`).
    #[inline]
    fn index_of(&self, value: u64) -> usize {
        let bucket = self.leading_zero_count_base - (value | self.sub_bucket_mask).leading_zeros();
        let sub_bucket = (value >> (bucket + self.unit_magnitude)) as u32;
        let base = (bucket + 1) << self.sub_bucket_half_count_magnitude;
        (base + sub_bucket - self.sub_bucket_half_count) as usize
    }

    /// The highest value of bucket `index`: `hdrhistogram`'s `highest_equivalent` of its
    /// `value_for`, the bucket's lowest value plus its width less one.
    fn value_of(&self, index: usize) -> u64 {
        let half = self.sub_bucket_half_count as usize;
        let bucket = (index >> self.sub_bucket_half_count_magnitude) as i64 - 1;
        let sub_bucket = (index & (half - 1)) + half;
        let (bucket, sub_bucket) = if bucket < 0 {
            (0, sub_bucket - half)
        } else {
            (bucket as u32, sub_bucket)
        };
        let shift = bucket + self.unit_magnitude;
        ((sub_bucket as u64) << shift) + ((1u64 << shift) - 1)
    }

    /// Record `value` as `saturating_record` does: past the last bucket, in the bucket
    /// of the highest bound.
    #[inline]
    pub fn record(&mut self, value: u64) {
        let mut index = self.index_of(value);
        if index >= self.counts.len() {
            index = self.index_of(HIGH);
        }
        let c = &mut self.counts[index];
        *c = c.saturating_add(1);
        self.total = self.total.saturating_add(1);
        self.lo = self.lo.min(index);
        self.hi = self.hi.max(index);
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `value_at_quantile` for each of the ascending `qs` (each in (0, 1]).
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [u64; N] {
        debug_assert!(!self.is_empty(), "quantiles of an empty interval");
        let mut out = [0; N];
        let mut index = self.lo;
        let mut below = 0u64; // recorded in buckets before `index`
        for (slot, &q) in out.iter_mut().zip(&qs) {
            debug_assert!(q > 0.0 && q <= 1.0, "quantile {q}");
            let target = ((q * self.total as f64).ceil() as u64).max(1);
            while below + u64::from(self.counts[index]) < target && index < self.hi {
                below += u64::from(self.counts[index]);
                index += 1;
            }
            *slot = self.value_of(index);
        }
        out
    }

    /// Each recorded bucket as `(value, count)`, as `iter_recorded` gives them
    /// (`value_iterated_to`, `count_at_value`).
    pub fn recorded(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let range = if self.is_empty() {
            0..0
        } else {
            self.lo..self.hi + 1
        };
        range
            .filter(|&i| self.counts[i] > 0)
            .map(|i| (self.value_of(i), self.counts[i]))
    }

    /// Empty it (only the buckets it recorded into).
    pub fn reset(&mut self) {
        if !self.is_empty() {
            self.counts[self.lo..=self.hi].fill(0);
        }
        self.lo = usize::MAX;
        self.hi = 0;
        self.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(values: &[u64]) -> (IntervalHistogram, Histogram<u32>) {
        let mut ours = IntervalHistogram::new();
        let mut theirs = interval_layout::<u32>();
        for &v in values {
            ours.record(v);
            theirs.saturating_record(v);
        }
        (ours, theirs)
    }

    const GRID: [f64; 8] = [1e-9, 0.01, 0.5, 0.9, 0.99, 0.999, 0.999_999, 1.0];

    proptest! {
        /// Bucket arithmetic: a value's bucket ends at `highest_equivalent`.
        #[test]
        fn buckets_are_hdrhistograms(v in 1u64..HIGH) {
            let h = IntervalHistogram::new();
            let layout = interval_layout::<u8>();
            prop_assert_eq!(h.value_of(h.index_of(v)), layout.highest_equivalent(v));
        }

        /// Quantiles and recorded buckets equal `hdrhistogram`'s for the same values,
        /// over latencies from under the lowest bound to past the highest.
        #[test]
        fn quantiles_and_buckets_are_hdrhistograms(
            values in proptest::collection::vec(
                prop_oneof![1u64..2_000, 1_000u64..100_000_000, 1u64..u64::MAX / 2],
                1..400,
            ),
        ) {
            let (ours, theirs) = both(&values);
            for (q, v) in GRID.iter().zip(ours.quantiles(GRID)) {
                prop_assert_eq!(v, theirs.value_at_quantile(*q), "quantile {}", q);
            }
            let recorded: Vec<(u64, u32)> = theirs
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect();
            prop_assert_eq!(ours.recorded().collect::<Vec<_>>(), recorded);
        }
    }

    #[test]
    fn a_reset_empties_it_for_the_next_interval() {
        let (mut ours, _) = both(&[5_000, 7_000_000, 90_000_000_000]);
        ours.reset();
        assert!(ours.is_empty() && ours.counts.iter().all(|&c| c == 0));
        assert_eq!(ours.recorded().count(), 0);
        let (again, theirs) = both(&[42_000]);
        ours.record(42_000);
        assert_eq!(ours.quantiles([0.5]), again.quantiles([0.5]));
        assert_eq!(ours.quantiles([0.5])[0], theirs.value_at_quantile(0.5));
    }
}
