//! Critical paths and latency breakdowns: the records a traced replication yields.
//!
//! The engine's tracer (`engine::trace`) walks the spans of the traced requests and
//! builds these; the experiment keeps them in [`crate::experiment::Summary::traced`];
//! the report turns their ids into names. They hold typed ids ([`OpId`], queue indices)
//! and outcomes, never display strings.

use super::Outcome;
use crate::model::OpId;
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
    /// The flows some of whose slowest requests have no path (by flow; none for most
    /// runs): the lists above are that much shorter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untraced: Vec<UntracedPaths>,
}

/// Slowest requests of one flow that tracing could not give a path: each request's
/// spans outlived the tracer's window even in the run that traced only the chosen
/// requests (a request of more than a million spans, or one among chosen requests
/// that together held that many at once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UntracedPaths {
    /// The flow (workload index).
    pub workload: u32,
    /// Of its slowest responses.
    pub responses: u32,
    /// Of its slowest completions.
    pub completions: u32,
}

/// Sums of sampled critical paths of one flow.
#[derive(Clone, Debug, Default)]
struct Breakdown {
    requests: u64,
    latency_ns: u128,
    /// Some path is asynchronous (see [`CriticalPath::asynchronous`]).
    asynchronous: bool,
    hops: Vec<HopSums>,
}

/// One step's sums over the paths of a [`Breakdown`].
#[derive(Clone, Debug)]
struct HopSums {
    step: Step,
    /// Shallowest depth seen.
    depth: u32,
    /// Attempts on the paths.
    calls: u64,
    /// Network, queue, work and other time (ns).
    ns: [u128; 4],
    /// Where the step first appears, (request ordinal in its flow, index in the path):
    /// the order of first appearance in ordinal order, whatever order paths arrive in.
    first: (u64, usize),
}

impl Breakdown {
    fn add(&mut self, ordinal: u64, p: &CriticalPath) {
        self.requests += 1;
        self.latency_ns += p.latency_ns as u128;
        self.asynchronous |= p.asynchronous;
        for (j, h) in p.hops.iter().enumerate() {
            // Paths of one flow mostly share their shape: try the same index first.
            let i = match self.hops.get(j).filter(|x| x.step == h.step) {
                Some(_) => j,
                None => match self.hops.iter().position(|x| x.step == h.step) {
                    Some(i) => i,
                    None => {
                        self.hops.push(HopSums {
                            step: h.step,
                            depth: h.depth,
                            calls: 0,
                            ns: [0; 4],
                            first: (ordinal, j),
                        });
                        self.hops.len() - 1
                    }
                },
            };
            let x = &mut self.hops[i];
            x.depth = x.depth.min(h.depth);
            x.first = x.first.min((ordinal, j));
            x.calls += 1;
            for (sum, v) in
                x.ns.iter_mut()
                    .zip([h.network_ns, h.queue_ns, h.work_ns, h.other_ns])
            {
                *sum += v as u128;
            }
        }
    }

    fn merge(&mut self, other: &Breakdown) {
        self.requests += other.requests;
        self.latency_ns += other.latency_ns;
        self.asynchronous |= other.asynchronous;
        for h in &other.hops {
            match self.hops.iter_mut().find(|x| x.step == h.step) {
                Some(x) => {
                    x.depth = x.depth.min(h.depth);
                    x.first = x.first.min(h.first);
                    x.calls += h.calls;
                    x.ns.iter_mut().zip(h.ns).for_each(|(a, b)| *a += b);
                }
                None => self.hops.push(h.clone()),
            }
        }
    }

    fn finish(mut self, workload: u32, replication: u32) -> LatencyBreakdown {
        let n = self.requests as f64;
        let per = |ns: u128| ns as f64 / 1e6 / n;
        // Shallowest first; within a depth, first seen first (in request order).
        self.hops.sort_unstable_by_key(|h| (h.depth, h.first));
        LatencyBreakdown {
            workload,
            replication,
            sampled: self.requests,
            mean_latency_ms: per(self.latency_ns),
            hops: self
                .hops
                .into_iter()
                .map(|h| HopBreakdown {
                    step: h.step,
                    depth: h.depth,
                    calls_per_request: h.calls as f64 / n,
                    network_ms: per(h.ns[0]),
                    queue_ms: per(h.ns[1]),
                    work_ms: per(h.ns[2]),
                    other_ms: per(h.ns[3]),
                })
                .collect(),
        }
    }
}

/// Levels of a [`SampleSums`]: trailing zeros of a `u64` ordinal, 0 to 64.
const LEVELS: usize = 65;

/// The running hop-by-hop sums of one flow's systematic sample (every request whose
/// ordinal in its flow is a multiple of the step, a power of two), kept by the number
/// of trailing zeros of the ordinal. Doubling the step keeps exactly the levels at or
/// above its new exponent, so thinning drops sums instead of stored paths: memory is
/// a few levels times the distinct steps, not the sample times the path length. The
/// sums are integers, so the average is exactly that of the paths retained.
#[derive(Clone, Debug)]
pub struct SampleSums {
    levels: Vec<Breakdown>,
    /// Levels below this are dropped.
    lowest: u32,
}

