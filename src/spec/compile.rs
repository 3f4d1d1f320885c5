//! Stage two: validate the raw structs and compile them into a [`Scenario`], resolving
//! every name to an index.

use super::error::{Kind, Source, Sources, SpecError};
use super::faults::{faults, Topology};
use super::limits;
use super::models::{merge, ModelCache};
use super::network::{network, protocol_profiles};
use super::raw::RawScenario;
use super::services::{check_cycles, service};
use super::simulation::{check_run, simulation};
use super::symbols::{number, Edge, Names};
use super::values::In;
use super::workloads::workload;
use crate::model::{LinkId, OpId, Operation, Policies, Scenario, ServiceId, Workload};
use std::path::Path;

/// Parses and compiles a scenario; `origin` names the file and anchors relative paths.
pub(crate) fn compile(text: &str, origin: &Path) -> Result<Scenario, SpecError> {
    let mut src = Sources { files: Vec::new() };
    let dir = origin.parent().map(Path::to_path_buf).unwrap_or_default();
    let main = src.add(Source {
        display: origin.display().to_string(),
        text: text.to_owned(),
        dir,
    });
    let raw: RawScenario = toml::from_str(text).map_err(|e| src.toml_error(main, &e))?;

    let mut cache = ModelCache::default();
    let mut merged = Vec::new();
    for (name, s) in raw.services.iter().flatten() {
        merged.push(merge(&mut src, &mut cache, main, name, s)?);
    }
    let mut merged_brokers = Vec::new();
    for (name, b) in raw.brokers.iter().flatten() {
        merged_brokers.push(super::messaging::merge_broker(
            &mut src, &mut cache, main, name, b,
        )?);
    }
    let src = &src;
    let at = In { src, file: main };
    let top = |kind: Kind, field: &str, msg: &str| src.err(kind, main, &None, field, msg);

    let sim = simulation(&at, raw.simulation.as_ref())?;
    if merged.is_empty() {
        return Err(top(
            Kind::Empty,
            "services",
            "no services; add at least one [services.NAME] table",
        ));
    }
    let mut names = number(src, main, &merged)?;
    names.bus = super::messaging::brokers(src, main, &names, &merged_brokers)?;
    let sagas = super::saga::sagas(&at, &names, raw.sagas.as_ref())?;
    names.sagas = super::saga::saga_ids(&sagas);
    let mut links = network(&at, raw.network.as_ref(), &mut names)?;
    let protocols = protocol_profiles(&at, raw.protocols.as_ref())?;

    let mut services = Vec::with_capacity(merged.len());
    let mut operations = Vec::with_capacity(names.op_names.len());
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(names.op_names.len());
    // Policies in the order the calls were compiled; `Call::site` indexes this for now.
    let mut compiled_policies: Vec<Policies> = Vec::new();
    let mut total_replicas = 0u32;
    for (i, m) in merged.iter().enumerate() {
        let sid = ServiceId(i as u32);
        let (svc, ops) = service(src, &names, sid, m, &mut edges, &mut compiled_policies)?;
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

    let mut workloads = Vec::new();
    let mut total_users = 0u32;
    for (i, w) in raw.workload.iter().flatten().enumerate() {
        let wl = workload(&at, &names, w, i)?;
        if let crate::model::Arrivals::Closed { users, .. } = &wl.arrivals {
            total_users += users;
            if total_users > limits::MAX_CLOSED_USERS {
                let span = w
                    .value
                    .arrivals
                    .as_ref()
                    .and_then(|a| a.value.closed.as_ref())
                    .and_then(|c| c.value.users.as_ref())
                    .map_or(&w.span, |u| &u.span);
                let msg = format!(
                    "the closed workloads have {total_users} users so far, more than the {} allowed in total (every user is a client with a request or a think time pending)",
                    limits::MAX_CLOSED_USERS
                );
                let f = format!("workload[{i}].arrivals.closed.users");
                return Err(src.err(Kind::Invalid, main, span, &f, msg));
            }
        }
        if workloads.iter().any(|x: &Workload| x.flow == wl.flow) {
            let flow_span = w.value.flow.as_ref().map_or(&w.span, |f| &f.span);
            let msg = format!(
                "duplicate flow name \"{}\"; give each workload a unique `flow`",
                wl.flow
            );
            return Err(src.err(
                Kind::Duplicate,
                main,
                flow_span,
                &format!("workload[{i}].flow"),
                msg,
            ));
        }
        workloads.push(wl);
    }
    if workloads.is_empty() {
        return Err(top(
            Kind::Empty,
            "workload",
            "no workloads; add at least one [[workload]] with `entry` and `arrivals`",
        ));
    }

    // Call sites are numbered in operation, group, call order.
    let mut policies = Vec::with_capacity(compiled_policies.len());
    for op in &mut operations {
        for g in &mut op.groups {
            for c in &mut g.calls {
                let p = std::mem::take(&mut compiled_policies[c.site as usize]);
                c.site = policies.len() as u32;
                policies.push(p);
            }
        }
    }

    let faults = faults(
        &at,
        &mut names,
        raw.fault.as_deref().unwrap_or(&[]),
        &mut Topology {
            services: &services,
            operations: &mut operations,
            workloads: &mut workloads,
            links: &mut links,
            sagas: &sagas,
        },
        sim.duration,
    )?;
    let mut sagas = sagas;
    resolve_saga_links(&names, &operations, &mut sagas);
    let compare = super::compare::comparison(&at, &names, &workloads, raw.compare.as_ref())?;
    let slos = super::compare::slos(&at, &workloads, raw.slo.as_deref().unwrap_or(&[]))?;
    let name = origin.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let scenario = Scenario {
        name,
        sim,
        services,
        operations,
        links,
        policies,
        protocols,
        workloads,
        faults,
        compare,
        slos,
        brokers: std::mem::take(&mut names.bus.broker_list),
        queues: std::mem::take(&mut names.bus.queue_list),
        topics: std::mem::take(&mut names.bus.topic_list),
        sagas,
    };
    super::cycles::check_zero_time_cycles(src, main, text, &scenario)?;
    check_run(
        &at,
        raw.simulation.as_ref(),
        raw.fault.as_deref(),
        &scenario,
    )?;
    Ok(scenario)
}

/// Orchestration saga steps cross the link between the coordinator and each step's
/// service: a declared one, one a fault created, or the default.
fn resolve_saga_links(names: &Names, operations: &[Operation], sagas: &mut [crate::model::Saga]) {
    for saga in sagas {
        let crate::model::SagaStyle::Orchestration { coordinator, .. } = saga.style else {
            continue;
        };
        let link = |op: OpId| {
            let to = operations[op.0 as usize].service;
            names
                .links
                .get(&(Some(coordinator), to))
                .copied()
                .unwrap_or(LinkId(0))
        };
        for step in &mut saga.steps {
            step.action_link = link(step.action);
            step.compensate_link = step.compensate.map_or(LinkId(0), link);
        }
    }
}
