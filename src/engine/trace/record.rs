//! Recording the raw spans of a sample of requests, for export (`--traces`, `calibrate`).
//!
//! The critical-path tracer keeps paths, not spans: it releases a request's spans at its
//! completion. A [`Recorder`] attached to it copies the spans of every `every`-th request
//! of each flow (sent after the warm-up) just before they are released, up to a limit
//! per flow. `every` is fixed for the run (a power of two from the expected arrivals), so
//! the sample is systematic and the recorded count times `every` estimates the arrivals.
//! Recording draws no random numbers: the run follows the same trajectory as an
//! untraced one, and the same input gives the same recorded spans.

use super::walk::{Span, SpanKind, NO_SPAN};
use super::{expected_requests, floor_pow2, Chain, Request, Tracer};
use crate::engine::{run_engine, RunError};
use crate::kernel::SimTime;
use crate::metrics::{Outcome, RunMetrics};
use crate::model::{OpId, Scenario};

/// What a recorded span covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordedKind {
    /// One attempt of a call, from its send to its reply (the caller's side).
    Call,
    /// One execution of an operation on a replica, from its arrival (queue wait
    /// included) to its end.
    Execution,
    /// A message, from its publish to its ack (or dead-lettering, or loss).
    Message,
}

/// One span of a recorded request.
#[derive(Clone, Debug)]
pub struct RecordedSpan {
    /// What it covers.
    pub kind: RecordedKind,
    /// Call: the operation called. Execution: its operation. Message: unused.
    pub op: OpId,
    /// Message: its queue.
    pub queue: u32,
    /// Call: the attempt number (1 for the first).
    pub attempt: u32,
    /// Index of the enclosing span in the same request (`None` for the client's call).
    pub parent: Option<u32>,
    /// Call: sent. Execution: arrived at the replica. Message: published.
    pub start: SimTime,
    /// Execution: when it got a worker.
    pub started: Option<SimTime>,
    /// Execution: its local work.
    pub work: SimTime,
    /// Ended (`None`: still going when its request completed, e.g. a zombie execution
    /// of a timed-out call).
    pub end: Option<SimTime>,
    /// How it ended (`None` for an abandoned attempt or one not ended).
    pub outcome: Option<Outcome>,
}

/// The spans of one recorded request.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Position among the replication's requests.
    pub ordinal: u64,
    /// Its workload (flow).
    pub workload: u32,
    /// Sent at.
    pub sent: SimTime,
    /// All its work was over at.
    pub completed: SimTime,
    /// One in this many of its flow's requests is recorded.
    pub every: u64,
    /// Its spans, in the order they were opened (the client's call first).
    pub spans: Vec<RecordedSpan>,
}

/// Copies the spans of a systematic sample of requests.
pub(super) struct Recorder {
    every: Vec<u64>,
    limit: usize,
    counts: Vec<usize>,
    requests: Vec<RecordedRequest>,
    /// Requests of the sample whose spans the window had dropped.
    dropped: u64,
}

impl Recorder {
    fn new(sc: &Scenario, limit: usize) -> Self {
        let limit = limit.max(1);
        let every = sc
            .workloads
            .iter()
            .map(|w| floor_pow2(expected_requests(&w.arrivals, sc.sim.duration) / limit as u64))
            .collect();
        Recorder {
            every,
            limit,
            counts: vec![0; sc.workloads.len()],
            requests: Vec::new(),
            dropped: 0,
        }
    }

    /// A sampled request's spans at its completion (`None`: the window dropped some).
    fn offer(&mut self, spans: Option<Vec<Span>>, request: &Request, now: SimTime) {
        let w = request.workload as usize;
        let every = self.every[w];
        let Some(spans) = spans else {
            self.dropped += 1;
            return;
        };
        self.counts[w] += 1;
        let spans = spans.iter().map(recorded).collect();
        self.requests.push(RecordedRequest {
            ordinal: request.ordinal,
            workload: request.workload,
            sent: request.sent,
            completed: now,
            every,
            spans,
        });
    }
}

fn recorded(s: &Span) -> RecordedSpan {
    RecordedSpan {
        kind: match s.kind {
            SpanKind::Call => RecordedKind::Call,
            SpanKind::Execution => RecordedKind::Execution,
            SpanKind::Message => RecordedKind::Message,
        },
        op: s.op,
        queue: s.queue,
        attempt: s.attempt,
        parent: (s.parent != NO_SPAN).then_some(s.parent),
        start: s.start,
        started: s.started(),
        work: s.work,
        end: s.end(),
        outcome: s.outcome,
    }
}

impl Tracer {
    /// Hand a completing request's spans to the recorder, if there is one.
    pub(super) fn record(&mut self, request: &Request, chain: Chain, now: SimTime) {
        if request.sent < self.warmup {
            return;
        }
        let Some(mut rec) = self.recorder.take() else {
            return;
        };
        let w = request.workload as usize;
        if request.in_flow % rec.every[w] == 0 && rec.counts[w] < rec.limit {
            rec.offer(self.window.collect(chain), request, now);
        }
        self.recorder = Some(rec);
    }
}

/// The spans recorded of a sample of one replication's requests, with that
/// replication's metrics (distributions in).
#[derive(Clone, Debug)]
pub struct Recording {
    /// The replication's metrics, equal to [`super::super::run_replication`]'s.
    pub metrics: RunMetrics,
    /// The sampled requests, in completion order.
    pub requests: Vec<RecordedRequest>,
    /// Requests of the sample left out because the tracer's window had dropped their
    /// spans (they outlived 2^18 spans of other requests).
    pub dropped: u64,
}

impl Tracer {
    /// Also record the spans of a systematic sample of at most `limit` requests per
    /// flow (sent after the warm-up and completed before the end).
    pub(in crate::engine) fn recording(mut self, sc: &Scenario, limit: usize) -> Self {
        self.recorder = Some(Recorder::new(sc, limit));
        self
    }

    /// The recorded requests and the count of the sample's dropped ones, taken out of
    /// a tracer built with [`Tracer::recording`].
    pub(in crate::engine) fn take_recorded(&mut self) -> (Vec<RecordedRequest>, u64) {
        let rec = self.recorder.take().expect("a recording tracer");
        (rec.requests, rec.dropped)
    }
}

/// Run replication `replication` of `scenario` and record the spans of a systematic
/// sample of at most `limit` requests per flow (sent after the warm-up and completed
/// before the end), in completion order.
///
/// [`super::super::trace_replication_recorded`] records the same sample in the run that
/// traces the critical paths.
pub fn record_replication(
    scenario: &Scenario,
    replication: u32,
    limit: usize,
) -> Result<Recording, RunError> {
    let tracer = Tracer::all(scenario, replication).recording(scenario, limit);
    let (metrics, tracer) = run_engine(scenario, replication, Some(Box::new(tracer)), true)?;
    let (requests, dropped) = tracer.expect("the tracer comes back").take_recorded();
    Ok(Recording {
        metrics,
        requests,
        dropped,
    })
}
