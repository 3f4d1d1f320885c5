//! Per client connection pool: slots in use over time, acquisitions, waits and
//! exhaustion failures, summed over the caller's replicas.

use super::level::TimeIntegral;
use crate::kernel::SimTime;
use crate::model::Scenario;
use serde::{Deserialize, Serialize};

/// One pool's figures for one replication (measured window only).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PoolMetrics {
    /// Slots (connections, or streams for gRPC) over all caller replicas.
    pub capacity: u64,
    /// Slots in use over time.
    pub in_use: TimeIntegral,
    /// Attempts waiting for a slot over time.
    pub waiting: TimeIntegral,
    /// Attempts that asked for a slot.
    pub requested: u64,
    /// Attempts that got a slot (at once or after waiting).
    pub acquired: u64,
    /// Of those, the ones that had to wait.
    pub waited: u64,
    /// Attempts that failed with "pool exhausted" (no slot within the acquire timeout).
    pub exhausted: u64,
    /// Total wait of the acquired attempts (ns).
    pub wait_ns: u128,
}

impl PoolMetrics {
    /// One empty entry per pool of `sc`.
    pub fn for_scenario(sc: &Scenario) -> Vec<PoolMetrics> {
        sc.pools
            .iter()
            .map(|p| PoolMetrics {
                capacity: u64::from(sc.services[p.caller.0 as usize].replicas)
                    * u64::from(p.capacity()),
                ..Default::default()
            })
            .collect()
    }

    /// End of warm-up: forget the counts, keep the levels.
    pub fn reset(&mut self, now: SimTime) {
        let (in_use, waiting) = (self.in_use.clone(), self.waiting.clone());
        *self = PoolMetrics {
            capacity: self.capacity,
            in_use,
            waiting,
            ..Default::default()
        };
        self.in_use.reset(now);
        self.waiting.reset(now);
    }

    /// End of the run.
    pub fn close(&mut self, now: SimTime) {
        self.in_use.close(now);
        self.waiting.close(now);
    }
}
