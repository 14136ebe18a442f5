//! Who says what: the statistics against scipy and statsmodels (values they computed, committed
//! in tests/who/reference.json by tests/who/reference.py), and `--by`, campaigns, saturation and
//! `--count distinct` end to end.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;
use verbatim::evaluate::wilson;
use verbatim::who::crosstab::{self, Columns};
use verbatim::who::stats::Contingency;

fn reference() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/who/reference.json");
    read_json(&path)
}

fn close(ours: f64, theirs: &Value, what: &str) {
    let theirs = theirs.as_f64().unwrap();
    let tol = 1e-9 * theirs.abs().max(1e-12);
    assert!(
        (ours - theirs).abs() <= tol.max(1e-15),
        "{what}: {ours} vs {theirs}"
    );
}

fn counts_of(table: &Value) -> Vec<Vec<u64>> {
    (table["counts"].as_array().unwrap().iter())
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect()
        })
        .collect()
}

/// Every figure of `table` (a reference entry) as verbatim computes it, cell by cell.
fn check_table(table: &Value, counts: &[Vec<u64>]) {
    let ours = Contingency::of(counts);
    let test = ours.test.as_ref().unwrap();
    close(test.statistic, &table["statistic"], "chi-square");
    close(test.p, &table["p"], "p");
    close(test.cramers_v, &table["cramers_v"], "Cramér's V");
    assert_eq!(test.dof as u64, table["dof"].as_u64().unwrap());
    for (i, row) in counts.iter().enumerate() {
        let n: u64 = row.iter().sum();
        for (j, &count) in row.iter().enumerate() {
            let at = |key: &str| &table[key][i][j];
            close(ours.expected[i][j], at("expected"), "expected");
            close(ours.residual[i][j].unwrap(), at("residual"), "residual");
            close(ours.p_adjusted[i][j].unwrap(), at("p_adjusted"), "Holm");
            let (low, high) = wilson(count as usize, n as usize);
            close(low, at("share_low"), "Wilson low");
            close(high, at("share_high"), "Wilson high");
        }
    }
}

#[test]
fn statistics_equal_scipy_and_statsmodels_on_a_fixture() {
    let r = reference();
    let table = &r["fixture"];
    check_table(table, &counts_of(table));
}

/// The parliamentary questions: the asking deputy's group × the ministry (the manual tagging),
/// counted here from the shared files and held against scipy's figures on the same table.
#[test]
fn statistics_equal_scipy_on_the_questions_by_group() {
    let Some(dev) = dev_set() else { return };
    let data = dev.parent().unwrap();
    let r = reference();
    let table = &r["questions_by_group"];
    let names = |key: &str| -> Vec<String> {
        (table[key].as_array().unwrap().iter())
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let (groups, ministries) = (names("rows"), names("columns"));
    let group = column(
        &data.join("an_questions_gouvernement_l16_meta.csv"),
        "groupe",
    );
    let label = column(&data.join("an_questions_gouvernement_l16.csv"), "label");
    let mut counts = vec![vec![0u64; ministries.len()]; groups.len()];
    let (mut group_of, mut members) = (Vec::new(), Vec::new());
    for (id, ministry) in &label {
        let g = groups.iter().position(|x| *x == group[id]).unwrap();
        let m = ministries.iter().position(|x| x == ministry).unwrap();
        counts[g][m] += 1;
        group_of.push(g);
        members.push(vec![m]);
    }
    assert_eq!(
        counts,
        counts_of(table),
        "the shared files changed since reference.py ran"
    );
    check_table(table, &counts);
    // The table verbatim writes holds the same figures.
    let columns = Columns {
        ids: ministries.clone(),
        categories: ministries.clone(),
        theme_keys: vec![None; ministries.len()],
    };
    let (cells, test) = crosstab::crosstab(&groups, &group_of, &columns, &members);
    close(test.chi_square.unwrap().p, &table["p"], "p in the record");
    for cell in &cells {
        let (i, j) = (pos(&groups, &cell.group), pos(&ministries, &cell.column));
        close(
            cell.residual.unwrap(),
            &table["residual"][i][j],
            "residual in the table",
        );
        close(
            cell.share_low,
            &table["share_low"][i][j],
            "Wilson in the table",
        );
        assert_eq!(cell.documents, counts[i][j]);
    }
}

fn pos(names: &[String], name: &str) -> usize {
    names.iter().position(|n| n == name).unwrap()
}

/// One column of a CSV by its `id`.
fn column(path: &Path, name: &str) -> BTreeMap<String, String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let (id, col) = (pos_in(&headers, "id"), pos_in(&headers, name));
    (reader.records())
        .map(|r| {
            let r = r.unwrap();
            (r[id].to_string(), r[col].to_string())
        })
        .collect()
}

