//! Request tracing: the critical paths of the slowest requests and the breakdown of a
//! systematic sample, in the same run that measures everything else.
//!
//! Every request of the traced replication records its spans (calls, executions,
//! messages) into a [`Window`], a ring addressed by ever-increasing span ids. When a
//! request gets its response, the tracer decides whether its response path is wanted
//! (it is among its flow's slowest so far, or in the sample) and computes it from the
//! request's own spans; when all the request's work is over (its completion), the same
//! for the completion path, and then its spans are released. The window's front moves
//! past the spans of ended requests, so it holds only the spans of requests in flight: memory
//! follows the model's concurrency, never the run's length.
//!
//! The slowest responses are kept with exactly the rule of [`crate::metrics::Slowest`],
//! offered at the same points, so the traced requests are the ones the metrics report.
//! A wanted path whose spans the window had to drop (its request outlived
//! [`Window::CAPACITY`] spans of other requests, and then the side store the oldest
//! requests move to) or a run past `u32::MAX` spans makes the trace incomplete; then
//! [`super::trace_replication`] runs the replication again, tracing only the requests
//! the first run chose, as [`Selection::Chosen`], in a window bounded by
//! [`Window::CHOSEN_CAPACITY`] (a chosen request that outlives even that has no path).
//! Spans dropped of requests whose paths were never wanted (work that never ends, a
//! request still running at the end of the run) cost no second run. Determinism makes
//! the second run follow the same trajectory (tracing draws no random numbers), so both
//! ways give the same paths.

mod record;
mod walk;
mod window;

pub use record::{record_replication, RecordedKind, RecordedRequest, RecordedSpan, Recording};

pub(super) use walk::NO_SPAN;
use walk::{PathOf, RequestSpans, Scratch, SpanKind, NOT_YET};

use crate::kernel::SimTime;
use crate::metrics::paths::{CriticalPath, SampleSums, Traced, UntracedPaths};
use crate::metrics::Outcome;
use crate::model::{Arrivals, OpId, Scenario};
use window::Window;

/// Responses per flow the breakdown averages over, about (between this and twice it).
pub const BREAKDOWN_SAMPLE: u64 = 2000;

/// How many of each flow's slowest requests get their critical path.
const SLOWEST: usize = crate::metrics::SLOWEST_TRACED;

/// The request a span belongs to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    /// Position among the replication's requests.
    pub ordinal: u64,
    /// Position among its flow's requests.
    pub in_flow: u64,
    /// Its workload.
    pub workload: u32,
    /// Sent at.
    pub sent: SimTime,
}

/// Where one request's spans are in the window: the ids from its first to its last
/// span that name the first as their request.
#[derive(Clone, Copy, Debug)]
pub(super) struct Chain {
    first: u32,
    last: u32,
}

impl Chain {
    /// A request with no span yet.
    pub const EMPTY: Chain = Chain {
        first: NO_SPAN,
        last: NO_SPAN,
    };
}

/// Which requests are traced.
pub(super) enum Selection {
    /// Every request; the tracer picks the paths as requests end.
    All,
    /// Only these (a second run after an incomplete first one).
    Chosen {
        /// Ordinals of the slowest responses, sorted.
        slowest: Vec<u64>,
        /// Ordinals of the slowest completions, sorted.
        slowest_completions: Vec<u64>,
    },
}

/// The slowest paths of a flow, with the rule of [`crate::metrics::Slowest`]: slowest
/// first, a tie keeps the one offered first.
#[derive(Default)]
struct TopPaths {
    kept: Vec<(SimTime, u64, Found)>,
    /// The latency a response must exceed to be kept: `None` while fewer than
    /// [`SLOWEST`] are (every response is), else the last kept one's. Every request of
    /// the traced replication asks, so the answer is one comparison.
    bar: Option<SimTime>,
}

impl TopPaths {
    /// Whether a response of `latency` would be kept.
    #[inline]
    fn wants(&self, latency: SimTime) -> bool {
        self.bar.map_or(true, |bar| latency > bar)
    }

