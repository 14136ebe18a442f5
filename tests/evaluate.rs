//! `verbatim evaluate` on a real run, and its errors.

mod common;

use std::path::Path;

use common::*;

#[test]
fn a_run_on_real_answers_is_evaluated_against_their_labels() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let Some(input) = dev_subset(dir.path(), 600) else {
        return;
    };
    let out = dir.path().join("out");
    let taxonomy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/taxonomies/granddebat_demarches.toml");
    let run = verbatim(
        &["run"],
        &[
            ("--input", &input),
            ("--out", &out),
            ("--taxonomy", &taxonomy),
            ("--gold", &input),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let e = read_json(&out.join("evaluation.json"));
    for key in [
        "accuracy",
        "macro_f1",
        "micro_f1",
        "weighted_f1",
        "cohen_kappa",
        "coverage",
        "ari",
        "nmi",
        "v_measure",
        "per_category",
        "confusion",
    ] {
        assert!(!e[key].is_null(), "evaluation.json lacks {key}");
    }
    let accuracy = e["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.7, "accuracy {accuracy}");
    let ci = &e["confidence_intervals_95"]["accuracy"];
    assert!(ci["low"].as_f64().unwrap() <= accuracy && accuracy <= ci["high"].as_f64().unwrap());
    assert_eq!(e["rows"]["evaluated"], 600);
    let confusion_total: u64 = e["confusion"]["rows_gold_columns_predicted"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(confusion_total, 600);
    let md = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
    assert!(md.contains("| accuracy |") && md.contains("Confusion matrix"));
    assert!(
        out.join("evaluation_per_category.csv").exists()
            && out.join("evaluation_confusion.csv").exists()
    );

    // The CSV form of the assignments gives the same figures.
    let again = dir.path().join("again");
    let from_csv = verbatim(
        &["evaluate"],
        &[
            ("--predictions", &out.join("assignments.csv")),
            ("--gold", &input),
            ("--out", &again),
        ],
    );
    assert!(
        from_csv.status.success(),
        "{}",
        String::from_utf8_lossy(&from_csv.stderr)
    );
    let e2 = read_json(&again.join("evaluation.json"));
    assert_eq!(e["macro_f1"], e2["macro_f1"]);
    assert_eq!(e["cohen_kappa"], e2["cohen_kappa"]);
}

#[test]
fn unknown_labels_missing_ids_and_no_overlap_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Predictions written by hand in the assignments layout.
    let pred = dir.path().join("assignments.csv");
    std::fs::write(&pred, "id,theme_id,pillar,score_p1,score_p2,pillar_fit,status\na,0,p1,0.9,0.1,0.3,ok\nb,0,p2,0.2,0.8,0.2,ok\nc,1,p2,0.4,0.6,0.1,ok\n").unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let unknown = write("unknown.csv", "id,label\na,p1\nb,salaires\nc,P2\n");
    let out = verbatim(
        &["evaluate"],
        &[
            ("--predictions", &pred),
            ("--gold", &unknown),
            ("--out", &dir.path().join("o1")),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("\"salaires\"") && err.contains("--label-map"),
        "{err}"
    );

    // A label map resolves it; labels match ids without case.
    let map = write("map.csv", "from,to\nsalaires,p1\n");
    let ok = verbatim(
        &["evaluate"],
        &[
            ("--predictions", &pred),
            ("--gold", &unknown),
            ("--label-map", &map),
            ("--out", &dir.path().join("o2")),
        ],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let e = read_json(&dir.path().join("o2/evaluation.json"));
    // a p1 ✓, b gold p1 / predicted p2 ✗, c p2 ✓.
    assert!((e["accuracy"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);

    let missing = write("missing.csv", "id,label\na,p1\nzz,p2\n");
    let out = verbatim(
        &["evaluate"],
        &[
            ("--predictions", &pred),
            ("--gold", &missing),
            ("--out", &dir.path().join("o3")),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("\"zz\"") && err.contains("--exclude-unknown"),
        "{err}"
    );
    let excluded = verbatim(
        &["evaluate", "--exclude-unknown"],
        &[
            ("--predictions", &pred),
            ("--gold", &missing),
            ("--out", &dir.path().join("o4")),
        ],
    );
    assert!(excluded.status.success());
    assert_eq!(
        read_json(&dir.path().join("o4/evaluation.json"))["rows"]["excluded_missing_ids"],
        1
    );

    let disjoint = write("disjoint.csv", "id,label\nx,p1\ny,p2\n");
    let out = verbatim(
        &["evaluate", "--exclude-unknown"],
        &[
            ("--predictions", &pred),
            ("--gold", &disjoint),
            ("--out", &dir.path().join("o5")),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("nothing to compare"),
        "{err}"
    );
    assert!(!dir.path().join("o5/evaluation.json").exists());

    // Multi-label cells.
    let multi = write("multi.csv", "id,label\na,p1|p2\nb,p2\nc,p1\n");
    let ok = verbatim(
        &["evaluate"],
        &[
            ("--predictions", &pred),
            ("--gold", &multi),
            ("--out", &dir.path().join("o6")),
        ],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let e = read_json(&dir.path().join("o6/evaluation.json"));
    assert_eq!(e["rows"]["multi_label"], 1);
    // As sets over the three rows and two labels: a {p1,p2}/{p1} one label wrong, b right, c
    // {p1}/{p2} two wrong → Hamming 3/6; only b is exactly right → exact set 1/3.
    assert_eq!(e["multi_label"]["hamming_loss"], 0.5);
    assert!((e["multi_label"]["exact_set"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
}

/// Predictions from any source: a bare `id,label` table, no run.json, no score columns; labels
/// matched without case or accents.
#[test]
fn a_bare_table_of_predictions_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let predictions = dir.path().join("predictions.csv");
    std::fs::write(
        &predictions,
        "id,categorie\n1,Santé\n2,Emploi\n3,sante\n4,Emploi\n5,Ecole\n6,École\n",
    )
    .unwrap();
    let gold = dir.path().join("gold.csv");
    std::fs::write(
        &gold,
        "id,label\n1,santé\n2,emploi\n3,Emploi\n4,emploi\n5,école\n6,ecole\n",
    )
    .unwrap();
    let out = dir.path().join("eval");
    let e = common::verbatim(
        &["evaluate", "--pred-column", "categorie"],
        &[
            ("--predictions", &predictions),
            ("--gold", &gold),
            ("--out", &out),
        ],
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let evaluation = common::read_json(&out.join("evaluation.json"));
    assert_eq!(evaluation["rows"]["evaluated"], 6);
    // Row 3 is wrong (santé for emploi): 5 of 6.
    assert!((evaluation["accuracy"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-9);
}

/// Two analysts tagged overlapping samples: the agreement between them (Krippendorff's alpha,
/// pairwise kappa) beside the tool's agreement with each.
#[test]
fn two_taggings_give_the_agreement_between_people_and_with_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let predictions = dir.path().join("predictions.csv");
    std::fs::write(
        &predictions,
        "id,pillar\n1,p1\n2,p2\n3,p3\n4,p4\n5,p1\n6,p2\n7,p3\n8,p4\n",
    )
    .unwrap();
    let a = dir.path().join("analyste_a.csv");
    let b = dir.path().join("analyste_b.csv");
    std::fs::write(&a, "id,pilier\n1,p1\n2,p2\n3,p3\n4,p4\n5,p1\n6,p2\n").unwrap();
    std::fs::write(&b, "id,pilier\n3,p3\n4,p4\n5,p1\n6,p1\n7,p3\n8,p4\n").unwrap();
    let out = dir.path().join("eval");
    let e = common::verbatim(
        &["evaluate"],
        &[
            ("--predictions", &predictions),
            ("--gold", &a),
            ("--gold", &b),
            ("--out", &out),
        ],
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let evaluation = common::read_json(&out.join("evaluation.json"));
    let t = &evaluation["taggers"];
    assert_eq!(t["units"], 4, "rows 3–6 were tagged by both");
    // People: 3 of 4 shared rows agree. The tool agrees with A on all 6, with B on 5 of 6.
    let pairs = t["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3);
    assert_eq!(
        (pairs[0]["a"].as_str(), pairs[0]["rows"].as_u64()),
        (Some("analyste_a.csv"), Some(4))
    );
    assert_eq!(pairs[1]["kappa"], 1.0);
    // The tool and B: 5 of 6 agree; chance 10/36 from their label counts → kappa 20/26.
    let kappa = pairs[2]["kappa"].as_f64().unwrap();
    assert!((kappa - 20.0 / 26.0).abs() < 1e-9, "{kappa}");
    // Nominal alpha on units 3–6 (p3 p3, p4 p4, p1 p1, p2 p1): 1 − (2/8) / (46/56) = 16/23.
    let alpha = t["alpha"].as_f64().unwrap();
    assert!((alpha - 16.0 / 23.0).abs() < 1e-9, "{alpha}");
    let md = std::fs::read_to_string(out.join("evaluation.md")).unwrap();
    assert!(md.contains("Krippendorff's alpha"));
}
