//! Loading valid scenarios: ids, links, distributions, model merging, and that no
//! input, however mangled, makes the loader panic.

use archsim::model::{Arrivals, Balancer, Dist, LinkId, OpId, Protocol, ServiceId};
use archsim::spec::{self, load_str};
use std::path::Path;

const CHECKOUT: &str = r#"
description = "checkout through a gateway"

[simulation]
seed = 42
duration = "10m"
warmup = "30s"
replications = 10

[network]
latency = { dist = "lognormal", median = "0.5ms", p99 = "5ms" }
loss = 0.001
links = [ { from = "client", to = "gateway", latency = "1ms", loss = 0.0 },
          { from = "payment", to = "bank", latency = { dist = "exp", mean = "20ms" } } ]

[protocols.rest]
per_message = "70us"
[protocols.grpc]
per_kib = "5us"

[services.gateway]
replicas = 2
workers = 64
queue = 256
balancer = "least-outstanding"
[services.gateway.operations.checkout]
work = { dist = "exp", mean = "1ms" }
error = 0.01
steps = [ { call = "order.place", protocol = "rest", timeout = "2s", payload = 2048 },
          { parallel = [ { call = "inventory.reserve" }, { call = "payment.charge", timeout = "1s", protocol = "grpc" } ] } ]

[services.order]
operations.place = { work = "5ms" }
operations.cancel = { work = { dist = "uniform", min = "1ms", max = "3ms" } }

[services.inventory.operations.reserve]
work = { dist = "gamma", shape = 2, mean = "4ms" }

[services.payment.operations.charge]
work = { dist = "normal", mean = "10ms", std = "2ms" }
steps = [ { call = "bank.authorize", timeout = "5s" } ]

[services.bank]
model = "bank-api"

[[workload]]
flow = "checkout"
entry = "gateway.checkout"
arrivals = { poisson = "50/s" }
timeout = "10s"

[[workload]]
entry = "order.cancel"
protocol = "grpc"
arrivals = { schedule = [ { at = "0s", rate = "10/s" }, { at = "1m", rate = "6000/m" } ] }

[[workload]]
flow = "shoppers"
entry = "payment.charge"
arrivals = { closed = { users = 50, think = { dist = "exp", mean = "2s" } } }
"#;

fn ms(x: f64) -> f64 {
    x * 1e6
}

