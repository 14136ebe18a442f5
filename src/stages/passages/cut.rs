//! Passages: the unit of analysis for long texts. A passage is a run of whole sentences inside one
//! paragraph, about 40–120 words; a short paragraph is one passage, a long one is cut at sentence
//! ends into parts of even length. Offsets are in characters (Unicode scalar values) of the
//! document's text, so that `text[start..end]` (Python, Polars `str.slice`) gives the passage back.
//!
//! Paragraphs end at blank lines. Sentences end at `.`, `!`, `?` or `…` followed by a space and a
//! capital, a digit, an opening quote or a bullet, except after French abbreviations ("M.", "Dr",
//! "art. 3", "n°", "etc." before a lower-case word, initials, "c.-à-d."); decimal numbers never
//! have a space after their point, and an ellipsis before a lower-case word goes on.

/// `<document id>#<passage>`: how a passage is named everywhere (quote ids, passage gold, the
/// report's origins). The one place the key is built; [`split_key`] reads it back.
pub fn key(document: &str, passage: impl std::fmt::Display) -> String {
    format!("{document}#{passage}")
}

/// The document id and the passage rank of a [`key`] (the id may hold `#` itself: the last one
/// separates).
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    key.rsplit_once('#')
}

/// How long passages are, in words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassageOptions {
    /// Paragraphs at most this long are one passage; longer ones are cut into parts of even length.
    pub max_words: usize,
    /// A sentence longer than this (more than the model's 512-token window holds, at about 1.5
    /// tokens per French word) is cut at word boundaries; no shorter sentence is ever cut.
    pub max_sentence_words: usize,
}

impl Default for PassageOptions {
    fn default() -> Self {
        Self {
            max_words: 120,
            max_sentence_words: 300,
        }
    }
}

/// Median length, in words, above which `--unit auto` analyses passages rather than whole texts.
pub const AUTO_PASSAGE_WORDS: usize = 120;

/// One passage: character offsets into the document's text, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Cuts a document's text into passages, in order. A text without a word gives none.
pub fn cut(text: &str, options: &PassageOptions) -> Vec<Span> {
    let mut spans = Vec::new();
    for paragraph in paragraphs(text) {
        let sentences = sentences(text, paragraph, options.max_sentence_words);
        spans.extend(group(text, &sentences, options.max_words));
    }
    let chars = CharIndex::new(text);
    spans
        .into_iter()
        .map(|s| Span {
            start: chars.of(s.start),
            end: chars.of(s.end),
        })
        .collect()
}

/// Byte ranges of every sentence of a text, paragraph by paragraph (no sentence is cut for
/// length here).
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    paragraphs(text)
        .into_iter()
        .flat_map(|p| sentences(text, p, usize::MAX))
        .map(|s| (s.start, s.end))
        .collect()
}

/// Words in a text (runs of characters between spaces that hold a letter or a digit).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Byte ranges of the paragraphs (separated by lines holding only spaces), trimmed, non-empty.
fn paragraphs(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut blank_run = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        if blank && !blank_run {
            push_trimmed(text, start, offset, &mut out);
        }
        if !blank && blank_run {
            start = offset;
        }
        blank_run = blank;
        offset += line.len();
    }
    if !blank_run {
        push_trimmed(text, start, offset, &mut out);
    }
    out
}

/// Pushes `text[start..end]` without its surrounding spaces, when something is left.
fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead < piece.len() {
        out.push(Span {
            start: start + lead,
            end: end - trail,
        });
    }
}

/// Abbreviations after which a point does not end a sentence (compared in lower case).
const ABBREVIATIONS: [&str; 58] = [
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "drs", "pr", "me", "mgr", "st", "ste", "art",
    "arts", "al", "n", "no", "nos", "n°", "p", "pp", "cf", "ex", "env", "hab", "av", "bd", "chap",
    "vol", "fig", "éd", "ed", "tél", "tel", "min", "approx", "réf", "ref", "ibid", "op", "cit",
    "vs", "sq", "ch", "coll", "dir", "resp", "hôp", "ca", "janv", "févr", "avr", "juil", "sept",
    "oct", "nov", "déc",
];

