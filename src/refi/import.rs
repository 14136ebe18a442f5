//! A REFI-QDA project (`.qdpx`) as a manual tagging: each text source is a testimony or a
//! document, named by its id (or file name); each code it carries maps to a category by its own
//! name or, failing that, by the nearest ancestor's (an id, a name, `id — name`; case and accents
//! ignored, `--label-map` entries too), at any depth of the code tree. Codes that map to no
//! category are listed in a warning, with how many codings they hold, never silently dropped.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::KIND_CODE;
use crate::labels::{LabelMatcher, MULTI_JOIN};

/// What a project holds: each code's name and parent, each source's name and the codes on it,
/// and each coded selection.
#[derive(Debug, Default)]
pub struct Project {
    /// guid → (name, parent guid).
    pub codes: HashMap<String, (String, Option<String>)>,
    /// (source name, code guids coded in it, in order).
    pub sources: Vec<(String, Vec<String>)>,
    /// Selections: (source index, start, end in characters, code guids).
    pub selections: Vec<(usize, usize, usize, Vec<String>)>,
    /// Each source's text: its `PlainTextContent`, or its `internal://` file in the archive.
    pub texts: Vec<Option<String>>,
    /// Each source's `plainTextPath`, until [`read`] fetches the file.
    paths: Vec<Option<String>>,
}

/// How a source whose name is no id of the run is matched to one: by a document's file name,
/// else by its text (whitespace aside).
#[derive(Default)]
pub struct Resolver {
    ids: std::collections::HashSet<String>,
    by_file: HashMap<String, String>,
    by_text: HashMap<String, String>,
}

impl Resolver {
    /// The run's ids, and its `file_name` and `text` columns where it has them.
    pub fn new(
        ids: &[String],
        file_names: Option<&[Option<String>]>,
        texts: Option<&[Option<String>]>,
    ) -> Self {
        let index = |values: Option<&[Option<String>]>, key: &dyn Fn(&str) -> String| {
            let mut map = HashMap::new();
            for (id, v) in ids.iter().zip(values.unwrap_or(&[])) {
                if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                    map.entry(key(v)).or_insert_with(|| id.clone());
                }
            }
            map
        };
        Self {
            ids: ids.iter().cloned().collect(),
            by_file: index(file_names, &|v| v.to_string()),
            by_text: index(texts, &squeezed),
        }
    }

    /// The id a source stands for: its name, else the document of that file name, else the row
    /// with the same text; its name unchanged when nothing matches (the evaluation says so).
    fn id(&self, name: &str, text: Option<&str>) -> String {
        if self.ids.contains(name) {
            return name.to_string();
        }
        let by_text = || self.by_text.get(&squeezed(text?)).cloned();
        (self.by_file.get(name).cloned())
            .or_else(by_text)
            .unwrap_or_else(|| name.to_string())
    }
}

/// A text with its whitespace runs made single spaces, for matching.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A passage of the run: its document, its key (`document#rank`), its characters.
pub struct PassageSpan {
    pub document: String,
    pub key: String,
    pub start: usize,
    pub end: usize,
}

/// The tagging: one id per source, its categories joined with `|` (empty when none maps).
pub struct Tagging {
    pub ids: Vec<String>,
    pub labels: Vec<String>,
    /// Codes that map to no category, with the codings they hold.
    pub unmapped: BTreeMap<String, usize>,
}

/// Reads `path` and maps its codings onto the categories `matcher` knows, one row per source
/// (a document or a testimony), or with `passages`, one row per passage a selection covers.
pub fn tagging(
    path: &Path,
    matcher: &LabelMatcher,
    passages: Option<&[PassageSpan]>,
    resolver: Option<&Resolver>,
) -> Result<Tagging> {
    let project = read(path)?;
    let mut out = Tagging {
        ids: Vec::new(),
        labels: Vec::new(),
        unmapped: BTreeMap::new(),
    };
    let rows: Vec<(String, &[String])> = match passages {
        None => (project.sources.iter().enumerate())
            .map(|(i, (name, codes))| {
                let text = project.texts[i].as_deref();
                let id = resolver.map_or_else(|| name.clone(), |r| r.id(name, text));
                (id, codes.as_slice())
            })
            .collect(),
        Some(spans) => passage_rows(&project, spans),
    };
    let mut by_row: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    for (row, codings) in rows {
        let labels = by_row.entry(row.clone()).or_insert_with(|| {
            order.push(row.clone());
            Vec::new()
        });
        for code in codings {
            match category(&project, code, matcher) {
                Some(id) if !labels.contains(&id) => labels.push(id),
                Some(_) => {}
                // verbatim's own `kind` codes are not categories, and say nothing wrong.
                None if chain(&project, code).starts_with(&format!("{KIND_CODE} > ")) => {}
                None => *out.unmapped.entry(chain(&project, code)).or_default() += 1,
            }
        }
    }
    for row in order {
        out.labels.push(by_row[&row].join(&MULTI_JOIN.to_string()));
        out.ids.push(row);
    }
    warn_unmapped(path, &out.unmapped);
    Ok(out)
}

