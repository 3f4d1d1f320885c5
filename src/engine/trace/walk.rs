//! The critical path of one traced request, from its spans.
//!
//! The path splits the response time exactly (integer nanoseconds) into, per hop, the
//! network (request and reply on the wire, also of an attempt the callee refused),
//! queueing, local work, and *other* time: retry backoff, a fallback's local work, a
//! lost request or reply waited out until the timeout, a hang, a message publish. Time
//! spent waiting on a downstream call belongs to the hops below. A call that waited for
//! a slot of a connection pool has that wait as a hop of its own ([`Step::Pool`], as
//! queue time) just before the call's hop.
//!
//! Every function here reads only what happened up to the instant the path ends (the
//! response, or the completion): work that goes on afterwards (a zombie execution of a
//! timed-out call) is clipped. So a path computed when its request ends equals one
//! computed from the same spans at the end of the run.

use crate::kernel::SimTime;
use crate::metrics::paths::{capped, CriticalPath, HopEnd, PathEnd, PathHop, Step};
use crate::metrics::{FailureReason, Outcome};
use crate::model::OpId;

/// Marker for "not traced".
pub(in crate::engine) const NO_SPAN: u32 = u32::MAX;

/// What a span covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SpanKind {
    /// One attempt of a call to an operation.
    Call,
    /// One execution of an operation on a replica.
    Execution,
    /// A message from its publish to its ack (or dead-lettering, or loss).
    Message,
}

/// One recorded piece of a traced request.
#[derive(Clone, Debug)]
pub(super) struct Span {
    pub kind: SpanKind,
    /// Call: the operation called. Execution: its operation. Message: unused.
    pub op: OpId,
    /// Message: its queue.
    pub queue: u32,
    pub attempt: u32,
    /// Enclosing span (the calling execution of a call, the call of an execution).
    pub parent: u32,
    /// The request's first span (the window's tag of whose span it is; on the first
    /// span itself, [`NO_SPAN`] once the request has ended).
    pub request: u32,
    /// The request's span opened just before this one ([`NO_SPAN`] on its first):
    /// `Window::collect_into` walks these back from the request's last span, so finding
    /// a request's spans costs their number, not every span opened while it lived.
    pub prev: u32,
    /// Call: sent. Execution: arrived at the replica. Message: published.
    pub start: SimTime,
    /// Execution: got a worker ([`NOT_YET`] until then).
    pub started_ns: SimTime,
    /// Execution: its local work.
    pub work: SimTime,
    /// Ended ([`NOT_YET`] until then).
    pub end_ns: SimTime,
    pub outcome: Option<Outcome>,
}

/// "Has not happened": no span starts or ends at the end of time. A sentinel rather
/// than an `Option` keeps a span at 72 bytes (88 with options): every request of a traced replication
/// writes its spans.
pub(super) const NOT_YET: SimTime = SimTime::MAX;

impl Span {
    /// When the execution got a worker, if it did.
    pub fn started(&self) -> Option<SimTime> {
        (self.started_ns != NOT_YET).then_some(self.started_ns)
    }

    /// When the span ended, if it did.
    pub fn end(&self) -> Option<SimTime> {
        (self.end_ns != NOT_YET).then_some(self.end_ns)
    }
}

const _: () = assert!(std::mem::size_of::<Span>() <= 72);

/// The spans of one request, `parent` as an index into the same slice, in the order
/// they were opened (the client's call first).
pub(super) struct RequestSpans<'a> {
    pub spans: &'a [Span],
    children: Children<'a>,
}

/// Each span's children in opening order, as one list: span `i`'s are
/// `kids[starts[i]..starts[i + 1]]`.
#[derive(Clone, Copy)]
struct Children<'a> {
    starts: &'a [u32],
    kids: &'a [u32],
}

