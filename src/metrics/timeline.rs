//! Per-interval figures (default 1 s of simulated time): throughput, failures and p99 per
//! flow; utilization, queue length, completions and failures per service.
//!
//! Memory is bounded by the model, never by the run's length, its number of requests or
//! (for an experiment that keeps every replication's metrics) its replications: at most
//! [`crate::model::MAX_TIMELINE_INTERVALS`] intervals (a long run gets wider intervals),
//! and an interval keeps three latency quantiles, not a histogram. One live histogram per
//! flow (2 significant digits, `metrics::interval`) records the interval the clock is in;
//! when responses move on to a later interval, it leaves its p50, p90 and p99 behind and
//! starts again empty.

use super::interval::{interval_layout, IntervalHistogram};
use crate::kernel::SimTime;
use crate::model::{FaultSchedule, Scenario};
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
    /// Response latency quantiles; `None` when the interval had no response.
    pub latency: Option<IntervalLatency>,
}

/// Response latency quantiles of one interval (ns), read from the interval's histogram
/// (2 significant digits) when responses moved on to a later interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalLatency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
}

impl IntervalLatency {
    /// The quantile for `percentile` (50, 90 or 99), if it is one of the kept ones.
    pub fn at(&self, percentile: f64) -> Option<u64> {
        [(50.0, self.p50), (90.0, self.p90), (99.0, self.p99)]
            .into_iter()
            .find_map(|(p, v)| (p == percentile).then_some(v))
    }
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
    /// Per flow, the latencies of interval `live_index` so far (empty after [`Self::seal`]
    /// and in a deserialized timeline, which records nothing).
    #[serde(skip)]
    live: Vec<IntervalHistogram>,
    /// The interval `live` records (responses arrive in time order, so it only grows).
    #[serde(skip)]
    live_index: usize,
    /// Per window fault's start interval, the p99 of each flow's responses before it (the
    /// recovery time's baseline), in increasing `before`.
    #[serde(default)]
    pub baselines: Vec<Baseline>,
    /// Per flow, the latencies of every finished interval from `prefix_from` on (only
    /// while a baseline is still open). u64 counters, as a baseline may hold many
    /// intervals; filled with `record_n` from the live histograms' recorded buckets.
    #[serde(skip)]
    prefix: Vec<Histogram<u64>>,
    /// The first interval of the baselines: the one the warm-up ends in.
    #[serde(skip)]
    prefix_from: usize,
    /// Baselines `..open` are final.
    #[serde(skip)]
    open: usize,
}

/// The p99 of each flow's responses in intervals `[warm-up's interval, before)`: what a
/// fault window starting in interval `before` is compared with after it ends. Exact: the
/// p99 of the merged interval histograms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// The first interval after the baseline.
    pub before: usize,
    /// Per flow, the p99 (ns); 0 when the flow had no response in the baseline.
    pub p99: Vec<u64>,
}

