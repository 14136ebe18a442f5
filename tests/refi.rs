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
    let (e, log) = evaluate(&[], &out, &qdpx, &dir.path().join("evaluation"));
    assert!(
        !log.contains("map to no category"),
        "verbatim's own kind codes are expected: {log}"
    );
    assert_eq!(e["accuracy"].as_f64(), Some(1.0), "{e}");
    assert_eq!(e["cohen_kappa"].as_f64(), Some(1.0));
    // Renamed sources (another tool's names) are matched by their text.
    let renamed = dir.path().join("renomme.qdpx");
    rename_sources(&qdpx, &renamed);
    let (e, _) = evaluate(&[], &out, &renamed, &dir.path().join("evaluation-renamed"));
    assert_eq!(e["accuracy"].as_f64(), Some(1.0), "{e}");
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

/// `verbatim evaluate` of a run's assignments against `gold`, which must succeed: its
/// evaluation.json and its log.
fn evaluate(extra: &[&str], run: &Path, gold: &Path, out: &Path) -> (serde_json::Value, String) {
    let args: Vec<&str> = ["evaluate"]
        .iter()
        .chain(extra)
        .chain(&["--predictions"])
        .copied()
        .collect();
    let predictions = run.join("assignments.parquet");
    let done = verbatim(
        &args,
        &[("", &predictions), ("--gold", gold), ("--out", out)],
    );
    let log = String::from_utf8_lossy(&done.stderr).into_owned();
    assert!(done.status.success(), "{log}");
    (read_json(&out.join("evaluation.json")), log)
}

/// A copy of a project whose sources are named `entretien <id>`, not by the run's ids.
fn rename_sources(from: &Path, to: &Path) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        let name = member.name().unwrap().to_string();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut member, &mut text).unwrap();
        if name == "project.qde" {
            text = text.replace(
                "<TextSource guid=\"",
                "<TextSource name=\"entretien\" guid=\"",
            );
            text = text.replace("\" name=\"T", "\" alias=\"T");
        }
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
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

/// A project made elsewhere on the original documents: each selection lies at a passage's
/// characters and carries that passage's category; read at passage level (`--gold-unit passage`)
/// every selection lands on its passage.
#[test]
fn selections_map_onto_the_passages_they_cover() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("contributions");
    std::fs::create_dir_all(&docs).unwrap();
    let paragraphs = [
        "Les infirmières de nuit ne sont pas assez payées pour la charge de travail qui est la leur.",
        "Il faut un plan d'investissement pour rénover les bâtiments vétustes des hôpitaux publics.",
        "Les démarches administratives prennent un temps fou aux équipes, au détriment des patients.",
        "Dans notre village il n'y a plus de médecin traitant et les patients font cinquante kilomètres.",
    ];
    std::fs::write(docs.join("a.txt"), paragraphs.join("\n\n")).unwrap();
    std::fs::write(docs.join("b.txt"), paragraphs[1..].join("\n\n")).unwrap();
    let out = dir.path().join("out");
    run_ok(&docs, &out, &["--no-office", "--unit", "passage"]);
    let passages =
        verbatim::stages::write::table::read_parquet_as_text(&out.join("passages.parquet"))
            .unwrap();
    let col = |name: &str| {
        passages
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .values
            .clone()
    };
    let (ids, starts, ends, pillars) = (col("id"), col("start"), col("end"), col("pillar"));
    let mut codes: Vec<String> = pillars.iter().flatten().cloned().collect();
    codes.sort();
    codes.dedup();
    let mut qde = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"urn:QDA-XML:project:1.0\" name=\"ailleurs\"><CodeBook><Codes>",
    );
    for (k, code) in codes.iter().enumerate() {
        qde += &format!(
            "<Code guid=\"00000000-0000-0000-0000-{k:012}\" name=\"{code}\" isCodable=\"true\"/>"
        );
    }
    qde += "</Codes></CodeBook><Sources>";
    let mut tagged = 0;
    for doc in ["a.txt", "b.txt"] {
        qde += &format!(
            "<TextSource guid=\"00000000-0000-0000-0001-{:012}\" name=\"{doc}\">",
            doc.len()
        );
        for i in (0..ids.len()).filter(|&i| ids[i].as_deref() == Some(doc)) {
            let Some(pillar) = &pillars[i] else { continue };
            let k = codes.iter().position(|c| c == pillar).unwrap();
            qde += &format!(
                "<PlainTextSelection guid=\"00000000-0000-0000-0002-{i:012}\" startPosition=\"{}\" endPosition=\"{}\"><Coding guid=\"00000000-0000-0000-0003-{i:012}\"><CodeRef targetGUID=\"00000000-0000-0000-0000-{k:012}\"/></Coding></PlainTextSelection>",
                starts[i].as_deref().unwrap(),
                ends[i].as_deref().unwrap()
            );
            tagged += 1;
        }
        qde += "</TextSource>";
    }
    qde += "</Sources></Project>\n";
    let qdpx = dir.path().join("ailleurs.qdpx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&qdpx).unwrap());
    zip.start_file("project.qde", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, qde.as_bytes()).unwrap();
    zip.finish().unwrap();
    let unit = ["--gold-unit", "passage"];
    let (e, _) = evaluate(&unit, &out, &qdpx, &dir.path().join("evaluation"));
    assert_eq!(e["accuracy"].as_f64(), Some(1.0), "{e}");
    assert!(tagged >= 7, "{tagged} passages tagged");
}
