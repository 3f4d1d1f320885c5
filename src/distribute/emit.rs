//! Ready job scripts for a plan: a Slurm job array, a Kubernetes Indexed Job, a GNU
//! parallel line. Each runs `archsim shard PLAN --index I --out PARTS` once per shard
//! index; none waits for the others or talks to them.

use super::plan::Plan;
use crate::report::escape::shell_word;

/// Where and how the scripts run the shards.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    /// The plan file, as the jobs see it.
    pub plan: &'a str,
    /// The directory the parts go to.
    pub parts: &'a str,
    /// The archsim executable the jobs run.
    pub bin: &'a str,
    /// Cores per shard (`RAYON_NUM_THREADS`).
    pub cpus: u32,
    /// Container image (Kubernetes).
    pub image: &'a str,
}

/// A name made of `[a-z0-9-]` for jobs and Kubernetes objects.
fn job_name(plan: &Plan) -> String {
    let stem = std::path::Path::new(&plan.file)
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(40);
    let name = name.trim_matches('-');
    let name = if name.is_empty() { "plan" } else { name };
    format!(
        "archsim-{name}-{}",
        plan.fingerprint.get(..8).unwrap_or("0")
    )
}

fn shard_command(t: &Target, index: &str) -> String {
    format!(
        "{} shard {} --index {index} --out {}",
        shell_word(t.bin),
        shell_word(t.plan),
        shell_word(t.parts)
    )
}

/// A Slurm array script: one task per shard (`--array=0-(N-1)`), `RAYON_NUM_THREADS`
/// from `SLURM_CPUS_PER_TASK`, one log per task (`%A_%a`) in the parts directory.
pub fn slurm(plan: &Plan, t: &Target) -> String {
    let last = plan.shards.saturating_sub(1);
    format!(
        "#!/bin/bash
# archsim plan {plan_file}: {units} units in {n} shards (fingerprint {fp}).
# Submit and wait (non-zero exit if a task failed):  sbatch --wait THIS_SCRIPT
# Then merge:                  archsim merge {plan_q} {parts_q}
# Resubmit what is missing:    sbatch --array=$(archsim merge {plan_q} {parts_q} --missing) THIS_SCRIPT
#SBATCH --job-name={name}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
#SBATCH --output={parts}/slurm-%A_%a.log
set -euo pipefail
export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-1}}\"
exec {cmd}
",
        plan_file = crate::report::escape::visible(t.plan),
        units = plan.units,
        n = plan.shards,
        fp = plan.short_fingerprint(),
        plan_q = shell_word(t.plan),
        parts_q = shell_word(t.parts),
        name = job_name(plan),
        cpus = t.cpus.max(1),
        parts = t.parts,
        cmd = shard_command(t, "\"$SLURM_ARRAY_TASK_ID\""),
    )
}

/// Plans up to this size are embedded in the manifest's ConfigMap (ConfigMaps hold at
/// most 1 MiB); a bigger one is created from the file (the manifest says how).
pub const INLINE_PLAN_BYTES: usize = 512 * 1024;

/// A Kubernetes Indexed Job (`completionMode: Indexed`, one completion per shard, the
/// index from `JOB_COMPLETION_INDEX`, retries per index with `backoffLimitPerIndex`),
/// the plan from a ConfigMap, the parts on a shared volume (a PersistentVolumeClaim
/// `archsim-results`). `plan_json` is the plan file's text.
pub fn k8s(plan: &Plan, plan_json: &str, t: &Target) -> String {
    let name = job_name(plan);
    let n = plan.shards;
    let cpus = t.cpus.max(1);
    // A block scalar holds the one-line JSON as is if every character is one YAML
    // prints and none breaks a line.
    let inline = plan_json.len() <= INLINE_PLAN_BYTES
        && plan_json.trim_end().chars().all(|c| {
            c == '\t'
                || (' '..='~').contains(&c)
                || (c > '\u{9f}' && c != '\u{2028}' && c != '\u{2029}' && c != '\u{feff}')
        });
    let configmap = if inline {
        format!(
            "apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-plan
data:
  plan.json: |
    {}
---
",
            plan_json.trim_end()
        )
    } else {
        format!(
            "# The plan is too big to inline: create its ConfigMap first with
#   kubectl create configmap {name}-plan --from-file=plan.json={}
",
            t.plan
        )
    };
    let yaml_str = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let parts_dir = format!("/results/{}", t.parts.trim_start_matches('/'));
    format!(
        "# archsim plan {plan_file}: {units} units in {n} shards (fingerprint {fp}).
# kubectl apply -f THIS_FILE; kubectl wait --for=condition=complete job/{name} --timeout=24h
# Then merge from the shared volume: archsim merge plan.json {parts_dir}
# backoffLimitPerIndex needs Kubernetes 1.29 or later (beta since 1.28).
{configmap}apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: archsim
spec:
  completionMode: Indexed
  completions: {n}
  parallelism: {n}
  backoffLimitPerIndex: 2
  maxFailedIndexes: {n}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: archsim
    spec:
      restartPolicy: Never
      containers:
        - name: shard
          image: {image}
          command: [{bin}, \"shard\", \"/plan/plan.json\", \"--index\", \"$(JOB_COMPLETION_INDEX)\", \"--out\", {parts}]
          env:
            - name: RAYON_NUM_THREADS
              value: \"{cpus}\"
          resources:
            requests:
              cpu: \"{cpus}\"
          volumeMounts:
            - name: plan
              mountPath: /plan
              readOnly: true
            - name: results
              mountPath: /results
      volumes:
        - name: plan
          configMap:
            name: {name}-plan
        - name: results
          persistentVolumeClaim:
            claimName: archsim-results
",
        plan_file = crate::report::escape::visible(t.plan),
        units = plan.units,
        fp = plan.short_fingerprint(),
        image = yaml_str(t.image),
        bin = yaml_str(if t.bin.contains('/') { "archsim" } else { t.bin }),
        parts = yaml_str(&parts_dir),
    )
}

/// A GNU parallel line running every shard here (add `-S host1,host2 --workdir .` to
/// spread them over ssh hosts sharing the directory).
pub fn parallel(plan: &Plan, t: &Target) -> String {
    format!(
        "seq 0 {} | parallel --halt soon,fail=1 env RAYON_NUM_THREADS={} {}\n",
        plan.shards.saturating_sub(1),
        t.cpus.max(1),
        shard_command(t, "{}")
    )
}