impl<'a> Children<'a> {
    fn of(&self, span: u32) -> &'a [u32] {
        let i = span as usize;
        &self.kids[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

/// The buffers [`RequestSpans::new`] fills, kept by the tracer from one path to the
/// next so a sampled request's path allocates only its hops.
#[derive(Default)]
pub(super) struct Scratch {
    pub spans: Vec<Span>,
    pub ids: Vec<u32>,
    starts: Vec<u32>,
    kids: Vec<u32>,
}

/// Who a path belongs to.
#[derive(Clone, Copy, Debug)]
pub(super) struct PathOf {
    pub workload: u32,
    pub request: u64,
    pub replication: u32,
}

impl<'a> RequestSpans<'a> {
    /// The request whose spans `Window::collect_into` put in `scratch.spans`.
    pub fn new(scratch: &'a mut Scratch) -> Self {
        let Scratch {
            spans,
            starts,
            kids,
            ..
        } = scratch;
        // A counting sort by parent: count each parent's children, sum them to where
        // each parent's list ends, and fill backwards, so a span's children keep
        // their opening order and `starts[i]` ends where span `i`'s list starts.
        let n = spans.len();
        starts.clear();
        starts.resize(n + 1, 0);
        for s in spans.iter().filter(|s| s.parent != NO_SPAN) {
            starts[s.parent as usize] += 1;
        }
        for i in 1..=n {
            starts[i] += starts[i - 1];
        }
        kids.clear();
        kids.resize(starts[n] as usize, 0);
        for (i, s) in spans.iter().enumerate().rev() {
            if s.parent != NO_SPAN {
                let at = &mut starts[s.parent as usize];
                *at -= 1;
                kids[*at as usize] = i as u32;
            }
        }
        RequestSpans {
            spans,
            children: Children { starts, kids },
        }
    }

    /// The client's call: the first call with no parent.
    fn root(&self) -> Option<u32> {
        self.spans
            .iter()
            .position(|s| s.kind == SpanKind::Call && s.parent == NO_SPAN)
            .map(|i| i as u32)
    }

    fn walk(&self) -> Walk<'_> {
        Walk {
            spans: self.spans,
            children: self.children,
            hops: Vec::with_capacity(self.spans.len()),
        }
    }

    /// The critical path of the response (`None` if the client's call has not ended).
    pub fn response_path(&self, of: PathOf) -> Option<CriticalPath> {
        let root = self.root()?;
        let s = &self.spans[root as usize];
        let end = s.end()?;
        let mut walk = self.walk();
        walk.call(root, end, 0);
        Some(CriticalPath {
            workload: of.workload,
            request: of.request,
            replication: of.replication,
            latency_ns: end - s.start,
            end: PathEnd::Response(HopEnd::of(s.outcome)),
            hops: capped(walk.hops),
            asynchronous: false,
        })
    }

    /// The path to the completion at `done` (all triggered work over; `ok`: it all
    /// succeeded): the chain of causes of the span that ended last.
    pub fn completion_path(&self, of: PathOf, done: SimTime, ok: bool) -> Option<CriticalPath> {
        let root = self.root()?;
        let spans = self.spans;
        let last = (0..spans.len() as u32)
            .filter(|&i| spans[i as usize].end().is_some_and(|e| e <= done))
            .max_by_key(|&i| (spans[i as usize].end(), i))
            .unwrap_or(root);
        let mut chain = vec![last];
        while let Some(&top) = chain.last() {
            let parent = spans[top as usize].parent;
            if parent == NO_SPAN {
                break;
            }
            chain.push(parent);
        }
        chain.reverse();
        let mut walk = self.walk();
        walk.chain(&chain, done);
        let asynchronous = chain.iter().any(|&i| {
            let s = &spans[i as usize];
            s.kind == SpanKind::Message
                || (s.kind == SpanKind::Execution
                    && spans[s.parent as usize].kind != SpanKind::Call)
        });
        Some(CriticalPath {
            workload: of.workload,
            request: of.request,
            replication: of.replication,
            latency_ns: done - spans[root as usize].start,
            end: PathEnd::Completed { ok },
            hops: capped(walk.hops),
            asynchronous,
        })
    }
}

/// The backward walk from a response to the spans it waited for.
struct Walk<'a> {
    spans: &'a [Span],
    children: Children<'a>,
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
                (SpanKind::Call, None) => self.call(a, s.end().unwrap_or(done), depth),
                (SpanKind::Call, Some(arrived)) => {
                    // The request's way to the execution that carries on.
                    let sent = self.pool_hop(a, arrived, depth);
                    let hop = self.push_hop(depth, s.op, s.attempt, s.outcome);
                    self.hops[hop].network_ns = arrived.max(sent) - sent;
                    open_hop = Some(hop);
                }
                (SpanKind::Execution, next) => {
                    let hop = open_hop
                        .take()
                        .unwrap_or_else(|| self.push_hop(depth, s.op, 1, s.outcome));
                    let until = next.or(s.end()).unwrap_or(done).max(s.start);
                    self.execution(a, s.start, until, hop, depth);
                    depth += 1;
                }
                (SpanKind::Message, next) => {
                    let mut hop =
                        PathHop::new(depth, Step::Message(s.queue), 1, HopEnd::of(s.outcome));
                    hop.queue_ns = next.or(s.end()).unwrap_or(done).max(s.start) - s.start;
                    self.hops.push(hop);
                    depth += 1;
                }
            }
        }
        let covered = chain
            .last()
            .and_then(|&l| self.spans[l as usize].end())
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

    /// A pool-wait hop for call `call` if it waited for a connection (up to `until` at
    /// most); returns when the call was sent.
    fn pool_hop(&mut self, call: u32, until: SimTime, depth: u32) -> SimTime {
        let c = &self.spans[call as usize];
        let until = until.max(c.start);
        let Some(sent) = c.started() else {
            return c.start;
        };
        let sent = sent.clamp(c.start, until);
        let mut hop = PathHop::new(depth, Step::Pool(c.queue), c.attempt, HopEnd::None);
        hop.queue_ns = sent - c.start;
        self.hops.push(hop);
        sent
    }

    /// The part `[asked for a connection or sent, until]` of call attempt `call`.
    fn call(&mut self, call: u32, until: SimTime, depth: u32) {
        let spans = self.spans;
        let c = &spans[call as usize];
        let until = until.max(c.start);
        let sent = self.pool_hop(call, until, depth);
        let hop = self.push_hop(depth, c.op, c.attempt, c.outcome);
        let Some(&exec) = self.children.of(call).first() else {
            // Never admitted. Refused by the callee (a full queue, a crashed replica):
            // the request went there and the refusal came back, both on the wire. Lost
            // on the way, or still on the wire when the caller stopped waiting: the
            // caller waited it out, which is "other".
            let answered = c.end().is_some_and(|end| end <= until);
            let refused = answered
                && matches!(c.outcome, Some(Outcome::Failed(r, _)) if r != FailureReason::Timeout);
            if refused {
                self.hops[hop].network_ns = until - sent;
            } else {
                self.hops[hop].other_ns = until - sent;
            }
            return;
        };
        let e = &self.spans[exec as usize];
        let arrived = e.start.clamp(sent, until);
        let (exec_until, back) = match e.end() {
            Some(end) if end <= until => (end.max(arrived), until - end.max(arrived)),
            // The caller stopped waiting first (timeout, abandoned): clip the execution.
            _ => (until, 0),
        };
        self.hops[hop].network_ns = (arrived - sent) + back;
        self.execution(exec, arrived, exec_until, hop, depth);
    }

    /// The part `[arrived, until]` of execution `exec`, charged to hop `hop`.
    fn execution(&mut self, exec: u32, arrived: SimTime, until: SimTime, hop: usize, depth: u32) {
        let e = &self.spans[exec as usize];
        let started = e.started().unwrap_or(until).clamp(arrived, until);
        let work_end = started.saturating_add(e.work).min(until);
        self.hops[hop].queue_ns = started - arrived;
        self.hops[hop].work_ns = work_end - started;
        // Walk back from `until`: the child call that ended last is what the execution
        // waited for; before it started, the one that ended last before that; and so on.
        let mut cursor = until;
        let mut other = 0;
        let mut path = Vec::new();
        loop {
            let next = self
                .children
                .of(exec)
                .iter()
                .copied()
                .filter(|&k| {
                    let s = &self.spans[k as usize];
                    s.kind == SpanKind::Call && s.start >= work_end && s.start < cursor
                })
                .max_by_key(|&k| {
                    let s = &self.spans[k as usize];
                    (s.end().unwrap_or(cursor).min(cursor), k)
                });
            let Some(k) = next else { break };
            let s = &self.spans[k as usize];
            let end = s.end().unwrap_or(cursor).min(cursor);
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