/// A cached interval: `[start, end)` maps to `index` (empty by default).
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    start: SimTime,
    end: SimTime,
    index: usize,
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
        let mut starts: Vec<usize> = (sc.faults.iter())
            .filter_map(|f| match f.schedule {
                FaultSchedule::Window { at, .. } if at < sc.sim.duration => {
                    Some((at / interval).min(n as SimTime) as usize)
                }
                _ => None,
            })
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let has_baselines = !starts.is_empty();
        let baselines = starts.into_iter().map(|before| Baseline {
            before,
            p99: vec![0; sc.workloads.len()],
        });
        let flow = || FlowInterval {
            responses: 0,
            failed: 0,
            cascade: 0,
            collateral: 0,
            latency: None,
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
            live: sc
                .workloads
                .iter()
                .map(|_| IntervalHistogram::new())
                .collect(),
            live_index: 0,
            baselines: baselines.collect(),
            prefix: if has_baselines {
                sc.workloads.iter().map(|_| interval_layout()).collect()
            } else {
                Vec::new()
            },
            prefix_from: (sc.sim.warmup / interval).min(n as SimTime) as usize,
            open: 0,
        }
    }

    /// The p99 before interval `before` of flow `flow` (0 without responses), if a
    /// fault window starts there.
    pub fn baseline_p99(&self, flow: usize, before: usize) -> Option<u64> {
        let b = self.baselines.iter().find(|b| b.before == before)?;
        b.p99.get(flow).copied()
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
        if i != self.live_index {
            self.move_live(i);
        }
        &mut self.flows[flow][i]
    }

    /// Record a response latency (ns, at least 1) of flow `flow` in the interval of
    /// the last [`Self::flow_at`].
    #[inline]
    pub fn record_latency(&mut self, flow: usize, ns: SimTime) {
        self.live[flow].record(ns);
    }

    /// Responses moved on to interval `next`: the live histograms leave their quantiles
    /// in interval `live_index` and start again empty.
    #[cold]
    fn move_live(&mut self, next: usize) {
        debug_assert!(next > self.live_index, "responses arrive in time order");
        self.close_live(next);
        self.live_index = next;
    }

    /// Write the live histograms' quantiles into their interval and empty them (at the
    /// end of the run, and whenever responses move on to a later interval).
    pub fn seal(&mut self) {
        self.close_live(usize::MAX);
        // Kept until the experiment is reduced: nothing records any more.
        self.live = Vec::new();
    }

    /// Interval `live_index` is over and the next responses fall in interval `next`:
    /// close the baselines that end before either, fold it into the baselines' prefix,
    /// write its quantiles and empty the live histograms.
    fn close_live(&mut self, next: usize) {
        let i = self.live_index;
        if self.open < self.baselines.len() {
            self.close_baselines(i);
            if i >= self.prefix_from {
                for (p, h) in self.prefix.iter_mut().zip(&self.live) {
                    for (value, count) in h.recorded() {
                        // The bucket's value lands in the same bucket of the same layout.
                        p.record_n(value, u64::from(count))
                            .expect("a value of the same bounds");
                    }
                }
            }
            self.close_baselines(next);
        }
        for (intervals, h) in self.flows.iter_mut().zip(&mut self.live) {
            if !h.is_empty() {
                let [p50, p90, p99] = h.quantiles([0.5, 0.9, 0.99]);
                intervals[i].latency = Some(IntervalLatency { p50, p90, p99 });
                h.reset();
            }
        }
    }

    /// Every baseline ending at or before interval `upto` is final: take its p99s.
    fn close_baselines(&mut self, upto: usize) {
        while let Some(b) = self.baselines.get_mut(self.open) {
            if b.before > upto {
                return;
            }
            let from_warmup = b.before > self.prefix_from;
            for (p99, h) in b.p99.iter_mut().zip(&self.prefix) {
                *p99 = if from_warmup && !h.is_empty() {
                    h.value_at_quantile(0.99)
                } else {
                    0
                };
            }
            self.open += 1;
        }
        if self.open == self.baselines.len() {
            self.prefix = Vec::new();
        }
    }

    /// The service interval containing `t`.
    #[inline]
    pub fn service_at(&mut self, service: usize, t: SimTime) -> &mut ServiceInterval {
        let i = self.index_cached(t);
        &mut self.services[service][i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::NANOS_PER_SEC as S;

    /// 20 one-second intervals, a 3 s warm-up, window faults starting at 2.5 s (before
    /// the warm-up ends), 7.2 s and twice at 12 s.
    fn scenario() -> Scenario {
        let fault = |at: &str| {
            format!(
                "[[fault]]\ntarget = \"api\"\nkind = \"crash\"\nat = \"{at}\"\nduration = \"1s\"\n"
            )
        };
        let text = format!(
            "[simulation]\nduration = \"20s\"\nwarmup = \"3s\"\n[services.api]\noperations.get = {{ work = \"1ms\" }}\n[[workload]]\nentry = \"api.get\"\narrivals = {{ poisson = \"1/s\" }}\n{}{}{}{}",
            fault("2500ms"),
            fault("7200ms"),
            fault("12s"),
            fault("12s"),
        );
        crate::spec::load_str(&text, std::path::Path::new("t.toml")).expect("valid")
    }

    #[test]
    fn intervals_keep_their_quantiles_and_baselines_their_merged_p99() {
        let sc = scenario();
        let mut tl = Timeline::new(&sc);
        assert_eq!((tl.interval, tl.intervals()), (S, 20));
        // Responses from 3 s on (only those count), skipping intervals 5, 6 and 10-11;
        // latencies vary by interval so that every interval has its own quantiles.
        let mut by_interval: Vec<Vec<u64>> = vec![Vec::new(); 20];
        for i in (3..20).filter(|i| ![5, 6, 10, 11].contains(i)) {
            for k in 0..50u64 {
                let latency = 1_000_000 * (1 + (i as u64 * 7 + k * 13) % 97);
                let t = i as u64 * S + k * (S / 50);
                tl.flow_at(0, t).responses += 1;
                tl.record_latency(0, latency);
                by_interval[i].push(latency);
            }
        }
        tl.seal();
        let hist = |values: &[u64]| {
            let mut h = interval_layout::<u64>();
            values.iter().for_each(|&v| h.record(v).unwrap());
            h
        };
        for (i, values) in by_interval.iter().enumerate() {
            let expected = (!values.is_empty()).then(|| {
                let h = hist(values);
                IntervalLatency {
                    p50: h.value_at_quantile(0.5),
                    p90: h.value_at_quantile(0.9),
                    p99: h.value_at_quantile(0.99),
                }
            });
            assert_eq!(tl.flows[0][i].latency, expected, "interval {i}");
        }
        // Baselines: the intervals from the warm-up's (3) to the fault's start interval.
        let before: Vec<usize> = tl.baselines.iter().map(|b| b.before).collect();
        assert_eq!(before, [2, 7, 12]);
        assert_eq!(
            tl.baseline_p99(0, 2),
            Some(0),
            "a fault in the warm-up has none"
        );
        for end in [7, 12] {
            let values: Vec<u64> = by_interval[3..end].concat();
            let expected = hist(&values).value_at_quantile(0.99);
            assert_eq!(tl.baseline_p99(0, end), Some(expected), "before {end}");
        }
        assert_eq!(tl.baseline_p99(0, 8), None, "no fault starts in interval 8");
    }
}