/// Byte ranges of the sentences of one paragraph, a sentence over `max_words` cut at words.
fn sentences(text: &str, paragraph: Span, max_words: usize) -> Vec<Span> {
    let body = &text[paragraph.start..paragraph.end];
    let mut out = Vec::new();
    let mut start = 0;
    for end in sentence_ends(body) {
        push_trimmed(body, start, end, &mut out);
        start = end;
    }
    push_trimmed(body, start, body.len(), &mut out);
    out.into_iter()
        .flat_map(|s| split_long(body, s, max_words))
        .map(|s| Span {
            start: s.start + paragraph.start,
            end: s.end + paragraph.start,
        })
        .collect()
}

/// Byte offsets just after each sentence end of a paragraph (after closing quotes or brackets).
fn sentence_ends(body: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut ends = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        i += 1;
        let candidate =
            matches!(c, '.' | '!' | '?' | '…') || (c == '\n' && bullet_follows(&chars, i));
        if !candidate {
            continue;
        }
        // Runs of punctuation ("?!", "...") and closing quotes or brackets, French spacing
        // included ("agir. »"), belong to the sentence.
        loop {
            let mut j = i;
            while j < chars.len() && matches!(chars[j].1, ' ' | '\u{a0}' | '\u{202f}') {
                j += 1;
            }
            match chars.get(j) {
                Some((_, '.' | '!' | '?' | '…')) if j == i => i += 1,
                Some((_, '»' | '”')) => i = j + 1,
                // A straight quote after a space may open the next sentence.
                Some((_, '"' | ')')) if j == i => i += 1,
                _ => break,
            }
        }
        let end = chars.get(i).map_or(body.len(), |&(b, _)| b);
        if c == '\n' || ends_sentence(body, at, c, &chars, i) {
            ends.push(end);
        }
    }
    ends
}

/// Whether the punctuation at byte `at` ends a sentence, the next characters starting at `next`.
fn ends_sentence(body: &str, at: usize, c: char, chars: &[(usize, char)], next: usize) -> bool {
    let mut j = next;
    if j >= chars.len() || !chars[j].1.is_whitespace() {
        return false;
    }
    while j < chars.len() && chars[j].1.is_whitespace() {
        j += 1;
    }
    let Some(&(_, first)) = chars.get(j) else {
        return true;
    };
    let opens = first.is_uppercase()
        || first.is_ascii_digit()
        || matches!(first, '«' | '"' | '“' | '(' | '-' | '–' | '•' | '*');
    if !opens {
        return false;
    }
    c != '.' || !ends_with_abbreviation(&body[..at + 1], first)
}

/// Whether `text` ends with an abbreviation's point ("M.", "Dr.", "art.", an initial) before the
/// character `next`: that point ends no sentence. The one rule of the sentence splitter, the quote
/// cutter ([`crate::stages::describe::keywords::trim_quote`], through [`sentence_spans`]) and the PDF reader.
pub fn ends_with_abbreviation(text: &str, next: char) -> bool {
    let Some(before) = text.strip_suffix('.') else {
        return false;
    };
    if before.ends_with("..") {
        return false;
    }
    let word = before
        .rsplit(|ch: char| ch.is_whitespace() || matches!(ch, '(' | '«' | '\'' | '’'))
        .next()
        .unwrap_or("");
    is_abbreviation(word, next)
}

/// "M", "art", "n°", a single capital (an initial), "c.-à-d" or "etc" before a digit.
fn is_abbreviation(word: &str, next: char) -> bool {
    let lower = word.to_lowercase();
    let mut letters = word.chars();
    let initial = matches!((letters.next(), letters.next()), (Some(l), None) if l.is_uppercase());
    initial
        || lower.contains('.')
        || ABBREVIATIONS.contains(&lower.as_str())
        || (lower == "etc" && next.is_ascii_digit())
}

