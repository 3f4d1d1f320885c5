//! A topology as an archsim scenario: TOML text and the CSV files of its empirical
//! distributions (written beside it, in `<stem>-observed/`).
//!
//! What a trace cannot show is guessed and said so in the file: capacity (one replica,
//! workers from Little's law with a fourfold margin, a queue of 1000), the client's
//! network when the roots are server spans (0), the protocols' per-message costs (0:
//! the observed network time already holds them). Calls seen in only some executions
//! follow the most frequent pattern; the others are listed as comments with their
//! probability and repeats. A cycle of calls or messages (which archsim refuses) is cut
//! at its last edge, with a comment.

use super::fit::{fits, Fitted};
use super::topology::{OpKey, OpStats, Pattern, Target, Topology};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// How to write the scenario.
#[derive(Clone, Debug)]
pub struct ScenarioOptions {
    /// File stem (names the CSV folder `<stem>-observed/`).
    pub stem: String,
    /// Use the best parametric fit (lognormal or gamma) where it passes the KS test,
    /// instead of the empirical distribution.
    pub parametric: bool,
    /// `[simulation] seed`.
    pub seed: u64,
}

/// The files of an imported scenario.
#[derive(Clone, Debug)]
pub struct ScenarioFiles {
    /// The scenario's TOML text.
    pub toml: String,
    /// CSV files, by path relative to the scenario's directory.
    pub csvs: Vec<(String, String)>,
}

/// Seconds from a count of ns.
fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// A duration string, exact to the ns.
fn dur(ns: f64) -> String {
    format!("\"{}ns\"", ns.max(0.0).round() as u64)
}

fn csv(values: &[i64]) -> String {
    let mut s = String::from("duration\n");
    for v in values {
        let _ = writeln!(s, "{}ns", v.max(&0));
    }
    s
}

/// The observed window of the flows (ns), if any flow has two roots at distinct times.
fn window(t: &Topology) -> Option<i64> {
    let first = t.flows.values().map(|f| f.first).min()?;
    let last = t.flows.values().map(|f| f.last).max()?;
    (last > first).then_some(last - first)
}

/// The scenario of a topology.
pub fn scenario(t: &Topology, o: &ScenarioOptions) -> ScenarioFiles {
    let mut w = Writer {
        toml: String::new(),
        csvs: Vec::new(),
        dir: format!("{}-observed", o.stem),
    };
    let dropped = cut_cycles(t);
    w.header(t, o);
    w.network(t);
    let brokers = w.messaging(t);
    let window = window(t);
    let services: BTreeSet<&str> = t.services();
    for svc in services {
        w.service(t, svc, window, o, &brokers, &dropped);
    }
    w.workloads(t);
    ScenarioFiles {
        toml: w.toml,
        csvs: w.csvs,
    }
}

struct Writer {
    toml: String,
    csvs: Vec<(String, String)>,
    dir: String,
}

/// How each destination is written: (broker name, queue or topic).
struct Brokers {
    name: String,
    /// Destination -> true for a topic (several consumer operations).
    kinds: BTreeMap<String, bool>,
}

impl Writer {
    fn header(&mut self, t: &Topology, o: &ScenarioOptions) {
        let c = &t.counts;
        let duration = window(t).map_or(60.0, |w| secs(w).clamp(60.0, 3600.0));
        let _ = write!(
            self.toml,
            "# Imported by `archsim import` from {} spans in {} traces.\n\
             # Repaired or unpaired: {} client spans without a server span, {} producer spans\n\
             # without a consumer, {} consumer spans without a producer, {} calls without a\n\
             # client span, {} missing parents, {} clock-skewed spans, {} duplicate span ids.\n\
             # Capacity (replicas, workers, queue) is not in a trace: it is a guess, edit it.\n\n\
             [simulation]\nseed = {}\nduration = \"{}s\"\nwarmup = \"{}s\"\nreplications = 5\n\n",
            c.spans,
            c.traces,
            c.unpaired_clients,
            c.unpaired_producers,
            c.unpaired_consumers,
            c.calls_without_client,
            c.missing_parents,
            c.skew,
            c.duplicates,
            o.seed,
            duration.round(),
            (duration / 10.0).round()
        );
    }

