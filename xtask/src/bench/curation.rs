//! `bench curation`: do theme keys and the analyst's edits survive a re-run? For each labelled set,
//! three scenarios: the corpus grows by 10% and by 50% (a random part first, then everything),
//! and the seed changes. The first run's themes get edits of every kind that names a theme or an
//! id (a rename and a pin per theme, moves and hides), the second run replays them with the first
//! as `--previous`. Printed per scenario: the share of earlier themes that keep their key (all of
//! them, and those whose testimonies mostly (≥ 50%) went to one new theme), and the share of edits
//! that still apply.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;
use verbatim::pipeline::{self, RunConfig};
use verbatim::rng::Rng;
use verbatim::stages::curate::previous::PreviousChoice;
use verbatim::stages::read::ingest::{self, ReadOptions};
use verbatim::stages::write::table::read_parquet_as_text;

pub fn run(dir: &Path, sets: &[(PathBuf, PathBuf)]) -> Result<()> {
    println!(
        "| set | scenario | earlier themes | keep their key | with a ≥ 50% successor | of which keep their key | edits | still apply |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (input, taxonomy) in sets {
        let name = input
            .file_stem()
            .map_or("set".into(), |s| s.to_string_lossy().into_owned());
        let corpus = ingest::read(input, &ReadOptions::default())?;
        let mut order: Vec<usize> = (0..corpus.len()).collect();
        Rng::new(1).shuffle(&mut order);
        let set_dir = dir.join(&name);
        std::fs::create_dir_all(&set_dir)?;
        let full = write_rows(&set_dir.join("all.csv"), &corpus, &order)?;
        for (scenario, base_share, seeds) in [
            ("+10% rows", 1.0 / 1.1, (42, 42)),
            ("+50% rows", 1.0 / 1.5, (42, 42)),
            ("seed 42 → 7", 1.0, (42, 7)),
        ] {
            let n = (corpus.len() as f64 * base_share).round() as usize;
            let base = write_rows(&set_dir.join(format!("base-{n}.csv")), &corpus, &order[..n])?;
            let s = scenario_dirs(&set_dir, scenario);
            let first = config(&base, &s.0, taxonomy, seeds.0, PreviousChoice::None, None);
            pipeline::run(&first)?;
            let edits = write_edits(&s.0)?;
            let second = config(
                &full,
                &s.1,
                taxonomy,
                seeds.1,
                PreviousChoice::Dir(s.0.clone()),
                Some(edits.0),
            );
            pipeline::run(&second)?;
            let k = keys_kept(&s.0, &s.1)?;
            let (applied, total) = edits_applied(&s.1)?;
            println!(
                "| {name} | {scenario} | {} | {:.3} | {} | {:.3} | {total} | {:.3} |",
                k.earlier,
                k.kept as f64 / k.earlier as f64,
                k.eligible,
                k.eligible_kept as f64 / k.eligible.max(1) as f64,
                applied as f64 / total.max(1) as f64
            );
        }
    }
    Ok(())
}

fn scenario_dirs(dir: &Path, scenario: &str) -> (PathBuf, PathBuf) {
    let slug: String = scenario
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    (
        dir.join(format!("{slug}-first")),
        dir.join(format!("{slug}-second")),
    )
}

fn config(
    input: &Path,
    out: &Path,
    taxonomy: &Path,
    seed: u64,
    previous: PreviousChoice,
    edits: Option<PathBuf>,
) -> RunConfig {
    let mut c = RunConfig::new(input.to_path_buf(), out.to_path_buf());
    c.taxonomy = Some(taxonomy.to_path_buf());
    c.cluster.seed = seed;
    c.vectors.progress = false;
    c.curate.previous = previous;
    c.curate.edits = edits;
    c
}

/// Writes some rows as `id,text` CSV.
fn write_rows(path: &Path, corpus: &ingest::Corpus, rows: &[usize]) -> Result<PathBuf> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["id", "text"])?;
    let mut sorted = rows.to_vec();
    sorted.sort_unstable();
    for &r in &sorted {
        w.write_record([&corpus.ids[r], &corpus.texts[r]])?;
    }
    w.flush()?;
    Ok(path.to_path_buf())
}

