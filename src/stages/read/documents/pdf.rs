//! PDF files with a text layer (pdf-extract over lopdf). Lines repeated at the top or bottom of
//! most pages (running headers and footers) and page numbers are removed; pages are joined by a
//! line break, so a paragraph may run across a page end, and blank lines end paragraphs.

use std::collections::HashMap;

use super::Extracted;

/// Reads a PDF; `Err` holds the rejection reason (`corrupt_file`, `encrypted`, `no_text_layer`).
pub fn pdf(bytes: &[u8]) -> Result<Extracted, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => "encrypted".to_string(),
        _ => "corrupt_file".to_string(),
    })?;
    let encrypted = doc.is_encrypted();
    let pages = doc.get_pages().len();
    let title = title(&doc);
    // pdf-extract panics on some malformed fonts; a document is rejected, never the run.
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    let page_texts = match extracted {
        Ok(Ok(texts)) => texts,
        _ if encrypted => return Err("encrypted".into()),
        _ => return Err("corrupt_file".into()),
    };
    let text = join_pages(&page_texts);
    if !text.chars().any(char::is_alphanumeric) {
        return Err(if encrypted {
            "encrypted"
        } else {
            "no_text_layer"
        }
        .into());
    }
    Ok(Extracted {
        text,
        pages: Some(pages),
        title,
        notes: Vec::new(),
    })
}

/// The document's `/Title`, when it has one.
fn title(doc: &lopdf::Document) -> Option<String> {
    let info = doc.trailer.get_deref(b"Info", doc).ok()?.as_dict().ok()?;
    let title = lopdf::decode_text_string(info.get_deref(b"Title", doc).ok()?).ok()?;
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_string())
}

/// Lines looked at, at the top and at the bottom of each page, for running headers and footers.
const EDGE_LINES: usize = 3;

/// Pages' texts joined, running headers, footers and page numbers removed.
pub fn join_pages(pages: &[String]) -> String {
    let repeated = running_lines(pages);
    let mut lines: Vec<&str> = Vec::new();
    for page in pages {
        let page_lines: Vec<&str> = page.lines().map(str::trim_end).collect();
        let n = page_lines.len();
        for (i, line) in page_lines.iter().enumerate() {
            let edge = i < EDGE_LINES || i + EDGE_LINES >= n;
            let key = line_key(line);
            if is_page_number(line) || (edge && repeated.contains_key(&key)) {
                continue;
            }
            lines.push(line);
        }
    }
    let spaced: Vec<String> = lines.iter().map(|l| single_spaces(l)).collect();
    let lines: Vec<&str> = spaced.iter().map(String::as_str).collect();
    if blank_between_every_line(&lines) {
        return rebuild_paragraphs(&lines);
    }
    collapse_blank_runs(&lines)
}

/// Runs of spaces inside a line as one (pdf-extract widens justified text: « de  la  santé »).
fn single_spaces(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

/// Some PDFs come out of pdf-extract with a blank line after every line (seen on a PDF written by
/// fpdf2): blank lines then say nothing about paragraphs. True when at least 80% of the breaks
/// between two lines of text are blank lines.
fn blank_between_every_line(lines: &[&str]) -> bool {
    let (mut breaks, mut blank) = (0usize, 0usize);
    let mut previous_text = false;
    let mut blank_run = false;
    for line in lines {
        if line.trim().is_empty() {
            blank_run = true;
            continue;
        }
        if previous_text {
            breaks += 1;
            blank += usize::from(blank_run);
        }
        previous_text = true;
        blank_run = false;
    }
    breaks >= 4 && blank * 10 >= breaks * 8
}

/// Paragraphs rebuilt from lines alone: a line ends its paragraph when it ends a sentence before a
/// line that opens one (a capital, a digit, a bullet), or when it is short (under 60% of the median
/// line: a heading, a paragraph's last line); other lines continue their paragraph.
fn rebuild_paragraphs(lines: &[&str]) -> String {
    let text: Vec<&str> = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let mut lengths: Vec<usize> = text.iter().map(|l| l.chars().count()).collect();
    lengths.sort_unstable();
    let median = lengths.get(lengths.len() / 2).copied().unwrap_or(0);
    let mut out = String::new();
    for (i, line) in text.iter().enumerate() {
        out.push_str(line);
        let Some(next) = text.get(i + 1) else { break };
        let first = next.chars().next().unwrap_or(' ');
        let ends = line.ends_with(['.', '!', '?', ':', '»', '…', ';'])
            && !crate::stages::passages::cut::ends_with_abbreviation(line, first);
        let opens = first.is_uppercase() || first.is_ascii_digit() || "•-–*«(".contains(first);
        let short = line.chars().count() * 10 < median * 6;
        out.push_str(if (ends && opens) || short {
            "\n\n"
        } else {
            "\n"
        });
    }
    out
}

/// Lines (digits masked) found near the edge of at least half the pages, with at least 2 pages.
fn running_lines(pages: &[String]) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for page in pages {
        let lines: Vec<&str> = page.lines().filter(|l| !l.trim().is_empty()).collect();
        let n = lines.len();
        let mut keys: Vec<String> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i < EDGE_LINES || i + EDGE_LINES >= n)
            .map(|(_, l)| line_key(l))
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            *seen.entry(key).or_default() += 1;
        }
    }
    let needed = pages.len().div_ceil(2).max(2);
    seen.retain(|k, n| *n >= needed && !k.is_empty());
    seen
}