fn pos_in(headers: &csv::StringRecord, name: &str) -> usize {
    headers.iter().position(|h| h == name).unwrap()
}

/// The bundled sample's first 160 testimonies, a campaign (an original, 30 exact copies and 10
/// copies with the last word changed) and 5 rows without a region.
fn campaign_fixture(dir: &Path) -> PathBuf {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(sample)
        .unwrap();
    let path = dir.join("campagne.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(["id", "region", "texte"]).unwrap();
    for (i, r) in reader.records().take(160).enumerate() {
        let r = r.unwrap();
        let region = if i < 5 { "" } else { &r[2] };
        w.write_record([&r[0], region, &r[3]]).unwrap();
    }
    let letter = "Nous, soignants de l'hôpital public, demandons une revalorisation immédiate \
        des salaires des infirmières et des aides-soignantes, la fin des fermetures de lits \
        la nuit et le recrutement de personnel titulaire dans chaque service d'urgence";
    let cities = [
        "Lille", "Rouen", "Nantes", "Brest", "Dijon", "Metz", "Tours", "Caen", "Pau", "Nîmes",
    ];
    for k in 0..41 {
        let text = match k {
            0..=30 => format!("{letter} du pays."),
            _ => format!("{letter} de {}.", cities[k - 31]),
        };
        w.write_record([format!("C{k:03}").as_str(), "Bretagne", text.as_str()])
            .unwrap();
    }
    w.flush().unwrap();
    path
}

/// Each row as (column, text): lists joined with `|`, nulls empty.
fn frame_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let columns = verbatim::stages::write::table::read_parquet_as_text(path).unwrap();
    let n = columns[0].values.len();
    (0..n)
        .map(|i| {
            (columns.iter())
                .map(|c| (c.name.clone(), c.values[i].clone().unwrap_or_default()))
                .collect()
        })
        .collect()
}

#[test]
fn a_run_breaks_down_by_region_finds_the_campaign_and_saturates() {
    let dir = tempfile::tempdir().unwrap();
    let input = campaign_fixture(dir.path());
    let out = dir.path().join("out");
    run_ok(&input, &out, &["--by", "region", "--text-column", "texte"]);
    let campaigns = frame_rows(&out.join("campaigns.parquet"));
    assert_eq!(campaigns.len(), 1, "{campaigns:?}");
    let c = &campaigns[0];
    assert_eq!(
        (c["size"].as_str(), c["exact_copies"].as_str()),
        ("41", "30")
    );
    assert_eq!(
        (c["near_copies"].as_str(), c["first_id"].as_str()),
        ("10", "C000")
    );
    assert_eq!(c["last_id"], "C040");
    let run = read_json(&out.join("run.json"));
    let who = &run["who_says_what"];
    assert_eq!(
        who["documents"].as_u64().unwrap() - who["distinct_documents"].as_u64().unwrap(),
        40
    );
    let points = who["saturation"]["points"].as_array().unwrap();
    let seen: Vec<f64> = points
        .iter()
        .map(|p| p["themes_seen"].as_f64().unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), 1.0);
    let by = &who["by"][0];
    assert_eq!(by["empty"], 5);
    assert!(by["categories"]["chi_square"]["p"].as_f64().is_some());
    let all = documents_by_group(&out.join("by_region.parquet"));
    assert_eq!(all["(vide)"], 5);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let chapter = md.split("## Qui dit quoi").nth(1).expect("the chapter");
    assert!(
        chapter.contains(
            "Campagne n° 1 : 41 contributions (30 copies exactes, 10 presque identiques)"
        ),
        "{chapter}"
    );
    assert!(
        chapter.contains("### region") && chapter.contains("| (vide) | 5 |"),
        "{chapter}"
    );
    assert!(chapter.contains("des thèmes apparaissent") || chapter.contains("pas saturé"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<section id=\"who\">") && html.contains("<polyline"),
        "the curve"
    );
    // Every significant cell links to its sentence, which names the group and the overall share.
    for cell in frame_rows(&out.join("by_region.parquet")) {
        if cell["direction"] != "-" {
            let needle = format!("« {} » (region)", cell["group"]);
            assert!(chapter.contains(&needle), "{needle} in {chapter}");
        }
    }
    // Read the other way: the campaign counts once.
    let report = verbatim(
        &["report", "--count", "distinct", "--by", "region", "--from"],
        &[("", &out)],
    );
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let distinct = documents_by_group(&out.join("by_region.parquet"));
    assert_eq!(all["Bretagne"] - distinct["Bretagne"], 40);
    assert_eq!(
        read_json(&out.join("run.json"))["who_says_what"]["count"],
        "distinct"
    );
}

