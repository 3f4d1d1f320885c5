//! `--pdf`: headless Chromium prints the report to report.pdf, poppler's `pdftoppm`
//! renders its first page, and the diagram and charts are inline or images of the
//! report. Skipped (with a note) without Chromium or poppler-utils; under `CI` (which
//! `.ci/run` runs with both installed) a missing tool is a failure instead.

use std::path::Path;
use std::process::Command;

#[test]
fn compare_pdf_prints_the_report_and_its_first_page_renders() {
    if crate::common::chromium_or_skip("the PDF test", true).is_none() {
        return;
    }
    let (tmp, stderr) = crate::common::patterns_compare_report(&["--pdf"]);
    assert!(stderr.contains("PDF written to"), "{stderr}");
    let pdf = tmp.path().join("rep/report.pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|p| p.trim().parse().unwrap())
        .expect("pdfinfo prints the page count");
    // The whole comparison (verdict, findings, topology, 20+ charts, tables) cannot fit
    // on a few pages, and a runaway layout (one chart per page, blank pages) gives
    // many more than it needs.
    assert!((8..=80).contains(&pages), "{pages} pages");

    let png = tmp.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "40", "-f", "1", "-l", "1", "-png"])
        .arg(&pdf)
        .arg(&png)
        .status()
        .unwrap();
    assert!(status.success());
    let first = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("page"))
        .expect("pdftoppm wrote page 1");
    assert!(std::fs::metadata(first.path()).unwrap().len() > 5_000);

    // The first page is the answer: the verdict table's text is on it.
    let text = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1", "-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Answer") && text.contains("sync"), "{text}");
}

#[test]
fn pdf_without_report_is_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_archsim"))
        .arg("compare")
        .arg(root.join("scenarios/patterns-compare.toml"))
        .args(["--no-report", "--pdf"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pdf"));
}
