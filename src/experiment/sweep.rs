//! Parameter sweeps: the scenario's TOML text edited at one or two key paths
//! (`--set PATH=VALUES`), each point compiled by `spec::load_str` and run like any
//! experiment (every `[compare]` variant at every point).
//!
//! VALUES is a list `a,b,c` or a range `start..end step s` of numbers, rates
//! (`100/s..2000/s step 100/s`) or durations (`1s..4s step 500ms`). PATH is a dotted
//! TOML key path; array elements (a `[[workload]]`, a step) are numbered from 0:
//! `workload.0.arrivals.poisson`, `services.bank.workers`,
//! `services.payment.operations.charge.steps.0.timeout`.
//!
//! The saturation knee of each variant is the first point (along the first parameter,
//! for each value of the second) where p99 response latency exceeds
//! [`KNEE_P99_FACTOR`] x its value at the first point, or goodput (requests still in
//! flight at the end counted as served) falls below [`KNEE_GOODPUT_SHARE`] of the
//! offered rate.

use super::compare::{run_experiment_with, total_replications, Experiment, Tracing};
use crate::model::{Arrivals, Scenario};
use crate::spec::{parse_duration, parse_rate};
use crate::Error;
use serde::Serialize;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};

/// A knee: p99 above this multiple of the first point's p99.
pub const KNEE_P99_FACTOR: f64 = 3.0;
/// A knee: goodput below this share of the offered rate.
pub const KNEE_GOODPUT_SHARE: f64 = 0.95;
/// Most points one parameter may have.
pub const MAX_POINTS: usize = 1000;

/// One value of a swept parameter.
#[derive(Clone, Debug, Serialize)]
pub struct SetValue {
    /// As written into the TOML (and shown in tables), e.g. "100/s".
    pub label: String,
    /// Numeric position for charts: the number, the rate per second, or the duration
    /// in seconds; `None` for other values.
    pub x: Option<f64>,
    #[serde(skip)]
    value: Value,
}

/// A swept parameter: `--set PATH=VALUES`.
#[derive(Clone, Debug, Serialize)]
pub struct Param {
    /// The key path.
    pub path: String,
    /// Unit of `SetValue::x`: "/s", "s" or "".
    pub unit: String,
    /// Its values, in order.
    pub values: Vec<SetValue>,
}

/// One point of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    /// Index of each parameter's value.
    pub index: Vec<usize>,
    /// Each parameter's value label.
    pub settings: Vec<String>,
    /// Offered arrival rate of each flow (requests/s), when open-loop.
    pub offered: Vec<Option<f64>>,
    /// The results.
    pub experiment: Experiment,
}

/// The saturation knee of one variant (for one value of the second parameter).
#[derive(Clone, Debug, Serialize)]
pub struct Knee {
    /// Variant name.
    pub variant: String,
    /// Flow examined.
    pub flow: String,
    /// The second parameter's value label, if there are two parameters.
    pub group: Option<String>,
    /// The first parameter's value at the knee, if one was found.
    pub at: Option<String>,
    /// Its numeric position, if any.
    pub x: Option<f64>,
    /// Why it is the knee (or that none was found).
    pub reason: String,
}

/// A whole sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    /// Scenario name.
    pub scenario: String,
    /// archsim version.
    pub archsim_version: String,
    /// The parameters (one or two).
    pub params: Vec<Param>,
    /// Points in order: the first parameter varies fastest.
    pub points: Vec<SweepPoint>,
    /// Saturation knees.
    pub knees: Vec<Knee>,
}

fn bad(arg: &str, msg: impl std::fmt::Display) -> Error {
    Error::Override(format!("--set {arg}: {msg}"))
}

