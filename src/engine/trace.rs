//! Request tracing and the critical path of the slowest requests.
//!
//! Tracing every request would cost time and memory proportional to the run, so it
//! works in two passes and relies on determinism: a normal replication remembers, per
//! flow, the ordinals of its slowest responses (`metrics::Slowest`); the same replication
//! is then run again with a [`Tracer`] that records spans only for those requests. The
//! second run follows exactly the same trajectory (same seed, same streams; tracing
//! draws no random numbers), so the traced requests are the slow ones, and their spans
//! give the critical path: the chain of calls and executions the response waited for.
//!
//! The path splits the response time exactly (integer nanoseconds) into, per hop, the
//! network (request and reply on the wire), queueing, local work, and *other* time:
//! retry backoff, a fallback's local work, a lost request or reply waited out until the
//! timeout, a hang, a message publish. Time spent waiting on a downstream call belongs to the hops below.

use crate::kernel::SimTime;
use crate::metrics::paths::{
    average_paths, capped, CriticalPath, HopEnd, PathEnd, PathHop, Step, Traced,
};
use crate::metrics::Outcome;
use crate::model::{OpId, Scenario};

/// Marker for "not traced".
pub(super) const NO_SPAN: u32 = u32::MAX;

/// What a span covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SpanKind {
    /// One attempt of a call to an operation.
    Call,
    /// One execution of an operation on a replica.
    Execution,
    /// A message from its publish to its ack (or dead-lettering, or loss).
    Message,
}

#[derive(Clone, Debug)]
struct Span {
    kind: SpanKind,
    /// Call: the operation called. Execution: its operation. Message: unused.
    op: OpId,
    /// Message: its queue.
    queue: u32,
    attempt: u32,
    /// Enclosing span (the calling execution of a call, the call of an execution).
    parent: u32,
    /// Request ordinal of its root.
    request: u64,
    /// Workload (flow) of its root.
    workload: u32,
    /// Call: sent. Execution: arrived at the replica. Message: published.
    start: SimTime,
    /// Execution: got a worker.
    started: Option<SimTime>,
    /// Execution: its local work.
    work: SimTime,
    end: Option<SimTime>,
    outcome: Option<Outcome>,
}

/// The request a span belongs to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    /// Position among the replication's requests.
    pub ordinal: u64,
    /// Its workload.
    pub workload: u32,
}

/// Records spans of the traced requests during a replication.
pub(super) struct Tracer {
    /// Ordinals of the slowest responses, sorted.
    slowest: Vec<u64>,
    /// Ordinals of the slowest completions, sorted.
    slowest_completions: Vec<u64>,
    /// Traced requests that completed: (ordinal, time, all triggered work succeeded).
    completed: Vec<(u64, SimTime, bool)>,
    /// Per workload: trace every n-th request of the flow (a systematic sample).
    sample_every: Vec<u64>,
    /// Ordinals of the sampled requests, in order.
    sampled: Vec<u64>,
    spans: Vec<Span>,
}

