//! Every write of the CLI is checked: a full disk is one error line and exit code 1,
//! never a panic; a reader that goes away (`archsim run X | head -1`) ends the run
//! quietly with exit code 0.

use std::path::Path;
use std::process::{Command, Stdio};

const SCENARIO: &str = "scenarios/theory/mm1-rho0.9.toml";

fn archsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_archsim"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    c
}

const SHORT: [&str; 5] = ["-r", "1", "--duration", "15s", "--quiet"];

fn full() -> Stdio {
    Stdio::from(std::fs::File::create("/dev/full").expect("/dev/full exists on Linux"))
}

/// Exit code 1 and exactly one line `error: writing WHAT: <os error>`.
fn assert_write_error(out: &std::process::Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with(&format!("error: writing {what}: No space left on device")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn json_to_a_full_disk_is_one_error_line() {
    let out = archsim()
        .args(["run", SCENARIO, "--json", "/dev/full"])
        .args(SHORT)
        .output()
        .unwrap();
    assert_write_error(&out, "/dev/full");
}

#[test]
fn csv_to_a_full_disk_is_one_error_line() {
    let out = archsim()
        .args(["run", SCENARIO, "--csv", "/dev/full"])
        .args(SHORT)
        .output()
        .unwrap();
    assert_write_error(&out, "/dev/full");
}

#[test]
fn traces_and_metrics_to_a_full_disk_are_one_error_line() {
    // The trace documents are streamed to their file: the error comes mid-document.
    for export in [
        &["--traces", "/dev/full"][..],
        &["--traces", "/dev/full", "--trace-format", "chrome"],
        &["--metrics", "/dev/full"],
    ] {
        let out = archsim()
            .args(["run", SCENARIO])
            .args(SHORT)
            .args(export)
            .output()
            .unwrap();
        assert_write_error(&out, "/dev/full");
    }
}

#[test]
fn a_full_standard_output_is_one_error_line() {
    for extra in [&[][..], &["--json", "-"], &["--csv", "-"]] {
        let out = archsim()
            .args(["run", SCENARIO])
            .args(SHORT)
            .args(extra)
            .stdout(full())
            .output()
            .unwrap();
        assert_write_error(&out, "standard output");
    }
    for args in [
        &["graph", SCENARIO][..],
        &["validate", SCENARIO],
        &["check", SCENARIO],
    ] {
        let out = archsim().args(args).stdout(full()).output().unwrap();
        assert_write_error(&out, "standard output");
    }
}

#[test]
fn a_report_on_a_full_disk_is_one_error_line() {
    // A directory cannot be created under /dev/full: the report's first write fails.
    let out = archsim()
        .args(["run", SCENARIO, "--report", "/dev/full/rep"])
        .args(SHORT)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: writing /dev/full/rep: "), "{err}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    for extra in [&[][..], &["--json", "-"]] {
        let mut child = archsim()
            .args(["run", SCENARIO])
            .args(SHORT)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.is_empty(), "nothing on standard error: {err}");
        assert_eq!(out.status.code(), Some(0));
    }
}

#[test]
fn json_and_csv_cannot_both_take_standard_output() {
    // The CSV used to be dropped without a word; now every command with both flags
    // refuses before it runs anything.
    let both = ["--json", "-", "--csv", "-"];
    for command in [
        vec!["run", SCENARIO],
        vec!["compare", SCENARIO, "--no-report"],
        vec!["check", SCENARIO],
        vec!["sweep", SCENARIO, "--set", "services.server.workers=1,2"],
        vec!["merge", "no-such-plan.json", "parts"],
    ] {
        let out = archsim().args(&command).args(both).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
        assert_eq!(
            err.trim_end(),
            "error: --csv: standard output (\"-\") already takes the JSON of --json -; write one of them to a file",
            "{command:?}"
        );
        assert!(out.stdout.is_empty(), "{command:?}");
    }
    // One of them on standard output is as before.
    let out = archsim()
        .args(["run", SCENARIO, "--csv", "-"])
        .args(SHORT)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("variant,"));
}
