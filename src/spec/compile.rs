//! Stage two: validate the raw structs and compile them into a [`Scenario`], resolving
//! every name to an index.

use super::error::{Kind, Source, Sources, SpecError};
use super::faults::{faults, Topology};
use super::models::{merge, ModelCache};
use super::network::{network, protocol_profiles};
use super::raw::RawScenario;
use super::services::services;
use super::simulation::{check_run, simulation};
use super::symbols::{number, Names};
use super::values::In;
use super::workloads::workloads;
use crate::model::{LinkId, OpId, Operation, Scenario};
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

    let (services, mut operations, policies) = services(src, main, &names, &merged)?;
    let pools = super::pools::pools(src, &names, &merged, &operations)?;
    let mut workloads = workloads(&at, &names, raw.workload.as_deref().unwrap_or(&[]))?;

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
        pools,
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
