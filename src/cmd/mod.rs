//! One file per subcommand: argument parsing and wiring of the library's stages.

pub mod bench;
pub mod embed;
pub mod model;
pub mod run;

use clap::Args;
use verbatim::model::ModelRequest;

/// Model selection shared by every command that embeds.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Model: an E5S1 file, a Hugging Face model directory, or a hub id found in the local
    /// Hugging Face cache (default: the installed multilingual-e5-small).
    #[arg(long)]
    pub model: Option<String>,
    /// Text put before every input (default: "query: " for e5 models, none otherwise).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Let a hub id missing from the local cache be downloaded.
    #[arg(long)]
    pub allow_download: bool,
}

impl ModelArgs {
    pub fn request(&self) -> ModelRequest {
        ModelRequest {
            model: self.model.clone(),
            prefix: self.prefix.clone(),
            allow_download: self.allow_download,
        }
    }
}
