//! A structure-aware generator of valid scenario files.
//!
//! A case is a pure function of `(base seed, case index)`. The generator builds a
//! random topology whose synchronous calls only go "forward" (from an operation to one
//! later in a global order), so there is never a synchronous cycle; asynchronous steps
//! (send, publish, request, saga) go forward too, except for rare "chaos" back edges
//! (an asynchronous loop is valid input and must still end). Values are mostly modest
//! so a case runs in milliseconds; an "extreme" case mixes in the edge values
//! (zero latencies and think times, timeouts near 2^64 ns, tiny and huge Pareto
//! shapes, faults before the warm-up ends, huge counts...).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use std::fmt::Write as _;

/// Deterministic 64-bit mix (splitmix64).
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of one case.
pub fn case_rng(base: u64, case: u64, purpose: u64) -> Pcg64 {
    Pcg64::seed_from_u64(mix(mix(base) ^ mix(case.wrapping_add(purpose << 48))))
}

const SERVICE_NAMES: &[&str] = &[
    "gateway", "order", "pay-ment", "bank_api", "inv3", "email", "Stock", "ledger-2",
];
const OP_NAMES: &[&str] = &["handle", "on-reply", "op_2", "x"];

struct Svc {
    name: String,
    replicas: u64,
    ops: Vec<String>,
}

/// A sync call edge (caller service, callee service), for link faults.
type Edge = (usize, usize);

struct G {
    r: Pcg64,
    extreme: bool,
    svcs: Vec<Svc>,
    /// Global op order: (service index, op index).
    ops: Vec<(usize, usize)>,
    /// queues: (broker name, queue name, consumer global op)
    queues: Vec<(String, String, usize)>,
    /// topics: (broker, topic, subscribers)
    topics: Vec<(String, String, Vec<usize>)>,
    brokers: Vec<String>,
    /// sagas: (name, min global op index involved)
    sagas: Vec<(String, usize)>,
    edges: Vec<Edge>,
    entries: Vec<usize>,
}