#[test]
fn a_full_scenario_compiles_to_the_expected_model() {
    let s = load_str(CHECKOUT, Path::new("scenarios/checkout.toml")).unwrap();
    assert_eq!(s.name, "checkout");
    assert_eq!(
        (s.sim.seed, s.sim.duration, s.sim.warmup, s.sim.replications),
        (42, 600_000_000_000, 30_000_000_000, 10)
    );

    // Services sorted by name; operations in service order, then by name.
    let names: Vec<&str> = s.services.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["bank", "gateway", "inventory", "order", "payment"]);
    let ops: Vec<&str> = s.operations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        ops,
        [
            "bank.authorize",
            "gateway.checkout",
            "inventory.reserve",
            "order.cancel",
            "order.place",
            "payment.charge"
        ]
    );
    assert_eq!(s.services[3].operations, [OpId(3), OpId(4)]);
    assert_eq!(s.operations[4].service, ServiceId(3));

    let gw = &s.services[1];
    assert_eq!(
        (gw.replicas, gw.workers, gw.queue_capacity, gw.balancer),
        (2, 64, 256, Balancer::LeastOutstanding)
    );
    let inv = &s.services[2];
    assert_eq!(
        (inv.replicas, inv.workers, inv.queue_capacity, inv.balancer),
        (1, 1, 1000, Balancer::RoundRobin)
    );

    // Links: default first, then declared ones in file order.
    let links: Vec<&str> = s.links.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(links, ["default", "client->gateway", "payment->bank"]);
    assert_eq!(s.links[0].loss, 0.001);
    assert_eq!(s.links[1].loss, 0.0);
    assert_eq!(
        s.links[2].loss, 0.001,
        "an undeclared loss is inherited from [network]"
    );
    assert!(matches!(s.links[1].latency, Dist::Constant(1_000_000)));
    assert!(matches!(s.links[2].latency, Dist::Exponential { mean } if mean == ms(20.0)));
    assert!(matches!(s.links[0].latency, Dist::LogNormal(..)));

    // Protocols: overrides field by field.
    assert_eq!(
        (
            s.protocol(Protocol::Rest).per_message,
            s.protocol(Protocol::Rest).per_kib
        ),
        (70_000, 25_000)
    );
    assert_eq!(
        (
            s.protocol(Protocol::Grpc).per_message,
            s.protocol(Protocol::Grpc).per_kib
        ),
        (20_000, 5_000)
    );

    // The checkout operation and its steps.
    let checkout = &s.operations[1];
    assert!(matches!(checkout.work, Dist::Exponential { mean } if mean == ms(1.0)));
    assert_eq!(checkout.error_probability, 0.01);
    assert_eq!(checkout.groups.len(), 2);
    let c0 = &checkout.groups[0].calls[0];
    assert_eq!(
        (
            c0.target,
            c0.protocol,
            c0.timeout,
            c0.payload_bytes,
            c0.link
        ),
        (
            OpId(4),
            Protocol::Rest,
            Some(2_000_000_000),
            2048,
            LinkId(0)
        )
    );
    let par = &checkout.groups[1].calls;
    assert_eq!(par.len(), 2);
    assert_eq!(
        (par[0].target, par[0].timeout, par[0].payload_bytes),
        (OpId(2), None, 1024)
    );
    assert_eq!(
        (par[1].target, par[1].protocol, par[1].timeout),
        (OpId(5), Protocol::Grpc, Some(1_000_000_000))
    );
    // payment -> bank uses the declared link.
    assert_eq!(s.operations[5].groups[0].calls[0].link, LinkId(2));

    assert!(
        matches!(s.operations[3].work, Dist::Uniform { min, max } if min == ms(1.0) && max == ms(3.0))
    );
    assert!((s.operations[2].work.mean() - ms(4.0)).abs() < 1.0);
    assert!((s.operations[5].work.mean() - ms(10.0)).abs() < 1.0);

    // Workloads.
    let w = &s.workloads;
    assert_eq!(w.len(), 3);
    assert_eq!(
        (w[0].flow.as_str(), w[0].entry, w[0].link, w[0].timeout),
        ("checkout", OpId(1), LinkId(1), Some(10_000_000_000))
    );
    assert!(matches!(w[0].arrivals, Arrivals::Poisson { rate } if rate == 50.0));
    assert_eq!(
        (w[1].flow.as_str(), w[1].protocol, w[1].link),
        ("order.cancel", Protocol::Grpc, LinkId(0))
    );
    match &w[1].arrivals {
        Arrivals::Schedule(v) => assert_eq!(v, &[(0, 10.0), (60_000_000_000, 100.0)]),
        other => panic!("{other:?}"),
    }
    match &w[2].arrivals {
        Arrivals::Closed { users, think } => {
            assert_eq!(*users, 50);
            assert!(matches!(think, Dist::Exponential { mean } if *mean == 2e9));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_built_in_bank_model_supplies_defaults() {
    let s = load_str(CHECKOUT, Path::new("scenarios/checkout.toml")).unwrap();
    let bank = &s.services[0];
    assert_eq!(
        (bank.replicas, bank.workers, bank.queue_capacity),
        (1, 200, 1000)
    );
    let auth = &s.operations[bank.operations[0].0 as usize];
    assert_eq!(auth.name, "bank.authorize");
    // lognormal median 2.9 s, p99 4.5 s: mean slightly above the median.
    let mean = auth.work.mean();
    assert!(mean > 2.9e9 && mean < 3.1e9, "{mean}");
}

const MODEL_USER: &str = r#"
[simulation]
duration = "1m"

[services.db]
model = "database"
workers = 10
operations.write = { work = "1ms" }

[services.api.operations.get]
steps = [ { call = "db.query" }, { call = "db.write" } ]

[[workload]]
entry = "api.get"
arrivals = { constant = 20 }
"#;

#[test]
fn scenario_keys_override_the_model_key_by_key() {
    let s = load_str(MODEL_USER, Path::new("nowhere/x.toml")).unwrap();
    let db = &s.services[s.service_by_name("db").unwrap().0 as usize];
    assert_eq!(
        (db.workers, db.queue_capacity, db.balancer),
        (10, 1000, Balancer::LeastOutstanding)
    );
    let query = &s.operations[s.operation_by_name("db.query").unwrap().0 as usize];
    assert!(
        matches!(query.work, Dist::LogNormal(..)),
        "kept from the model"
    );
    let write = &s.operations[s.operation_by_name("db.write").unwrap().0 as usize];
    assert!(
        matches!(write.work, Dist::Constant(1_000_000)),
        "replaced by the scenario"
    );
    assert!(matches!(s.workloads[0].arrivals, Arrivals::Constant { rate } if rate == 20.0));
}

#[test]
fn models_on_disk_take_precedence_and_paths_are_relative_to_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("scenarios");
    std::fs::create_dir_all(&scen).unwrap();
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::write(
        dir.path().join("models/database.toml"),
        "workers = 7\n[operations.query]\nwork = \"3ms\"\n",
    )
    .unwrap();
    std::fs::write(
        scen.join("cache.toml"),
        "workers = 3\noperations.get = { work = { dist = \"empirical\", file = \"obs.csv\" } }\n",
    )
    .unwrap();
    std::fs::write(scen.join("obs.csv"), "latency_ms\n1\n2.5\n4ms\n").unwrap();
    let text = r#"
[simulation]
duration = "1m"
[services.db]
model = "database"
[services.cache]
model = "cache.toml"
[[workload]]
entry = "db.query"
arrivals = { poisson = "5/s" }
[[workload]]
entry = "cache.get"
arrivals = { poisson = "5/s" }
"#;
    std::fs::write(scen.join("s.toml"), text).unwrap();
    let s = spec::load(&scen.join("s.toml")).unwrap();
    let db = &s.services[s.service_by_name("db").unwrap().0 as usize];
    assert_eq!(db.workers, 7);
    assert_eq!(
        db.operations.len(),
        1,
        "the on-disk model replaces the built-in one entirely"
    );
    let get = &s.operations[s.operation_by_name("cache.get").unwrap().0 as usize];
    match &get.work {
        Dist::Empirical(v) => assert_eq!(v, &[1_000_000, 2_500_000, 4_000_000]),
        other => panic!("{other:?}"),
    }

    // An error inside a model file names that file and line.
    std::fs::write(
        dir.path().join("models/database.toml"),
        "workers = 7\nqueue = -1\n[operations.query]\nwork = \"3ms\"\n",
    )
    .unwrap();
    let msg = spec::load(&scen.join("s.toml")).unwrap_err().to_string();
    let model_path = dir.path().join("models/database.toml");
    assert_eq!(
        msg,
        format!(
            "{}:2: services.db.queue: must be >= 0, got -1",
            model_path.display()
        )
    );
}

#[test]
fn implicit_and_dotted_tables_are_located() {
    // `services.a` is never declared on its own: toml creates it implicitly.
    let text = "[simulation]\nduration = \"1m\"\n\n[services.a.operations.x]\nwork = \"1ms\"\n\n[services.b]\noperations.y.work = \"2ms\"\noperations.y.error = 2.0\n\n[[workload]]\nentry = \"a.x\"\narrivals = { poisson = \"1/s\" }\n";
    let msg = load_str(text, Path::new("t.toml")).unwrap_err().to_string();
    assert_eq!(
        msg,
        "t.toml:9: services.b.operations.y.error: probability 2 is outside [0, 1]"
    );
}

#[test]
fn distributions_by_every_parameterisation_compile() {
    let dists = [
        "\"250us\"",
        "{ dist = \"constant\", value = \"1ms\" }",
        "{ dist = \"exponential\", mean = \"1ms\" }",
        "{ dist = \"lognormal\", mean = \"3ms\", std = \"1ms\" }",
        "{ dist = \"gamma\", shape = 2.5, scale = \"1ms\" }",
        "{ dist = \"weibull\", shape = 1.5, scale = \"1ms\" }",
        "{ dist = \"pareto\", shape = 3, scale = \"1ms\" }",
        "{ dist = \"empirical\", values = [\"1ms\", \"2ms\"] }",
    ];
    for d in dists {
        let text = format!(
            "[simulation]\nduration = \"1m\"\n[services.a.operations.x]\nwork = {d}\n[[workload]]\nentry = \"a.x\"\narrivals = {{ poisson = \"1/s\" }}\n"
        );
        let s = load_str(&text, Path::new("d.toml")).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert!(s.operations[0].work.mean() > 0.0, "{d}");
    }
}

#[test]
fn client_links_apply_to_workloads_and_service_links_to_calls() {
    let text = r#"
[simulation]
duration = "1m"
[network]
links = [ { from = "a", to = "b", latency = "3ms" }, { from = "client", to = "b" } ]
[services.a.operations.x]
steps = [ { call = "b.y" } ]
[services.b.operations.y]
[[workload]]
entry = "a.x"
arrivals = { poisson = "1/s" }
[[workload]]
entry = "b.y"
arrivals = { poisson = "1/s" }
"#;
    let s = load_str(text, Path::new("l.toml")).unwrap();
    assert_eq!(s.operations[0].groups[0].calls[0].link, LinkId(1));
    assert_eq!(
        (s.workloads[0].link, s.workloads[1].link),
        (LinkId(0), LinkId(2))
    );
    assert_eq!(s.links[2].name, "client->b");
    assert!(s.links[2].latency.is_zero(), "inherits the default latency");
}

/// A tiny deterministic generator, so the fuzz loop needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "=",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "\n",
    "-1",
    "0",
    "1e400",
    "nan",
    "\"0s\"",
    "\"-5ms\"",
    "\"99999999999999h\"",
    "\"a.x\"",
    "\"client\"",
    "[[workload]]",
    "[services.a]",
    "parallel = []",
    "é",
    "#",
    "'",
    "\"\"\"",
    "1.5",
    "[[fault]]",
    "\"bank#9\"",
    "\"a->b\"",
    "retry = {",
];

