//! A folder (or a glob) of documents read as one contribution per document: `.txt`, `.md`,
//! `.html`, `.docx`, `.odt`, `.pdf` (text layer) and spreadsheets. Each document is one row of a
//! [`Corpus`], its id the path relative to the folder; `file_name`, `format`, `bytes`, `pages`
//! and `title` are passed through like other columns. A document that cannot be read stays a row,
//! with the reason it was rejected; a folder without a single readable document is an error.

mod markup;
pub(crate) mod office;
mod pdf;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::digest::hex;
use crate::stages::read::ingest::{Corpus, InputFormat, Note, ReadOptions, TextColumn};

/// What a reader takes out of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// Paragraphs separated by blank lines.
    pub text: String,
    pub pages: Option<usize>,
    pub title: Option<String>,
    /// What the reader did that the log should say (footnotes appended, comments left out).
    pub notes: Vec<String>,
}

/// One document of the folder.
#[derive(Debug, Clone)]
struct Document {
    id: String,
    format: String,
    bytes: u64,
    read: Result<Extracted, String>,
}

/// Whether `--input` names documents (a folder or a glob pattern) rather than one table.
pub fn is_documents(input: &Path) -> bool {
    input.is_dir() || input.to_string_lossy().contains(['*', '?', '['])
}

/// Reads every document of a folder or a glob into a corpus, one row per document.
pub fn read(input: &Path, options: &ReadOptions) -> Result<Corpus> {
    let (root, files) = list(input)?;
    let documents: Vec<Document> = files
        .par_iter()
        .map(|entry| match entry {
            Entry::File(path) => read_document(&root, path, options),
            Entry::Skipped(path, reason) => Ok(skipped(&root, path, reason)),
        })
        .collect::<Result<_>>()?;
    let files: Vec<&Path> = files.iter().map(Entry::path).collect();
    let mut digest = Sha256::new();
    for (path, d) in files.iter().zip(&documents) {
        digest.update(d.id.as_bytes());
        if d.format != "link" {
            digest.update(std::fs::read(path).unwrap_or_default());
        }
    }
    let readable = documents
        .iter()
        .filter(|d| {
            d.read
                .as_ref()
                .is_ok_and(|e| e.text.chars().any(char::is_alphabetic))
        })
        .count();
    if readable == 0 {
        bail!(
            "{}: none of its {} documents holds readable text ({}); verbatim reads .txt, .md, .html, .docx, .odt, .pdf with a text layer, .xlsx and .ods",
            input.display(),
            documents.len(),
            reasons(&documents)
        );
    }
    Ok(corpus(input, hex(&digest.finalize()), documents))
}

/// "3 no_text_layer, 1 unknown_format": why documents were rejected.
fn reasons(documents: &[Document]) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for d in documents {
        let reason = match &d.read {
            Err(r) => r.as_str(),
            Ok(_) => "empty",
        };
        *counts.entry(reason).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.join(", ")
}

/// A path found in the folder: a file to read, or a link that is not followed, with its reason
/// (it still gets a row, so that the folder's count adds up).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    File(PathBuf),
    Skipped(PathBuf, &'static str),
}

impl Entry {
    fn path(&self) -> &Path {
        match self {
            Entry::File(p) | Entry::Skipped(p, _) => p,
        }
    }
}

/// The folder the ids are relative to, and the files, sorted by path; hidden files and office
/// lock files (`~$…`) are skipped.
fn list(input: &Path) -> Result<(PathBuf, Vec<Entry>)> {
    let (root, mut files) = if input.is_dir() {
        let mut files = Vec::new();
        let mut walked = std::collections::HashSet::new();
        walk(input, &mut files, &mut walked)?;
        (input.to_path_buf(), files)
    } else {
        let pattern = input.to_string_lossy();
        let files = glob::glob(&pattern)
            .with_context(|| format!("{pattern} is not a valid glob pattern"))?
            .filter_map(|p| p.ok())
            .filter(|p| p.is_file() && !hidden(p))
            .map(Entry::File)
            .collect();
        (glob_root(input), files)
    };
    files.sort_by(|a, b| a.path().cmp(b.path()));
    if files.is_empty() {
        bail!(
            "{}: no document found (expected .txt, .md, .html, .docx, .odt, .pdf, .xlsx or .ods files)",
            input.display()
        );
    }
    Ok((root, files))
}