impl Tracer {
    /// A tracer for the requests with these ordinals and a systematic sample of every
    /// flow (`sample_every[w]`-th request of workload `w`).
    pub fn new(
        mut slowest: Vec<u64>,
        mut slowest_completions: Vec<u64>,
        sample_every: Vec<u64>,
    ) -> Self {
        slowest.sort_unstable();
        slowest.dedup();
        slowest_completions.sort_unstable();
        slowest_completions.dedup();
        Tracer {
            slowest,
            slowest_completions,
            completed: Vec::new(),
            sample_every,
            sampled: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// Whether request `ordinal`, number `in_flow` of workload `workload`, is to be
    /// traced (called once per request, in ordinal order).
    pub fn traces(&mut self, ordinal: u64, workload: u32, in_flow: u64) -> bool {
        let sampled = in_flow % self.sample_every[workload as usize] == 0;
        if sampled {
            self.sampled.push(ordinal); // in order: stays sorted
        }
        sampled
            || self.is_slowest(ordinal)
            || self.slowest_completions.binary_search(&ordinal).is_ok()
    }

    fn is_slowest(&self, ordinal: u64) -> bool {
        self.slowest.binary_search(&ordinal).is_ok()
    }

    /// A traced request completed (all its triggered work is over).
    pub fn completed(&mut self, ordinal: u64, now: SimTime, ok: bool) {
        self.completed.push((ordinal, now, ok));
    }

    fn is_sampled(&self, ordinal: u64) -> bool {
        self.sampled.binary_search(&ordinal).is_ok()
    }

    fn open(
        &mut self,
        kind: SpanKind,
        op: OpId,
        attempt: u32,
        parent: u32,
        request: Request,
        now: SimTime,
    ) -> u32 {
        self.spans.push(Span {
            kind,
            op,
            queue: 0,
            attempt,
            parent,
            request: request.ordinal,
            workload: request.workload,
            start: now,
            started: None,
            work: 0,
            end: None,
            outcome: None,
        });
        (self.spans.len() - 1) as u32
    }

    /// A traced call attempt was sent.
    pub fn open_call(
        &mut self,
        target: OpId,
        attempt: u32,
        parent: u32,
        request: Request,
        now: SimTime,
    ) -> u32 {
        self.open(SpanKind::Call, target, attempt, parent, request, now)
    }

    /// A traced message was published to `queue` by the execution with span `parent`.
    pub fn open_message(&mut self, queue: u32, parent: u32, request: Request, now: SimTime) -> u32 {
        let span = self.open(SpanKind::Message, OpId(0), 1, parent, request, now);
        self.spans[span as usize].queue = queue;
        span
    }

    /// A traced execution arrived at its replica.
    pub fn open_execution(&mut self, op: OpId, parent: u32, request: Request, now: SimTime) -> u32 {
        self.open(SpanKind::Execution, op, 1, parent, request, now)
    }

    /// A traced execution got its worker.
    pub fn begin(&mut self, span: u32, now: SimTime) {
        self.spans[span as usize].started = Some(now);
    }

    /// A traced execution's local work.
    pub fn work(&mut self, span: u32, work: SimTime) {
        self.spans[span as usize].work = work;
    }

    /// A span ended (the first end counts; `None` for an abandoned attempt).
    pub fn close(&mut self, span: u32, now: SimTime, outcome: Option<Outcome>) {
        let s = &mut self.spans[span as usize];
        if s.end.is_none() {
            s.end = Some(now);
            s.outcome = outcome;
        }
    }

    /// The critical paths of the slowest requests (by flow, slowest first) and the
    /// breakdown of each flow's sampled responses sent after the warm-up.
    pub fn analyse(&self, sc: &Scenario, replication: u32) -> Traced {
        let paths = self.critical_paths(sc, replication);
        let breakdowns = average_paths(
            sc,
            replication,
            paths.iter().filter(|(_, sampled)| *sampled).map(|(p, _)| p),
        );
        let mut slowest: Vec<CriticalPath> = paths
            .into_iter()
            .filter(|(p, _)| self.is_slowest(p.request))
            .map(|(p, _)| p)
            .collect();
        slowest.sort_by_key(|p| (p.workload, std::cmp::Reverse(p.latency_ns), p.request));
        let (slowest_completions, sampled_completions) = self.completion_paths(sc, replication);
        // Only flows whose completions go beyond the response have a completion breakdown.
        let asynchronous: Vec<u32> = sampled_completions
            .iter()
            .filter(|p| p.asynchronous)
            .map(|p| p.workload)
            .collect();
        let completion_breakdowns = average_paths(
            sc,
            replication,
            sampled_completions
                .iter()
                .filter(|p| asynchronous.contains(&p.workload)),
        );
        Traced {
            critical_paths: slowest,
            response_breakdowns: breakdowns,
            completion_paths: slowest_completions,
            completion_breakdowns,
        }
    }

    /// Paths of the slowest completions (by flow, slowest first) and of the sampled
    /// completions of requests sent after the warm-up (in request order).
    fn completion_paths(
        &self,
        sc: &Scenario,
        replication: u32,
    ) -> (Vec<CriticalPath>, Vec<CriticalPath>) {
        let wanted = |ordinal: u64| {
            self.slowest_completions.binary_search(&ordinal).is_ok() || self.is_sampled(ordinal)
        };
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); self.spans.len()];
        let mut by_request: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
        for (i, s) in self.spans.iter().enumerate() {
            if s.parent != NO_SPAN {
                children[s.parent as usize].push(i as u32);
            }
            if wanted(s.request) {
                by_request.entry(s.request).or_default().push(i as u32);
            }
        }
        let paths = self
            .completed
            .iter()
            .filter(|&&(ordinal, _, _)| wanted(ordinal))
            .filter_map(|&(ordinal, done, ok)| {
                let spans = by_request.get(&ordinal)?;
                let &root = spans.iter().find(|&&i| {
                    let s = &self.spans[i as usize];
                    s.kind == SpanKind::Call && s.parent == NO_SPAN
                })?;
                // The last piece of work: the span that ended last by the completion.
                let last = spans
                    .iter()
                    .copied()
                    .filter(|&i| self.spans[i as usize].end.is_some_and(|e| e <= done))
                    .max_by_key(|&i| (self.spans[i as usize].end, i))
                    .unwrap_or(root);
                let mut chain = vec![last];
                while let Some(&top) = chain.last() {
                    let parent = self.spans[top as usize].parent;
                    if parent == NO_SPAN {
                        break;
                    }
                    chain.push(parent);
                }
                chain.reverse();
                let mut walk = Walk {
                    spans: &self.spans,
                    children: &children,
                    hops: Vec::new(),
                };
                walk.chain(&chain, done);
                let asynchronous = chain.iter().any(|&i| {
                    let s = &self.spans[i as usize];
                    s.kind == SpanKind::Message
                        || (s.kind == SpanKind::Execution
                            && self.spans[s.parent as usize].kind != SpanKind::Call)
                });
                let r = &self.spans[root as usize];
                let path = CriticalPath {
                    workload: r.workload,
                    request: ordinal,
                    replication,
                    latency_ns: done - r.start,
                    end: PathEnd::Completed { ok },
                    hops: capped(walk.hops),
                    asynchronous,
                };
                Some((path, r.start >= sc.sim.warmup && self.is_sampled(ordinal)))
            })
            .collect::<Vec<_>>();
        let mut slowest: Vec<CriticalPath> = paths
            .iter()
            .filter(|(p, _)| self.slowest_completions.binary_search(&p.request).is_ok())
            .map(|(p, _)| p.clone())
            .collect();
        slowest.sort_by_key(|p| (p.workload, std::cmp::Reverse(p.latency_ns), p.request));
        let sampled = paths
            .into_iter()
            .filter(|(_, s)| *s)
            .map(|(p, _)| p)
            .collect();
        (slowest, sampled)
    }

