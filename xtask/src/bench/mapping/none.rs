//! The `none` table: for each rule, the share of the set sent to `none` (every row belongs to the
//! taxonomy, so that is lost) and, leaving each category out of the taxonomy in turn, the share of
//! its rows caught; then what the default loses when the long texts are cut into passages.

use anyhow::Result;
use verbatim::pipeline::UnitChoice;
use verbatim::stages::categories::none::{NoneThreshold, auto_threshold};
use verbatim::stages::write::table::read_parquet_as_text;
use verbatim::taxonomy::Taxonomy;

use super::{Assigned, Set, run_once, run_pipeline};

/// The rules of the table: `auto` (the default) and fixed thresholds.
const RULES: [NoneThreshold; 6] = [
    NoneThreshold::Auto,
    NoneThreshold::Fixed(-0.10),
    NoneThreshold::Fixed(-0.07),
    NoneThreshold::Fixed(-0.05),
    NoneThreshold::Fixed(-0.03),
    NoneThreshold::Fixed(0.0),
];

/// Rows whose relevance falls under a rule, the rule resolved on the run's own relevance.
fn under(rule: NoneThreshold, relevance: &[f64]) -> Vec<bool> {
    let values: Vec<f32> = relevance.iter().map(|&v| v as f32).collect();
    let threshold = match rule {
        NoneThreshold::Auto => auto_threshold(&values),
        NoneThreshold::Fixed(v) => v,
    };
    values.iter().map(|&v| v < threshold).collect()
}

pub fn table(set: &Set, full: &Assigned) -> Result<()> {
    let mut caught: Vec<Vec<f64>> = vec![Vec::new(); RULES.len()];
    for (k, category) in set.categories.categories.iter().enumerate() {
        let taxonomy = set.dir.join(format!("without-{}.toml", category.id));
        std::fs::write(&taxonomy, without(&set.categories, k))?;
        let left_out = Set {
            taxonomy,
            ..set.clone()
        };
        let run = run_once(&left_out, &format!("without-{}", category.id), |c| {
            c.map.none_threshold = NoneThreshold::Fixed(-1.0)
        })?;
        let rows: Vec<usize> = (0..set.ids.len())
            .filter(|&r| set.gold[r] == category.id)
            .collect();
        for (t, rule) in RULES.iter().enumerate() {
            let out = under(*rule, &run.relevance);
            let n = rows.iter().filter(|&&r| out[r]).count();
            caught[t].push(n as f64 / rows.len().max(1) as f64);
        }
    }
    println!(
        "| `--none-threshold` | set sent to `none` (lost) | left-out category caught (mean) | least caught |"
    );
    println!("|---|---|---|---|");
    for (t, rule) in RULES.iter().enumerate() {
        let lost = under(*rule, &full.relevance).iter().filter(|&&o| o).count();
        let mean = caught[t].iter().sum::<f64>() / caught[t].len() as f64;
        let least = caught[t].iter().copied().fold(f64::INFINITY, f64::min);
        let name = match rule {
            NoneThreshold::Auto => "auto (default)".to_string(),
            NoneThreshold::Fixed(v) => format!("{v:+.2}"),
        };
        println!(
            "| {name} | {:.1}% | {:.1}% | {:.1}% |",
            100.0 * lost as f64 / set.ids.len() as f64,
            100.0 * mean,
            100.0 * least
        );
    }
    println!();
    Ok(())
}

/// The set cut into passages, at the default: the share of passages sent to `none`, with `auto`
/// and with the fixed −0.05 of before (a third distribution, every passage on topic).
pub fn passages(set: &Set) -> Result<()> {
    let out = run_pipeline(set, "passages-default", |c| c.unit = UnitChoice::Passage)?;
    let columns = read_parquet_as_text(&out.join("passages.parquet"))?;
    let relevance: Vec<f64> = (columns.iter())
        .find(|c| c.name == "taxonomy_relevance")
        .map(|c| {
            c.values
                .iter()
                .flatten()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let share = |rule| {
        let out = under(rule, &relevance);
        100.0 * out.iter().filter(|&&o| o).count() as f64 / out.len().max(1) as f64
    };
    println!(
        "Cut into passages ({} passages): sent to `none` {:.1}% with `auto`, {:.1}% with −0.05.\n",
        relevance.len(),
        share(NoneThreshold::Auto),
        share(NoneThreshold::Fixed(-0.05))
    );
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