impl G {
    fn p(&mut self, prob: f64) -> bool {
        self.r.random_bool(prob.clamp(0.0, 1.0))
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.r.random_range(lo..=hi)
    }
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.r.random_range(0..v.len())].clone()
    }
    fn op_name(&self, g: usize) -> String {
        let (s, o) = self.ops[g];
        format!("{}.{}", self.svcs[s].name, self.svcs[s].ops[o])
    }

    /// A duration string of about `ns` nanoseconds, in a random exact unit.
    fn dur_str(&mut self, ns: u64) -> String {
        let mut forms = vec![format!("{ns}ns")];
        if ns % 1_000 == 0 {
            forms.push(format!("{}us", ns / 1_000));
        }
        if ns % 1_000_000 == 0 {
            forms.push(format!("{}ms", ns / 1_000_000));
        } else if ns % 100_000 == 0 {
            forms.push(format!(
                "{}.{}ms",
                ns / 1_000_000,
                (ns % 1_000_000) / 100_000
            ));
        }
        if ns % 1_000_000_000 == 0 {
            forms.push(format!("{}s", ns / 1_000_000_000));
        }
        if ns % 60_000_000_000 == 0 && ns > 0 {
            forms.push(format!("{}m", ns / 60_000_000_000));
        }
        let f = self.pick(&forms);
        format!("\"{f}\"")
    }

    /// A small duration: mostly 0..`hi` ns, log-uniform-ish.
    fn small_ns(&mut self, hi: u64) -> u64 {
        if self.p(0.1) {
            return 0;
        }
        let e = self.r.random_range(0.0..(hi.max(2) as f64).ln());
        let v = e.exp() as u64;
        // Round to a nice grain sometimes, to exercise the units.
        match self.range(0, 3) {
            0 => v,
            1 => v / 1_000 * 1_000,
            2 => v / 100_000 * 100_000,
            _ => v / 1_000_000 * 1_000_000,
        }
    }

    fn dur(&mut self, hi: u64) -> String {
        let ns = self.small_ns(hi);
        self.dur_str(ns)
    }

    /// A positive duration (> 0).
    fn pos_dur(&mut self, hi: u64) -> String {
        let ns = self.small_ns(hi).max(1);
        self.dur_str(ns)
    }

    /// A timeout: modest, or (extreme) enormous.
    fn timeout(&mut self) -> String {
        if self.extreme && self.p(0.3) {
            let v = self.pick(&[
                "\"18446744073709551615ns\"".to_string(),
                "\"18446744073709551614ns\"".to_string(),
                "\"18446744073s\"".to_string(),
                "\"5124095h\"".to_string(),
                "\"1ns\"".to_string(),
            ]);
            return v;
        }
        let floor = if self.extreme { 1 } else { 1_000_000 };
        let ns = self.small_ns(2_000_000_000).max(floor);
        self.dur_str(ns)
    }

    fn rate(&mut self, lo: f64, hi: f64) -> String {
        let r = (self.r.random_range(lo.ln()..hi.ln())).exp();
        if self.p(0.3) {
            format!("\"{}/m\"", (r * 60.0).round().max(1.0))
        } else if self.p(0.5) {
            format!("\"{}/s\"", r.round().max(1.0))
        } else {
            format!("\"{:.3}/s\"", r.max(0.001))
        }
    }

    fn float(&mut self, lo: f64, hi: f64) -> String {
        let v = self.r.random_range(lo..=hi);
        fmt_f(v)
    }

    /// A distribution of durations with a typical scale of `hi` ns.
    fn dist(&mut self, hi: u64, positive_mean: bool) -> String {
        let kind = self.range(0, 10);
        let m = if positive_mean {
            self.small_ns(hi).max(1)
        } else {
            self.small_ns(hi)
        };
        let m1 = m.max(1);
        match kind {
            0 => self.dur_str(m),
            1 => {
                let v = self.dur_str(m);
                format!("{{ dist = \"constant\", value = {v} }}")
            }
            2 => {
                let v = self.dur_str(m1);
                let name = self.pick(&["exp", "exponential"]);
                format!("{{ dist = \"{name}\", mean = {v} }}")
            }
            3 => {
                let lo = m / 2;
                let a = self.dur_str(lo);
                let b = self.dur_str(m1);
                format!("{{ dist = \"uniform\", min = {a}, max = {b} }}")
            }
            4 => {
                let a = self.dur_str(m1);
                let s = self.small_ns(m1 * 2).max(1);
                let b = self.dur_str(s);
                format!("{{ dist = \"normal\", mean = {a}, std = {b} }}")
            }
            5 => {
                if self.p(0.5) {
                    let a = self.dur_str(m1);
                    let k = self.range(2, 20);
                    let b = self.dur_str(m1 * k);
                    format!("{{ dist = \"lognormal\", median = {a}, p99 = {b} }}")
                } else {
                    let a = self.dur_str(m1);
                    let s = self.small_ns(m1 * 2).max(1);
                    let b = self.dur_str(s);
                    format!("{{ dist = \"lognormal\", mean = {a}, std = {b} }}")
                }
            }
            6 => {
                let shape = self.shape();
                let a = self.dur_str(m1);
                if self.p(0.5) {
                    format!("{{ dist = \"gamma\", shape = {shape}, scale = {a} }}")
                } else {
                    format!("{{ dist = \"gamma\", shape = {shape}, mean = {a} }}")
                }
            }
            7 => {
                let shape = self.shape();
                let a = self.dur_str(m1);
                format!("{{ dist = \"weibull\", shape = {shape}, scale = {a} }}")
            }
            8 => {
                let shape = if self.extreme && self.p(0.5) {
                    self.pick(&["0.01", "0.001", "1e-6", "1000000.0", "1e9"])
                        .to_string()
                } else {
                    self.float(1.1, 5.0)
                };
                let a = self.dur_str(m1);
                format!("{{ dist = \"pareto\", shape = {shape}, scale = {a} }}")
            }
            _ => {
                let n = self.range(1, 6);
                let vals: Vec<String> = (0..n)
                    .map(|_| {
                        let v = self.small_ns(hi);
                        self.dur_str(v)
                    })
                    .collect();
                let vals = if positive_mean {
                    let mut v = vals;
                    v.push(self.dur_str(m1));
                    v
                } else {
                    vals
                };
                format!("{{ dist = \"empirical\", values = [{}] }}", vals.join(", "))
            }
        }
    }

    /// A distribution whose values stay (mostly) within [lo, hi] ns, lo > 0: for
    /// think times and MTBF/MTTR, where near-zero values only make a case slow.
    fn dist_between(&mut self, lo: u64, hi: u64) -> String {
        let lo = lo.max(1);
        let hi = hi.max(lo + 1);
        let m = self.range(lo, hi);
        let a = self.dur_str(m);
        match self.range(0, 4) {
            0 => a,
            1 => format!("{{ dist = \"exp\", mean = {a} }}"),
            2 => {
                let b = self.dur_str(lo);
                let c = self.dur_str(hi);
                format!("{{ dist = \"uniform\", min = {b}, max = {c} }}")
            }
            3 => {
                let b = self.dur_str(m * 2);
                format!("{{ dist = \"lognormal\", median = {a}, p99 = {b} }}")
            }
            _ => {
                let sh = self.float(1.5, 5.0);
                format!("{{ dist = \"weibull\", shape = {sh}, scale = {a} }}")
            }
        }
    }

    fn shape(&mut self) -> String {
        if self.extreme && self.p(0.3) {
            self.pick(&["0.01", "1e-3", "1000.0", "1e6"]).to_string()
        } else {
            self.float(0.3, 5.0)
        }
    }

    fn count(&mut self, lo: u64, hi: u64, huge: u64) -> u64 {
        if self.extreme && self.p(0.02) {
            huge
        } else {
            self.range(lo, hi)
        }
    }
}

/// Whether a generated duration string (quoted) is below 1ms.
fn tiny_duration(t: &str) -> bool {
    let t = t.trim_matches('"');
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let v: f64 = num.parse().unwrap_or(0.0);
    let ns = match unit {
        "ns" => v,
        "us" => v * 1e3,
        "ms" => v * 1e6,
        "s" => v * 1e9,
        "m" => v * 6e10,
        "h" => v * 3.6e12,
        _ => 0.0,
    };
    ns < 1e6
}

fn fmt_f(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').to_string();
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s
    }
}

