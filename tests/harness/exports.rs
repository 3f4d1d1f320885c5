//! The telemetry exports of a generated scenario: its traces (OTLP JSON or Chrome
//! trace-event JSON) must be well formed and link every span to a parent of its own
//! trace, its OpenMetrics must be accepted by promtool (turned into TSDB blocks), and
//! its OTLP traces must import back to a scenario that `archsim validate` accepts, or
//! be refused with one `error:` line (DESIGN 8: every output of a valid file is valid).

use super::run::{self, Outcome};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Cases whose exports passed every check, and how many of their OTLP traces imported
/// back to a valid scenario or were refused with one line (for the harness's report).
pub static PASSED: AtomicU64 = AtomicU64::new(0);
pub static IMPORTED: AtomicU64 = AtomicU64::new(0);
pub static IMPORT_REFUSED: AtomicU64 = AtomicU64::new(0);
/// One of those refusals (whichever thread came first), for the report.
static FIRST_REFUSAL: Mutex<Option<String>> = Mutex::new(None);

/// One line for the harness's report: what the export checks covered.
pub fn summary() -> String {
    format!(
        "  exports checked              {} (OTLP imported back and valid: {}, refused with one line: {}; promtool {})",
        PASSED.load(Ordering::Relaxed),
        IMPORTED.load(Ordering::Relaxed),
        IMPORT_REFUSED.load(Ordering::Relaxed),
        if have_promtool() { "ran" } else { "missing" },
    ) + &FIRST_REFUSAL
        .lock()
        .unwrap()
        .as_ref()
        .map_or(String::new(), |l| format!("\n  an import refusal, e.g.:     {l}"))
}

/// Requests per run whose spans are written (`--trace-requests`): enough for every
/// kind of span a generated topology has, small enough for promtool's pace.
const TRACE_REQUESTS: &str = "40";

/// Whether promtool is here (asked once; see [`crate::common::have_promtool`]).
fn have_promtool() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(crate::common::have_promtool)
}

/// Writes the traces and metrics of `file` in `dir` and checks them (see the module
/// docs): `None` if they pass, else the failure class and its detail. `chrome` picks
/// the trace format.
pub fn judge(
    file: &Path,
    dir: &Path,
    chrome: bool,
    max_events: &str,
    budget: Duration,
) -> Option<(String, String)> {
    let fail = |class: &str, detail: String| Some((format!("exports: {class}"), detail));
    let format = if chrome { "chrome" } else { "otlp" };
    let args = [
        "run",
        file.to_str().unwrap(),
        "--quiet",
        "--max-events",
        max_events,
        "--traces",
        "t.json",
        "--trace-format",
        format,
        "--trace-requests",
        TRACE_REQUESTS,
        "--metrics",
        "m.om",
    ];
    let outcome = run::run(&args, dir, &dir.join("export-run"), budget);
    if !matches!(outcome, Outcome::Ok(_)) {
        // The same file ran to sane figures without the exports.
        return fail(outcome.class(), outcome.detail());
    }
    let text = std::fs::read_to_string(dir.join("t.json")).unwrap_or_default();
    let traces: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return fail("bad trace json", format!("{format}: {e}")),
    };
    let errs = if chrome {
        check_chrome(&traces)
    } else {
        check_otlp(&traces)
    };
    if !errs.is_empty() {
        return fail(&format!("bad {format} traces"), errs.join("\n"));
    }
    if let Some(detail) = check_openmetrics(dir) {
        return fail("bad openmetrics", detail);
    }
    if !chrome {
        if let Some((class, detail)) = import_back(dir, budget) {
            return fail(&class, detail);
        }
    }
    PASSED.fetch_add(1, Ordering::Relaxed);
    None
}

/// A lowercase hexadecimal id of `len` digits, not all zero.
fn is_id(v: Option<&Value>, len: usize) -> bool {
    v.and_then(Value::as_str).is_some_and(|s| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && s.bytes().any(|b| b != b'0')
    })
}

