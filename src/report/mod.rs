//! Presentation of a [`Summary`]: a terminal table and JSON.
//!
//! Architecture invariant: only this module knows about output formats.

pub use chartkit as charts;
pub mod compare;
pub mod document;
pub mod escape;
pub mod figures;
pub mod graph;
pub mod html;
pub mod markdown;
pub mod output;
mod table;

pub use table::render_table;

use crate::experiment::Summary;

/// The summary as pretty-printed JSON. Byte-identical for the same input and seed:
/// every collection in the summary is ordered (ids, reasons, BTreeMaps), and floats
/// are printed by serde_json's shortest round-trip formatting.
pub fn to_json(summary: &Summary) -> String {
    let mut s = serde_json::to_string_pretty(summary).expect("summary is always serializable");
    s.push('\n');
    s
}
