//! The bare heap loop of `bare-mm1` as a library: M/M/1 at rho 0.9 on the plainest
//! possible event loop (see the binary's documentation for why it exists and what it
//! does). The binary prints its outcome; `benches/engine.rs` runs it as
//! `engine/bare_mm1`, so the engine's throughput and this floor's are measured in the
//! same criterion run.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

const ARRIVAL: u8 = 0;
const DEPARTURE: u8 = 1;
/// Mean inter-arrival time: 1 / (0.9 per ms), in ns.
const MEAN_GAP_NS: f64 = 1e6 / 0.9;
/// Mean service time: 1 ms, in ns.
const MEAN_SERVICE_NS: f64 = 1e6;

/// One exponential draw of mean `mean` ns, by inversion, rounded to the nanosecond.
#[inline]
fn exp_ns(rng: &mut Pcg64Mcg, mean: f64) -> u64 {
    let u: f64 = rng.random();
    (-mean * (1.0 - u).ln()).round() as u64
}

/// What one run measured.
pub struct Outcome {
    /// Customers served.
    pub served: u64,
    /// Sum of their response times, ns.
    pub sum_response_ns: u128,
    /// Events handled.
    pub events: u64,
}

/// Simulate `customers` arrivals and run until the last one has left.
pub fn simulate(customers: u64, seed: u64) -> Outcome {
    let mut arrivals = Pcg64Mcg::seed_from_u64(seed);
    let mut service = Pcg64Mcg::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8)>> = BinaryHeap::new();
    let mut in_system: VecDeque<u64> = VecDeque::new();
    let mut seq: u64 = 0;
    let mut arrived: u64 = 0;
    let mut out = Outcome {
        served: 0,
        sum_response_ns: 0,
        events: 0,
    };
    if customers > 0 {
        heap.push(Reverse((exp_ns(&mut arrivals, MEAN_GAP_NS), seq, ARRIVAL)));
        seq += 1;
    }
    while let Some(Reverse((now, _, kind))) = heap.pop() {
        out.events += 1;
        if kind == ARRIVAL {
            arrived += 1;
            if arrived < customers {
                let next = now + exp_ns(&mut arrivals, MEAN_GAP_NS);
                heap.push(Reverse((next, seq, ARRIVAL)));
                seq += 1;
            }
            in_system.push_back(now);
            if in_system.len() == 1 {
                let done = now + exp_ns(&mut service, MEAN_SERVICE_NS);
                heap.push(Reverse((done, seq, DEPARTURE)));
                seq += 1;
            }
        } else {
            let came = in_system.pop_front().expect("a departure has a customer");
            out.served += 1;
            out.sum_response_ns += u128::from(now - came);
            if !in_system.is_empty() {
                let done = now + exp_ns(&mut service, MEAN_SERVICE_NS);
                heap.push(Reverse((done, seq, DEPARTURE)));
                seq += 1;
            }
        }
    }
    out
}