#[test]
fn mangled_inputs_never_panic() {
    let base = CHECKOUT.as_bytes();
    let mut rng = Lcg(12345);
    let origin = Path::new("scenarios/fuzz.toml");
    // Every truncation.
    for text in [CHECKOUT, RESILIENT] {
        for cut in 0..=text.len() {
            if text.is_char_boundary(cut) {
                let _ = load_str(&text[..cut], origin);
            }
        }
    }
    for round in 0..3000 {
        let mut bytes = base.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = rng.next() as u8,
                1 => {
                    bytes.remove(at);
                }
                2 => {
                    let tok = TOKENS[rng.below(TOKENS.len())].as_bytes();
                    bytes.splice(at..at, tok.iter().copied());
                }
                _ => {
                    let end = (at + rng.below(40)).min(bytes.len());
                    bytes.drain(at..end);
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = load_str(&text, origin) {
            let msg = e.to_string();
            assert!(
                !msg.contains(['\n', '\r']),
                "round {round}: multi-line message {msg:?}"
            );
            assert!(
                !msg.trim_end().ends_with(':'),
                "round {round}: empty message {msg:?}"
            );
        }
    }
    // Pure noise.
    for _ in 0..500 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = load_str(&String::from_utf8_lossy(&bytes), origin);
    }
}

