//! Same file + same seed => the same bytes, for any thread count; another seed differs.

use std::path::Path;
use std::process::Command;

fn run_json(seed: u64, threads: &str, out: &Path) -> Vec<u8> {
    let seed = seed.to_string();
    let args = [
        "run",
        "scenarios/checkout-sync.toml",
        "--duration",
        "90s",
        "--replications",
        "4",
        "--seed",
        &seed,
    ];
    json_of(&args, threads, out)
}

#[test]
fn json_is_byte_identical_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let a = run_json(42, "1", &dir.path().join("a.json"));
    let b = run_json(42, "2", &dir.path().join("b.json"));
    let c = run_json(42, "2", &dir.path().join("c.json"));
    assert!(a.len() > 1000, "a real report");
    assert_eq!(a, b, "1 thread vs 2 threads");
    assert_eq!(b, c, "two runs with 2 threads");
    let d = run_json(43, "2", &dir.path().join("d.json"));
    assert_ne!(a, d, "another seed gives other numbers");
}

/// `archsim ARGS --json OUT` with `threads` threads: the JSON's bytes.
fn json_of(args: &[&str], threads: &str, out: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .args(["--quiet", "--json"])
        .arg(out)
        .output()
        .expect("archsim runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::read(out).expect("json written")
}

#[test]
fn variants_points_and_seeds_run_in_parallel_with_the_same_bytes() {
    // Variants, points and seeds run at once (each with its replications nested), and
    // are collected in order: 1 thread and 3 threads must agree.
    let dir = tempfile::tempdir().unwrap();
    let variants = ["run", "scenarios/patterns-compare.toml", "-r", "1"];
    let a = json_of(&variants, "1", &dir.path().join("v1.json"));
    let b = json_of(&variants, "3", &dir.path().join("v3.json"));
    assert!(a.len() > 1000, "a real comparison");
    assert_eq!(a, b, "compare: 1 thread vs 3 threads");
    let points = [
        "sweep",
        "scenarios/checkout-sync.toml",
        "--set",
        "services.bank.workers=4,8,16",
        "--duration",
        "40s",
        "-r",
        "2",
    ];
    let a = json_of(&points, "1", &dir.path().join("a.json"));
    let b = json_of(&points, "3", &dir.path().join("b.json"));
    assert!(a.len() > 1000, "a real sweep");
    assert_eq!(a, b, "sweep: 1 thread vs 3 threads");
    let seeds = [
        "sweep",
        "scenarios/failures/retry-storm.toml",
        "--seeds",
        "0..5",
        "-r",
        "1",
    ];
    let c = json_of(&seeds, "1", &dir.path().join("c.json"));
    let d = json_of(&seeds, "3", &dir.path().join("d.json"));
    assert!(c.len() > 200, "a real seed sweep");
    assert_eq!(c, d, "sweep --seeds: 1 thread vs 3 threads");
}
