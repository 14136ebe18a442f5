//! Label-free against zero-shot on random halves of the set: the self-training must never do
//! worse than the descriptions alone, whatever the sample (`none` off; 10 halves, seeded).

use anyhow::Result;
use verbatim::rng::Rng;
use verbatim::stages::categories::none::NoneThreshold;
use verbatim::stages::write::record::RunRecord;

use super::{Set, f1, run_once};

const HALVES: u64 = 10;

pub fn table(set: &Set) -> Result<()> {
    let mut rows = Vec::new();
    for seed in 1..=HALVES {
        let half = draw_half(set, seed)?;
        let off = |c: &mut verbatim::pipeline::RunConfig| {
            c.map.none_threshold = NoneThreshold::Fixed(-1.0)
        };
        let zero_shot = run_once(&half, &format!("half-{seed}-zero-shot"), |c| {
            off(c);
            c.map.zero_shot = true;
        })?;
        let label_free = run_once(&half, &format!("half-{seed}-label-free"), off)?;
        let record = std::fs::read(half.dir.join(format!("half-{seed}-label-free/run.json")))?;
        let record: RunRecord = serde_json::from_slice(&record)?;
        let check = record.mapping.self_training_check;
        rows.push((
            f1(&half, &zero_shot.pillar, |_| true),
            f1(&half, &label_free.pillar, |_| true),
            check.as_ref().map_or(f64::NAN, |c| c.zero_shot_agreement),
            check.is_some_and(|c| c.drift.is_some()),
        ));
    }
    let mean =
        |f: fn(&(f64, f64, f64, bool)) -> f64| rows.iter().map(f).sum::<f64>() / rows.len() as f64;
    let worst = rows.iter().map(|r| r.1 - r.0).fold(f64::INFINITY, f64::min);
    let agreement = rows.iter().map(|r| r.2).fold(f64::INFINITY, f64::min);
    println!(
        "| random halves | zero-shot (mean) | label-free (mean) | label-free − zero-shot, worst half | agreement with the zero-shot's clearest rows, lowest | drift detected |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {HALVES} | {:.3} | {:.3} | {worst:+.3} | {agreement:.3} | {} of {HALVES} |\n",
        mean(|r| r.0),
        mean(|r| r.1),
        rows.iter().filter(|r| r.3).count()
    );
    Ok(())
}

/// Half of the set's rows drawn at random, written as its own labelled CSV.
fn draw_half(set: &Set, seed: u64) -> Result<Set> {
    let mut rng = Rng::new(1000 + seed);
    let mut pool: Vec<usize> = (0..set.ids.len()).collect();
    let mut chosen: Vec<usize> = (0..set.ids.len() / 2)
        .map(|_| pool.swap_remove(rng.below(pool.len())))
        .collect();
    chosen.sort_unstable();
    let input = set.dir.join(format!("half-{seed}.csv"));
    let mut writer = csv::Writer::from_path(&input)?;
    writer.write_record(["id", "text", "label"])?;
    for &r in &chosen {
        writer.write_record([&set.ids[r], &set.texts[r], &set.gold[r]])?;
    }
    writer.flush()?;
    Ok(Set {
        input,
        ids: chosen.iter().map(|&r| set.ids[r].clone()).collect(),
        texts: chosen.iter().map(|&r| set.texts[r].clone()).collect(),
        gold: chosen.iter().map(|&r| set.gold[r].clone()).collect(),
        ..set.clone()
    })
}
