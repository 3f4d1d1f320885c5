//! The `archsim` command line: a thin layer over the library.

use archsim::{Overrides, Scenario};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Deterministic discrete-event simulation of microservice architectures.
#[derive(Parser)]
#[command(name = "archsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its report.
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Override `[simulation] seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Override `[simulation] replications`.
        #[arg(long, short = 'r')]
        replications: Option<u32>,
        /// Override `[simulation] duration` (e.g. "5m").
        #[arg(long)]
        duration: Option<String>,
        /// Also write the full results as JSON to this path ("-" for standard output,
        /// which then replaces the table).
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Check a scenario file without running it.
    Validate {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    match try_main(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn load(file: &Path, overrides: &Overrides) -> Result<Scenario, archsim::Error> {
    let mut scenario = archsim::spec::load(file)?;
    overrides.apply(&mut scenario)?;
    Ok(scenario)
}

fn try_main(cli: Cli) -> Result<(), archsim::Error> {
    match cli.command {
        Command::Run {
            file,
            seed,
            replications,
            duration,
            json,
        } => {
            let overrides = Overrides {
                seed,
                replications,
                duration,
            };
            let scenario = load(&file, &overrides)?;
            let summary = archsim::experiment::run(&scenario)?;
            let json_text = archsim::report::to_json(&summary);
            match json.as_deref() {
                Some(p) if p == Path::new("-") => print!("{json_text}"),
                Some(p) => {
                    write_file(p, &json_text)?;
                    print!("{}", archsim::report::render_table(&summary));
                    println!("JSON written to {}", p.display());
                }
                None => print!("{}", archsim::report::render_table(&summary)),
            }
            Ok(())
        }
        Command::Validate { file } => {
            let scenario = load(&file, &Overrides::default())?;
            println!(
                "{}: ok ({} services, {} operations, {} flows)",
                file.display(),
                scenario.services.len(),
                scenario.operations.len(),
                scenario.workloads.len()
            );
            Ok(())
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), archsim::Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| archsim::Error::Output(path.to_path_buf(), e))?;
    }
    std::fs::write(path, text).map_err(|e| archsim::Error::Output(path.to_path_buf(), e))
}
