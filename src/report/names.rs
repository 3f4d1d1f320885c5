//! Names for the ids in results: the one place a path's steps and outcomes become text.

use crate::metrics::paths::{
    CriticalPath, HopBreakdown, HopEnd, LatencyBreakdown, PathEnd, PathHop, Step, Traced,
};
use crate::metrics::Outcome;
use crate::model::{OpId, Scenario};
use serde::Serialize;

/// Suffix of a message hop's name ("broker.queue (message)").
const MESSAGE_SUFFIX: &str = " (message)";
/// Name of the hop covering untraced work at the end of a completion path.
const NOT_TRACED: &str = "(after the last traced work: result on its way, timeout)";

/// "service.operation" of `op`.
pub fn operation(sc: &Scenario, op: OpId) -> String {
    sc.operations
        .get(op.0 as usize)
        .map_or_else(|| format!("operation #{}", op.0), |o| o.name.clone())
}

/// A path step's name: the operation, "broker.queue (message)", or a note.
pub fn step(sc: &Scenario, step: Step) -> String {
    match step {
        Step::Op(op) => operation(sc, op),
        Step::Message(q) => {
            let queue = sc
                .queues
                .get(q as usize)
                .map_or_else(|| format!("queue #{q}"), |q| q.name.clone());
            format!("{queue}{MESSAGE_SUFFIX}")
        }
        Step::NotTraced => NOT_TRACED.into(),
        Step::Folded(n) => format!("... {n} more hops"),
        Step::Pool(p) => sc.pools.get(p as usize).map_or_else(
            || format!("pool #{p}"),
            |p| {
                let name = |s: crate::model::ServiceId| &sc.services[s.0 as usize].name;
                format!("{} -> {} (pool wait)", name(p.caller), name(p.callee))
            },
        ),
    }
}

/// "ok", "degraded", "timeout (root: bank)", "abandoned", or "" for a hop without an
/// outcome of its own.
pub fn hop_end(sc: &Scenario, end: HopEnd) -> String {
    match end {
        HopEnd::None => String::new(),
        HopEnd::Abandoned => "abandoned".into(),
        HopEnd::Done(Outcome::Ok) => "ok".into(),
        HopEnd::Done(Outcome::Degraded) => "degraded".into(),
        HopEnd::Done(Outcome::Failed(reason, root)) => {
            format!("{} (root: {})", reason.label(), root.name(sc))
        }
    }
}

/// How a path ended: its response's outcome, or "ok" / "failed" for a completion.
pub fn path_end(sc: &Scenario, end: PathEnd) -> String {
    match end {
        PathEnd::Response(e) => hop_end(sc, e),
        PathEnd::Completed { ok: true } => "ok".into(),
        PathEnd::Completed { ok: false } => "failed".into(),
    }
}

/// The flow of workload `w`.
pub fn flow(sc: &Scenario, w: u32) -> String {
    sc.workloads
        .get(w as usize)
        .map_or_else(|| format!("workload #{w}"), |w| w.flow.clone())
}

/// A [`CriticalPath`] with names: what the JSON holds and the tables show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedPath {
    /// The request's flow.
    pub flow: String,
    /// Index of the flow's workload.
    pub workload: u32,
    /// Request ordinal within its replication (0 = first request sent).
    pub request: u64,
    /// The replication it ran in (0-based).
    pub replication: u32,
    /// Latency (ns): the sum of every hop's parts.
    pub latency_ns: u64,
    /// "ok", "degraded" or the failure reason with its root cause.
    pub outcome: String,
    /// The hops, depth first in call order.
    pub hops: Vec<NamedHop>,
    /// The path goes through asynchronous work.
    pub asynchronous: bool,
}

impl NamedPath {
    /// The sum of every hop's parts (ns): equal to `latency_ns`.
    pub fn hops_total_ns(&self) -> u64 {
        self.hops
            .iter()
            .map(|h| h.network_ns + h.queue_ns + h.work_ns + h.other_ns)
            .sum()
    }
}

/// A [`PathHop`] with names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedHop {
    /// Call depth (0 = the client's call to the entry operation).
    pub depth: u32,
    /// The step ("service.operation", "broker.queue (message)", ...).
    pub operation: String,
    /// Attempt number of the call (1 unless retried).
    pub attempt: u32,
    /// Request and reply on the wire (ns).
    pub network_ns: u64,
    /// Waiting for a worker at the callee (ns).
    pub queue_ns: u64,
    /// The callee's local work (ns).
    pub work_ns: u64,
    /// Other time (ns): see [`PathHop::other_ns`].
    pub other_ns: u64,
    /// How the attempt ended ("ok", "timeout (root: bank)", "abandoned", ...).
    pub outcome: String,
}

