//! Plan, shard and merge: for any number of shards, and parts given in any order, a
//! merge writes the very bytes the one-machine command writes (table, JSON, CSV and
//! every file of the report); bad plans and parts are one-line errors.

use std::path::{Path, PathBuf};
use std::process::Output;

/// A chain with a fault, a breaker-free retry and a queue: every metric kind
/// (histograms, failures by root cause, timelines, fault windows, traced paths).
pub(crate) const CHAIN: &str = r#"
[simulation]
seed = 3
duration = "6s"
warmup = "1s"
replications = 2

[network]
latency = { dist = "exp", mean = "1ms" }

[services.front]
workers = 16
queue = 8
operations.get = { work = { dist = "exp", mean = "1ms" }, steps = [ { call = "db.read", timeout = "40ms", retry = { attempts = 2 } } ] }
operations.cached = { work = { dist = "exp", mean = "1ms" }, steps = [ { call = "cache.get", timeout = "50ms", fallback = "1ms" } ] }

[services.db]
workers = 4
queue = 20
operations.read = { work = { dist = "exp", mean = "8ms" } }

[services.cache]
workers = 8
operations.get = { work = { dist = "exp", mean = "1ms" } }

[[workload]]
flow = "read"
entry = "front.get"
arrivals = { poisson = "300/s" }

[[fault]]
name = "db slow"
target = "db"
kind = "slow"
factor = 3
at = "3s"
duration = "1s"
"#;

const COMPARE: &str = r#"
[compare]
flow = "read"
variants = [ { name = "direct", entry = "front.get" }, { name = "cached", entry = "front.cached" } ]
"#;

pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_archsim")
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    std::process::Command::new(bin())
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("archsim runs")
}

pub(crate) fn ok(cwd: &Path, args: &[&str]) -> Vec<u8> {
    let out = run(cwd, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The one-line error of a command that must fail with exit code 2.
fn fails(cwd: &Path, args: &[&str]) -> String {
    let out = run(cwd, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A directory holding the scenario as `scen.toml`.
pub(crate) fn workdir(toml: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("scen.toml"), toml).unwrap();
    d
}

/// Every file under `dir` (relative path, bytes), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, std::fs::read(&p).unwrap()));
    }
    out
}

pub(crate) const OUTPUTS: [&str; 6] = ["--json", "out.json", "--csv", "out.csv", "--report", "rep"];

/// What the one-machine command writes: (stdout, json, csv, report files).
pub(crate) type Written = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<(String, Vec<u8>)>);

pub(crate) fn written(dir: &Path, stdout: Vec<u8>) -> Written {
    (
        stdout,
        std::fs::read(dir.join("out.json")).unwrap(),
        std::fs::read(dir.join("out.csv")).unwrap(),
        files(&dir.join("rep")),
    )
}

/// The one-machine command `cmd args` with the outputs.
pub(crate) fn one_machine(toml: &str, cmd: &str, args: &[&str]) -> Written {
    let d = workdir(toml);
    let mut a = vec![cmd, "scen.toml"];
    a.extend(args);
    a.extend(OUTPUTS);
    let stdout = ok(d.path(), &a);
    written(d.path(), stdout)
}

/// Plans `kind args` in `shards` shards in `dir`; returns the part files, in the
/// order the shards wrote them.
fn plan_and_shard(dir: &Path, kind: &str, args: &[&str], shards: u32) -> Vec<PathBuf> {
    let n = shards.to_string();
    let mut a = vec!["plan", kind, "scen.toml"];
    a.extend(args);
    a.extend(["--shards", &n, "-o", "plan.json"]);
    ok(dir, &a);
    let mut parts = Vec::new();
    for i in 0..shards {
        let out = ok(
            dir,
            &[
                "shard",
                "plan.json",
                "--index",
                &i.to_string(),
                "--out",
                "parts",
            ],
        );
        let line = String::from_utf8(out).unwrap();
        parts.push(PathBuf::from(line.split(": ").next().unwrap()));
    }
    parts
}

/// Plan + shards + merge (parts shuffled), as the one-machine command writes it.
fn distributed(toml: &str, kind: &str, args: &[&str], shards: u32) -> Written {
    let d = workdir(toml);
    let mut parts = plan_and_shard(d.path(), kind, args, shards);
    // Shuffled: a fixed permutation (rotated by 1, then reversed), and shard 0's part
    // twice (an identical duplicate, as a retried task leaves).
    parts.rotate_left(1);
    parts.reverse();
    parts.push(parts[parts.len() / 2].clone());
    let names: Vec<String> = parts.iter().map(|p| p.display().to_string()).collect();
    let mut a = vec!["merge", "plan.json"];
    a.extend(names.iter().map(String::as_str));
    a.extend(OUTPUTS);
    let stdout = ok(d.path(), &a);
    written(d.path(), stdout)
}

