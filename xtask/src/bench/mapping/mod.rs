//! `xtask bench mapping --out DIR`: the category mapping on labelled sets, every figure of METHODS.md's
//! "Categories" tables. For each set (whole texts):
//! 1. plain zero-shot (the peers' baseline), label-free with `none` off, label-free at the default
//!    (`none` counts as a miss), and the share sent to `none`: macro-F1 against the labels;
//! 2. `none` thresholds: the share of the set sent to `none` (all its rows belong to the taxonomy),
//!    and, leaving each category out of the taxonomy in turn, the share of its rows caught;
//! 3. few-shot: tags taken from the labels, either drawn at random per category or picked by
//!    `verbatim sample` from the default run (the same number of tags); macro-F1 on the untagged
//!    rows, and on the rows neither draw tagged (uncertainty sampling removes hard rows from its
//!    own untagged set, so the second figure is the fair one).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use verbatim::evaluate::macro_f1;
use verbatim::pipeline::{self, RunConfig, UnitChoice};
use verbatim::rng::Rng;
use verbatim::sample::sheet::{self, SheetRow};
use verbatim::sample::source::from_run;
use verbatim::sample::{Part, SampleOptions, Strategy};
use verbatim::stages::categories::mapping::NONE_THRESHOLD;
use verbatim::stages::read::ingest::{self, ReadOptions};
use verbatim::stages::write::table::read_parquet_as_text;
use verbatim::taxonomy::Taxonomy;

use super::passages::label_column;

/// One labelled set.
#[derive(Clone)]
struct Set {
    name: String,
    input: PathBuf,
    taxonomy: PathBuf,
    categories: Taxonomy,
    ids: Vec<String>,
    gold: Vec<String>,
    dir: PathBuf,
}

/// A run's categories, read back from assignments.parquet in input order.
struct Assigned {
    pillar: Vec<String>,
    relevance: Vec<f64>,
}

/// The run at the defaults, which `sample` draws from.
const DEFAULT_RUN: &str = "label-free";
/// Thresholds of the `none` table.
const THRESHOLDS: [f64; 5] = [-0.10, -0.07, -0.05, -0.03, 0.0];
/// Draws of each few-shot point.
const SEEDS: [u64; 3] = [1, 2, 3];

pub fn run(dir: &Path, sets: &[(PathBuf, PathBuf)]) -> Result<()> {
    for (input, taxonomy) in sets {
        let set = load(dir, input, taxonomy)?;
        println!(
            "\n## {} ({} rows, {} categories)\n",
            set.name,
            set.ids.len(),
            set.categories.categories.len()
        );
        let (none_off, default) = methods(&set)?;
        none_table(&set, &none_off)?;
        few_shot_table(&set, &default)?;
    }
    Ok(())
}

fn load(dir: &Path, input: &Path, taxonomy: &Path) -> Result<Set> {
    let corpus = ingest::read(input, &ReadOptions::default())?;
    let gold = label_column(&corpus, input, taxonomy)?;
    let name = input
        .file_stem()
        .map_or("set".into(), |s| s.to_string_lossy().into_owned());
    let set_dir = dir.join(&name);
    std::fs::create_dir_all(&set_dir)?;
    Ok(Set {
        categories: Taxonomy::load(Some(&taxonomy.to_path_buf()))?,
        name,
        input: input.to_path_buf(),
        taxonomy: taxonomy.to_path_buf(),
        ids: corpus.ids,
        gold,
        dir: set_dir,
    })
}

/// One run of the whole pipeline on the set, whole texts, `tweak` applied to the defaults.
fn run_once(set: &Set, name: &str, tweak: impl FnOnce(&mut RunConfig)) -> Result<Assigned> {
    let out = set.dir.join(name);
    let mut config = RunConfig::new(set.input.clone(), out.clone());
    config.taxonomy = Some(set.taxonomy.clone());
    config.unit = UnitChoice::Text;
    config.vectors.progress = false;
    tweak(&mut config);
    pipeline::run(&config)?;
    let path = out.join("assignments.parquet");
    let columns = read_parquet_as_text(&path)?;
    let column = |name: &str| -> Result<Vec<String>> {
        let c = columns.iter().find(|c| c.name == name);
        let c = c.with_context(|| format!("{} has no {name}", path.display()))?;
        Ok(c.values
            .iter()
            .map(|v| v.clone().unwrap_or_default())
            .collect())
    };
    anyhow::ensure!(
        column("id")? == set.ids,
        "{}: rows out of input order",
        path.display()
    );
    Ok(Assigned {
        pillar: column("pillar")?,
        relevance: column("taxonomy_relevance")?
            .iter()
            .map(|v| v.parse().unwrap_or(f64::NAN))
            .collect(),
    })
}