    fn network(&mut self, t: &Topology) {
        self.toml.push_str(
            "# The observed network time (client span - server span) holds every cost of a\n\
             # hop, so the protocols add nothing and unobserved hops take no time.\n\
             [network]\nlatency = \"0ns\"\n\n\
             [protocols.rest]\nper_message = \"0ns\"\nper_kib = \"0ns\"\n\n\
             [protocols.grpc]\nper_message = \"0ns\"\nper_kib = \"0ns\"\n\n",
        );
        let services = t.services();
        for ((from, to), v) in &t.links {
            if from == to || !(from == "client" || services.contains(from.as_str())) {
                continue;
            }
            let file = format!("{}/link.{from}.{to}.csv", self.dir);
            let s = super::fit::stats(v);
            let _ = write!(
                self.toml,
                "[[network.links]]\n# {} calls observed: one-way mean {:.3} ms, p99 {:.3} ms\n\
                 from = \"{from}\"\nto = \"{to}\"\nlatency = {{ dist = \"empirical\", file = \"{file}\" }}\n\n",
                s.n,
                s.mean / 1e6,
                s.p99 / 1e6
            );
            self.csvs.push((file, csv(v)));
        }
    }

    fn messaging(&mut self, t: &Topology) -> Brokers {
        let services = t.services();
        let mut name = "bus".to_string();
        while services.contains(name.as_str()) {
            name.push('x');
        }
        let mut kinds = BTreeMap::new();
        let used: BTreeMap<&String, &BTreeSet<OpKey>> = t
            .destinations
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .collect();
        if used.is_empty() {
            return Brokers { name, kinds };
        }
        let _ = write!(
            self.toml,
            "# The broker's latencies are not in a trace: rabbitmq's defaults (models/).\n\
             [brokers.{name}]\nmodel = \"rabbitmq\"\n"
        );
        for (dest, consumers) in used {
            let topic = consumers.len() > 1;
            kinds.insert(dest.clone(), topic);
            let ops: Vec<String> = consumers
                .iter()
                .map(|(s, o)| format!("\"{s}.{o}\""))
                .collect();
            if topic {
                let _ = writeln!(
                    self.toml,
                    "topics.{dest} = {{ subscribers = [{}] }}",
                    ops.join(", ")
                );
            } else {
                let _ = writeln!(self.toml, "queues.{dest} = {{ consumer = {} }}", ops[0]);
            }
        }
        self.toml.push('\n');
        Brokers { name, kinds }
    }

    fn service(
        &mut self,
        t: &Topology,
        svc: &str,
        window: Option<i64>,
        o: &ScenarioOptions,
        brokers: &Brokers,
        dropped: &BTreeSet<(OpKey, Target)>,
    ) {
        let ops: Vec<(&OpKey, &OpStats)> = t.ops.iter().filter(|((s, _), _)| s == svc).collect();
        // Little's law: requests in progress = rate x time in the service.
        let busy: f64 = ops
            .iter()
            .map(|(_, op)| {
                let rate = window.map_or(op.executions as f64, |w| op.weight / secs(w));
                let mean =
                    op.durations.iter().sum::<i64>() as f64 / op.durations.len().max(1) as f64;
                rate * secs(mean as i64)
            })
            .sum();
        let workers = ((4.0 * busy).ceil() as u64 + 8).clamp(16, 10_000);
        let synthesized = ops.iter().all(|(_, op)| op.synthesized);
        let _ = write!(
            self.toml,
            "[services.{svc}]\n{}# about {busy:.1} requests in progress (Little's law); workers guessed\n\
             replicas = 1\nworkers = {workers}\nqueue = 1000\n\n",
            if synthesized {
                "# Not instrumented: its work is the callers' client spans.\n"
            } else {
                ""
            }
        );
        for (key, op) in ops {
            self.operation(key, op, o, brokers, dropped);
        }
    }