pub(crate) fn assert_same(what: &str, k: u32, one: &Written, many: &Written) {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert_eq!(s(&many.0), s(&one.0), "{what}, {k} shards: table");
    assert!(many.1 == one.1, "{what}, {k} shards: JSON differs");
    assert!(many.2 == one.2, "{what}, {k} shards: CSV differs");
    let names = |w: &Written| w.3.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(many), names(one), "{what}, {k} shards: report files");
    assert!(names(one).iter().any(|n| n == "index.html") && names(one).len() > 2);
    for (a, b) in many.3.iter().zip(&one.3) {
        assert!(
            a.1 == b.1,
            "{what}, {k} shards: report file {} differs",
            a.0
        );
    }
}

#[test]
fn a_sharded_sweep_merges_to_the_one_machine_bytes() {
    let args = [
        "--set",
        "workload.0.arrivals.poisson=200/s,400/s",
        "-r",
        "2",
    ];
    let one = one_machine(CHAIN, "sweep", &args);
    // 2 points x 2 replications = 4 units: 7 and 9 shards leave some empty.
    for k in [1, 2, 3, 7, 9] {
        assert_same("sweep", k, &one, &distributed(CHAIN, "sweep", &args, k));
    }
}

#[test]
fn a_sharded_run_merges_to_the_one_machine_bytes() {
    let args = ["--seed", "11"];
    let one = one_machine(CHAIN, "run", &args);
    // The table shows the traced critical paths of replication 0.
    assert!(String::from_utf8_lossy(&one.0).contains("critical path"));
    for k in [1, 2, 3, 7] {
        assert_same("run", k, &one, &distributed(CHAIN, "run", &args, k));
    }
}

#[test]
fn a_sharded_compare_merges_to_the_one_machine_bytes() {
    let toml = format!("{CHAIN}{COMPARE}");
    let args = ["--duration", "5s"];
    let one = one_machine(&toml, "compare", &args);
    // 2 variants x 2 replications = 4 units.
    for k in [1, 2, 3, 7, 5] {
        assert_same("compare", k, &one, &distributed(&toml, "compare", &args, k));
    }
}

#[test]
fn shard_reruns_write_the_same_bytes() {
    let d = workdir(CHAIN);
    let parts = plan_and_shard(d.path(), "run", &[], 2);
    let first = std::fs::read(d.path().join(&parts[1])).unwrap();
    ok(
        d.path(),
        &[
            "shard",
            "plan.json",
            "--index",
            "1",
            "--of",
            "2",
            "--out",
            "parts",
        ],
    );
    assert!(std::fs::read(d.path().join(&parts[1])).unwrap() == first);
    // No temporary file is left behind.
    assert_eq!(
        std::fs::read_dir(d.path().join("parts")).unwrap().count(),
        2
    );
}

/// Rewrites the body of part `path` with `edit` and fixes its checksum, so that only
/// the edit is seen.
fn rewrite_part(path: &Path, edit: impl Fn(&str) -> String) {
    use sha2::{Digest, Sha256};
    let text = std::fs::read_to_string(path).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let body = edit(body.trim_end());
    let sha: String = Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let old = header.split("\"sha256\":\"").nth(1).unwrap()[..64].to_string();
    std::fs::write(path, format!("{}\n{body}\n", header.replace(&old, &sha))).unwrap();
}

