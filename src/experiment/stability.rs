//! Warnings that a run's figures describe a transient, not a steady state: a flow
//! with many requests unanswered at the end, a service at capacity, a backlog that
//! keeps growing.
//!
//! The definitions (README, "Warnings"), all on means over replications:
//! - a flow is **backlogged** when the requests still unanswered at the end exceed
//!   max(1% of its requests, 10), or, with triggered work (messages, sagas), when the
//!   requests whose work is still in progress at the end do;
//! - a service is **saturated** when its worker utilization (or, with `cpus`, its core
//!   utilization if higher) is at least 99%;
//! - a service queue or a message queue is **growing** when, over the intervals after
//!   the warm-up (at least 6), its mean length in the last third exceeds 1.5 times its
//!   mean in the first third plus 10.
//!
//! A backlogged flow with a saturated or growing component on its path (reachable from
//! its entry by calls, messages, replies or saga steps) is `unstable`; without one it
//! is `unanswered` (responses slow compared with the run's length) or, when only its
//! triggered work is behind, `incomplete`. A saturated or
//! growing component that explains no flow's warning gets its own (`saturated`,
//! `backlog_growing`).

use super::{Summary, TimelineSummary};
use crate::model::reach::{endless_cycle, Trigger};
use crate::model::{MessageKind, OpId, Scenario};
use serde::Serialize;

/// Unanswered share of a flow's requests above which it is backlogged.
const UNANSWERED_SHARE: f64 = 0.01;
/// ... and the absolute floor of that count.
const UNANSWERED_FLOOR: f64 = 10.0;
/// Utilization from which a service is saturated.
const SATURATED: f64 = 0.99;
/// A queue grows when last-third mean > GROWTH x first-third mean + GROWTH_FLOOR.
const GROWTH: f64 = 1.5;
const GROWTH_FLOOR: f64 = 10.0;
/// Fewest intervals after the warm-up to judge growth on.
const MIN_INTERVALS: usize = 6;

/// A warning about a run's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    /// `endless`, `unstable`, `unanswered`, `incomplete`, `saturated`,
    /// `backlog_growing` or `untraced`.
    pub kind: &'static str,
    /// The flow concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// The service or queue concerned, if any (`service NAME` or `queue NAME`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// One sentence for people.
    pub message: String,
}

/// What is wrong with a component.
struct Strain {
    component: String,
    services: Option<usize>,
    queue: Option<usize>,
    /// What reads after the component: "at 100% utilization", "with its queue growing".
    what: String,
    saturated: bool,
}

/// Whether `series` (interval means) grows after the warm-up.
fn growing(tl: &TimelineSummary, warmup_s: f64, series: &[f64]) -> bool {
    let first = tl
        .t_s
        .iter()
        .position(|&t| t - tl.interval_s >= warmup_s - 1e-9)
        .unwrap_or(series.len());
    let v = &series[first.min(series.len())..];
    if v.len() < MIN_INTERVALS {
        return false;
    }
    let third = v.len() / 3;
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let (a, b) = (mean(&v[..third]), mean(&v[v.len() - third..]));
    b > GROWTH * a + GROWTH_FLOOR
}

