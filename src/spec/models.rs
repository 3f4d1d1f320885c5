//! Reusable service and broker profiles ("models") and merging them into a service's
//! table (broker models are merged in `messaging`).
//!
//! `model = "NAME"` is looked up, in order, as `<scenario dir>/../models/NAME.toml`,
//! `<scenario dir>/models/NAME.toml`, then among the built-in models compiled into the
//! binary from the crate's `models/` directory. `model = "path/x.toml"` is a path
//! relative to the scenario file. The scenario's keys override the model's key by key;
//! an operation defined in the scenario replaces the model's operation of that name.

use super::error::{FileId, Kind, Source, Sources, SpecError};
use super::loc::Loc;
use super::raw::RawBroker;
use super::raw::{RawOperation, RawService};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Built-in models: name and TOML text.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("bank-api", include_str!("../../models/bank-api.toml")),
    ("database", include_str!("../../models/database.toml")),
];

/// Built-in broker models (`[brokers.NAME] model = "..."`): name and TOML text.
pub(crate) const BUILTIN_BROKERS: &[(&str, &str)] = &[
    ("kafka", include_str!("../../models/kafka.toml")),
    ("rabbitmq", include_str!("../../models/rabbitmq.toml")),
];

/// Names of the built-in models: service models, then broker models.
pub fn builtin_models() -> Vec<&'static str> {
    BUILTIN
        .iter()
        .chain(BUILTIN_BROKERS)
        .map(|(n, _)| *n)
        .collect()
}

fn service_model_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

fn broker_model_names() -> Vec<&'static str> {
    BUILTIN_BROKERS.iter().map(|(n, _)| *n).collect()
}

/// A value together with the file it was written in.
#[derive(Clone, Debug)]
pub(crate) struct Sourced<T> {
    pub file: FileId,
    pub v: Loc<T>,
}

/// A service after applying its model: every key remembers its file.
pub(crate) struct MergedService {
    pub name: String,
    /// Span of the service's table in the scenario file.
    pub span: Option<Range<usize>>,
    pub replicas: Option<Sourced<i64>>,
    pub workers: Option<Sourced<i64>>,
    pub cpus: Option<Sourced<f64>>,
    pub autoscale: Option<Sourced<super::autoscale::RawAutoscale>>,
    pub cold_start: Option<Sourced<super::autoscale::RawColdStart>>,
    pub queue: Option<Sourced<i64>>,
    pub balancer: Option<Sourced<String>>,
    pub operations: BTreeMap<String, Sourced<RawOperation>>,
    /// `pools`, by callee (the scenario's own replace the model's of the same name).
    pub pools: BTreeMap<String, Sourced<super::pools::RawPool>>,
}

/// Loaded model files, so a model used by several services is read once.
#[derive(Default)]
pub(crate) struct ModelCache {
    loaded: Vec<(PathBuf, FileId, RawService)>,
    brokers: Vec<(PathBuf, FileId, RawBroker)>,
}

pub(crate) fn tag<T>(file: FileId, v: &Option<Loc<T>>) -> Option<Sourced<T>>
where
    T: Clone,
{
    v.as_ref().map(|v| Sourced { file, v: v.clone() })
}

/// Applies `raw.model` (if any) under the scenario's own keys.
pub(crate) fn merge(
    src: &mut Sources,
    cache: &mut ModelCache,
    main: FileId,
    name: &str,
    raw: &Loc<RawService>,
) -> Result<MergedService, SpecError> {
    let s = &raw.value;
    let mut merged = MergedService {
        name: name.to_owned(),
        span: raw.span.clone(),
        replicas: tag(main, &s.replicas),
        workers: tag(main, &s.workers),
        cpus: tag(main, &s.cpus),
        autoscale: tag(main, &s.autoscale),
        cold_start: tag(main, &s.cold_start),
        queue: tag(main, &s.queue),
        balancer: tag(main, &s.balancer),
        operations: BTreeMap::new(),
        pools: BTreeMap::new(),
    };
    if let Some(model) = &s.model {
        let (file, m) = load_model(src, cache, main, model, &format!("services.{name}.model"))?;
        merged.replicas = merged.replicas.or_else(|| tag(file, &m.replicas));
        merged.workers = merged.workers.or_else(|| tag(file, &m.workers));
        merged.cpus = merged.cpus.or_else(|| tag(file, &m.cpus));
        merged.autoscale = merged.autoscale.or_else(|| tag(file, &m.autoscale));
        merged.cold_start = merged.cold_start.or_else(|| tag(file, &m.cold_start));
        merged.queue = merged.queue.or_else(|| tag(file, &m.queue));
        merged.balancer = merged.balancer.or_else(|| tag(file, &m.balancer));
        super::pools::merge(&mut merged.pools, file, &m.pools);
        for (op, v) in m.operations.iter().flatten() {
            merged
                .operations
                .insert(op.clone(), Sourced { file, v: v.clone() });
        }
    }
    for (op, v) in s.operations.iter().flatten() {
        merged.operations.insert(
            op.clone(),
            Sourced {
                file: main,
                v: v.clone(),
            },
        );
    }
    super::pools::merge(&mut merged.pools, main, &s.pools);
    Ok(merged)
}

