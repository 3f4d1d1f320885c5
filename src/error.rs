//! The library's top-level error.

use std::path::PathBuf;

/// Anything that can stop an archsim command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file is missing, malformed or inconsistent: fix the file.
    #[error(transparent)]
    Spec(#[from] crate::spec::SpecError),
    /// A command-line override is invalid (e.g. `--duration 5` without a unit).
    #[error("{0}")]
    Override(String),
    /// A replication could not finish: its clock stopped in a zero-time cycle (fix the
    /// model), or its accounting did not balance (an archsim bug, please report it).
    #[error(transparent)]
    Run(#[from] crate::engine::RunError),
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
            Error::Spec(_) | Error::Override(_) => 2,
            Error::Run(_) | Error::Output(..) | Error::Stdout(_) => 1,
        }
    }
}

/// Command-line overrides of `[simulation]` settings.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Master seed.
    pub seed: Option<u64>,
    /// Number of replications.
    pub replications: Option<u32>,
    /// Simulated duration, as a duration string.
    pub duration: Option<String>,
    /// Most events a replication may take (projected from its pace).
    pub max_events: Option<u64>,
}

impl Overrides {
    /// Apply the overrides to a loaded scenario, re-checking what they could break.
    pub fn apply(&self, scenario: &mut crate::model::Scenario) -> Result<(), Error> {
        let before = scenario.sim.clone();
        if let Some(seed) = self.seed {
            scenario.sim.seed = seed;
        }
        if let Some(m) = self.max_events {
            if m < 1_000_000 {
                return Err(Error::Override(format!(
                    "--max-events: at least 1000000 (a run's pace is projected after 4 M events), got {m}"
                )));
            }
            scenario.sim.max_events = m;
        }
        if let Some(r) = self.replications {
            if r == 0 {
                return Err(Error::Override("--replications: must be at least 1".into()));
            }
            let max = crate::spec::limits::MAX_REPLICATIONS;
            if r > max {
                return Err(Error::Override(format!(
                    "--replications: at most {max} (the metrics of each replication are kept until the experiment is reduced), got {r}"
                )));
            }
            scenario.sim.replications = r;
        }
        if let Some(d) = &self.duration {
            let d = crate::spec::parse_duration(d)
                .map_err(|e| Error::Override(format!("--duration: {e}")))?;
            if d <= scenario.sim.warmup {
                return Err(Error::Override(format!(
                    "--duration: must be longer than the warm-up ({})",
                    crate::kernel::format_duration(scenario.sim.warmup as f64)
                )));
            }
            let max = crate::spec::limits::MAX_RUN_DURATION;
            if d > max {
                return Err(Error::Override(format!(
                    "--duration: longer than the {} limit on a run",
                    crate::spec::limits::fmt(max)
                )));
            }
            scenario.sim.duration = d;
        }
        // Timeline intervals, their memory and the expected fault windows grow with
        // the duration and the replications.
        crate::spec::limits::check_overrides(scenario).map_err(|m| {
            scenario.sim = before.clone();
            let what = match (self.duration.is_some(), self.replications.is_some()) {
                (true, true) => "--duration/--replications",
                (true, false) => "--duration",
                _ => "--replications",
            };
            Error::Override(format!("{what}: {m}"))
        })?;
        Ok(())
    }
}