/// Macro-F1 over the rows `keep` says, `none` counting as a miss.
fn f1(set: &Set, predicted: &[String], keep: impl Fn(usize) -> bool) -> f64 {
    let rows: Vec<usize> = (0..set.ids.len()).filter(|&r| keep(r)).collect();
    let gold: Vec<&str> = rows.iter().map(|&r| set.gold[r].as_str()).collect();
    let pred: Vec<&str> = rows.iter().map(|&r| predicted[r].as_str()).collect();
    macro_f1(&gold, &pred)
}

/// Zero-shot, label-free without and with `none`; returns the label-free runs without `none` and
/// at the default (the one `sample` draws from).
fn methods(set: &Set) -> Result<(Assigned, Assigned)> {
    let off = |c: &mut RunConfig| c.map.none_threshold = -1.0;
    let zero_shot = run_once(set, "zero-shot", |c| {
        off(c);
        c.map.zero_shot = true;
    })?;
    let label_free = run_once(set, "label-free-none-off", off)?;
    let default = run_once(set, DEFAULT_RUN, |_| {})?;
    let none = default.pillar.iter().filter(|p| *p == "none").count();
    println!(
        "| zero-shot (peers) | label-free, `none` off | label-free, `none` at default ({NONE_THRESHOLD}) | sent to `none` at default |"
    );
    println!("|---|---|---|---|");
    println!(
        "| {:.3} | {:.3} | **{:.3}** | {:.1}% ({none} of {}) |\n",
        f1(set, &zero_shot.pillar, |_| true),
        f1(set, &label_free.pillar, |_| true),
        f1(set, &default.pillar, |_| true),
        100.0 * none as f64 / set.ids.len() as f64,
        set.ids.len()
    );
    Ok((label_free, default))
}

/// For each threshold: the share of the set sent to `none`, and of each left-out category's rows
/// caught (mean over categories, and the least caught).
fn none_table(set: &Set, full: &Assigned) -> Result<()> {
    let mut caught: Vec<Vec<f64>> = vec![Vec::new(); THRESHOLDS.len()];
    for (k, category) in set.categories.categories.iter().enumerate() {
        let taxonomy = set.dir.join(format!("without-{}.toml", category.id));
        std::fs::write(&taxonomy, without(&set.categories, k))?;
        let left_out = Set {
            taxonomy,
            ..set.clone()
        };
        let run = run_once(&left_out, &format!("without-{}", category.id), |c| {
            c.map.none_threshold = -1.0
        })?;
        let rows: Vec<usize> = (0..set.ids.len())
            .filter(|&r| set.gold[r] == category.id)
            .collect();
        for (t, threshold) in THRESHOLDS.iter().enumerate() {
            let n = rows
                .iter()
                .filter(|&&r| run.relevance[r] < *threshold)
                .count();
            caught[t].push(n as f64 / rows.len().max(1) as f64);
        }
    }
    println!(
        "| `--none-threshold` | set sent to `none` (lost) | left-out category caught (mean) | least caught |"
    );
    println!("|---|---|---|---|");
    for (t, threshold) in THRESHOLDS.iter().enumerate() {
        let lost = full.relevance.iter().filter(|&&v| v < *threshold).count();
        let mean = caught[t].iter().sum::<f64>() / caught[t].len() as f64;
        let least = caught[t].iter().copied().fold(f64::INFINITY, f64::min);
        let mark = if *threshold == NONE_THRESHOLD {
            " (default)"
        } else {
            ""
        };
        println!(
            "| {threshold:+.2}{mark} | {:.1}% | {:.1}% | {:.1}% |",
            100.0 * lost as f64 / set.ids.len() as f64,
            100.0 * mean,
            100.0 * least
        );
    }
    println!();
    Ok(())
}

/// The taxonomy without category `k`, as TOML.
fn without(taxonomy: &Taxonomy, k: usize) -> String {
    let kept: Vec<_> = taxonomy
        .categories
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != k)
        .map(|(_, c)| c.clone())
        .collect();
    toml::to_string(&serde_json::json!({ "category": kept })).expect("categories serialise")
}

/// Tags per category of the few-shot curve.
const SIZES: [usize; 3] = [5, 20, 50];

/// Macro-F1 on the untagged rows of each draw, and on the rows neither draw tagged.
#[derive(Default)]
struct Curve {
    random: Vec<f64>,
    sampled: Vec<(Strategy, f64, f64)>,
    random_common: Vec<f64>,
    tags: usize,
}

fn few_shot_table(set: &Set, label_free: &Assigned) -> Result<()> {
    println!(
        "| tags per category | tags | random | `sample` mixed | `sample` uncertain | `sample` stratified | rows neither tagged: random / mixed |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| 0 (label-free) | 0 | {:.3} | | | | |",
        f1(set, &label_free.pillar, |_| true)
    );
    for size in SIZES {
        let mut curve = Curve::default();
        for seed in SEEDS {
            draw(set, size, seed, &mut curve)?;
        }
        print_curve(size, &curve);
    }
    println!();
    Ok(())
}

