//! Spans as Chrome trace-event JSON (the format Perfetto and chrome://tracing open):
//! `{"traceEvents": [...], "displayTimeUnit": "ms"}` with one complete event
//! (`"ph": "X"`, `ts` and `dur` in microseconds) per span. A service is a process
//! (`pid`, named by a `process_name` metadata event), a request a thread (`tid`, named
//! `request N`): in each row a request's spans in that service nest by time. Times are
//! relative to the epoch given (the simulated time zero), so a run opens at 0.

use crate::telemetry::span::Span;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The Chrome trace-event document of `spans`, times relative to `epoch_ns`.
pub fn chrome_json(spans: &[Span], epoch_ns: i64) -> String {
    let mut pids: BTreeMap<&str, usize> = BTreeMap::new();
    for s in spans {
        let n = pids.len();
        pids.entry(&s.service).or_insert(n + 1);
    }
    let mut tids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut events: Vec<Value> = Vec::new();
    for (service, pid) in &pids {
        events.push(json!({ "name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": { "name": service } }));
    }
    let us = |ns: i64| (ns - epoch_ns) as f64 / 1e3;
    for s in spans {
        let n = tids.len();
        let tid = *tids.entry(&s.trace).or_insert(n + 1);
        let pid = pids[s.service.as_str()];
        if tid == n + 1 {
            for p in pids.values() {
                let name = s
                    .attr("archsim.request")
                    .map_or(format!("trace {}", s.trace), |r| format!("request {r}"));
                events.push(json!({ "name": "thread_name", "ph": "M", "pid": p, "tid": tid, "args": { "name": name } }));
            }
        }
        let mut args = serde_json::Map::new();
        for (k, v) in &s.attributes {
            args.insert(k.clone(), json!(v));
        }
        args.insert("span_id".into(), json!(s.id));
        if let Some(p) = &s.parent {
            args.insert("parent_span_id".into(), json!(p));
        }
        events.push(json!({
            "name": s.name,
            "cat": format!("{:?}", s.kind).to_lowercase(),
            "ph": "X",
            "ts": us(s.start),
            "dur": s.duration as f64 / 1e3,
            "pid": pid,
            "tid": tid,
            "args": args,
        }));
    }
    let mut text = json!({ "traceEvents": events, "displayTimeUnit": "ms" }).to_string();
    text.push('\n');
    text
}
