use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use verbatim::sample::source::{count, from_run};
use verbatim::sample::{Part, SampleOptions, Strategy, sheet};

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim sample --from out --n 100 --out a_taguer.xlsx
  verbatim sample --from out --n 60 --strategy uncertain --out a_taguer.csv
then fill the `tag` column and run again with --labels a_taguer.xlsx")]
pub struct SampleArgs {
    /// Directory of a finished `verbatim run` (its run.json and assignments.parquet).
    #[arg(long)]
    from: PathBuf,
    /// Testimonies to propose.
    #[arg(long, default_value_t = SampleOptions::default().n, value_parser = super::at_least(1), allow_hyphen_values = true)]
    n: usize,
    /// How the part that is not random is picked: least sure first (uncertain), in turn from
    /// each category and theme (stratified), or in turn and least sure first (mixed).
    #[arg(long, value_enum, default_value_t = SampleOptions::default().strategy)]
    strategy: Strategy,
    /// Share of the sample drawn at random over every testimony: the tags of this part give an
    /// unbiased estimate of the accuracy.
    #[arg(long, default_value_t = SampleOptions::default().random_share, value_parser = share)]
    random_share: f64,
    /// Seed of the random draws: the same seed gives the same sample.
    #[arg(long, default_value_t = SampleOptions::default().seed)]
    seed: u64,
    /// The tagging sheet to write: .xlsx (drop-down list of the categories) or .csv (`;`, BOM).
    #[arg(long)]
    out: PathBuf,
}

fn share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    (0.0..=1.0)
        .contains(&v)
        .then_some(v)
        .ok_or_else(|| format!("{v} is not between 0 and 1"))
}

pub fn run(args: SampleArgs) -> Result<()> {
    let options = SampleOptions {
        n: args.n,
        strategy: args.strategy,
        random_share: args.random_share,
        seed: args.seed,
    };
    let sample = from_run(&args.from, &options)?;
    sheet::write(&args.out, &sample.rows, &sample.taxonomy)?;
    log::info!(
        "{} testimonies to tag ({} at random, {} chosen: {}) out of {} → {}",
        sample.rows.len(),
        count(&sample.rows, Part::Random),
        count(&sample.rows, Part::Chosen),
        args.strategy.name(),
        sample.pool,
        args.out.display()
    );
    log::info!(
        "fill the `{}` column, then: verbatim run … --labels {}",
        sheet::TAG_COLUMN,
        args.out.display()
    );
    Ok(())
}