/// A line break before a list item ("- ", "• ", "1. ", "a) ") ends a sentence.
fn bullet_follows(chars: &[(usize, char)], next: usize) -> bool {
    let rest: String = chars[next..]
        .iter()
        .map(|&(_, c)| c)
        .skip_while(|c| *c == ' ' || *c == '\t')
        .take(4)
        .collect();
    let mut it = rest.chars();
    match it.next() {
        Some('-' | '–' | '•' | '*' | '▪' | '◦') => true,
        Some(d) if d.is_ascii_digit() => {
            let after: String = it.take_while(|c| !c.is_ascii_digit()).take(2).collect();
            after.starts_with(". ") || after.starts_with(") ")
        }
        _ => false,
    }
}

/// A sentence of more than `max_words` words, cut into even parts at word boundaries.
fn split_long(body: &str, s: Span, max_words: usize) -> Vec<Span> {
    let words: Vec<(usize, usize)> = word_spans(&body[s.start..s.end])
        .into_iter()
        .map(|(a, b)| (a + s.start, b + s.start))
        .collect();
    if words.len() <= max_words {
        return vec![s];
    }
    let parts = words.len().div_ceil(max_words);
    (0..parts)
        .map(|p| {
            let first = p * words.len() / parts;
            let last = (p + 1) * words.len() / parts - 1;
            Span {
                start: if p == 0 { s.start } else { words[first].0 },
                end: if p + 1 == parts { s.end } else { words[last].1 },
            }
        })
        .collect()
}

/// Byte ranges of the whitespace-separated words of a text.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Groups a paragraph's sentences into passages: the whole paragraph when it holds at most
/// `max_words` words, otherwise `ceil(words / max_words)` parts of about even length, each cut at
/// the sentence end nearest its share (a passage is never empty).
fn group(text: &str, sentences: &[Span], max_words: usize) -> Vec<Span> {
    if sentences.is_empty() {
        return Vec::new();
    }
    let words: Vec<usize> = sentences
        .iter()
        .map(|s| word_count(&text[s.start..s.end]).max(1))
        .collect();
    let total: usize = words.iter().sum();
    let n = sentences.len();
    let parts = total.div_ceil(max_words).clamp(1, n);
    // cum[b]: words before sentence b; a cut at b starts a passage with sentence b.
    let cum: Vec<usize> = std::iter::once(0)
        .chain(words.iter().scan(0, |acc, w| {
            *acc += w;
            Some(*acc)
        }))
        .collect();
    let mut bounds = vec![0];
    for k in 1..parts {
        let target = k * total / parts;
        // Leave at least one sentence for each part still to come.
        let (lo, hi) = (bounds[k - 1] + 1, n - (parts - k));
        let b = (lo..=hi)
            .min_by_key(|&b| cum[b].abs_diff(target))
            .expect("lo <= hi as parts <= sentences");
        bounds.push(b);
    }
    bounds.push(n);
    bounds
        .windows(2)
        .map(|w| Span {
            start: sentences[w[0]].start,
            end: sentences[w[1] - 1].end,
        })
        .collect()
}

/// Converts byte offsets of a text into character offsets.
struct CharIndex {
    /// Byte offset of each character, and the text's length last.
    bytes: Vec<usize>,
}

impl CharIndex {
    fn new(text: &str) -> Self {
        let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        bytes.push(text.len());
        Self { bytes }
    }

    fn of(&self, byte: usize) -> usize {
        self.bytes
            .binary_search(&byte)
            .expect("offsets fall on character boundaries")
    }
}

