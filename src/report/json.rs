//! JSON of experiments, SLO verdicts and sweeps (schema in the README): one shape for
//! every run, a scenario without `[compare]` being an experiment with one variant.
//! Byte-identical for the same input and seed: every collection is ordered, and floats
//! are printed by serde_json's shortest round-trip formatting.

use super::names::{named_traced, operation, NamedTraced};
use crate::experiment::compare::Experiment;
use crate::experiment::compare::VariantRun;
use crate::experiment::slo::SloVerdict;
use crate::experiment::sweep::Sweep;
use crate::experiment::Summary;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

#[derive(Serialize)]
struct ExperimentDoc<'a> {
    #[serde(flatten)]
    experiment: &'a Experiment,
    slo: &'a [SloVerdict],
}

fn pretty<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("reports are always serializable");
    s.push('\n');
    s
}

/// An experiment (every variant's full summary) and its SLO verdicts as JSON.
pub fn experiment_json(exp: &Experiment, verdicts: &[SloVerdict]) -> String {
    pretty(&ExperimentDoc {
        experiment: exp,
        slo: verdicts,
    })
}

/// SLO verdicts alone as JSON.
pub fn slo_json(verdicts: &[SloVerdict]) -> String {
    pretty(&verdicts)
}

/// A sweep as JSON.
pub fn sweep_json(s: &Sweep) -> String {
    pretty(s)
}

/// A `sweep --seeds` as JSON.
pub fn seeds_json(s: &crate::experiment::seeds::SeedSweep) -> String {
    pretty(s)
}

/// A summary with its traced results named, in the JSON's field order.
#[derive(Serialize)]
struct SummaryDoc<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    #[serde(flatten)]
    traced: NamedTraced,
}

/// A variant as JSON: its name, its entry operation's name and its named summary.
impl Serialize for VariantRun {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = s.serialize_struct("VariantRun", 3)?;
        v.serialize_field("name", &self.name)?;
        let entry = self.entry.map(|op| operation(&self.scenario, op));
        v.serialize_field("entry", &entry)?;
        v.serialize_field(
            "summary",
            &SummaryDoc {
                summary: &self.summary,
                traced: named_traced(&self.scenario, &self.summary.traced),
            },
        )?;
        v.end()
    }
}