/// A `*UnixNano` time: a string of digits (the protobuf JSON mapping of a fixed64).
fn nanos(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// One trace's span ids and its (span, parent) links.
#[derive(Default)]
struct TraceSpans {
    ids: BTreeSet<String>,
    links: Vec<(String, String)>,
}

/// OTLP JSON: every resource names its service, every span has well-formed ids,
/// `start <= end`, a known kind, and a parent (if any) among its trace's spans; span
/// ids are unique in their trace.
fn check_otlp(v: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(resources) = v.get("resourceSpans").and_then(Value::as_array) else {
        return vec!["no resourceSpans array".into()];
    };
    let mut traces: BTreeMap<String, TraceSpans> = BTreeMap::new();
    for rs in resources {
        let named = rs["resource"]["attributes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|kv| kv["key"] == "service.name"));
        if !named {
            errs.push("a resource without service.name".into());
        }
        let spans = rs["scopeSpans"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|ss| ss["spans"].as_array().into_iter().flatten());
        for s in spans {
            let name = s["name"].as_str().unwrap_or("");
            if !is_id(s.get("traceId"), 32) || !is_id(s.get("spanId"), 16) {
                errs.push(format!("span {name:?}: malformed traceId or spanId"));
                continue;
            }
            let (start, end) = (
                nanos(s.get("startTimeUnixNano")),
                nanos(s.get("endTimeUnixNano")),
            );
            match (start, end) {
                (Some(a), Some(b)) if a <= b => {}
                _ => errs.push(format!("span {name:?}: start {start:?} after end {end:?}")),
            }
            if !s["kind"].as_u64().is_some_and(|k| (1..=5).contains(&k)) || name.is_empty() {
                errs.push(format!("span {name:?}: no name or an unknown kind"));
            }
            let trace = s["traceId"].as_str().unwrap().to_string();
            let id = s["spanId"].as_str().unwrap().to_string();
            let entry = traces.entry(trace).or_default();
            if !entry.ids.insert(id.clone()) {
                errs.push(format!("span {name:?}: spanId {id} twice in its trace"));
            }
            match s.get("parentSpanId").and_then(Value::as_str) {
                None | Some("") => {}
                Some(_) if !is_id(s.get("parentSpanId"), 16) => {
                    errs.push(format!("span {name:?}: malformed parentSpanId"))
                }
                Some(p) => entry.links.push((id, p.to_string())),
            }
        }
    }
    for (trace, spans) in &traces {
        let dangling = spans.links.iter().find(|(_, p)| !spans.ids.contains(p));
        if let Some((span, parent)) = dangling {
            errs.push(format!(
                "trace {trace}: span {span}'s parent {parent} is not in the trace"
            ));
        }
    }
    errs.truncate(8);
    errs
}

/// Chrome trace-event JSON: a `traceEvents` array whose complete events have a name,
/// integer pid and tid, and finite `ts >= 0` and `dur >= 0` (microseconds).
fn check_chrome(v: &Value) -> Vec<String> {
    let Some(events) = v.get("traceEvents").and_then(Value::as_array) else {
        return vec!["no traceEvents array".into()];
    };
    let mut errs = Vec::new();
    for e in events {
        let ph = e["ph"].as_str().unwrap_or("");
        if !["X", "M", "i", "s", "f", "t"].contains(&ph) {
            errs.push(format!("event {e}: unknown ph {ph:?}"));
        }
        if !e["pid"].is_u64() || !e["tid"].is_u64() || !e["name"].is_string() {
            errs.push(format!("event {e}: pid, tid or name missing"));
        }
        let non_negative = |k: &str| e[k].as_f64().is_some_and(|x| x.is_finite() && x >= 0.0);
        if ph == "X" && !(non_negative("ts") && non_negative("dur")) {
            errs.push(format!("event {e}: ts or dur negative or missing"));
        }
        if errs.len() >= 8 {
            break;
        }
    }
    errs
}

/// The OpenMetrics file ends with `# EOF` and promtool turns it into TSDB blocks.
fn check_openmetrics(dir: &Path) -> Option<String> {
    let om = std::fs::read_to_string(dir.join("m.om")).unwrap_or_default();
    if !om.ends_with("# EOF\n") {
        return Some("m.om does not end with '# EOF'".into());
    }
    if !have_promtool() {
        return None;
    }
    let blocks = crate::common::promtool_blocks(dir, "m.om", "blocks");
    let _ = std::fs::remove_dir_all(dir.join("blocks"));
    blocks.err().map(|err| {
        format!(
            "promtool tsdb create-blocks-from openmetrics: {}",
            err.lines().take(3).collect::<Vec<_>>().join(" | ")
        )
    })
}

/// `archsim import t.json` writes a scenario `archsim validate` accepts, or refuses the
/// traces with one `error:` line.
fn import_back(dir: &Path, budget: Duration) -> Option<(String, String)> {
    let import = ["import", "t.json", "-o", "back.toml"];
    match run::run(&import, dir, &dir.join("import-run"), budget) {
        Outcome::Ok(_) => {}
        Outcome::ClearError { line, .. } => {
            IMPORT_REFUSED.fetch_add(1, Ordering::Relaxed);
            FIRST_REFUSAL.lock().unwrap().get_or_insert(line);
            return None;
        }
        other => return Some((format!("import {}", other.class()), other.detail())),
    }
    let validate = ["validate", "back.toml"];
    match run::run(&validate, dir, &dir.join("validate-run"), budget) {
        Outcome::Ok(_) => {
            IMPORTED.fetch_add(1, Ordering::Relaxed);
            None
        }
        other => {
            let back = std::fs::read_to_string(dir.join("back.toml")).unwrap_or_default();
            let head: String = back.lines().take(40).collect::<Vec<_>>().join("\n");
            Some((
                "imported scenario invalid".into(),
                format!("{}\n{head}", other.detail()),
            ))
        }
    }
}

/// The checkers themselves: a well-formed document passes, each defect is caught.
#[test]
fn the_export_checks_catch_what_they_look_for() {
    let span = |id: &str, parent: &str, start: &str, end: &str| {
        serde_json::json!({
            "traceId": "7eb3b394ac9efc29bfa750ec805b3634", "spanId": id,
            "parentSpanId": parent, "name": "op", "kind": 2,
            "startTimeUnixNano": start, "endTimeUnixNano": end,
        })
    };
    let otlp = |spans: Vec<Value>| {
        serde_json::json!({ "resourceSpans": [{
            "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "a" } }] },
            "scopeSpans": [{ "spans": spans }],
        }]})
    };
    let root = span("6e17cdb98d2ce372", "", "1", "9");
    let child = span("0000000000000001", "6e17cdb98d2ce372", "2", "3");
    assert!(check_otlp(&otlp(vec![root.clone(), child])).is_empty());
    let dangling = span("0000000000000001", "00000000000000ff", "2", "3");
    assert!(check_otlp(&otlp(vec![root.clone(), dangling]))[0].contains("not in the trace"));
    let backwards = span("0000000000000002", "", "5", "4");
    assert!(check_otlp(&otlp(vec![backwards]))[0].contains("after end"));
    let zero_id = span("0000000000000000", "", "1", "2");
    assert!(check_otlp(&otlp(vec![zero_id]))[0].contains("malformed"));
    assert!(check_otlp(&otlp(vec![root.clone(), root]))[0].contains("twice"));

    let event = |dur: f64| {
        serde_json::json!({ "traceEvents": [
            { "ph": "X", "name": "op", "pid": 1, "tid": 2, "ts": 1.5, "dur": dur },
        ]})
    };
    assert!(check_chrome(&event(0.0)).is_empty());
    assert!(check_chrome(&event(-1.0))[0].contains("negative"));
}