fn draw(set: &Set, size: usize, seed: u64, curve: &mut Curve) -> Result<()> {
    let random = random_tags(set, size, seed);
    curve.tags = random.len();
    let name = format!("random-{size}-{seed}");
    let by_random = run_tagged(
        set,
        &name,
        &random
            .iter()
            .map(|&r| (r, Part::Random))
            .collect::<Vec<_>>(),
    )?;
    let tagged: HashSet<usize> = random.iter().copied().collect();
    curve
        .random
        .push(f1(set, &by_random, |r| !tagged.contains(&r)));
    let strategies = if size == 20 {
        vec![Strategy::Mixed, Strategy::Uncertain, Strategy::Stratified]
    } else {
        vec![Strategy::Mixed]
    };
    for strategy in strategies {
        let picks = sampled(set, random.len(), strategy, seed)?;
        let name = format!("{}-{size}-{seed}", strategy.name());
        let by_sample = run_tagged(set, &name, &picks)?;
        let chosen: HashSet<usize> = picks.iter().map(|p| p.0).collect();
        let neither = |r: usize| !chosen.contains(&r) && !tagged.contains(&r);
        let own = f1(set, &by_sample, |r| !chosen.contains(&r));
        curve
            .sampled
            .push((strategy, own, f1(set, &by_sample, neither)));
        if strategy == Strategy::Mixed {
            curve.random_common.push(f1(set, &by_random, neither));
        }
    }
    Ok(())
}

fn print_curve(size: usize, curve: &Curve) {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let of = |s: Strategy, common: bool| -> String {
        let v: Vec<f64> = curve
            .sampled
            .iter()
            .filter(|x| x.0 == s)
            .map(|x| if common { x.2 } else { x.1 })
            .collect();
        if v.is_empty() {
            String::new()
        } else {
            format!("{:.3}", mean(&v))
        }
    };
    println!(
        "| {size} | {} | {:.3} | {} | {} | {} | {:.3} / {} |",
        curve.tags,
        mean(&curve.random),
        of(Strategy::Mixed, false),
        of(Strategy::Uncertain, false),
        of(Strategy::Stratified, false),
        mean(&curve.random_common),
        of(Strategy::Mixed, true)
    );
}

/// `size` rows of each category drawn at random (at most half of the category's rows).
fn random_tags(set: &Set, size: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut rows = Vec::new();
    for category in &set.categories.categories {
        let mut pool: Vec<usize> = (0..set.ids.len())
            .filter(|&r| set.gold[r] == category.id)
            .collect();
        for _ in 0..size.min(pool.len() / 2) {
            rows.push(pool.swap_remove(rng.below(pool.len())));
        }
    }
    rows
}

/// What `verbatim sample` proposes from the default run, as (row, part).
fn sampled(set: &Set, n: usize, strategy: Strategy, seed: u64) -> Result<Vec<(usize, Part)>> {
    let options = SampleOptions {
        n,
        strategy,
        seed,
        ..SampleOptions::default()
    };
    let sample = from_run(&set.dir.join(DEFAULT_RUN), &options)?;
    let row_of = ingest::positions(&set.ids);
    Ok(sample
        .rows
        .iter()
        .map(|s| (row_of[s.id.as_str()], s.part))
        .collect())
}

/// A run with the rows' gold labels as tags, written as a filled tagging sheet (CSV).
fn run_tagged(set: &Set, name: &str, rows: &[(usize, Part)]) -> Result<Vec<String>> {
    let path = set.dir.join(format!("{name}.csv"));
    let sheet_rows: Vec<SheetRow> = rows
        .iter()
        .map(|&(r, part)| SheetRow {
            id: set.ids[r].clone(),
            text: String::new(),
            part,
            guess: String::new(),
        })
        .collect();
    sheet::write(&path, &sheet_rows, &set.categories)?;
    fill(&path, rows.iter().map(|&(r, _)| set.gold[r].as_str()))?;
    Ok(run_once(set, name, |c| c.labels = Some(path))?.pillar)
}

/// Fills the `tag` column of a CSV tagging sheet with `tags`, in its row order.
fn fill<'a>(path: &Path, tags: impl Iterator<Item = &'a str>) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers()?.clone();
    let tag = header
        .iter()
        .position(|h| h == sheet::TAG_COLUMN)
        .context("no tag column")?;
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_path(path)?;
    writer.write_record(&header)?;
    for (record, value) in reader.records().zip(tags) {
        let record = record?;
        let row: Vec<&str> = (0..record.len())
            .map(|i| if i == tag { value } else { &record[i] })
            .collect();
        writer.write_record(row)?;
    }
    writer.flush()?;
    Ok(())
}
