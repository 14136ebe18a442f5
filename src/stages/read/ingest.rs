//! Read the analyst's file into a [`Corpus`]: ids, texts and every other column as text.
//!
//! CSV is read as analysts get it: `,` `;` tab or `|` separated (detected), UTF-8 with or without BOM or
//! Windows-1252 (detected), quoted fields with newlines. Parquet and JSON Lines are read too. Every
//! problem names the file, and the row and column when there is one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::delimited::{describe_delimiter, detect_delimiter, parse_csv};
pub use super::encoding::decode;
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::digest::hex;
pub use crate::stages::write::table::TextColumn;
use crate::text::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    Csv,
    Parquet,
    Jsonl,
    /// A spreadsheet's sheet (.xlsx, .xls, .ods).
    Spreadsheet,
    /// A folder or a glob of documents, one row each.
    Documents,
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub text_column: Option<String>,
    pub id_column: Option<String>,
    /// The sheet of a spreadsheet to read (the first when `None`).
    pub sheet: Option<String>,
}

/// The rows of an input file, in file order.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub path: PathBuf,
    pub sha256: String,
    pub format: InputFormat,
    /// Encoding the bytes were decoded from (CSV only).
    pub encoding: Option<String>,
    /// Field separator (CSV only).
    pub delimiter: Option<char>,
    pub text_column: String,
    /// `None` when ids are row numbers.
    pub id_column: Option<String>,
    pub ids: Vec<String>,
    pub texts: Vec<String>,
    /// Why a row could not be read at all (a document without a text layer), if so.
    pub rejected: Vec<Option<String>>,
    /// Every other input column, passed through to the outputs.
    pub passthrough: Vec<TextColumn>,
    /// What was detected, for the log (never the texts themselves).
    pub notes: Vec<Note>,
}

impl Corpus {
    /// The same file's description without any row.
    pub fn clone_header(&self) -> Corpus {
        Corpus {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            format: self.format,
            encoding: self.encoding.clone(),
            delimiter: self.delimiter,
            text_column: self.text_column.clone(),
            id_column: self.id_column.clone(),
            ids: Vec::new(),
            texts: Vec::new(),
            rejected: Vec::new(),
            passthrough: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// Column names a text column usually has, compared without case or accents.
const TEXT_NAMES: [&str; 14] = [
    "text",
    "texte",
    "contribution",
    "temoignage",
    "reponse",
    "answer",
    "content",
    "contenu",
    "message",
    "verbatim",
    "commentaire",
    "comment",
    "body",
    "avis",
];

/// The columns of a file as text, before any column has a role.
pub struct Table {
    pub columns: Vec<TextColumn>,
    pub sha256: String,
    pub format: InputFormat,
    pub encoding: Option<String>,
    pub delimiter: Option<char>,
    pub notes: Vec<Note>,
}

/// What reading detected, for the log, at the level it deserves: the text column by default, a
/// mixed encoding as a warning, how the file was decoded and split with `-v`.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub level: log::Level,
    pub text: String,
}

impl Note {
    pub fn new(level: log::Level, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
        }
    }
}

/// The position of each id in `ids` (ids are unique: [`read`] checks them).
pub fn positions(ids: &[String]) -> HashMap<&str, usize> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect()
}

/// Logs what reading `path` detected.
pub fn log_notes(path: &Path, notes: &[Note]) {
    for note in notes {
        log::log!(note.level, "{}: {}", path.display(), note.text);
    }
}

/// Reads any supported file into text columns; an empty file or one without rows is an error.
pub fn read_table(path: &Path) -> Result<Table> {
    read_sheet(path, None)
}

