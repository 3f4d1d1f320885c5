//! The hardening harness (issue 9, item 7; DESIGN section 8 "Trust at the edges").
//!
//! * `generated_scenarios_end_sane`: a structure-aware generator (`harness/gen.rs`)
//!   writes valid scenarios; each runs end to end (`archsim run FILE --json - --quiet`)
//!   under a wall-clock and a memory budget and must end with sane figures
//!   (`harness/check.rs`) or a one-line `error:`. Every tenth sane case runs again on
//!   2 threads (same bytes), another tenth writes its report (escaped), and another
//!   its traces and metrics (`harness/exports.rs`: well formed, promtool accepts the
//!   metrics, the OTLP traces import back to a valid scenario), and another runs as
//!   a cluster would (`harness/distribute.rs`: plan, shards, merge, the same JSON),
//!   and another draws its topology (`harness/graph.rs`: Graphviz lays out the DOT).
//! * `loader_fuzz`: seeded mutations of every shipped and test TOML
//!   (`harness/fuzz.rs`); `archsim validate` must exit 0, or 2 with one `error:` line
//!   naming the file.
//! * `found_reproducers_pass`: the minimal reproducers of the failures the harness
//!   found (`tests/harness/found/*.toml`) must pass the same checks.
//!
//! Case counts and seed: `ARCHSIM_HARNESS_CASES` (generated scenarios, default 300),
//! `ARCHSIM_HARNESS_MUTATIONS` (loader mutations, default 3000), `ARCHSIM_HARNESS_SEED`
//! (default 1), `ARCHSIM_HARNESS_THREADS` (default 2), `ARCHSIM_HARNESS_BUDGET_S`
//! (wall-clock budget per run, default 10). A case is reproducible from (seed, index);
//! failing cases are saved under `target/harness-failures/`, and with
//! `ARCHSIM_HARNESS_KEEP=DIR` every generated case is kept in DIR (to run two builds
//! over the same files and compare their bytes).

#[path = "../harness/check.rs"]
mod check;
#[path = "../harness/distribute.rs"]
mod distribute;
#[path = "../harness/exports.rs"]
mod exports;
#[path = "../harness/fuzz.rs"]
mod fuzz;
#[path = "../harness/gen.rs"]
mod gen;
#[path = "../harness/graph.rs"]
mod graph;
#[path = "../harness/run.rs"]
mod run;

use rand::Rng;
use run::Outcome;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// `--max-events` of every run: a generated case whose pace projects past this many
/// events stops with a one-line error after a few seconds (a pass) instead of running
/// for minutes at the default budget of 1e10 (a valid but costly file, not a bug).
const MAX_EVENTS: &str = "30000000";
use std::time::{Duration, Instant};

/// The tests share two cores: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn failures_dir() -> PathBuf {
    let d = root().join("target/harness-failures");
    std::fs::create_dir_all(&d).expect("create target/harness-failures");
    d
}

fn budget() -> Duration {
    Duration::from_secs(env_u64("ARCHSIM_HARNESS_BUDGET_S", 10))
}

/// Runs `f(i)` for every `i < n` on `ARCHSIM_HARNESS_THREADS` threads; results in index
/// order.
fn par_map<T: Send>(n: u64, f: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let threads = env_u64("ARCHSIM_HARNESS_THREADS", 2).max(1);
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = f(i);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut v = results.into_inner().unwrap();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, r)| r).collect()
}

/// The verdict on a run of `archsim run`: `None` if it passes, else the failure class
/// and its detail.
fn judge_run(outcome: &Outcome) -> Option<(String, String)> {
    match outcome {
        Outcome::Ok(stdout) => match serde_json::from_str::<serde_json::Value>(stdout) {
            Err(e) => Some(("bad json".into(), format!("{e}"))),
            Ok(json) => {
                let errs = check::check(&json);
                if errs.is_empty() {
                    None
                } else {
                    Some(("insane figures".into(), errs.join("\n")))
                }
            }
        },
        Outcome::ClearError { code: 1, line } if line.contains("conservation") => {
            Some(("conservation".into(), line.clone()))
        }
        Outcome::ClearError { .. } => None,
        other => Some((other.class().to_string(), other.detail())),
    }
}

/// Markup the generator puts in input text (description, fault names).
const MARKUP: &[&str] = &[
    "<b>",
    "<crash>",
    "<hang>",
    "<slow>",
    "<error>",
    "<partition>",
    "<script>",
    "<i>",
];

