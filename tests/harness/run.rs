//! Running the binary on one file under a wall-clock and a memory budget, and
//! classifying the outcome.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Virtual-memory cap of one run (KiB, `ulimit -v`).
pub const MEMORY_KIB: u64 = 4_000_000;

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Exit 0; stdout holds the output.
    Ok(String),
    /// Exit 1 or 2 with exactly one line on stderr starting `error:`.
    ClearError { code: i32, line: String },
    /// Exit 1 or 2 but stderr is not a single `error:` line.
    UnclearError { code: i32, stderr: String },
    /// The process panicked.
    Panic(String),
    /// Killed by the wall-clock budget.
    Timeout,
    /// Ended by a signal (abort on allocation failure, the memory cap...) or an
    /// unexpected exit code.
    Killed { status: String, stderr: String },
}

impl Outcome {
    pub fn class(&self) -> &'static str {
        match self {
            Outcome::Ok(_) => "ok",
            Outcome::ClearError { code: 2, .. } => "rejected (exit 2)",
            Outcome::ClearError { .. } => "runtime error (exit 1)",
            Outcome::UnclearError { .. } => "unclear error",
            Outcome::Panic(_) => "panic",
            Outcome::Timeout => "timeout",
            Outcome::Killed { .. } => "killed",
        }
    }

    /// The first lines of stderr (or a description), for reports.
    pub fn detail(&self) -> String {
        let head = |s: &str| s.lines().take(3).collect::<Vec<_>>().join(" | ");
        match self {
            Outcome::Ok(_) => String::new(),
            Outcome::ClearError { line, .. } => line.clone(),
            Outcome::UnclearError { code, stderr } => format!("exit {code}: {}", head(stderr)),
            Outcome::Panic(s) => head(s),
            Outcome::Timeout => "still running at the wall-clock budget".to_string(),
            Outcome::Killed { status, stderr } => format!("{status}: {}", head(stderr)),
        }
    }
}

/// The archsim binary built by cargo for this test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_archsim")
}

/// Runs `archsim ARGS` (under `sh -c 'ulimit -v ...; exec ...'`), in `dir`, killing it
/// after `budget`. stdout and stderr go to files beside `scratch`.
pub fn run(args: &[&str], dir: &Path, scratch: &Path, budget: Duration) -> Outcome {
    run_threads(args, dir, scratch, budget, 1)
}

/// [`run`] with `RAYON_NUM_THREADS` = `threads`.
pub fn run_threads(
    args: &[&str],
    dir: &Path,
    scratch: &Path,
    budget: Duration,
    threads: u32,
) -> Outcome {
    let out_path = scratch.with_extension("stdout");
    let err_path = scratch.with_extension("stderr");
    let out = File::create(&out_path).expect("stdout file");
    let err = File::create(&err_path).expect("stderr file");
    let script = format!("ulimit -v {MEMORY_KIB}; exec \"$0\" \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(binary())
        .args(args)
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawn archsim");
    let start = Instant::now();
    let mut sleep = Duration::from_millis(1);
    let status = loop {
        match child.try_wait().expect("wait") {
            Some(s) => break Some(s),
            None if start.elapsed() >= budget => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => {
                std::thread::sleep(sleep);
                sleep = (sleep * 2).min(Duration::from_millis(20));
            }
        }
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr =
        String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default()).into_owned();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    let Some(status) = status else {
        return Outcome::Timeout;
    };
    if stderr.contains("panicked") || status.code() == Some(101) {
        return Outcome::Panic(stderr);
    }
    match status.code() {
        Some(0) => Outcome::Ok(stdout),
        Some(code @ (1 | 2)) => {
            let lines: Vec<&str> = stderr.lines().collect();
            if lines.len() == 1 && lines[0].starts_with("error: ") {
                Outcome::ClearError {
                    code,
                    line: lines[0].to_string(),
                }
            } else {
                Outcome::UnclearError { code, stderr }
            }
        }
        _ => Outcome::Killed {
            status: status.to_string(),
            stderr,
        },
    }
}
