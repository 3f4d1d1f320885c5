//! What one flow (workload) records in one replication: its responses and completions
//! (latency histograms while it runs, figures once sealed), failures by reason and root
//! cause, cascades, and the slowest requests kept for critical-path tracing.

use super::figures::{full, new_histogram, spent_histogram, LatencyFigures};
use super::{Component, FailureReason, Outcome};
use crate::kernel::SimTime;
use crate::model::ServiceId;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one flow (workload) recorded in one replication, counting only requests sent
/// after the warm-up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FlowMetrics {
    /// Requests sent by clients.
    pub generated: u64,
    /// Successful responses.
    pub succeeded: u64,
    /// Failed responses by reason (indexed by `FailureReason as usize`).
    pub failed: [u64; FailureReason::COUNT],
    /// Failures by (reason, root cause).
    #[serde(with = "crate::distribute::codec::pairs")]
    pub failed_by_root: BTreeMap<(FailureReason, Component), u64>,
    /// Requests still without a response when the run ended.
    pub in_flight: u64,
    /// Response latency of every response (success or failure), formed when the run
    /// ends ([`FlowMetrics::seal`]) from the two below (spent until then): one record
    /// per response. An
    /// experiment takes it out ([`FlowMetrics::take_distributions`]) into the
    /// distribution it merges over replications.
    #[serde(with = "crate::distribute::codec::hist")]
    pub latency: Histogram<u64>,
    /// The figures of `latency` (and its sum), filled by the seal: what a summary
    /// reduces of the responses.
    pub responses: LatencyFigures,
    /// Response latency of successes only, while the run records: the seal adds it
    /// into `latency` and keeps only its figures (`success`).
    #[serde(skip, default = "spent_histogram")]
    pub success_latency: Histogram<u64>,
    /// The figures of `success_latency` (and its sum), filled by the seal: all that
    /// is reduced of the successes.
    pub success: LatencyFigures,
    /// Response latency of failures only, while the run records (spent until the first
    /// failure: most flows never need it, see `figures::full`): used up by the seal
    /// (which adds it into `latency`), so neither the kept metrics of a replication nor
    /// part files carry it.
    #[serde(skip, default = "spent_histogram")]
    pub failure_latency: Histogram<u64>,
    /// Exact sum of response latencies (ns), for an exact mean.
    pub latency_sum: u128,
    /// Exact sum of successful response latencies (ns).
    pub success_latency_sum: u128,
    /// Successes that were degraded answers (a fallback ran somewhere).
    pub degraded: u64,
    /// Failures whose root cause is not the entry service (the fault travelled back).
    pub cascade: u64,
    /// Cascade failures of requests that never touched a faulted component.
    pub collateral: u64,
    /// Requests sent while a fault was active.
    pub during_fault: FaultCounters,
    /// Completion latency (send -> all triggered work done), of requests that completed.
    /// During the run it holds only the requests that completed after their response
    /// (spent until the first such one);
    /// [`FlowMetrics::seal`] adds the rest (see `late_response`).
    /// Taken out by an experiment like `latency`.
    #[serde(with = "crate::distribute::codec::hist")]
    pub completion: Histogram<u64>,
    /// The figures of the sealed `completion` (and `completion_sum`).
    pub completions: LatencyFigures,
    /// Response latencies of the requests that did not complete at their response
    /// (they had asynchronous work left). A request that completes at its response has
    /// a completion latency equal to its response latency, so the sealed completion
    /// histogram is `responses - late_response + late completions`, exactly, and a
    /// synchronous flow records one histogram per request instead of two. Used up by
    /// the seal, like `failure_latency`.
    #[serde(skip, default = "spent_histogram")]
    pub late_response: Histogram<u64>,
    /// Exact sum of completion latencies (ns).
    pub completion_sum: u128,
    /// Requests whose triggered work all succeeded.
    pub completed_ok: u64,
    /// Requests whose response or some triggered work failed.
    pub completed_failed: u64,
    /// Requests with triggered work still outstanding at the end of the run.
    pub completion_in_progress: u64,
    /// The slowest responses, kept for critical-path tracing.
    pub slowest: Slowest,
    /// The slowest completions, likewise.
    pub slowest_completions: Slowest,
    /// Requests sent, warm-up included (numbers the flow's requests for sampling).
    pub sent_with_warmup: u64,
}

/// Responses kept per flow and replication for critical-path tracing.
pub const SLOWEST_TRACED: usize = 3;

/// The few slowest responses of a flow in one replication: `(latency, request ordinal)`,
/// slowest first (ties: the earlier request first). Cheap to offer to: a response
/// faster than the kept minimum costs one comparison.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Slowest {
    kept: Vec<(SimTime, u64)>,
    capacity: usize,
}

impl Slowest {
    /// Keep the `capacity` slowest.
    pub fn new(capacity: usize) -> Self {
        Slowest {
            kept: Vec::with_capacity(capacity + 1),
            capacity,
        }
    }

    /// Offer a response of request `ordinal` that took `latency`.
    #[inline]
    pub fn offer(&mut self, latency: SimTime, ordinal: u64) {
        if self.kept.len() == self.capacity && self.kept.last().map_or(true, |&(l, _)| latency <= l)
        {
            return;
        }
        let at = self.kept.partition_point(|&(l, _)| l >= latency);
        self.kept.insert(at, (latency, ordinal));
        self.kept.truncate(self.capacity);
    }

    /// The kept responses, slowest first.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, u64)> + '_ {
        self.kept.iter().copied()
    }
}

