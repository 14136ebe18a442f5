//! `verbatim export`: a run as a REFI-QDA project. Each testimony (text mode) or document
//! (passage mode) is a text source, its text as the run published it (pseudonymised, hidden rows
//! empty); each testimony or passage a coded selection with its theme (or its category when it has
//! no theme) and its kind. In passage mode a document's text is rebuilt from its passages, joined
//! by blank lines (the run publishes passages, not whole documents): the selections' offsets are
//! exact in that text.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::{CODEBOOK_NS, KIND_CODE, PROJECT_NS, guid};
use crate::stages::write::record::RunRecord;
use crate::stages::write::table::{self, TextColumn, ThemeRow};
use crate::text::xml_escape as xml;

/// A selection: where it lies in its source (characters), its codes' keys.
struct Selection {
    start: usize,
    end: usize,
    codes: Vec<String>,
}

/// A text source and its selections.
struct Source {
    name: String,
    text: String,
    selections: Vec<Selection>,
}

/// What an export writes; run.json's `run_id` makes every GUID.
pub struct Exported {
    pub sources: usize,
    pub selections: usize,
    pub codes: usize,
}

/// Writes the run in `dir` as a project (`qdpx`) and/or a codebook (`qdc`).
pub fn export(dir: &Path, qdpx: Option<&Path>, qdc: Option<&Path>) -> Result<Exported> {
    let run = RunRecord::read(dir)?;
    run.check_output(dir, "themes.parquet")?;
    let themes = table::read_themes(&dir.join("themes.parquet"))?;
    let codes = code_tree(&run, &themes);
    let sources = match run.unit.unit.as_str() {
        "passage" => passage_sources(dir, &run)?,
        _ => text_sources(dir, &run)?,
    };
    if let Some(path) = qdc {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CodeBook xmlns=\"{CODEBOOK_NS}\" origin=\"verbatim {}\"><Codes>{codes}</Codes></CodeBook>\n",
            env!("CARGO_PKG_VERSION")
        );
        table::write_atomically(path, |f| Ok(f.write_all(xml.as_bytes())?))?;
    }
    if let Some(path) = qdpx {
        let bytes = project(&run, &codes, &sources)?;
        table::write_atomically(path, |f| Ok(f.write_all(&bytes)?))?;
    }
    Ok(Exported {
        sources: sources.len(),
        selections: sources.iter().map(|s| s.selections.len()).sum(),
        codes: run.taxonomy.len() + 1 + themes.len() + 4,
    })
}

/// The code tree as XML: categories (and `none`), their themes, then the kinds.
fn code_tree(run: &RunRecord, themes: &[ThemeRow]) -> String {
    let mut categories: Vec<(String, String, String)> = (run.taxonomy.iter())
        .map(|c| (c.id.clone(), c.name.clone(), c.description.clone()))
        .collect();
    categories.push(("none".into(), "hors catégories".into(), String::new()));
    let code = |key: &str| guid(&run.run_id, &format!("code:{key}"));
    let mut x = String::new();
    for (i, (id, name, description)) in categories.iter().enumerate() {
        let colour = match id.as_str() {
            "none" => crate::report::NONE_COLOUR,
            _ => crate::report::PALETTE[i % crate::report::PALETTE.len()],
        };
        let _ = write!(
            x,
            "<Code guid=\"{}\" name=\"{}\" isCodable=\"true\" color=\"{colour}\"><Description>{}</Description>",
            code(&format!("category:{id}")),
            xml(&format!("{id}{}{name}", crate::labels::CHOICE_JOIN)),
            xml(description)
        );
        for th in themes.iter().filter(|t| t.pillar == *id) {
            let _ = write!(
                x,
                "<Code guid=\"{}\" name=\"{}\" isCodable=\"true\" color=\"{colour}\"><Description>{}</Description></Code>",
                code(&format!("theme:{}", th.theme_id)),
                xml(&format!("{} · {}", th.theme_id, th.title)),
                xml(&th.keywords.join(", "))
            );
        }
        x.push_str("</Code>");
    }
    let _ = write!(
        x,
        "<Code guid=\"{}\" name=\"{KIND_CODE}\" isCodable=\"false\">",
        code(KIND_CODE)
    );
    for kind in ["proposition", "experience", "constat"] {
        let _ = write!(
            x,
            "<Code guid=\"{}\" name=\"{kind}\" isCodable=\"true\"/>",
            code(&format!("kind:{kind}"))
        );
    }
    x + "</Code>"
}

/// The codes of one analysed row: its theme (else its category) and its kind.
fn row_codes(theme: Option<&str>, pillar: Option<&str>, kind: Option<&str>) -> Vec<String> {
    let mut codes = Vec::new();
    match (theme, pillar) {
        (Some(t), _) => codes.push(format!("theme:{t}")),
        (None, Some(p)) => codes.push(format!("category:{p}")),
        _ => {}
    }
    codes.extend(kind.map(|k| format!("kind:{k}")));
    codes
}

