//! `[compare]` (variants of one flow) and `[[slo]]` (objectives per flow): raw
//! structs and their compilation.
//!
//! ```toml
//! [compare]
//! flow = "checkout"
//! variants = [
//!   { name = "sync chain", entry = "gateway.checkout" },
//!   { name = "guarded", entry = "gateway.checkout_guarded" },
//! ]
//!
//! [[slo]]
//! flow = "checkout"
//! p99 = "800ms"
//! success = 0.999
//! ```

use super::error::{choices, Kind, SpecError};
use super::loc::Loc;
use super::raw::{RawCompare, RawSlo};
use super::symbols::{resolve_op, Names};
use super::values::In;
use crate::model::{Comparison, LinkId, Slo, Variant, Workload};

/// Resolves a flow name to a workload index, listing the valid flows when unknown.
fn flow_index(
    at: &In,
    workloads: &[Workload],
    flow: &Loc<String>,
    field: &str,
) -> Result<usize, SpecError> {
    workloads
        .iter()
        .position(|w| w.flow == flow.value)
        .ok_or_else(|| {
            let valid = choices(workloads.iter().map(|w| w.flow.as_str()));
            let msg = format!("unknown flow \"{}\"; {valid}", flow.value);
            at.err(Kind::Unknown, flow, field, msg)
        })
}

/// Compiles `[compare]`, if present.
pub(crate) fn comparison(
    at: &In,
    names: &Names,
    workloads: &[Workload],
    raw: Option<&Loc<RawCompare>>,
) -> Result<Option<Comparison>, SpecError> {
    let Some(c) = raw else { return Ok(None) };
    let Some(flow) = &c.value.flow else {
        return Err(at.err(
            Kind::Missing,
            c,
            "compare",
            "missing `flow`, the [[workload]] flow whose variants are compared, e.g. flow = \"checkout\"",
        ));
    };
    let workload = flow_index(at, workloads, flow, "compare.flow")?;
    let Some(vs) = &c.value.variants else {
        return Err(at.err(
            Kind::Missing,
            c,
            "compare",
            "missing `variants`, e.g. variants = [ { name = \"sync\", entry = \"gateway.checkout\" } ]",
        ));
    };
    if vs.value.is_empty() {
        return Err(at.err(
            Kind::Invalid,
            vs,
            "compare.variants",
            "`variants` needs at least one { name, entry }",
        ));
    }
    let base = &workloads[workload];
    let base_service = names.op_service[base.entry.0 as usize];
    let mut variants: Vec<Variant> = Vec::with_capacity(vs.value.len());
    for (i, v) in vs.value.iter().enumerate() {
        let field = format!("compare.variants[{i}]");
        let (Some(name), Some(entry)) = (&v.value.name, &v.value.entry) else {
            return Err(at.err(
                Kind::Missing,
                v,
                &field,
                "each variant needs `name` and `entry`, e.g. { name = \"guarded\", entry = \"gateway.checkout_guarded\" }",
            ));
        };
        if name.value.trim().is_empty() {
            return Err(at.err(
                Kind::Invalid,
                name,
                &format!("{field}.name"),
                "a variant name must not be empty",
            ));
        }
        if variants.iter().any(|x| x.name == name.value) {
            let msg = format!(
                "duplicate variant name \"{}\"; give each variant a unique `name`",
                name.value
            );
            return Err(at.err(Kind::Duplicate, name, &format!("{field}.name"), msg));
        }
        let entry_id = resolve_op(at, names, entry, &format!("{field}.entry"))?;
        let service = names.op_service[entry_id.0 as usize];
        // Same entry service: the workload's own client link (which a fault may have
        // made dedicated); otherwise the declared client link to that service.
        let link = if service == base_service {
            base.link
        } else {
            names
                .links
                .get(&(None, service))
                .copied()
                .unwrap_or(LinkId(0))
        };
        variants.push(Variant {
            name: name.value.clone(),
            entry: entry_id,
            link,
        });
    }
    Ok(Some(Comparison { workload, variants }))
}

/// Compiles every `[[slo]]`, in file order.
pub(crate) fn slos(
    at: &In,
    workloads: &[Workload],
    raw: &[Loc<RawSlo>],
) -> Result<Vec<Slo>, SpecError> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let field = format!("slo[{i}]");
        let r = &s.value;
        let Some(flow) = &r.flow else {
            return Err(at.err(
                Kind::Missing,
                s,
                &field,
                "missing `flow`, the flow the objective applies to, e.g. flow = \"checkout\"",
            ));
        };
        let workload = flow_index(at, workloads, flow, &format!("{field}.flow"))?;
        let p99 = match &r.p99 {
            None => None,
            Some(v) => Some(at.positive_duration(v, &format!("{field}.p99"))?),
        };
        let success = match &r.success {
            None => None,
            Some(v) => Some(at.probability(v, &format!("{field}.success"))?),
        };
        let completion_p99 = match &r.completion_p99 {
            None => None,
            Some(v) => Some(at.positive_duration(v, &format!("{field}.completion_p99"))?),
        };
        if p99.is_none() && success.is_none() && completion_p99.is_none() {
            return Err(at.err(
                Kind::Missing,
                s,
                &field,
                "an SLO needs at least one of `p99`, `success`, `completion_p99`, e.g. p99 = \"800ms\"",
            ));
        }
        out.push(Slo {
            workload,
            p99,
            success,
            completion_p99,
        });
    }
    Ok(out)
}
