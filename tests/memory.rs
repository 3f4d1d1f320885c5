//! Memory stays flat in run length: streaming histograms and counters, nothing stored
//! per request, in every shipped model as in the test chain; and what an experiment keeps per replication is small and what the
//! load-time guard says it is. This file holds a single test so that it owns its
//! process: the peak resident set (VmHWM) and the allocator's count of live bytes
//! measure only this run.

#[path = "suite/common.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
/// The most `LIVE_BYTES` has been since it was last reset (to the live count).
static PEAK_BYTES: AtomicIsize = AtomicIsize::new(0);

/// `size` more bytes live: count them, and raise the peak.
fn grew(size: isize) {
    let live = LIVE_BYTES.fetch_add(size, Relaxed) + size;
    PEAK_BYTES.fetch_max(live, Relaxed);
}

// SAFETY: every call goes to `System` unchanged; only a counter is updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            grew(new_size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The test chain run for `duration` with timeline intervals of `timeline`.
fn chain(duration: &str, timeline: &str) -> archsim::Scenario {
    common::scenario(&format!(
        r#"
[simulation]
seed = 3
duration = "{duration}"
timeline = "{timeline}"
[network]
latency = {{ dist = "exp", mean = "0.5ms" }}
[services.gateway]
workers = 64
operations.checkout = {{ work = {{ dist = "exp", mean = "0.2ms" }}, steps = [ {{ call = "order.place", timeout = "50ms" }} ] }}
[services.order]
workers = 64
operations.place = {{ work = {{ dist = "exp", mean = "0.5ms" }}, steps = [ {{ parallel = [ {{ call = "stock.check" }}, {{ call = "price.quote" }} ] }} ] }}
[services.stock]
workers = 8
operations.check = {{ work = {{ dist = "exp", mean = "1ms" }} }}
[services.price]
workers = 8
operations.quote = {{ work = {{ dist = "lognormal", median = "1ms", p99 = "20ms" }} }}
[[workload]]
flow = "checkout"
entry = "gateway.checkout"
arrivals = {{ poisson = "5000/s" }}
"#
    ))
}

#[test]
#[cfg(target_os = "linux")]
fn peak_memory_is_flat_when_the_run_is_ten_times_longer() {
    // Both runs have 200 timeline intervals: a timeline grows with the run up to its
    // cap of 600 intervals (about 20 KB each here), which is bounded but would be most
    // of what this test sees; equal timelines leave only per-request storage to show.
    // Each result is dropped before the next run, so the next run's peak does not
    // stack on the previous run's metrics (a 200-interval timeline is ~4 MiB itself).
    let sent = |sc: &archsim::Scenario| {
        let metrics = archsim::engine::run_replication(sc, 0).unwrap();
        metrics.conservation.requests_sent
    };
    let short = sent(&chain("20s", "100ms"));
    let after_short = peak_rss_kib().expect("VmHWM on Linux");
    let long = sent(&chain("200s", "1s"));
    let after_long = peak_rss_kib().unwrap();
    assert!(long > 9 * short);
    // A per-request record of even 16 bytes for the extra ~900k requests would add
    // 14 MiB; allow 4 MiB of allocator noise.
    let growth = after_long.saturating_sub(after_short);
    assert!(
        growth < 4 * 1024,
        "peak RSS grew by {growth} KiB ({after_short} -> {after_long})"
    );
    // The same long run traced, as replication 1 of every run is: the tracer holds
    // the spans of requests in flight and a sample of 2 000-4 000 paths per flow (a
    // few MiB here), never a record per request (which would be 14+ MiB).
    let (_, traced) = archsim::engine::trace_replication(&chain("200s", "1s"), 0).unwrap();
    let after_traced = peak_rss_kib().unwrap();
    assert!(!traced.critical_paths.is_empty() && !traced.response_breakdowns.is_empty());
    eprintln!("peak RSS KiB: short {after_short}, long {after_long}, traced {after_traced}");
    let tracer = after_traced.saturating_sub(after_long);
    assert!(
        tracer < 8 * 1024,
        "tracing added {tracer} KiB to the peak ({after_long} -> {after_traced})"
    );
    endless_work_is_traced_in_bounded_memory();
    kept_metrics_per_replication_are_what_the_guard_estimates();
    every_shipped_model_peaks_the_same_three_times_as_long();
    exporting_traces_streams_them_to_the_file();
    answered_calls_leave_no_timeouts_behind();
}

/// The heap's peak, above what was live before, while `f` runs (its result dropped).
fn peak_of<R>(f: impl FnOnce() -> R) -> u64 {
    let before = LIVE_BYTES.load(Relaxed);
    PEAK_BYTES.store(before, Relaxed);
    drop(f());
    (PEAK_BYTES.load(Relaxed) - before) as u64
}