/// A line compared across pages: trimmed, digits masked ("Page 3" and "Page 4" repeat).
fn line_key(line: &str) -> String {
    line.trim()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// "12", "- 12 -", "Page 3", "page 3 sur 10", "3/10".
fn is_page_number(line: &str) -> bool {
    let t = line.trim().to_lowercase();
    let rest = t
        .trim_start_matches("page")
        .replace(['-', '–', '/', '|', ' '], "")
        .replace("sur", "")
        .replace("of", "");
    !t.is_empty() && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

/// Lines joined, runs of blank lines collapsed to one, leading and trailing blanks dropped.
fn collapse_blank_runs(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        out.push_str(line);
        blank = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_headers_footers_and_page_numbers_are_removed() {
        let bodies = [
            "Les salaires d'abord.\nIl faut agir",
            "Puis les lits.\nEt vite",
            "Enfin le temps.\nPour soigner",
        ];
        let pages: Vec<String> = (1..=3)
            .map(|p| {
                format!(
                    "CHU de Bordeaux — contribution Ségur\n\n{} page {p}.\n\n- {p} -\nPage {p} sur 3",
                    bodies[p - 1]
                )
            })
            .collect();
        let text = join_pages(&pages);
        assert_eq!(
            text,
            "Les salaires d'abord.\nIl faut agir page 1.\n\nPuis les lits.\nEt vite page 2.\n\nEnfin le temps.\nPour soigner page 3."
        );
    }

    #[test]
    fn a_blank_line_after_every_line_is_not_a_paragraph_end() {
        // Lines written for this test, each followed by a blank line as pdf-extract gives them.
        let lines = [
            "Titre court",
            "Notre  clinique  manque  de  bras  le  soir  et  le  week-end  dans",
            "tous les services de médecine et de chirurgie.",
            "Nous proposons un pool de remplacement partagé entre les hôpitaux",
            "du département, financé par une enveloppe régionale dédiée.",
            "• Premier point : mieux payer les gardes de nuit et les astreintes",
            "que les équipes assurent sans compensation depuis des années.",
        ];
        let page = lines.join("\n\n") + "\n";
        let text = join_pages(&[page]);
        assert_eq!(
            text,
            format!(
                "{}\n\n{}\n{}\n\n{}\n{}\n\n{}\n{}",
                lines[0],
                "Notre clinique manque de bras le soir et le week-end dans",
                lines[2],
                lines[3],
                lines[4],
                lines[5],
                lines[6]
            )
        );
    }

    #[test]
    fn an_abbreviation_at_a_line_end_ends_no_paragraph() {
        let lines = [
            "Nous avons obtenu un rendez-vous avec le Dr.",
            "Martin au bout de six mois, pour dix minutes.",
            "Les délais sont trop longs pour les familles.",
            "Nous demandons des créneaux réservés le soir.",
        ];
        assert_eq!(
            rebuild_paragraphs(&lines),
            format!("{}\n{}\n\n{}\n\n{}", lines[0], lines[1], lines[2], lines[3])
        );
    }

    #[test]
    fn a_single_page_keeps_its_lines() {
        let text = join_pages(&["Titre\n\nCorps du texte.\n".to_string()]);
        assert_eq!(text, "Titre\n\nCorps du texte.");
    }

    #[test]
    fn page_numbers_are_recognised() {
        for line in ["12", " - 12 - ", "Page 3", "page 3 sur 10", "3/10"] {
            assert!(is_page_number(line), "{line}");
        }
        for line in ["2020 fut difficile", "Page de garde", ""] {
            assert!(!is_page_number(line), "{line}");
        }
    }

    #[test]
    fn garbage_is_a_corrupt_file() {
        assert_eq!(pdf(b"%PDF-1.4 garbage").unwrap_err(), "corrupt_file");
    }
}
