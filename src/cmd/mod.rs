//! One file per subcommand: argument parsing and wiring of the library's stages.

pub mod bench;
pub mod embed;
pub mod evaluate;
pub mod model;
pub mod report;
pub mod run;

use clap::Args;
use verbatim::ingest::ReadOptions;
use verbatim::model::{ModelRequest, Precision};

/// Which columns of the input hold the texts and the ids.
#[derive(Args, Debug, Clone)]
pub struct ColumnArgs {
    /// Column holding the texts (default: guessed, and said).
    #[arg(long)]
    pub text_column: Option<String>,
    /// Column holding unique row ids (default: "id" if present, else row numbers).
    #[arg(long)]
    pub id_column: Option<String>,
}

impl ColumnArgs {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            text_column: self.text_column.clone(),
            id_column: self.id_column.clone(),
        }
    }
}

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
    /// Arithmetic of the linear layers: auto (4-bit × 8-bit on CPUs with AVX512-VNNI, f32
    /// elsewhere), f32 (the reference), int8 (4-bit × 8-bit on any CPU, slow without VNNI).
    #[arg(long, value_enum, default_value_t = Precision::Auto)]
    pub precision: Precision,
}

impl ModelArgs {
    pub fn request(&self) -> ModelRequest {
        ModelRequest {
            model: self.model.clone(),
            prefix: self.prefix.clone(),
            allow_download: self.allow_download,
            precision: self.precision,
        }
    }
}

/// Paths as given, with any glob pattern (`parts/*.parquet`) expanded in sorted order; a pattern
/// that matches nothing is an error rather than a silent empty list.
pub fn expand_globs(patterns: &[String]) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut paths = Vec::new();
    for pattern in patterns {
        if !pattern.contains(['*', '?', '[']) {
            paths.push(std::path::PathBuf::from(pattern));
            continue;
        }
        let mut matched: Vec<std::path::PathBuf> = glob::glob(pattern)
            .map_err(|e| anyhow::anyhow!("bad file pattern {pattern:?}: {e}"))?
            .collect::<Result<_, _>>()?;
        if matched.is_empty() {
            anyhow::bail!("no file matches {pattern:?}");
        }
        matched.sort();
        paths.extend(matched);
    }
    Ok(paths)
}