fn load_model(
    src: &mut Sources,
    cache: &mut ModelCache,
    main: FileId,
    model: &Loc<String>,
    field: &str,
) -> Result<(FileId, RawService), SpecError> {
    if BUILTIN_BROKERS.iter().any(|(n, _)| *n == model.value) {
        let msg = format!(
            "\"{}\" is a broker model: use it in a [brokers.NAME] table; service models: {}",
            model.value,
            service_model_names().join(", ")
        );
        return Err(src.err(Kind::Invalid, main, &model.span, field, msg));
    }
    let (path, text) = locate(src, main, model, field, BUILTIN)?;
    if let Some((_, id, raw)) = cache.loaded.iter().find(|(p, _, _)| *p == path) {
        return Ok((*id, raw.clone()));
    }
    let file = add_model_source(src, main, &path, text);
    let raw: RawService =
        toml::from_str(&src.get(file).text).map_err(|e| src.toml_error(file, &e))?;
    if let Some(m) = &raw.model {
        return Err(src.err(
            Kind::Invalid,
            file,
            &m.span,
            "model",
            "a model file cannot itself use `model`",
        ));
    }
    cache.loaded.push((path, file, raw.clone()));
    Ok((file, raw))
}

/// Loads a broker profile (`[brokers.NAME] model = "..."`): looked up like a service
/// model, with the built-in broker models as the fallback.
pub(crate) fn load_broker_model(
    src: &mut Sources,
    cache: &mut ModelCache,
    main: FileId,
    model: &Loc<String>,
    field: &str,
) -> Result<(FileId, RawBroker), SpecError> {
    if BUILTIN.iter().any(|(n, _)| *n == model.value) {
        let msg = format!(
            "\"{}\" is a service model: use it in a [services.NAME] table; broker models: {}",
            model.value,
            broker_model_names().join(", ")
        );
        return Err(src.err(Kind::Invalid, main, &model.span, field, msg));
    }
    let (path, text) = locate(src, main, model, field, BUILTIN_BROKERS)?;
    if let Some((_, id, raw)) = cache.brokers.iter().find(|(p, _, _)| *p == path) {
        return Ok((*id, raw.clone()));
    }
    let file = add_model_source(src, main, &path, text);
    let raw: RawBroker =
        toml::from_str(&src.get(file).text).map_err(|e| src.toml_error(file, &e))?;
    let nested = [
        ("model", raw.model.as_ref().map(|m| m.span.clone())),
        (
            "queues",
            raw.queues
                .as_ref()
                .map(|q| q.values().next().and_then(|v| v.span.clone())),
        ),
        (
            "topics",
            raw.topics
                .as_ref()
                .map(|t| t.values().next().and_then(|v| v.span.clone())),
        ),
    ];
    for (key, span) in nested {
        if let Some(span) = span {
            let msg = if key == "model" {
                "a model file cannot itself use `model`"
            } else {
                "a broker model holds defaults only; declare queues and topics in the scenario's [brokers.NAME] table"
            };
            return Err(src.err(Kind::Invalid, file, &span, key, msg));
        }
    }
    cache.brokers.push((path, file, raw.clone()));
    Ok((file, raw))
}

fn add_model_source(src: &mut Sources, main: FileId, path: &Path, text: String) -> FileId {
    let display = path.display().to_string();
    let dir = src.get(main).dir.clone();
    let mdir = if display.starts_with("builtin:") {
        dir
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    src.add(Source {
        display,
        text,
        dir: mdir,
    })
}

/// Finds a model's file (on disk, else among `builtin`) and reads it.
fn locate(
    src: &Sources,
    main: FileId,
    model: &Loc<String>,
    field: &str,
    builtin: &[(&str, &str)],
) -> Result<(PathBuf, String), SpecError> {
    let name = model.value.as_str();
    let dir = src.get(main).dir.clone();
    let names = || {
        builtin
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if name.ends_with(".toml") {
        let path = dir.join(name);
        return match super::limits::read_capped(&path, super::limits::MAX_SCENARIO_BYTES) {
            Ok(t) => Ok((path, t)),
            Err(e) => {
                let msg = format!("cannot read model file \"{}\": {e}", path.display());
                Err(src.err(Kind::Unknown, main, &model.span, field, msg))
            }
        };
    }
    let valid = super::symbols::valid_name(name);
    let candidates = if valid { model_dirs(&dir) } else { Vec::new() };
    for d in &candidates {
        let p = d.join(format!("{name}.toml"));
        if p.is_file() {
            return match super::limits::read_capped(&p, super::limits::MAX_SCENARIO_BYTES) {
                Ok(t) => Ok((p, t)),
                Err(e) => {
                    let msg = format!("cannot read model file \"{}\": {e}", p.display());
                    Err(src.err(Kind::Unknown, main, &model.span, field, msg))
                }
            };
        }
    }
    if let Some((n, t)) = builtin.iter().find(|(n, _)| *n == name) {
        return Ok((
            PathBuf::from(format!("builtin:models/{n}.toml")),
            (*t).to_owned(),
        ));
    }
    let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
    let msg = if !valid {
        format!(
            "invalid model name \"{name}\"; use a built-in model ({}) or a path ending in .toml",
            names()
        )
    } else {
        format!(
            "unknown model \"{name}\" (looked in {}); built-in models: {}",
            if looked.is_empty() {
                "no directory".to_owned()
            } else {
                looked.join(", ")
            },
            names()
        )
    };
    Err(src.err(Kind::Unknown, main, &model.span, field, msg))
}

/// Directories searched for `NAME.toml`: `<dir>/../models`, then `<dir>/models`.
fn model_dirs(dir: &Path) -> Vec<PathBuf> {
    let up = match dir.parent() {
        Some(p) => p.join("models"),
        None if dir.as_os_str().is_empty() => PathBuf::from("../models"),
        None => dir.join("../models"),
    };
    vec![up, dir.join("models")]
}