mod prop {
    use proptest::prelude::*;
    use std::path::Path;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = archsim::spec::load_str(&s, Path::new("p.toml"));
        }

        #[test]
        fn arbitrary_values_in_a_valid_shape_never_panic(work in "\\PC{0,20}", n in any::<i64>(), p in any::<f64>()) {
            let text = format!(
                "[simulation]\nduration = \"1m\"\n[services.a]\nworkers = {n}\noperations.x = {{ work = \"{}\", error = {p:?} }}\n[[workload]]\nentry = \"a.x\"\narrivals = {{ poisson = \"{}\" }}\n",
                work.replace(['"', '\\'], ""), work.replace(['"', '\\'], "")
            );
            if let Err(e) = archsim::spec::load_str(&text, Path::new("p.toml")) {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }

        #[test]
        fn durations_round_trip_through_the_parser(n in 0u64..1_000_000_000) {
            prop_assert_eq!(archsim::spec::parse_duration(&format!("{n}ns")), Ok(n));
            prop_assert_eq!(archsim::spec::parse_duration(&format!("{n}us")), Ok(n * 1000));
        }
    }
}

const RESILIENT: &str = r#"
[simulation]
duration = "10m"
timeline = "500ms"
blast_threshold = 0.05

[network]
latency = "1ms"
loss = 0.001
links = [ { from = "gateway", to = "inventory", latency = "2ms" } ]

[services.gateway.operations.checkout]
steps = [ { call = "order.place", timeout = "2s", retry = { attempts = 3 } },
          { parallel = [ { call = "inventory.reserve", bulkhead = 50, fallback = { dist = "exp", mean = "2ms" } },
                         { call = "payment.charge", timeout = "6s", hedge = "200ms" } ] } ]

[services.order.operations.place]
work = "5ms"

[services.inventory.operations.reserve]
work = "1ms"

