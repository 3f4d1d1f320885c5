//! archsim: a deterministic discrete-event simulator for microservice architectures.
//!
//! Data flows left to right:
//! TOML text → [`spec`] (serde structs, validation with locations) → [`model`] (compiled
//! topology with typed ids) → [`engine`] (one replication on the [`kernel`]) →
//! [`metrics`] (per replication) → [`experiment`] (parallel replications, confidence
//! intervals) → [`report`] (table, JSON).
//!
//! ```no_run
//! let scenario = archsim::spec::load(std::path::Path::new("scenarios/checkout-sync.toml"))?;
//! let summary = archsim::experiment::run(&scenario)?;
//! println!("{}", archsim::report::render_table(&summary));
//! # Ok::<(), archsim::Error>(())
//! ```
#![warn(missing_docs)]

pub mod engine;
mod error;
pub mod experiment;
pub mod kernel;
pub mod metrics;
pub mod model;
pub mod report;
pub mod spec;

pub use error::Error;
pub use model::Scenario;
pub use spec::Overrides;