/// Services and queues a request entering at each flow's entry can reach.
fn reach(sc: &Scenario, flow: usize) -> (Vec<bool>, Vec<bool>) {
    let mut ops = vec![false; sc.operations.len()];
    let mut queues = vec![false; sc.queues.len()];
    let mut todo = vec![sc.workloads[flow].entry];
    while let Some(op) = todo.pop() {
        let Some(seen) = ops.get_mut(op.0 as usize) else {
            continue;
        };
        if std::mem::replace(seen, true) {
            continue;
        }
        let mut via = |q: crate::model::QueueId, todo: &mut Vec<_>| {
            if let Some(def) = sc.queues.get(q.0 as usize) {
                queues[q.0 as usize] = true;
                todo.push(def.consumer);
            }
        };
        for g in &sc.operations[op.0 as usize].groups {
            todo.extend(g.calls.iter().map(|c| c.target));
            for m in &g.messages {
                match m.kind {
                    MessageKind::Send(q) => via(q, &mut todo),
                    MessageKind::Publish(t) => {
                        for &q in sc
                            .topics
                            .get(t.0 as usize)
                            .map_or(&[][..], |t| &t.subscriptions)
                        {
                            via(q, &mut todo);
                        }
                    }
                    MessageKind::Request {
                        queue,
                        then,
                        on_timeout,
                        ..
                    } => {
                        via(queue, &mut todo);
                        todo.push(then);
                        todo.extend(on_timeout);
                    }
                    MessageKind::StartSaga(s) => {
                        for st in sc.sagas.get(s.0 as usize).map_or(&[][..], |s| &s.steps) {
                            todo.push(st.action);
                            todo.extend(st.compensate);
                        }
                    }
                }
            }
        }
    }
    let mut services = vec![false; sc.services.len()];
    for (i, o) in sc.operations.iter().enumerate() {
        if ops[i] {
            services[o.service.0 as usize] = true;
        }
    }
    (services, queues)
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A service's utilization for saturation: with `cpus`, the busier of threads and cores.
fn busiest(sv: &crate::experiment::summary::ServiceSummary) -> f64 {
    sv.core_utilization
        .map_or(sv.utilization.mean, |c| c.mean.max(sv.utilization.mean))
}

/// The saturated services and growing queues of a summary.
fn strains(s: &Summary) -> Vec<Strain> {
    let tl = &s.timeline;
    let mut strains = Vec::new();
    for (i, sv) in s.services.iter().enumerate() {
        let (util, saturated) = (busiest(sv), busiest(sv) >= SATURATED);
        let grows = tl
            .services
            .get(i)
            .is_some_and(|t| growing(tl, s.warmup_s, &t.queue));
        if saturated || grows {
            let what = match (saturated, grows) {
                (true, true) => {
                    format!("at {} utilization, queue growing", pct(util))
                }
                (true, false) => format!("at {} utilization", pct(util)),
                _ => "with its queue growing".to_string(),
            };
            strains.push(Strain {
                component: format!("service {}", sv.name),
                services: Some(i),
                queue: None,
                what,
                saturated,
            });
        }
    }
    for (q, qs) in tl.queues.iter().enumerate() {
        if growing(tl, s.warmup_s, &qs.depth) {
            strains.push(Strain {
                component: format!("queue {}", qs.queue),
                services: None,
                queue: Some(q),
                what: "with its backlog growing".to_string(),
                saturated: false,
            });
        }
    }
    strains
}

/// "a → queue q → b → a": an endless cycle as the scenario names it.
fn cycle_text(sc: &Scenario, cycle: &[(OpId, Trigger)]) -> String {
    let op = |o: OpId| sc.operations[o.0 as usize].name.as_str();
    let mut text = op(cycle[0].0).to_string();
    for &(o, how) in cycle[1..].iter().chain(&cycle[..1]) {
        match how {
            Trigger::Call => {}
            Trigger::Queue(q) => text += &format!(" → queue {}", sc.queues[q.0 as usize].name),
            Trigger::Reply => text += " → its reply",
            Trigger::Saga(g) => text += &format!(" → saga {}", sc.sagas[g.0 as usize].name),
        }
        text += &format!(" → {}", op(o));
    }
    text
}

/// A flow whose requests certainly start work that never ends (`endless`).
fn endless(sc: &Scenario, flow: usize) -> Option<Warning> {
    let w = sc.workloads.get(flow)?;
    let cycle = endless_cycle(sc, w.entry)?;
    Some(Warning {
        kind: "endless",
        flow: Some(w.flow.clone()),
        component: None,
        message: format!(
            "flow {}: every request starts work that never ends: {}, a cycle whose every pass starts the next when it succeeds, so its requests never complete (only failures or the end of the run stop it)",
            w.flow,
            cycle_text(sc, &cycle)
        ),
    })
}

/// What the model alone says about its runs, before any is run: the flows whose work
/// never ends (`endless`), in flow order. Every run's warnings begin with these;
/// `archsim validate` prints them.
pub fn model_warnings(sc: &Scenario) -> Vec<Warning> {
    (0..sc.workloads.len())
        .filter_map(|fi| endless(sc, fi))
        .collect()
}

/// The flows some of whose slowest requests have no path in `traced` (`untraced`), in
/// flow order.
pub(super) fn untraced(s: &Summary, traced: &crate::metrics::paths::Traced) -> Vec<Warning> {
    let count = |n: u32, what: &str| (n > 0).then(|| format!("{n} of its slowest {what}"));
    traced
        .untraced
        .iter()
        .filter_map(|u| {
            let flow = s.flows.get(u.workload as usize)?.flow.clone();
            let lists: Vec<String> = [
                count(u.responses, "responses"),
                count(u.completions, "completions"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let have = if u.responses + u.completions == 1 {
                "has"
            } else {
                "have"
            };
            Some(Warning {
                kind: "untraced",
                message: format!(
                    "flow {flow}: {} in replication 1 {have} no critical path, so fewer are listed: their requests' spans outlived the tracer's window (2^20 spans of the requests it traces at once)",
                    lists.join(" and ")
                ),
                flow: Some(flow),
                component: None,
            })
        })
        .collect()
}

/// The warnings of a summary (the model's, then flows in flow order; then components).
pub(super) fn warnings(sc: &Scenario, s: &Summary) -> Vec<Warning> {
    let tl = &s.timeline;
    let strains = strains(s);
    let mut out = model_warnings(sc);
    let mut explained = vec![false; strains.len()];
    for (fi, f) in s.flows.iter().enumerate() {
        let requests = f.requests.mean;
        let backlogged = |n: f64| n > (UNANSWERED_SHARE * requests).max(UNANSWERED_FLOOR);
        let unanswered = f.in_flight.mean;
        // Requests with work still outstanding: the unanswered ones, and those answered
        // whose triggered work (messages, sagas) has not finished.
        let incomplete = f.completion.as_ref().map_or(0.0, |c| c.in_progress.mean);
        let answered = if backlogged(unanswered) {
            false
        } else if backlogged(incomplete) {
            true
        } else {
            continue;
        };
        let (behind, pending) = if answered {
            (incomplete, "not complete")
        } else {
            (unanswered, "unanswered")
        };
        let share = pct(behind / requests.max(1.0));
        let (services, queues) = if fi < sc.workloads.len() {
            reach(sc, fi)
        } else {
            (vec![true; s.services.len()], vec![true; tl.queues.len()])
        };
        let on_path: Vec<usize> = (0..strains.len())
            .filter(|&k| {
                strains[k]
                    .services
                    .is_some_and(|i| services.get(i) == Some(&true))
                    || strains[k]
                        .queue
                        .is_some_and(|q| queues.get(q) == Some(&true))
            })
            .collect();
        if on_path.is_empty() {
            let (kind, why, covered) = if answered {
                (
                    "incomplete",
                    "triggered work slow",
                    "completion figures cover the finished",
                )
            } else {
                (
                    "unanswered",
                    "responses slow",
                    "success and latency figures cover the answered",
                )
            };
            out.push(Warning {
                kind,
                flow: Some(f.flow.clone()),
                component: None,
                message: format!(
                    "flow {}: {share} of its requests {pending} at the end of the run ({why} compared with the run's length); {covered} ones only",
                    f.flow
                ),
            });
            continue;
        }
        let causes: Vec<String> = on_path
            .iter()
            .map(|&k| {
                explained[k] = true;
                format!("{} {}", strains[k].component, strains[k].what)
            })
            .collect();
        let load = if on_path.iter().any(|&k| strains[k].saturated) {
            "offered load exceeds capacity"
        } else {
            "work arrives faster than it is done"
        };
        out.push(Warning {
            kind: "unstable",
            flow: Some(f.flow.clone()),
            component: Some(strains[on_path[0]].component.clone()),
            message: format!(
                "flow {} looks unstable: {share} of its requests {pending} at the end; {} — {load}; figures describe a transient, not a steady state",
                f.flow,
                causes.join("; ")
            ),
        });
    }
    for (k, st) in strains.iter().enumerate() {
        if explained[k] {
            continue;
        }
        let (kind, why) = if st.saturated {
            (
                "saturated",
                "at capacity; its queue and latencies depend on the run's length",
            )
        } else {
            (
                "backlog_growing",
                "still building up at the end; figures describe a transient, not a steady state",
            )
        };
        out.push(Warning {
            kind,
            flow: None,
            component: Some(st.component.clone()),
            message: format!("{} {}, {why}", st.component, st.what),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::experiment::Summary;
    use crate::metrics::paths::{Traced, UntracedPaths};

    /// Slowest requests without a path are said, by flow, in one warning each.
    #[test]
    fn slowest_requests_without_a_path_are_a_warning() {
        let sc = crate::spec::load_str(
            r#"
[simulation]
duration = "2s"
[services.api]
operations.get = { work = { dist = "exp", mean = "1ms" } }
[[workload]]
flow = "get"
entry = "api.get"
arrivals = { poisson = "100/s" }
[[workload]]
flow = "put"
entry = "api.get"
arrivals = { poisson = "100/s" }
"#,
            std::path::Path::new("untraced.toml"),
        )
        .expect("valid");
        let run = crate::engine::run_replication(&sc, 0).expect("runs");
        let summary = Summary::new(&sc, &[run]);
        assert!(summary.warnings.is_empty());
        let lost = |workload, responses, completions| UntracedPaths {
            workload,
            responses,
            completions,
        };
        let traced = Traced {
            untraced: vec![lost(0, 2, 1), lost(1, 0, 1)],
            ..Traced::default()
        };
        let summary = summary.with_traced(traced.clone());
        assert_eq!(summary.traced, traced);
        let said: Vec<(&str, Option<&str>, &str)> = (summary.warnings.iter())
            .map(|w| (w.kind, w.flow.as_deref(), w.message.as_str()))
            .collect();
        let why = "no critical path, so fewer are listed: their requests' spans outlived the tracer's window (2^20 spans of the requests it traces at once)";
        assert_eq!(
            said,
            [
                ("untraced", Some("get"), format!("flow get: 2 of its slowest responses and 1 of its slowest completions in replication 1 have {why}").as_str()),
                ("untraced", Some("put"), format!("flow put: 1 of its slowest completions in replication 1 has {why}").as_str()),
            ]
        );
    }
}
