//! One file per subcommand: argument parsing and wiring of the library's stages.

pub mod cache;
pub mod edits;
pub mod embed;
pub mod evaluate;
pub mod export;
pub mod logging;
pub mod model;
pub mod report;
pub mod run;
pub mod sample;

use clap::Args;
use verbatim::stages::read::ingest::ReadOptions;

/// Which columns of the input hold the texts and the ids.
#[derive(Args, Debug, Clone)]
pub struct ColumnArgs {
    /// Column holding the texts (default: guessed, and said).
    #[arg(long)]
    pub text_column: Option<String>,
    /// Column holding unique row ids (default: "id" if present, else row numbers).
    #[arg(long)]
    pub id_column: Option<String>,
    /// Sheet of a spreadsheet (.xlsx, .ods) to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
}

impl ColumnArgs {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            text_column: self.text_column.clone(),
            id_column: self.id_column.clone(),
            sheet: self.sheet.clone(),
        }
    }
}

pub use verbatim::model::ModelArgs;

/// Who says what: breakdowns of the categories and themes by an attribute of the contributors.
#[derive(Args, Debug, Clone)]
pub struct ByArgs {
    /// Break the categories and themes down by this column (repeatable): any input column,
    /// a column of --by-file, or `folder` (a document folder's first subfolder). Writes
    /// by_<column>.{parquet,csv,xlsx} and by_<column>_themes.*.
    #[arg(long, value_name = "COLUMN")]
    pub by: Vec<String>,
    /// A second table (CSV, Excel, Parquet) of attributes joined on the ids (its `id` column).
    #[arg(long, value_name = "FILE")]
    pub by_file: Option<std::path::PathBuf>,
    /// Refuse a --by column with more distinct values than this.
    #[arg(long, default_value_t = verbatim::who::WhoOptions::default().max_groups, value_parser = at_least(2), allow_hyphen_values = true)]
    pub by_max_groups: usize,
    /// Count every contribution (`all`) or each campaign once (`distinct`).
    #[arg(long, value_enum, default_value_t = verbatim::who::CountMode::All)]
    pub count: verbatim::who::CountMode,
}

impl ByArgs {
    /// The options, with the run's campaign size.
    pub fn options(&self, campaign_min: usize) -> verbatim::who::WhoOptions {
        verbatim::who::WhoOptions {
            by: self.by.clone(),
            by_file: self.by_file.clone(),
            max_groups: self.by_max_groups,
            count: self.count,
            campaign_min,
        }
    }
}

/// The embedding cache, for every command that embeds.
#[derive(Args, Debug, Clone)]
pub struct CacheArgs {
    /// Do not read or write the embedding cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Most gigabytes the embedding cache may take; the least recently used files go first
    /// (`verbatim cache info` shows it).
    #[arg(long, default_value_t = verbatim::stages::embed::cache::DEFAULT_CACHE_MAX_GB, value_parser = between(0.0, 1e6))]
    pub cache_max_gb: f64,
}

impl CacheArgs {
    /// The cache of this model, unless turned off.
    pub fn open(
        &self,
        model: &verbatim::model::LoadedModel,
    ) -> anyhow::Result<Option<verbatim::stages::embed::cache::EmbeddingCache>> {
        if self.no_cache {
            return Ok(None);
        }
        let max = verbatim::stages::embed::cache::gigabytes(self.cache_max_gb);
        Ok(Some(
            verbatim::stages::embed::cache::EmbeddingCache::for_model(model, max)?,
        ))
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

/// A whole number of at least `min`, for counts on the command line (`--themes 0` is refused).
pub fn at_least(min: usize) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync {
    move |s: &str| {
        let n: i128 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a whole number (at least {min})"))?;
        if n < min as i128 {
            return Err(format!("{n} is too small: at least {min}"));
        }
        usize::try_from(n).map_err(|_| format!("{n} is too large"))
    }
}

/// A finite number between `low` and `high` (`nan` and `inf` are refused).
pub fn between(low: f64, high: f64) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync {
    move |s: &str| {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number"))?;
        if !v.is_finite() {
            return Err(format!("{s} is not a finite number"));
        }
        if v < low || v > high {
            return Err(format!("{s} is outside {low} to {high}"));
        }
        Ok(v)
    }
}

/// A seed: a whole number from 0 to 2⁶⁴ − 1.
pub fn seed(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| {
        format!("{s:?} is not a seed: a whole number from 0 to 18446744073709551615 (e.g. 42)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_numbers_are_checked_with_clear_messages() {
        assert_eq!(at_least(1)("3"), Ok(3));
        assert!(at_least(1)("0").unwrap_err().contains("at least 1"));
        assert_eq!(
            at_least(1)("-2").unwrap_err(),
            "-2 is too small: at least 1"
        );
        assert!(at_least(1)("x").unwrap_err().contains("not a whole number"));
        assert_eq!(between(-1.0, 1.0)("-0.1"), Ok(-0.1));
        assert!(
            between(-1.0, 1.0)("nan")
                .unwrap_err()
                .contains("not a finite number")
        );
        assert!(
            between(0.0, 1.0)("1.5")
                .unwrap_err()
                .contains("outside 0 to 1")
        );
        assert!(seed("-1").unwrap_err().contains("from 0 to"));
    }
}