    /// The critical path of every traced request that got a response, with whether it
    /// belongs to the sample (sent after the warm-up).
    fn critical_paths(&self, sc: &Scenario, replication: u32) -> Vec<(CriticalPath, bool)> {
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); self.spans.len()];
        for (i, s) in self.spans.iter().enumerate() {
            if s.parent != NO_SPAN {
                children[s.parent as usize].push(i as u32);
            }
        }
        self.spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SpanKind::Call && s.parent == NO_SPAN)
            .filter_map(|(i, s)| {
                let end = s.end?;
                let sampled = s.start >= sc.sim.warmup && self.is_sampled(s.request);
                let mut walk = Walk {
                    spans: &self.spans,
                    children: &children,
                    hops: Vec::new(),
                };
                walk.call(i as u32, end, 0);
                let path = CriticalPath {
                    workload: s.workload,
                    request: s.request,
                    replication,
                    latency_ns: end - s.start,
                    end: PathEnd::Response(HopEnd::of(s.outcome)),
                    hops: capped(walk.hops),
                    asynchronous: false,
                };
                Some((path, sampled))
            })
            .collect()
    }
}

/// The backward walk from a response to the spans it waited for.
struct Walk<'a> {
    spans: &'a [Span],
    children: &'a [Vec<u32>],
    hops: Vec<PathHop>,
}

