//! What a sample is drawn from: a finished run's directory (run.json, assignments.parquet) and the
//! input file it names, read again for the texts (the run's tables hold no full text).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};

use super::sheet::SheetRow;
use super::{Candidate, Part, SampleOptions, choose};
use crate::privacy::Pseudonymiser;
use crate::stages::read::ingest::{self, ReadOptions};
use crate::stages::write::record::RunRecord;
use crate::stages::write::table::{TextColumn, read_parquet_as_text};
use crate::taxonomy::Taxonomy;

/// A drawn sample: the sheet's rows (random part first) and the run's taxonomy.
pub struct Sample {
    pub rows: Vec<SheetRow>,
    pub taxonomy: Taxonomy,
    /// Testimonies the sample could draw from (analysed, not a near-duplicate, not rejected).
    pub pool: usize,
}

/// Draws a sample from the run in `dir`.
pub fn from_run(dir: &Path, options: &SampleOptions) -> Result<Sample> {
    let run = RunRecord::read(dir)?;
    if run.unit.unit == "passage" {
        anyhow::bail!(
            "{}: this run analysed passages; sample works on runs of whole texts (run again with --unit text)",
            dir.display()
        );
    }
    let table = dir.join("assignments.parquet");
    let columns = read_parquet_as_text(&table)?;
    let column = |name: &str| -> Result<&TextColumn> {
        columns
            .iter()
            .find(|c| c.name == name)
            .with_context(|| format!("{}: no column {name:?}", table.display()))
    };
    let (ids, status, pillar) = (column("id")?, column("status")?, column("pillar")?);
    let (margin, theme) = (column("pillar_margin")?, column("theme_id")?);
    let texts = input_texts(&run)?;
    let taxonomy = Taxonomy {
        source: "run.json".into(),
        categories: run.taxonomy.clone(),
    };
    // The names the run learned from its corpus are learned again from the same texts, so that
    // the sheet masks what the run's tables mask.
    let pseudonymiser = run.privacy.pseudonymised.then(|| {
        let all: Vec<&String> = texts.values().collect();
        Pseudonymiser::for_corpus(&all)
    });
    let mut pool = Vec::new();
    for r in 0..ids.values.len() {
        let (Some(id), Some("ok")) = (&ids.values[r], status.values[r].as_deref()) else {
            continue;
        };
        let text = texts
            .get(id.as_str())
            .with_context(|| format!("{}: id {id:?} is not in the run's input", table.display()))?;
        let text = match &pseudonymiser {
            Some(p) => p.apply(text).into_owned(),
            None => text.to_string(),
        };
        let guess = pillar.values[r].clone().unwrap_or_default();
        let category = taxonomy.categories.iter().position(|c| c.id == guess);
        let parse = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<f64>().ok());
        pool.push((
            id.clone(),
            text,
            guess,
            category,
            parse(&margin.values[r]),
            parse(&theme.values[r]),
        ));
    }
    let candidates: Vec<Candidate> = pool
        .iter()
        .map(|(_, text, _, category, margin, theme)| Candidate {
            text,
            category: *category,
            margin: margin.unwrap_or(1.0) as f32,
            theme: theme.map(|t| t as i64),
        })
        .collect();
    let rows = choose(&candidates, options)
        .into_iter()
        .map(|pick| {
            let (id, text, guess, ..) = &pool[pick.index];
            SheetRow {
                id: id.clone(),
                text: text.clone(),
                part: pick.part,
                guess: guess.clone(),
            }
        })
        .collect();
    Ok(Sample {
        rows,
        taxonomy,
        pool: candidates.len(),
    })
}

/// The run's input texts by id, after checking that the file is the one the run read.
fn input_texts(run: &RunRecord) -> Result<HashMap<String, String>> {
    let input = &run.input;
    let corpus = ingest::read(
        &input.path,
        &ReadOptions {
            text_column: Some(input.text_column.clone()),
            id_column: input.id_column.clone(),
            sheet: None,
        },
    )
    .with_context(|| {
        format!(
            "reading the run's input {} again for the texts",
            input.path.display()
        )
    })?;
    if corpus.sha256 != input.sha256 {
        anyhow::bail!(
            "{}: the file changed since the run (sha256 {} then, {} now): run again first",
            input.path.display(),
            &input.sha256[..12],
            &corpus.sha256[..12]
        );
    }
    Ok(corpus.ids.into_iter().zip(corpus.texts).collect())
}

/// How many rows of each part.
pub fn count(rows: &[SheetRow], part: Part) -> usize {
    rows.iter().filter(|r| r.part == part).count()
}
