//! What an autoscaled service records: its ready and provisioned replicas over time
//! (time integrals: replica-seconds are the provisioned area), its scaling decisions,
//! and per timeline interval its desired, ready and provisioned counts.

use super::TimeIntegral;
use crate::kernel::SimTime;
use serde::{Deserialize, Serialize};

/// One autoscaled service in one replication.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ScaleMetrics {
    /// Ready replicas (serving new work) over time.
    pub ready: TimeIntegral,
    /// Provisioned replicas over time: ready, starting and draining (what is billed).
    pub provisioned: TimeIntegral,
    /// Replicas that take or hold work over time: ready and draining (a starting one
    /// taken back from draining keeps its work): the workers utilization divides by.
    pub serving: TimeIntegral,
    /// Decisions that raised the desired count (whole run).
    pub scale_ups: u64,
    /// Decisions that lowered it (whole run).
    pub scale_downs: u64,
    /// Replicas started (whole run).
    pub starts: u64,
    /// Highest desired count.
    pub peak_desired: u32,
}

/// An autoscaled service in one timeline interval.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct ScaleInterval {
    /// Desired replicas at the end of the interval.
    pub desired: u32,
    /// Mean ready replicas.
    pub ready: f64,
    /// Mean provisioned replicas (ready + starting + draining).
    pub provisioned: f64,
}

/// A change of a service's desired replica count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleEvent {
    /// When it was decided (ns).
    pub time: SimTime,
    /// Index of the service (`ServiceId`).
    pub service: u32,
    /// Desired replicas before.
    pub from: u32,
    /// Desired replicas after.
    pub to: u32,
}