fn warn_unmapped(path: &Path, unmapped: &BTreeMap<String, usize>) {
    if !unmapped.is_empty() {
        let list: Vec<String> = (unmapped.iter())
            .map(|(c, n)| format!("{c:?} ({n})"))
            .collect();
        log::warn!(
            "{}: {} codes map to no category and were not counted: {} (map them with --code-map)",
            path.display(),
            list.len(),
            list.join(", ")
        );
    }
}

/// Each selection's codes on the passages of its document it covers: every passage it covers
/// half of at least, else the one it overlaps most (a selection over several passages counts in
/// each: multi-label).
fn passage_rows<'p>(project: &'p Project, spans: &[PassageSpan]) -> Vec<(String, &'p [String])> {
    let mut out = Vec::new();
    for (source, start, end, codes) in &project.selections {
        let document = &project.sources[*source].0;
        let overlaps: Vec<(usize, &PassageSpan)> = (spans.iter())
            .filter(|p| &p.document == document)
            .map(|p| (end.min(&p.end).saturating_sub(*start.max(&p.start)), p))
            .filter(|(o, _)| *o > 0)
            .collect();
        let half: Vec<&PassageSpan> = (overlaps.iter())
            .filter(|(o, p)| 2 * o >= p.end - p.start)
            .map(|(_, p)| *p)
            .collect();
        let chosen = match half.is_empty() {
            false => half,
            true => overlaps
                .iter()
                .max_by_key(|(o, _)| *o)
                .map(|(_, p)| *p)
                .into_iter()
                .collect(),
        };
        out.extend(
            chosen
                .into_iter()
                .map(|p| (p.key.clone(), codes.as_slice())),
        );
    }
    out
}

/// The category of a code: its own name's, else its nearest ancestor's.
fn category(project: &Project, code: &str, matcher: &LabelMatcher) -> Option<String> {
    let mut at = Some(code.to_string());
    let mut steps = 0;
    while let Some(guid) = at {
        let (name, parent) = project.codes.get(&guid)?;
        if let Some(id) = matcher.label(name) {
            return Some(id.to_string());
        }
        at = parent.clone();
        steps += 1;
        if steps > 64 {
            return None; // a cycle in a malformed tree
        }
    }
    None
}

/// "parent > child", for the warning.
fn chain(project: &Project, code: &str) -> String {
    let mut names = Vec::new();
    let mut at = Some(code.to_string());
    while let Some((name, parent)) = at.as_ref().and_then(|g| project.codes.get(g)) {
        names.push(name.clone());
        at = parent.clone();
        if names.len() > 64 {
            break;
        }
    }
    names.reverse();
    match names.is_empty() {
        true => format!("<unknown code {code}>"),
        false => names.join(" > "),
    }
}

/// Reads `project.qde` out of the archive.
pub fn read(path: &Path) -> Result<Project> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = zip::ZipArchive::new(file).with_context(|| {
        format!(
            "{} is not a REFI-QDA project (.qdpx, a zip archive)",
            path.display()
        )
    })?;
    let mut xml = String::new();
    archive
        .by_name("project.qde")
        .with_context(|| format!("{}: no project.qde inside", path.display()))?
        .read_to_string(&mut xml)?;
    let mut project = parse(&xml)
        .with_context(|| format!("{}: project.qde is not readable XML", path.display()))?;
    for (i, source) in project.paths.iter().enumerate() {
        let Some(file) = source
            .as_deref()
            .and_then(|p| p.strip_prefix("internal://"))
        else {
            continue;
        };
        let mut text = String::new();
        if let Ok(mut member) = archive.by_name(&format!("sources/{file}")) {
            member.read_to_string(&mut text).ok();
            project.texts[i] = Some(text);
        }
    }
    Ok(project)
}