#[test]
fn bad_plans_and_parts_are_one_line_errors() {
    let d = workdir(CHAIN);
    let dir = d.path();
    let parts = plan_and_shard(dir, "run", &[], 3);
    let p = |i: usize| parts[i].display().to_string();
    let merge = |extra: &[&str]| {
        let mut a = vec!["merge", "plan.json"];
        a.extend(extra);
        fails(dir, &a)
    };

    // A missing part, and --missing naming its shard as sbatch takes it.
    let err = merge(&[&p(0), &p(2)]);
    assert!(
        err.contains("missing") && err.contains("shard(s) 1"),
        "{err}"
    );
    let listed = ok(dir, &["merge", "plan.json", &p(2), "--missing"]);
    assert_eq!(String::from_utf8(listed).unwrap(), "0-1\n");
    assert!(ok(dir, &["merge", "plan.json", "parts", "--missing"]).is_empty());

    // Shard flags that do not fit the plan.
    let err = fails(dir, &["shard", "plan.json", "--index", "3", "--out", "x"]);
    assert!(err.contains("out of range"), "{err}");
    let err = fails(
        dir,
        &[
            "shard",
            "plan.json",
            "--index",
            "0",
            "--of",
            "4",
            "--out",
            "x",
        ],
    );
    assert!(err.contains("--of 4"), "{err}");

    // Parts of another input (another seed: another plan) or another plan.
    std::fs::create_dir(dir.join("other")).unwrap();
    ok(
        dir,
        &[
            "plan",
            "run",
            "scen.toml",
            "--seed",
            "9",
            "--shards",
            "3",
            "-o",
            "other/plan.json",
        ],
    );
    ok(
        dir,
        &["shard", "other/plan.json", "--index", "1", "--out", "other"],
    );
    let other = std::fs::read_dir(dir.join("other"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.extension().is_some_and(|x| x == "part"))
        .unwrap();
    let err = merge(&[&p(0), &other.display().to_string(), &p(2)]);
    assert!(err.contains("part of another plan"), "{err}");
    let err = fails(dir, &["merge", "other/plan.json", &p(0)]);
    assert!(err.contains("part of another plan"), "{err}");

    // A corrupted part (one byte changed in its body) and a truncated one.
    let corrupt = dir.join("corrupt.part");
    let mut bytes = std::fs::read(dir.join(&parts[1])).unwrap();
    let at = bytes.len() - 100;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&corrupt, &bytes).unwrap();
    let err = merge(&[&p(0), "corrupt.part", &p(2)]);
    assert!(err.contains("corrupt.part: checksum mismatch"), "{err}");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).unwrap();
    let err = merge(&[&p(0), "corrupt.part", &p(2)]);
    assert!(err.contains("corrupt.part"), "{err}");
    std::fs::write(&corrupt, "").unwrap();
    assert!(merge(&[&p(0), "corrupt.part", &p(2)]).contains("not a readable archsim part"));

    // A part from another archsim version.
    let old = dir.join("old.part");
    let text = std::fs::read_to_string(dir.join(&parts[1])).unwrap();
    let version = concat!("\"archsim_version\":\"", env!("CARGO_PKG_VERSION"), "\"");
    std::fs::write(
        &old,
        text.replacen(version, "\"archsim_version\":\"0.0.1\"", 1),
    )
    .unwrap();
    let err = merge(&[&p(0), "old.part", &p(2)]);
    assert!(err.contains("old.part: written by archsim 0.0.1"), "{err}");

    // A duplicate that differs from the first copy (checksum fixed: only the data differ).
    let twin = dir.join("twin.part");
    std::fs::copy(dir.join(&parts[1]), &twin).unwrap();
    rewrite_part(&twin, |b| b.replacen("\"events\":", "\"events\":1", 1));
    let err = merge(&[&p(0), &p(1), "twin.part", &p(2)]);
    assert!(err.contains("twin.part: unit 1 differs"), "{err}");

    // A plan edited after planning, or planned by another version.
    let plan = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    std::fs::write(
        dir.join("edited.json"),
        plan.replacen("\"replications\":2", "\"replications\":3", 1),
    )
    .unwrap();
    let err = fails(dir, &["merge", "edited.json", &p(0), &p(1), &p(2)]);
    assert!(
        err.contains("edited.json: the plan does not match its fingerprint"),
        "{err}"
    );
    let err = fails(dir, &["shard", "edited.json", "--index", "0", "--out", "x"]);
    assert!(err.contains("fingerprint"), "{err}");
    std::fs::write(
        dir.join("v.json"),
        plan.replacen(version, "\"archsim_version\":\"0.0.1\"", 1),
    )
    .unwrap();
    let err = fails(dir, &["merge", "v.json", &p(0)]);
    assert!(err.contains("planned with archsim 0.0.1"), "{err}");
    std::fs::write(dir.join("bad.json"), "{").unwrap();
    assert!(fails(dir, &["merge", "bad.json", &p(0)]).contains("not a readable archsim plan"));

    // The complete set still merges.
    ok(dir, &["merge", "plan.json", &p(2), &p(0), &p(1)]);
}