    fn offer(&mut self, latency: SimTime, ordinal: u64, mut path: Found) {
        // A kept path holds no spare capacity (the sampled ones are only summed).
        if let Ok(Some(p)) = path.as_mut() {
            p.hops.shrink_to_fit();
        }
        let at = self.kept.partition_point(|&(l, ..)| l >= latency);
        self.kept.insert(at, (latency, ordinal, path));
        self.kept.truncate(SLOWEST);
        if self.kept.len() == SLOWEST {
            self.bar = self.kept.last().map(|&(l, ..)| l);
        }
    }

    fn ordinals(&self) -> impl Iterator<Item = u64> + '_ {
        self.kept.iter().map(|&(_, o, _)| o)
    }

    /// The kept paths, slowest first.
    fn paths(&self) -> impl Iterator<Item = CriticalPath> + '_ {
        self.kept
            .iter()
            .filter_map(|(.., p)| p.as_ref().ok()?.clone())
    }

    /// How many kept requests lost their spans.
    fn lost(&self) -> u32 {
        self.kept.iter().filter(|(.., p)| p.is_err()).count() as u32
    }
}

/// A request's spans were dropped: its path is unknown.
#[derive(Clone, Copy, Debug)]
struct SpansLost;

/// What a request's spans give: its path (`None` for a request with no path, e.g.
/// refused at the entry before any call), or [`SpansLost`].
type Found = Result<Option<CriticalPath>, SpansLost>;

/// What the tracer keeps of one flow.
struct FlowPaths {
    slowest: TopPaths,
    slowest_completions: TopPaths,
    /// Trace every n-th request of the flow (a power of two; doubled when the sample
    /// grows past twice [`BREAKDOWN_SAMPLE`]).
    sample_every: u64,
    /// Sums of the sampled response paths of requests sent after the warm-up.
    sampled: SampleSums,
    /// Sums of the sampled completion paths, likewise.
    sampled_completions: SampleSums,
    /// Sampled responses retained, by the trailing zeros of their ordinal, with or
    /// without a path (spans dropped): the thinning does not depend on the window.
    sampled_by_level: [u64; 65],
}

impl FlowPaths {
    #[inline]
    fn is_sampled(&self, in_flow: u64) -> bool {
        // A mask, not `%`: this runs for every request of the traced replication.
        debug_assert!(self.sample_every.is_power_of_two());
        in_flow & (self.sample_every - 1) == 0
    }

    /// Count a sampled response (`path`: its critical path, unless spans were dropped)
    /// and halve the sample while it is too big (every retained request stays a
    /// multiple of the step).
    fn sample(&mut self, in_flow: u64, path: Option<&CriticalPath>, fixed: bool) {
        self.sampled_by_level[in_flow.trailing_zeros() as usize] += 1;
        if let Some(p) = path {
            self.sampled.add(in_flow, p);
        }
        let exponent = |every: u64| every.trailing_zeros() as usize;
        let retained = |f: &Self| {
            f.sampled_by_level[exponent(f.sample_every)..]
                .iter()
                .sum::<u64>()
        };
        while !fixed && retained(self) >= 2 * BREAKDOWN_SAMPLE {
            self.sample_every *= 2;
            let e = exponent(self.sample_every) as u32;
            self.sampled.keep_multiples_of_pow2(e);
            self.sampled_completions.keep_multiples_of_pow2(e);
        }
    }
}

/// Records spans during a replication and keeps the paths it reports.
pub(super) struct Tracer {
    selection: Selection,
    window: Window,
    /// Buffers reused by every path computed.
    scratch: Scratch,
    /// A wanted path could not be computed: some of its request's spans were dropped.
    lost: bool,
    flows: Vec<FlowPaths>,
    warmup: SimTime,
    replication: u32,
    /// Copies the spans of a sample of requests for export (`record_replication`).
    recorder: Option<record::Recorder>,
}

/// The largest power of two at most `n` (1 for 0).
fn floor_pow2(n: u64) -> u64 {
    if n <= 1 {
        1
    } else {
        1 << (63 - n.leading_zeros())
    }
}