/// Every variant of every shipped scenario, traced as replication 1 is, as written and
/// three times as long: what a run holds at its peak depends on the model, not on the
/// run's length. Both runs have the same number of timeline intervals (the timeline
/// grows up to its cap of 600, bounded), so what is left to grow is anything kept per
/// request, per fault window, per breaker transition or per second.
fn every_shipped_model_peaks_the_same_three_times_as_long() {
    for file in common::shipped_scenarios() {
        let file = file.display().to_string();
        let sc = common::scenario_file(&file);
        for (variant, mut sc) in archsim::experiment::compare::variants(&sc) {
            // A timeline of 1 ns widens to exactly 600 intervals at any duration.
            sc.sim.timeline = 1;
            let run = |factor: u64| {
                let mut sc = sc.clone();
                sc.sim.duration *= factor;
                peak_of(|| archsim::engine::trace_replication(&sc, 0).unwrap())
            };
            let (short, long) = (run(1), run(3));
            eprintln!("{file} [{variant}]: peak heap {short} B as written, {long} B at 3x");
            // Most peak at the same byte; a longer run may reach a higher concurrency
            // once and double a buffer where a shorter one did not: the tracer's ring
            // in `rest-pool-vs-grpc.toml` (147 KB), the same at 9x as at 3x.
            // 16 bytes per request would be +60% in `checkout-sync.toml`.
            assert!(
                long <= short + short / 4,
                "{file} [{variant}]: the peak grew from {short} to {long} bytes at 3x the length"
            );
        }
    }
}

/// Requests whose work never ends (`tests/data/endless-work.toml`) keep opening spans
/// until the end of the run: the
/// tracer drops the oldest of them at its bound, and as no path it wants is lost it
/// runs no second, unbounded, replication (which held every span of the sampled
/// requests: 100 MiB at 20 s of this model, 490 MiB at 180 s, before 2026-12-07).
fn endless_work_is_traced_in_bounded_memory() {
    let endless = |seconds: u64| {
        let mut sc = common::scenario_file("tests/data/endless-work.toml");
        sc.sim.duration = seconds * 1_000_000_000;
        sc
    };
    // A first run sets the allocator's thresholds (glibc raises its mmap threshold
    // when a large block is freed), which moves the next peak by a constant 7 MiB.
    drop(archsim::engine::trace_replication(&endless(30), 0).unwrap());
    let (_, short) = archsim::engine::trace_replication(&endless(60), 0).unwrap();
    let after_short = peak_rss_kib().unwrap();
    let (_, long) = archsim::engine::trace_replication(&endless(240), 0).unwrap();
    let after_long = peak_rss_kib().unwrap();
    assert!(!short.critical_paths.is_empty() && !long.critical_paths.is_empty());
    eprintln!("peak RSS KiB: endless work 60 s {after_short}, 240 s {after_long}");
    let growth = after_long.saturating_sub(after_short);
    assert!(
        growth < 4 * 1024,
        "tracing endless work for 4x as long grew the peak by {growth} KiB"
    );
    // One replication's run with the window at its bound (2^18 spans, 18 MiB, and the
    // ring it grew from): a second run of the chosen requests would hold up to 2^20.
    assert!(
        after_long < 64 * 1024,
        "tracing endless work peaked at {after_long} KiB: a second run?"
    );
}

/// An experiment keeps every replication's metrics until it reduces them: each must be
/// small (no latency histogram, no per-interval histogram, nothing per request), and
/// within a quarter of the estimate `spec::limits` refuses too many replications by.
fn kept_metrics_per_replication_are_what_the_guard_estimates() {
    use archsim::spec::limits;
    let sc = |replications: u32| {
        common::scenario(&format!(
            r#"
[simulation]
seed = 5
duration = "600s"
timeline = "1s"
replications = {replications}
[services.api]
workers = 4
operations.get = {{ work = {{ dist = "exp", mean = "10ms" }} }}
[[workload]]
flow = "get"
entry = "api.get"
arrivals = {{ poisson = "100/s" }}
"#
        ))
    };
    // A first experiment starts the thread pool, whose own allocations stay.
    drop(archsim::experiment::run_replications(&sc(2)).unwrap());
    // The same for a scenario of many kinds of components (queues, a saga, faults,
    // breakers), run as written (its first variant).
    let many = common::scenario_file("scenarios/patterns-compare.toml");
    for (name, sc) in [("one service", sc(16)), ("patterns-compare", many)] {
        let before = LIVE_BYTES.load(Relaxed);
        let reps = archsim::experiment::run_replications(&sc).unwrap();
        let kept = (LIVE_BYTES.load(Relaxed) - before) as u64;
        let n = reps.runs.len() as u64;
        assert!(reps
            .runs
            .iter()
            .all(|r| r.conservation.requests_sent > 5_000));
        // Two merged histograms per flow, once; the rest per replication.
        let merged = 2 * sc.workloads.len() as u64 * limits::HISTOGRAM_BYTES;
        let per_replication = kept.saturating_sub(merged) / n;
        let estimate = limits::kept_metrics(&sc);
        let guess = estimate.per_replication();
        eprintln!(
            "{name}: {n} replications keep {kept} bytes: {per_replication} each (estimate {guess}, {} intervals)",
            estimate.intervals
        );
        assert!(kept > merged, "{name}: the merged distributions are kept");
        assert!(
            per_replication <= guess + guess / 4,
            "{name}: a replication keeps {per_replication} bytes, the guard estimates {guess}"
        );
        assert!(
            per_replication >= guess / 2,
            "{name}: a replication keeps {per_replication} bytes, far under the guard's {guess}"
        );
    }
    // Before the replications' latency histograms were merged as they finished, one
    // replication here kept 620 KB; before intervals kept quantiles instead of
    // histograms, 9.5 MB.
    assert!(limits::kept_metrics(&sc(1)).per_replication() < 100_000);
}