impl Walk<'_> {
    /// A chain of causes from the client's call to the last span, then whatever is left
    /// until `done` (work that is not traced, such as a saga).
    fn chain(&mut self, chain: &[u32], done: SimTime) {
        let mut depth = 0;
        let mut open_hop: Option<usize> = None;
        for (i, &a) in chain.iter().enumerate() {
            let s = &self.spans[a as usize];
            let next = chain.get(i + 1).map(|&b| self.spans[b as usize].start);
            match (s.kind, next) {
                (SpanKind::Call, None) => self.call(a, s.end.unwrap_or(done), depth),
                (SpanKind::Call, Some(arrived)) => {
                    // The request's way to the execution that carries on.
                    let hop = self.push_hop(depth, s.op, s.attempt, s.outcome);
                    self.hops[hop].network_ns = arrived.max(s.start) - s.start;
                    open_hop = Some(hop);
                }
                (SpanKind::Execution, next) => {
                    let hop = open_hop
                        .take()
                        .unwrap_or_else(|| self.push_hop(depth, s.op, 1, s.outcome));
                    let until = next.or(s.end).unwrap_or(done).max(s.start);
                    self.execution(a, s.start, until, hop, depth);
                    depth += 1;
                }
                (SpanKind::Message, next) => {
                    let mut hop =
                        PathHop::new(depth, Step::Message(s.queue), 1, HopEnd::of(s.outcome));
                    hop.queue_ns = next.or(s.end).unwrap_or(done).max(s.start) - s.start;
                    self.hops.push(hop);
                    depth += 1;
                }
            }
        }
        let covered = chain
            .last()
            .and_then(|&l| self.spans[l as usize].end)
            .unwrap_or(done);
        if covered < done {
            let mut hop = PathHop::new(depth, Step::NotTraced, 1, HopEnd::None);
            hop.other_ns = done - covered;
            self.hops.push(hop);
        }
    }

    fn push_hop(&mut self, depth: u32, op: OpId, attempt: u32, outcome: Option<Outcome>) -> usize {
        self.hops.push(PathHop::new(
            depth,
            Step::Op(op),
            attempt,
            HopEnd::of(outcome),
        ));
        self.hops.len() - 1
    }

    /// The part `[sent, until]` of call attempt `call`.
    fn call(&mut self, call: u32, until: SimTime, depth: u32) {
        let spans = self.spans;
        let c = &spans[call as usize];
        let until = until.max(c.start);
        let hop = self.push_hop(depth, c.op, c.attempt, c.outcome);
        let Some(&exec) = self.children[call as usize].first() else {
            // Never admitted: refused, lost on the way, or still on the wire.
            self.hops[hop].other_ns = until - c.start;
            return;
        };
        let e = &self.spans[exec as usize];
        let arrived = e.start.clamp(c.start, until);
        let (exec_until, back) = match e.end {
            Some(end) if end <= until => (end.max(arrived), until - end.max(arrived)),
            // The caller stopped waiting first (timeout, abandoned): clip the execution.
            _ => (until, 0),
        };
        self.hops[hop].network_ns = (arrived - c.start) + back;
        self.execution(exec, arrived, exec_until, hop, depth);
    }

    /// The part `[arrived, until]` of execution `exec`, charged to hop `hop`.
    fn execution(&mut self, exec: u32, arrived: SimTime, until: SimTime, hop: usize, depth: u32) {
        let e = &self.spans[exec as usize];
        let started = e.started.unwrap_or(until).clamp(arrived, until);
        let work_end = started.saturating_add(e.work).min(until);
        self.hops[hop].queue_ns = started - arrived;
        self.hops[hop].work_ns = work_end - started;
        // Walk back from `until`: the child call that ended last is what the execution
        // waited for; before it started, the one that ended last before that; and so on.
        let mut cursor = until;
        let mut other = 0;
        let mut path = Vec::new();
        loop {
            let next = self.children[exec as usize]
                .iter()
                .copied()
                .filter(|&k| {
                    let s = &self.spans[k as usize];
                    s.kind == SpanKind::Call && s.start >= work_end && s.start < cursor
                })
                .max_by_key(|&k| {
                    let s = &self.spans[k as usize];
                    (s.end.unwrap_or(cursor).min(cursor), k)
                });
            let Some(k) = next else { break };
            let s = &self.spans[k as usize];
            let end = s.end.unwrap_or(cursor).min(cursor);
            other += cursor - end;
            path.push((k, end));
            cursor = s.start;
        }
        other += cursor - work_end;
        self.hops[hop].other_ns = other;
        for (k, end) in path.into_iter().rev() {
            self.call(k, end, depth + 1);
        }
    }
}
