use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use verbatim::stages::curate::edits::{self, EditsFile};
use verbatim::stages::curate::from_sheets;
use verbatim::stages::write::record::{RUN_RECORD, RunRecord, read_json};
use verbatim::taxonomy::Taxonomy;

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim edits --from out/themes.xlsx --from out/assignments.xlsx --out edits.toml
  verbatim run --input temoignages.csv --out out --edits edits.toml")]
pub struct EditsArgs {
    /// A run's themes.xlsx, assignments.xlsx or passages.xlsx with decisions typed in their edit
    /// columns (new_title, merge_into, category, split_into, pin, note; move_to, drop_reason, hide).
    #[arg(long, required = true)]
    from: Vec<PathBuf>,
    /// The edits file to append to (created if it does not exist).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: EditsArgs) -> Result<()> {
    let taxonomy = run_taxonomy(&args.from[0])?;
    let existing = match args.out.is_file() {
        true => edits::read(&args.out, &taxonomy)?,
        false => EditsFile::default(),
    };
    let ids: Vec<String> = taxonomy.categories.iter().map(|c| c.id.clone()).collect();
    let mut ops = Vec::new();
    for path in &args.from {
        ops.extend(from_sheets::read(path, &ids)?);
    }
    let ops = from_sheets::new_ops(ops, &existing.edits);
    if ops.is_empty() {
        log::info!("nothing new to add to {}", args.out.display());
        return Ok(());
    }
    let before = match args.out.is_file() {
        true => std::fs::read_to_string(&args.out)?,
        false => String::new(),
    };
    let sources: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
    let text = format!(
        "{before}\n# from {} ({})\n{}",
        sources.join(", "),
        verbatim::stages::write::record::utc_now(),
        from_sheets::to_toml(&ops)
    );
    // What is written must read back: the run would refuse it otherwise.
    edits::parse(&text, &taxonomy)
        .map_err(|e| anyhow::anyhow!("{}{e} (not written)", args.out.display()))?;
    verbatim::stages::write::table::write_atomically(&args.out, |f| {
        use std::io::Write;
        f.write_all(text.as_bytes())?;
        Ok(())
    })?;
    log::info!("{} operations added to {}", ops.len(), args.out.display());
    Ok(())
}

/// The categories of the run a workbook belongs to (its run.json), else the Ségur pillars.
fn run_taxonomy(workbook: &Path) -> Result<Taxonomy> {
    let dir = workbook.parent().unwrap_or(Path::new("."));
    let record = dir.join(RUN_RECORD);
    if !record.is_file() {
        return Ok(Taxonomy::segur());
    }
    let run: RunRecord = read_json(&record, dir)
        .with_context(|| format!("{} is beside {}", record.display(), workbook.display()))?;
    Ok(Taxonomy {
        source: run.parameters.taxonomy.clone(),
        categories: run.taxonomy,
    })
}