/// The TOML text of case `case` of base seed `base`.
pub fn scenario(base: u64, case: u64) -> String {
    let mut r = case_rng(base, case, 0);
    let extreme = r.random_bool(0.3);
    let duration: u64 = if extreme && r.random_bool(0.2) {
        r.random_range(1_000..=50_000_000)
    } else {
        r.random_range(50..=3000) * 1_000_000
    };
    let warmup = match r.random_range(0..4) {
        0 => 0,
        1 => duration / 10,
        _ => r.random_range(0..=duration / 2),
    };
    let mut g = G {
        r,
        extreme,
        svcs: Vec::new(),
        ops: Vec::new(),
        queues: Vec::new(),
        topics: Vec::new(),
        brokers: Vec::new(),
        sagas: Vec::new(),
        edges: Vec::new(),
        entries: Vec::new(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# generated: base seed {base}, case {case}, extreme {extreme}"
    );
    if g.p(0.3) {
        out.push_str("description = \"generated \\\"case\\\" <b>&amp;</b>\"\n");
    }

    // [simulation]
    out.push_str("\n[simulation]\n");
    let seed = if g.p(0.1) {
        0
    } else {
        g.range(0, u32::MAX as u64)
    };
    let _ = writeln!(out, "seed = {seed}");
    let d = g.dur_str(duration);
    let _ = writeln!(out, "duration = {d}");
    if warmup > 0 || g.p(0.5) {
        let w = g.dur_str(warmup);
        let _ = writeln!(out, "warmup = {w}");
    }
    let reps = if g.p(0.7) {
        1
    } else {
        g.count(2, 3, 1_000_000_000)
    };
    if reps > 1 || g.p(0.5) {
        let _ = writeln!(out, "replications = {reps}");
    }
    if g.p(0.3) {
        let t = g.range(1, duration);
        let t = g.dur_str(t);
        let _ = writeln!(out, "timeline = {t}");
    }
    if g.p(0.2) {
        let b = g.pick(&["1.0", "0.5", "0.01", "1e-9"]);
        let _ = writeln!(out, "blast_threshold = {b}");
    }

    // Chaos: asynchronous steps may go backwards (loops through queues, topics,
    // request-reply and sagas), often with zero latencies.
    let chaos = g.p(0.08);
    let zero_net = chaos && g.p(0.5);

    // Services and operations.
    let nsvc = if g.p(0.5) {
        g.range(1, 3)
    } else {
        g.range(1, 8)
    } as usize;
    for (i, name) in SERVICE_NAMES.iter().enumerate().take(nsvc) {
        let nops = g.range(1, 3) as usize;
        let replicas = g.count(1, 3, 1_000_000_000);
        g.svcs.push(Svc {
            name: name.to_string(),
            replicas,
            ops: OP_NAMES[..nops].iter().map(|s| s.to_string()).collect(),
        });
        for j in 0..nops {
            g.ops.push((i, j));
        }
    }
    let nops = g.ops.len();

    // Brokers, queues, topics.
    let nbrokers = if g.p(0.45) { g.range(1, 2) } else { 0 } as usize;
    let mut broker_text = String::new();
    for b in 0..nbrokers {
        let name = format!("bus{b}");
        g.brokers.push(name.clone());
        let _ = writeln!(broker_text, "\n[brokers.{name}]");
        if g.p(0.6) {
            let m = g.pick(&["rabbitmq", "kafka"]);
            let _ = writeln!(broker_text, "model = \"{m}\"");
        }
        if g.p(0.4) {
            let zero = (extreme || chaos) && g.p(0.5);
            let d = if zero {
                "\"0s\"".to_string()
            } else {
                g.dist(5_000_000, false)
            };
            let _ = writeln!(broker_text, "publish_latency = {d}");
            let d = if zero {
                "\"0s\"".to_string()
            } else {
                g.dist(5_000_000, false)
            };
            let _ = writeln!(broker_text, "delivery_latency = {d}");
        }
        if g.p(0.2) {
            let c = g.rate(10.0, 100_000.0);
            let _ = writeln!(broker_text, "capacity = {c}");
        }
        if g.p(0.3) {
            let d = g.dur(2_000_000_000);
            let _ = writeln!(broker_text, "redelivery_delay = {d}");
        }
        if g.p(0.2) {
            let v = g.p(0.5);
            let _ = writeln!(broker_text, "durable = {v}");
        }
        if g.p(0.2) {
            let v = g.range(1, 10);
            let _ = writeln!(broker_text, "max_deliveries = {v}");
        }
        if g.p(0.2) {
            let v = g.range(1, 10);
            let _ = writeln!(broker_text, "concurrency = {v}");
        }
        if g.p(0.2) {
            let v = g.timeout();
            let _ = writeln!(broker_text, "ack_timeout = {v}");
        }
        let nq = g.range(1, 3);
        for q in 0..nq {
            let qname = format!("q{q}");
            let consumer = g.range(0, nops as u64 - 1) as usize;
            g.queues.push((name.clone(), qname.clone(), consumer));
            let mut keys = vec![format!("consumer = \"{}\"", g.op_name(consumer))];
            if g.p(0.5) {
                keys.push(format!("concurrency = {}", g.count(1, 20, 4_294_967_295)));
            }
            if g.p(0.3) {
                keys.push(format!("durable = {}", g.p(0.5)));
            }
            if g.p(0.3) {
                keys.push(format!("max_deliveries = {}", g.range(1, 6)));
            }
            if g.p(0.3) {
                keys.push(format!("ack_timeout = {}", g.timeout()));
            }
            if g.p(0.3) {
                keys.push(format!("ordered = {}", g.p(0.5)));
            }
            let _ = writeln!(broker_text, "queues.{qname} = {{ {} }}", keys.join(", "));
        }
        let nt = g.range(0, 2);
        for t in 0..nt {
            let tname = format!("t{t}");
            let nsub = g.range(1, 3.min(nops as u64));
            let mut subs: Vec<usize> = Vec::new();
            while subs.len() < nsub as usize {
                let s = g.range(0, nops as u64 - 1) as usize;
                if !subs.contains(&s) {
                    subs.push(s);
                }
            }
            let names: Vec<String> = subs
                .iter()
                .map(|&s| format!("\"{}\"", g.op_name(s)))
                .collect();
            let mut keys = vec![format!("subscribers = [{}]", names.join(", "))];
            if g.p(0.4) {
                keys.push(format!("concurrency = {}", g.range(1, 16)));
            }
            if g.p(0.2) {
                keys.push(format!("durable = {}", g.p(0.5)));
            }
            if g.p(0.2) {
                keys.push(format!("max_deliveries = {}", g.range(1, 6)));
            }
            if g.p(0.2) {
                keys.push(format!("ack_timeout = {}", g.timeout()));
            }
            if g.p(0.2) {
                keys.push(format!("ordered = {}", g.p(0.5)));
            }
            g.topics.push((name.clone(), tname.clone(), subs));
            let _ = writeln!(broker_text, "topics.{tname} = {{ {} }}", keys.join(", "));
        }
    }

    // Sagas.
    let mut saga_text = String::new();
    let nsagas = if nops >= 2 && g.p(0.3) {
        g.range(1, 2)
    } else {
        0
    };
    for k in 0..nsagas {
        let name = format!("saga-{k}");
        let _ = writeln!(saga_text, "\n[sagas.{name}]");
        let orchestration = g.brokers.is_empty() || g.p(0.5);
        if orchestration {
            let c = g.range(0, nsvc as u64 - 1) as usize;
            let _ = writeln!(saga_text, "style = \"orchestration\"");
            let _ = writeln!(saga_text, "coordinator = \"{}\"", g.svcs[c].name);
            if g.p(0.5) {
                let v = g.p(0.5);
                let _ = writeln!(saga_text, "durable = {v}");
            }
        } else {
            let b = g.pick(&g.brokers.clone());
            let _ = writeln!(saga_text, "style = \"choreography\"");
            let _ = writeln!(saga_text, "broker = \"{b}\"");
        }
        if g.p(0.3) {
            let v = g.range(1, 5);
            let _ = writeln!(saga_text, "compensation_attempts = {v}");
        }
        if g.p(0.3) {
            let v = g.dur(1_000_000_000);
            let _ = writeln!(saga_text, "compensation_backoff = {v}");
        }
        let nsteps = g.range(1, 4);
        let mut lo = usize::MAX;
        let mut steps = Vec::new();
        for _ in 0..nsteps {
            let a = g.range(1.min(nops as u64 - 1), nops as u64 - 1) as usize;
            lo = lo.min(a);
            let mut keys = vec![format!("action = \"{}\"", g.op_name(a))];
            if g.p(0.6) {
                let c = g.range(1.min(nops as u64 - 1), nops as u64 - 1) as usize;
                lo = lo.min(c);
                keys.push(format!("compensate = \"{}\"", g.op_name(c)));
            }
            if g.p(0.4) {
                let f = g.pick(&["0.0", "0.1", "0.5", "1.0"]);
                keys.push(format!("fail = {f}"));
            }
            if g.p(0.3) {
                keys.push(format!("timeout = {}", g.timeout()));
            }
            steps.push(format!("  {{ {} }},", keys.join(", ")));
        }
        let _ = writeln!(saga_text, "steps = [\n{}\n]", steps.join("\n"));
        g.sagas.push((name, lo));
    }

    // [network]
    // Operations' steps first (they decide the edges that links and faults use).
    let mut svc_text = String::new();
    for si in 0..nsvc {
        let _ = writeln!(svc_text, "\n[services.{}]", g.svcs[si].name);
        if si == nsvc - 1 && g.p(0.15) {
            let m = g.pick(&["database", "bank-api"]);
            let _ = writeln!(svc_text, "model = \"{m}\"");
        }
        let rep = g.svcs[si].replicas;
        if rep > 1 || g.p(0.3) {
            let _ = writeln!(svc_text, "replicas = {rep}");
        }
        if g.p(0.8) {
            let w = g.count(1, 16, 4_294_967_295);
            let _ = writeln!(svc_text, "workers = {w}");
        }
        if g.p(0.25) {
            let c = g.pick(&["1", "2", "0.5", "0.001", "3.25", "1000"]);
            let _ = writeln!(svc_text, "cpus = {c}");
        }
        if g.p(0.5) {
            let q = if g.p(0.2) {
                0
            } else {
                g.count(1, 200, 4_294_967_295)
            };
            let _ = writeln!(svc_text, "queue = {q}");
        }
        if g.p(0.5) {
            let b = g.pick(&["round-robin", "random", "least-outstanding"]);
            let _ = writeln!(svc_text, "balancer = \"{b}\"");
        }
        autoscaling(&mut g, si, &mut svc_text);
        for oi in 0..g.svcs[si].ops.len() {
            let gi = g.ops.iter().position(|&x| x == (si, oi)).unwrap();
            let _ = writeln!(
                svc_text,
                "\n[services.{}.operations.{}]",
                g.svcs[si].name, g.svcs[si].ops[oi]
            );
            if g.p(0.9) {
                let d = g.dist(10_000_000, false);
                let _ = writeln!(svc_text, "work = {d}");
            }
            if g.p(0.25) {
                let e = g.pick(&["0.0", "0.001", "0.05", "0.3", "1.0"]);
                let _ = writeln!(svc_text, "error = {e}");
            }
            let nsteps = if gi + 1 < nops || chaos {
                g.range(0, 3)
            } else {
                0
            };
            let mut steps = Vec::new();
            for _ in 0..nsteps {
                if let Some(s) = step(&mut g, gi, chaos) {
                    steps.push(format!("  {s},"));
                }
            }
            if !steps.is_empty() {
                let _ = writeln!(svc_text, "steps = [\n{}\n]", steps.join("\n"));
            }
        }
        // A client connection pool to a service this one calls synchronously.
        let callees: Vec<usize> = g.edges.iter().filter(|e| e.0 == si).map(|e| e.1).collect();
        if !callees.is_empty() && g.p(0.35) {
            let to = g.pick(&callees);
            let _ = writeln!(
                svc_text,
                "\n[services.{}.pools.{}]",
                g.svcs[si].name, g.svcs[to].name
            );
            let c = g.count(1, 8, 100_000);
            let _ = writeln!(svc_text, "connections = {c}");
            if g.p(0.4) {
                let _ = writeln!(svc_text, "kind = \"grpc\"");
                if g.p(0.7) {
                    let m = g.count(1, 4, 10_000);
                    let _ = writeln!(svc_text, "max_streams = {m}");
                }
            }
            if g.p(0.7) {
                let t = if g.p(0.3) {
                    "\"0s\"".to_string()
                } else {
                    g.dur(50_000_000)
                };
                let _ = writeln!(svc_text, "acquire_timeout = {t}");
            }
        }
    }

    let mut net = String::new();
    if zero_net {
        net.push_str("\n[network]\nlatency = \"0s\"\n\n[protocols.rest]\nper_message = \"0s\"\nper_kib = \"0s\"\n\n[protocols.grpc]\nper_message = \"0s\"\nper_kib = \"0s\"\n");
    } else if g.p(0.8) {
        net.push_str("\n[network]\n");
        if g.p(0.8) {
            let d = if g.p(0.3) {
                "\"0s\"".to_string()
            } else {
                g.dist(2_000_000, false)
            };
            let _ = writeln!(net, "latency = {d}");
        }
        if g.p(0.2) {
            let l = g.pick(&["0.0", "0.001", "0.05", "0.5", "1.0"]);
            let _ = writeln!(net, "loss = {l}");
        }
        if g.p(0.3) && !g.edges.is_empty() {
            let mut seen: Vec<Edge> = Vec::new();
            let mut links = Vec::new();
            for _ in 0..g.range(1, 3) {
                let e = g.pick(&g.edges.clone());
                if seen.contains(&e) {
                    continue;
                }
                seen.push(e);
                let mut keys = vec![
                    format!("from = \"{}\"", g.svcs[e.0].name),
                    format!("to = \"{}\"", g.svcs[e.1].name),
                ];
                if g.p(0.7) {
                    keys.push(format!("latency = {}", g.dist(5_000_000, false)));
                }
                if g.p(0.4) {
                    keys.push(format!("loss = {}", g.pick(&["0.0", "0.01", "0.2", "1.0"])));
                }
                links.push(format!("  {{ {} }},", keys.join(", ")));
            }
            if g.p(0.3) {
                let e = g.range(0, nsvc as u64 - 1) as usize;
                let mut keys = vec![
                    "from = \"client\"".to_string(),
                    format!("to = \"{}\"", g.svcs[e].name),
                ];
                keys.push(format!("latency = {}", g.dist(5_000_000, false)));
                links.push(format!("  {{ {} }},", keys.join(", ")));
            }
            let _ = writeln!(net, "links = [\n{}\n]", links.join("\n"));
        }
    }
    if !zero_net && g.p(0.3) {
        for p in ["rest", "grpc"] {
            if g.p(0.6) {
                let _ = writeln!(net, "\n[protocols.{p}]");
                let a = g.dur(200_000);
                let b = g.dur(100_000);
                let _ = writeln!(net, "per_message = {a}\nper_kib = {b}");
            }
        }
    }

    // Workloads.
    let mut wl = String::new();
    let nw = g.range(1, 3);
    for w in 0..nw {
        let entry = if g.p(0.6) {
            0
        } else {
            g.range(0, nops as u64 - 1) as usize
        };
        g.entries.push(entry);
        let _ = writeln!(wl, "\n[[workload]]");
        let _ = writeln!(wl, "flow = \"f{w}\"");
        let _ = writeln!(wl, "entry = \"{}\"", g.op_name(entry));
        // Keep the number of arrivals modest: rate x duration <= ~3000.
        let secs = duration as f64 / 1e9;
        let max_rate = (3000.0 / secs).clamp(2.0, 1e6);
        let arr = match g.range(0, 5) {
            0 | 1 => format!("{{ poisson = {} }}", g.rate(1.0, max_rate.min(500.0))),
            2 => format!("{{ constant = {} }}", g.rate(1.0, max_rate.min(500.0))),
            3 => {
                let n = g.range(1, 4);
                let mut at = 0u64;
                let mut ents = Vec::new();
                for k in 0..n {
                    if k > 0 {
                        at += g.range(1, (duration / n).max(1));
                    }
                    let rate = if k > 0 && g.p(0.2) {
                        "\"0/s\"".to_string()
                    } else {
                        g.rate(1.0, max_rate.min(500.0))
                    };
                    ents.push(format!("{{ at = {}, rate = {rate} }}", g.dur_str(at)));
                }
                format!("{{ schedule = [{}] }}", ents.join(", "))
            }
            _ => {
                let users = g.count(1, 10, 4_294_967_295);
                if extreme && g.p(0.3) {
                    // Zero think time (the default): each user loops as fast as the
                    // system answers.
                    if g.p(0.5) {
                        format!("{{ closed = {{ users = {users}, think = \"0s\" }} }}")
                    } else {
                        format!("{{ closed = {{ users = {users} }} }}")
                    }
                } else {
                    let think = g.dist_between(2_000_000, 200_000_000);
                    format!("{{ closed = {{ users = {users}, think = {think} }} }}")
                }
            }
        };
        let _ = writeln!(wl, "arrivals = {arr}");
        if g.p(0.3) {
            let p = g.pick(&["rest", "grpc"]);
            let _ = writeln!(wl, "protocol = \"{p}\"");
        }
        if g.p(0.4) {
            // A closed loop with a tiny timeout is a pure cost trap (10^9 requests per
            // simulated second, see tests/harness/found/cost-*): keep it >= 1ms there.
            let mut t = g.timeout();
            while arr.contains("closed") && tiny_duration(&t) {
                t = g.timeout();
            }
            let _ = writeln!(wl, "timeout = {t}");
            if g.p(0.4) {
                let _ = writeln!(wl, "deadline = {}", g.p(0.8));
            }
        }
        if g.p(0.25) {
            let rate = g.rate(1.0, 1000.0);
            if g.p(0.5) {
                let _ = writeln!(
                    wl,
                    "rate_limit = {{ rate = {rate}, burst = {} }}",
                    g.count(1, 20, 4_294_967_295)
                );
            } else {
                let _ = writeln!(wl, "rate_limit = {{ rate = {rate} }}");
            }
        }
    }

    // Faults.
    let mut faults = String::new();
    let nf = if g.p(0.5) { g.range(1, 3) } else { 0 };
    for k in 0..nf {
        let mut link_targets: Vec<String> = g
            .edges
            .iter()
            .map(|&(a, b)| format!("{}->{}", g.svcs[a].name, g.svcs[b].name))
            .collect();
        for &e in &g.entries {
            let s = g.ops[e].0;
            link_targets.push(format!("client->{}", g.svcs[s].name));
        }
        let choice = g.range(0, 9);
        let (target, kind) = if choice <= 4 {
            let s = g.range(0, nsvc as u64 - 1) as usize;
            let k = g.pick(&["crash", "hang", "slow", "error"]);
            (g.svcs[s].name.clone(), k)
        } else if choice <= 6 {
            let s = g.range(0, nsvc as u64 - 1) as usize;
            let reps = g.svcs[s].replicas.min(4);
            let n = g.range(0, reps - 1);
            let k = g.pick(&["crash", "hang", "slow", "error"]);
            (format!("{}#{n}", g.svcs[s].name), k)
        } else if choice <= 8 || g.brokers.is_empty() {
            (g.pick(&link_targets), "partition")
        } else {
            (g.pick(&g.brokers.clone()), "crash")
        };
        let _ = writeln!(faults, "\n[[fault]]");
        if g.p(0.3) {
            let _ = writeln!(faults, "name = \"fault {k} <{kind}> \\\"x\\\"\"");
        }
        let _ = writeln!(faults, "target = \"{target}\"\nkind = \"{kind}\"");
        match kind {
            "slow" => {
                let factor = g.p(0.7);
                if factor {
                    let f = g.pick(&["0.0", "0.5", "2.0", "10.0", "1000.0"]);
                    let _ = writeln!(faults, "factor = {f}");
                }
                if !factor || g.p(0.4) {
                    let d = g.pos_dur(100_000_000);
                    let _ = writeln!(faults, "delay = {d}");
                }
            }
            "error" => {
                let p = g.pick(&["0.0", "0.2", "0.9", "1.0"]);
                let _ = writeln!(faults, "probability = {p}");
            }
            _ => {}
        }
        if g.p(0.7) {
            // Scheduled: sometimes entirely inside the warm-up, or overlapping its end.
            let at = match g.range(0, 3) {
                0 if warmup > 0 => g.range(0, warmup - 1),
                1 => 0,
                _ => g.range(0, duration - 1),
            };
            let len = g.range(1, duration.max(2));
            let a = g.dur_str(at);
            let l = g.dur_str(len);
            let _ = writeln!(faults, "at = {a}\nduration = {l}");
        } else {
            let (up, down) = if extreme && g.p(0.2) {
                (g.dist(duration, true), g.dist(duration / 4 + 1, true))
            } else {
                (
                    g.dist_between(duration / 20, duration),
                    g.dist_between(duration / 100, duration / 4),
                )
            };
            let _ = writeln!(faults, "mtbf = {up}\nmttr = {down}");
        }
    }

    // Sometimes a [compare] of the first flow's entry against other operations, and
    // SLOs (the JSON then holds one summary per variant, and the verdicts).
    let mut cmp = String::new();
    if g.p(0.1) {
        let n = g.range(1, 3);
        let mut vs = vec![format!(
            "{{ name = \"as is <v>\", entry = \"{}\" }}",
            g.op_name(g.entries[0])
        )];
        for v in 1..n {
            let e = g.range(0, nops as u64 - 1) as usize;
            vs.push(format!(
                "{{ name = \"v{v}\", entry = \"{}\" }}",
                g.op_name(e)
            ));
        }
        let _ = writeln!(
            cmp,
            "\n[compare]\nflow = \"f0\"\nvariants = [{}]",
            vs.join(", ")
        );
    }
    if g.p(0.1) {
        let _ = writeln!(cmp, "\n[[slo]]\nflow = \"f0\"");
        if g.p(0.7) {
            let d = g.pos_dur(100_000_000);
            let _ = writeln!(cmp, "p99 = {d}");
        }
        let sv = g.pick(&["0.0", "0.5", "0.99", "1.0"]);
        let _ = writeln!(cmp, "success = {sv}");
    }

    out.push_str(&net);
    out.push_str(&broker_text);
    out.push_str(&saga_text);
    out.push_str(&svc_text);
    out.push_str(&wl);
    out.push_str(&faults);
    out.push_str(&cmp);
    out
}

/// One step of the operation with global index `gi`.
fn step(g: &mut G, gi: usize, chaos: bool) -> Option<String> {
    let nops = g.ops.len();
    let later: Vec<usize> = (gi + 1..nops).collect();
    let pick_later = |g: &mut G| -> Option<usize> {
        if later.is_empty() {
            None
        } else {
            Some(later[g.r.random_range(0..later.len())])
        }
    };
    let kind = g.range(0, 9);
    match kind {
        0..=3 => {
            let t = pick_callee(g, gi)?;
            Some(call(g, gi, t))
        }
        4 => {
            let n = g.range(1, 3);
            let mut calls = Vec::new();
            for _ in 0..n {
                let t = pick_callee(g, gi)?;
                calls.push(call(g, gi, t));
            }
            Some(format!("{{ parallel = [ {} ] }}", calls.join(", ")))
        }
        5 | 6 => {
            let qs: Vec<(String, String, usize)> = g
                .queues
                .iter()
                .filter(|q| q.2 > gi || chaos)
                .cloned()
                .collect();
            if qs.is_empty() {
                return None;
            }
            let q = g.pick(&qs);
            Some(format!("{{ send = \"{}.{}\" }}", q.0, q.1))
        }
        7 => {
            let ts: Vec<(String, String, Vec<usize>)> = g
                .topics
                .iter()
                .filter(|t| t.2.iter().all(|&s| s > gi) || chaos)
                .cloned()
                .collect();
            if ts.is_empty() {
                return None;
            }
            let t = g.pick(&ts);
            Some(format!("{{ publish = \"{}.{}\" }}", t.0, t.1))
        }
        8 => {
            let qs: Vec<(String, String, usize)> = g
                .queues
                .iter()
                .filter(|q| q.2 > gi || chaos)
                .cloned()
                .collect();
            if qs.is_empty() {
                return None;
            }
            let q = g.pick(&qs);
            let then = if chaos {
                g.range(0, nops as u64 - 1) as usize
            } else {
                pick_later(g)?
            };
            let mut s = format!(
                "{{ request = \"{}.{}\", reply_timeout = {}, then = \"{}\"",
                q.0,
                q.1,
                g.timeout(),
                g.op_name(then)
            );
            if g.p(0.5) {
                let t = if chaos {
                    g.range(0, nops as u64 - 1) as usize
                } else {
                    pick_later(g)?
                };
                let _ = write!(s, ", on_timeout = \"{}\"", g.op_name(t));
            }
            s.push_str(" }");
            Some(s)
        }
        _ => {
            let ss: Vec<String> = g
                .sagas
                .iter()
                .filter(|s| s.1 > gi || chaos)
                .map(|s| s.0.clone())
                .collect();
            if ss.is_empty() {
                return None;
            }
            let s = g.pick(&ss);
            Some(format!("{{ saga = \"{s}\" }}"))
        }
    }
}

/// A callee for a synchronous call from `gi`: a later operation, in another service
/// but for a rare self-service call (valid, and a deadlock when workers run out).
fn pick_callee(g: &mut G, gi: usize) -> Option<usize> {
    let me = g.ops[gi].0;
    let later: Vec<usize> = (gi + 1..g.ops.len()).collect();
    let other: Vec<usize> = later
        .iter()
        .copied()
        .filter(|&o| g.ops[o].0 != me)
        .collect();
    if !other.is_empty() && !g.p(0.05) {
        Some(g.pick(&other))
    } else if !later.is_empty() && g.p(0.3) {
        Some(g.pick(&later))
    } else {
        None
    }
}

/// A call step from op `from` to op `to`, with random policies.
fn call(g: &mut G, from: usize, to: usize) -> String {
    let (fs, ts) = (g.ops[from].0, g.ops[to].0);
    if fs != ts && !g.edges.contains(&(fs, ts)) {
        g.edges.push((fs, ts));
    }
    let mut keys = vec![format!("call = \"{}\"", g.op_name(to))];
    if g.p(0.3) {
        keys.push(format!("protocol = \"{}\"", g.pick(&["rest", "grpc"])));
    }
    let has_timeout = g.p(0.4);
    if has_timeout {
        keys.push(format!("timeout = {}", g.timeout()));
    }
    if g.p(0.2) {
        let p = if g.extreme && g.p(0.3) {
            4_294_967_295
        } else {
            g.range(0, 100_000)
        };
        keys.push(format!("payload = {p}"));
    }
    if g.p(0.3) {
        let mut r = vec![format!("attempts = {}", g.range(1, 4))];
        if g.p(0.6) {
            r.push(format!("backoff = {}", g.dur(50_000_000)));
        }
        if g.p(0.3) {
            r.push(format!(
                "multiplier = {}",
                g.pick(&["1.0", "1.5", "2", "10.0"])
            ));
        }
        if g.p(0.2) {
            // >= backoff is required: only give it as a large value.
            r.push("max_backoff = \"1m\"".to_string());
        }
        if g.p(0.4) {
            r.push(format!("jitter = {}", g.p(0.5)));
        }
        if g.p(0.3) {
            r.push(format!(
                "budget = {}",
                g.pick(&["0.01", "0.1", "1.0", "10.0"])
            ));
        }
        keys.push(format!("retry = {{ {} }}", r.join(", ")));
    }
    if g.p(0.2) {
        let mut b = vec![format!(
            "failure_ratio = {}",
            g.pick(&["0.01", "0.5", "1.0"])
        )];
        if g.p(0.5) {
            b.push(format!("window = {}", g.pos_dur(2_000_000_000)));
        }
        if g.p(0.5) {
            b.push(format!("min_calls = {}", g.range(1, 20)));
        }
        if g.p(0.5) {
            b.push(format!("open = {}", g.pos_dur(2_000_000_000)));
        }
        if g.p(0.5) {
            b.push(format!("probes = {}", g.range(1, 5)));
        }
        keys.push(format!("circuit_breaker = {{ {} }}", b.join(", ")));
    }
    if g.p(0.15) {
        keys.push(format!("bulkhead = {}", g.count(1, 10, 4_294_967_295)));
    }
    if g.p(0.15) {
        keys.push(format!("fallback = {}", g.dist(2_000_000, false)));
    }
    if !has_timeout && g.p(0.1) {
        keys.push(format!("hedge = {}", g.pos_dur(50_000_000)));
    }
    format!("{{ {} }}", keys.join(", "))
}

/// Sometimes an autoscaler (`min <= replicas <= max`, scale to zero included) and a
/// cold start on service `si`: inline tables, written before its sub-tables.
fn autoscaling(g: &mut G, si: usize, out: &mut String) {
    if g.p(0.2) {
        let rep = g.svcs[si].replicas;
        let min = g.pick(&[0, 1, rep]).min(rep);
        let max = rep.max(1) + g.range(0, 6);
        let metric = g.pick(&["utilization", "queue", "in_flight", "backlog"]);
        let target = match metric {
            "utilization" => g.pick(&["0.5", "0.7", "1.0", "0.01"]).to_string(),
            _ => g.float(0.1, 20.0),
        };
        let period = g.pick(&["\"1ms\"", "\"100ms\"", "\"1s\"", "\"15s\""]);
        let mut keys = vec![
            format!("min = {min}"),
            format!("max = {max}"),
            format!("metric = \"{metric}\""),
            format!("target = {target}"),
            format!("period = {period}"),
        ];
        if g.p(0.5) {
            keys.push(format!("startup = {}", g.dist(5_000_000_000, false)));
        }
        if g.p(0.4) {
            keys.push(format!("scale_down_window = {}", g.dur(2_000_000_000)));
        }
        if g.p(0.3) {
            keys.push(format!("scale_up_window = {}", g.dur(1_000_000_000)));
        }
        if g.p(0.3) {
            keys.push(format!("max_up = {}", g.range(1, 4)));
        }
        if g.p(0.3) {
            keys.push(format!("max_down = {}", g.range(1, 4)));
        }
        if g.p(0.3) {
            keys.push(format!("tolerance = {}", g.pick(&["0", "0.1", "0.5"])));
        }
        let _ = writeln!(out, "autoscale = {{ {} }}", keys.join(", "));
    }
    if g.p(0.15) {
        let factor = g.pick(&["1.0", "2.0", "10", "1000"]);
        let over = if g.p(0.5) {
            format!("over = {}", g.pos_dur(5_000_000_000))
        } else {
            format!("over_requests = {}", g.range(1, 50))
        };
        let _ = writeln!(out, "cold_start = {{ factor = {factor}, {over} }}");
    }
}
