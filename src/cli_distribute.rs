//! The scale-out verbs of the command line (`plan`, `shard`, `merge`): argument structs
//! and one function each, over `archsim::distribute`.

use super::*;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PlanKind {
    /// `archsim run`.
    Run,
    /// `archsim compare`.
    Compare,
    /// `archsim sweep`.
    Sweep,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Emit {
    /// A Slurm array script.
    Slurm,
    /// A Kubernetes Indexed Job manifest.
    K8s,
    /// A GNU parallel line.
    Parallel,
}

/// `archsim plan`.
#[derive(Args)]
pub(crate) struct PlanArgs {
    /// What the plan reproduces.
    #[arg(value_enum)]
    pub(crate) kind: PlanKind,
    #[command(flatten)]
    pub(crate) opts: ScenarioOpts,
    /// Sweeps: PATH=VALUES, as `archsim sweep --set`.
    #[arg(long = "set", value_name = "PATH=VALUES")]
    pub(crate) set: Vec<String>,
    /// Sweeps: every seed FIRST..LAST (both included) at every point.
    #[arg(long, value_name = "FIRST..LAST")]
    pub(crate) seeds: Option<String>,
    /// Number of shards (unit k runs in shard k mod N).
    #[arg(long, value_name = "N")]
    pub(crate) shards: u32,
    /// Where to write the plan.
    #[arg(long, short = 'o', value_name = "PLAN")]
    pub(crate) output: PathBuf,
    /// Also print a ready job script for this scheduler.
    #[arg(long, value_enum)]
    pub(crate) emit: Option<Emit>,
    /// The directory the job script's shards write their parts to.
    #[arg(long, value_name = "DIR", default_value = "parts")]
    pub(crate) parts: String,
    /// The archsim executable the job script runs.
    #[arg(long, value_name = "PATH", default_value = "archsim")]
    pub(crate) bin: String,
    /// Cores per shard in the job script (RAYON_NUM_THREADS).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) cpus: u32,
    /// Container image of the Kubernetes Job.
    #[arg(long, value_name = "IMAGE", default_value = concat!("archsim:", env!("CARGO_PKG_VERSION")))]
    pub(crate) image: String,
}

/// `archsim shard`.
#[derive(Args)]
pub(crate) struct ShardArgs {
    /// The plan file.
    pub(crate) plan: PathBuf,
    /// Shard index, 0-based.
    #[arg(long, value_name = "I")]
    pub(crate) index: u32,
    /// Shard count: must equal the plan's (default: the plan's).
    #[arg(long, value_name = "N")]
    pub(crate) of: Option<u32>,
    /// Directory of the part files.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// `archsim merge`.
#[derive(Args)]
pub(crate) struct MergeArgs {
    /// The plan file.
    pub(crate) plan: PathBuf,
    /// Part files, or directories of them (every *.part inside).
    pub(crate) parts: Vec<PathBuf>,
    /// Write the results as JSON to this path ("-" for standard output).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Write the results as CSV to this path ("-" for standard output).
    #[arg(long)]
    pub(crate) csv: Option<PathBuf>,
    /// Write index.html, report.md and charts to DIR (default as the one-machine
    /// command; `compare` plans write it by default).
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub(crate) report: Option<Option<PathBuf>>,
    /// Do not write the report (compare plans).
    #[arg(long, conflicts_with = "report")]
    pub(crate) no_report: bool,
    /// Only print the shard indices whose parts are missing, as `sbatch --array=`
    /// takes them (e.g. 1,4-6; nothing when complete).
    #[arg(long)]
    pub(crate) missing: bool,
}

/// `plan`: resolve, write the plan, print a job script if asked.
pub(crate) fn plan_command(a: PlanArgs) -> Result<u8, archsim::Error> {
    let (opts, output) = (&a.opts, &a.output);
    let target = Target {
        plan: &output.display().to_string(),
        parts: &a.parts,
        bin: &a.bin,
        cpus: a.cpus,
        image: &a.image,
    };
    let text = read(&opts.file)?;
    let plan = make_plan(Request {
        kind: match a.kind {
            PlanKind::Run => Kind::Run,
            PlanKind::Compare => Kind::Compare,
            PlanKind::Sweep => Kind::Sweep,
        },
        file: &opts.file,
        text: &text,
        overrides: overrides(opts),
        sets: a.set.clone(),
        seeds: a.seeds.as_deref().map(Seeds::parse).transpose()?,
        shards: a.shards,
        command: shell_command(&one_machine_args(&raw_args())),
    })?;
    let json = plan.to_json();
    archsim::report::deliver::write_file(output, &json)?;
    let summary = format!(
        "{}: {} units in {} shards (fingerprint {})\n",
        visible(&output.display().to_string()),
        plan.units,
        plan.shards,
        plan.short_fingerprint()
    );
    match a.emit {
        None => out(&summary)?,
        Some(e) => {
            let _ = write!(io::stderr(), "{summary}");
            if matches!(e, Emit::Slurm) {
                // Slurm opens each task's log before the task runs.
                std::fs::create_dir_all(&a.parts)
                    .map_err(|err| archsim::Error::Output(PathBuf::from(&a.parts), err))?;
            }
            out(&match e {
                Emit::Slurm => emit::slurm(&plan, &target),
                Emit::K8s => emit::k8s(&plan, &json, &target),
                Emit::Parallel => emit::parallel(&plan, &target),
            })?;
        }
    }
    Ok(0)
}

/// `shard`: run one shard's units, write its part file.
pub(crate) fn shard_command(
    plan_path: &Path,
    index: u32,
    of: Option<u32>,
    dir: &Path,
    quiet: bool,
) -> Result<u8, archsim::Error> {
    let plan_file = plan_path.display().to_string();
    let plan = Plan::read(plan_path)?;
    check_index(&plan, &plan_file, index, of)?;
    let resolved = plan.resolve(&plan_file)?;
    let units = plan.shard_units(index).len() as u64;
    let pb = progress(units, quiet, &format!("shard {index} of {}", plan.shards));
    let text = run_shard(&plan, &resolved, index, &|| pb.inc(1));
    pb.finish_and_clear();
    let path = write_atomically(dir, &part_name(&plan, index), &text?)?;
    out(&format!(
        "{}: {units} units\n",
        visible(&path.display().to_string())
    ))?;
    Ok(0)
}

/// `merge --missing`: the shards still to run, as `sbatch --array=` takes them.
pub(crate) fn missing_command(plan_path: &Path, parts: &[PathBuf]) -> Result<u8, archsim::Error> {
    let plan = Plan::read(plan_path)?;
    // Checked first: the unit count sizes what follows.
    plan.resolve(&plan_path.display().to_string())?;
    let files = merge::part_files(parts, true)?;
    let at = merge::locate_units(&plan, &files)?;
    let missing = merge::missing_shards(&plan, &at);
    if !missing.is_empty() {
        out(&format!("{}\n", merge::array_ranges(&missing)))?;
    }
    Ok(0)
}

/// `merge`: the outputs of the one-machine command, from the parts.
pub(crate) fn merge_command(
    plan_path: &Path,
    parts: &[PathBuf],
    outputs: &MergeOutputs,
) -> Result<u8, archsim::Error> {
    let plan_file = plan_path.display().to_string();
    let plan = Plan::read(plan_path)?;
    let resolved = plan.resolve(&plan_file)?;
    let files = merge::part_files(parts, false)?;
    let merged = merge::merge(&plan, &plan_file, &resolved, &files)?;
    out(&write_merged(&plan, &resolved, &merged, outputs)?)?;
    Ok(0)
}
