//! Per-interval figures (default 1 s of simulated time): throughput, failures and p99 per
//! flow; utilization, queue length, completions and failures per service.
//!
//! Memory is bounded by the model, never by the run's length or its number of requests:
//! at most [`crate::model::MAX_TIMELINE_INTERVALS`] intervals (a long run gets wider
//! intervals), and interval histograms use 2 significant digits to stay small.

use crate::kernel::SimTime;
use crate::model::Scenario;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// One flow's figures in one interval (by response time).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlowInterval {
    /// Responses received.
    pub responses: u64,
    /// Failed responses.
    pub failed: u64,
    /// Cascade failures.
    pub cascade: u64,
    /// Collateral failures.
    pub collateral: u64,
    /// Response latencies (ns), 2 significant digits.
    #[serde(with = "crate::distribute::codec::hist")]
    pub latency: Histogram<u32>,
}

/// One service's figures in one interval.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServiceInterval {
    /// Mean busy workers / total workers.
    pub utilization: f64,
    /// Mean number of queued requests.
    pub queue: f64,
    /// Executions finished.
    pub completed: u64,
    /// Of those, failed.
    pub failed: u64,
    /// Requests rejected (queue full or down).
    pub rejected: u64,
}

/// Per-interval figures of one replication.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timeline {
    /// Interval width (ns).
    pub interval: SimTime,
    /// `flows[f][i]`: flow `f` in interval `i`.
    pub flows: Vec<Vec<FlowInterval>>,
    /// `services[s][i]`: service `s` in interval `i`.
    pub services: Vec<Vec<ServiceInterval>>,
    /// `queues[q][i]`: mean backlog of queue `q` in interval `i`.
    pub queues: Vec<Vec<f64>>,
    /// `scaling[k][i]`: the `k`-th autoscaled service's replicas in interval `i`.
    #[serde(default)]
    pub scaling: Vec<Vec<super::ScaleInterval>>,
    /// The interval the clock is in, `[start, end)` with its index: every response and
    /// completion looks its interval up, and a `u64` division per lookup was a visible
    /// share of the hot path (README, Performance).
    #[serde(skip)]
    window: Window,
}

/// A cached interval: `[start, end)` maps to `index` (empty by default).
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    start: SimTime,
    end: SimTime,
    index: usize,
}

fn interval_histogram() -> Histogram<u32> {
    Histogram::new_with_bounds(1_000, 3_600_000_000_000, 2).expect("valid static bounds")
}

impl Timeline {
    /// An empty timeline covering the scenario's whole duration, at the run's interval
    /// ([`crate::model::SimSettings::timeline_interval`]).
    pub fn new(sc: &Scenario) -> Self {
        let interval = sc.sim.timeline_interval();
        Self::with_intervals(
            sc,
            interval,
            sc.sim.duration.div_ceil(interval).max(1) as usize,
        )
    }

    /// A timeline of one interval: for a run whose timeline nobody reads (the traced
    /// re-run of a replication), so it costs no memory.
    pub fn unused(sc: &Scenario) -> Self {
        Self::with_intervals(sc, sc.sim.duration.max(1), 1)
    }

    fn with_intervals(sc: &Scenario, interval: SimTime, n: usize) -> Self {
        let flow = || FlowInterval {
            responses: 0,
            failed: 0,
            cascade: 0,
            collateral: 0,
            latency: interval_histogram(),
        };
        Timeline {
            interval,
            flows: sc
                .workloads
                .iter()
                .map(|_| (0..n).map(|_| flow()).collect())
                .collect(),
            services: sc
                .services
                .iter()
                .map(|_| vec![ServiceInterval::default(); n])
                .collect(),
            queues: sc.queues.iter().map(|_| vec![0.0; n]).collect(),
            scaling: (sc.services.iter())
                .filter(|s| s.autoscale.is_some())
                .map(|_| vec![super::ScaleInterval::default(); n])
                .collect(),
            window: Window::default(),
        }
    }

    /// Number of intervals.
    pub fn intervals(&self) -> usize {
        self.services.first().map_or(0, Vec::len)
    }

    /// Interval index of time `t` (clamped to the last interval).
    #[inline]
    pub fn index(&self, t: SimTime, len: usize) -> usize {
        ((t / self.interval) as usize).min(len.saturating_sub(1))
    }

    /// Interval index of `t`, through the cached window (every series has the same
    /// number of intervals).
    #[inline]
    fn index_cached(&mut self, t: SimTime) -> usize {
        let w = self.window;
        if t >= w.start && t < w.end {
            w.index
        } else {
            self.locate(t)
        }
    }

    #[cold]
    fn locate(&mut self, t: SimTime) -> usize {
        // Every series has the same number of intervals.
        let len = self
            .flows
            .first()
            .map_or_else(|| self.intervals(), Vec::len);
        let index = self.index(t, len);
        let start = index as SimTime * self.interval;
        // The last interval also holds everything past the duration (clamped).
        let end = if index + 1 >= len {
            SimTime::MAX
        } else {
            start + self.interval
        };
        self.window = Window { start, end, index };
        index
    }

    /// The flow interval containing `t`.
    #[inline]
    pub fn flow_at(&mut self, flow: usize, t: SimTime) -> &mut FlowInterval {
        let i = self.index_cached(t);
        &mut self.flows[flow][i]
    }

    /// The service interval containing `t`.
    #[inline]
    pub fn service_at(&mut self, service: usize, t: SimTime) -> &mut ServiceInterval {
        let i = self.index_cached(t);
        &mut self.services[service][i]
    }
}