fn attribute(e: &BytesStart, name: &str) -> Option<String> {
    (e.attributes().flatten())
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The code tree and each source's codings (on selections or on the whole source).
pub fn parse(xml: &str) -> Result<Project> {
    let mut reader = Reader::from_str(xml);
    let mut p = Parser::default();
    loop {
        match reader.read_event()? {
            Event::Start(e) => p.start(&e.into_owned(), false),
            Event::Empty(e) => p.start(&e.into_owned(), true),
            Event::End(e) => p.end(e.local_name().as_ref()),
            Event::Text(t) => p.text(&t),
            Event::GeneralRef(r) => p.text(&crate::stages::read::documents::office::entity(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(p.project)
}

/// Where the reading of `project.qde` is: the project so far, the open code, selection and text.
#[derive(Default)]
struct Parser {
    project: Project,
    code_stack: Vec<String>,
    selection: Option<usize>,
    content: Option<String>,
}

impl Parser {
    fn start(&mut self, event: &BytesStart, empty: bool) {
        let project = &mut self.project;
        match event.local_name().as_ref() {
            "Code" => {
                let guid = attribute(event, "guid").unwrap_or_default();
                let name = attribute(event, "name").unwrap_or_default();
                let parent = self.code_stack.last().cloned();
                project.codes.insert(guid.clone(), (name, parent));
                if !empty {
                    self.code_stack.push(guid);
                }
            }
            "TextSource" | "PDFSource" => {
                let name = attribute(event, "name").unwrap_or_default();
                project.sources.push((name, Vec::new()));
                project.paths.push(attribute(event, "plainTextPath"));
                project.texts.push(None);
            }
            "PlainTextContent" if !empty => self.content = Some(String::new()),
            "PlainTextSelection" if !empty && !project.sources.is_empty() => {
                let at = |name| {
                    attribute(event, name)
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0)
                };
                let source = project.sources.len() - 1;
                let (start, end) = (at("startPosition"), at("endPosition"));
                project.selections.push((source, start, end, Vec::new()));
                self.selection = Some(project.selections.len() - 1);
            }
            "CodeRef" => {
                let target = attribute(event, "targetGUID");
                if let (Some(target), Some(source)) = (target, project.sources.last_mut()) {
                    source.1.push(target.clone());
                    if let Some(s) = self.selection {
                        project.selections[s].3.push(target);
                    }
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "Code" => _ = self.code_stack.pop(),
            "PlainTextSelection" => self.selection = None,
            "PlainTextContent" => {
                if let Some(last) = self.project.texts.last_mut() {
                    *last = self.content.take();
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(c) = self.content.as_mut() {
            c.push_str(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_by_their_own_name_or_an_ancestor_at_any_depth() {
        let xml = r#"<Project xmlns="urn:QDA-XML:project:1.0" name="x"><CodeBook><Codes>
            <Code guid="a" name="Thèmes" isCodable="false"><Code guid="b" name="P1 — Carrières" isCodable="true">
              <Code guid="c" name="Salaires" isCodable="true"/></Code></Code>
            <Code guid="d" name="Humeur" isCodable="true"/></Codes></CodeBook>
            <Sources><TextSource guid="s1" name="T1"><PlainTextSelection guid="x" startPosition="0" endPosition="3">
              <Coding guid="y"><CodeRef targetGUID="c"/></Coding><Coding guid="z"><CodeRef targetGUID="d"/></Coding>
            </PlainTextSelection></TextSource><TextSource guid="s2" name="T2"/></Sources></Project>"#;
        let project = parse(xml).unwrap();
        let categories = vec![("p1".to_string(), "Carrières".to_string())];
        let matcher = LabelMatcher::new(&categories, None).unwrap();
        assert_eq!(category(&project, "c", &matcher).as_deref(), Some("p1"));
        assert_eq!(category(&project, "d", &matcher), None);
        assert_eq!(chain(&project, "c"), "Thèmes > P1 — Carrières > Salaires");
        assert_eq!(
            project.sources,
            vec![
                ("T1".into(), vec!["c".into(), "d".into()]),
                ("T2".into(), vec![])
            ]
        );
        assert_eq!(
            project.selections,
            vec![(0, 0, 3, vec!["c".into(), "d".into()])]
        );
        // A selection over characters 0–3 covers all of passage 0–2, a little of 2–10.
        let spans = [(0, 2), (2, 10)].map(|(start, end)| PassageSpan {
            document: "T1".into(),
            key: format!("T1#{start}"),
            start,
            end,
        });
        let rows: Vec<String> = passage_rows(&project, &spans)
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(rows, vec!["T1#0"]);
    }
}