# A long step reads better as an array of tables.
[[services.payment.operations.charge.steps]]
call = "bank.authorize"
timeout = "5s"
retry = { attempts = 4, backoff = "100ms", multiplier = 1.5, max_backoff = "10s", jitter = true, budget = 0.1 }
circuit_breaker = { failure_ratio = 0.5, window = "20s", min_calls = 20, open = "7s", probes = 3 }
bulkhead = 8
fallback = "2ms"
hedge = "1s"

[services.bank]
replicas = 3
operations.authorize = { work = "100ms" }

[[workload]]
entry = "gateway.checkout"
timeout = "10s"
deadline = true
rate_limit = { rate = "100/s", burst = 20 }
arrivals = { poisson = "50/s" }

[[workload]]
entry = "payment.charge"
rate_limit = { rate = 30 }
arrivals = { poisson = "5/s" }

[[fault]]
name = "bank link cut"
target = "payment->bank"
kind = "partition"
at = "2m"
duration = "20s"

[[fault]]
target = "bank#1"
kind = "crash"
mtbf = { dist = "exp", mean = "10m" }
mttr = { dist = "exp", mean = "30s" }

[[fault]]
target = "inventory"
kind = "slow"
factor = 10.0
delay = "2s"
at = "1m"
duration = "1m"

[[fault]]
target = "order"
kind = "error"
probability = 0.5
at = "3m"
duration = "10s"

[[fault]]
target = "gateway -> inventory"
kind = "partition"
at = "4m"
duration = "10s"

[[fault]]
target = "client->gateway"
kind = "partition"
at = "5m"
duration = "10s"

[[fault]]
target = "order"
kind = "error"
probability = 1
at = "6m"
duration = "10s"
"#;

#[test]
fn simulation_timeline_and_blast_threshold() {
    let s = load_str(RESILIENT, Path::new("r.toml")).unwrap();
    assert_eq!(s.sim.timeline, 500_000_000);
    assert_eq!(s.sim.blast_threshold, 0.05);
    // Defaults: 1 s (or the whole run if shorter) and 0.01.
    let d = load_str(MODEL_USER, Path::new("m.toml")).unwrap();
    assert_eq!(
        (d.sim.timeline, d.sim.blast_threshold),
        (1_000_000_000, 0.01)
    );
    let short = MODEL_USER.replace("duration = \"1m\"", "duration = \"300ms\"");
    let d = load_str(&short, Path::new("m.toml")).unwrap();
    assert_eq!(d.sim.timeline, 300_000_000);
}

/// `MODEL_USER` with `[simulation] key = v`, loaded.
fn with_sim_key(key: &str, v: &str) -> Result<archsim::model::Scenario, archsim::spec::SpecError> {
    let text = MODEL_USER.replace(
        "duration = \"1m\"",
        &format!("duration = \"1m\"\n{key} = {v}"),
    );
    load_str(&text, Path::new("m.toml"))
}

/// `[simulation] key = bad` is refused with an error naming the file and the key that
/// contains `says`.
fn assert_sim_key_refused(key: &str, bad: &str, says: &str) {
    let e = with_sim_key(key, bad).expect_err(bad).to_string();
    assert!(
        e.contains("m.toml:") && e.contains(&format!("simulation.{key}")),
        "{bad}: {e}"
    );
    assert!(e.contains(says), "{bad}: {e}");
}

#[test]
fn max_events_is_a_count_in_any_notation() {
    let with = |v: &str| with_sim_key("max_events", v).map(|s| s.sim.max_events);
    assert_eq!(with("30000000").unwrap(), 30_000_000);
    assert_eq!(with("30_000_000").unwrap(), 30_000_000);
    assert_eq!(with("1e10").unwrap(), 10_000_000_000);
    assert_eq!(with("\"3e7\"").unwrap(), 30_000_000);
    let default = load_str(MODEL_USER, Path::new("m.toml")).unwrap();
    assert_eq!(default.sim.max_events, archsim::model::DEFAULT_MAX_EVENTS);
    for (bad, says) in [
        ("2500000.5", "expected a whole number"),
        ("-5", "expected a whole number"),
        ("\"lots\"", "expected a whole number"),
        ("1e5", "must be >= 1000000, got 100000"),
        ("true", "expected a count such as 30000000"),
    ] {
        assert_sim_key_refused("max_events", bad, says);
    }
}

