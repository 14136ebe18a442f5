//! Delimited text (CSV with `,` `;` tab or `|`): the separator detected, the rows parsed with
//! their line numbers, a quote left open that swallows rows found and named, and the formula guard
//! of our own CSVs undone.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::ingest::TextColumn;

/// Picks the separator that splits the first records into the most, and most consistent, fields.
pub(super) fn detect_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for candidate in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(candidate)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut counts = Vec::new();
        for record in reader.records().take(50) {
            match record {
                Ok(r) => counts.push(r.len()),
                Err(_) => break,
            }
        }
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == header).count();
        if (consistent, header) > (best.1, best.2) {
            best = (candidate, consistent, header);
        }
    }
    best.0
}

pub(super) fn describe_delimiter(d: u8) -> &'static str {
    match d {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "pipe",
        _ => "other",
    }
}

pub(super) fn parse_csv(path: &Path, text: &str, delimiter: u8) -> Result<Vec<TextColumn>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header line", path.display()))?
        .clone();
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let name = h.trim().trim_start_matches('\u{FEFF}').to_string();
        let name = if name.is_empty() {
            format!("column_{}", i + 1)
        } else {
            name
        };
        if names.contains(&name) {
            bail!(
                "{}: the header has two columns named {name:?}: rename one",
                path.display()
            );
        }
        names.push(name);
    }
    let mut columns: Vec<TextColumn> = names
        .into_iter()
        .map(|name| TextColumn {
            name,
            values: Vec::new(),
            nested: None,
        })
        .collect();
    let records: Vec<csv::StringRecord> = reader
        .records()
        .enumerate()
        .map(|(row, r)| {
            r.with_context(|| format!("{}: row {} is not valid CSV", path.display(), row + 1))
        })
        .collect::<Result<_>>()?;
    check_unclosed_quotes(path, &records, &columns, delimiter)?;
    for (row, record) in records.iter().enumerate() {
        if record.len() != columns.len() {
            let line = record.position().map_or(0, |p| p.line());
            bail!(
                "{}: row {} (line {line}) has {} fields but the header has {}: check the separator ({}) and the quoting",
                path.display(),
                row + 1,
                record.len(),
                columns.len(),
                describe_delimiter(delimiter)
            );
        }
        for (col, value) in columns.iter_mut().zip(record.iter()) {
            col.values.push(if value.is_empty() {
                None
            } else {
                Some(crate::stages::write::csv::restore_formula(value).to_string())
            });
        }
    }
    Ok(columns)
}

/// A quoted field that runs over what look like whole rows (a line that starts like the file's
/// ids and has a field for every column) is a quote left open: the rows it swallowed would be lost
/// or misread without a word. Checked when the first column's values share one shape (ids such as
/// `T0042` or `12`), the usual case; a file of free text in its first column is not checked.
fn check_unclosed_quotes(
    path: &Path,
    records: &[csv::StringRecord],
    columns: &[TextColumn],
    delimiter: u8,
) -> Result<()> {
    let Some(shape) = dominant_shape(records.iter().filter_map(|r| r.get(0))) else {
        return Ok(());
    };
    if columns.len() < 2 {
        return Ok(());
    }
    let looks_like_row = |line: &str| {
        let mut fields = line.split(delimiter as char);
        let first = fields.next().unwrap_or("").trim().trim_matches('"');
        shape_of(first) == shape && fields.count() + 1 >= columns.len()
    };
    for (row, record) in records.iter().enumerate() {
        let line = record.position().map_or(0, |p| p.line());
        for (c, value) in record.iter().enumerate() {
            let swallowed: Vec<&str> = value
                .lines()
                .skip(1)
                .filter(|l| looks_like_row(l))
                .collect();
            let Some(first) = swallowed.first() else {
                continue;
            };
            let column = columns.get(c).map_or("?", |c| c.name.as_str());
            bail!(
                "{}: row {} (line {line}), column {column}: a quote opened there is not closed before {} line(s) that look like rows of their own (the first begins with the id {:?}). Close the quote where the text ends, or double the quotes inside the text (\"\"), then run again",
                path.display(),
                row + 1,
                swallowed.len(),
                // The id only: the rest of the line is a testimony, which never reaches the log.
                first
                    .chars()
                    .take_while(|&ch| ch != delimiter as char)
                    .take(30)
                    .collect::<String>()
            );
        }
    }
    Ok(())
}

/// A value's shape: digits as `9`, letters as `a`, other characters as they are (`T0042` → `a9999`).
fn shape_of(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            c if c.is_ascii_digit() => '9',
            c if c.is_alphabetic() => 'a',
            c => c,
        })
        .collect()
}

/// The shape shared by at least 60% of the (at least 3) short values, if one is.
fn dominant_shape<'v>(values: impl Iterator<Item = &'v str>) -> Option<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut total = 0;
    for v in values.filter(|v| !v.trim().is_empty()) {
        if v.contains('\n') || v.chars().count() > 40 {
            continue;
        }
        *counts.entry(shape_of(v.trim())).or_default() += 1;
        total += 1;
    }
    let (shape, n) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    (total >= 3 && n * 10 >= total * 6).then_some(shape)
}