/// Documents per group, summed over the categories (text mode: each document once).
fn documents_by_group(path: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for row in frame_rows(path) {
        let n: u64 = row["documents"].parse().unwrap();
        *out.entry(row["group"].clone()).or_default() += n;
        assert!(n <= row["group_documents"].parse::<u64>().unwrap());
    }
    out
}

#[test]
fn a_by_column_that_does_not_exist_or_is_too_wide_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(["id", "numero", "texte"]).unwrap();
    for i in 0..2000 {
        w.write_record([format!("R{i}"), format!("N{i}"), "Un texte.".into()])
            .unwrap();
    }
    w.flush().unwrap();
    let out = dir.path().join("out");
    let typo = run_output(&path, &out, &["--by", "numer"]);
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(!typo.status.success());
    assert!(
        stderr.contains("Did you mean \"numero\"") && stderr.contains("columns are"),
        "{stderr}"
    );
    let wide = run_output(&path, &out, &["--by", "numero"]);
    let stderr = String::from_utf8_lossy(&wide.stderr);
    assert!(
        stderr.contains("2000 distinct values") && stderr.contains("--by-max-groups"),
        "{stderr}"
    );
    assert!(
        !out.join("assignments.parquet").exists(),
        "refused before any work"
    );
}

/// Passage mode on long questions: a document counts once in each category it raises.
#[test]
fn in_passage_mode_a_document_counts_once_per_category() {
    let Some(dev) = dev_set() else { return };
    let data = dev.parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("questions.csv");
    let mut reader =
        csv::Reader::from_path(data.join("an_questions_gouvernement_l16.csv")).unwrap();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(["id", "text"]).unwrap();
    for r in reader.records().take(60) {
        let r = r.unwrap();
        w.write_record([&r[0], &r[1]]).unwrap();
    }
    w.flush().unwrap();
    let out = dir.path().join("out");
    let meta = data.join("an_questions_gouvernement_l16_meta.csv");
    let meta = meta.to_str().unwrap();
    run_ok(
        &path,
        &out,
        &["--unit", "passage", "--by-file", meta, "--by", "groupe"],
    );
    let groupe = column(Path::new(meta), "groupe");
    let mut raised: BTreeMap<String, u64> = BTreeMap::new();
    for row in frame_rows(&out.join("assignments.parquet")) {
        let pillars = row["pillars"].split('|').filter(|p| !p.is_empty()).count();
        let n = if pillars > 0 {
            pillars
        } else {
            usize::from(row["pillar"] == "none")
        };
        *raised.entry(groupe[&row["id"]].clone()).or_default() += n as u64;
    }
    raised.retain(|_, n| *n > 0);
    assert_eq!(documents_by_group(&out.join("by_groupe.parquet")), raised);
}

/// A folder of documents: `--by folder` groups them by their first subfolder.
#[test]
fn by_folder_groups_documents_by_their_first_subfolder() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("contributions");
    for sub in ["syndicats", "federations/ile-de-france"] {
        std::fs::create_dir_all(docs.join(sub)).unwrap();
    }
    let texts = [
        (
            "syndicats/a.txt",
            "Les infirmières de nuit ne sont pas assez payées. Il faut revaloriser les salaires des soignants.",
        ),
        (
            "syndicats/b.txt",
            "Les aides-soignantes attendent une vraie reconnaissance de leur métier et de leur pénibilité.",
        ),
        (
            "federations/ile-de-france/c.txt",
            "Les hôpitaux ont besoin d'un plan d'investissement pour rénover leurs bâtiments vétustes.",
        ),
        (
            "lettre.txt",
            "Dans notre village il n'y a plus de médecin traitant, les patients font cinquante kilomètres.",
        ),
    ];
    for (path, text) in texts {
        std::fs::write(docs.join(path), text).unwrap();
    }
    let out = dir.path().join("out");
    run_ok(&docs, &out, &["--by", "folder"]);
    let rows = frame_rows(&out.join("by_folder.parquet"));
    let sizes: BTreeMap<String, String> = (rows.iter())
        .map(|r| (r["group"].clone(), r["group_documents"].clone()))
        .collect();
    let expected = [("(vide)", "1"), ("federations", "1"), ("syndicats", "2")];
    let expected: BTreeMap<String, String> = (expected.iter())
        .map(|(g, n)| (g.to_string(), n.to_string()))
        .collect();
    assert_eq!(sizes, expected);
}
