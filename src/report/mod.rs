//! Presentation of experiments and sweeps: terminal text, JSON, CSV and the report
//! (index.html, report.md, charts).
//!
//! Module map:
//! * `sections/`: every table, by subject, as plain [`sections::Section`]s; the
//!   terminal, HTML and Markdown lay the same sections out.
//! * `names`: the ids of traced results (paths, breakdowns) turned into names.
//! * `terminal`: the one text renderer of any experiment.
//! * `json`, `csv`: machine-readable outputs, one shape for every run.
//! * `figures/`: the report's charts, drawn by the chart kit (the `chartkit` workspace
//!   crate, re-exported as `charts`).
//! * `graph`: the topology as Mermaid or DOT; `document`, `html`, `markdown`: the
//!   report; `deliver`: where a command's outputs go (files, standard output).
//! * `escape`: one escaper per output syntax.
//!
//! Architecture invariant: only this module knows about output formats; it reads
//! results (`experiment`, `metrics::paths`) and the model for names, and never runs
//! anything.

pub use chartkit as charts;
pub mod csv;
pub mod deliver;
pub mod document;
pub mod escape;
pub mod figures;
pub mod findings;
pub mod graph;
pub mod html;
pub mod json;
pub mod markdown;
pub mod names;
pub mod pdf;
pub mod sections;
pub mod terminal;
pub mod topology;