#[test]
fn max_pending_is_a_count_of_at_least_a_thousand() {
    let with = |v: &str| with_sim_key("max_pending", v).map(|s| s.sim.max_pending);
    assert_eq!(with("1e8").unwrap(), 100_000_000);
    assert_eq!(with("\"2e5\"").unwrap(), 200_000);
    assert_eq!(with("1000").unwrap(), 1000);
    let default = load_str(MODEL_USER, Path::new("m.toml")).unwrap();
    assert_eq!(default.sim.max_pending, archsim::model::DEFAULT_MAX_PENDING);
    for (bad, says) in [
        ("999", "must be >= 1000, got 999"),
        ("2500.5", "expected a whole number"),
    ] {
        assert_sim_key_refused("max_pending", bad, says);
    }
}

#[test]
fn max_pending_override_is_in_a_plan_only_when_given() {
    // Plans carry the overrides as JSON: one written before `--max-pending` existed
    // must read back, and a plan without the flag must keep its bytes.
    let before = r#"{"seed":7,"replications":null,"duration":"1m","max_events":null}"#;
    let o: spec::Overrides = serde_json::from_str(before).unwrap();
    assert_eq!(o.max_pending, None);
    assert_eq!(serde_json::to_string(&o).unwrap(), before);
    let given = spec::Overrides {
        max_pending: Some(5_000),
        ..o
    };
    let text = serde_json::to_string(&given).unwrap();
    assert!(text.ends_with(r#","max_pending":5000}"#), "{text}");
    assert_eq!(
        serde_json::from_str::<spec::Overrides>(&text).unwrap(),
        given
    );
    let m = spec::load_with(MODEL_USER, Path::new("m.toml"), &given).unwrap();
    assert_eq!(m.sim.max_pending, 5_000);
}

#[test]
fn policies_land_at_their_call_site() {
    let s = load_str(RESILIENT, Path::new("r.toml")).unwrap();
    // Sites in operation, group, call order: gateway.checkout has sites 0, 1, 2;
    // payment.charge (after inventory and order, which make no calls) has site 3.
    assert_eq!(s.policies.len(), 4);
    let checkout = &s.operations[s.operation_by_name("gateway.checkout").unwrap().0 as usize];
    let sites: Vec<u32> = checkout
        .groups
        .iter()
        .flat_map(|g| g.calls.iter().map(|c| c.site))
        .collect();
    assert_eq!(sites, [0, 1, 2]);
    let charge = &s.operations[s.operation_by_name("payment.charge").unwrap().0 as usize];
    assert_eq!(charge.groups[0].calls[0].site, 3);

    // order.place: only a retry, with the defaults.
    let p0 = &s.policies[0];
    let r = p0.retry.as_ref().unwrap();
    assert_eq!(
        (
            r.max_attempts,
            r.backoff,
            r.multiplier,
            r.max_backoff,
            r.jitter,
            r.budget
        ),
        (3, 0, 2.0, 30_000_000_000, false, None)
    );
    assert!(p0.breaker.is_none() && p0.bulkhead.is_none() && p0.fallback.is_none());
    // inventory.reserve: bulkhead and fallback.
    let p1 = &s.policies[1];
    assert_eq!(p1.bulkhead, Some(50));
    assert!(matches!(p1.fallback, Some(Dist::Exponential { mean }) if mean == ms(2.0)));
    assert!(p1.retry.is_none() && p1.hedge.is_none());
    // payment.charge (from the gateway): a hedge only.
    assert_eq!(s.policies[2].hedge, Some(200_000_000));
    assert!(s.policies[2].retry.is_none());
    // bank.authorize: everything.
    let p3 = &s.policies[3];
    let r = p3.retry.as_ref().unwrap();
    assert_eq!(
        (
            r.max_attempts,
            r.backoff,
            r.multiplier,
            r.max_backoff,
            r.jitter,
            r.budget
        ),
        (4, 100_000_000, 1.5, 10_000_000_000, true, Some(0.1))
    );
    let b = p3.breaker.as_ref().unwrap();
    assert_eq!(
        (
            b.failure_ratio,
            b.window,
            b.min_calls,
            b.open_for,
            b.half_open_probes
        ),
        (0.5, 20_000_000_000, 20, 7_000_000_000, 3)
    );
    assert_eq!(p3.bulkhead, Some(8));
    assert!(matches!(p3.fallback, Some(Dist::Constant(2_000_000))));
    assert_eq!(p3.hedge, Some(1_000_000_000));

    // A breaker with only the ratio takes the defaults.
    let text = RESILIENT.replace(
        "bulkhead = 50,",
        "bulkhead = 50, circuit_breaker = { failure_ratio = 1 },",
    );
    let s = load_str(&text, Path::new("r.toml")).unwrap();
    let b = s.policies[1].breaker.as_ref().unwrap();
    assert_eq!(
        (
            b.failure_ratio,
            b.window,
            b.min_calls,
            b.open_for,
            b.half_open_probes
        ),
        (1.0, 10_000_000_000, 10, 5_000_000_000, 1)
    );
}

#[test]
fn workloads_take_deadline_and_rate_limit() {
    let s = load_str(RESILIENT, Path::new("r.toml")).unwrap();
    let w = &s.workloads;
    assert!(w[0].deadline);
    let rl = w[0].rate_limit.unwrap();
    assert_eq!((rl.rate, rl.burst), (100.0, 20));
    assert!(!w[1].deadline);
    let rl = w[1].rate_limit.unwrap();
    assert_eq!((rl.rate, rl.burst), (30.0, 1), "burst defaults to 1");
    let plain = load_str(MODEL_USER, Path::new("m.toml")).unwrap();
    assert!(!plain.workloads[0].deadline && plain.workloads[0].rate_limit.is_none());
}

#[test]
fn faults_compile_in_file_order_with_their_targets_and_schedules() {
    use archsim::model::{FaultKind, FaultSchedule, FaultTarget};
    let s = load_str(RESILIENT, Path::new("r.toml")).unwrap();
    let bank = s.service_by_name("bank").unwrap();
    let names: Vec<&str> = s.faults.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bank link cut",
            "crash bank#1",
            "slow inventory",
            "error order",
            "partition gateway -> inventory",
            "partition client->gateway",
            "error order (2)"
        ]
    );
    // The replica fault, stochastic.
    let f = &s.faults[1];
    assert_eq!(f.target, FaultTarget::Replica(bank, 1));
    assert!(matches!(f.kind, FaultKind::Crash));
    match &f.schedule {
        FaultSchedule::Stochastic { mtbf, mttr } => {
            assert!((mtbf.mean() - 600e9).abs() < 1.0);
            assert!((mttr.mean() - 30e9).abs() < 1.0);
        }
        other => panic!("{other:?}"),
    }
    // Slow and error, on a window.
    let inv = s.service_by_name("inventory").unwrap();
    assert_eq!(s.faults[2].target, FaultTarget::Service(inv));
    assert!(
        matches!(s.faults[2].kind, FaultKind::Slow { factor, delay } if factor == 10.0 && delay == 2_000_000_000)
    );
    assert!(matches!(
        s.faults[2].schedule,
        FaultSchedule::Window {
            at: 60_000_000_000,
            duration: 60_000_000_000
        }
    ));
    assert!(matches!(s.faults[3].kind, FaultKind::Error { probability } if probability == 0.5));
}

