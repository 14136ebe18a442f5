//! Stage 1b: the unit of analysis. Short texts are analysed whole; long ones (and documents)
//! passage by passage, each passage a row of its own for every later stage, traced back to its
//! document by rank and character offsets.

use crate::stages::passages::cut::{self as passages, AUTO_PASSAGE_WORDS, PassageOptions, Span};
use crate::stages::read::ingest::Corpus;

/// What `--unit` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum UnitChoice {
    /// Each input row (or document) as one text.
    Text,
    /// Passages of about 40–120 words, cut at sentence ends inside paragraphs.
    Passage,
    /// Passages when the median text exceeds about 120 words or the input is a folder of
    /// documents; whole texts otherwise.
    #[default]
    Auto,
}

/// The rows the stages analyse.
pub struct Units {
    /// Whether they are passages, and why (for run.json).
    pub passages: Option<Passages>,
    pub reason: String,
}

/// Passages cut from the input's texts, in document order.
pub struct Passages {
    /// One row per passage, id `<document id>#<rank>`, no passed-through column.
    pub corpus: Corpus,
    /// Input row (document) of each passage.
    pub document: Vec<usize>,
    pub rank: Vec<u32>,
    /// Character offsets in the document's text.
    pub spans: Vec<Span>,
    /// Passages of each document.
    pub per_document: Vec<u32>,
}

impl Units {
    /// The corpus the later stages read: the passages', or the input itself.
    pub fn corpus<'a>(&'a self, input: &'a Corpus) -> &'a Corpus {
        self.passages.as_ref().map_or(input, |p| &p.corpus)
    }

    /// Input row of each analysed row.
    pub fn documents(&self, input: &Corpus) -> Vec<usize> {
        match &self.passages {
            Some(p) => p.document.clone(),
            None => (0..input.len()).collect(),
        }
    }

    pub fn unit_name(&self) -> &'static str {
        if self.passages.is_some() {
            "passage"
        } else {
            "text"
        }
    }
}

/// Decides the unit and cuts the passages when it is one.
pub fn choose(input: &Corpus, choice: UnitChoice, options: &PassageOptions) -> Units {
    let median = median_words(&input.texts);
    let documents = input.format == crate::stages::read::ingest::InputFormat::Documents;
    let (passages, reason) = match choice {
        UnitChoice::Text => (false, "--unit text".to_string()),
        UnitChoice::Passage => (true, "--unit passage".to_string()),
        UnitChoice::Auto if documents => (true, "the input is a folder of documents".into()),
        UnitChoice::Auto => (
            median > AUTO_PASSAGE_WORDS,
            format!(
                "median text length {median} words ({} {AUTO_PASSAGE_WORDS})",
                if median > AUTO_PASSAGE_WORDS {
                    ">"
                } else {
                    "≤"
                }
            ),
        ),
    };
    Units {
        passages: passages.then(|| cut(input, options)),
        reason,
    }
}

/// Median word count of the non-empty texts.
fn median_words(texts: &[String]) -> usize {
    let mut words: Vec<usize> = texts
        .iter()
        .map(|t| passages::word_count(t))
        .filter(|&w| w > 0)
        .collect();
    words.sort_unstable();
    words.get(words.len() / 2).copied().unwrap_or(0)
}

/// Cuts every readable text into passages.
pub fn cut(input: &Corpus, options: &PassageOptions) -> Passages {
    let mut ids = Vec::new();
    let mut texts = Vec::new();
    let (mut document, mut rank, mut spans) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_document = Vec::with_capacity(input.len());
    for (row, text) in input.texts.iter().enumerate() {
        let cut = match input.rejected[row] {
            Some(_) => Vec::new(),
            None => passages::cut(text, options),
        };
        per_document.push(cut.len() as u32);
        for (r, span) in cut.into_iter().enumerate() {
            ids.push(crate::stages::passages::cut::key(&input.ids[row], r));
            texts.push(passages::slice_chars(text, span.start, span.end).to_string());
            document.push(row);
            rank.push(r as u32);
            spans.push(span);
        }
    }
    let corpus = Corpus {
        ids,
        rejected: vec![None; texts.len()],
        texts,
        passthrough: Vec::new(),
        notes: Vec::new(),
        ..input.clone_header()
    };
    Passages {
        corpus,
        document,
        rank,
        spans,
        per_document,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(texts: &[&str]) -> Corpus {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut csv = String::from("id,texte\n");
        for (i, t) in texts.iter().enumerate() {
            csv.push_str(&format!("d{i},\"{t}\"\n"));
        }
        std::fs::write(&path, csv).unwrap();
        crate::stages::read::ingest::read(&path, &Default::default()).unwrap()
    }

    #[test]
    fn auto_cuts_long_texts_only() {
        let long = "Les urgences saturent chaque soir faute de lits. ".repeat(20);
        let short = corpus(&["Plus de lits.", "Moins de papiers."]);
        let units = choose(&short, UnitChoice::Auto, &PassageOptions::default());
        assert!(units.passages.is_none(), "{}", units.reason);
        let long = corpus(&[&long, &long, "Court."]);
        let units = choose(&long, UnitChoice::Auto, &PassageOptions::default());
        let p = units.passages.expect("passages");
        assert_eq!(p.per_document, [2, 2, 1]);
        assert_eq!(p.corpus.ids[..3], ["d0#0", "d0#1", "d1#0"]);
        assert_eq!(p.document, [0, 0, 1, 1, 2]);
        assert!(units.reason.contains("median"), "{}", units.reason);
    }

    #[test]
    fn passages_are_the_characters_their_offsets_select() {
        let c = corpus(&["Été : « délais ».\n\nDeuxième paragraphe, évident."]);
        let p = cut(&c, &PassageOptions::default());
        for (i, s) in p.spans.iter().enumerate() {
            let chars: String = c.texts[0]
                .chars()
                .skip(s.start)
                .take(s.end - s.start)
                .collect();
            assert_eq!(chars, p.corpus.texts[i]);
        }
        assert_eq!(
            p.corpus.texts,
            ["Été : « délais ».", "Deuxième paragraphe, évident."]
        );
    }
}
