//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use archsim::experiment::{self, Summary};
use archsim::Scenario;
use std::path::{Path, PathBuf};

/// Load a scenario from TOML text (errors are test failures with the message).
pub fn scenario(toml: &str) -> Scenario {
    archsim::spec::load_str(toml, Path::new("inline-test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Load a scenario file of the repository.
pub fn scenario_file(path: &str) -> Scenario {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    archsim::spec::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

/// Every shipped scenario (`scenarios/**/*.toml`), sorted: paths relative to the
/// repository.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("scenarios"), &mut files);
    files.sort();
    let files: Vec<PathBuf> = files
        .into_iter()
        .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    assert!(files.len() >= 10, "{files:?}");
    files
}

/// Run a scenario (all replications).
pub fn run(sc: &Scenario) -> Summary {
    experiment::run(sc).unwrap_or_else(|e| panic!("{e}"))
}

/// Run a scenario as an experiment (every variant, traced), as the CLI does.
#[allow(dead_code)]
pub fn experiment(sc: &Scenario) -> archsim::experiment::compare::Experiment {
    archsim::experiment::compare::run_experiment(sc, &|| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// The TOML header of a theory experiment: no network, no protocol cost.
pub fn theory_header(seed: u64, duration: &str, warmup: &str, replications: u32) -> String {
    format!(
        r#"
[simulation]
seed = {seed}
duration = "{duration}"
warmup = "{warmup}"
replications = {replications}

[network]
latency = "0s"

[protocols.rest]
per_message = "0s"
per_kib = "0s"
"#
    )
}

/// Runs the `archsim` binary in `cwd` with `args`; a non-zero exit fails the test with
/// its standard error.
pub fn archsim(cwd: &Path, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("archsim runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `a` within `eps` of `b`, with a message.
pub fn close(what: &str, a: f64, b: f64, eps: f64) {
    assert!(
        (a - b).abs() <= eps,
        "{what}: got {a}, expected {b} (± {eps})"
    );
}

/// The scaling decisions of autoscaled service `k` (replication 1) as `(time_s, from,
/// to)`.
pub fn scale_events(s: &Summary, k: usize) -> Vec<(f64, u32, u32)> {
    (s.scaling[k].events.iter())
        .map(|e| (e.time_s, e.from, e.to))
        .collect()
}

/// Whether promtool (Debian's `prometheus`) answers; a note, or a failure under `CI`,
/// when it does not.
pub fn have_promtool() -> bool {
    let ok = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        tool_missing("promtool (Debian's prometheus)");
    }
    ok
}

/// `promtool tsdb create-blocks-from openmetrics FILE OUT` in `dir`: `Err` with
/// promtool's complaint when it refuses the file.
pub fn promtool_blocks(dir: &Path, file: &str, out: &str) -> Result<(), String> {
    let run = std::process::Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics", file, out])
        .current_dir(dir)
        .output()
        .expect("run promtool");
    if run.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&run.stderr).into_owned())
    }
}

/// A test's tool is missing: a note and a skip on a developer's machine, a failure
/// under `CI`, where `.ci/run` installs every tool the tests call.
pub fn tool_missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI: {what} is missing (.ci/run installs it)"
    );
    eprintln!("note: {what} is missing; skipping (.ci/run installs it)");
}

/// Chromium (as `--pdf` finds it) and, when `poppler` is set, poppler-utils
/// (`pdftotext`, `pdfinfo`, `pdftoppm`) for test `test`: `None` (with a note) where
/// they are missing, a failure under CI (`.ci/run` installs them, so CI never skips).
pub fn chromium_or_skip(test: &str, poppler: bool) -> Option<std::path::PathBuf> {
    let chromium = archsim::report::pdf::find_chromium();
    let have_poppler = !poppler
        || ["pdftotext", "pdfinfo", "pdftoppm"]
            .iter()
            .all(|t| std::process::Command::new(t).arg("-v").output().is_ok());
    if chromium.is_some() && have_poppler {
        return chromium;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {test}: chromium {}, poppler-utils {have_poppler}",
        chromium.is_some()
    );
    eprintln!("note: chromium or poppler-utils missing; skipping {test} (.ci/run installs them)");
    None
}

/// `archsim compare scenarios/patterns-compare.toml -r 2 --duration 6m --report rep
/// --quiet` plus `extra`, run in a fresh directory (the report is its `rep/`); a
/// failure fails the test. Returns the directory and the run's standard error.
pub fn patterns_compare_report(extra: &[&str]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/patterns-compare.toml");
    let mut args = vec!["compare", file.to_str().unwrap()];
    args.extend(["-r", "2", "--duration", "6m", "--report", "rep", "--quiet"]);
    args.extend(extra);
    let out = archsim(tmp.path(), &args);
    (tmp, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Flow `jobs`: `front.accept` answers at once and sends each request's job to queue
/// `rabbit.jobs` (`queue`: more of its table, e.g. ", concurrency = 1"), consumed by
/// `worker.run` (`worker`: the rest of `[services.worker]`); 100 requests/s for 20 s,
/// 2 replications.
pub fn jobs_scenario(queue: &str, worker: &str) -> String {
    format!(
        r#"
[simulation]
seed = 7
duration = "20s"
replications = 2
[brokers.rabbit]
queues.jobs = {{ consumer = "worker.run"{queue} }}
[services.front]
operations.accept = {{ work = "1ms", steps = [ {{ send = "rabbit.jobs" }} ] }}
[services.worker]
{worker}
[[workload]]
flow = "jobs"
entry = "front.accept"
arrivals = {{ poisson = "100/s" }}
"#
    )
}

/// [`jobs_scenario`] with one consumer doing 20 ms of work per job: half the offered
/// load, so the queue grows and half the requests are not complete at the end.
pub fn slow_consumer() -> String {
    jobs_scenario(
        ", concurrency = 1",
        r#"operations.run = { work = { dist = "exp", mean = "20ms" } }"#,
    )
}
