//! `verbatim embed` end to end on real answers (the dev set, or the bundled sample without it).

mod common;

use std::process::Command;

use common::*;

#[test]
fn embed_writes_one_row_per_input_row_in_order() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    // Real answers (the dev set, or the bundled sample without it), written with a semicolon as a
    // French Excel export would be.
    let source = dev_or_sample(dir.path(), 120);
    let mut reader = csv::Reader::from_path(&source).unwrap();
    let input = dir.path().join("subset.csv");
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&input)
        .unwrap();
    writer.write_record(["id", "text"]).unwrap();
    let mut ids = Vec::new();
    for record in reader.records().take(120) {
        let r = record.unwrap();
        ids.push(r[0].to_string());
        writer.write_record([&r[0], &r[1]]).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);

    let out = dir.path().join("emb.parquet");
    let run = Command::new(binary())
        .args(["-v", "embed", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .arg("--no-cache")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("delimiter: semicolon"), "{stderr}");
    let table = verbatim::stages::write::table::read_embeddings(&out).unwrap();
    assert_eq!(table.ids, ids);
    assert_eq!(table.dim, 384);
    assert_eq!(table.vectors.len(), ids.len() * 384);
    assert_eq!(table.model_sha256.as_deref().map(str::len), Some(64));

    // A wrong text column is an error that lists the columns, and writes nothing.
    let bad_out = dir.path().join("bad.parquet");
    let run = Command::new(binary())
        .args(["embed", "--text-column", "txt", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&bad_out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("The columns are: id, text") && stderr.contains("Did you mean \"text\""),
        "{stderr}"
    );
    assert!(!bad_out.exists());
}