/// The columns both modes read from a run's table of analysed rows.
struct Rows {
    cols: Vec<TextColumn>,
    path: std::path::PathBuf,
}

impl Rows {
    fn read(dir: &Path, run: &RunRecord, name: &str) -> Result<Self> {
        run.check_output(dir, name)?;
        let path = dir.join(name);
        Ok(Self {
            cols: table::read_parquet_as_text(&path)?,
            path,
        })
    }

    fn get(&self, name: &str) -> Result<&[Option<String>]> {
        (self
            .cols
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.values.as_slice()))
        .with_context(|| {
            format!(
                "{} has no column {name}: rerun `verbatim run`",
                self.path.display()
            )
        })
    }

    /// The codes of row `r`, when it was analysed.
    fn codes(&self, r: usize) -> Result<Option<Vec<String>>> {
        let value = |name: &str| -> Result<Option<&str>> { Ok(self.get(name)?[r].as_deref()) };
        let pillar = value("pillar")?;
        let codes = row_codes(value("theme_id")?, pillar, value("kind")?);
        Ok(pillar.is_some().then_some(codes))
    }
}

/// Text mode: one source per analysed testimony, wholly selected.
fn text_sources(dir: &Path, run: &RunRecord) -> Result<Vec<Source>> {
    let rows = Rows::read(dir, run, "assignments.parquet")?;
    let (ids, texts) = (rows.get("id")?, rows.get("text")?);
    let mut out = Vec::new();
    for r in 0..ids.len() {
        let Some(codes) = rows.codes(r)? else {
            continue;
        };
        let text = texts[r].clone().unwrap_or_default();
        out.push(Source {
            name: ids[r].clone().unwrap_or_default(),
            selections: vec![Selection {
                start: 0,
                end: text.chars().count(),
                codes,
            }],
            text,
        });
    }
    Ok(out)
}

/// Passage mode: one source per document, its passages joined by blank lines, each selected.
fn passage_sources(dir: &Path, run: &RunRecord) -> Result<Vec<Source>> {
    let rows = Rows::read(dir, run, "passages.parquet")?;
    let (ids, texts) = (rows.get("id")?, rows.get("text")?);
    let mut sources: Vec<Source> = Vec::new();
    for r in 0..ids.len() {
        let id = ids[r].clone().unwrap_or_default();
        if sources.last().is_none_or(|s| s.name != id) {
            sources.push(Source {
                name: id,
                text: String::new(),
                selections: Vec::new(),
            });
        }
        let source = sources.last_mut().expect("pushed");
        if !source.text.is_empty() {
            source.text.push_str("\n\n");
        }
        let start = source.text.chars().count();
        let text = texts[r].as_deref().unwrap_or("");
        source.text.push_str(text);
        if let Some(codes) = rows.codes(r)? {
            source.selections.push(Selection {
                start,
                end: start + text.chars().count(),
                codes,
            });
        }
    }
    Ok(sources)
}

/// `project.qde` and the sources' texts, zipped.
fn project(run: &RunRecord, codes: &str, sources: &[Source]) -> Result<Vec<u8>> {
    let g = |what: &str| guid(&run.run_id, what);
    let user = g("user");
    let date = &run.timings.finished_at;
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project xmlns=\"{PROJECT_NS}\" name=\"verbatim {}\" origin=\"verbatim {}\" creatingUserGUID=\"{user}\" creationDateTime=\"{}\"><Users><User guid=\"{user}\" name=\"verbatim\"/></Users><CodeBook><Codes>{codes}</Codes></CodeBook><Sources>",
        xml(&run.run_id),
        env!("CARGO_PKG_VERSION"),
        xml(date)
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (i, s) in sources.iter().enumerate() {
        let id = g(&format!("source:{i}:{}", s.name));
        let _ = write!(
            x,
            "<TextSource guid=\"{id}\" name=\"{}\" plainTextPath=\"internal://{id}.txt\">",
            xml(&s.name)
        );
        for (k, sel) in s.selections.iter().enumerate() {
            let _ = write!(
                x,
                "<PlainTextSelection guid=\"{}\" startPosition=\"{}\" endPosition=\"{}\">",
                g(&format!("selection:{i}:{k}")),
                sel.start,
                sel.end
            );
            for (c, code) in sel.codes.iter().enumerate() {
                let _ = write!(
                    x,
                    "<Coding guid=\"{}\"><CodeRef targetGUID=\"{}\"/></Coding>",
                    g(&format!("coding:{i}:{k}:{c}")),
                    g(&format!("code:{code}"))
                );
            }
            x.push_str("</PlainTextSelection>");
        }
        x.push_str("</TextSource>");
        zip.start_file(format!("sources/{id}.txt"), options)?;
        zip.write_all(s.text.as_bytes())?;
    }
    x.push_str("</Sources></Project>\n");
    zip.start_file("project.qde", options)?;
    zip.write_all(x.as_bytes())?;
    Ok(zip.finish()?.into_inner())
}
