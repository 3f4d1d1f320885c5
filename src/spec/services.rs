//! `[services.NAME]` after their models are merged: replicas, workers, queues and the
//! operations with their step groups, calls (with their policies) and message steps;
//! and the check that synchronous calls form no cycle.

use super::error::{FileId, Kind, Sources, SpecError};
use super::limits;
use super::loc::Loc;
use super::models::{MergedService, Sourced};
use super::raw::RawStep;
use super::symbols::{resolve_op, Edge, Names};
use super::values::In;
use crate::model::{Call, LinkId, Operation, Policies, Service, ServiceId, StepGroup};

pub(crate) fn service(
    src: &Sources,
    names: &Names,
    sid: ServiceId,
    m: &MergedService,
    edges: &mut Vec<Vec<Edge>>,
    policies: &mut Vec<Policies>,
) -> Result<(Service, Vec<Operation>), SpecError> {
    let field = format!("services.{}", m.name);
    let count = |v: &Option<Sourced<i64>>, key: &str, min: i64, default: u32| match v {
        None => Ok(default),
        Some(s) => In { src, file: s.file }.count(
            &Some(s.v.clone()),
            &format!("{field}.{key}"),
            min,
            default,
        ),
    };
    let autoscale = match &m.autoscale {
        None => None,
        Some(a) => Some(Box::new(super::autoscale::autoscale(
            &In { src, file: a.file },
            &a.v,
            m.replicas.as_ref(),
            m.cpus.is_some(),
            &field,
        )?)),
    };
    let cold_start = match &m.cold_start {
        None => None,
        Some(c) => Some(super::autoscale::cold_start(
            &In { src, file: c.file },
            &c.v,
            &field,
        )?),
    };
    let replicas = match (&m.replicas, &autoscale) {
        (_, Some(a)) => a.slots(),
        (None, None) => 1,
        (Some(s), None) => In { src, file: s.file }.bounded(
            &s.v,
            &format!("{field}.replicas"),
            1,
            i64::from(limits::MAX_TOTAL_REPLICAS),
            "the engine keeps state for every replica",
        )? as u32,
    };
    let workers = count(&m.workers, "workers", 1, 1)?;
    let cpu_millis = match &m.cpus {
        None => None,
        Some(c) => Some(In { src, file: c.file }.cpus(&c.v, &format!("{field}.cpus"))?),
    };
    let queue_capacity = count(&m.queue, "queue", 0, 1000)?;
    let balancer = match &m.balancer {
        None => crate::model::Balancer::RoundRobin,
        Some(b) => {
            In { src, file: b.file }.balancer(&Some(b.v.clone()), &format!("{field}.balancer"))?
        }
    };
    let mut ops = Vec::new();
    let mut ids = Vec::new();
    for (op, o) in &m.operations {
        let full = format!("{}.{op}", m.name);
        let id = names.ops[&full];
        ids.push(id);
        let at = In { src, file: o.file };
        let f = format!("{field}.operations.{op}");
        let r = &o.v.value;
        let work = at.dist_or_zero(&r.work, &format!("{f}.work"))?;
        let error_probability = r
            .error
            .as_ref()
            .map_or(Ok(0.0), |p| at.probability(p, &format!("{f}.error")))?;
        let mut groups = Vec::new();
        let mut out_edges = Vec::new();
        for (i, step) in r.steps.iter().flatten().enumerate() {
            let sf = format!("{f}.steps[{i}]");
            groups.push(step_group(
                &at,
                names,
                sid,
                step,
                &sf,
                &mut out_edges,
                policies,
            )?);
        }
        edges.push(out_edges);
        ops.push(Operation {
            name: full,
            service: sid,
            work,
            error_probability,
            groups,
        });
    }
    let svc = Service {
        name: m.name.clone(),
        replicas,
        workers,
        cpu_millis,
        queue_capacity,
        balancer,
        operations: ids,
        autoscale,
        cold_start,
    };
    Ok((svc, ops))
}

