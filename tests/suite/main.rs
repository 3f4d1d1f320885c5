//! archsim's integration tests, one binary with a module per behaviour (one link of
//! the crate instead of one per file: the build on 2 cores is what CI waits for).
//! `tests/memory.rs` stays a binary of its own: it reads its process's peak resident set.

mod architecture;
mod autoscale;
mod autoscale_metrics;
mod bad_input;
mod capacity_report;
mod cli;
mod common;
mod compare;
mod cpu_sharing;
mod critical_path;
mod delivery;
mod determinism;
mod distribute;
mod distribute_emit;
mod escaping;
mod failures;
mod graph;
mod hardening;
mod harness;
mod limits;
mod messaging;
mod output_errors;
mod pools;
mod report_chromium;
mod report_files;
mod report_findings;
mod report_layout;
mod report_pdf;
mod report_print;
mod sagas;
mod seeds;
mod single_replication;
mod slo;
mod slurm;
mod spec_load;
mod spec_messaging;
mod spec_saga;
mod stability;
mod sweep;
mod sync_chain;
mod telemetry_export;
mod telemetry_import;
mod telemetry_otel;
mod theory;