impl Default for SampleSums {
    fn default() -> Self {
        SampleSums {
            levels: vec![Breakdown::default(); LEVELS],
            lowest: 0,
        }
    }
}

impl SampleSums {
    /// Add the path of the request with ordinal `ordinal` in its flow.
    pub fn add(&mut self, ordinal: u64, p: &CriticalPath) {
        let level = ordinal.trailing_zeros();
        debug_assert!(level >= self.lowest, "ordinal {ordinal} not in the sample");
        self.levels[level as usize].add(ordinal, p);
    }

    /// Keep only the requests whose ordinal is a multiple of `2^exponent`.
    pub fn keep_multiples_of_pow2(&mut self, exponent: u32) {
        for level in self.lowest..exponent.min(LEVELS as u32) {
            self.levels[level as usize] = Breakdown::default();
        }
        self.lowest = self.lowest.max(exponent);
    }

    /// Some retained path is asynchronous.
    pub fn any_asynchronous(&self) -> bool {
        self.levels.iter().any(|l| l.asynchronous)
    }

    /// The hop-by-hop average of the retained paths (`None` without any).
    pub fn average(&self, workload: u32, replication: u32) -> Option<LatencyBreakdown> {
        let mut all = Breakdown::default();
        for l in &self.levels[self.lowest.min(LEVELS as u32) as usize..] {
            all.merge(l);
        }
        (all.requests > 0).then(|| all.finish(workload, replication))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The average of stored paths as the tracer used to form it: sorted by ordinal,
    /// steps in order of first appearance, then a stable sort by shallowest depth.
    fn reference(mut paths: Vec<(u64, CriticalPath)>) -> Option<LatencyBreakdown> {
        paths.sort_by_key(|(i, _)| *i);
        let mut order: Vec<(Step, u32, u64, [u128; 4])> = Vec::new();
        let mut latency = 0u128;
        for (_, p) in &paths {
            latency += p.latency_ns as u128;
            for h in &p.hops {
                let i = order.iter().position(|x| x.0 == h.step).unwrap_or_else(|| {
                    order.push((h.step, h.depth, 0, [0; 4]));
                    order.len() - 1
                });
                let x = &mut order[i];
                x.1 = x.1.min(h.depth);
                x.2 += 1;
                for (s, v) in
                    x.3.iter_mut()
                        .zip([h.network_ns, h.queue_ns, h.work_ns, h.other_ns])
                {
                    *s += v as u128;
                }
            }
        }
        order.sort_by_key(|h| h.1);
        let mut b = Breakdown {
            requests: paths.len() as u64,
            latency_ns: latency,
            asynchronous: false,
            hops: Vec::new(),
        };
        b.hops = (order.into_iter().enumerate())
            .map(|(k, (step, depth, calls, ns))| HopSums {
                step,
                depth,
                calls,
                ns,
                first: (0, k),
            })
            .collect();
        (b.requests > 0).then(|| b.finish(0, 0))
    }

    fn path(hops: &[(u32, u32, u64)]) -> CriticalPath {
        let hops: Vec<PathHop> = (hops.iter())
            .map(|&(depth, op, ns)| PathHop {
                network_ns: ns,
                queue_ns: ns / 3,
                work_ns: ns / 7,
                ..PathHop::new(depth, Step::Op(OpId(op)), 1, HopEnd::None)
            })
            .collect();
        CriticalPath {
            workload: 0,
            request: 0,
            replication: 0,
            latency_ns: hops.iter().map(PathHop::total_ns).sum(),
            end: PathEnd::Response(HopEnd::None),
            hops,
            asynchronous: false,
        }
    }

    proptest! {
        /// Sums by level, thinned by dropping levels, give exactly the average of the
        /// stored paths thinned by keeping the multiples, whatever order they arrive in.
        #[test]
        fn level_sums_equal_the_thinned_stored_paths(
            shapes in proptest::collection::vec(
                proptest::collection::vec((0u32..4, 0u32..6, 0u64..1_000_000), 1..8), 1..60),
            order in proptest::collection::vec(0usize..1000, 60),
            exponent in 0u32..4,
        ) {
            let mut items: Vec<(u64, CriticalPath)> =
                shapes.iter().enumerate().map(|(i, s)| (i as u64, path(s))).collect();
            // Arrival order: a shuffle by the drawn keys.
            let mut keyed: Vec<(usize, (u64, CriticalPath))> =
                order.iter().copied().zip(items.drain(..)).collect();
            keyed.sort_by_key(|(k, _)| *k);
            let mut sums = SampleSums::default();
            for (_, (i, p)) in &keyed {
                sums.add(*i, p);
            }
            sums.keep_multiples_of_pow2(exponent);
            let kept: Vec<(u64, CriticalPath)> = (keyed.into_iter().map(|(_, x)| x))
                .filter(|(i, _)| i % (1 << exponent) == 0)
                .collect();
            prop_assert_eq!(sums.average(0, 0), reference(kept));
        }
    }
}