/// Lists a folder recursively, in sorted order. A link to a folder inside the tree is not
/// followed (its documents are read where they are): a link back up the tree (`a/boucle → ..`) is
/// a `symlink_loop`, another one a `duplicate_link`. A link to a folder outside is walked once. A
/// link that leads nowhere (to itself, or to a missing file) is a `broken_link` or a
/// `symlink_loop`. Each of these stays a rejected row, so that the folder's count adds up.
fn walk(
    dir: &Path,
    files: &mut Vec<Entry>,
    walked: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let real = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    walked.insert(real.clone());
    let mut paths = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    paths.sort();
    for path in paths.into_iter().filter(|p| !hidden(p)) {
        let link = path.is_symlink();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() && link => followed_link(&path, files, walked)?,
            Ok(m) if m.is_dir() => walk(&path, files, walked)?,
            Ok(m) if m.is_file() => files.push(Entry::File(path)),
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(40) => {
                files.push(Entry::Skipped(path, "symlink_loop"))
            }
            Err(_) if link => files.push(Entry::Skipped(path, "broken_link")),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
    Ok(())
}

/// A link to a folder: walked when it leads out of everything walked so far, else a row saying
/// why not.
fn followed_link(
    link: &Path,
    files: &mut Vec<Entry>,
    walked: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let target = link
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", link.display()))?;
    let here = link.parent().and_then(|p| p.canonicalize().ok());
    if here.as_ref().is_some_and(|h| h.starts_with(&target)) {
        files.push(Entry::Skipped(link.to_path_buf(), "symlink_loop"));
    } else if walked
        .iter()
        .any(|w| target.starts_with(w) || w.starts_with(&target))
    {
        files.push(Entry::Skipped(link.to_path_buf(), "duplicate_link"));
    } else {
        walk(link, files, walked)?;
    }
    Ok(())
}

/// The row of a link that was not followed.
fn skipped(root: &Path, path: &Path, reason: &str) -> Document {
    Document {
        id: relative_id(root, path),
        format: "link".into(),
        bytes: 0,
        read: Err(reason.to_string()),
    }
}

/// A document's id: its path relative to the folder, with `/` separators.
fn relative_id(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn hidden(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.') || name.starts_with("~$")
}

/// The folders of a glob pattern before its first wildcard.
fn glob_root(pattern: &Path) -> PathBuf {
    let mut root = PathBuf::new();
    for part in pattern.components() {
        if part.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            break;
        }
        root.push(part);
    }
    root
}

fn read_document(root: &Path, path: &Path, options: &ReadOptions) -> Result<Document> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let id = relative_id(root, path);
    let format = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let read = extract(&format, &bytes, options.sheet.as_deref());
    Ok(Document {
        id,
        format,
        bytes: bytes.len() as u64,
        read,
    })
}

/// A document's text by its extension; `Err` is the reason it is rejected.
fn extract(format: &str, bytes: &[u8], sheet: Option<&str>) -> Result<Extracted, String> {
    match format {
        "txt" | "text" => Ok(markup::plain(bytes)),
        "md" | "markdown" => Ok(markup::markdown(bytes)),
        "html" | "htm" => Ok(markup::html(bytes)),
        "docx" => office::docx(bytes),
        "odt" => office::odt(bytes),
        "pdf" => pdf::pdf(bytes),
        f if crate::stages::read::sheet::EXTENSIONS.contains(&f) => sheet_text(bytes, sheet),
        _ => Err("unknown_format".into()),
    }
}

/// A spreadsheet in a folder of documents: its text column (guessed as for a table), one
/// paragraph per row.
fn sheet_text(bytes: &[u8], sheet: Option<&str>) -> Result<Extracted, String> {
    office::refuse_ole(bytes)?;
    let columns = crate::stages::read::sheet::columns(bytes, sheet, "sheet")
        .map_err(|_| "corrupt_file".to_string())?;
    let (name, _) = crate::stages::read::ingest::guess_text_column(&columns, None)
        .ok_or("no_text_column".to_string())?;
    let column = columns.iter().find(|c| c.name == name).expect("guessed");
    let cells: Vec<&str> = column.values.iter().flatten().map(|s| s.trim()).collect();
    Ok(Extracted {
        text: cells.join("\n\n"),
        pages: None,
        title: None,
        notes: Vec::new(),
    })
}

