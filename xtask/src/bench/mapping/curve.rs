//! The few-shot learning curve: n tags per category (n = 5, 10, 20, 50; at most half a category's
//! rows), drawn at random (5 draws) or proposed by `verbatim sample` (its default strategy, from
//! the default run, the same number); `none` off, so that the curve measures the mapping alone.
//! Beside verbatim: the label-free mapping and scikit-learn's `LogisticRegression` on the same
//! vectors with the same tags, all on the rows the draw left untagged; and, for `sample`, the rows
//! neither draw tagged (uncertainty sampling takes hard rows out of its own untagged set).

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use verbatim::rng::Rng;
use verbatim::sample::sheet::{self, SheetRow};
use verbatim::sample::source::from_run;
use verbatim::sample::{Part, SampleOptions};
use verbatim::stages::categories::none::NoneThreshold;
use verbatim::stages::read::ingest;

use super::baseline::{self, Draw};
use super::{Assigned, DEFAULT_RUN, Set, f1, run_once};

/// Tags per category.
const SIZES: [usize; 4] = [5, 10, 20, 50];
/// Draws of each point.
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// One draw's macro-F1 figures.
#[derive(Default, Clone, Copy)]
struct Figures {
    label_free: f64,
    logistic: f64,
    logistic_standardised: f64,
    random: f64,
    sample: f64,
    random_neither: f64,
    sample_neither: f64,
}

pub fn table(set: &Set, label_free: &Assigned) -> Result<()> {
    let draws: Vec<(usize, u64, Vec<usize>)> = (SIZES.iter())
        .flat_map(|&n| SEEDS.iter().map(move |&s| (n, s)))
        .map(|(n, s)| (n, s, random_tags(set, n, s)))
        .collect();
    let specs: Vec<Draw> = (draws.iter())
        .map(|(_, _, rows)| Draw {
            rows: rows.clone(),
            labels: rows.iter().map(|&r| set.gold[r].clone()).collect(),
        })
        .collect();
    let baseline = baseline::predict(set, &specs)?;
    println!(
        "| tags per category | tags | label-free | logistic regression | same, standardised features | verbatim, random tags | over the better baseline | verbatim, `sample` | rows neither tagged: random / `sample` |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &size in &SIZES {
        let mut points = Vec::new();
        let mut tags = 0;
        for (i, (n, seed, rows)) in draws.iter().enumerate() {
            if *n == size {
                tags = rows.len();
                points.push(draw(set, label_free, size, *seed, rows, &baseline[i])?);
            }
        }
        print_point(size, tags, &points);
    }
    println!();
    Ok(())
}

fn draw(
    set: &Set,
    label_free: &Assigned,
    size: usize,
    seed: u64,
    random: &[usize],
    baseline: &(Vec<String>, Vec<String>),
) -> Result<Figures> {
    let by_random = run_tagged(set, &format!("random-{size}-{seed}"), &with_part(random))?;
    let tagged: HashSet<usize> = random.iter().copied().collect();
    let untagged = |r: usize| !tagged.contains(&r);
    let picks = sampled(set, random.len(), seed)?;
    let by_sample = run_tagged(set, &format!("sample-{size}-{seed}"), &picks)?;
    let chosen: HashSet<usize> = picks.iter().map(|p| p.0).collect();
    let neither = |r: usize| !chosen.contains(&r) && !tagged.contains(&r);
    Ok(Figures {
        label_free: f1(set, &label_free.pillar, untagged),
        logistic: f1(set, &baseline.0, untagged),
        logistic_standardised: f1(set, &baseline.1, untagged),
        random: f1(set, &by_random, untagged),
        sample: f1(set, &by_sample, |r| !chosen.contains(&r)),
        random_neither: f1(set, &by_random, neither),
        sample_neither: f1(set, &by_sample, neither),
    })
}

fn with_part(rows: &[usize]) -> Vec<(usize, Part)> {
    rows.iter().map(|&r| (r, Part::Random)).collect()
}

fn print_point(size: usize, tags: usize, points: &[Figures]) {
    let mean = |f: fn(&Figures) -> f64| points.iter().map(f).sum::<f64>() / points.len() as f64;
    let better = mean(|p| p.label_free)
        .max(mean(|p| p.logistic))
        .max(mean(|p| p.logistic_standardised));
    println!(
        "| {size} | {tags} | {:.3} | {:.3} | {:.3} | **{:.3}** | {:+.3} | {:.3} | {:.3} / {:.3} |",
        mean(|p| p.label_free),
        mean(|p| p.logistic),
        mean(|p| p.logistic_standardised),
        mean(|p| p.random),
        mean(|p| p.random) - better,
        mean(|p| p.sample),
        mean(|p| p.random_neither),
        mean(|p| p.sample_neither),
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

/// What `verbatim sample` proposes from the default run (its default strategy), as (row, part).
fn sampled(set: &Set, n: usize, seed: u64) -> Result<Vec<(usize, Part)>> {
    let options = SampleOptions {
        n,
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
    let run = run_once(set, name, |c| {
        c.labels = Some(path);
        c.map.none_threshold = NoneThreshold::Fixed(-1.0);
    })?;
    Ok(run.pillar)
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