/// Expected requests of a workload over the run, where the arrivals say (else 0).
fn expected_requests(arrivals: &Arrivals, duration: SimTime) -> u64 {
    let secs = duration as f64 / 1e9;
    let n = match arrivals {
        Arrivals::Poisson { rate } | Arrivals::Constant { rate } => rate * secs,
        Arrivals::Schedule(segments) => segments
            .iter()
            .enumerate()
            .map(|(i, &(from, rate))| {
                let to = segments.get(i + 1).map_or(duration, |s| s.0).min(duration);
                rate * to.saturating_sub(from) as f64 / 1e9
            })
            .sum(),
        Arrivals::Closed { .. } => 0.0,
    };
    n.clamp(0.0, u64::MAX as f64 / 2.0) as u64
}

impl Tracer {
    /// A tracer of every request of replication `replication` of `sc`, whose sample
    /// starts at the power of two that gives about [`BREAKDOWN_SAMPLE`] for the
    /// expected arrivals.
    pub fn all(sc: &Scenario, replication: u32) -> Self {
        let every = sc
            .workloads
            .iter()
            .map(|w| floor_pow2(expected_requests(&w.arrivals, sc.sim.duration) / BREAKDOWN_SAMPLE))
            .collect();
        Self::with(sc, replication, Selection::All, every, Window::CAPACITY)
    }

    /// A tracer of the requests `first` chose but could not trace completely.
    pub fn again(sc: &Scenario, replication: u32, first: &Tracer) -> Self {
        let sorted = |top: fn(&FlowPaths) -> &TopPaths| {
            let mut v: Vec<u64> = first.flows.iter().flat_map(|f| top(f).ordinals()).collect();
            v.sort_unstable();
            v
        };
        let selection = Selection::Chosen {
            slowest: sorted(|f| &f.slowest),
            slowest_completions: sorted(|f| &f.slowest_completions),
        };
        let every = first.flows.iter().map(|f| f.sample_every).collect();
        // Bounded too: a chosen request whose work outlives the run keeps opening spans
        // to the end, and a window without a bound would grow with the run's length.
        Self::with(sc, replication, selection, every, Window::CHOSEN_CAPACITY)
    }

    fn with(
        sc: &Scenario,
        replication: u32,
        selection: Selection,
        sample_every: Vec<u64>,
        capacity: usize,
    ) -> Self {
        Tracer {
            selection,
            window: Window::new(capacity),
            scratch: Scratch::default(),
            lost: false,
            flows: sample_every
                .into_iter()
                .map(|sample_every| FlowPaths {
                    slowest: TopPaths::default(),
                    slowest_completions: TopPaths::default(),
                    sample_every,
                    sampled: SampleSums::default(),
                    sampled_completions: SampleSums::default(),
                    sampled_by_level: [0; 65],
                })
                .collect(),
            warmup: sc.sim.warmup,
            replication,
            recorder: None,
        }
    }

    /// A path this run wanted could not be computed (its request's spans were dropped,
    /// or the ids ran out): run again with [`Tracer::again`]. Spans dropped of requests
    /// whose paths were never wanted (work that outlives the run, say) do not count:
    /// the second run would compute the same paths.
    pub fn incomplete(&self) -> bool {
        self.lost || self.window.exhausted()
    }

    /// Whether `request` is to be traced (called once per request, when it is sent).
    pub fn traces(&self, request: &Request) -> bool {
        match &self.selection {
            Selection::All => true,
            Selection::Chosen {
                slowest,
                slowest_completions,
            } => {
                self.flows[request.workload as usize].is_sampled(request.in_flow)
                    || slowest.binary_search(&request.ordinal).is_ok()
                    || slowest_completions.binary_search(&request.ordinal).is_ok()
            }
        }
    }

