//! `xtask bench mapping --out DIR`: the category mapping on labelled sets, every figure of METHODS.md's
//! "Categories" tables. For each set (whole texts):
//! 1. plain zero-shot (the peers' baseline), label-free with `none` off, label-free at the default
//!    (`none` counts as a miss), and the share sent to `none`: macro-F1 against the labels;
//! 2. label-free against zero-shot on random halves, with the self-training's drift check (halves.rs);
//! 3. `none` rules: the share of the set sent to `none` (all its rows belong to the taxonomy),
//!    leaving each category out in turn the share of its rows caught, and the share of passages
//!    lost when the set is cut into passages (none.rs);
//! 4. the few-shot learning curve against the label-free mapping and scikit-learn's logistic
//!    regression on the same vectors and tags, random tags and `verbatim sample`'s (curve.rs).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use verbatim::evaluate::macro_f1;
use verbatim::pipeline::{self, RunConfig, UnitChoice};
use verbatim::stages::categories::none::NoneThreshold;
use verbatim::stages::read::ingest::{self, ReadOptions};
use verbatim::stages::write::table::read_parquet_as_text;
use verbatim::taxonomy::Taxonomy;

use super::passages::label_column;

mod baseline;
mod curve;
mod halves;
mod none;

/// One labelled set.
#[derive(Clone)]
struct Set {
    name: String,
    input: PathBuf,
    taxonomy: PathBuf,
    categories: Taxonomy,
    ids: Vec<String>,
    texts: Vec<String>,
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

pub fn run(dir: &Path, sets: &[(PathBuf, PathBuf)]) -> Result<()> {
    for (input, taxonomy) in sets {
        let set = load(dir, input, taxonomy)?;
        println!(
            "\n## {} ({} rows, {} categories)\n",
            set.name,
            set.ids.len(),
            set.categories.categories.len()
        );
        let (none_off, _) = methods(&set)?;
        halves::table(&set)?;
        none::table(&set, &none_off)?;
        none::passages(&set)?;
        curve::table(&set, &none_off)?;
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
        texts: corpus.texts,
        gold,
        dir: set_dir,
    })
}

/// One run of the whole pipeline on the set, whole texts, `tweak` applied to the defaults; returns
/// its output folder.
fn run_pipeline(set: &Set, name: &str, tweak: impl FnOnce(&mut RunConfig)) -> Result<PathBuf> {
    let out = set.dir.join(name);
    let mut config = RunConfig::new(set.input.clone(), out.clone());
    config.taxonomy = Some(set.taxonomy.clone());
    config.unit = UnitChoice::Text;
    config.vectors.progress = false;
    tweak(&mut config);
    pipeline::run(&config)?;
    Ok(out)
}

/// [`run_pipeline`], its categories read back in input order.
fn run_once(set: &Set, name: &str, tweak: impl FnOnce(&mut RunConfig)) -> Result<Assigned> {
    let path = run_pipeline(set, name, tweak)?.join("assignments.parquet");
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
    let off = |c: &mut RunConfig| c.map.none_threshold = NoneThreshold::Fixed(-1.0);
    let zero_shot = run_once(set, "zero-shot", |c| {
        off(c);
        c.map.zero_shot = true;
    })?;
    let label_free = run_once(set, "label-free-none-off", off)?;
    let default = run_once(set, DEFAULT_RUN, |_| {})?;
    let none = default.pillar.iter().filter(|p| *p == "none").count();
    println!(
        "| zero-shot (peers) | label-free, `none` off | label-free, `none` at default (auto) | sent to `none` at default |"
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