#[test]
fn a_link_fault_gets_a_dedicated_link_that_the_calls_use() {
    use archsim::model::FaultTarget;
    let s = load_str(RESILIENT, Path::new("r.toml")).unwrap();
    let links: Vec<&str> = s.links.iter().map(|l| l.name.as_str()).collect();
    // The declared link, then one per faulted undeclared pair, in fault order.
    assert_eq!(
        links,
        [
            "default",
            "gateway->inventory",
            "payment->bank",
            "client->gateway"
        ]
    );
    // The new links copy the default latency and loss.
    assert!(matches!(s.links[2].latency, Dist::Constant(1_000_000)));
    assert_eq!(s.links[2].loss, 0.001);
    assert_eq!(s.faults[0].target, FaultTarget::Link(LinkId(2)));
    assert_eq!(
        s.faults[4].target,
        FaultTarget::Link(LinkId(1)),
        "a declared link is used as is"
    );
    assert_eq!(s.faults[5].target, FaultTarget::Link(LinkId(3)));
    // payment -> bank calls moved onto the dedicated link; other calls stay put.
    let charge = &s.operations[s.operation_by_name("payment.charge").unwrap().0 as usize];
    assert_eq!(charge.groups[0].calls[0].link, LinkId(2));
    let checkout = &s.operations[s.operation_by_name("gateway.checkout").unwrap().0 as usize];
    assert_eq!(
        checkout.groups[0].calls[0].link,
        LinkId(0),
        "gateway->order"
    );
    assert_eq!(
        checkout.groups[1].calls[0].link,
        LinkId(1),
        "gateway->inventory"
    );
    assert_eq!(
        checkout.groups[1].calls[1].link,
        LinkId(0),
        "gateway->payment"
    );
    // The client link applies to the workload entering the gateway only.
    assert_eq!(
        (s.workloads[0].link, s.workloads[1].link),
        (LinkId(3), LinkId(0))
    );
}

