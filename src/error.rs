//! The library's top-level error.

use std::path::PathBuf;

/// Anything that can stop an archsim command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file is missing, malformed or inconsistent, or a command-line edit
    /// of it (`--set`, `--duration`, ...) is: fix what the message names.
    #[error(transparent)]
    Spec(#[from] crate::spec::SpecError),
    /// `archsim compare` was given a scenario without a `[compare]` table: add one with
    /// `flow` and `variants`, or use `archsim run`.
    #[error(
        "{file}: no [compare] table; add one with `flow` and `variants`, or use `archsim run`"
    )]
    NoCompare {
        /// The scenario file as given.
        file: String,
    },
    /// A replication could not finish: its clock stopped in a zero-time cycle (fix the
    /// model), or its accounting did not balance (an archsim bug, please report it).
    #[error(transparent)]
    Run(#[from] crate::engine::RunError),
    /// A plan or part file cannot be used, or a merge is incomplete (see
    /// [`crate::distribute::DistributeError`]).
    #[error(transparent)]
    Distribute(#[from] crate::distribute::DistributeError),
    /// A trace file cannot be read or used (see [`crate::telemetry::TelemetryError`]):
    /// the message names the file and the JSON path or span.
    #[error(transparent)]
    Telemetry(#[from] crate::telemetry::TelemetryError),
    /// An output file could not be written: check the path, the permissions and the
    /// free space.
    #[error("writing {0}: {1}")]
    Output(PathBuf, std::io::Error),
    /// Standard output could not be written (full disk, closed pipe).
    #[error("writing standard output: {0}")]
    Stdout(std::io::Error),
}

impl Error {
    /// Process exit code: 2 for bad input, 1 for failures while running or writing.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Spec(_)
            | Error::NoCompare { .. }
            | Error::Distribute(_)
            | Error::Telemetry(_) => 2,
            Error::Run(_) | Error::Output(..) | Error::Stdout(_) => 1,
        }
    }
}