/// The corpus: one row per document, reading statuses beside the texts.
fn corpus(input: &Path, sha256: String, documents: Vec<Document>) -> Corpus {
    let mut notes = Vec::new();
    for d in &documents {
        match &d.read {
            Err(reason) => {
                let text = format!("{}: rejected ({reason})", d.id);
                notes.push(Note::new(log::Level::Warn, text));
            }
            Ok(e) => notes.extend(
                (e.notes.iter()).map(|n| Note::new(log::Level::Info, format!("{}: {n}", d.id))),
            ),
        }
    }
    let column = |name: &str, f: &dyn Fn(&Document) -> Option<String>| TextColumn {
        name: name.to_string(),
        values: documents.iter().map(f).collect(),
        nested: None,
    };
    let passthrough = vec![
        column("file_name", &|d| {
            Path::new(&d.id)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        }),
        column("format", &|d| Some(d.format.clone())),
        column("bytes", &|d| Some(d.bytes.to_string())),
        column("pages", &|d| {
            d.read.as_ref().ok()?.pages.map(|p| p.to_string())
        }),
        column("title", &|d| d.read.as_ref().ok()?.title.clone()),
    ];
    Corpus {
        path: input.to_path_buf(),
        sha256,
        format: InputFormat::Documents,
        encoding: None,
        delimiter: None,
        text_column: "text".into(),
        id_column: Some("path".into()),
        ids: documents.iter().map(|d| d.id.clone()).collect(),
        texts: documents
            .iter()
            .map(|d| d.read.as_ref().map(|e| e.text.clone()).unwrap_or_default())
            .collect(),
        rejected: documents.iter().map(|d| d.read.clone().err()).collect(),
        passthrough,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_roots_stop_at_the_first_wildcard() {
        assert_eq!(glob_root(Path::new("a/b/*.pdf")), PathBuf::from("a/b"));
        assert_eq!(glob_root(Path::new("a/*/c.txt")), PathBuf::from("a"));
    }

    #[test]
    fn unknown_extensions_are_rejected_not_guessed() {
        assert_eq!(extract("exe", b"MZ", None).unwrap_err(), "unknown_format");
        assert_eq!(extract("", b"text", None).unwrap_err(), "unknown_format");
    }

    #[test]
    fn a_folder_without_readable_text_is_an_error_naming_the_reasons() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), b"\x00\x01").unwrap();
        std::fs::write(dir.path().join("b.docx"), b"PK broken").unwrap();
        std::fs::write(dir.path().join(".hidden.txt"), b"Texte").unwrap();
        let err = read(dir.path(), &ReadOptions::default()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("1 corrupt_file, 1 unknown_format"), "{msg}");
        let empty = tempfile::tempdir().unwrap();
        let err = read(empty.path(), &ReadOptions::default()).unwrap_err();
        assert!(format!("{err:#}").contains("no document found"));
    }

    #[test]
    fn documents_keep_their_relative_path_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sous")).unwrap();
        std::fs::write(
            dir.path().join("sous/b.md"),
            "# Titre\n\nTexte *important*.",
        )
        .unwrap();
        std::fs::write(dir.path().join("a.txt"), "Premier.\r\n\r\nSecond.").unwrap();
        let c = read(dir.path(), &ReadOptions::default()).unwrap();
        assert_eq!(c.ids, ["a.txt", "sous/b.md"]);
        assert_eq!(
            c.texts,
            ["Premier.\n\nSecond.", "Titre\n\nTexte important."]
        );
        assert_eq!(c.passthrough[0].values[1].as_deref(), Some("b.md"));
        assert_eq!(c.passthrough[4].values[1].as_deref(), Some("Titre"));
        assert_eq!(c.rejected, [None, None]);
    }
}