/// Writes the report of `file` (`archsim run FILE --report DIR`) and checks that the
/// input's markup is escaped: nowhere raw in `index.html`, and not raw in `report.md`
/// outside code fences (DESIGN 8: text from the input is escaped in every format).
fn judge_report(file: &Path, dir: &Path) -> Option<(String, String)> {
    let out = dir.join("report");
    let _ = std::fs::remove_dir_all(&out);
    let outcome = run::run(
        &[
            "run",
            file.to_str().unwrap(),
            "--report",
            out.to_str().unwrap(),
            "--quiet",
        ],
        dir,
        &dir.join("report-run"),
        budget(),
    );
    if !matches!(outcome, Outcome::Ok(_)) {
        return judge_run(&outcome).map(|(c, d)| (format!("report: {c}"), d));
    }
    let mut errs = Vec::new();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap_or_default();
    for m in MARKUP {
        if html.contains(m) {
            errs.push(format!("index.html: raw {m} from the input"));
        }
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap_or_default();
    let mut fenced = false;
    for (n, line) in md.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if let Some(m) = MARKUP.iter().find(|m| !fenced && line.contains(*m)) {
            errs.push(format!(
                "report.md:{}: raw {m} from the input: {line}",
                n + 1
            ));
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    (!errs.is_empty()).then(|| ("unescaped report".to_string(), errs.join("\n")))
}

struct Failure {
    label: String,
    class: String,
    detail: String,
    saved: PathBuf,
}

fn report(title: &str, counts: &BTreeMap<String, u64>, failures: &[Failure], extra: &str) {
    eprintln!("\n== {title} ==");
    for (k, v) in counts {
        eprintln!("  {k:<28} {v}");
    }
    if !extra.is_empty() {
        eprintln!("{extra}");
    }
    let mut by_class: BTreeMap<&str, u64> = BTreeMap::new();
    for f in failures {
        *by_class.entry(&f.class).or_default() += 1;
    }
    if !failures.is_empty() {
        eprintln!("  failures by class: {by_class:?}");
    }
    for f in failures {
        let first: Vec<&str> = f.detail.lines().take(4).collect();
        eprintln!(
            "  FAIL {} [{}] saved {}\n      {}",
            f.label,
            f.class,
            f.saved.display(),
            first.join("\n      ")
        );
    }
}

#[test]
fn generated_scenarios_end_sane() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cases = env_u64("ARCHSIM_HARNESS_CASES", 300);
    let seed = env_u64("ARCHSIM_HARNESS_SEED", 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = Instant::now();
    let results = par_map(cases, |i| {
        let text = gen::scenario(seed, i);
        let path = tmp.path().join(format!("gen-{seed}-{i}.toml"));
        std::fs::write(&path, &text).expect("write case");
        if let Ok(keep) = std::env::var("ARCHSIM_HARNESS_KEEP") {
            std::fs::create_dir_all(&keep).expect("create ARCHSIM_HARNESS_KEEP");
            std::fs::write(Path::new(&keep).join(path.file_name().unwrap()), &text)
                .expect("keep case");
        }
        let t0 = Instant::now();
        let args = [
            "run",
            path.to_str().unwrap(),
            "--json",
            "-",
            "--quiet",
            "--max-events",
            MAX_EVENTS,
        ];
        let outcome = run::run(&args, tmp.path(), &path, budget());
        let mut verdict = judge_run(&outcome);
        // Every 10th sane run again on 2 threads: the bytes must not change (DESIGN 4).
        if let (None, Outcome::Ok(first), 0) = (&verdict, &outcome, i % 10) {
            let again = run::run_threads(&args, tmp.path(), &path, budget(), 2);
            match again {
                Outcome::Ok(second) if &second == first => {}
                Outcome::Ok(_) => {
                    verdict = Some((
                        "nondeterministic".into(),
                        "the JSON differs between RAYON_NUM_THREADS=1 and 2".into(),
                    ))
                }
                other => verdict = Some(("nondeterministic".into(), other.detail())),
            }
        }
        // Every 10th (another tenth) sane case writes its report, which must escape.
        if verdict.is_none() && matches!(outcome, Outcome::Ok(_)) && i % 10 == 5 {
            let dir = tmp.path().join(format!("rep-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            verdict = judge_report(&path, &dir);
            let _ = std::fs::remove_dir_all(&dir);
        }
        // And another tenth writes its traces (OTLP, or Chrome every other time) and
        // metrics, which the real tools must accept (`harness/exports.rs`).
        if verdict.is_none() && matches!(outcome, Outcome::Ok(_)) && i % 10 == 3 {
            let dir = tmp.path().join(format!("exp-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            verdict = exports::judge(&path, &dir, i % 20 == 13, MAX_EVENTS, budget());
            let _ = std::fs::remove_dir_all(&dir);
        }
        // And another tenth runs as a cluster would: plan, shards, merge, the same JSON.
        if let (None, Outcome::Ok(first), 7) = (&verdict, &outcome, i % 10) {
            let dir = tmp.path().join(format!("dist-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            verdict = distribute::judge(&path, &dir, first, MAX_EVENTS, budget());
            let _ = std::fs::remove_dir_all(&dir);
        }
        // And another tenth draws its topology in the three syntaxes.
        if verdict.is_none() && matches!(outcome, Outcome::Ok(_)) && i % 10 == 9 {
            let dir = tmp.path().join(format!("graph-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            verdict = graph::judge(&path, &dir, MARKUP, budget());
            let _ = std::fs::remove_dir_all(&dir);
        }
        let _ = std::fs::remove_file(&path);
        (i, text, outcome, verdict, t0.elapsed())
    });
    let elapsed = start.elapsed();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rejections: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut slowest = (Duration::ZERO, 0);
    for (i, text, outcome, verdict, took) in &results {
        *counts.entry(outcome.class().to_string()).or_default() += 1;
        if *took > slowest.0 {
            slowest = (*took, *i);
        }
        if let Outcome::ClearError { code: 2, line } = outcome {
            // Group rejections by message without the file name and line.
            let key = line
                .splitn(3, ':')
                .nth(2)
                .unwrap_or(line)
                .trim()
                .chars()
                .take(90)
                .collect::<String>();
            rejections.entry(key).or_insert((0, *i)).0 += 1;
        }
        if let Some((class, detail)) = verdict {
            let saved = failures_dir().join(format!("gen-{seed}-{i}.toml"));
            let header: String = detail
                .lines()
                .take(6)
                .map(|l| format!("# {class}: {l}\n"))
                .collect();
            let _ = std::fs::write(&saved, format!("{header}{text}"));
            failures.push(Failure {
                label: format!("seed {seed} case {i}"),
                class: class.clone(),
                detail: detail.clone(),
                saved,
            });
        }
    }
    let rejected = counts.get("rejected (exit 2)").copied().unwrap_or(0);
    let accepted = cases - rejected;
    let mut extra = format!(
        "  accepted by the loader       {accepted}/{cases} ({:.1}%)\n  wall time                    {:.1}s (slowest case {} took {:.2}s)",
        100.0 * accepted as f64 / cases.max(1) as f64,
        elapsed.as_secs_f64(),
        slowest.1,
        slowest.0.as_secs_f64()
    );
    extra.push('\n');
    extra.push_str(&exports::summary());
    extra.push('\n');
    extra.push_str(&distribute::summary());
    extra.push('\n');
    extra.push_str(&graph::summary());
    for (msg, (n, first)) in &rejections {
        extra.push_str(&format!("\n  rejected x{n} (first case {first}): {msg}"));
    }
    report(
        &format!("generated scenarios: seed {seed}, {cases} cases"),
        &counts,
        &failures,
        &extra,
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} generated scenarios failed (see above; saved under target/harness-failures/)",
        failures.len()
    );
}

#[test]
fn loader_fuzz() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let n = env_u64("ARCHSIM_HARNESS_MUTATIONS", 3000);
    let seed = env_u64("ARCHSIM_HARNESS_SEED", 1);
    let mut corpus = fuzz::corpus(&root());
    // A few generated scenarios join the seeds.
    for i in 0..20 {
        corpus.push((format!("generated#{i}"), gen::scenario(seed, 1_000_000 + i)));
    }
    assert!(
        corpus.len() > 60,
        "the fuzz corpus is too small: {}",
        corpus.len()
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let start = Instant::now();
    let results = par_map(n, |i| {
        let (name, text) = &corpus[(i % corpus.len() as u64) as usize];
        let mut r = gen::case_rng(seed, i, 1);
        let mut t = text.clone();
        for _ in 0..r.random_range(1..=3) {
            t = fuzz::mutate_once(&mut r, &t);
        }
        let file = format!("fuzz-{seed}-{i}.toml");
        let path = tmp.path().join(&file);
        std::fs::write(&path, &t).expect("write mutation");
        let outcome = run::run(
            &["validate", path.to_str().unwrap()],
            tmp.path(),
            &path,
            budget(),
        );
        let verdict = match &outcome {
            Outcome::Ok(_) => None,
            Outcome::ClearError { code: 2, line } if line.contains(&file) => None,
            Outcome::ClearError { code: 2, line } => {
                Some(("error not naming the file".to_string(), line.clone()))
            }
            other => Some((other.class().to_string(), other.detail())),
        };
        let _ = std::fs::remove_file(&path);
        (i, name.clone(), t, outcome.class(), verdict)
    });
    let elapsed = start.elapsed();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, name, text, class, verdict) in &results {
        *counts.entry(class.to_string()).or_default() += 1;
        if let Some((class, detail)) = verdict {
            let saved = failures_dir().join(format!("fuzz-{seed}-{i}.toml"));
            let _ = std::fs::write(&saved, text);
            failures.push(Failure {
                label: format!("seed {seed} mutation {i} of {name}"),
                class: class.clone(),
                detail: detail.clone(),
                saved,
            });
        }
    }
    let extra = format!(
        "  corpus                       {} texts\n  wall time                    {:.1}s",
        corpus.len(),
        elapsed.as_secs_f64()
    );
    report(
        &format!("loader fuzz: seed {seed}, {n} mutations"),
        &counts,
        &failures,
        &extra,
    );
    assert!(
        failures.is_empty(),
        "{} of {n} mutated files failed the loader contract",
        failures.len()
    );
}

#[test]
fn found_reproducers_pass() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = root().join("tests/harness/found");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let tmp = tempfile::tempdir().expect("tempdir");
    let results = par_map(files.len() as u64, |i| {
        let f = &files[i as usize];
        let scratch = tmp.path().join(format!("found-{i}"));
        let outcome = run::run(
            &[
                "run",
                f.to_str().unwrap(),
                "--json",
                "-",
                "--quiet",
                "--max-events",
                MAX_EVENTS,
            ],
            &root(),
            &scratch,
            budget(),
        );
        let mut verdict = judge_run(&outcome);
        if verdict.is_none() && matches!(outcome, Outcome::Ok(_)) {
            let dir = tmp.path().join(format!("found-rep-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            verdict = judge_report(f, &dir);
        }
        (outcome.class(), verdict)
    });
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for (f, (class, verdict)) in files.iter().zip(&results) {
        *counts.entry(class.to_string()).or_default() += 1;
        if let Some((class, detail)) = verdict {
            failures.push(Failure {
                label: rel(f),
                class: class.clone(),
                detail: detail.clone(),
                saved: f.clone(),
            });
        }
    }
    report(
        &format!("found reproducers: {} files", files.len()),
        &counts,
        &failures,
        "",
    );
    assert!(
        failures.is_empty(),
        "{} of {} reproducers still fail",
        failures.len(),
        files.len()
    );
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// A failure's signature, which shrinking must keep: the class, plus the panic
/// location, the kind of insane figure or the error text without numbers.
fn signature(outcome: &Outcome) -> Option<String> {
    let (class, detail) = judge_run(outcome)?;
    let key = match outcome {
        Outcome::Panic(s) => s
            .lines()
            .find(|l| l.contains("panicked at"))
            .and_then(|l| l.split("panicked at").nth(1))
            .unwrap_or("")
            .to_string(),
        _ => {
            let first = detail.lines().next().unwrap_or("");
            let msg = first.split_once(": ").map_or(first, |(_, m)| m);
            msg.chars()
                .filter(|c| !c.is_ascii_digit() && *c != '.')
                .collect()
        }
    };
    Some(format!("{class}: {key}"))
}

/// By hand: `ARCHSIM_HARNESS_SHRINK=target/harness-failures/gen-1-34.toml cargo test
/// --release --test harness shrink -- --ignored --nocapture` deletes lines of the file
/// (then single characters of numbers are not touched) while the failure keeps its
/// signature, and writes the result beside it as `NAME.min.toml`.
#[test]
#[ignore]
fn shrink() {
    let Ok(path) = std::env::var("ARCHSIM_HARNESS_SHRINK") else {
        eprintln!("set ARCHSIM_HARNESS_SHRINK=FILE");
        return;
    };
    let path = PathBuf::from(path);
    let text = std::fs::read_to_string(&path).expect("read the file to shrink");
    let tmp = tempfile::tempdir().expect("tempdir");
    let budget = Duration::from_secs(env_u64("ARCHSIM_HARNESS_BUDGET_S", 4));
    let try_text = |t: &str, n: u64| -> Option<String> {
        let p = tmp.path().join(format!("shrink-{n}.toml"));
        std::fs::write(&p, t).unwrap();
        let o = run::run(
            &[
                "run",
                p.to_str().unwrap(),
                "--json",
                "-",
                "--quiet",
                "--max-events",
                MAX_EVENTS,
            ],
            tmp.path(),
            &p,
            budget,
        );
        signature(&o)
    };
    let target = try_text(&text, 0).expect("the file does not fail");
    eprintln!("signature: {target}");
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut n = 1;
    // Remove chunks of lines, halving the chunk size, then single lines until stable.
    let mut chunk = (lines.len() / 2).max(1);
    loop {
        let mut changed = false;
        let mut i = 0;
        while i < lines.len() {
            let end = (i + chunk).min(lines.len());
            let candidate: Vec<String> = lines[..i].iter().chain(&lines[end..]).cloned().collect();
            n += 1;
            if try_text(&candidate.join("\n"), n).as_deref() == Some(target.as_str()) {
                lines = candidate;
                changed = true;
            } else {
                i += chunk;
            }
        }
        eprintln!("chunk {chunk}: {} lines", lines.len());
        if chunk == 1 && !changed {
            break;
        }
        chunk = (chunk / 2).max(1);
    }
    // Then drop the non-first items of inline tables and arrays (", key = value").
    loop {
        let mut changed = false;
        for li in 0..lines.len() {
            let mut k = 0;
            loop {
                let segs = item_segments(&lines[li]);
                let Some(&(a, b)) = segs.get(k) else { break };
                let mut candidate = lines.clone();
                candidate[li] = format!("{}{}", &lines[li][..a], &lines[li][b..]);
                n += 1;
                if try_text(&candidate.join("\n"), n).as_deref() == Some(target.as_str()) {
                    lines = candidate;
                    changed = true;
                } else {
                    k += 1;
                }
            }
        }
        eprintln!("items: {} lines", lines.len());
        if !changed {
            break;
        }
    }
    let out = path.with_extension("min.toml");
    std::fs::write(&out, format!("# {target}\n{}\n", lines.join("\n"))).unwrap();
    eprintln!("wrote {} ({} lines)", out.display(), lines.len());
}

/// Byte ranges of the ", item" segments of the inline tables and arrays of a line
/// (every item but the first of each), outside strings.
fn item_segments(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_str = false;
    // Open commas by depth: start of the segment.
    let mut open: Vec<Option<usize>> = vec![None; 64];
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            if c == b'"' && b[i - 1] != b'\\' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth = (depth + 1).min(63);
                open[depth] = None;
            }
            b'}' | b']' => {
                if let Some(s) = open[depth].take() {
                    // Keep the space before the closing bracket.
                    let end = if i > 0 && b[i - 1] == b' ' { i - 1 } else { i };
                    out.push((s, end));
                }
                depth = depth.saturating_sub(1);
            }
            b',' if depth > 0 => {
                if let Some(s) = open[depth] {
                    out.push((s, i));
                }
                open[depth] = Some(i);
            }
            _ => {}
        }
    }
    out
}

/// How many of the first 300 generated cases (seed 1) contain `key`, and how many of
/// those load.
fn generated_with(key: &str) -> (usize, usize) {
    let texts: Vec<String> = (0..300)
        .map(|i| gen::scenario(1, i))
        .filter(|t| t.contains(key))
        .collect();
    let loaded = texts
        .iter()
        .filter(|t| archsim::spec::load_str(t, Path::new("gen.toml")).is_ok())
        .count();
    eprintln!(
        "{} of 300 generated cases contain {key:?}, {loaded} of them load",
        texts.len()
    );
    (texts.len(), loaded)
}

/// The generator exercises client connection pools, autoscalers and cold starts
/// (issue 13): enough of the cases that `generated_scenarios_end_sane` runs declare
/// each, and most of those load.
#[test]
fn generator_covers_pools_autoscaling_and_cold_starts() {
    for key in [".pools.", "autoscale = ", "cold_start = "] {
        let (n, loaded) = generated_with(key);
        assert!(n >= 20 && loaded * 2 >= n, "{key}: {n} / {loaded}");
    }
}