impl In<'_> {
    /// `cpus`: cores per replica, > 0, at most [`limits::MAX_CPUS`], in whole
    /// thousandths of a core (as Kubernetes' `500m`); returned in thousandths.
    fn cpus(&self, v: &Loc<f64>, field: &str) -> Result<u32, SpecError> {
        let x = self.number_in(v, field, 0.0, false, limits::MAX_CPUS)?;
        let millis = (x * 1000.0).round();
        if millis < 1.0 || (x * 1000.0 - millis).abs() > 1e-6 {
            let msg = format!(
                "must be a whole number of thousandths of a core (e.g. 4, 0.5 or 0.25), got {x}"
            );
            return Err(self.err(Kind::Invalid, v, field, msg));
        }
        Ok(millis as u32)
    }
}

pub(crate) fn step_group(
    at: &In,
    names: &Names,
    caller: ServiceId,
    step: &Loc<RawStep>,
    field: &str,
    edges: &mut Vec<Edge>,
    policies: &mut Vec<Policies>,
) -> Result<StepGroup, SpecError> {
    if let Some(m) = super::messaging::message_step(at, names, step, field)? {
        return Ok(StepGroup {
            calls: Vec::new(),
            messages: vec![m],
        });
    }
    let s = &step.value;
    match (&s.call, &s.parallel) {
        (Some(_), Some(_)) => Err(at.err(
            Kind::Invalid,
            step,
            field,
            "a step has either `call` or `parallel`, not both",
        )),
        (None, None) => Err(at.err(
            Kind::Missing,
            step,
            field,
            "a step needs `call = \"service.operation\"`, `parallel = [ ... ]`, or a message step (`send`, `publish`, `request`, `saga`)",
        )),
        (Some(_), None) => Ok(StepGroup {
            calls: vec![call(at, names, caller, step, field, edges, policies)?],
            messages: Vec::new(),
        }),
        (None, Some(par)) => {
            let pf = format!("{field}.parallel");
            for (key, present) in [
                ("protocol", s.protocol.is_some()),
                ("timeout", s.timeout.is_some()),
                ("payload", s.payload.is_some()),
                ("retry", s.retry.is_some()),
                ("circuit_breaker", s.circuit_breaker.is_some()),
                ("bulkhead", s.bulkhead.is_some()),
                ("fallback", s.fallback.is_some()),
                ("hedge", s.hedge.is_some()),
            ] {
                if present {
                    let msg =
                        format!("`{key}` goes on each call inside `parallel`, not on the group");
                    return Err(at.err(Kind::Invalid, step, &format!("{field}.{key}"), msg));
                }
            }
            if par.value.is_empty() {
                return Err(at.err(
                    Kind::Invalid,
                    par,
                    &pf,
                    "`parallel` must hold at least one call",
                ));
            }
            let mut calls = Vec::with_capacity(par.value.len());
            let mut messages = Vec::new();
            for (j, c) in par.value.iter().enumerate() {
                let cf = format!("{pf}[{j}]");
                if c.value.parallel.is_some() {
                    return Err(at.err(
                        Kind::Invalid,
                        c,
                        &cf,
                        "`parallel` groups cannot be nested",
                    ));
                }
                if let Some(m) = super::messaging::message_step(at, names, c, &cf)? {
                    messages.push(m);
                    continue;
                }
                if c.value.call.is_none() {
                    return Err(at.err(
                        Kind::Missing,
                        c,
                        &cf,
                        "each entry of `parallel` needs `call = \"service.operation\"` (or `send`, `publish`, `request`, `saga`)",
                    ));
                }
                calls.push(call(at, names, caller, c, &cf, edges, policies)?);
            }
            Ok(StepGroup { calls, messages })
        }
    }
}

