//! The kit's fences, checked by reading the sources: its modules import only from
//! lower layers, and nothing in archsim's `src/` imports plotters (only this crate
//! draws).

use std::path::{Path, PathBuf};

/// The modules, lowest first; modules of the same rank may not import each other.
const RANKS: &[(&str, u8)] = &[
    ("error", 0),
    ("data", 1),
    ("font", 2),
    ("geom", 3),
    ("canvas", 4),
    ("text", 5),
    ("axis", 6),
    ("frame", 7),
    ("line", 8),
    ("bar", 8),
    ("heatmap", 8),
    ("lib", 9),
];

fn rank(module: &str) -> u8 {
    RANKS
        .iter()
        .find(|(m, _)| *m == module)
        .unwrap_or_else(|| panic!("module {module} has no layer in RANKS"))
        .1
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a source file before its `#[cfg(test)]` module, without comments.
fn code(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap();
    let s = match s.find("#[cfg(test)]") {
        Some(i) => &s[..i],
        None => &s,
    };
    s.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn modules_import_only_from_lower_layers() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert_eq!(files.len(), RANKS.len(), "a module is missing from RANKS");
    for f in files {
        let me = f.file_stem().unwrap().to_str().unwrap();
        let src = code(&f);
        assert!(
            !src.contains("super::"),
            "{me}.rs: import by a crate:: path, not super::"
        );
        if me == "lib" {
            continue;
        }
        for (i, _) in src.match_indices("crate::") {
            let name: String = src[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                rank(&name) < rank(me),
                "{me}.rs imports crate::{name}, which is not below it"
            );
        }
    }
}

#[test]
fn only_the_chart_kit_imports_plotters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty());
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        assert!(
            !src.contains("plotters::") && !src.contains("use plotters"),
            "{} imports plotters: charts are drawn by crates/chartkit only",
            f.display()
        );
    }
}