/// [`read_table`], naming the sheet to read when the file is a spreadsheet.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Table> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let format = detect_format(path, &bytes);
    let mut notes = Vec::new();
    let (columns, encoding, delimiter) = match format {
        InputFormat::Csv => {
            let (text, encoding) = decode(&bytes);
            if text.trim().is_empty() {
                bail!(
                    "{} is empty: expected a header line and one testimony per row",
                    path.display()
                );
            }
            let level = if encoding.starts_with("mixed") {
                log::Level::Warn
            } else {
                log::Level::Debug
            };
            notes.push(Note::new(level, format!("encoding: {encoding}")));
            let delimiter = detect_delimiter(&text);
            let split = format!("delimiter: {}", describe_delimiter(delimiter));
            notes.push(Note::new(log::Level::Debug, split));
            (
                parse_csv(path, &text, delimiter)?,
                Some(encoding),
                Some(delimiter as char),
            )
        }
        InputFormat::Parquet => (
            crate::stages::write::table::read_parquet_as_text(path)?,
            None,
            None,
        ),
        InputFormat::Jsonl => (parse_jsonl(path, &bytes)?, None, None),
        InputFormat::Spreadsheet => {
            let what = path.display().to_string();
            (
                crate::stages::read::sheet::columns(&bytes, sheet, &what)?,
                None,
                None,
            )
        }
        InputFormat::Documents => bail!("{} is a folder of documents, not a table", path.display()),
    };
    let rows = columns.first().map_or(0, |c| c.values.len());
    if columns.is_empty() || rows == 0 {
        bail!(
            "{} has a header but no rows: nothing to analyse",
            path.display()
        );
    }
    Ok(Table {
        columns,
        sha256,
        format,
        encoding,
        delimiter,
        notes,
    })
}

pub fn read(path: &Path, options: &ReadOptions) -> Result<Corpus> {
    let Table {
        columns,
        sha256,
        format,
        encoding,
        delimiter,
        mut notes,
    } = read_sheet(path, options.sheet.as_deref())?;
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();

    let id_column = match &options.id_column {
        Some(name) => Some(find_column(path, &names, name, "id")?),
        None => names
            .iter()
            .find(|n| fold(n) == "id")
            .map(|n| n.to_string()),
    };
    let text_column = text_column(path, &columns, options, id_column.as_deref(), &mut notes)?;
    if Some(&text_column) == id_column.as_ref() {
        bail!(
            "{}: the text column and the id column are both {text_column}",
            path.display()
        );
    }

    let mut passthrough = Vec::new();
    let mut texts = Vec::new();
    let mut ids = None;
    for col in columns {
        if col.name == text_column {
            texts = col
                .values
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect();
        } else if Some(&col.name) == id_column.as_ref() {
            ids = Some(col.values);
        } else {
            passthrough.push(col);
        }
    }
    let ids = match ids {
        Some(values) => check_ids(path, id_column.as_deref().unwrap(), values)?,
        None => {
            notes.push(Note::new(
                log::Level::Debug,
                "ids: row numbers (no id column)",
            ));
            (1..=texts.len()).map(|i| i.to_string()).collect()
        }
    };
    Ok(Corpus {
        path: path.to_path_buf(),
        sha256,
        format,
        encoding,
        delimiter,
        text_column,
        id_column,
        ids,
        rejected: vec![None; texts.len()],
        texts,
        passthrough,
        notes,
    })
}

fn detect_format(path: &Path, bytes: &[u8]) -> InputFormat {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "parquet" | "pq" => InputFormat::Parquet,
        "jsonl" | "ndjson" => InputFormat::Jsonl,
        "csv" | "tsv" | "txt" => InputFormat::Csv,
        e if crate::stages::read::sheet::EXTENSIONS.contains(&e) => InputFormat::Spreadsheet,
        _ if bytes.starts_with(b"PAR1") => InputFormat::Parquet,
        _ if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => InputFormat::Jsonl,
        _ => InputFormat::Csv,
    }
}

