//! `bare-mm1`: M/M/1 at rho 0.9 on the plainest possible event loop.
//!
//! Why it exists: issue 11 asks that a whole `archsim run` of M/M/1 stay "within 4x of a
//! bare heap loop". This binary is that bare heap loop, the floor the comparison is made
//! against (`scripts/bench-side-by-side.py` runs both, in turn, and divides the CPU
//! seconds). It is deliberately nothing more than the textbook loop, so that the ratio
//! measures what archsim's generality (TOML model, components, tracing, histograms,
//! summaries, JSON) costs over the minimum any simulator of this model must do:
//!
//! - a `std::collections::BinaryHeap` of `Reverse((time_ns, seq, kind))` events, `kind`
//!   being arrival or departure, `seq` breaking ties first in, first out;
//! - a `VecDeque` of the arrival times of the customers in the system (the front one is in
//!   service): one server, unbounded FIFO queue;
//! - integer nanosecond time;
//! - exponential draws by inversion, `-mean * (1 - u).ln()`, from `rand_pcg::Pcg64Mcg`
//!   (one stream for arrivals, one for service), the generator archsim uses;
//! - only the count and the mean of the response times (no histogram).
//!
//! Model: Poisson arrivals at 0.9 per ms, exponential service of mean 1 ms. The mean
//! response time should be about 1/(mu - lambda) = 10 ms.
//!
//! Usage: `bare-mm1 [--customers N] [--seed S]` (defaults 1 000 000 and 1). Prints one
//! JSON line: `{"model":"mm1","customers":N,"mean_ms":...,"events":...}`. It is built
//! with the workspace's `[profile.release]`, the same as the `archsim` binary.

use std::process::ExitCode;

use bare_loop::simulate;

const USAGE: &str = "usage: bare-mm1 [--customers N] [--seed S]";

/// Parse a count such as `1000000` or `1_000_000`.
fn parse_count(flag: &str, value: Option<String>) -> Result<u64, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
    value
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{flag}: not a non-negative integer: {value}\n{USAGE}"))
}

fn main() -> ExitCode {
    let mut customers: u64 = 1_000_000;
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let parsed = match arg.as_str() {
            "--customers" | "-N" => parse_count(&arg, args.next()).map(|n| customers = n),
            "--seed" => parse_count(&arg, args.next()).map(|s| seed = s),
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => Err(format!("unknown argument: {arg}\n{USAGE}")),
        };
        if let Err(message) = parsed {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    let out = simulate(customers, seed);
    let mean_ms = if out.served == 0 {
        "null".to_string()
    } else {
        format!("{}", out.sum_response_ns as f64 / out.served as f64 / 1e6)
    };
    println!(
        "{{\"model\":\"mm1\",\"customers\":{},\"mean_ms\":{},\"events\":{}}}",
        out.served, mean_ms, out.events
    );
    ExitCode::SUCCESS
}