/// The characters `start..end` of a text (what a passage's offsets select).
pub fn slice_chars(text: &str, start: usize, end: usize) -> &str {
    let mut it = text.char_indices().map(|(b, _)| b).chain([text.len()]);
    let from = it.nth(start).unwrap_or(text.len());
    let to = if end > start {
        it.nth(end - start - 1).unwrap_or(text.len())
    } else {
        from
    };
    &text[from..to]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        cut(text, &PassageOptions::default())
            .into_iter()
            .map(|s| slice_chars(text, s.start, s.end))
            .collect()
    }

    fn sentence_texts(text: &str) -> Vec<&str> {
        let all = Span {
            start: 0,
            end: text.len(),
        };
        sentences(text, all, 300)
            .into_iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn french_abbreviations_numbers_and_ellipses_do_not_end_sentences() {
        let text = "M. Martin et le Dr Petit citent l'art. 3 et le n° 12. Le taux passe à 3.5 % \
                    en 2020, etc. sans effet… hélas. Mme. Durand aussi. J. Dupont, c.-à-d. Le \
                    président, répond. Fin !";
        assert_eq!(
            sentence_texts(text),
            [
                "M. Martin et le Dr Petit citent l'art. 3 et le n° 12.",
                "Le taux passe à 3.5 % en 2020, etc. sans effet… hélas.",
                "Mme. Durand aussi.",
                "J. Dupont, c.-à-d. Le président, répond.",
                "Fin !",
            ]
        );
    }

    #[test]
    fn question_marks_quotes_and_bullets_end_sentences() {
        let text = "Pourquoi attendre ? « Il faut agir. » Nous proposons :\n- des postes\n- des primes. \"Vite\" (dit-il).";
        assert_eq!(
            sentence_texts(text),
            [
                "Pourquoi attendre ?",
                "« Il faut agir. »",
                "Nous proposons :",
                "- des postes",
                "- des primes.",
                "\"Vite\" (dit-il)."
            ]
        );
    }

    #[test]
    fn paragraphs_are_passages_and_offsets_are_characters() {
        let text = "Première idée : les salaires.\n\n  \nDeuxième idée, à l'hôpital.\nSuite du même paragraphe.\n";
        let spans = cut(text, &PassageOptions::default());
        assert_eq!(
            texts(text),
            [
                "Première idée : les salaires.",
                "Deuxième idée, à l'hôpital.\nSuite du même paragraphe."
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        for s in spans {
            let by_chars: String = chars[s.start..s.end].iter().collect();
            assert_eq!(by_chars, slice_chars(text, s.start, s.end));
        }
    }

    #[test]
    fn long_paragraphs_are_cut_at_sentence_ends_into_even_parts() {
        let sentence = "Les soignants manquent de temps pour les patients le soir. ";
        let text = sentence.repeat(30); // 30 sentences of 10 words: 300 words, 3 passages
        let parts = texts(&text);
        assert_eq!(parts.len(), 3);
        for p in &parts {
            assert_eq!(word_count(p), 100, "{p}");
            assert!(p.ends_with('.'));
        }
        let short = sentence.repeat(12); // 120 words: one passage
        assert_eq!(texts(&short).len(), 1);
    }

    #[test]
    fn a_sentence_longer_than_the_window_is_cut_at_words() {
        let text = "mot ".repeat(700);
        let parts = texts(&text);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| word_count(p) <= 300));
        assert_eq!(parts.iter().map(|p| word_count(p)).sum::<usize>(), 700);
    }

    #[test]
    fn nothing_to_cut_gives_no_passage() {
        assert!(cut("  \n\n ", &PassageOptions::default()).is_empty());
        assert_eq!(texts("Oui"), ["Oui"]);
    }

    #[test]
    fn every_passage_is_a_slice_of_its_text() {
        let text =
            "Été 2020. Les équipes « épuisées » ! Œuvre… Réforme? Non.\r\n\r\nÀ suivre : n° 4.";
        let spans = cut(text, &PassageOptions::default());
        let passages: Vec<&str> = spans
            .iter()
            .map(|s| slice_chars(text, s.start, s.end))
            .collect();
        assert_eq!(
            passages,
            [
                "Été 2020. Les équipes « épuisées » ! Œuvre… Réforme? Non.",
                "À suivre : n° 4."
            ]
        );
        // Offsets count characters, not bytes: the second passage starts after the first
        // paragraph's 57 characters and the blank line's 4.
        let starts: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(starts, [(0, 57), (61, 77)]);
    }
}
