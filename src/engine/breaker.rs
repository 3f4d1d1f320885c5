//! The circuit-breaker state machine (closed -> open -> half-open -> closed).
//!
//! Closed: outcomes are kept in an exact sliding time window; when at least
//! `min_calls` calls are in the window and the failure ratio reaches the threshold, the
//! breaker opens. Open: every call is refused until `open_for` has passed (the engine
//! schedules the transition), then half-open. Half-open: up to `half_open_probes` calls
//! go through; one failure re-opens, all succeeding closes (with a fresh window).

use crate::kernel::SimTime;
use crate::metrics::BreakerState;
use crate::model::BreakerPolicy;
use std::collections::VecDeque;

pub(super) struct Breaker {
    policy: BreakerPolicy,
    state: BreakerState,
    /// (time, failed) of calls in the window (closed state only).
    window: VecDeque<(SimTime, bool)>,
    failures: u32,
    /// Half-open: probes let through, and how many succeeded.
    probes_sent: u32,
    probes_ok: u32,
}

/// What the breaker says about a new call.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Admission {
    Allow,
    Refuse,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            state: BreakerState::Closed,
            window: VecDeque::new(),
            failures: 0,
            probes_sent: 0,
            probes_ok: 0,
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    pub fn open_for(&self) -> SimTime {
        self.policy.open_for
    }

    /// May a call go through now?
    pub fn admit(&mut self) -> Admission {
        match self.state {
            BreakerState::Closed => Admission::Allow,
            BreakerState::Open => Admission::Refuse,
            BreakerState::HalfOpen => {
                if self.probes_sent < self.policy.half_open_probes {
                    self.probes_sent += 1;
                    Admission::Allow
                } else {
                    Admission::Refuse
                }
            }
        }
    }

    /// Record a call's outcome; returns the new state if it changed.
    pub fn record(&mut self, now: SimTime, failed: bool) -> Option<BreakerState> {
        match self.state {
            BreakerState::Closed => {
                self.window.push_back((now, failed));
                self.failures += failed as u32;
                // The window is (now - window, now].
                if let Some(horizon) = now.checked_sub(self.policy.window) {
                    while let Some(&(t, f)) = self.window.front() {
                        if t > horizon {
                            break;
                        }
                        self.window.pop_front();
                        self.failures -= f as u32;
                    }
                }
                let calls = self.window.len() as u32;
                if calls >= self.policy.min_calls
                    && self.failures as f64 >= self.policy.failure_ratio * calls as f64
                {
                    return Some(self.trip());
                }
                None
            }
            // Outcomes of calls sent before the breaker opened do not matter any more.
            BreakerState::Open => None,
            BreakerState::HalfOpen => {
                if failed {
                    Some(self.trip())
                } else {
                    self.probes_ok += 1;
                    if self.probes_ok >= self.policy.half_open_probes {
                        self.state = BreakerState::Closed;
                        self.window.clear();
                        self.failures = 0;
                        Some(BreakerState::Closed)
                    } else {
                        None
                    }
                }
            }
        }
    }

    fn trip(&mut self) -> BreakerState {
        self.state = BreakerState::Open;
        self.window.clear();
        self.failures = 0;
        BreakerState::Open
    }

    /// The open period is over.
    pub fn half_open(&mut self) -> bool {
        if self.state == BreakerState::Open {
            self.state = BreakerState::HalfOpen;
            self.probes_sent = 0;
            self.probes_ok = 0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            failure_ratio: 0.5,
            window: 10,
            min_calls: 4,
            open_for: 100,
            half_open_probes: 2,
        }
    }

    #[test]
    fn opens_at_the_ratio_after_min_calls_then_probes_close_it() {
        let mut b = Breaker::new(policy());
        assert_eq!(b.record(1, true), None);
        assert_eq!(b.record(2, true), None);
        assert_eq!(b.record(3, false), None, "3 calls < min_calls");
        assert_eq!(
            b.record(4, false),
            Some(BreakerState::Open),
            "2/4 failures reaches 0.5"
        );
        assert_eq!(b.admit(), Admission::Refuse);
        assert!(b.half_open());
        assert_eq!(b.admit(), Admission::Allow);
        assert_eq!(b.admit(), Admission::Allow);
        assert_eq!(b.admit(), Admission::Refuse, "only 2 probes");
        assert_eq!(b.record(200, false), None);
        assert_eq!(b.record(201, false), Some(BreakerState::Closed));
    }

    #[test]
    fn old_outcomes_leave_the_window_and_a_failed_probe_reopens() {
        let mut b = Breaker::new(policy());
        b.record(0, true);
        b.record(1, true);
        // 20 ns later the two failures are out of the 10 ns window.
        for t in 21..25 {
            assert_eq!(b.record(t, false), None);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        for t in 25..29 {
            b.record(t, true);
        }
        assert_eq!(b.state(), BreakerState::Open);
        b.half_open();
        b.admit();
        assert_eq!(b.record(300, true), Some(BreakerState::Open));
    }
}
