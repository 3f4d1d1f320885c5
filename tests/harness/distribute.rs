//! A generated scenario run as a cluster would (DESIGN 8, *Distribution*): `archsim
//! plan run`, its shards run one by one, `archsim merge`; the merged JSON must be the
//! one-machine JSON, byte for byte.

use super::run::{self, Outcome};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Shards per plan: more than one unit per shard for most cases, and shards with no
/// unit for the one-replication ones.
const SHARDS: u32 = 3;

/// Cases whose merged JSON matched, for the harness's report.
pub static MATCHED: AtomicU64 = AtomicU64::new(0);

/// One line for the harness's report.
pub fn summary() -> String {
    let label = format!("plan + {SHARDS} shards + merge");
    format!(
        "  {label:<28} {} cases, the same JSON as one machine",
        MATCHED.load(Ordering::Relaxed)
    )
}

/// Plans, shards and merges `file` in `dir`; `None` if the merged JSON is `one_machine`
/// (the output of `archsim run FILE --json - --quiet --max-events MAX`).
pub fn judge(
    file: &Path,
    dir: &Path,
    one_machine: &str,
    max_events: &str,
    budget: Duration,
) -> Option<(String, String)> {
    let fail = |class: &str, detail: String| Some((format!("distributed: {class}"), detail));
    let step = |args: &[&str], name: &str| run::run(args, dir, &dir.join(name), budget);
    let shards = SHARDS.to_string();
    let plan = [
        "plan",
        "run",
        file.to_str().unwrap(),
        "--max-events",
        max_events,
        "--shards",
        &shards,
        "-o",
        "plan.json",
    ];
    match step(&plan, "plan") {
        Outcome::Ok(_) => {}
        o => return fail(&format!("plan {}", o.class()), o.detail()),
    }
    for index in 0..SHARDS {
        let i = index.to_string();
        let shard = ["shard", "plan.json", "--index", &i, "--out", "parts", "-q"];
        match step(&shard, "shard") {
            Outcome::Ok(_) => {}
            o => return fail(&format!("shard {}", o.class()), o.detail()),
        }
    }
    let merge = ["merge", "plan.json", "parts", "--json", "-"];
    match step(&merge, "merge") {
        Outcome::Ok(merged) if merged == one_machine => {
            MATCHED.fetch_add(1, Ordering::Relaxed);
            None
        }
        Outcome::Ok(merged) => {
            let at = merged
                .bytes()
                .zip(one_machine.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(merged.len().min(one_machine.len()));
            let around = |s: &str| {
                s.get(at.saturating_sub(60)..(at + 60).min(s.len()))
                    .unwrap_or("")
                    .to_string()
            };
            fail(
                "differs",
                format!(
                    "merged JSON differs from one machine's at byte {at}:\n  merged: {}\n  one:    {}",
                    around(&merged),
                    around(one_machine)
                ),
            )
        }
        o => fail(&format!("merge {}", o.class()), o.detail()),
    }
}
