//! Simulated telemetry out: traces as OTLP JSON or Chrome trace-event JSON, timelines
//! as OpenMetrics text.

pub mod chrome;
pub mod openmetrics;
pub mod otlp;
