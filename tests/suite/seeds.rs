//! `sweep --seeds`: the probability that the retry storm goes metastable, per point,
//! with its Wilson interval; the same bytes when planned, sharded and merged.

use std::path::Path;

/// The standard output of a successful `archsim` run.
fn archsim(cwd: &Path, args: &[&str]) -> Vec<u8> {
    crate::common::archsim(cwd, args).stdout
}

const FLAGS: [&str; 9] = [
    "--set",
    "fault.0.duration=300ms,420ms",
    "--seeds",
    "0..5",
    "-r",
    "1",
    "--duration",
    "90s",
    "--quiet",
];

#[test]
fn the_retry_storm_goes_metastable_with_a_probability_that_grows_with_its_trigger() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        root.join("scenarios/failures/retry-storm.toml"),
        d.path().join("storm.toml"),
    )
    .unwrap();
    let mut a = vec!["sweep", "storm.toml"];
    a.extend(FLAGS);
    let table = String::from_utf8(archsim(d.path(), &a)).unwrap();
    assert!(table.contains("probability of going metastable"), "{table}");
    assert!(table.contains("95% CI (Wilson)"), "{table}");
    let mut j = a.clone();
    j.extend(["--json", "-"]);
    let json: serde_json::Value = serde_json::from_slice(&archsim(d.path(), &j)).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let p: Vec<f64> = rows
        .iter()
        .map(|r| r["probability"].as_f64().unwrap())
        .collect();
    for r in rows {
        assert_eq!(r["runs"], 6);
        let (lo, hi, pr) = (
            r["ci_low"].as_f64().unwrap(),
            r["ci_high"].as_f64().unwrap(),
            r["probability"].as_f64().unwrap(),
        );
        assert!(
            0.0 <= lo && lo <= pr && pr <= hi && hi <= 1.0 && hi - lo > 0.1,
            "{r}"
        );
    }
    // A short trigger is survived, a longer one tips the system over in most seeds.
    assert!(p[0] < 0.5 && p[1] > 0.5, "{p:?}");

    // Planned in 4 shards, merged: the same table and JSON.
    let mut pa = vec!["plan", "sweep", "storm.toml"];
    pa.extend(&FLAGS[..8]);
    pa.extend(["--shards", "4", "-o", "plan.json"]);
    archsim(d.path(), &pa);
    for i in ["3", "1", "0", "2"] {
        archsim(
            d.path(),
            &["shard", "plan.json", "--index", i, "--out", "parts", "-q"],
        );
    }
    let merged = String::from_utf8(archsim(d.path(), &["merge", "plan.json", "parts"])).unwrap();
    assert_eq!(merged, table);
    let mj = archsim(d.path(), &["merge", "plan.json", "parts", "--json", "-"]);
    assert!(mj == archsim(d.path(), &j), "merged JSON differs");
}
