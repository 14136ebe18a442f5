//! `bench who --from DIR --by COL…`: what the "who says what" tables cost on a finished run,
//! apart from everything else: the run's folder is copied, then the breakdowns are built three
//! times without `--by` and three times with it; printed beside the run's own time.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use verbatim::stages::write::csv::CsvStyle;
use verbatim::stages::write::record::RunRecord;
use verbatim::who::{self, WhoOptions};

const REPEATS: usize = 3;

pub fn run(from: &Path, by: &[String], by_file: Option<&Path>) -> Result<()> {
    let copy = tempfile::tempdir()?;
    for entry in std::fs::read_dir(from)?.flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), copy.path().join(entry.file_name()))?;
        }
    }
    let run = RunRecord::read(copy.path())?;
    let time = |options: &WhoOptions| -> Result<f64> {
        let mut best = f64::INFINITY;
        for _ in 0..REPEATS {
            let clock = Instant::now();
            let campaigns = Default::default();
            who::analyse(copy.path(), &run, options, campaigns, CsvStyle::plain())?;
            best = best.min(clock.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let plain = time(&WhoOptions::default())?;
    let with = time(&WhoOptions {
        by: by.to_vec(),
        by_file: by_file.map(Path::to_path_buf),
        ..WhoOptions::default()
    })?;
    let t = &run.timings;
    let total = t.ingest_s
        + t.model_load_s
        + t.embed_s
        + t.map_s
        + t.cluster_s
        + t.describe_s
        + t.write_s
        + t.who_s;
    println!("{}", cpu());
    println!(
        "run: {} documents, {total:.2} s in all (its run.json)",
        run.rows.read
    );
    println!("co-occurrence and saturation alone: {plain:.3} s (best of {REPEATS})");
    println!(
        "with --by {}: {with:.3} s; --by adds {:.3} s, {:.1}% of the run",
        by.join(" --by "),
        with - plain,
        100.0 * (with - plain) / total.max(1e-9)
    );
    Ok(())
}

/// The CPU's model name and thread count, from /proc/cpuinfo where there is one.
fn cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let name = (info.lines())
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_string();
    format!("{name}, {} threads (rayon)", rayon::current_num_threads())
}
