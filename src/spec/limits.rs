//! Load-time bounds: every count that drives an allocation, every file read, and the
//! durations and rates that size a run have a stated ceiling, checked when the
//! scenario is loaded (and again when a command-line override changes the run), so a
//! valid file cannot make archsim run out of memory. The README lists them.
//!
//! Durations used as timeouts, fault lengths, think times or distribution parameters
//! are not bounded here: any value up to `u64::MAX` ns (about 584 years) is valid, and
//! the engine treats a time beyond the end of the run as "never".

use crate::kernel::{format_duration, SimTime, NANOS_PER_SEC};
use crate::model::{FaultSchedule, Scenario};

/// Largest scenario or model file read, in bytes (16 MiB): TOML text far beyond any
/// hand-written or generated architecture.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// Largest empirical-distribution CSV file read, in bytes (64 MiB).
pub const MAX_CSV_BYTES: u64 = 64 << 20;

/// Most values in one empirical distribution (inline or from a file): 8 bytes each.
pub const MAX_EMPIRICAL_VALUES: usize = 10_000_000;

/// Longest `[simulation] duration` (1000 h, about 6 weeks): it sizes the run (and, with
/// `timeline`, the per-interval series); `warmup` and `timeline` are shorter still.
pub const MAX_RUN_DURATION: SimTime = 1000 * 3600 * NANOS_PER_SEC;

/// Most replications of one experiment: each replication's metrics are kept until the
/// experiment is reduced.
pub const MAX_REPLICATIONS: u32 = 10_000;

/// Most replicas over all services: the engine keeps state for every replica.
pub const MAX_TOTAL_REPLICAS: u32 = 100_000;

/// Most replicas of an autoscaled service (`autoscale.max`): it keeps twice as many
/// replica slots (serving or starting, and draining), counted in
/// [`MAX_TOTAL_REPLICAS`].
pub const MAX_AUTOSCALE_REPLICAS: u32 = 10_000;

/// Shortest autoscaler evaluation period: every evaluation is an event.
pub const MIN_SCALE_PERIOD: u64 = 1_000_000;

/// Most evaluation periods a stabilization window spans: the autoscaler keeps one
/// proposal per period of its longer window.
pub const MAX_SCALE_HISTORY: u32 = 10_000;

/// Largest target of a count metric (queue, in-flight, backlog per replica).
pub const MAX_SCALE_TARGET: f64 = 1e9;

/// Largest cold-start factor.
pub const MAX_COLD_FACTOR: f64 = 1000.0;

/// Most cores (`cpus`) per replica: far beyond any machine, and small enough that its
/// thousandths of a core fit the engine's `u32`.
pub const MAX_CPUS: f64 = 1_000_000.0;

/// Most connections in one client pool (`[services.X.pools.Y] connections`).
pub const MAX_POOL_CONNECTIONS: u32 = 100_000;

/// Most gRPC streams per pooled connection (`max_streams`): with
/// [`MAX_POOL_CONNECTIONS`] a pool's capacity still fits the engine's `u32`.
pub const MAX_POOL_STREAMS: u32 = 10_000;

/// Most closed-loop users over all workloads: each one is a client with a request in
/// flight or a pending think time.
pub const MAX_CLOSED_USERS: u32 = 1_000_000;

/// Largest estimated memory of the metrics one experiment holds until it is reduced
/// (2 GiB), as [`kept_metrics`] estimates it.
pub const MAX_KEPT_METRICS_BYTES: u64 = 2 << 30;

/// Size of one full-range latency histogram (HDR, 1 ns to 1 h at 3 significant digits:
/// 33 792 u64 counters). A running replication records into at most four per flow (the
/// successes' always; the failures', the late responses' and the late completions'
/// from the first one on) and one per queue and saga; an experiment keeps two per flow
/// and variant, merged over its replications.
pub const HISTOGRAM_BYTES: u64 = 270_336;