/// `--traces` streams its document to the file: the heap holds the recording and,
/// for OTLP (spans grouped by service), the text of each service's spans until they
/// are written, at the end or past 64 MiB; for Chrome, only the services and traces
/// seen. Before
/// 2026-12-08 the span model and the whole text were held, 5 times the text (a 1 GB
/// export of `patterns-compare.toml` at `--trace-requests 100000` peaked at 4.9 GB), and
/// before 2026-12-07 a `serde_json::Value` tree of it, 35 times.
fn exporting_traces_streams_them_to_the_file() {
    use archsim::telemetry::export::{write, ExportOptions, TraceFormat};
    let mut sc = common::scenario_file("scenarios/patterns-compare.toml");
    sc.sim.duration = 60_000_000_000;
    let recordings: Vec<_> = archsim::experiment::compare::variants(&sc)
        .iter()
        .map(|(_, v)| archsim::engine::record_replication(v, 0, 1000).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    // Most of the heap a format may hold while it writes, against the file's length:
    // measured 1.38x and 0.04x (OTLP's buffers grow by doubling, up to 2x their text).
    for (format, most) in [(TraceFormat::Otlp, 2.5), (TraceFormat::Chrome, 0.1)] {
        let path = dir.path().join("t.json");
        let o = ExportOptions {
            traces: Some((path.clone(), format)),
            metrics: None,
            epoch_s: 0,
            requests: 1000,
        };
        let peak = peak_of(|| write(&sc, &recordings, &o).unwrap());
        let len = std::fs::metadata(&path).unwrap().len();
        let share = peak as f64 / len as f64;
        eprintln!("{format:?} export: {len} bytes written, peak heap {peak} B ({share:.2}x)");
        assert!(len > 5_000_000, "{format:?}: {len} bytes");
        assert!(
            share < most,
            "{format:?}: writing {len} bytes peaked at {peak} B of heap ({share:.2}x, at most {most}x)"
        );
    }
}

/// A timeout answered in time is cancelled lazily: it stays in its list until the
/// list is compacted (`engine/timers.rs`). What a run holds must depend on the calls
/// waiting, not on rate × timeout: before 2026-12-07 this model held every timeout of
/// the last 30 s, 1.2 M entries and 19 MB, where a 1 s timeout held 40 000.
fn answered_calls_leave_no_timeouts_behind() {
    let with_timeout = |timeout: &str| {
        common::scenario(&format!(
            r#"
[simulation]
seed = 4
duration = "40s"
timeline = "1s"
[network]
latency = {{ dist = "exp", mean = "0.2ms" }}
[services.gateway]
workers = 64
operations.checkout = {{ work = {{ dist = "exp", mean = "0.1ms" }}, steps = [ {{ call = "order.place", timeout = "{timeout}" }} ] }}
[services.order]
workers = 64
operations.place = {{ work = {{ dist = "exp", mean = "0.3ms" }} }}
[[workload]]
flow = "checkout"
entry = "gateway.checkout"
arrivals = {{ poisson = "20000/s" }}
timeout = "{timeout}"
"#
        ))
    };
    let peak = |timeout: &str| {
        let sc = with_timeout(timeout);
        peak_of(|| archsim::engine::run_replication(&sc, 0).unwrap())
    };
    let (short, long) = (peak("1s"), peak("30s"));
    eprintln!("peak heap with 1 s timeouts {short} B, with 30 s timeouts {long} B");
    assert!(
        long < short + 2 * 1024 * 1024,
        "30 s timeouts peaked at {long} B against {short} B with 1 s ones"
    );
}
