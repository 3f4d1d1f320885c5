//! archsim: a deterministic discrete-event simulator for microservice architectures.
//!
//! # Using the library
//!
//! A scenario (TOML) describes services, worker pools, queues, brokers, network hops,
//! faults and resilience policies. [`spec::load`] (or [`spec::load_str`]) checks it and
//! compiles it into a [`Scenario`]; [`experiment::compare::run_experiment`] runs every
//! replication of every `[compare]` variant (a scenario without `[compare]` is an
//! experiment with one variant) and reduces them to [`experiment::Summary`]s with 95%
//! confidence intervals; [`report`] renders an experiment as terminal text, JSON, CSV or
//! an HTML report. Same text and seed, same bytes, on any machine and thread count.
//!
//! ```
//! let toml = r#"
//! [simulation]
//! seed = 1
//! duration = "20s"
//! warmup = "2s"
//! replications = 2
//!
//! [services.server]
//! workers = 1
//! operations.serve = { work = { dist = "exp", mean = "1ms" } }
//!
//! [[workload]]
//! flow = "mm1"
//! entry = "server.serve"
//! arrivals = { poisson = "500/s" }
//! "#;
//! let scenario = archsim::spec::load_str(toml, std::path::Path::new("mm1.toml"))?;
//! let exp = archsim::experiment::compare::run_experiment(&scenario, &|| {})?;
//! // One variant ("as written"); its summary holds every figure.
//! let flow = &exp.variants[0].summary.flows[0];
//! assert!(flow.throughput.mean > 450.0 && flow.throughput.mean < 550.0);
//! // Rendered as the CLI prints it, and as JSON.
//! let text = archsim::report::terminal::render(&exp, &[]);
//! assert!(text.contains("flow mm1"));
//! let json = archsim::report::json::experiment_json(&exp, &[]);
//! assert!(json.contains("\"variants\""));
//! # Ok::<(), archsim::Error>(())
//! ```
//!
//! # Data flow
//!
//! Data flows one way:
//! TOML text → [`spec`] (raw serde structs, then compilation passes with located
//! errors) → [`model`] (compiled topology with typed ids) → [`engine`] (one
//! replication on the [`kernel`], which knows nothing about microservices) →
//! [`metrics`] (per-replication records: counters, histograms, timelines, traced
//! paths) → [`experiment`] (parallel replications, variants, sweeps, confidence
//! intervals) → [`report`] (terminal, JSON, CSV, HTML/Markdown report with charts).
//! Beside them, [`telemetry`] reads traces into a scenario (an input like [`spec`])
//! and writes simulated traces and metrics (an output like [`report`]).
//! ARCHITECTURE.md is the map: entry points, invariants and where a new thing goes.
#![warn(missing_docs)]

pub mod distribute;
pub mod engine;
mod error;
pub mod experiment;
pub mod kernel;
pub mod metrics;
pub mod model;
pub mod report;
pub mod spec;
pub mod telemetry;

pub use error::Error;
pub use model::Scenario;
pub use spec::Overrides;