#[test]
fn fault_and_policy_mistakes_are_explained() {
    let cases = [
        (
            "target = \"payment->bank\"",
            "target = \"bank->payment\"",
            "r.toml:51: fault[0].target: link bank->payment carries no traffic: no operation of bank calls payment, so a fault there has no effect (a link is named caller first: did you mean \"payment->bank\"?)",
        ),
        (
            "target = \"payment->bank\"",
            "target = \"payment->client\"",
            "\"client\" can only be the first end of a link",
        ),
        (
            "target = \"bank#1\"",
            "target = \"bank#one\"",
            "replica index \"one\" is not a number",
        ),
        (
            "probability = 0.5",
            "",
            "r.toml:70: fault[3]: an error fault needs `probability`",
        ),
        (
            "factor = 10.0",
            "factor = 10.0\nprobability = 0.2",
            "fault[2].probability: `probability` applies only to kind = \"error\" (this fault is \"slow\")",
        ),
        (
            "at = \"1m\"",
            "at = \"10m\"",
            "fault[2].at: the fault starts at 10m00s, not before the end of the simulation",
        ),
        (
            "mttr = { dist = \"exp\", mean = \"30s\" }",
            "",
            "fault[1]: missing `mttr`",
        ),
        (
            "mttr = { dist = \"exp\", mean = \"30s\" }",
            "mttr = \"0s\"",
            "fault[1].mttr: the mean must be greater than 0s",
        ),
        (
            "target = \"inventory\"",
            "name = \"bank link cut\"\ntarget = \"inventory\"",
            "fault[2].name: duplicate fault name \"bank link cut\"",
        ),
        (
            "hedge = \"1s\"",
            "hedge = \"5s\"",
            "hedge (5.000s) must be shorter than the call's timeout (5.000s)",
        ),
        (
            "max_backoff = \"10s\"",
            "max_backoff = \"10ms\"",
            "max_backoff (10.00ms) must not be shorter than backoff (100.00ms)",
        ),
        (
            "budget = 0.1",
            "budget = 0",
            "steps[0].retry.budget: must be in (0, 10], got 0",
        ),
        (
            "multiplier = 1.5",
            "multiplier = 0.5",
            "retry.multiplier: must be >= 1, got 0.5",
        ),
        (
            "retry = { attempts = 3 }",
            "retry = 3",
            "steps[0].retry: invalid type: integer `3`, expected a table such as { attempts = 3",
        ),
        (
            "retry = { attempts = 3 }",
            "retry = { backoff = \"1s\" }",
            "steps[0].retry: missing `attempts`",
        ),
        (
            "window = \"20s\"",
            "window = \"0s\"",
            "circuit_breaker.window: must be greater than 0s",
        ),
        (
            "bulkhead = 8",
            "bulkhead = 0",
            "steps[0].bulkhead: must be >= 1, got 0",
        ),
        (
            "rate_limit = { rate = 30 }",
            "rate_limit = { burst = 30 }",
            "workload[1].rate_limit: missing `rate`",
        ),
        (
            "blast_threshold = 0.05",
            "blast_threshold = 0",
            "r.toml:5: simulation.blast_threshold: must be in (0, 1], got 0",
        ),
        (
            "kind = \"crash\"",
            "kind = \"crash\"\ncolor = \"red\"",
            "unknown field `color`, expected one of `name`, `target`, `kind`",
        ),
    ];
    for (from, to, want) in cases {
        assert!(RESILIENT.contains(from), "{from}");
        let text = RESILIENT.replacen(from, to, 1);
        let msg = load_str(&text, Path::new("r.toml"))
            .err()
            .unwrap_or_else(|| panic!("{to:?} loaded"))
            .to_string();
        assert!(msg.contains(want), "{to:?}: expected {want:?} in {msg:?}");
        assert!(msg.starts_with("r.toml:"), "{msg}");
    }
}