fn parse_jsonl(path: &Path, bytes: &[u8]) -> Result<Vec<TextColumn>> {
    let (text, _) = decode(bytes);
    let mut order: Vec<String> = Vec::new();
    let mut rows: Vec<serde_json::Map<String, serde_json::Value>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}: line {} is not valid JSON", path.display(), i + 1))?;
        let serde_json::Value::Object(map) = value else {
            bail!("{}: line {} is not a JSON object", path.display(), i + 1);
        };
        for key in map.keys() {
            if !order.contains(key) {
                order.push(key.clone());
            }
        }
        rows.push(map);
    }
    if rows.is_empty() {
        bail!(
            "{} is empty: expected one JSON object per line",
            path.display()
        );
    }
    Ok(order
        .into_iter()
        .map(|name| {
            let values = rows
                .iter()
                .map(|r| match r.get(&name) {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) if s.is_empty() => None,
                    Some(serde_json::Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                })
                .collect();
            TextColumn {
                name,
                values,
                nested: None,
            }
        })
        .collect())
}

pub fn find_column(path: &Path, names: &[&str], wanted: &str, role: &str) -> Result<String> {
    if let Some(n) = names.iter().find(|n| **n == wanted) {
        return Ok(n.to_string());
    }
    if let Some(n) = names.iter().find(|n| fold(n) == fold(wanted)) {
        return Ok(n.to_string());
    }
    let closest = names
        .iter()
        .min_by_key(|n| strsim::levenshtein(&fold(n), &fold(wanted)))
        .map(|n| format!(" Did you mean {n:?}?"))
        .unwrap_or_default();
    bail!(
        "{}: no column named {wanted:?} for the {role}.{closest} The columns are: {}",
        path.display(),
        names.join(", ")
    )
}

/// The column named with `--text-column`, else the guessed one (said in `notes`); never a column
/// of lists or structs.
fn text_column(
    path: &Path,
    columns: &[TextColumn],
    options: &ReadOptions,
    id_column: Option<&str>,
    notes: &mut Vec<Note>,
) -> Result<String> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let text_column = match &options.text_column {
        Some(name) => find_column(path, &names, name, "text")?,
        None => {
            let (name, why) = guess_text_column(columns, id_column).with_context(|| {
                format!("{} has no column that could hold the texts", path.display())
            })?;
            notes.push(Note::new(
                log::Level::Info,
                format!("text column: {name} ({why}; choose another with --text-column)"),
            ));
            name
        }
    };
    if let Some(kind) = columns
        .iter()
        .find(|c| c.name == text_column)
        .and_then(|c| c.nested.as_ref())
    {
        bail!(
            "{}: column {text_column} holds {kind} values, not texts: name the text column with --text-column (this one stays in the outputs, passed through)",
            path.display()
        );
    }
    Ok(text_column)
}

pub(crate) fn guess_text_column(
    columns: &[TextColumn],
    id_column: Option<&str>,
) -> Option<(String, &'static str)> {
    let candidates: Vec<&TextColumn> = columns
        .iter()
        .filter(|c| Some(c.name.as_str()) != id_column && c.nested.is_none())
        .collect();
    if let Some(c) = candidates
        .iter()
        .find(|c| TEXT_NAMES.contains(&fold(&c.name).as_str()))
    {
        return Some((c.name.clone(), "its name says so"));
    }
    candidates
        .iter()
        .map(|c| {
            let sample = c.values.iter().take(1000);
            let total: usize = sample
                .map(|v| v.as_ref().map_or(0, |s| s.chars().count()))
                .sum();
            (total, c)
        })
        .max_by_key(|(total, _)| *total)
        .map(|(_, c)| (c.name.clone(), "it holds the longest values"))
}

