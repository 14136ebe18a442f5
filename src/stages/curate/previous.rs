//! The run a new one continues (`--previous DIR`, by default the run in `--out` that the new one
//! replaces): which theme each testimony was in, before and after the analyst's edits, and its
//! category. Read before the output folder is cleared.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::stages::passages::cut::key as passage_key;
use crate::stages::write::table::{TextColumn, read_parquet_as_text};

/// One theme of the earlier run, as it published it.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousTheme {
    pub key: String,
    pub title: String,
    pub size: usize,
}

#[derive(Debug, Clone, Default)]
pub struct PreviousRun {
    pub dir: PathBuf,
    pub run_id: String,
    pub themes: Vec<PreviousTheme>,
    /// Each analysed id's automatic theme (before the edits).
    pub draft: HashMap<String, String>,
    /// Each analysed id's published theme (after the edits).
    pub published: HashMap<String, String>,
    /// Each analysed id's category.
    pub category: HashMap<String, String>,
}

impl PreviousRun {
    /// Every key the earlier run knew, before or after its edits.
    pub fn keys(&self) -> HashSet<&str> {
        (self.draft.values().chain(self.published.values()))
            .map(String::as_str)
            .chain(self.themes.iter().map(|t| t.key.as_str()))
            .collect()
    }
}

/// Which earlier run to continue.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PreviousChoice {
    /// The run in `--out`, if there is one that has theme keys.
    #[default]
    InOutput,
    /// `--previous DIR`: must be a run with theme keys.
    Dir(PathBuf),
    /// `--no-previous`.
    None,
}

/// Reads the earlier run; `None` when there is none to continue.
pub fn read(choice: &PreviousChoice, out: &Path) -> Result<Option<PreviousRun>> {
    match choice {
        PreviousChoice::None => Ok(None),
        PreviousChoice::Dir(dir) => read_dir(dir).map(Some),
        PreviousChoice::InOutput => {
            if !out.join(crate::stages::write::record::RUN_RECORD).is_file() {
                return Ok(None);
            }
            match read_dir(out) {
                Ok(run) => Ok(Some(run)),
                Err(e) => {
                    log::warn!(
                        "the earlier run in {} is not continued (themes get new keys): {e:#}",
                        out.display()
                    );
                    Ok(None)
                }
            }
        }
    }
}

fn read_dir(dir: &Path) -> Result<PreviousRun> {
    let record: crate::stages::write::record::RunRecord = crate::stages::write::record::read_json(
        &dir.join(crate::stages::write::record::RUN_RECORD),
        dir,
    )?;
    let themes = read_parquet_as_text(&dir.join("themes.parquet"))?;
    let passages = dir.join("passages.parquet");
    let rows_file = if passages.is_file() {
        passages
    } else {
        dir.join("assignments.parquet")
    };
    let rows = read_parquet_as_text(&rows_file)?;
    let column = |table: &[TextColumn], file: &Path, name: &str| -> Result<Vec<Option<String>>> {
        match table.iter().find(|c| c.name == name) {
            Some(c) => Ok(c.values.clone()),
            None => bail!(
                "{} has no column {name}: it was written by a verbatim without theme keys (rerun it, or pass --no-previous)",
                file.display()
            ),
        }
    };
    let themes_file = dir.join("themes.parquet");
    let (keys, titles, sizes) = (
        column(&themes, &themes_file, "theme_key")?,
        column(&themes, &themes_file, "title")?,
        column(&themes, &themes_file, "size")?,
    );
    let themes = (0..keys.len())
        .map(|i| PreviousTheme {
            key: keys[i].clone().unwrap_or_default(),
            title: titles[i].clone().unwrap_or_default(),
            size: sizes[i]
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        })
        .collect();
    let ids = column(&rows, &rows_file, "id")?;
    let ids: Vec<Option<String>> = match rows.iter().find(|c| c.name == "passage") {
        Some(rank) => ids
            .iter()
            .zip(&rank.values)
            .map(|(id, r)| Some(passage_key(id.as_deref()?, r.as_deref()?)))
            .collect(),
        None => ids,
    };
    let by_id = |values: Vec<Option<String>>| -> HashMap<String, String> {
        ids.iter()
            .zip(values)
            .filter_map(|(id, v)| Some((id.clone()?, v?)))
            .collect()
    };
    Ok(PreviousRun {
        dir: dir.to_path_buf(),
        run_id: record.run_id.clone(),
        themes,
        draft: by_id(column(&rows, &rows_file, "draft_theme_key")?),
        published: by_id(column(&rows, &rows_file, "theme_key")?),
        category: by_id(column(&rows, &rows_file, "pillar")?),
    })
}
