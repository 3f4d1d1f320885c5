//! The scenario file format: TOML text in, a validated [`Scenario`] out.
//!
//! Loading happens in two stages, as in ripgrep's flags: `raw` holds serde structs
//! that mirror the file key for key (unknown keys are errors), and `compile` checks
//! them and builds the indexed model, resolving every name once. Services may take
//! their defaults from reusable profiles in `models/` (`models`). Command-line edits
//! (`--set`, `--duration`, ...) go through `edit`, the one door for changing a
//! scenario.
//!
//! Module map:
//!
//! | module | what it holds |
//! |---|---|
//! | `raw` | stage one: every serde struct of the file format (a leaf: only `Loc`) |
//! | `loc` | `Loc<T>`, a value with its byte span |
//! | `compile` | stage two: the order of the passes, from text to [`Scenario`] |
//! | `symbols` | the symbol table (`Names`: services, operations, links, ...), `valid_name`, `resolve_op` |
//! | `simulation` | `[simulation]` and the run-wide bounds on the compiled scenario |
//! | `network` | `[network]` links and `[protocols]` |
//! | `services` | services, operations, step groups, calls; the synchronous-call cycle check |
//! | `workloads` | `[[workload]]` and its arrivals |
//! | `policies` | retry, breaker, bulkhead, fallback, hedge, rate limit |
//! | `dist`, `units`, `values` | distributions, durations and rates, typed value checks (`In`) |
//! | `models` | service and broker profiles from `models/`, merged under the file's keys |
//! | `faults`, `messaging`, `saga`, `compare` | `[[fault]]`; brokers, queues, topics and message steps; `[sagas]`; `[compare]` and `[[slo]]` |
//! | `cycles` | refuses provable zero-time cycles of message and saga hops |
//! | `limits` | capped file reads and the bounds on every count that drives an allocation |
//! | `edit` | `--set` grammar and TOML edits, sweep points, command-line overrides |
//! | `error` | `SpecError`, locations, one-line messages |
//!
//! Every failure is a [`SpecError`] whose message is one line,
//! `{file}:{line}: {field}: {message}`, naming the key and, for unknown names, the
//! valid choices (an error in a command-line edit names the flag instead). No input, however malformed, makes loading panic.
//!
//! Architecture invariant: only this module knows TOML; the rest of the crate sees
//! [`crate::model`] types.
//!
//! ```
//! use std::path::Path;
//! let text = r#"
//! [simulation]
//! duration = "1m"
//!
//! [services.api]
//! workers = 8
//! operations.get = { work = { dist = "exp", mean = "2ms" } }
//!
//! [[workload]]
//! entry = "api.get"
//! arrivals = { poisson = "100/s" }
//! "#;
//! let scenario = archsim::spec::load_str(text, Path::new("example.toml")).unwrap();
//! assert_eq!(scenario.services[0].workers, 8);
//! assert_eq!(scenario.workloads[0].flow, "api.get");
//!
//! let err = archsim::spec::load_str("[simulation]\nduration = 5\n", Path::new("x.toml")).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "x.toml:2: simulation.duration: durations are strings with a unit, e.g. \"5ms\" (got the bare number 5)"
//! );
//! ```

mod autoscale;
mod compare;
mod compile;
mod cycles;
mod dist;
pub mod edit;
mod error;
mod faults;
pub mod limits;
mod loc;
mod messaging;
mod models;
mod network;
mod policies;
mod pools;
mod raw;
mod saga;
mod services;
mod simulation;
mod symbols;
mod units;
mod values;
mod workloads;

pub use edit::{load_with, Overrides};
pub use error::{Location, SpecError};
pub use models::builtin_models;
pub use units::{parse_count, parse_duration, parse_rate};

use crate::model::Scenario;
use std::path::Path;

/// Reads and compiles the scenario at `path`. Models and data files are looked up
/// relative to it; messages name it as given.
pub fn load(path: &Path) -> Result<Scenario, SpecError> {
    let text =
        limits::read_capped(path, limits::MAX_SCENARIO_BYTES).map_err(|message| SpecError::Io {
            file: path.display().to_string(),
            message,
        })?;
    load_str(&text, path)
}

/// Compiles scenario `text` as if read from `origin`, which names the file in messages,
/// gives the scenario its name (the file stem) and anchors relative paths (models,
/// CSV files). The file itself is not read.
pub fn load_str(text: &str, origin: &Path) -> Result<Scenario, SpecError> {
    compile::compile(text, origin)
}