    #[inline]
    fn open(
        &mut self,
        kind: SpanKind,
        op: OpId,
        attempt: u32,
        parent: u32,
        chain: &mut Chain,
        now: SimTime,
    ) -> u32 {
        if parent != NO_SPAN && self.window.get(parent).is_none() {
            // The window dropped the parent: the request is incomplete already. (A
            // zombie execution of an ended request opens nothing: the engine opens spans
            // only for requests still in flight.)
            return NO_SPAN;
        }
        self.window.push(kind, op, attempt, parent, now, chain)
    }

    /// A traced call attempt was sent.
    pub fn open_call(
        &mut self,
        target: OpId,
        attempt: u32,
        parent: u32,
        chain: &mut Chain,
        now: SimTime,
    ) -> u32 {
        self.open(SpanKind::Call, target, attempt, parent, chain, now)
    }

    /// A traced message was published to `queue` by the execution with span `parent`.
    pub fn open_message(
        &mut self,
        queue: u32,
        parent: u32,
        chain: &mut Chain,
        now: SimTime,
    ) -> u32 {
        let span = self.open(SpanKind::Message, OpId(0), 1, parent, chain, now);
        if let Some(s) = self.window.get_mut(span) {
            s.queue = queue;
        }
        span
    }

    /// A traced execution arrived at its replica.
    pub fn open_execution(
        &mut self,
        op: OpId,
        parent: u32,
        chain: &mut Chain,
        now: SimTime,
    ) -> u32 {
        self.open(SpanKind::Execution, op, 1, parent, chain, now)
    }

    /// Call span `span` waited for a slot of pool `pool` from `since` until it was sent
    /// at `now`: it starts at `since`, its `started_ns` marks the send and its `queue`
    /// names the pool.
    pub fn pool_wait(&mut self, span: u32, pool: u32, since: SimTime, now: SimTime) {
        if let Some(s) = self.window.get_mut(span) {
            s.start = since;
            s.started_ns = now;
            s.queue = pool;
        }
    }

    /// A traced execution got its worker, with its local work if known already (else
    /// [`Tracer::work`] tells it later).
    pub fn begin(&mut self, span: u32, now: SimTime, work: Option<SimTime>) {
        if let Some(s) = self.window.get_mut(span) {
            s.started_ns = now;
            if let Some(work) = work {
                s.work = work;
            }
        }
    }

    /// A traced execution's local work.
    pub fn work(&mut self, span: u32, work: SimTime) {
        if let Some(s) = self.window.get_mut(span) {
            s.work = work;
        }
    }

    /// A span ended (the first end counts; `None` for an abandoned attempt).
    pub fn close(&mut self, span: u32, now: SimTime, outcome: Option<Outcome>) {
        if let Some(s) = self.window.get_mut(span) {
            if s.end_ns == NOT_YET {
                s.end_ns = now;
                s.outcome = outcome;
            }
        }
    }

    fn of(&self, request: &Request) -> PathOf {
        PathOf {
            workload: request.workload,
            request: request.ordinal,
            replication: self.replication,
        }
    }

    /// The path `f` computes from `chain`'s spans.
    fn path(
        &mut self,
        chain: Chain,
        f: impl FnOnce(&RequestSpans) -> Option<CriticalPath>,
    ) -> Found {
        let s = &mut self.scratch;
        if !self.window.collect_into(chain, &mut s.spans, &mut s.ids) {
            self.lost = true;
            return Err(SpansLost);
        }
        Ok(f(&RequestSpans::new(s)))
    }

    /// A traced request got its response (called where the metrics offer it to
    /// [`crate::metrics::Slowest`], for requests sent after the warm-up).
    pub fn responded(&mut self, request: &Request, chain: Chain, latency: SimTime) {
        let of = self.of(request);
        let flow = &self.flows[request.workload as usize];
        let sampled = flow.is_sampled(request.in_flow);
        let slow = flow.slowest.wants(latency);
        if !sampled && !slow {
            return;
        }
        let path = self.path(chain, |r| r.response_path(of));
        let fixed = matches!(self.selection, Selection::Chosen { .. });
        let flow = &mut self.flows[request.workload as usize];
        // The sample only reads the path (its sums), so the slowest list takes it whole.
        if sampled {
            flow.sample(
                request.in_flow,
                path.as_ref().ok().and_then(Option::as_ref),
                fixed,
            );
        }
        if slow {
            flow.slowest.offer(latency, request.ordinal, path);
        }
    }

