//! Kernel benchmarks: the bare event loop under the classic "hold" model.
//!
//! Each handled event schedules one successor at `now + U[1, 2 mean]` (integer uniform
//! increments: the kernel is measured, not the logarithm of an exponential draw), so the
//! number of pending events stays constant. Throughput is reported in events per second.

use archsim::kernel::{run_until, EventQueue, Model, RngStream, SimTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

struct Hold {
    rng: RngStream,
    mean: f64,
}

impl Model for Hold {
    type Event = u32;
    #[inline]
    fn handle(&mut self, now: SimTime, event: u32, queue: &mut EventQueue<u32>) {
        let gap = self.rng.below(2 * self.mean as u32) as SimTime;
        queue.schedule(now + gap + 1, black_box(event));
    }
}

/// Run the hold model with `pending` events until about `events` are handled.
fn hold(pending: u32, events: u64) -> u64 {
    let mean = 1_000_000.0;
    let mut model = Hold {
        rng: RngStream::from_seed(1),
        mean,
    };
    let mut queue = EventQueue::with_capacity(pending as usize);
    // Start in steady state: each pending event's time is one exponential gap away.
    for i in 0..pending {
        let t = (-mean * (1.0 - model.rng.unit()).ln()) as SimTime;
        queue.schedule(t, i);
    }
    // `pending` events each recur every `mean` ns: pending/mean events per ns.
    let horizon = (events as f64 * mean / pending as f64) as SimTime;
    run_until(&mut model, &mut queue, horizon)
}

fn bench_hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("kernel_hold");
    let events = 1_000_000u64;
    for pending in [1_000u32, 100_000] {
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, &p| {
            b.iter(|| hold(p, events))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_hold
}
criterion_main!(benches);