/// Counters of the requests sent while at least one fault was active.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FaultCounters {
    /// Requests sent during a fault.
    pub requests: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Of those, failed.
    pub failed: u64,
    /// Of those, cascade failures.
    pub cascade: u64,
    /// Of those, collateral failures.
    pub collateral: u64,
}

/// Facts about one client request known when its response arrives.
#[derive(Clone, Copy, Debug)]
pub struct ResponseFacts {
    /// Time from send to response.
    pub latency: SimTime,
    /// The outcome.
    pub outcome: Outcome,
    /// The entry service of the flow (failures rooted elsewhere are cascades).
    pub entry: ServiceId,
    /// Some part of the request's causal tree touched a faulted component.
    pub touched_fault: bool,
    /// The request was sent while a fault was active.
    pub sent_during_fault: bool,
}

impl FlowMetrics {
    /// Empty metrics.
    pub fn new() -> Self {
        FlowMetrics {
            generated: 0,
            succeeded: 0,
            failed: [0; FailureReason::COUNT],
            failed_by_root: BTreeMap::new(),
            in_flight: 0,
            latency: spent_histogram(),
            responses: LatencyFigures::default(),
            success_latency: new_histogram(),
            success: LatencyFigures::default(),
            failure_latency: spent_histogram(),
            latency_sum: 0,
            success_latency_sum: 0,
            degraded: 0,
            cascade: 0,
            collateral: 0,
            during_fault: FaultCounters::default(),
            completion: spent_histogram(),
            completions: LatencyFigures::default(),
            late_response: spent_histogram(),
            completion_sum: 0,
            completed_ok: 0,
            completed_failed: 0,
            completion_in_progress: 0,
            slowest: Slowest::new(SLOWEST_TRACED),
            slowest_completions: Slowest::new(SLOWEST_TRACED),
            sent_with_warmup: 0,
        }
    }

    /// Record one response.
    #[inline]
    pub fn record(&mut self, r: ResponseFacts) {
        let v = r.latency.max(1);
        self.latency_sum += r.latency as u128;
        let mut cascade = false;
        let mut collateral = false;
        match r.outcome {
            Outcome::Ok | Outcome::Degraded => {
                self.succeeded += 1;
                self.degraded += (r.outcome == Outcome::Degraded) as u64;
                self.success_latency.saturating_record(v);
                self.success_latency_sum += r.latency as u128;
            }
            Outcome::Failed(reason, root) => {
                full(&mut self.failure_latency).saturating_record(v);
                self.failed[reason as usize] += 1;
                *self.failed_by_root.entry((reason, root)).or_insert(0) += 1;
                cascade = root != Component::Service(r.entry);
                collateral = cascade && !r.touched_fault;
                self.cascade += cascade as u64;
                self.collateral += collateral as u64;
            }
        }
        if r.sent_during_fault {
            let d = &mut self.during_fault;
            d.answered += 1;
            d.failed += matches!(r.outcome, Outcome::Failed(..)) as u64;
            d.cascade += cascade as u64;
            d.collateral += collateral as u64;
        }
    }

    /// Record the response latency (ns, at least 1) of a request that had work left
    /// at its response ([`FlowMetrics::late_response`]).
    #[inline]
    pub fn record_late_response(&mut self, ns: SimTime) {
        full(&mut self.late_response).saturating_record(ns);
    }

    /// Record the completion latency (ns, at least 1) of a request that completed
    /// after its response ([`FlowMetrics::completion`]).
    #[inline]
    pub fn record_late_completion(&mut self, ns: SimTime) {
        full(&mut self.completion).saturating_record(ns);
    }

    /// Fill [`FlowMetrics::latency`] from the successes and failures, and
    /// [`FlowMetrics::completion`] with the requests that completed at their response
    /// (exact: HDR histograms of one layout add and subtract bucket by bucket). Called
    /// once, when the run ends.
    pub fn seal(&mut self) {
        self.success = LatencyFigures::of(&self.success_latency, self.success_latency_sum);
        // The responses are the successes plus the failures: the successes' histogram
        // becomes it (nothing reads the successes' own any more).
        let mut latency = std::mem::replace(&mut self.success_latency, spent_histogram());
        if !self.failure_latency.is_empty() {
            latency
                .add(&self.failure_latency)
                .expect("histograms of one layout add");
        }
        let completion = full(&mut self.completion);
        completion
            .add(&latency)
            .expect("histograms of one layout add");
        if !self.late_response.is_empty() {
            completion
                .subtract(&self.late_response)
                .expect("late responses are a subset of the responses");
        }
        self.latency = latency;
        self.responses = LatencyFigures::of(&self.latency, self.latency_sum);
        self.completions = LatencyFigures::of(&self.completion, self.completion_sum);
        // A replication's metrics are kept until the experiment reduces them: do not
        // keep full-range histograms per flow that nothing reads any more.
        self.failure_latency = spent_histogram();
        self.late_response = spent_histogram();
    }

    /// The sealed response and completion histograms, taken out (spent ones left in
    /// their place): a replication's figures stay, its distributions go to the merge.
    pub fn take_distributions(&mut self) -> (Histogram<u64>, Histogram<u64>) {
        (
            std::mem::replace(&mut self.latency, spent_histogram()),
            std::mem::replace(&mut self.completion, spent_histogram()),
        )
    }

    /// Total failures.
    pub fn failures(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Responses received (successes + failures).
    pub fn completed(&self) -> u64 {
        self.succeeded + self.failures()
    }
}

impl Default for FlowMetrics {
    fn default() -> Self {
        Self::new()
    }
}
