//! Critical paths and latency breakdowns: the records a traced replication yields.
//!
//! The engine's tracer (`engine::trace`) walks the spans of the traced requests and
//! builds these; the experiment keeps them in [`crate::experiment::Summary::traced`];
//! the report turns their ids into names. They hold typed ids ([`OpId`], queue indices)
//! and outcomes, never display strings.

use super::Outcome;
use crate::model::{OpId, Scenario};
use serde::{Deserialize, Serialize};

/// What one hop of a path stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// A call to an operation and the execution that served it.
    Op(OpId),
    /// A message on queue `.0` (index into `Scenario::queues`), from its publish to
    /// its consumer's start.
    Message(u32),
    /// The time after the last traced work of a completion path (a result on its way,
    /// a timeout): work the tracer does not see.
    NotTraced,
    /// The hops past [`MAX_PATH_HOPS`], folded into one (`.0` of them).
    Folded(usize),
    /// Waiting for a slot of client connection pool `.0` (index into
    /// `Scenario::pools`) before the call below it was sent: its queue time.
    Pool(u32),
}

/// How a call attempt or a message on a path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HopEnd {
    /// It ended with this outcome.
    Done(Outcome),
    /// It was still open when its caller stopped waiting or the run ended.
    Abandoned,
    /// The hop has no outcome of its own ([`Step::NotTraced`], [`Step::Folded`],
    /// [`Step::Pool`]).
    None,
}

impl HopEnd {
    /// `Done(o)` for `Some(o)`, else `Abandoned`.
    pub fn of(outcome: Option<Outcome>) -> Self {
        outcome.map_or(HopEnd::Abandoned, HopEnd::Done)
    }
}

/// How a path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PathEnd {
    /// A response path: how the client's call ended.
    Response(HopEnd),
    /// A completion path: all triggered work finished, successfully or not.
    Completed {
        /// Whether the response and all triggered work succeeded.
        ok: bool,
    },
}

/// The critical path of one request's response (or completion).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalPath {
    /// Index of the request's workload (flow).
    pub workload: u32,
    /// Request ordinal within its replication (0 = first request sent).
    pub request: u64,
    /// The replication it ran in (0-based).
    pub replication: u32,
    /// Latency (ns): exactly the sum of every hop's network, queue, work and other time.
    pub latency_ns: u64,
    /// How it ended.
    pub end: PathEnd,
    /// The hops, depth first in call order.
    pub hops: Vec<PathHop>,
    /// The path goes through asynchronous work (a message, a request-reply
    /// continuation, a saga step): a completion path that is more than a response's.
    pub asynchronous: bool,
}

/// One call on a critical path and the execution that served it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathHop {
    /// Call depth (0 = the client's call to the entry operation).
    pub depth: u32,
    /// What the hop is.
    pub step: Step,
    /// Attempt number of the call (1 unless retried).
    pub attempt: u32,
    /// Request and reply on the wire (ns).
    pub network_ns: u64,
    /// Waiting for a worker at the callee (ns).
    pub queue_ns: u64,
    /// The callee's local work (ns).
    pub work_ns: u64,
    /// Time on this hop not explained by the above or by the hops below it (ns):
    /// backoff between attempts, a fallback's local work, a request or reply lost and
    /// waited out, a hang, a message publish.
    pub other_ns: u64,
    /// How the attempt ended.
    pub outcome: HopEnd,
}

impl PathHop {
    /// A hop with no time charged yet.
    pub fn new(depth: u32, step: Step, attempt: u32, outcome: HopEnd) -> Self {
        PathHop {
            depth,
            step,
            attempt,
            network_ns: 0,
            queue_ns: 0,
            work_ns: 0,
            other_ns: 0,
            outcome,
        }
    }

    /// Network + queue + work + other (ns): the hop's own share of the path.
    pub fn total_ns(&self) -> u64 {
        self.network_ns + self.queue_ns + self.work_ns + self.other_ns
    }
}

impl CriticalPath {
    /// The sum of every hop's share: equal to `latency_ns` by construction.
    pub fn hops_total_ns(&self) -> u64 {
        self.hops.iter().map(PathHop::total_ns).sum()
    }
}

/// Most hops a path lists: a request retried or hedged without end (every attempt is a
/// hop) would otherwise make a path, its table and its JSON as big as the run.
pub const MAX_PATH_HOPS: usize = 200;

/// `hops`, the ones past [`MAX_PATH_HOPS`] folded into one last hop that carries their
/// summed parts, so the path still adds up to its latency.
pub fn capped(mut hops: Vec<PathHop>) -> Vec<PathHop> {
    if hops.len() <= MAX_PATH_HOPS {
        // Kept paths (thousands in a sample) hold no spare capacity.
        hops.shrink_to_fit();
        return hops;
    }
    let rest = hops.split_off(MAX_PATH_HOPS - 1);
    let mut tail = PathHop::new(rest[0].depth, Step::Folded(rest.len()), 1, HopEnd::None);
    for h in &rest {
        tail.network_ns += h.network_ns;
        tail.queue_ns += h.queue_ns;
        tail.work_ns += h.work_ns;
        tail.other_ns += h.other_ns;
    }
    hops.push(tail);
    hops.shrink_to_fit();
    hops
}

