//! Reusable service profiles ("models") and merging them into a service's table.
//!
//! `model = "NAME"` is looked up, in order, as `<scenario dir>/../models/NAME.toml`,
//! `<scenario dir>/models/NAME.toml`, then among the built-in models compiled into the
//! binary from the crate's `models/` directory. `model = "path/x.toml"` is a path
//! relative to the scenario file. The scenario's keys override the model's key by key;
//! an operation defined in the scenario replaces the model's operation of that name.

use super::error::{FileId, Kind, Source, Sources, SpecError};
use super::loc::Loc;
use super::raw::{RawOperation, RawService};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Built-in models: name and TOML text.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("bank-api", include_str!("../../models/bank-api.toml")),
    ("database", include_str!("../../models/database.toml")),
];

/// Names of the built-in models.
pub fn builtin_models() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
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
    pub queue: Option<Sourced<i64>>,
    pub balancer: Option<Sourced<String>>,
    pub operations: BTreeMap<String, Sourced<RawOperation>>,
}

/// Loaded model files, so a model used by several services is read once.
#[derive(Default)]
pub(crate) struct ModelCache {
    loaded: Vec<(PathBuf, FileId, RawService)>,
}

fn tag<T>(file: FileId, v: &Option<Loc<T>>) -> Option<Sourced<T>>
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
        queue: tag(main, &s.queue),
        balancer: tag(main, &s.balancer),
        operations: BTreeMap::new(),
    };
    if let Some(model) = &s.model {
        let (file, m) = load_model(src, cache, main, model, &format!("services.{name}.model"))?;
        merged.replicas = merged.replicas.or_else(|| tag(file, &m.replicas));
        merged.workers = merged.workers.or_else(|| tag(file, &m.workers));
        merged.queue = merged.queue.or_else(|| tag(file, &m.queue));
        merged.balancer = merged.balancer.or_else(|| tag(file, &m.balancer));
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
    Ok(merged)
}

fn load_model(
    src: &mut Sources,
    cache: &mut ModelCache,
    main: FileId,
    model: &Loc<String>,
    field: &str,
) -> Result<(FileId, RawService), SpecError> {
    let name = model.value.as_str();
    let dir = src.get(main).dir.clone();
    let (path, text) = if name.ends_with(".toml") {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(t) => (path, t),
            Err(e) => {
                let msg = format!("cannot read model file \"{}\": {e}", path.display());
                return Err(src.err(Kind::Unknown, main, &model.span, field, msg));
            }
        }
    } else {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let candidates = if valid { model_dirs(&dir) } else { Vec::new() };
        let mut found = None;
        for d in &candidates {
            let p = d.join(format!("{name}.toml"));
            if p.is_file() {
                match std::fs::read_to_string(&p) {
                    Ok(t) => found = Some((p, t)),
                    Err(e) => {
                        let msg = format!("cannot read model file \"{}\": {e}", p.display());
                        return Err(src.err(Kind::Unknown, main, &model.span, field, msg));
                    }
                }
                break;
            }
        }
        match found {
            Some(f) => f,
            None => match BUILTIN.iter().find(|(n, _)| *n == name) {
                Some((n, t)) => (
                    PathBuf::from(format!("builtin:models/{n}.toml")),
                    (*t).to_owned(),
                ),
                None => {
                    let looked: Vec<String> =
                        candidates.iter().map(|d| d.display().to_string()).collect();
                    let msg = if !valid {
                        format!("invalid model name \"{name}\"; use a built-in model ({}) or a path ending in .toml", builtin_models().join(", "))
                    } else {
                        format!(
                            "unknown model \"{name}\" (looked in {}); built-in models: {}",
                            if looked.is_empty() {
                                "no directory".to_owned()
                            } else {
                                looked.join(", ")
                            },
                            builtin_models().join(", ")
                        )
                    };
                    return Err(src.err(Kind::Unknown, main, &model.span, field, msg));
                }
            },
        }
    };
    if let Some((_, id, raw)) = cache.loaded.iter().find(|(p, _, _)| *p == path) {
        return Ok((*id, raw.clone()));
    }
    let display = path.display().to_string();
    let mdir = if display.starts_with("builtin:") {
        dir
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let file = src.add(Source {
        display,
        text,
        dir: mdir,
    });
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

/// Directories searched for `NAME.toml`: `<dir>/../models`, then `<dir>/models`.
fn model_dirs(dir: &Path) -> Vec<PathBuf> {
    let up = match dir.parent() {
        Some(p) => p.join("models"),
        None if dir.as_os_str().is_empty() => PathBuf::from("../models"),
        None => dir.join("../models"),
    };
    vec![up, dir.join("models")]
}