    /// A traced request completed at `now` (all its triggered work is over; `ok`: it
    /// all succeeded). Its spans are released.
    pub fn completed(&mut self, request: &Request, chain: Chain, now: SimTime, ok: bool) {
        if request.sent >= self.warmup {
            let of = self.of(request);
            let latency = now - request.sent;
            let flow = &self.flows[request.workload as usize];
            let sampled = flow.is_sampled(request.in_flow);
            let slow = flow.slowest_completions.wants(latency);
            if sampled || slow {
                let path = self.path(chain, |r| r.completion_path(of, now, ok));
                let flow = &mut self.flows[request.workload as usize];
                if let Some(p) = path
                    .as_ref()
                    .ok()
                    .and_then(Option::as_ref)
                    .filter(|_| sampled)
                {
                    flow.sampled_completions.add(request.in_flow, p);
                }
                if slow {
                    flow.slowest_completions
                        .offer(latency, request.ordinal, path);
                }
            }
        }
        if self.recorder.is_some() {
            self.record(request, chain, now);
        }
        self.window.release(chain);
    }

    /// The critical paths of the slowest requests (by flow, slowest first) and the
    /// breakdowns of each flow's sampled requests.
    pub fn analyse(self) -> Traced {
        let replication = self.replication;
        let slowest_of = |top: &TopPaths| -> Vec<CriticalPath> { top.paths().collect() };
        let critical_paths = self
            .flows
            .iter()
            .flat_map(|f| slowest_of(&f.slowest))
            .collect();
        let completion_paths = self
            .flows
            .iter()
            .flat_map(|f| slowest_of(&f.slowest_completions))
            .collect();
        let response_breakdowns = (self.flows.iter().zip(0..))
            .filter_map(|(f, w)| f.sampled.average(w, replication))
            .collect();
        // Only flows whose completions go beyond the response have a completion breakdown.
        let completion_breakdowns = (self.flows.iter().zip(0..))
            .filter(|(f, _)| f.sampled_completions.any_asynchronous())
            .filter_map(|(f, w)| f.sampled_completions.average(w, replication))
            .collect();
        let untraced = (self.flows.iter().zip(0..))
            .map(|(f, workload)| UntracedPaths {
                workload,
                responses: f.slowest.lost(),
                completions: f.slowest_completions.lost(),
            })
            .filter(|u| u.responses + u.completions > 0)
            .collect();
        Traced {
            critical_paths,
            response_breakdowns,
            completion_paths,
            completion_breakdowns,
            untraced,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::run_engine;
    use std::path::Path;

    fn scenario(file: &str) -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(&path).expect("shipped scenario");
        let mut sc = crate::spec::load_str(&text, &path).expect("valid");
        sc.sim.duration = sc.sim.duration.min(60 * crate::kernel::NANOS_PER_SEC);
        sc
    }

    fn traced(sc: &Scenario, tracer: Tracer) -> Tracer {
        let (_, t) = run_engine(sc, 0, Some(Box::new(tracer)), true).expect("runs");
        *t.expect("the tracer comes back")
    }

    /// A window too small for the requests in flight loses spans, says so, and the run
    /// that traces only the chosen requests gives exactly the paths of one with room.
    #[test]
    fn a_window_that_drops_spans_falls_back_to_the_same_paths() {
        for file in [
            "scenarios/failures/retry-storm.toml",
            "scenarios/messaging/bank-request-reply.toml",
            "scenarios/messaging/order-events-fanout.toml",
            "scenarios/sagas/saga-orchestration.toml",
        ] {
            let sc = scenario(file);
            let roomy = traced(&sc, Tracer::all(&sc, 0));
            assert!(!roomy.incomplete(), "{file}: the default window suffices");
            // 16 spans in the ring and none aside: requests lose their spans.
            let mut small = Tracer::all(&sc, 0);
            small.window.set_capacity(16, 0);
            let small = traced(&sc, small);
            assert!(
                small.incomplete(),
                "{file}: 16 spans cannot hold the requests in flight"
            );
            let again = traced(&sc, Tracer::again(&sc, 0, &small));
            assert!(!again.incomplete());
            // 16 spans in the ring and the rest aside: nothing is lost.
            let mut aside = Tracer::all(&sc, 0);
            aside.window.set_capacity(16, usize::MAX);
            let aside = traced(&sc, aside);
            assert!(aside.window.spilled() > 0, "{file}: spans were moved aside");
            assert!(!aside.incomplete(), "{file}: a ring of 16 and spans aside");
            let (a, b, c) = (roomy.analyse(), again.analyse(), aside.analyse());
            assert!(!a.critical_paths.is_empty() && !a.response_breakdowns.is_empty());
            assert_eq!(a, b, "{file}");
            assert_eq!(a, c, "{file}: spans moved aside");
        }
    }

    /// A wanted path that loses its spans even in the run that traces only the chosen
    /// requests is not made up: it is left out, and counted by flow in `untraced`.
    #[test]
    fn paths_lost_in_the_second_run_are_counted() {
        let sc = scenario("scenarios/failures/retry-storm.toml");
        let full = traced(&sc, Tracer::all(&sc, 0)).analyse();
        let mut small = Tracer::all(&sc, 0);
        small.window.set_capacity(16, 0);
        let small = traced(&sc, small);
        let mut again = Tracer::again(&sc, 0, &small);
        again.window.set_capacity(2, 0);
        let again = traced(&sc, again);
        assert!(again.incomplete(), "2 spans cannot hold a chosen request");
        let lost = again.analyse();
        assert!(full.untraced.is_empty() && !lost.untraced.is_empty());
        let of = |paths: &[CriticalPath], w: u32| {
            paths.iter().filter(|p| p.workload == w).count() as u32
        };
        for w in 0..sc.workloads.len() as u32 {
            let u = lost.untraced.iter().find(|u| u.workload == w);
            let (responses, completions) = u.map_or((0, 0), |u| (u.responses, u.completions));
            let listed = of(&lost.critical_paths, w);
            assert_eq!(listed + responses, of(&full.critical_paths, w), "flow {w}");
            let listed = of(&lost.completion_paths, w);
            assert_eq!(
                listed + completions,
                of(&full.completion_paths, w),
                "flow {w}"
            );
        }
        // What is listed is exactly what a window with room gives.
        assert!(lost
            .critical_paths
            .iter()
            .all(|p| full.critical_paths.contains(p)));
        assert!(lost
            .completion_paths
            .iter()
            .all(|p| full.completion_paths.contains(p)));
    }

    /// Spans dropped of requests whose paths are never wanted (work that never ends)
    /// cost no second run, and the paths are those of a window that dropped nothing.
    #[test]
    fn dropped_spans_no_path_wants_need_no_second_run() {
        let mut sc = scenario("tests/data/endless-work.toml");
        sc.sim.duration = 2 * crate::kernel::NANOS_PER_SEC;
        let roomy = traced(&sc, Tracer::all(&sc, 0));
        let held = roomy.window.held();
        assert!(held > 256, "the requests' endless work keeps {held} spans");
        let mut small = Tracer::all(&sc, 0);
        small.window.set_capacity(held / 4, held / 4);
        let small = traced(&sc, small);
        assert!(!roomy.incomplete() && !small.incomplete());
        let (a, b) = (roomy.analyse(), small.analyse());
        assert!(!a.critical_paths.is_empty() && !a.response_breakdowns.is_empty());
        assert_eq!(a, b);
    }

    #[test]
    fn powers_of_two_floor() {
        assert_eq!(
            [0, 1, 2, 3, 4, 1023, 1024, u64::MAX].map(floor_pow2),
            [1, 1, 2, 2, 4, 512, 1024, 1 << 63]
        );
    }
}
