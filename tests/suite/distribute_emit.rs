//! The job scripts `archsim plan --emit` prints: the Slurm array script runs as Slurm
//! would run each task, the Kubernetes manifest parses as YAML with the Indexed Job's
//! fields, the GNU parallel line runs here; each set of parts merges to the one-machine
//! bytes.

use std::path::Path;
use std::process::Command;

const MM1: &str = r#"
[simulation]
seed = 5
duration = "4s"
warmup = "1s"
replications = 2

[services.server]
workers = 1
operations.serve = { work = { dist = "exp", mean = "1ms" } }

[[workload]]
flow = "mm1"
entry = "server.serve"
arrivals = { poisson = "400/s" }
"#;

const SET: &str = "workload.0.arrivals.poisson=200/s,500/s";

/// The standard output of a successful `archsim` run.
fn archsim(cwd: &Path, args: &[&str]) -> Vec<u8> {
    crate::common::archsim(cwd, args).stdout
}

fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("mm1.toml"), MM1).unwrap();
    d
}

fn emit(dir: &Path, kind: &str) -> String {
    let out = archsim(
        dir,
        &[
            "plan",
            "sweep",
            "mm1.toml",
            "--set",
            SET,
            "--shards",
            "3",
            "-o",
            "plan.json",
            "--emit",
            kind,
            "--bin",
            env!("CARGO_BIN_EXE_archsim"),
            "--cpus",
            "1",
        ],
    );
    String::from_utf8(out).unwrap()
}

/// The merged CSV equals the one-machine sweep's.
fn assert_merges_like_one_machine(dir: &Path) {
    let merged = archsim(dir, &["merge", "plan.json", "parts", "--csv", "-"]);
    let one = archsim(dir, &["sweep", "mm1.toml", "--set", SET, "--csv", "-"]);
    assert!(merged.len() > 100);
    assert_eq!(
        String::from_utf8(merged).unwrap(),
        String::from_utf8(one).unwrap()
    );
}

#[test]
fn the_slurm_script_is_an_array_whose_tasks_make_the_parts() {
    let d = setup();
    let script = emit(d.path(), "slurm");
    for line in [
        "#SBATCH --array=0-2",
        "#SBATCH --output=parts/slurm-%A_%a.log",
        "export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
        "--index \"$SLURM_ARRAY_TASK_ID\"",
    ] {
        assert!(script.contains(line), "{line} in:\n{script}");
    }
    assert!(d.path().join("parts").is_dir(), "the log directory exists");
    std::fs::write(d.path().join("job.sh"), &script).unwrap();
    // Each task as Slurm runs it: the script with its array index.
    for i in 0..3 {
        let st = Command::new("bash")
            .arg("job.sh")
            .current_dir(d.path())
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .env("SLURM_CPUS_PER_TASK", "1")
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    assert_merges_like_one_machine(d.path());
}

#[test]
fn the_kubernetes_manifest_is_an_indexed_job_with_the_plan_in_a_configmap() {
    let d = setup();
    let yaml = emit(d.path(), "k8s");
    // PyYAML (.ci/run installs it): a full YAML parser, documents as JSON.
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(yaml.as_bytes())?;
            c.wait_with_output()
        });
    let out = match parsed {
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No module named 'yaml'") => {
            crate::common::tool_missing("PyYAML");
            return;
        }
        Ok(o) => o,
        Err(e) => {
            crate::common::tool_missing(&format!("python3 ({e})"));
            return;
        }
    };
    assert!(
        out.status.success(),
        "not YAML: {}\n{yaml}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 2, "a ConfigMap and a Job");
    let (cm, job) = (&docs[0], &docs[1]);
    assert_eq!(cm["kind"], "ConfigMap");
    let plan = std::fs::read_to_string(d.path().join("plan.json")).unwrap();
    assert_eq!(
        cm["data"]["plan.json"].as_str().unwrap().trim_end(),
        plan.trim_end()
    );
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["kind"], "Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 3);
    assert!(spec["backoffLimitPerIndex"].as_u64().is_some());
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let c = &pod["containers"][0];
    let cmd: Vec<&str> = c["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        &cmd[1..5],
        [
            "shard",
            "/plan/plan.json",
            "--index",
            "$(JOB_COMPLETION_INDEX)"
        ]
    );
    assert_eq!(c["env"][0]["name"], "RAYON_NUM_THREADS");
    let volumes = pod["volumes"].as_array().unwrap();
    assert_eq!(volumes[0]["configMap"]["name"], cm["metadata"]["name"]);
    assert!(volumes[1]["persistentVolumeClaim"]["claimName"].is_string());
    let mounts = c["volumeMounts"].as_array().unwrap();
    assert_eq!(mounts[0]["mountPath"], "/plan");
    assert!(cmd[6].starts_with(mounts[1]["mountPath"].as_str().unwrap()));
}

#[test]
fn the_gnu_parallel_line_runs_every_shard() {
    let d = setup();
    let line = emit(d.path(), "parallel");
    assert!(line.starts_with("seq 0 2 | parallel "), "{line}");
    if Command::new("parallel").arg("--version").output().is_err() {
        crate::common::tool_missing("GNU parallel");
        return;
    }
    let st = Command::new("bash")
        .args(["-c", &line])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_merges_like_one_machine(d.path());
}
