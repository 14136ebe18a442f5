use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim export --from out --qdpx projet.qdpx
  verbatim export --from out --qdc codes.qdc
  verbatim evaluate --predictions out/assignments.parquet --gold projet.qdpx")]
pub struct ExportArgs {
    /// Output directory of `verbatim run`.
    #[arg(long)]
    from: PathBuf,
    /// Write the run as a REFI-QDA project: sources (pseudonymised), code tree (category →
    /// theme, and kind), each testimony or passage a coded selection.
    #[arg(long)]
    qdpx: Option<PathBuf>,
    /// Write the code tree alone as a REFI-QDA codebook.
    #[arg(long)]
    qdc: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> Result<()> {
    if args.qdpx.is_none() && args.qdc.is_none() {
        bail!("nothing to export: name a project (--qdpx F.qdpx) or a codebook (--qdc F.qdc)");
    }
    let _lock = verbatim::stages::write::record::OutputLock::acquire(&args.from)?;
    let done =
        verbatim::refi::export::export(&args.from, args.qdpx.as_deref(), args.qdc.as_deref())?;
    log::info!(
        "exported {} sources, {} coded selections, {} codes",
        done.sources,
        done.selections,
        done.codes
    );
    Ok(())
}
