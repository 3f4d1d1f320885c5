//! The command line: exit codes and one-line errors, as a user sees them.

use std::process::{Command, Output};

fn archsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("archsim runs")
}

#[test]
fn every_bad_input_file_exits_2_with_one_located_line_and_no_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 12, "at least 12 bad inputs");
    for path in files {
        let rel = format!(
            "tests/bad_input/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        for cmd in ["validate", "run"] {
            let out = archsim(&[cmd, &rel]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{cmd} {rel}: exit code; stderr: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{rel} panicked: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{rel}: one line, got: {stderr}"
            );
            let prefix = format!("error: {rel}:");
            assert!(
                stderr.starts_with(&prefix),
                "{rel}: message should start with {prefix:?}: {stderr}"
            );
            let line_no: String = stderr[prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            assert!(
                !line_no.is_empty(),
                "{rel}: a line number after the file: {stderr}"
            );
            assert!(out.stdout.is_empty(), "nothing on stdout on error");
        }
    }
}

#[test]
fn a_missing_file_names_the_file_and_exits_2() {
    let out = archsim(&["run", "scenarios/does-not-exist.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scenarios/does-not-exist.toml"));
}

#[test]
fn bad_overrides_are_usage_errors() {
    let out = archsim(&["run", "scenarios/checkout-sync.toml", "--duration", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--duration"));
    let out = archsim(&["run", "scenarios/checkout-sync.toml", "--replications", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn max_events_takes_scientific_notation_and_refuses_fractions() {
    let run = |n: &str| {
        archsim(&[
            "run",
            "scenarios/checkout-sync.toml",
            "--duration",
            "31s",
            "--replications",
            "1",
            "-q",
            "--max-events",
            n,
        ])
    };
    for ok in ["3e7", "30_000_000", "30000000"] {
        let out = run(ok);
        assert!(
            out.status.success(),
            "{ok}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run("3.5e6x");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--max-events") && stderr.contains("expected a whole number"),
        "{stderr}"
    );
    let out = run("1e5");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1000000"));
}

#[test]
fn validate_warns_of_work_that_never_ends_and_still_succeeds() {
    let dir = std::env::temp_dir().join(format!("archsim-endless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("loop.toml");
    std::fs::write(
        &file,
        r#"
[simulation]
duration = "10s"
[brokers.rabbit]
queues.jobs = { consumer = "worker.run" }
[services.worker]
operations.run = { work = "10ms", steps = [ { send = "rabbit.jobs" } ] }
[[workload]]
flow = "jobs"
entry = "worker.run"
arrivals = { poisson = "10/s" }
"#,
    )
    .unwrap();
    let out = archsim(&["validate", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok ("));
    assert_eq!(
        stderr.trim_end(),
        "warning: flow jobs: every request starts work that never ends: worker.run → queue rabbit.jobs → worker.run, a cycle whose every pass starts the next when it succeeds, so its requests never complete (only failures or the end of the run stop it)"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("scenarios")];
    let mut n = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                let out = archsim(&["validate", p.to_str().unwrap()]);
                assert!(
                    out.status.success() && out.stderr.is_empty(),
                    "{}: {}",
                    p.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                n += 1;
            }
        }
    }
    assert!(n >= 2);
}

#[test]
fn run_prints_the_flow_table_with_percentiles_and_cis() {
    let out = archsim(&[
        "run",
        "scenarios/checkout-sync.toml",
        "--duration",
        "60s",
        "--replications",
        "3",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "flow checkout",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "throughput",
        "±",
        "conservation: balanced",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}
