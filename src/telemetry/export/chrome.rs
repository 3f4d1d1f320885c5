//! Spans as Chrome trace-event JSON (the format Perfetto and chrome://tracing open):
//! `{"traceEvents": [...], "displayTimeUnit": "ms"}` with one complete event
//! (`"ph": "X"`, `ts` and `dur` in microseconds) per span. A service is a process
//! (`pid`, named by a `process_name` metadata event), a request a thread (`tid`, named
//! `request N`): in each row a request's spans in that service nest by time. Times are
//! relative to the epoch given (the simulated time zero), so a run opens at 0.
//!
//! Streamed: the services come first ([`Spans::services`]: every request's thread is
//! named in every process), then each event is written as it comes, serialised from a
//! borrowed struct with its fields in name order, as `otlp` does (why: there). Nothing
//! is held but the services and the traces seen.

use super::Spans;
use crate::telemetry::span::Span;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

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
    name: &'a str,
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

impl<'a> Event<'a> {
    /// A metadata event `what` (`process_name`, `thread_name`) naming process `pid` or
    /// its thread `tid`.
    fn naming(what: &'static str, name: &'a str, pid: usize, tid: usize) -> Self {
        Event::Naming(Naming {
            args: NameArg { name },
            name: what,
            ph: "M",
            pid,
            tid,
        })
    }
}

/// The Chrome trace-event document of `spans`, times relative to `epoch_ns`.
pub fn chrome_json(spans: &[Span], epoch_ns: i64) -> String {
    let mut text = Vec::new();
    write_chrome(spans, epoch_ns, &mut text).expect("writing to memory");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}

/// Write the Chrome trace-event document of `spans` to `out`, times relative to
/// `epoch_ns`.
pub fn write_chrome(
    spans: &(impl Spans + ?Sized),
    epoch_ns: i64,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Processes numbered in order of appearance, named in name order.
    let pids: BTreeMap<String, usize> = (spans.services().into_iter()).zip(1..).collect();
    out.write_all(br#"{"displayTimeUnit":"ms","traceEvents":["#)?;
    let mut first = true;
    let mut event = |out: &mut dyn Write, e: &Event| -> io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        serde_json::to_writer(out, e).map_err(io::Error::from)
    };
    for (service, &pid) in &pids {
        event(out, &Event::naming("process_name", service, pid, 0))?;
    }
    let us = |ns: i64| (ns - epoch_ns) as f64 / 1e3;
    let mut tids: BTreeMap<String, usize> = BTreeMap::new();
    spans.each(&mut |s| {
        let tid = match tids.get(s.trace.as_str()) {
            Some(&tid) => tid,
            None => {
                let tid = tids.len() + 1;
                tids.insert(s.trace.clone(), tid);
                let name = s
                    .attr("archsim.request")
                    .map_or(format!("trace {}", s.trace), |r| format!("request {r}"));
                for &pid in pids.values() {
                    event(out, &Event::naming("thread_name", &name, pid, tid))?;
                }
                tid
            }
        };
        let mut args: BTreeMap<&str, &str> = s
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        args.insert("span_id", &s.id);
        if let Some(p) = &s.parent {
            args.insert("parent_span_id", p);
        }
        let complete = Complete {
            args,
            cat: format!("{:?}", s.kind).to_lowercase(),
            dur: s.duration as f64 / 1e3,
            name: &s.name,
            ph: "X",
            pid: pids[s.service.as_str()],
            tid,
            ts: us(s.start),
        };
        event(out, &Event::Complete(complete))
    })?;
    out.write_all(b"]}\n")
}