fn check_ids(path: &Path, column: &str, values: Vec<Option<String>>) -> Result<Vec<String>> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(values.len());
    for (row, v) in values.iter().enumerate() {
        let Some(id) = v.as_deref() else {
            bail!(
                "{}: row {}, column {column}: the id is empty",
                path.display(),
                row + 1
            );
        };
        if let Some(first) = seen.insert(id, row + 1) {
            bail!(
                "{}: column {column}: id {id:?} appears on rows {first} and {}: ids must be unique (or drop --id-column to number the rows)",
                path.display(),
                row + 1
            );
        }
    }
    Ok(values.into_iter().map(Option::unwrap_or_default).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn semicolon_latin1_with_quoted_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"id;r\xe9gion;t\xe9moignage\r\n".to_vec();
        bytes.extend_from_slice(
            b"a1;Bretagne;\"Les infirmi\xe8res sont \xe9puis\xe9es.\nVraiment.\"\r\n",
        );
        bytes.extend_from_slice(b"a2;Occitanie;Trop de paperasse\r\n");
        let p = write(dir.path(), "x.csv", &bytes);
        let c = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(c.delimiter, Some(';'));
        assert!(c.encoding.as_deref().unwrap().starts_with("Windows-1252"));
        assert_eq!(c.text_column, "témoignage");
        assert_eq!(c.ids, ["a1", "a2"]);
        assert_eq!(c.texts[0], "Les infirmières sont épuisées.\nVraiment.");
        assert_eq!(c.passthrough[0].name, "région");
        assert_eq!(c.passthrough[0].values[1].as_deref(), Some("Occitanie"));
    }

    #[test]
    fn utf8_bom_tab_and_row_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "x.tsv",
            "\u{FEFF}auteur\tcontribution\nMme A\tÇa va mieux\nM. B\tNon\n".as_bytes(),
        );
        let c = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(c.delimiter, Some('\t'));
        assert_eq!(c.encoding.as_deref(), Some("UTF-8 with BOM"));
        assert_eq!(c.text_column, "contribution");
        assert_eq!(c.ids, ["1", "2"]);
        assert_eq!(c.texts, ["Ça va mieux", "Non"]);
    }

    #[test]
    fn comma_csv_picks_longest_column_when_names_do_not_say() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "x.csv",
            b"code,remarks\n1,\"un texte, long\"\n2,un autre texte\n",
        );
        let c = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(c.delimiter, Some(','));
        assert_eq!(c.text_column, "remarks");
    }

    #[test]
    fn wrong_column_lists_columns_and_suggests() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "x.csv", b"id,texte,region\n1,a,b\n");
        let opts = ReadOptions {
            text_column: Some("txte".into()),
            id_column: None,
            sheet: None,
        };
        let err = read(&p, &opts).unwrap_err().to_string();
        assert!(
            err.contains("Did you mean \"texte\"") && err.contains("id, texte, region"),
            "{err}"
        );
    }

    #[test]
    fn empty_header_only_ragged_and_duplicate_ids_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8], &str); 4] = [
            ("empty.csv", b"", "is empty"),
            ("header.csv", b"id,text\n", "no rows"),
            (
                "ragged.csv",
                b"id,text\n1,a\n2,b,c\n",
                "row 2 (line 3) has 3 fields",
            ),
            ("dup.csv", b"id,text\n1,a\n1,b\n", "appears on rows 1 and 2"),
        ];
        for (name, bytes, expected) in cases {
            let p = write(dir.path(), name, bytes);
            let err = read(&p, &ReadOptions::default()).unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains(name),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn jsonl_keeps_key_order_and_stringifies_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "x.jsonl",
            b"{\"id\": 7, \"text\": \"bonjour\", \"age\": 41}\n\n{\"id\": 8, \"text\": null}\n",
        );
        let c = read(&p, &ReadOptions::default()).unwrap();
        assert_eq!(c.ids, ["7", "8"]);
        assert_eq!(c.texts, ["bonjour", ""]);
        assert_eq!(c.passthrough[0].values, [Some("41".to_string()), None]);
        let bad = write(dir.path(), "bad.jsonl", b"{\"text\": \"a\"}\n{oops\n");
        let err = read(&bad, &ReadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn an_unclosed_quote_that_swallows_rows_is_an_error_naming_where_it_opened() {
        let dir = tempfile::tempdir().unwrap();
        let mut body = String::from("id;texte;label\n");
        for i in 1..=40 {
            let text = if i == 20 {
                "\"Le service ferme la nuit".to_string()
            } else {
                format!("Texte numéro {i}, sans histoire")
            };
            body.push_str(&format!("T{i:04};{text};p{}\n", i % 4 + 1));
        }
        let to_the_end = write(dir.path(), "open.csv", body.as_bytes());
        let err = format!(
            "{:#}",
            read(&to_the_end, &ReadOptions::default()).unwrap_err()
        );
        assert!(
            err.contains("row 20 (line 21)") && err.contains("\"T0021\""),
            "{err}"
        );
        assert!(
            !err.contains("Texte numéro"),
            "a text reached the message: {err}"
        );
        // A stray quote five lines later closes it with the right number of fields.
        let closed = body.replace(
            "T0025;Texte numéro 25, sans histoire",
            "T0025;Texte \"numéro 25",
        );
        let stray = write(dir.path(), "stray.csv", closed.as_bytes());
        let err = format!("{:#}", read(&stray, &ReadOptions::default()).unwrap_err());
        assert!(
            err.contains("row 20") && err.contains("line(s) that look like rows"),
            "{err}"
        );
        // Line breaks inside a properly quoted text are no such thing.
        let fine = "id;texte\nA1;\"Premier paragraphe.\nSecond: 12 lits; 3 postes.\"\nA2;Court\nA3;Autre\n";
        let ok = write(dir.path(), "fine.csv", fine.as_bytes());
        assert_eq!(read(&ok, &ReadOptions::default()).unwrap().len(), 3);
    }

    #[test]
    fn utf16_with_a_bom_is_decoded_and_named() {
        let text = "id\ttexte\n1\tDélais d'attente trop longs\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(
            decode(&le),
            (text.to_string(), "UTF-16LE with BOM".to_string())
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(
            decode(&be),
            (text.to_string(), "UTF-16BE with BOM".to_string())
        );
        let dir = tempfile::tempdir().unwrap();
        let corpus = read(&write(dir.path(), "u16.csv", &le), &ReadOptions::default()).unwrap();
        assert_eq!(corpus.encoding.as_deref(), Some("UTF-16LE with BOM"));
        assert_eq!(corpus.texts, ["Délais d'attente trop longs"]);
    }

    #[test]
    fn a_file_mixing_windows_1252_and_utf8_lines_is_decoded_line_by_line() {
        let mut bytes = b"id;texte\n".to_vec();
        for i in 0..6 {
            bytes.extend_from_slice(format!("w{i};").as_bytes());
            bytes.extend_from_slice(b"\xc9l\xe8ve \xe0 l'\xe9cole\n"); // Windows-1252
        }
        for i in 0..3 {
            bytes.extend_from_slice(format!("u{i};").as_bytes());
            bytes.extend_from_slice("Élève à l'école\n".as_bytes()); // UTF-8
        }
        let (text, enc) = decode(&bytes);
        assert!(
            enc.starts_with("mixed") && enc.contains("6 lines in Windows-1252"),
            "{enc}"
        );
        assert_eq!(text.matches("Élève à l'école").count(), 9, "{text}");
        assert!(!text.contains('\u{FFFD}') && !text.contains("Ã"));
    }

    #[test]
    fn mostly_utf8_with_a_bad_byte_stays_utf8() {
        let (text, enc) =
            decode(b"id,text\n1,\xc3\xa9l\xc3\xa8ve \xc3\xa0 l'\xc3\xa9cole\n2,x\xff\n");
        assert!(enc.starts_with("UTF-8 with"), "{enc}");
        assert!(text.contains("élève"));
    }
}
