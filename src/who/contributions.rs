//! The contributions as a run published them, read back from its tables (`assignments`, and
//! `passages` in passage mode): what each document raises, its themes, its campaign, and every
//! column a breakdown may use. `run` and a later `report --by` read the same files, so the same
//! run gives the same tables either way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};

use crate::stages::write::record::RunRecord;
use crate::stages::write::table::{self, LABEL_JOIN, TextColumn};

/// One row per document (an input row, or a file of a folder), in input order.
pub struct Contributions {
    pub ids: Vec<String>,
    /// The category ids in taxonomy order, then `none`: the columns of every category table.
    pub labels: Vec<String>,
    /// Indices into `labels` of what each document raises: one in text mode, its `pillars` in
    /// passage mode (`none` when every passage is outside), nothing when it was set aside.
    pub raised: Vec<Vec<usize>>,
    /// Each document's themes (a document counts once in every theme its passages reach).
    pub themes: Vec<BTreeSet<u32>>,
    /// The campaign a document belongs to (`campaigns.parquet`), if any.
    pub campaign: Vec<Option<u32>>,
    /// Each theme's key and category, by id.
    pub theme_info: BTreeMap<u32, (String, String)>,
    /// The assignments table's columns, for `--by`.
    pub columns: Vec<TextColumn>,
    /// Documents were cut into passages.
    pub passage_mode: bool,
    /// The input was a folder of documents (ids are paths: `--by folder`).
    pub folder: bool,
}

impl Contributions {
    /// Reads the tables of the run in `dir`.
    pub fn read(dir: &Path, run: &RunRecord) -> Result<Self> {
        run.check_output(dir, "assignments.parquet")?;
        let columns = table::read_parquet_as_text(&dir.join("assignments.parquet"))?;
        let get = |name: &str| columns.iter().find(|c| c.name == name).map(|c| &c.values);
        let ids: Vec<String> = get("id")
            .context("assignments.parquet has no id column")?
            .iter()
            .map(|v| v.clone().unwrap_or_default())
            .collect();
        let mut labels: Vec<String> = run.taxonomy.iter().map(|c| c.id.clone()).collect();
        labels.push("none".into());
        let passage_mode = run.unit.unit == "passage";
        let raised = raised(&labels, get("pillar"), get("pillars"), ids.len());
        let themes = match passage_mode {
            false => (get("theme_id").into_iter().flatten())
                .map(|v| {
                    v.as_deref()
                        .and_then(|t| t.parse().ok())
                        .into_iter()
                        .collect()
                })
                .collect(),
            true => passage_themes(dir, run, &ids)?,
        };
        let theme_info = table::read_themes(&dir.join("themes.parquet"))?
            .into_iter()
            .map(|t| (t.theme_id, (t.theme_key, t.pillar)))
            .collect();
        let campaign = match get("campaign") {
            Some(c) => c
                .iter()
                .map(|v| v.as_deref().and_then(|v| v.parse().ok()))
                .collect(),
            None => vec![None; ids.len()],
        };
        Ok(Self {
            folder: run.input.format == crate::stages::read::ingest::InputFormat::Documents,
            ids,
            labels,
            raised,
            themes,
            campaign,
            theme_info,
            columns,
            passage_mode,
        })
    }

    /// The input as read, before any work: ids and columns only, to check `--by` early.
    pub fn of_input(input: &crate::stages::read::ingest::Corpus) -> Self {
        Self {
            ids: input.ids.clone(),
            labels: Vec::new(),
            raised: Vec::new(),
            themes: Vec::new(),
            campaign: Vec::new(),
            theme_info: BTreeMap::new(),
            columns: input.passthrough.clone(),
            passage_mode: false,
            folder: input.format == crate::stages::read::ingest::InputFormat::Documents,
        }
    }

    /// Documents a table counts: every analysed one (`all`), or campaigns once (`distinct`).
    pub fn counted(&self, count: CountMode) -> Vec<usize> {
        let mut seen = BTreeSet::new();
        (0..self.ids.len())
            .filter(|&d| !self.raised[d].is_empty())
            .filter(|&d| match (count, self.campaign[d]) {
                (CountMode::Distinct, Some(c)) => seen.insert(c),
                _ => true,
            })
            .collect()
    }
}

/// How documents of a campaign are counted.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CountMode {
    /// Every contribution, copies included.
    #[default]
    All,
    /// A campaign's copies once.
    Distinct,
}

/// What each document raises, from `pillar` (text mode) or `pillars` (passage mode).
fn raised(
    labels: &[String],
    pillar: Option<&Vec<Option<String>>>,
    pillars: Option<&Vec<Option<String>>>,
    n: usize,
) -> Vec<Vec<usize>> {
    let index = |l: &str| labels.iter().position(|x| x == l);
    (0..n)
        .map(|d| {
            let main = pillar.and_then(|p| p[d].as_deref());
            let mut out: Vec<usize> = match pillars.and_then(|p| p[d].as_deref()) {
                Some(list) => list.split(LABEL_JOIN).filter_map(index).collect(),
                None => Vec::new(),
            };
            if out.is_empty() {
                out.extend(main.and_then(index));
            }
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect()
}

/// In passage mode, every theme a document's passages belong to.
fn passage_themes(dir: &Path, run: &RunRecord, ids: &[String]) -> Result<Vec<BTreeSet<u32>>> {
    run.check_output(dir, "passages.parquet")?;
    let passages = table::read_parquet_as_text(&dir.join("passages.parquet"))?;
    let get = |name: &str| {
        (passages.iter().find(|c| c.name == name).map(|c| &c.values))
            .with_context(|| format!("passages.parquet has no {name} column"))
    };
    let (documents, themes) = (get("id")?, get("theme_id")?);
    let position = crate::stages::read::ingest::positions(ids);
    let mut out = vec![BTreeSet::new(); ids.len()];
    for (doc, theme) in documents.iter().zip(themes) {
        let (Some(doc), Some(theme)) = (doc.as_deref(), theme.as_deref()) else {
            continue;
        };
        if let (Some(&d), Ok(t)) = (position.get(doc), theme.parse()) {
            out[d].insert(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_raises_its_pillars_or_its_main_category() {
        let labels: Vec<String> = ["p1", "p2", "none"].map(String::from).to_vec();
        let pillar = vec![Some("p1".into()), Some("none".into()), None];
        let pillars = vec![Some("p2|p1".into()), None, None];
        let r = raised(&labels, Some(&pillar), Some(&pillars), 3);
        assert_eq!(r, vec![vec![0, 1], vec![2], vec![]]);
    }
}