/// What a finished replication keeps besides its timeline: its counters, figures and
/// spent histograms, per flow (measured: about 2 KiB) and per other component
/// (service, queue, saga, call site, fault, pool: about 0.5 KiB each), on top of a
/// fixed part (`tests/memory.rs` checks the sum against the allocator).
pub const FLOW_BYTES: u64 = 2048;
/// See [`FLOW_BYTES`].
pub const COMPONENT_BYTES: u64 = 512;
/// See [`FLOW_BYTES`].
pub const REPLICATION_BYTES: u64 = 1024;

/// The most a replication's list of breaker transitions, fault windows or scale events
/// takes (`metrics::MAX_LISTED_EVENTS` entries of at most 24 bytes).
pub const LISTED_EVENTS_BYTES: u64 = 1024 * 24;

/// Size of one flow's figures for one interval: four counts and three latency
/// quantiles (the interval's histogram lives only while the clock is in it).
pub const FLOW_INTERVAL_BYTES: u64 = 64;

/// Size of one service's figures for one interval.
pub const SERVICE_INTERVAL_BYTES: u64 = 40;

/// Size of one queue's figure for one interval.
pub const QUEUE_INTERVAL_BYTES: u64 = 8;

/// Size of one autoscaled service's figures for one interval.
pub const SCALE_INTERVAL_BYTES: u64 = 24;

/// The memory estimate behind [`MAX_KEPT_METRICS_BYTES`]: what an experiment holds
/// until it reduces its replications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeptMetrics {
    /// Variants run side by side (1 without `[compare]`).
    pub variants: u64,
    /// Replications per variant.
    pub replications: u64,
    /// Timeline intervals of a replication.
    pub intervals: u64,
    /// Bytes of one timeline interval.
    pub per_interval: u64,
    /// Bytes a replication keeps besides its timeline.
    pub fixed: u64,
    /// Full-range histograms held beside the replications: the merged distributions
    /// of every variant, and those one running replication records into.
    pub histograms: u64,
}

impl KeptMetrics {
    /// Bytes one finished replication keeps.
    pub fn per_replication(&self) -> u64 {
        self.intervals
            .saturating_mul(self.per_interval)
            .saturating_add(self.fixed)
    }

    /// Bytes of the histograms beside the replications.
    pub fn histogram_bytes(&self) -> u64 {
        self.histograms.saturating_mul(HISTOGRAM_BYTES)
    }

    /// The whole estimate.
    pub fn total(&self) -> u64 {
        (self.variants.saturating_mul(self.replications))
            .saturating_mul(self.per_replication())
            .saturating_add(self.histogram_bytes())
    }
}

/// What an experiment of `sc` holds until it is reduced, by estimate: every
/// replication's timeline and counters (a replication's latency distributions are
/// merged as it finishes, so none is kept per replication), the merged distributions
/// (two per flow and variant), and the histograms of one running replication.
pub fn kept_metrics(sc: &Scenario) -> KeptMetrics {
    let count = |n: usize| n as u64;
    let flows = count(sc.workloads.len());
    let autoscaled = count(sc.services.iter().filter(|s| s.autoscale.is_some()).count());
    let variants = sc.compare.as_ref().map_or(1, |c| count(c.variants.len()));
    let others = count(
        sc.services.len()
            + sc.queues.len()
            + sc.sagas.len()
            + sc.policies.len()
            + sc.faults.len()
            + sc.pools.len(),
    );
    let lists = count(usize::from(!sc.policies.is_empty()) + usize::from(!sc.faults.is_empty()))
        + 2 * u64::from(autoscaled > 0);
    let running = 4 * flows + count(sc.queues.len() + sc.sagas.len());
    KeptMetrics {
        variants,
        replications: u64::from(sc.sim.replications),
        // A run widens its timeline interval past `model::MAX_TIMELINE_INTERVALS`.
        intervals: sc.sim.duration.div_ceil(sc.sim.timeline_interval()).max(1),
        per_interval: flows * FLOW_INTERVAL_BYTES
            + count(sc.services.len()) * SERVICE_INTERVAL_BYTES
            + count(sc.queues.len()) * QUEUE_INTERVAL_BYTES
            + autoscaled * SCALE_INTERVAL_BYTES,
        fixed: REPLICATION_BYTES
            + flows * FLOW_BYTES
            + others * COMPONENT_BYTES
            + lists * LISTED_EVENTS_BYTES,
        histograms: 2 * flows * variants + running,
    }
}