/// Column `name` of a run's table as text.
fn column(dir: &Path, table: &str, name: &str) -> Result<Vec<Option<String>>> {
    let columns = read_parquet_as_text(&dir.join(table))?;
    let c = columns.into_iter().find(|c| c.name == name);
    c.map(|c| c.values)
        .ok_or_else(|| anyhow::anyhow!("{table} has no {name}"))
}

/// The rows' table of a run (passages in passage mode), with each row's unit id.
fn unit_ids(dir: &Path) -> Result<(String, Vec<Option<String>>)> {
    let table = if dir.join("passages.parquet").is_file() {
        "passages.parquet"
    } else {
        "assignments.parquet"
    };
    let ids = column(dir, table, "id")?;
    let ids = match column(dir, table, "passage") {
        Ok(rank) => (ids.iter().zip(rank))
            .map(|(i, r)| Some(verbatim::stages::passages::cut::key(i.as_deref()?, r?)))
            .collect(),
        Err(_) => ids,
    };
    Ok((table.to_string(), ids))
}

/// An edit of every kind that names a theme or an id, on every theme of the first run: a rename,
/// a pin of its second quote, a hide of its third, and its last quote moved to the next theme.
fn write_edits(first: &Path) -> Result<(PathBuf, usize)> {
    let keys = column(first, "themes.parquet", "theme_key")?;
    let quotes = column(first, "themes.parquet", "quote_ids")?;
    let mut text = String::new();
    let mut count = 0;
    for (t, key) in keys.iter().enumerate() {
        let key = key.clone().unwrap_or_default();
        let q: Vec<String> = quotes[t]
            .as_deref()
            .unwrap_or("")
            .split('|')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        text += &format!("[[rename]]\ntheme = {:?}\ntitle = \"Thème {t}\"\n\n", key);
        count += 1;
        if q.len() >= 4 {
            let next = keys[(t + 1) % keys.len()].clone().unwrap_or_default();
            text += &format!(
                "[[pin]]\ntheme = {key:?}\nquotes = [{:?}]\n\n[[hide]]\nids = [{:?}]\n\n",
                q[1], q[2]
            );
            text += &format!("[[move]]\nids = [{:?}]\nto_theme = {next:?}\n\n", q[3]);
            count += 3;
        }
    }
    let path = first.with_extension("edits.toml");
    std::fs::write(&path, text)?;
    Ok((path, count))
}

struct KeysKept {
    earlier: usize,
    kept: usize,
    eligible: usize,
    eligible_kept: usize,
}

/// How many of the first run's automatic themes the second continues (by `draft_theme_key`).
fn keys_kept(first: &Path, second: &Path) -> Result<KeysKept> {
    let (table, ids1) = unit_ids(first)?;
    let keys1 = column(first, &table, "draft_theme_key")?;
    let (table2, ids2) = unit_ids(second)?;
    let keys2 = column(second, &table2, "draft_theme_key")?;
    let now: HashMap<String, String> = ids2
        .into_iter()
        .zip(keys2)
        .filter_map(|(i, k)| Some((i?, k?)))
        .collect();
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, k) in ids1.into_iter().zip(keys1) {
        if let (Some(i), Some(k)) = (i, k) {
            members.entry(k).or_default().push(i);
        }
    }
    let new_keys: std::collections::HashSet<&String> = now.values().collect();
    let mut k = KeysKept {
        earlier: members.len(),
        kept: 0,
        eligible: 0,
        eligible_kept: 0,
    };
    for (key, ids) in &members {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for i in ids {
            if let Some(n) = now.get(i) {
                *counts.entry(n).or_default() += 1;
            }
        }
        let best = counts.values().copied().max().unwrap_or(0);
        let kept = new_keys.contains(key);
        k.kept += kept as usize;
        if best * 2 >= ids.len() {
            k.eligible += 1;
            k.eligible_kept += kept as usize;
        }
    }
    Ok(k)
}

/// (operations applied in full, operations) from run.json's `edits`.
fn edits_applied(dir: &Path) -> Result<(usize, usize)> {
    let run: verbatim::stages::write::record::RunRecord =
        verbatim::stages::write::record::read_json(&dir.join("run.json"), dir)?;
    Ok((run.edits.applied, run.edits.operations.len()))
}
