//! Stage 1: read the input and the taxonomy, and sort the rows into distinct texts, exact
//! duplicates and rejected rows.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::Result;

use crate::pipeline::RunConfig;
use crate::stages::read::ingest::{self, Corpus};
use crate::taxonomy::Taxonomy;
use crate::text::analysis_text;

/// What happened to each input row before clustering.
#[derive(Debug, Clone, PartialEq)]
pub enum RowStatus {
    Ok,
    Empty,
    /// Same text (after trimming and collapsing spaces) as an earlier row, by index.
    DuplicateOf(usize),
    /// No letter at all (only digits, emoji or punctuation): nothing to understand.
    NoWords,
    /// A document that could not be read (the reason: `no_text_layer`, `corrupt_file`…).
    Rejected(String),
    /// Set aside by the analyst (`[[drop]]` in the edits file), with their reason: set after
    /// the themes, so that a dropped row moves no theme.
    Dropped(String),
}

/// The input, its rows sorted, and the texts the model will read.
pub struct Prepared<'c> {
    pub corpus: &'c Corpus,
    pub taxonomy: Taxonomy,
    pub statuses: Vec<RowStatus>,
    /// Document (input row) of each row: the row itself, or the document a passage comes from.
    pub document: Vec<usize>,
    /// Input row of each distinct text (the unit of every later stage, numbered `d`).
    pub distinct: Vec<usize>,
    /// Distinct text of each input row; exact duplicates point to their first occurrence's.
    pub distinct_of: Vec<Option<usize>>,
    /// The text of each distinct row as the model and the keywords see it.
    pub texts: Vec<Cow<'c, str>>,
}

impl Prepared<'_> {
    pub fn texts(&self) -> Vec<&str> {
        self.texts.iter().map(|t| t.as_ref()).collect()
    }

    /// Rows of a status, counted.
    pub fn count(&self, status: impl Fn(&RowStatus) -> bool) -> usize {
        self.statuses.iter().filter(|s| status(s)).count()
    }

    /// Input rows that received a theme (distinct texts and their exact duplicates).
    pub fn assigned(&self) -> usize {
        self.distinct_of.iter().filter(|d| d.is_some()).count()
    }
}

/// Reads the input file (or folder of documents) and says what was detected.
pub fn read(config: &RunConfig) -> Result<Corpus> {
    let corpus = if crate::stages::read::documents::is_documents(&config.input) {
        crate::stages::read::documents::read(&config.input, &config.read)?
    } else {
        ingest::read(&config.input, &config.read)?
    };
    log::info!("{}: {} rows", config.input.display(), corpus.len());
    ingest::log_notes(&config.input, &corpus.notes);
    Ok(corpus)
}

/// Loads the taxonomy and sorts the rows; an input without a single text is an error.
pub fn prepare<'c>(
    corpus: &'c Corpus,
    document: Vec<usize>,
    config: &RunConfig,
) -> Result<Prepared<'c>> {
    let taxonomy = Taxonomy::load(config.taxonomy.as_ref())?;
    let statuses = row_statuses(&corpus.texts, &corpus.rejected);
    let distinct: Vec<usize> = (0..corpus.len())
        .filter(|&i| statuses[i] == RowStatus::Ok)
        .collect();
    if distinct.is_empty() {
        let example = corpus.texts.iter().find(|t| !t.trim().is_empty());
        match example {
            None => anyhow::bail!(
                "{}: every text of column {} is empty: nothing to analyse",
                config.input.display(),
                corpus.text_column
            ),
            Some(t) => anyhow::bail!(
                "{}: no text of column {} has a single letter (e.g. {:?}): is it a column of numbers or codes? Name the text column with --text-column",
                config.input.display(),
                corpus.text_column,
                crate::privacy::Pseudonymiser::new().apply(&t.chars().take(40).collect::<String>())
            ),
        }
    }
    let mut distinct_of = vec![None; corpus.len()];
    for (d, &row) in distinct.iter().enumerate() {
        distinct_of[row] = Some(d);
    }
    for (row, status) in statuses.iter().enumerate() {
        if let RowStatus::DuplicateOf(first) = status {
            distinct_of[row] = distinct_of[*first];
        }
    }
    let texts = distinct
        .iter()
        .map(|&i| analysis_text(&corpus.texts[i]))
        .collect();
    Ok(Prepared {
        corpus,
        taxonomy,
        statuses,
        document,
        distinct,
        distinct_of,
        texts,
    })
}

/// Classifies rows: unreadable documents, empty texts, texts without a letter, and exact
/// duplicates of an earlier row.
pub fn row_statuses(texts: &[String], rejected: &[Option<String>]) -> Vec<RowStatus> {
    let mut first: HashMap<String, usize> = HashMap::new();
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if let Some(reason) = rejected.get(i).cloned().flatten() {
                return RowStatus::Rejected(reason);
            }
            let key = analysis_text(t)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if key.is_empty() {
                RowStatus::Empty
            } else if !key.chars().any(char::is_alphabetic) {
                RowStatus::NoWords
            } else if let Some(&j) = first.get(&key) {
                RowStatus::DuplicateOf(j)
            } else {
                first.insert(key, i);
                RowStatus::Ok
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_flag_empty_and_duplicates_of_the_first_occurrence() {
        let texts: Vec<String> = [
            "Trop de paperasse",
            "  ",
            "Trop  de paperasse ",
            "",
            "Autre chose",
            "12 / 45 !",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rejected = [
            None,
            None,
            None,
            None,
            None,
            None,
            Some("no_text_layer".into()),
        ];
        let mut texts = texts;
        texts.push(String::new());
        assert_eq!(
            row_statuses(&texts, &rejected),
            [
                RowStatus::Ok,
                RowStatus::Empty,
                RowStatus::DuplicateOf(0),
                RowStatus::Empty,
                RowStatus::Ok,
                RowStatus::NoWords,
                RowStatus::Rejected("no_text_layer".into()),
            ]
        );
    }

    #[test]
    fn duplicates_share_their_original_distinct_row() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("t.csv");
        std::fs::write(
            &input,
            "id,texte\na,Trop de paperasse\nb,\nc,Trop de paperasse\nd,<p>Autre</p>\n",
        )
        .unwrap();
        let config = RunConfig::new(input.clone(), dir.path().join("out"));
        let corpus = ingest::read(&input, &config.read).unwrap();
        let p = prepare(&corpus, vec![0, 1, 2, 3], &config).unwrap();
        assert_eq!(p.distinct, [0, 3]);
        assert_eq!(p.distinct_of, [Some(0), None, Some(0), Some(1)]);
        assert_eq!(p.texts(), ["Trop de paperasse", "Autre"]);
        assert_eq!(p.assigned(), 3);
        assert_eq!(p.count(|s| *s == RowStatus::Empty), 1);
    }
}