/// Most fault windows expected over an experiment: replications x, for each stochastic
/// fault, duration / (mean mtbf + mean mttr). The engine records one window per outage.
pub const MAX_FAULT_WINDOWS: f64 = 1_000_000.0;

/// Most steps in one saga: every saga instance keeps per-step counters.
pub const MAX_SAGA_STEPS: usize = 1_000;

/// Most partitions of an ordered queue (its `concurrency`): the engine keeps a backlog
/// per partition and visits every partition when the broker restarts.
pub const MAX_ORDERED_PARTITIONS: u32 = 10_000;

/// Highest rate of any kind (arrivals, schedule entries, rate limits, broker capacity):
/// one event per nanosecond, the time resolution.
pub const MAX_RATE_PER_SEC: f64 = 1e9;

/// A run-wide bound that the scenario breaks, and the `[simulation]` key (or fault) to
/// blame in a located error.
#[derive(Debug)]
pub(crate) struct Breach {
    pub blame: Blame,
    pub message: String,
}

/// What a [`Breach`] points at.
#[derive(Debug)]
pub(crate) enum Blame {
    /// `simulation.KEY`.
    Sim(&'static str),
    /// `fault[i].mtbf`.
    Fault(usize),
}

/// A duration rounded up to two significant digits, for a readable suggestion.
fn round_up(t: u64) -> u64 {
    let mut step = 1u64;
    while t / step >= 100 {
        step *= 10;
    }
    t.div_ceil(step).saturating_mul(step)
}

/// A duration as text that parses back exactly, in the largest whole unit.
pub fn fmt(t: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (3600 * NANOS_PER_SEC, "h"),
        (60 * NANOS_PER_SEC, "m"),
        (NANOS_PER_SEC, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
        (1, "ns"),
    ];
    let (n, u) = UNITS
        .iter()
        .find(|&&(n, _)| t >= n && t % n == 0)
        .unwrap_or(&(1, "ns"));
    format!("{}{u}", t / n)
}

/// The bounds on the run as a whole: duration, replications, timeline intervals and
/// their memory, fault windows. Checked after loading and after overrides.
pub(crate) fn check_run(sc: &Scenario, timeline_given: bool) -> Result<(), Breach> {
    let sim = &sc.sim;
    if sim.duration > MAX_RUN_DURATION {
        return Err(Breach {
            blame: Blame::Sim("duration"),
            message: format!(
                "duration ({}) is longer than the {} limit on a run",
                fmt(sim.duration),
                fmt(MAX_RUN_DURATION)
            ),
        });
    }
    if sim.replications > MAX_REPLICATIONS {
        return Err(Breach {
            blame: Blame::Sim("replications"),
            message: format!(
                "at most {MAX_REPLICATIONS} replications (the metrics of each are kept until the experiment is reduced), got {}",
                sim.replications
            ),
        });
    }
    let kept = kept_metrics(sc);
    let reps = u64::from(sim.replications);
    if kept.total() > MAX_KEPT_METRICS_BYTES {
        return Err(Breach {
            blame: Blame::Sim(
                if timeline_given && kept_fix(&kept, sim.duration).1.is_some() {
                    "timeline"
                } else {
                    "replications"
                },
            ),
            message: kept_breach(sc, &kept),
        });
    }
    let mut expected = 0.0;
    for (i, f) in sc.faults.iter().enumerate() {
        let FaultSchedule::Stochastic { mtbf, mttr } = &f.schedule else {
            continue;
        };
        let cycle = mtbf.mean() + mttr.mean();
        let windows = reps as f64 * sim.duration as f64 / cycle;
        if expected + windows > MAX_FAULT_WINDOWS {
            let left = (MAX_FAULT_WINDOWS - expected).max(1.0);
            let need = (reps as f64 * sim.duration as f64 / left - mttr.mean()).max(1.0);
            return Err(Breach {
                blame: Blame::Fault(i),
                message: format!(
                    "mean mtbf + mttr is {}: over {} x {reps} replications that is about {windows:.3e} outages, more than the {MAX_FAULT_WINDOWS} fault windows allowed per experiment; set a mean mtbf of at least {}",
                    format_duration(cycle),
                    fmt(sim.duration),
                    fmt(round_up(need.ceil() as u64))
                ),
            });
        }
        expected += windows;
    }
    Ok(())
}

/// How to bring `kept` under the budget: the most replications that fit (0: not even
/// one), and the narrowest timeline interval that fits the replications as they are
/// (`None` when no interval would: their counters or the histograms alone are over).
fn kept_fix(kept: &KeptMetrics, duration: SimTime) -> (u64, Option<SimTime>) {
    let left = MAX_KEPT_METRICS_BYTES.saturating_sub(kept.histogram_bytes());
    let runs = kept.variants.max(1);
    let most = left / runs / kept.per_replication().max(1);
    let per_run = left / runs / kept.replications.max(1);
    let affordable = per_run.saturating_sub(kept.fixed) / kept.per_interval.max(1);
    let interval = (affordable > 0).then(|| round_up(duration.div_ceil(affordable)));
    (most, interval)
}

/// The message of a breach of [`MAX_KEPT_METRICS_BYTES`], with its fix.
fn kept_breach(sc: &Scenario, kept: &KeptMetrics) -> String {
    let variants = match kept.variants {
        1 => String::new(),
        n => format!("{n} variants x "),
    };
    let why = format!(
        "the metrics kept until the experiment is reduced would take about {} MiB ({variants}{} replications x ({} timeline intervals of {} flows, {} services, {} queues, and {} KiB of counters) + {} latency histograms), more than the {} MiB allowed",
        kept.total() >> 20,
        kept.replications,
        kept.intervals,
        sc.workloads.len(),
        sc.services.len(),
        sc.queues.len(),
        kept.fixed >> 10,
        kept.histograms,
        MAX_KEPT_METRICS_BYTES >> 20
    );
    let fix = match kept_fix(kept, sc.sim.duration) {
        (0, None) => "even one replication is too many: split the flows, services or queues over several scenarios".to_owned(),
        (0, Some(t)) => format!("set [simulation] timeline to at least {}", fmt(t)),
        (most, None) => format!("lower [simulation] replications to at most {most}"),
        (_, Some(t)) => format!(
            "lower [simulation] replications or set [simulation] timeline to at least {}",
            fmt(t)
        ),
    };
    format!("{why}; {fix}")
}

/// Checks the run-wide bounds of a scenario changed after loading (command-line
/// overrides of `seed`, `replications`, `duration`); the message names no file.
pub fn check_overrides(sc: &Scenario) -> Result<(), String> {
    check_run(sc, true).map_err(|b| b.message)
}

/// Reads a text file that must be a regular file (not a directory, a device or a
/// pipe) of at most `cap` bytes. The error is one line, without the path.
pub(crate) fn read_capped(path: &std::path::Path, cap: u64) -> Result<String, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(format!("{what}; give the path of a regular file"));
    }
    if meta.len() > cap {
        return Err(too_big(cap));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(too_big(cap));
    }
    String::from_utf8(bytes).map_err(|_| "stream did not contain valid UTF-8".to_owned())
}

fn too_big(cap: u64) -> String {
    format!(
        "larger than the {} MiB limit on this kind of file",
        cap >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_round_up_to_two_digits_and_parse_back() {
        assert_eq!(round_up(59_999), 60_000);
        assert_eq!(round_up(2_354_000_000), 2_400_000_000);
        assert_eq!(round_up(36 * NANOS_PER_SEC), 36 * NANOS_PER_SEC);
        assert_eq!(round_up(7), 7);
        for t in [
            0,
            1,
            60_000,
            600_000,
            2_400_000_000,
            MAX_RUN_DURATION,
            u64::MAX,
        ] {
            assert_eq!(super::super::parse_duration(&fmt(t)), Ok(t), "{}", fmt(t));
        }
        assert_eq!(fmt(MAX_RUN_DURATION), "1000h");
        assert_eq!(fmt(240 * NANOS_PER_SEC), "4m");
    }
}