    fn operation(
        &mut self,
        key: &OpKey,
        op: &OpStats,
        o: &ScenarioOptions,
        brokers: &Brokers,
        dropped: &BTreeSet<(OpKey, Target)>,
    ) {
        let (svc, name) = key;
        let s = super::fit::stats(&op.self_times);
        let _ = writeln!(
            self.toml,
            "[services.{svc}.operations.{name}]\n# {} executions; self time mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
            op.executions,
            s.mean / 1e6,
            s.p50 / 1e6,
            s.p99 / 1e6
        );
        let fitted = fits(&op.self_times);
        for f in &fitted {
            let _ = writeln!(
                self.toml,
                "# fit {}: KS D = {:.4} (5% critical {:.4}: {})",
                match f.dist {
                    Fitted::LogNormal { mu, sigma } =>
                        format!("lognormal mu={mu:.4} sigma={sigma:.4} of ln(ns)"),
                    Fitted::Gamma { shape, scale } =>
                        format!("gamma shape={shape:.4} scale={scale:.0}ns"),
                },
                f.ks,
                f.critical,
                if f.accepted() {
                    "not rejected"
                } else {
                    "rejected"
                }
            );
        }
        match fitted.first().filter(|f| o.parametric && f.accepted()) {
            Some(f) => {
                let _ = writeln!(self.toml, "work = {}", parametric(f.dist));
            }
            None => {
                let file = format!("{}/{svc}.{name}.csv", self.dir);
                let _ = writeln!(
                    self.toml,
                    "work = {{ dist = \"empirical\", file = \"{file}\" }}"
                );
                self.csvs.push((file, csv(&op.self_times)));
            }
        }
        if op.own_errors > 0 {
            let _ = writeln!(
                self.toml,
                "error = {:.6}",
                op.own_errors as f64 / op.executions as f64
            );
        }
        for (target, &(execs, calls)) in &op.targets {
            let _ = writeln!(
                self.toml,
                "# {}: in {:.1}% of executions, {:.2} times when called",
                show(target),
                100.0 * execs as f64 / op.executions.max(1) as f64,
                calls as f64 / execs.max(1) as f64
            );
        }
        let steps = self.steps(key, &op.steps(), brokers, dropped);
        if !steps.is_empty() {
            let _ = writeln!(self.toml, "steps = [\n{steps}]");
        }
        self.toml.push('\n');
    }

    fn steps(
        &mut self,
        key: &OpKey,
        pattern: &Pattern,
        brokers: &Brokers,
        dropped: &BTreeSet<(OpKey, Target)>,
    ) -> String {
        let mut out = String::new();
        for group in pattern {
            let items: Vec<String> = group
                .iter()
                .filter_map(|target| {
                    if dropped.contains(&(key.clone(), target.clone())) {
                        let _ = writeln!(out, "  # cut to break a cycle: {}", show(target));
                        return None;
                    }
                    step(target, brokers)
                })
                .collect();
            match items.len() {
                0 => {}
                1 => {
                    let _ = writeln!(out, "  {},", items[0]);
                }
                _ => {
                    let _ = writeln!(out, "  {{ parallel = [{}] }},", items.join(", "));
                }
            }
        }
        out
    }

    fn workloads(&mut self, t: &Topology) {
        let mut names = BTreeSet::new();
        for ((svc, op), f) in &t.flows {
            let mut flow = op.clone();
            if !names.insert(flow.clone()) {
                flow = format!("{svc}-{op}");
                names.insert(flow.clone());
            }
            let rate = f.rate();
            let _ = write!(
                self.toml,
                "[[workload]]\n# {} roots{}; {}\nflow = \"{flow}\"\nentry = \"{svc}.{op}\"\narrivals = {{ poisson = \"{}/s\" }}\n\n",
                f.roots,
                if f.client_side { " (client spans)" } else { "" },
                if rate.is_some() {
                    "rate from the roots' start times"
                } else {
                    "one root or one instant: the rate is unknown, 1/s assumed"
                },
                fmt_rate(rate.unwrap_or(1.0))
            );
        }
    }
}

fn fmt_rate(r: f64) -> String {
    let r = r.clamp(1e-6, 1e9);
    let s = format!("{r:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "0" {
        "0.000001".to_string()
    } else {
        s.to_string()
    }
}

