//! Serde encodings the part files need for types that have no serde form of their own
//! (used through `#[serde(with = ...)]` on the metrics' fields).
//!
//! - [`hist`]: an HDR histogram as its bounds and the `(value, count)` pair of every
//!   non-empty bucket. Rebuilt with the same bounds and `record_n` of each pair, it has
//!   the same counts in the same buckets, the same total, minimum and maximum, so every
//!   quantile, mean and merge gives the same numbers (tests below and
//!   `tests/suite/distribute.rs` check it).
//! - [`pairs`]: a map whose keys are not strings (JSON object keys must be) as a list
//!   of `[key, value]` pairs, in the map's (sorted) order.

use hdrhistogram::Histogram;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A counter type a histogram can be rebuilt with (the ones archsim uses).
pub trait Count: hdrhistogram::Counter {
    /// The count `n`, if it fits.
    fn from_count(n: u64) -> Option<Self>;
}

impl Count for u64 {
    fn from_count(n: u64) -> Option<Self> {
        Some(n)
    }
}

impl Count for u32 {
    fn from_count(n: u64) -> Option<Self> {
        u32::try_from(n).ok()
    }
}

/// The serialised form of a histogram.
#[derive(Serialize, Deserialize)]
struct Buckets {
    low: u64,
    high: u64,
    sigfig: u8,
    /// `(value, count)` of every non-empty bucket, lowest first.
    counts: Vec<(u64, u64)>,
}

/// `#[serde(with = "hist")]` for a `Histogram<u64>` or `Histogram<u32>` field.
pub mod hist {
    use super::*;

    /// Writes the bounds and the non-empty buckets.
    pub fn serialize<T: Count, S: Serializer>(h: &Histogram<T>, s: S) -> Result<S::Ok, S::Error> {
        Buckets {
            low: h.low(),
            high: h.high(),
            sigfig: h.sigfig(),
            counts: h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value().as_u64()))
                .collect(),
        }
        .serialize(s)
    }

    /// Rebuilds the histogram: same bounds, each bucket's count recorded at its value.
    pub fn deserialize<'de, T: Count, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Histogram<T>, D::Error> {
        let b = Buckets::deserialize(d)?;
        let mut h = Histogram::new_with_bounds(b.low, b.high, b.sigfig)
            .map_err(|e| D::Error::custom(format!("histogram bounds: {e:?}")))?;
        for (value, count) in b.counts {
            let count = T::from_count(count)
                .ok_or_else(|| D::Error::custom("histogram count out of range"))?;
            h.record_n(value, count)
                .map_err(|e| D::Error::custom(format!("histogram value {value}: {e:?}")))?;
        }
        Ok(h)
    }
}

/// `#[serde(with = "pairs")]` for a `BTreeMap` with non-string keys.
pub mod pairs {
    use super::*;
    use std::collections::BTreeMap;

    /// Writes the entries as `[key, value]` pairs, in key order.
    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        m: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    /// Reads the pairs back; a repeated key is an error.
    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        let entries = Vec::<(K, V)>::deserialize(d)?;
        let n = entries.len();
        let m: BTreeMap<K, V> = entries.into_iter().collect();
        if m.len() != n {
            return Err(D::Error::custom("repeated key"));
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct H64(#[serde(with = "hist")] Histogram<u64>);
    #[derive(Serialize, Deserialize)]
    struct H32(#[serde(with = "hist")] Histogram<u32>);

    #[test]
    fn histograms_round_trip_with_identical_figures() {
        let mut h = crate::metrics::new_histogram();
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            // A spread of values over many buckets, the top one included.
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            h.saturating_record(1 + (x >> 20) % 4_000_000_000_000);
        }
        h.record(1).unwrap();
        let json = serde_json::to_string(&H64(h.clone())).unwrap();
        let back = serde_json::from_str::<H64>(&json).unwrap().0;
        assert!(back == h);
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
            assert_eq!(back.value_at_quantile(q), h.value_at_quantile(q));
        }
        assert_eq!(back.mean().to_bits(), h.mean().to_bits());
        assert_eq!(back.stdev().to_bits(), h.stdev().to_bits());
        assert_eq!(
            (back.min(), back.max(), back.len()),
            (h.min(), h.max(), h.len())
        );
        let mut merged = crate::metrics::new_histogram();
        merged.add(&back).unwrap();
        assert!(merged == h);
        // And it serialises to the same bytes again.
        assert_eq!(serde_json::to_string(&H64(back)).unwrap(), json);

        let mut small = Histogram::<u32>::new_with_bounds(1_000, 3_600_000_000_000, 2).unwrap();
        small.record_n(5_000_000, 7).unwrap();
        small.record(123_456).unwrap();
        let json = serde_json::to_string(&H32(small.clone())).unwrap();
        let back = serde_json::from_str::<H32>(&json).unwrap().0;
        assert!(back == small);
        assert_eq!(back.value_at_quantile(0.5), small.value_at_quantile(0.5));
    }

    #[test]
    fn bad_histograms_are_errors_not_panics() {
        for bad in [
            r#"{"low":0,"high":10,"sigfig":3,"counts":[]}"#,
            r#"{"low":1,"high":1000,"sigfig":3,"counts":[[5000000,1]]}"#,
            r#"{"low":1,"high":1000,"sigfig":9,"counts":[]}"#,
        ] {
            assert!(serde_json::from_str::<H64>(bad).is_err(), "{bad}");
        }
        let huge = r#"{"low":1,"high":1000,"sigfig":3,"counts":[[5,5000000000]]}"#;
        assert!(serde_json::from_str::<H32>(huge).is_err());
    }
}