/// Where a flow's response (or completion) time goes: the paths of a systematic sample
/// of its requests (every n-th sent after the warm-up), averaged hop by hop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyBreakdown {
    /// Index of the flow's workload.
    pub workload: u32,
    /// The replication sampled (0-based).
    pub replication: u32,
    /// Requests in the sample.
    pub sampled: u64,
    /// Their mean latency (ms): exactly the sum over hops of the four parts.
    pub mean_latency_ms: f64,
    /// Per step on the paths, shallowest first.
    pub hops: Vec<HopBreakdown>,
}

/// One step's share of a flow's mean response time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopBreakdown {
    /// What the hop is.
    pub step: Step,
    /// Shallowest call depth it appears at (0 = the entry).
    pub depth: u32,
    /// Attempts of it on the critical path per response.
    pub calls_per_request: f64,
    /// Mean per response (ms): network, queueing, work and other time (see [`PathHop`]).
    pub network_ms: f64,
    /// Queueing (ms per response).
    pub queue_ms: f64,
    /// Local work (ms per response).
    pub work_ms: f64,
    /// Other time (ms per response).
    pub other_ms: f64,
}

impl HopBreakdown {
    /// Network + queue + work + other (ms per response).
    pub fn total_ms(&self) -> f64 {
        self.network_ms + self.queue_ms + self.work_ms + self.other_ms
    }
}

/// What tracing a replication again found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Traced {
    /// Critical paths of the slowest responses of each flow (by flow, slowest first).
    pub critical_paths: Vec<CriticalPath>,
    /// Per flow: its mean response time split by hop, from a systematic sample.
    pub response_breakdowns: Vec<LatencyBreakdown>,
    /// Paths of the slowest completions of each flow (from the client's call along the
    /// chain of causes to the last piece of work), slowest first.
    pub completion_paths: Vec<CriticalPath>,
    /// Per flow with asynchronous work: its mean completion time split by hop (the
    /// completion paths of the same sample as `response_breakdowns`).
    pub completion_breakdowns: Vec<LatencyBreakdown>,
}

/// Sums of sampled critical paths of one flow.
#[derive(Clone, Debug, Default)]
struct Breakdown {
    requests: u64,
    latency_ns: u128,
    /// (step, shallowest depth, attempts, [network, queue, work, other] ns).
    hops: Vec<(Step, u32, u64, [u128; 4])>,
}

impl Breakdown {
    fn add(&mut self, p: &CriticalPath) {
        self.requests += 1;
        self.latency_ns += p.latency_ns as u128;
        for h in &p.hops {
            let i = match self.hops.iter().position(|x| x.0 == h.step) {
                Some(i) => i,
                None => {
                    self.hops.push((h.step, h.depth, 0, [0; 4]));
                    self.hops.len() - 1
                }
            };
            let x = &mut self.hops[i];
            x.1 = x.1.min(h.depth);
            x.2 += 1;
            for (sum, v) in
                x.3.iter_mut()
                    .zip([h.network_ns, h.queue_ns, h.work_ns, h.other_ns])
            {
                *sum += v as u128;
            }
        }
    }

    fn finish(mut self, workload: u32, replication: u32) -> LatencyBreakdown {
        let n = self.requests as f64;
        let per = |ns: u128| ns as f64 / 1e6 / n;
        // Stable: first seen first within a depth.
        self.hops.sort_by_key(|h| h.1);
        LatencyBreakdown {
            workload,
            replication,
            sampled: self.requests,
            mean_latency_ms: per(self.latency_ns),
            hops: self
                .hops
                .into_iter()
                .map(|(step, depth, calls, t)| HopBreakdown {
                    step,
                    depth,
                    calls_per_request: calls as f64 / n,
                    network_ms: per(t[0]),
                    queue_ms: per(t[1]),
                    work_ms: per(t[2]),
                    other_ms: per(t[3]),
                })
                .collect(),
        }
    }
}

/// Per flow of `sc`, the hop-by-hop average of `paths` (flows without a path are left
/// out).
pub fn average_paths<'p>(
    sc: &Scenario,
    replication: u32,
    paths: impl Iterator<Item = &'p CriticalPath>,
) -> Vec<LatencyBreakdown> {
    let mut sums: Vec<Breakdown> = vec![Breakdown::default(); sc.workloads.len()];
    for p in paths {
        sums[p.workload as usize].add(p);
    }
    sums.into_iter()
        .enumerate()
        .filter(|(_, b)| b.requests > 0)
        .map(|(w, b)| b.finish(w as u32, replication))
        .collect()
}
