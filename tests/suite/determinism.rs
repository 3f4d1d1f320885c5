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

/// `archsim ARGS` at 1 and at 3 threads: the same JSON, of at least `min_len` bytes.
fn same_at_1_and_3_threads(args: &[&str], min_len: usize, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let one = json_of(args, "1", &dir.path().join("one.json"));
    let three = json_of(args, "3", &dir.path().join("three.json"));
    assert!(one.len() > min_len, "a real {what}");
    assert_eq!(one, three, "{what}: 1 thread vs 3 threads");
}

#[test]
fn variants_points_and_seeds_run_in_parallel_with_the_same_bytes() {
    // Variants, points and seeds run at once (each with its replications nested), and
    // are collected in order: 1 thread and 3 threads must agree.
    let variants = ["run", "scenarios/patterns-compare.toml", "-r", "1"];
    same_at_1_and_3_threads(&variants, 1000, "comparison");
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
    same_at_1_and_3_threads(&points, 1000, "sweep");
    let seeds = [
        "sweep",
        "scenarios/failures/retry-storm.toml",
        "--seeds",
        "0..5",
        "-r",
        "1",
    ];
    same_at_1_and_3_threads(&seeds, 200, "seed sweep");
}
