use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use verbatim::report::{self, Lang};

#[derive(Args)]
#[command(after_help = "Examples:
  verbatim report --from out
  verbatim report --from out --lang en
  verbatim report --from out --by profil --count distinct")]
pub struct ReportArgs {
    /// Output directory of `verbatim run` (themes.parquet, assignments.parquet, run.json).
    #[arg(long)]
    from: PathBuf,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = Lang::Fr)]
    lang: Lang,
    #[command(flatten)]
    by: super::ByArgs,
    /// Write report.html and report.md only, not report.docx and report.odt.
    #[arg(long)]
    no_office: bool,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let _lock = verbatim::stages::write::record::OutputLock::acquire(&args.from)?;
    let options = args.by.options(verbatim::who::campaigns::DEFAULT_MIN);
    if !options.by.is_empty() || options.by_file.is_some() || options.count != Default::default() {
        verbatim::who::reanalyse(&args.from, &options)?;
    }
    report::write_report(&args.from, args.lang, !args.no_office)?;
    let office = if args.no_office {
        ""
    } else {
        ", report.docx, report.odt"
    };
    log::info!(
        "wrote {}/report.html, report.md{office}",
        args.from.display()
    );
    Ok(())
}