fn parametric(d: Fitted) -> String {
    match d {
        Fitted::LogNormal { mu, sigma } => format!(
            "{{ dist = \"lognormal\", median = {}, p99 = {} }}",
            dur(mu.exp()),
            dur((mu + 2.326_347_874 * sigma).exp().max(mu.exp() + 1.0))
        ),
        Fitted::Gamma { shape, scale } => {
            format!(
                "{{ dist = \"gamma\", shape = {shape:.6}, scale = {} }}",
                dur(scale)
            )
        }
    }
}

fn show(t: &Target) -> String {
    match t {
        Target::Call((s, o)) => format!("call {s}.{o}"),
        Target::Send(d) => format!("message to {d}"),
    }
}

fn step(target: &Target, brokers: &Brokers) -> Option<String> {
    match target {
        Target::Call((s, o)) => Some(format!("{{ call = \"{s}.{o}\" }}")),
        Target::Send(d) => {
            let topic = *brokers.kinds.get(d)?;
            Some(if topic {
                format!("{{ publish = \"{}.{d}\" }}", brokers.name)
            } else {
                format!("{{ send = \"{}.{d}\" }}", brokers.name)
            })
        }
    }
}

/// The edges (operation, target) that close a cycle of calls or messages, found by a
/// depth-first search in name order.
fn cut_cycles(t: &Topology) -> BTreeSet<(OpKey, Target)> {
    let next = |k: &OpKey| -> Vec<(Target, OpKey)> {
        let Some(op) = t.ops.get(k) else {
            return Vec::new();
        };
        let mut out: Vec<(Target, OpKey)> = Vec::new();
        for target in op.steps().into_iter().flatten() {
            let to: Vec<OpKey> = match &target {
                Target::Call(c) => vec![c.clone()],
                Target::Send(d) => t
                    .destinations
                    .get(d)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default(),
            };
            for to in to {
                if !out.iter().any(|(x, y)| *x == target && *y == to) {
                    out.push((target.clone(), to));
                }
            }
        }
        out
    };
    let mut state: BTreeMap<OpKey, u8> = BTreeMap::new(); // 1 open, 2 done
    let mut cut = BTreeSet::new();
    for start in t.ops.keys() {
        if state.contains_key(start) {
            continue;
        }
        // Iterative DFS: (node, its edges, next edge index).
        let mut stack = vec![(start.clone(), next(start), 0usize)];
        state.insert(start.clone(), 1);
        while let Some((node, edges, i)) = stack.last_mut() {
            let Some((target, to)) = edges.get(*i).cloned() else {
                state.insert(node.clone(), 2);
                stack.pop();
                continue;
            };
            *i += 1;
            match state.get(&to) {
                Some(1) => {
                    cut.insert((node.clone(), target));
                }
                Some(_) => {}
                None => {
                    state.insert(to.clone(), 1);
                    let e = next(&to);
                    stack.push((to, e, 0));
                }
            }
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A calls B and B calls A (archsim refuses a cycle of synchronous calls): the edge
    /// that closes the cycle is cut, with a comment, and the rest is kept.
    #[test]
    fn a_cycle_of_calls_is_cut_once() {
        let mut t = Topology::default();
        let a: OpKey = ("a".into(), "x".into());
        let b: OpKey = ("b".into(), "y".into());
        for (from, to) in [(&a, &b), (&b, &a)] {
            let op = t.ops.entry(from.clone()).or_default();
            op.executions = 1;
            op.self_times = vec![1000];
            op.durations = vec![2000];
            op.patterns.insert(vec![vec![Target::Call(to.clone())]], 1);
        }
        let cut = cut_cycles(&t);
        assert_eq!(cut.len(), 1, "{cut:?}");
        let o = ScenarioOptions {
            stem: "c".into(),
            parametric: false,
            seed: 1,
        };
        let text = scenario(&t, &o).toml;
        assert_eq!(text.matches("cut to break a cycle").count(), 1, "{text}");
        assert!(text.contains("{ call = \"b.y\" }"), "{text}");
    }
}
