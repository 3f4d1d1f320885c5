//! Time-weighted integrals of a level (busy workers, queue length).

use crate::kernel::SimTime;
use serde::{Deserialize, Serialize};

/// The integral over time of an integer level, with its peak.
///
/// A change of level is the hot path (every execution starts and ends one), so it does
/// not accumulate the area: it keeps `offset` such that the area since time 0 up to
/// any `t` after the last change is `offset + level * t` (with `offset` the sum of
/// `-delta * at` over the changes), and the area is formed only when it is read. The
/// sums are exact integers (wrapping `u128` arithmetic whose result is in range), so
/// they equal the step-by-step integral bit for bit.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoredIntegral", into = "StoredIntegral")]
pub struct TimeIntegral {
    level: u64,
    /// `area(t) = offset + level * t` (wrapping) for `t` after the last change.
    offset: u128,
    /// When the area was last formed (`close`, `reset`, `lifetime_area`).
    closed_at: SimTime,
    /// Area since time 0 up to `closed_at`, never reset (for per-interval timelines).
    closed_area: u128,
    /// The area at the last reset: the area since then is the difference.
    area_at_reset: u128,
    peak: u64,
}

/// How a [`TimeIntegral`] is written in a replication's part file: the area formed at
/// the last close, as it has always been stored.
#[derive(Clone, Serialize, Deserialize)]
struct StoredIntegral {
    level: u64,
    last: SimTime,
    lifetime_area: u128,
    area_at_reset: u128,
    peak: u64,
}

impl From<TimeIntegral> for StoredIntegral {
    fn from(t: TimeIntegral) -> Self {
        StoredIntegral {
            level: t.level,
            last: t.closed_at,
            lifetime_area: t.closed_area,
            area_at_reset: t.area_at_reset,
            peak: t.peak,
        }
    }
}

impl From<StoredIntegral> for TimeIntegral {
    fn from(s: StoredIntegral) -> Self {
        TimeIntegral {
            level: s.level,
            offset: s
                .lifetime_area
                .wrapping_sub(s.level as u128 * s.last as u128),
            closed_at: s.last,
            closed_area: s.lifetime_area,
            area_at_reset: s.area_at_reset,
            peak: s.peak,
        }
    }
}

impl TimeIntegral {
    /// Change the level by `delta` at time `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: i64) {
        self.offset = self
            .offset
            .wrapping_sub((i128::from(delta) * i128::from(now)) as u128);
        self.level = (self.level as i64 + delta) as u64;
        self.peak = self.peak.max(self.level);
    }

    /// Form the area up to `now` (at or after the last change).
    fn close_at(&mut self, now: SimTime) {
        self.closed_at = now;
        self.closed_area = self.offset.wrapping_add(self.level as u128 * now as u128);
    }

    /// Forget the area accumulated so far (end of warm-up); the level is kept, and so
    /// is the lifetime area (up to `now`).
    pub fn reset(&mut self, now: SimTime) {
        self.close_at(now);
        self.area_at_reset = self.closed_area;
        self.peak = self.level;
    }

    /// Close the integral at `now` (end of the run).
    pub fn close(&mut self, now: SimTime) {
        self.close_at(now);
    }

    /// Area since time 0 up to `now` (closes the integral at `now`).
    pub fn lifetime_area(&mut self, now: SimTime) -> u128 {
        self.close_at(now);
        self.closed_area
    }

    /// Current level.
    pub fn level(&self) -> u64 {
        self.level
    }

    /// Peak level since the last reset.
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Time average over `window` ns, of the area up to the last close.
    pub fn mean(&self, window: SimTime) -> f64 {
        if window == 0 {
            0.0
        } else {
            (self.closed_area - self.area_at_reset) as f64 / window as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_levels_over_time() {
        let mut t = TimeIntegral::default();
        t.add(0, 2);
        t.add(10, -1);
        t.close(30);
        // 2 for 10 ns, then 1 for 20 ns: area 40 over 30 ns.
        assert!((t.mean(30) - 40.0 / 30.0).abs() < 1e-12);
        assert_eq!(t.peak(), 2);
        t.reset(30);
        t.close(40);
        assert!((t.mean(10) - 1.0).abs() < 1e-12);
        // A reset long after the last change keeps the lifetime area up to it.
        t.reset(100);
        assert_eq!(t.lifetime_area(100), 40 + 10 + 60);
        assert_eq!(t.mean(0), 0.0);
    }

    #[test]
    fn a_reset_keeps_the_lifetime_area_up_to_it() {
        // Level 1 from 0, never changed: the reset at 50 must not drop 0..50.
        let mut t = TimeIntegral::default();
        t.add(0, 1);
        t.reset(50);
        assert_eq!(t.lifetime_area(80), 80);
        assert!((t.mean(30) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn equals_the_step_by_step_integral_and_survives_a_part_file() {
        // Levels changed at irregular times, with a reset in the middle: the area is the
        // sum of level x duration, step by step.
        let changes: [(SimTime, i64); 7] = [
            (3, 2),
            (10, -1),
            (10, 3),
            (25, -4),
            (40, 1),
            (41, 5),
            (90, -2),
        ];
        let mut t = TimeIntegral::default();
        let (mut level, mut last, mut area) = (0i64, 0u64, 0u128);
        for (i, &(at, delta)) in changes.iter().enumerate() {
            area += level as u128 * u128::from(at - last);
            (level, last) = (level + delta, at);
            t.add(at, delta);
            if i == 3 {
                assert_eq!(t.lifetime_area(at), area);
            }
        }
        t.close(100);
        area += level as u128 * u128::from(100 - last);
        assert_eq!(t.lifetime_area(100), area);
        // Written and read back (a distributed run's part file), it goes on the same.
        let text = serde_json::to_string(&t).expect("serialises");
        assert!(text.contains("\"lifetime_area\""), "{text}");
        let mut back: TimeIntegral = serde_json::from_str(&text).expect("reads back");
        back.add(120, 1);
        t.add(120, 1);
        assert_eq!(back.lifetime_area(150), t.lifetime_area(150));
        assert_eq!(back.lifetime_area(150), area + 4 * 20 + 5 * 30);
    }
}
