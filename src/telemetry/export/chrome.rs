//! Spans as Chrome trace-event JSON (the format Perfetto and chrome://tracing open):
//! `{"traceEvents": [...], "displayTimeUnit": "ms"}` with one complete event
//! (`"ph": "X"`, `ts` and `dur` in microseconds) per span. A service is a process
//! (`pid`, named by a `process_name` metadata event), a request a thread (`tid`, named
//! `request N`): in each row a request's spans in that service nest by time. Times are
//! relative to the epoch given (the simulated time zero), so a run opens at 0.
//!
//! Serialised from borrowed structs, fields in name order, as `otlp` is (why: there).

use crate::telemetry::span::Span;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "displayTimeUnit")]
    display_time_unit: &'static str,
    #[serde(rename = "traceEvents")]
    trace_events: Vec<Event<'a>>,
}

/// A metadata event (`"ph": "M"`) naming a process or a thread.
#[derive(Serialize)]
struct Naming<'a> {
    args: NameArg<'a>,
    name: &'static str,
    ph: &'static str,
    pid: usize,
    tid: usize,
}

#[derive(Serialize)]
struct NameArg<'a> {
    name: std::borrow::Cow<'a, str>,
}

/// A complete event (`"ph": "X"`): one span.
#[derive(Serialize)]
struct Complete<'a> {
    args: BTreeMap<&'a str, &'a str>,
    cat: String,
    dur: f64,
    name: &'a str,
    ph: &'static str,
    pid: usize,
    tid: usize,
    ts: f64,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Event<'a> {
    Naming(Naming<'a>),
    Complete(Complete<'a>),
}

/// The Chrome trace-event document of `spans`, times relative to `epoch_ns`.
pub fn chrome_json(spans: &[Span], epoch_ns: i64) -> String {
    let mut pids: BTreeMap<&str, usize> = BTreeMap::new();
    for s in spans {
        let n = pids.len();
        pids.entry(&s.service).or_insert(n + 1);
    }
    let mut tids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut events: Vec<Event> = Vec::new();
    for (service, &pid) in &pids {
        events.push(Event::Naming(Naming {
            args: NameArg {
                name: (*service).into(),
            },
            name: "process_name",
            ph: "M",
            pid,
            tid: 0,
        }));
    }
    let us = |ns: i64| (ns - epoch_ns) as f64 / 1e3;
    for s in spans {
        let n = tids.len();
        let tid = *tids.entry(&s.trace).or_insert(n + 1);
        let pid = pids[s.service.as_str()];
        if tid == n + 1 {
            let name = s
                .attr("archsim.request")
                .map_or(format!("trace {}", s.trace), |r| format!("request {r}"));
            for &p in pids.values() {
                events.push(Event::Naming(Naming {
                    args: NameArg {
                        name: name.clone().into(),
                    },
                    name: "thread_name",
                    ph: "M",
                    pid: p,
                    tid,
                }));
            }
        }
        let mut args: BTreeMap<&str, &str> = s
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        args.insert("span_id", &s.id);
        if let Some(p) = &s.parent {
            args.insert("parent_span_id", p);
        }
        events.push(Event::Complete(Complete {
            args,
            cat: format!("{:?}", s.kind).to_lowercase(),
            dur: s.duration as f64 / 1e3,
            name: &s.name,
            ph: "X",
            pid,
            tid,
            ts: us(s.start),
        }));
    }
    let doc = Document {
        display_time_unit: "ms",
        trace_events: events,
    };
    let mut text = serde_json::to_string(&doc).expect("plain structs serialise");
    text.push('\n');
    text
}
