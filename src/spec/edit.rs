//! Everything that edits a scenario before it runs: the `--set PATH=VALUES` grammar,
//! edits of the TOML text at a key path (with `toml_edit`, keeping comments and
//! layout), the points of a sweep, and the `--seed/--replications/--duration/
//! --max-events` overrides.
//!
//! VALUES is a list `a,b,c` or a range `start..end step s` of numbers, rates
//! (`100/s..2000/s step 100/s`) or durations (`1s..4s step 500ms`). PATH is a dotted
//! TOML key path; array elements (a `[[workload]]`, a step) are numbered from 0:
//! `workload.0.arrivals.poisson`, `services.bank.workers`,
//! `services.payment.operations.charge.steps.0.timeout`.
//!
//! Overrides are the last stage of loading ([`load_with`]): the file is compiled and
//! checked as written (its errors are located in it), then each flag replaces its
//! `[simulation]` setting and the run-wide limits are checked again. An error names the
//! flag ([`SpecError::Flag`]). They are not written into the TOML text, because the
//! file's own checks must keep holding against the file's own duration: a fault window
//! at "2m" is valid in a 10-minute file run with `--duration 2m` (it never opens), and
//! `--seed` takes any `u64`, beyond TOML's integers.

use super::error::SpecError;
use super::{limits, parse_duration, parse_rate};
use crate::model::Scenario;
use serde::Serialize;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};

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

fn bad(arg: &str, msg: impl std::fmt::Display) -> SpecError {
    SpecError::Set {
        arg: shortened(arg),
        message: msg.to_string(),
    }
}

/// Longest `--set` argument an error quotes whole (a list of a thousand values would
/// make the one-line error tens of kilobytes).
const QUOTED_ARG: usize = 100;

/// `arg` as an error quotes it: whole, or its start and its length.
fn shortened(arg: &str) -> String {
    let n = arg.chars().count();
    if n <= QUOTED_ARG {
        return arg.to_string();
    }
    let start: String = arg.chars().take(QUOTED_ARG).collect();
    format!("{start}... ({n} characters)")
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
pub fn parse_set(arg: &str) -> Result<Param, SpecError> {
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

/// Every point's scenario, in sweep order (first parameter fastest). Each point's text
/// is compiled as if read from `origin`, then `overrides` apply. Fails on the first bad
/// point, naming its `--set`s.
pub fn sweep_points(
    text: &str,
    origin: &Path,
    params: &[Param],
    overrides: &Overrides,
) -> Result<Vec<(Vec<usize>, Scenario)>, SpecError> {
    Ok(sweep_point_texts(text, origin, params, overrides)?
        .into_iter()
        .map(|p| (p.index, p.scenario))
        .collect())
}

/// One point of a sweep: its index, its edited text and its compiled scenario.
#[derive(Clone, Debug)]
pub struct PointText {
    /// Index of each parameter's value.
    pub index: Vec<usize>,
    /// The scenario text with the point's values set.
    pub text: String,
    /// That text compiled, the overrides applied.
    pub scenario: Scenario,
}

/// [`sweep_points`] with each point's edited text (what `archsim plan` embeds).
pub fn sweep_point_texts(
    text: &str,
    origin: &Path,
    params: &[Param],
    overrides: &Overrides,
) -> Result<Vec<PointText>, SpecError> {
    if params.is_empty() || params.len() > 2 {
        return Err(SpecError::SetCount);
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
            let mut sc = super::load_str(&t, origin).map_err(|e| SpecError::SweepPoint {
                sets: names.join(" --set "),
                error: Box::new(e),
            })?;
            overrides.apply(&mut sc)?;
            out.push(PointText {
                index,
                text: t,
                scenario: sc,
            });
        }
    }
    Ok(out)
}

/// Command-line overrides of `[simulation]` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Overrides {
    /// Master seed.
    pub seed: Option<u64>,
    /// Number of replications.
    pub replications: Option<u32>,
    /// Simulated duration, as a duration string.
    pub duration: Option<String>,
    /// Most events a replication may take (projected from its pace).
    pub max_events: Option<u64>,
    /// Most work a replication may hold at once. Left out of a plan's JSON when not
    /// given, so plans written before the flag existed keep their bytes (and read back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pending: Option<u64>,
}

fn flag(flag: &str, message: impl Into<String>) -> SpecError {
    SpecError::Flag {
        flag: flag.to_string(),
        message: message.into(),
    }
}

impl Overrides {
    /// Replaces the `[simulation]` settings of a compiled scenario with the flags
    /// given, re-checking the run-wide limits they could break.
    fn apply(&self, scenario: &mut Scenario) -> Result<(), SpecError> {
        if let Some(seed) = self.seed {
            scenario.sim.seed = seed;
        }
        if let Some(m) = self.max_events {
            if m < 1_000_000 {
                return Err(flag(
                    "--max-events",
                    format!(
                        "at least 1000000 (a run's pace is projected after 4 M events), got {m}"
                    ),
                ));
            }
            scenario.sim.max_events = m;
        }
        if let Some(m) = self.max_pending {
            if m < 1_000 {
                return Err(flag("--max-pending", format!("at least 1000, got {m}")));
            }
            scenario.sim.max_pending = m;
        }
        if let Some(r) = self.replications {
            if r == 0 {
                return Err(flag("--replications", "must be at least 1"));
            }
            let max = limits::MAX_REPLICATIONS;
            if r > max {
                return Err(flag(
                    "--replications",
                    format!("at most {max} (the metrics of each replication are kept until the experiment is reduced), got {r}"),
                ));
            }
            scenario.sim.replications = r;
        }
        if let Some(d) = &self.duration {
            let d = parse_duration(d).map_err(|e| flag("--duration", e))?;
            if d <= scenario.sim.warmup {
                return Err(flag(
                    "--duration",
                    format!(
                        "must be longer than the warm-up ({})",
                        crate::kernel::format_duration(scenario.sim.warmup as f64)
                    ),
                ));
            }
            let max = limits::MAX_RUN_DURATION;
            if d > max {
                return Err(flag(
                    "--duration",
                    format!("longer than the {} limit on a run", limits::fmt(max)),
                ));
            }
            scenario.sim.duration = d;
        }
        // Timeline intervals, their memory and the expected fault windows grow with
        // the duration and the replications.
        limits::check_overrides(scenario).map_err(|m| {
            let what = match (self.duration.is_some(), self.replications.is_some()) {
                (true, true) => "--duration/--replications",
                (true, false) => "--duration",
                _ => "--replications",
            };
            flag(what, m)
        })
    }
}

/// Compiles scenario `text` (as [`super::load_str`] does), then applies `overrides`.
pub fn load_with(text: &str, origin: &Path, overrides: &Overrides) -> Result<Scenario, SpecError> {
    let mut scenario = super::load_str(text, origin)?;
    overrides.apply(&mut scenario)?;
    Ok(scenario)
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