pub(crate) fn call(
    at: &In,
    names: &Names,
    caller: ServiceId,
    step: &Loc<RawStep>,
    field: &str,
    edges: &mut Vec<Edge>,
    policies: &mut Vec<Policies>,
) -> Result<Call, SpecError> {
    let s = &step.value;
    let Some(target_name) = &s.call else {
        return Err(at.err(Kind::Missing, step, field, "missing `call`"));
    };
    let cf = format!("{field}.call");
    let target = resolve_op(at, names, target_name, &cf)?;
    let protocol = at.protocol(&s.protocol, &format!("{field}.protocol"))?;
    let timeout = at.timeout(&s.timeout, &format!("{field}.timeout"))?;
    let site = policies.len() as u32;
    policies.push(at.policies(s, field, timeout)?);
    let payload_bytes = match &s.payload {
        None => 1024,
        Some(p) => at.int(p, &format!("{field}.payload"), 0, i64::from(u32::MAX))? as u32,
    };
    let callee = names.op_service[target.0 as usize];
    let link = names
        .links
        .get(&(Some(caller), callee))
        .copied()
        .unwrap_or(LinkId(0));
    edges.push(Edge {
        to: target,
        file: at.file,
        span: target_name.span.clone(),
        field: cf,
    });
    Ok(Call {
        target,
        protocol,
        timeout,
        payload_bytes,
        link,
        site, // renumbered once all operations are compiled
    })
}

/// Rejects cycles in a graph of operations (iterative DFS, so deep chains cannot
/// overflow); the message is `what: a -> b -> a` and then `hint`.
pub(crate) fn check_cycles(
    src: &Sources,
    op_names: &[String],
    edges: &[Vec<Edge>],
    what: &str,
    hint: &str,
) -> Result<(), SpecError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; edges.len()];
    for root in 0..edges.len() {
        if mark[root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(e) = edges[node].get(*next) else {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let to = e.to.0 as usize;
            match mark[to] {
                Mark::Done => {}
                Mark::New => {
                    mark[to] = Mark::Active;
                    stack.push((to, 0));
                }
                Mark::Active => {
                    let start = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                    let mut path: Vec<&str> = stack[start..]
                        .iter()
                        .map(|&(n, _)| op_names[n].as_str())
                        .collect();
                    path.push(&op_names[to]);
                    let msg = format!("{what}: {}{hint}", path.join(" -> "));
                    return Err(src.err(Kind::Cycle, e.file, &e.span, &e.field, msg));
                }
            }
        }
    }
    Ok(())
}

/// The services, their operations and the policies of every call site.
type Compiled = (Vec<Service>, Vec<Operation>, Vec<Policies>);

/// Every service and its operations, in service order, with the policies of every call
/// site; checks the total of replicas and that synchronous calls form no cycle.
pub(crate) fn services(
    src: &Sources,
    main: FileId,
    names: &Names,
    merged: &[MergedService],
) -> Result<Compiled, SpecError> {
    let mut services = Vec::with_capacity(merged.len());
    let mut operations = Vec::with_capacity(names.op_names.len());
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(names.op_names.len());
    // Policies in the order the calls were compiled; `Call::site` indexes this for now.
    let mut compiled_policies: Vec<Policies> = Vec::new();
    let mut total_replicas = 0u32;
    for (i, m) in merged.iter().enumerate() {
        let sid = ServiceId(i as u32);
        let (svc, ops) = service(src, names, sid, m, &mut edges, &mut compiled_policies)?;
        total_replicas += svc.replicas;
        if total_replicas > limits::MAX_TOTAL_REPLICAS {
            let field = format!("services.{}.replicas", m.name);
            let msg = format!(
                "the services have {total_replicas} replicas so far, more than the {} allowed in total (the engine keeps state for every replica)",
                limits::MAX_TOTAL_REPLICAS
            );
            return Err(match &m.replicas {
                Some(r) => src.err(Kind::Invalid, r.file, &r.v.span, &field, msg),
                None => src.err(Kind::Invalid, main, &m.span, &field, msg),
            });
        }
        services.push(svc);
        operations.extend(ops);
    }
    check_cycles(src, &names.op_names, &edges, "synchronous call cycle", "")?;
    let policies = number_sites(&mut operations, compiled_policies);
    Ok((services, operations, policies))
}

/// Numbers the call sites in operation, group, call order, and orders their policies
/// so.
fn number_sites(
    operations: &mut [Operation],
    mut compiled_policies: Vec<Policies>,
) -> Vec<Policies> {
    let mut policies = Vec::with_capacity(compiled_policies.len());
    for op in operations.iter_mut() {
        for g in &mut op.groups {
            for c in &mut g.calls {
                let p = std::mem::take(&mut compiled_policies[c.site as usize]);
                c.site = policies.len() as u32;
                policies.push(p);
            }
        }
    }
    policies
}
