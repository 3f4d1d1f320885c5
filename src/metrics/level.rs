//! Time-weighted integrals of a level (busy workers, queue length).

use crate::kernel::SimTime;
use serde::{Deserialize, Serialize};

/// The integral over time of an integer level, with its peak.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TimeIntegral {
    level: u64,
    last: SimTime,
    /// Area since time 0, never reset (for per-interval timelines).
    lifetime_area: u128,
    /// `lifetime_area` at the last reset: the area since then is the difference, so
    /// a change of level adds to one sum, not two.
    area_at_reset: u128,
    peak: u64,
}

impl TimeIntegral {
    /// Change the level by `delta` at time `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: i64) {
        self.lifetime_area += self.level as u128 * (now - self.last) as u128;
        self.last = now;
        self.level = (self.level as i64 + delta) as u64;
        self.peak = self.peak.max(self.level);
    }

    /// Forget the area accumulated so far (end of warm-up); the level is kept, and so
    /// is the lifetime area (up to `now`).
    pub fn reset(&mut self, now: SimTime) {
        self.add(now, 0);
        self.area_at_reset = self.lifetime_area;
        self.peak = self.level;
    }

    /// Close the integral at `now` (end of the run).
    pub fn close(&mut self, now: SimTime) {
        self.add(now, 0);
    }

    /// Area since time 0 up to `now` (closes the integral at `now`).
    pub fn lifetime_area(&mut self, now: SimTime) -> u128 {
        self.add(now, 0);
        self.lifetime_area
    }

    /// Current level.
    pub fn level(&self) -> u64 {
        self.level
    }

    /// Peak level since the last reset.
    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Time average over `window` ns.
    pub fn mean(&self, window: SimTime) -> f64 {
        if window == 0 {
            0.0
        } else {
            (self.lifetime_area - self.area_at_reset) as f64 / window as f64
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
}
