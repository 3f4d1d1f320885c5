//! A real Slurm: the `--emit slurm` script of a small sweep submitted as a 3-task array
//! (`sbatch --wait`), merged, and compared byte for byte with the one-machine sweep;
//! then a lost part resubmitted with `merge --missing`. Skips (with a message) where
//! there is no `sbatch`; `.ci/run` starts a local Slurm (`.ci/slurm-up`) so CI runs it.

use super::distribute::{assert_same, ok, one_machine, workdir, written, Written, CHAIN, OUTPUTS};
use std::path::Path;
use std::process::Command;

/// `SLURM_CONF` for the Slurm commands: the environment's, else the one
/// `.ci/slurm-up` writes.
fn slurm_conf() -> Option<String> {
    std::env::var("SLURM_CONF").ok().or_else(|| {
        let state =
            std::env::var("SLURM_STATE_DIR").unwrap_or_else(|_| "/tmp/archsim-slurm".into());
        let conf = Path::new(&state).join("slurm.conf");
        conf.exists().then(|| conf.display().to_string())
    })
}

fn slurm(cmd: &str, args: &[&str], cwd: &Path) -> std::process::Output {
    let mut c = Command::new(cmd);
    c.args(args).current_dir(cwd);
    if let Some(conf) = slurm_conf() {
        c.env("SLURM_CONF", conf);
    }
    c.output().unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// Whether a Slurm cluster answers; `None` (skip) without `sbatch`.
fn cluster() -> Option<()> {
    if Command::new("sbatch").arg("--version").output().is_err() {
        crate::common::tool_missing("Slurm's sbatch (.ci/slurm-up starts a local Slurm)");
        return None;
    }
    let up = slurm("sinfo", &["-h", "-o", "%T"], Path::new("/"));
    if !up.status.success() {
        let why = String::from_utf8_lossy(&up.stderr).into_owned();
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: sbatch is installed but no Slurm cluster answers (.ci/slurm-up): {why}"
        );
        eprintln!("skipped: sbatch is installed but no cluster answers (run .ci/slurm-up): {why}");
        return None;
    }
    Some(())
}

fn submit(dir: &Path, extra: &[&str]) {
    let mut args = vec!["--wait"];
    args.extend(extra);
    args.push("job.sh");
    let out = slurm("timeout", &[&["300", "sbatch"][..], &args].concat(), dir);
    let logs: String = std::fs::read_dir(dir.join("parts"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        out.status.success(),
        "sbatch {args:?}: {}{}\nlogs:\n{logs}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn merged(dir: &Path) -> Written {
    let mut a = vec!["merge", "plan.json", "parts"];
    a.extend(OUTPUTS);
    let stdout = ok(dir, &a);
    written(dir, stdout)
}

#[test]
fn a_sweep_sharded_as_a_slurm_array_merges_to_the_one_machine_bytes() {
    if cluster().is_none() {
        return;
    }
    let args = [
        "--set",
        "workload.0.arrivals.poisson=200/s,400/s",
        "-r",
        "2",
    ];
    let one = one_machine(CHAIN, "sweep", &args);
    let d = workdir(CHAIN);
    let dir = d.path();
    let mut plan = vec!["plan", "sweep", "scen.toml"];
    plan.extend(args);
    plan.extend(["--shards", "3", "-o", "plan.json", "--emit", "slurm"]);
    plan.extend(["--bin", env!("CARGO_BIN_EXE_archsim")]);
    let script = ok(dir, &plan);
    assert!(String::from_utf8_lossy(&script).contains("#SBATCH --array=0-2"));
    std::fs::write(dir.join("job.sh"), script).unwrap();
    submit(dir, &[]);
    let parts = std::fs::read_dir(dir.join("parts")).unwrap().count();
    assert!(
        parts >= 3 + 3,
        "3 parts and 3 task logs, found {parts} files"
    );
    assert_same("slurm sweep", 3, &one, &merged(dir));

    // A lost part: --missing names its shard, resubmitting it alone completes the set.
    let lost = std::fs::read_dir(dir.join("parts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("shard-1-")
        })
        .unwrap();
    std::fs::remove_file(&lost).unwrap();
    let missing =
        String::from_utf8(ok(dir, &["merge", "plan.json", "parts", "--missing"])).unwrap();
    assert_eq!(missing, "1\n");
    submit(dir, &[&format!("--array={}", missing.trim())]);
    assert!(ok(dir, &["merge", "plan.json", "parts", "--missing"]).is_empty());
    assert_same("slurm sweep, resubmitted", 3, &one, &merged(dir));
}
