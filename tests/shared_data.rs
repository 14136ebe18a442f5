//! One visible line about the shared development data: which tests read it, and whether they ran
//! or were skipped because it is missing (a fresh clone without `../shared`). A plain `main`
//! (`harness = false` in Cargo.toml), so that cargo prints its output.

use std::path::{Path, PathBuf};

/// What the tests call to get the shared data; a test that does `let Some(…) = one of these else
/// { return }` skips itself without it.
const GETTERS: [&str; 3] = ["dev_subset(", "dev_set()", "reference()"];

/// `file::test` of every default (not ignored) test that skips itself without the shared data.
fn tests_needing_shared(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a test file is readable");
        let lines: Vec<&str> = text.lines().collect();
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        for (i, line) in lines.iter().enumerate() {
            // `let Some(x) = getter(…) else { return };`, on one line or as rustfmt splits it.
            let skips = line.contains("let Some(")
                && (line.contains("else { return") || line.trim_end().ends_with("else {"))
                && GETTERS.iter().any(|g| line.contains(g));
            if !skips {
                continue;
            }
            let Some(f) = (0..i).rev().find(|&k| lines[k].starts_with("fn ")) else {
                continue;
            };
            let ignored = f > 0 && lines[f - 1].trim() == "#[ignore]";
            let name = lines[f][3..].split('(').next().unwrap_or("").to_string();
            let entry = format!("{stem}::{name}");
            if !ignored && !found.contains(&entry) {
                found.push(entry);
            }
        }
    }
    found
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tests = tests_needing_shared(&root.join("tests"));
    assert!(
        !tests.is_empty(),
        "no test reads the shared data: has the way they skip changed?"
    );
    let dir = std::env::var_os("VERBATIM_SHARED")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    if dir.join("data").is_dir() {
        println!(
            "shared data: {} found; the {} tests that read it ran",
            dir.display(),
            tests.len()
        );
        return;
    }
    let required = std::env::var("VERBATIM_REQUIRE_SHARED").as_deref() == Ok("1");
    println!(
        "shared data: not found at {} (set VERBATIM_SHARED): {} tests that need it were skipped: {}",
        dir.display(),
        tests.len(),
        tests.join(", ")
    );
    if required {
        eprintln!("VERBATIM_REQUIRE_SHARED=1: the shared data must be there");
        std::process::exit(1);
    }
}
