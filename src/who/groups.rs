//! The group of each document for one `--by`: a column of the assignments (the input's columns
//! pass through), a column of a second file joined by id (`--by-file`), or `folder`, the first
//! subfolder of a document folder (`contributions/syndicats/*.pdf` → `syndicats`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::contributions::Contributions;
use crate::stages::read::ingest::{find_column, read_table};
use crate::stages::write::table::TextColumn;

/// A document whose value is empty (or absent from `--by-file`) is counted in this group.
pub const EMPTY_GROUP: &str = "(vide)";

/// `--by folder`: the documents' first-level subfolder.
pub const FOLDER: &str = "folder";

/// Each document's group for one `--by` column.
#[derive(Debug, Clone)]
pub struct Grouping {
    /// The column as named on the command line.
    pub column: String,
    /// Where its values come from: `assignments`, `folder` or the `--by-file` path.
    pub source: String,
    pub values: Vec<String>,
    /// Documents absent from `--by-file` (counted in [`EMPTY_GROUP`]).
    pub unmatched: usize,
}

/// A second file of attributes, joined on the run's ids.
pub struct ByFile {
    pub path: PathBuf,
    columns: Vec<TextColumn>,
    /// Row of each id.
    rows: HashMap<String, usize>,
}

impl ByFile {
    /// Reads `path`; its id column is `id`, else the run's own id column name.
    pub fn read(path: &Path, id_column: Option<&str>) -> Result<Self> {
        let table = read_table(path)?;
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let wanted = match names.contains(&"id") {
            true => "id",
            false => id_column.unwrap_or("id"),
        };
        let id = find_column(path, &names, wanted, "ids to join on")?;
        let ids = &table
            .columns
            .iter()
            .find(|c| c.name == id)
            .expect("found")
            .values;
        let mut rows = HashMap::new();
        for (row, value) in ids.iter().enumerate() {
            let Some(value) = value else { continue };
            if let Some(first) = rows.insert(value.clone(), row) {
                bail!(
                    "{}: id {value:?} is on rows {} and {}: one row per id, please",
                    path.display(),
                    first + 2,
                    row + 2
                );
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            columns: table.columns,
            rows,
        })
    }

    /// Its values as every output publishes them: personal data replaced, as in the input's
    /// own columns (an attributes file may hold a contributor's name or e-mail).
    pub fn pseudonymised(mut self, yes: bool) -> Self {
        if yes {
            let p = crate::privacy::Pseudonymiser::new();
            for column in &mut self.columns {
                for v in column.values.iter_mut().flatten() {
                    *v = p.apply(v).into_owned();
                }
            }
        }
        self
    }

    fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.name == column)
    }
}

/// The groups of `column`, refused beyond `max_groups` distinct values.
pub fn grouping(
    c: &Contributions,
    column: &str,
    by_file: Option<&ByFile>,
    max_groups: usize,
) -> Result<Grouping> {
    let grouping = match by_file.filter(|f| f.has(column)) {
        Some(file) => joined(c, column, file),
        None if column == FOLDER && c.folder && !c.columns.iter().any(|x| x.name == column) => {
            folders(c)
        }
        None => from_assignments(c, column, by_file)?,
    };
    let distinct = grouping
        .values
        .iter()
        .collect::<std::collections::BTreeSet<_>>();
    if distinct.len() > max_groups {
        bail!(
            "--by {column}: {} distinct values, more than --by-max-groups {max_groups}: a breakdown \
             that wide says nothing. Group the values first (a column of a few types in a \
             --by-file keyed by id), or raise --by-max-groups",
            distinct.len()
        );
    }
    Ok(grouping)
}

/// Checks, before any work, that every `--by` names a column the run will have: one of the
/// input's (`names`), of `--by-file`, or `folder` for a folder of documents.
pub fn check_columns(
    input: &Path,
    names: &[&str],
    folder: bool,
    by: &[String],
    by_file: Option<&ByFile>,
) -> Result<()> {
    for column in by {
        let known = names.contains(&column.as_str())
            || by_file.is_some_and(|f| f.has(column))
            || (folder && column == FOLDER);
        if !known {
            let mut all: Vec<&str> = names.to_vec();
            if let Some(f) = by_file {
                all.extend(f.columns.iter().map(|c| c.name.as_str()));
            }
            if folder {
                all.push(FOLDER);
            }
            find_column(input, &all, column, "--by breakdown")?;
        }
    }
    Ok(())
}

fn from_assignments(c: &Contributions, column: &str, by_file: Option<&ByFile>) -> Result<Grouping> {
    // An input column that one of ours shadows was published as `input_<name>`.
    let shadowed = format!("input_{column}");
    let found = (c.columns.iter().find(|x| x.name == shadowed))
        .or_else(|| c.columns.iter().find(|x| x.name == column));
    let found = match found {
        Some(f) => f,
        None => {
            let mut names: Vec<&str> = c.columns.iter().map(|x| x.name.as_str()).collect();
            names.retain(|n| *n != "id");
            let place = by_file.map_or("the assignments".to_string(), |f| {
                format!("the assignments or {}", f.path.display())
            });
            let name = find_column(Path::new(&place), &names, column, "--by breakdown")?;
            c.columns.iter().find(|x| x.name == name).expect("found")
        }
    };
    Ok(Grouping {
        column: column.to_string(),
        source: "assignments".into(),
        values: found.values.iter().map(group_name).collect(),
        unmatched: 0,
    })
}

fn joined(c: &Contributions, column: &str, file: &ByFile) -> Grouping {
    let values = &file
        .columns
        .iter()
        .find(|x| x.name == column)
        .expect("has")
        .values;
    let mut unmatched = 0;
    let values = (c.ids.iter())
        .map(|id| match file.rows.get(id) {
            Some(&row) => group_name(&values[row]),
            None => {
                unmatched += 1;
                EMPTY_GROUP.to_string()
            }
        })
        .collect();
    Grouping {
        column: column.to_string(),
        source: file.path.display().to_string(),
        values,
        unmatched,
    }
}

fn folders(c: &Contributions) -> Grouping {
    let values = (c.ids.iter())
        .map(|id| {
            let parts: Vec<&str> = id.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
            match parts.len() {
                0 | 1 => EMPTY_GROUP.to_string(),
                _ => parts[0].to_string(),
            }
        })
        .collect();
    Grouping {
        column: FOLDER.into(),
        source: FOLDER.into(),
        values,
        unmatched: 0,
    }
}

fn group_name(value: &Option<String>) -> String {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => EMPTY_GROUP.to_string(),
    }
}

/// Distinct groups, largest first (then by name), and each counted document's group index.
pub fn ordered(values: &[String], counted: &[usize]) -> (Vec<String>, Vec<usize>) {
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for &d in counted {
        *sizes.entry(values[d].as_str()).or_default() += 1;
    }
    let mut names: Vec<(&str, usize)> = sizes.into_iter().collect();
    names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.0, i)).collect();
    let of = counted.iter().map(|&d| index[values[d].as_str()]).collect();
    (names.into_iter().map(|n| n.0.to_string()).collect(), of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_form_their_own_group_and_groups_come_largest_first() {
        let values: Vec<String> = [Some("b"), None, Some("a"), Some(" "), Some("b")]
            .iter()
            .map(|v| group_name(&v.map(String::from)))
            .collect();
        let (names, of) = ordered(&values, &[0, 1, 2, 3, 4]);
        assert_eq!(names, vec!["(vide)", "b", "a"]);
        assert_eq!(of, vec![1, 0, 2, 0, 1]);
    }
}
