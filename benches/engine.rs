//! End-to-end engine benchmarks, through the full TOML path, one replication on one
//! thread. Throughput is in simulated client requests ("customers") per second.
//!
//! - `mm1_rho0.9`: one station, Poisson arrivals, exponential service.
//! - `sync_chain_4hop`: gateway -> order -> payment -> bank, workers held across calls,
//!   lognormal network latency on every hop.
//! - `..._traced`: the same through `trace_replication`, as replication 1 of every run
//!   goes (critical paths and breakdowns): the difference is the cost of tracing.
//! - `bare_mm1`: the same M/M/1 customers on the bare heap loop of `crates/bare-loop`
//!   (the side-by-side benchmark's floor). Absolute rates follow the machine; the
//!   ratio of `mm1_rho0.9` to this one, measured in the same run, carries.

use archsim::engine::{run_replication, trace_replication};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;

const MM1: &str = r#"
[simulation]
seed = 1
duration = "1000s"
[network]
latency = "0s"
[protocols.rest]
per_message = "0s"
per_kib = "0s"
[services.server]
workers = 1
queue = 1000000
operations.serve = { work = { dist = "exp", mean = "1ms" } }
[[workload]]
flow = "mm1"
entry = "server.serve"
arrivals = { poisson = "900/s" }
"#;

const CHAIN: &str = r#"
[simulation]
seed = 1
duration = "100s"
[network]
latency = { dist = "lognormal", median = "0.5ms", p99 = "5ms" }
[services.gateway]
workers = 64
queue = 256
operations.checkout = { work = { dist = "exp", mean = "0.1ms" }, steps = [ { call = "order.place" } ] }
[services.order]
workers = 64
queue = 256
operations.place = { work = { dist = "exp", mean = "0.2ms" }, steps = [ { call = "payment.charge", protocol = "grpc" } ] }
[services.payment]
workers = 64
queue = 256
operations.charge = { work = { dist = "exp", mean = "0.3ms" }, steps = [ { call = "bank.authorize", timeout = "1s" } ] }
[services.bank]
workers = 64
queue = 256
operations.authorize = { work = { dist = "exp", mean = "0.5ms" } }
[[workload]]
flow = "checkout"
entry = "gateway.checkout"
arrivals = { poisson = "10000/s" }
"#;

/// Parse, compile and run one replication (traced or not); returns the client
/// requests simulated.
fn run_toml(toml: &str, traced: bool) -> u64 {
    let sc = archsim::spec::load_str(toml, Path::new("bench.toml")).expect("valid bench scenario");
    let m = if traced {
        trace_replication(&sc, 0).expect("conservation holds").0
    } else {
        run_replication(&sc, 0).expect("conservation holds")
    };
    m.conservation.requests_sent
}

fn bench_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    let mm1_customers = run_toml(MM1, false);
    group.throughput(Throughput::Elements(mm1_customers));
    group.bench_function("bare_mm1", |b| {
        b.iter(|| bare_loop::simulate(mm1_customers, 1).served)
    });
    for (name, toml) in [("mm1_rho0.9", MM1), ("sync_chain_4hop", CHAIN)] {
        let customers = run_toml(toml, false);
        group.throughput(Throughput::Elements(customers));
        group.bench_function(name, |b| b.iter(|| run_toml(toml, false)));
        let traced = format!("{name}_traced");
        group.bench_function(traced.as_str(), |b| b.iter(|| run_toml(toml, true)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_engine
}
criterion_main!(benches);
