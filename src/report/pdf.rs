//! `--pdf`: the report's `index.html` printed to `report.pdf` by headless Chromium,
//! with the report's print stylesheet (A4, charts and diagrams never cut across
//! pages, table headers repeated on every page, long tables printed with all their
//! rows rather than collapsed to their key rows, header and footer lines off).
//!
//! Chromium is looked for as `$ARCHSIM_CHROMIUM`, then `chromium`, `chromium-browser`
//! and `google-chrome` on `PATH`. Without it, the error says so in one line (exit code
//! 1, after the rest of the report was written): a PDF asked for and not made is a
//! failed output, not a note. The PDF is not byte-identical from run to run: Chromium
//! stamps its creation date in it.

use crate::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The names tried on `PATH`, in order.
pub const CHROMIUM_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The flags of a headless Chromium that reaches nothing but the file it is given
/// (the tests drive it with the same ones).
pub const HEADLESS_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// How long Chromium may take to print.
const PRINT_TIMEOUT: Duration = Duration::from_secs(180);

/// The Chromium to print with, if any.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ARCHSIM_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| CHROMIUM_NAMES.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn failed(pdf: &Path, why: String) -> Error {
    Error::Output(pdf.to_path_buf(), std::io::Error::other(why))
}

/// Prints `dir/index.html` to `dir/report.pdf`; returns the line saying so.
pub fn write_pdf(dir: &Path) -> Result<String, Error> {
    let pdf = dir.join("report.pdf");
    let Some(chromium) = find_chromium() else {
        return Err(failed(
            &pdf,
            "no Chromium to print it with (looked for $ARCHSIM_CHROMIUM, chromium, chromium-browser, google-chrome on PATH; Debian: apt-get install chromium); index.html and report.md are written".into(),
        ));
    };
    let html = std::fs::canonicalize(dir.join("index.html"))
        .map_err(|e| Error::Output(dir.join("index.html"), e))?;
    let abs_pdf = html.with_file_name("report.pdf");
    let profile = std::env::temp_dir().join(format!("archsim-chromium-{}", std::process::id()));
    let mut child = Command::new(&chromium)
        .args(HEADLESS_FLAGS)
        .arg("--no-pdf-header-footer")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", abs_pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| failed(&pdf, format!("starting {}: {e}", chromium.display())))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > PRINT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(failed(&pdf, format!("waiting for Chromium: {e}"))),
        }
    };
    let _ = std::fs::remove_dir_all(&profile);
    let written = std::fs::metadata(&abs_pdf).is_ok_and(|m| m.len() > 0);
    match (status, written) {
        (Some(s), true) if s.success() => Ok(format!(
            "PDF written to {} (printed by {})\n",
            super::escape::visible(&pdf.display().to_string()),
            super::escape::visible(&chromium.display().to_string())
        )),
        (None, _) => Err(failed(
            &pdf,
            format!(
                "{} did not finish within {} s",
                chromium.display(),
                PRINT_TIMEOUT.as_secs()
            ),
        )),
        (Some(s), _) => Err(failed(
            &pdf,
            format!("{} did not print it ({s})", chromium.display()),
        )),
    }
}