/// A number as short text: integers without a decimal point.
fn num_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Nanoseconds as the largest unit that writes them exactly.
fn duration_text(ns: u64) -> String {
    for (scale, unit) in [
        (3_600_000_000_000u64, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ] {
        if ns > 0 && ns % scale == 0 {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Float,
    Rate,
    Duration,
}

/// Classifies one token and gives its numeric value (rates per second, durations ns).
fn classify(token: &str) -> Option<(Kind, f64)> {
    if let Ok(i) = token.parse::<i64>() {
        return Some((Kind::Int, i as f64));
    }
    if let Ok(f) = token.parse::<f64>() {
        return f.is_finite().then_some((Kind::Float, f));
    }
    if token.contains('/') {
        return parse_rate(token).ok().map(|r| (Kind::Rate, r));
    }
    parse_duration(token)
        .ok()
        .map(|d| (Kind::Duration, d as f64))
}

fn set_value(kind: Kind, v: f64) -> SetValue {
    match kind {
        Kind::Int => SetValue {
            label: num_text(v),
            x: Some(v),
            value: Value::from(v as i64),
        },
        Kind::Float => SetValue {
            label: num_text(v),
            x: Some(v),
            value: Value::from(v),
        },
        Kind::Rate => {
            let label = format!("{}/s", num_text(v));
            SetValue {
                x: Some(v),
                value: Value::from(label.clone()),
                label,
            }
        }
        Kind::Duration => {
            let label = duration_text(v.round() as u64);
            SetValue {
                x: Some(v / 1e9),
                value: Value::from(label.clone()),
                label,
            }
        }
    }
}

fn unit_of(kind: Option<Kind>) -> &'static str {
    match kind {
        Some(Kind::Rate) => "/s",
        Some(Kind::Duration) => "s",
        _ => "",
    }
}

/// Parses `PATH=VALUES`.
pub fn parse_set(arg: &str) -> Result<Param, Error> {
    let Some((path, values)) = arg.split_once('=') else {
        return Err(bad(
            arg,
            "expected PATH=VALUES, e.g. workload.0.arrivals.poisson=100/s..1000/s step 100/s",
        ));
    };
    let path = path.trim();
    if path.is_empty() || path.split('.').any(|s| s.trim().is_empty()) {
        return Err(bad(arg, "the key path is empty or has an empty segment"));
    }
    let values = values.trim();
    if let Some((start, rest)) = values.split_once("..") {
        let (end, step) = match rest.split_once("step") {
            Some((e, s)) => (e.trim(), s.trim()),
            None => return Err(bad(arg, "a range needs a step: START..END step STEP")),
        };
        let start = start.trim();
        let parts = [start, end, step].map(|t| (t, classify(t)));
        let mut kinds = Vec::new();
        for (t, c) in &parts {
            match c {
                Some((k, _)) => kinds.push(*k),
                None => {
                    return Err(bad(
                        arg,
                        format!(
                            "\"{t}\" is not a number, a rate (\"100/s\") or a duration (\"5ms\")"
                        ),
                    ))
                }
            }
        }
        let numeric = |k: Kind| matches!(k, Kind::Int | Kind::Float);
        let kind = if kinds.iter().all(|&k| k == Kind::Int) {
            Kind::Int
        } else if kinds.iter().all(|&k| numeric(k)) {
            Kind::Float
        } else if kinds.iter().all(|&k| k == kinds[0]) {
            kinds[0]
        } else {
            return Err(bad(
                arg,
                "start, end and step must be of one kind (all numbers, all rates or all durations)",
            ));
        };
        let [s, e, st] = parts.map(|(_, c)| c.map_or(0.0, |c| c.1));
        if st <= 0.0 {
            return Err(bad(arg, "the step must be greater than 0"));
        }
        if e < s {
            return Err(bad(arg, "the end of the range is before its start"));
        }
        let n = ((e - s) / st + 1e-9).floor() as usize + 1;
        if n > MAX_POINTS {
            return Err(bad(arg, format!("{n} points; at most {MAX_POINTS}")));
        }
        let values = (0..n).map(|k| set_value(kind, s + k as f64 * st)).collect();
        return Ok(Param {
            path: path.to_string(),
            unit: unit_of(Some(kind)).to_string(),
            values,
        });
    }
    let tokens: Vec<&str> = values.split(',').map(str::trim).collect();
    if tokens.iter().any(|t| t.is_empty()) {
        return Err(bad(arg, "empty value in the list (write a,b,c)"));
    }
    if tokens.len() > MAX_POINTS {
        return Err(bad(arg, format!("at most {MAX_POINTS} values")));
    }
    let classes: Vec<Option<(Kind, f64)>> = tokens.iter().map(|t| classify(t)).collect();
    let first = classes[0].map(|c| c.0);
    let same = classes.iter().all(|c| c.map(|c| c.0) == first);
    let values = tokens
        .iter()
        .zip(&classes)
        .map(|(t, c)| match (t, c) {
            (_, Some((k, v))) => set_value(*k, *v),
            (&"true", None) | (&"false", None) => SetValue {
                label: t.to_string(),
                x: None,
                value: Value::from(*t == "true"),
            },
            (_, None) => SetValue {
                label: t.to_string(),
                x: None,
                value: Value::from(t.to_string()),
            },
        })
        .collect();
    Ok(Param {
        path: path.to_string(),
        unit: unit_of(if same { first } else { None }).to_string(),
        values,
    })
}

fn not_found(done: &[&str], what: &str) -> String {
    if done.is_empty() {
        format!("no {what} at the top of the file")
    } else {
        format!("no {what} under `{}`", done.join("."))
    }
}

fn index(seg: &str, done: &[&str], len: usize) -> Result<usize, String> {
    seg.parse::<usize>()
        .ok()
        .filter(|&i| i < len)
        .ok_or_else(|| {
            format!(
                "`{}` is an array of {len}; use an index 0..{} instead of `{seg}`",
                done.join("."),
                len.saturating_sub(1)
            )
        })
}

fn replace(old: &mut Value, mut new: Value) {
    *new.decor_mut() = old.decor().clone();
    *old = new;
}

fn set_in_value(
    cur: &mut Value,
    segs: &[&str],
    done: &mut Vec<String>,
    v: Value,
) -> Result<(), String> {
    let Some((&seg, rest)) = segs.split_first() else {
        if matches!(cur, Value::InlineTable(_) | Value::Array(_)) {
            return Err(format!(
                "`{}` is a table or an array; set one of its keys",
                done.join(".")
            ));
        }
        replace(cur, v);
        return Ok(());
    };
    let done_ref: Vec<&str> = done.iter().map(String::as_str).collect();
    match cur {
        Value::InlineTable(t) => match t.get_mut(seg) {
            Some(child) => {
                done.push(seg.to_string());
                set_in_value(child, rest, done, v)
            }
            None if rest.is_empty() => {
                t.insert(seg, v);
                Ok(())
            }
            None => Err(not_found(&done_ref, &format!("key `{seg}`"))),
        },
        Value::Array(a) => {
            let i = index(seg, &done_ref, a.len())?;
            done.push(seg.to_string());
            set_in_value(a.get_mut(i).expect("index checked"), rest, done, v)
        }
        _ => Err(format!(
            "`{}` is a value, not a table: it has no key `{seg}`",
            done.join(".")
        )),
    }
}

fn set_in_table(
    t: &mut Table,
    segs: &[&str],
    done: &mut Vec<String>,
    v: Value,
) -> Result<(), String> {
    let Some((&seg, rest)) = segs.split_first() else {
        return Err(format!(
            "`{}` is a table; set one of its keys",
            done.join(".")
        ));
    };
    let done_ref: Vec<&str> = done.iter().map(String::as_str).collect();
    match t.get_mut(seg) {
        Some(child) => {
            done.push(seg.to_string());
            set_in_item(child, rest, done, v)
        }
        None if rest.is_empty() => {
            t.insert(seg, Item::Value(v));
            Ok(())
        }
        None => Err(not_found(&done_ref, &format!("key `{seg}`"))),
    }
}

fn set_in_item(
    cur: &mut Item,
    segs: &[&str],
    done: &mut Vec<String>,
    v: Value,
) -> Result<(), String> {
    match cur {
        Item::Value(val) => set_in_value(val, segs, done, v),
        Item::Table(t) => set_in_table(t, segs, done, v),
        Item::ArrayOfTables(a) => {
            let Some((&seg, rest)) = segs.split_first() else {
                return Err(format!(
                    "`{}` is an array of tables; set a key of one of them",
                    done.join(".")
                ));
            };
            let done_ref: Vec<&str> = done.iter().map(String::as_str).collect();
            let i = index(seg, &done_ref, a.len())?;
            done.push(seg.to_string());
            set_in_table(a.get_mut(i).expect("index checked"), rest, done, v)
        }
        Item::None => Err(format!("`{}` is empty", done.join("."))),
    }
}

/// `text` with the value at `path` (dotted, array indices as numbers) set to `value`.
/// A missing last key is added to an existing table.
pub fn set_path(text: &str, path: &str, value: &SetValue) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let segs: Vec<&str> = path.split('.').map(str::trim).collect();
    set_in_table(
        doc.as_table_mut(),
        &segs,
        &mut Vec::new(),
        value.value.clone(),
    )?;
    Ok(doc.to_string())
}

/// The mean offered rate of each flow (requests/s), when open-loop.
pub fn offered_rates(sc: &Scenario) -> Vec<Option<f64>> {
    let dur = sc.sim.duration as f64;
    sc.workloads
        .iter()
        .map(|w| match &w.arrivals {
            Arrivals::Poisson { rate } | Arrivals::Constant { rate } => Some(*rate),
            Arrivals::Schedule(steps) => {
                let mut total = 0.0;
                for (i, &(at, rate)) in steps.iter().enumerate() {
                    let end = steps.get(i + 1).map_or(dur, |s| (s.0 as f64).min(dur));
                    total += rate * (end - (at as f64).min(dur)).max(0.0);
                }
                Some(total / dur)
            }
            Arrivals::Closed { .. } => None,
        })
        .collect()
}

/// Every point's scenario, in sweep order (first parameter fastest). Each point's text
/// is compiled by `spec::load_str` as if read from `origin`; `adjust` applies
/// command-line overrides. Fails on the first bad point, naming its `--set`s.
pub fn sweep_scenarios(
    text: &str,
    origin: &Path,
    params: &[Param],
    adjust: &dyn Fn(&mut Scenario) -> Result<(), Error>,
) -> Result<Vec<(Vec<usize>, Scenario)>, Error> {
    if params.is_empty() || params.len() > 2 {
        return Err(Error::Override(
            "--set: give one or two parameters to sweep".into(),
        ));
    }
    let n0 = params[0].values.len();
    let n1 = params.get(1).map_or(1, |p| p.values.len());
    let mut out = Vec::with_capacity(n0 * n1);
    for j in 0..n1 {
        for i in 0..n0 {
            let index: Vec<usize> = if params.len() == 2 {
                vec![i, j]
            } else {
                vec![i]
            };
            let mut t = text.to_string();
            let mut names = Vec::new();
            for (p, &k) in params.iter().zip(&index) {
                let v = &p.values[k];
                let arg = format!("{}={}", p.path, v.label);
                t = set_path(&t, &p.path, v).map_err(|m| bad(&arg, m))?;
                names.push(arg);
            }
            let mut sc = crate::spec::load_str(&t, origin)
                .map_err(|e| Error::Override(format!("--set {}: {e}", names.join(" --set "))))?;
            adjust(&mut sc)?;
            out.push((index, sc));
        }
    }
    Ok(out)
}

/// Replications a sweep will run in all (for progress bars).
pub fn sweep_replications(points: &[(Vec<usize>, Scenario)]) -> u64 {
    points.iter().map(|(_, s)| total_replications(s)).sum()
}

/// Run every point (each with all its variants) and find the knees.
pub fn run_sweep(
    scenario_name: &str,
    params: Vec<Param>,
    points: Vec<(Vec<usize>, Scenario)>,
    tick: &(dyn Fn() + Sync),
) -> Result<Sweep, Error> {
    let mut out = Vec::with_capacity(points.len());
    for (index, sc) in points {
        let experiment = run_experiment_with(&sc, Tracing::Off, tick)?;
        out.push(SweepPoint {
            settings: params
                .iter()
                .zip(&index)
                .map(|(p, &k)| p.values[k].label.clone())
                .collect(),
            index,
            offered: offered_rates(&sc),
            experiment,
        });
    }
    let knees = knees(&params, &out);
    Ok(Sweep {
        scenario: scenario_name.to_string(),
        archsim_version: env!("CARGO_PKG_VERSION").to_string(),
        params,
        points: out,
        knees,
    })
}

/// Goodput, counting the requests still in flight at the end as served (they are
/// not lost, only late: without this, a slow flow would look saturated).
fn served(p: &SweepPoint, f: &crate::experiment::FlowSummary) -> f64 {
    let measured = p
        .experiment
        .variants
        .first()
        .map_or(0.0, |v| v.summary.duration_s - v.summary.warmup_s);
    if measured > 0.0 {
        f.goodput.mean + f.in_flight.mean / measured
    } else {
        f.goodput.mean
    }
}

/// The saturation knee of each variant, along the first parameter.
pub fn knees(params: &[Param], points: &[SweepPoint]) -> Vec<Knee> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let groups = params.get(1).map_or(1, |p| p.values.len());
    let mut out = Vec::new();
    for g in 0..groups {
        let row: Vec<&SweepPoint> = points
            .iter()
            .filter(|p| p.index.get(1).copied().unwrap_or(0) == g)
            .collect();
        for (vi, v) in first.experiment.variants.iter().enumerate() {
            let focus = first.experiment.focus_flow();
            let flow = v.summary.flows.get(focus).map_or("", |f| f.flow.as_str());
            let mut knee = None;
            let base = row
                .first()
                .and_then(|p| p.experiment.variants.get(vi))
                .and_then(|v| v.summary.flows.get(focus))
                .map(|f| f.latency.p99.mean);
            for p in &row {
                let Some(f) = p
                    .experiment
                    .variants
                    .get(vi)
                    .and_then(|v| v.summary.flows.get(focus))
                else {
                    continue;
                };
                let p99 = f.latency.p99.mean;
                let offered = p.offered.get(focus).copied().flatten();
                let reason = if base.is_some_and(|b| b > 0.0 && p99 > KNEE_P99_FACTOR * b) {
                    Some(format!(
                        "p99 {} > {KNEE_P99_FACTOR}x the first point's {}",
                        crate::kernel::format_duration(p99 * 1e6),
                        crate::kernel::format_duration(base.unwrap_or(0.0) * 1e6)
                    ))
                } else {
                    offered
                        .filter(|&o| served(p, f) < KNEE_GOODPUT_SHARE * o)
                        .map(|o| {
                            format!(
                                "goodput {:.1}/s < {:.0}% of the offered {o:.1}/s",
                                served(p, f),
                                KNEE_GOODPUT_SHARE * 100.0
                            )
                        })
                };
                if let Some(reason) = reason {
                    knee = Some((
                        p.settings[0].clone(),
                        params[0].values[p.index[0]].x,
                        reason,
                    ));
                    break;
                }
            }
            let group = params.get(1).map(|p| p.values[g].label.clone());
            out.push(match knee {
                Some((at, x, reason)) => Knee {
                    variant: v.name.clone(),
                    flow: flow.to_string(),
                    group,
                    at: Some(at),
                    x,
                    reason,
                },
                None => Knee {
                    variant: v.name.clone(),
                    flow: flow.to_string(),
                    group,
                    at: None,
                    x: None,
                    reason: "no knee in the swept range".into(),
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_rates_durations_and_numbers() {
        let p = parse_set("workload.0.arrivals.poisson=100/s..300/s step 100/s").unwrap();
        let l: Vec<&str> = p.values.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(l, ["100/s", "200/s", "300/s"]);
        assert_eq!(p.unit, "/s");
        let p = parse_set("x=1s..2s step 500ms").unwrap();
        let l: Vec<&str> = p.values.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(l, ["1s", "1500ms", "2s"]);
        let p = parse_set("services.bank.workers=1,2,4").unwrap();
        assert_eq!(p.values[2].x, Some(4.0));
        assert!(parse_set("a=1..5").is_err());
        assert!(parse_set("a=5..1 step 1").is_err());
        assert!(parse_set("a=1s..5/s step 1").is_err());
        assert!(parse_set("novalue").is_err());
        assert!(parse_set("a=1..10 step 0").is_err());
    }

    #[test]
    fn set_path_edits_tables_arrays_and_inline_tables() {
        let text =
            "[services.a]\nworkers = 2 # two\n\n[[workload]]\narrivals = { poisson = \"5/s\" }\n";
        let v = |s: &str| parse_set(&format!("p={s}")).unwrap().values.remove(0);
        let t = set_path(text, "services.a.workers", &v("8")).unwrap();
        assert!(t.contains("workers = 8 # two"), "{t}");
        let t = set_path(text, "workload.0.arrivals.poisson", &v("50/s")).unwrap();
        assert!(t.contains("poisson = \"50/s\""), "{t}");
        let t = set_path(text, "services.a.queue", &v("3")).unwrap();
        assert!(t.contains("queue = 3"), "{t}");
        assert!(set_path(text, "workload.1.arrivals", &v("1")).is_err());
        assert!(set_path(text, "services.b.workers", &v("1")).is_err());
        assert!(set_path(text, "services.a.workers.x", &v("1")).is_err());
    }
}