/// A [`LatencyBreakdown`] with names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedBreakdown {
    /// The flow.
    pub flow: String,
    /// Index of the flow's workload.
    pub workload: u32,
    /// The replication sampled (0-based).
    pub replication: u32,
    /// Requests in the sample.
    pub sampled: u64,
    /// Their mean latency (ms).
    pub mean_latency_ms: f64,
    /// Per step, shallowest first.
    pub hops: Vec<NamedHopBreakdown>,
}

/// A [`HopBreakdown`] with names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedHopBreakdown {
    /// The step's name.
    pub operation: String,
    /// Shallowest call depth it appears at (0 = the entry).
    pub depth: u32,
    /// Attempts of it on the critical path per request.
    pub calls_per_request: f64,
    /// Network (ms per request).
    pub network_ms: f64,
    /// Queueing (ms per request).
    pub queue_ms: f64,
    /// Local work (ms per request).
    pub work_ms: f64,
    /// Other time (ms per request).
    pub other_ms: f64,
}

impl NamedHopBreakdown {
    /// Network + queue + work + other (ms per request).
    pub fn total_ms(&self) -> f64 {
        self.network_ms + self.queue_ms + self.work_ms + self.other_ms
    }
}

/// `p` with the names of `sc`.
pub fn named_path(sc: &Scenario, p: &CriticalPath) -> NamedPath {
    NamedPath {
        flow: flow(sc, p.workload),
        workload: p.workload,
        request: p.request,
        replication: p.replication,
        latency_ns: p.latency_ns,
        outcome: path_end(sc, p.end),
        hops: p.hops.iter().map(|h| named_hop(sc, h)).collect(),
        asynchronous: p.asynchronous,
    }
}

fn named_hop(sc: &Scenario, h: &PathHop) -> NamedHop {
    NamedHop {
        depth: h.depth,
        operation: step(sc, h.step),
        attempt: h.attempt,
        network_ns: h.network_ns,
        queue_ns: h.queue_ns,
        work_ns: h.work_ns,
        other_ns: h.other_ns,
        outcome: hop_end(sc, h.outcome),
    }
}

/// `b` with the names of `sc`.
pub fn named_breakdown(sc: &Scenario, b: &LatencyBreakdown) -> NamedBreakdown {
    NamedBreakdown {
        flow: flow(sc, b.workload),
        workload: b.workload,
        replication: b.replication,
        sampled: b.sampled,
        mean_latency_ms: b.mean_latency_ms,
        hops: b
            .hops
            .iter()
            .map(|h: &HopBreakdown| NamedHopBreakdown {
                operation: step(sc, h.step),
                depth: h.depth,
                calls_per_request: h.calls_per_request,
                network_ms: h.network_ms,
                queue_ms: h.queue_ms,
                work_ms: h.work_ms,
                other_ms: h.other_ms,
            })
            .collect(),
    }
}

/// The four traced lists of a run with names, in the JSON's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedTraced {
    /// See [`Traced::critical_paths`].
    pub critical_paths: Vec<NamedPath>,
    /// See [`Traced::response_breakdowns`].
    pub response_breakdowns: Vec<NamedBreakdown>,
    /// See [`Traced::completion_paths`].
    pub completion_paths: Vec<NamedPath>,
    /// See [`Traced::completion_breakdowns`].
    pub completion_breakdowns: Vec<NamedBreakdown>,
}

/// `t` with the names of `sc`.
pub fn named_traced(sc: &Scenario, t: &Traced) -> NamedTraced {
    let paths = |ps: &[CriticalPath]| ps.iter().map(|p| named_path(sc, p)).collect();
    let breakdowns = |bs: &[LatencyBreakdown]| bs.iter().map(|b| named_breakdown(sc, b)).collect();
    NamedTraced {
        critical_paths: paths(&t.critical_paths),
        response_breakdowns: breakdowns(&t.response_breakdowns),
        completion_paths: paths(&t.completion_paths),
        completion_breakdowns: breakdowns(&t.completion_breakdowns),
    }
}
