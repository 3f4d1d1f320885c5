//! Pattern comparisons (`[compare]`) and service-level objectives (`[[slo]]`).
//!
//! A comparison names one flow (a workload) and several variants; each variant is the
//! whole scenario with that workload's entry operation replaced. Everything else
//! (services, load, faults, RNG streams keyed by component name) is shared, so the
//! variants see the same arrivals and the same fault schedule (common random numbers).

use super::{LinkId, OpId};
use crate::kernel::SimTime;

/// One variant of a comparison: a display name and the entry operation it uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Display name, unique within the comparison.
    pub name: String,
    /// The operation the compared flow's clients call in this variant.
    pub entry: OpId,
    /// The network path from the clients to that entry.
    pub link: LinkId,
}

/// `[compare]`: the flow whose entry changes and its variants (at least one).
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Index of the compared workload in `Scenario::workloads`.
    pub workload: usize,
    /// The variants, in file order.
    pub variants: Vec<Variant>,
}

/// One `[[slo]]`: targets for one flow. Every target given must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Index of the flow in `Scenario::workloads`.
    pub workload: usize,
    /// p99 response latency must be at most this.
    pub p99: Option<SimTime>,
    /// Success rate (of responses) must be at least this, in [0, 1].
    pub success: Option<f64>,
    /// p99 completion latency must be at most this (not measured until asynchronous
    /// interactions exist: for a synchronous flow completion equals the response).
    pub completion_p99: Option<SimTime>,
}
