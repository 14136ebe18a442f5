//! REFI-QDA: a run exported as a project valid against the schema (xmllint), read back as a
//! manual tagging with agreement 1.0 against itself, and a file ATLAS.ti wrote read too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The project schema, in the shared reference folder beside the development data.
fn schema_of(dev: &Path) -> PathBuf {
    let shared = dev
        .parent()
        .and_then(Path::parent)
        .expect("shared/data/<file>");
    shared.join("reference/refi-qda/Project-mrt2019.xsd")
}

/// `project.qde` of a `.qdpx`, written to `dir` for xmllint.
fn unpacked(qdpx: &Path, dir: &Path) -> PathBuf {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(qdpx).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("project.qde").unwrap(), &mut text).unwrap();
    let path = dir.join("project.qde");
    std::fs::write(&path, text).unwrap();
    path
}

/// xmllint against the schema: CI installs it (libxml2-utils); elsewhere its absence is said.
fn validate(qde: &Path, xsd: &Path) {
    let Ok(out) = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(qde)
        .output()
    else {
        assert!(
            std::env::var("VERBATIM_REQUIRE_SHARED").as_deref() != Ok("1"),
            "xmllint (libxml2-utils) is needed in CI"
        );
        eprintln!("xmllint not installed: the schema check was skipped");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_run_exports_a_valid_project_that_reads_back_with_agreement_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("out");
    run_ok(&root.join("data/temoignages.csv"), &out, &["--no-office"]);
    let qdpx = dir.path().join("projet.qdpx");
    let qdc = dir.path().join("codes.qdc");
    let export = verbatim(
        &["export", "--from"],
        &[("", &out), ("--qdpx", &qdpx), ("--qdc", &qdc)],
    );
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let qde = std::fs::read_to_string(unpacked(&qdpx, dir.path())).unwrap();
    assert_eq!(qde.matches("<TextSource ").count(), 240);
    assert!(
        qde.contains("name=\"p1 — Transformer les métiers"),
        "the category codes"
    );
    assert!(
        std::fs::read_to_string(&qdc)
            .unwrap()
            .contains("<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\"")
    );
    if let Some(dev) = dev_set() {
        validate(&dir.path().join("project.qde"), &schema_of(&dev));
    }
    let evaluated = dir.path().join("evaluation");
    let back = verbatim(
        &["evaluate", "--predictions"],
        &[
            ("", &out.join("assignments.parquet")),
            ("--gold", &qdpx),
            ("--out", &evaluated),
        ],
    );
    let log = String::from_utf8_lossy(&back.stderr);
    assert!(back.status.success(), "{log}");
    assert!(
        !log.contains("map to no category"),
        "verbatim's own kind codes are expected: {log}"
    );
    let e = read_json(&evaluated.join("evaluation.json"));
    assert_eq!(e["accuracy"].as_f64(), Some(1.0), "{e}");
    assert_eq!(e["cohen_kappa"].as_f64(), Some(1.0));
    // The same file teaches a later run: every analysed testimony carries one category.
    let again = dir.path().join("again");
    let log = run_ok(
        &root.join("data/temoignages.csv"),
        &again,
        &["--no-office", "--labels", qdpx.to_str().unwrap()],
    );
    let run = read_json(&again.join("run.json"));
    assert!(run["few_shot"]["tagged"].as_u64().unwrap() >= 200, "{log}");
}

/// A project written by a commercial suite (ATLAS.ti 23: a two-level code tree, no sources) is
/// read: its codes, their nesting, and no source.
#[test]
fn a_project_atlas_ti_wrote_is_read() {
    let Some(dev) = dev_set() else { return };
    let path = schema_of(&dev).with_file_name("atlas-ti-23-codebook-sample.qdpx");
    let project = verbatim::refi::import::read(&path).unwrap();
    assert_eq!(project.codes.len(), 3);
    let children = project
        .codes
        .values()
        .filter(|(_, parent)| parent.is_some())
        .count();
    assert_eq!(children, 2);
    assert!(project.sources.is_empty());
}
