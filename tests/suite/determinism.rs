//! Same file + same seed => the same bytes, for any thread count; another seed differs.

use std::path::Path;
use std::process::Command;

fn run_json(seed: u64, threads: &str, out: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RAYON_NUM_THREADS", threads)
        .args([
            "run",
            "scenarios/checkout-sync.toml",
            "--duration",
            "90s",
            "--replications",
            "4",
        ])
        .args(["--seed", &seed.to_string(), "--json"])
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
