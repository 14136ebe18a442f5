//! `verbatim edits`: the decisions typed into a run's workbooks (themes.xlsx's `new_title`,
//! `merge_into`, `category`, `split_into`, `pin`, `note`; assignments.xlsx's or passages.xlsx's
//! `move_to`, `drop_reason`, `hide`) become operations of the edits file, appended to it, so
//! that no one has to write TOML by hand.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::stages::curate::edits::{Edit, Op, Target};
use crate::stages::passages::cut::key as passage_key;
use crate::stages::write::table::TextColumn;

/// An operation and the analyst's note about it (themes.xlsx's `note`).
pub type Decision = (Op, Option<String>);

/// The operations a workbook holds, in its row order; `categories` are the run's category ids.
pub fn read(path: &Path, categories: &[String]) -> Result<Vec<Decision>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let what = path.display().to_string();
    let columns = crate::stages::read::sheet::columns(&bytes, None, &what)?;
    let find = |name: &str| columns.iter().find(|c| c.name == name);
    // Rows' workbooks have an id (and a theme_key); the themes' workbook only a theme_key.
    if let Some(ids) = find("id") {
        return Ok(row_ops(ids, &columns, categories)
            .into_iter()
            .map(|op| (op, None))
            .collect());
    }
    match find("theme_key") {
        Some(keys) => {
            let value = |name: &str, row: usize| find(name).and_then(|c| c.values[row].clone());
            theme_ops(keys, &value, categories, &what)
        }
        None => bail!(
            "{what} has neither a theme_key column (themes.xlsx) nor an id column (assignments.xlsx, passages.xlsx)"
        ),
    }
}

fn theme_ops(
    keys: &TextColumn,
    value: &dyn Fn(&str, usize) -> Option<String>,
    categories: &[String],
    what: &str,
) -> Result<Vec<Decision>> {
    let mut decisions = Vec::new();
    for (row, key) in keys.values.iter().enumerate() {
        let Some(key) = key.clone() else { continue };
        let line = row + 2; // the sheet's row number: the header is row 1
        let mut ops = Vec::new();
        if let Some(title) = value("new_title", row) {
            ops.push(Op::Rename {
                theme: key.clone(),
                title: title.trim().to_string(),
            });
        }
        if let Some(into) = value("merge_into", row) {
            ops.push(Op::Merge {
                themes: vec![into.trim().to_string(), key.clone()],
                title: None,
            });
        }
        if let Some(to) = value("category", row) {
            ops.push(Op::Category {
                theme: key.clone(),
                to: category(&to, categories, what, line)?,
            });
        }
        if let Some(parts) = value("split_into", row) {
            let into = parts.trim().parse().ok().filter(|n| (2..=20).contains(n));
            let Some(into) = into else {
                bail!(
                    "{what}, row {line}, column split_into: {parts:?} is not a number of parts from 2 to 20"
                );
            };
            ops.push(Op::Split {
                theme: key.clone(),
                into,
            });
        }
        if let Some(pins) = value("pin", row) {
            ops.push(Op::Pin {
                theme: key.clone(),
                quotes: list(&pins),
            });
        }
        let note = value("note", row);
        decisions.extend(ops.into_iter().map(|op| (op, note.clone())));
    }
    Ok(decisions)
}

/// Ids typed in one cell: separated by `|`, `;` or line breaks (not spaces nor commas: a
/// document's file name may hold them).
fn list(cell: &str) -> Vec<String> {
    cell.split(['|', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A category id of the run (or `none`), as typed.
fn category(typed: &str, categories: &[String], what: &str, line: usize) -> Result<String> {
    let id = typed.trim();
    if id == "none" || categories.iter().any(|c| c == id) {
        return Ok(id.to_string());
    }
    bail!(
        "{what}, row {line}: {id:?} is not a category of the run ({}, or none)",
        categories.join(", ")
    )
}

/// Moves, drops and hides, one operation per destination or reason, ids in row order.
fn row_ops(ids: &TextColumn, columns: &[TextColumn], categories: &[String]) -> Vec<Op> {
    let find = |name: &str| columns.iter().find(|c| c.name == name);
    let passages = find("passage");
    let cell = |name: &str, row: usize| find(name).and_then(|c| c.values[row].clone());
    let mut moves: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    let mut drops: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    let mut hidden = Vec::new();
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for (row, id) in ids.values.iter().enumerate() {
        let Some(id) = id else { continue };
        let id = match passages.and_then(|p| p.values[row].as_deref()) {
            Some(rank) => passage_key(id, rank),
            None => id.clone(),
        };
        if let Some(to) = cell("move_to", row) {
            let to = to.trim().to_string();
            let order = *first.entry(format!("move {to}")).or_insert(row);
            moves.entry((order, to)).or_default().push(id.clone());
        }
        if let Some(reason) = cell("drop_reason", row) {
            let reason = reason.trim().to_string();
            let order = *first.entry(format!("drop {reason}")).or_insert(row);
            drops.entry((order, reason)).or_default().push(id.clone());
        }
        if cell("hide", row).is_some_and(|v| {
            !matches!(
                v.trim().to_lowercase().as_str(),
                "" | "0" | "non" | "no" | "false" | "faux"
            )
        }) {
            hidden.push(id);
        }
    }
    let mut ops: Vec<Op> = Vec::new();
    for ((_, to), ids) in moves {
        let to = match categories.contains(&to) || to == "none" {
            true => Target::Category(to),
            false => Target::Theme(to),
        };
        ops.push(Op::Move { ids, to });
    }
    ops.extend(
        drops
            .into_iter()
            .map(|((_, reason), ids)| Op::Drop { ids, reason }),
    );
    if !hidden.is_empty() {
        ops.push(Op::Hide { ids: hidden });
    }
    ops
}

/// The operations as TOML, in the edits file's format.
pub fn to_toml(ops: &[Decision]) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let qs = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        )
    };
    let mut out = String::new();
    for (op, note) in ops {
        out += &format!("\n[[{}]]\n", op.name());
        out += &match op {
            Op::Rename { theme, title } => format!("theme = {}\ntitle = {}\n", q(theme), q(title)),
            Op::Merge { themes, title } => {
                let title = title
                    .as_deref()
                    .map_or(String::new(), |t| format!("title = {}\n", q(t)));
                format!("themes = {}\n{title}", qs(themes))
            }
            Op::Split { theme, into } => format!("theme = {}\ninto = {into}\n", q(theme)),
            Op::Move {
                ids,
                to: Target::Theme(t),
            } => format!("ids = {}\nto_theme = {}\n", qs(ids), q(t)),
            Op::Move {
                ids,
                to: Target::Category(c),
            } => format!("ids = {}\nto_category = {}\n", qs(ids), q(c)),
            Op::Drop { ids, reason } => format!("ids = {}\nreason = {}\n", qs(ids), q(reason)),
            Op::Pin { theme, quotes } => format!("theme = {}\nquotes = {}\n", q(theme), qs(quotes)),
            Op::Hide { ids } => format!("ids = {}\n", qs(ids)),
            Op::Category { theme, to } => format!("theme = {}\nto = {}\n", q(theme), q(to)),
        };
        if let Some(note) = note {
            out += &format!("note = {}\n", q(note));
        }
    }
    out
}

/// The operations not already in `existing` (running `verbatim edits` twice adds nothing).
pub fn new_ops(ops: Vec<Decision>, existing: &[Edit]) -> Vec<Decision> {
    let mut out: Vec<Decision> = Vec::new();
    for (op, note) in ops {
        if !existing.iter().any(|e| e.op == op) && !out.iter().any(|(o, _)| *o == op) {
            out.push((op, note));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Taxonomy;

    #[test]
    fn every_operation_written_reads_back_the_same() {
        let ops = vec![
            Op::Rename {
                theme: "p1-a-0000".into(),
                title: "Titre \"cité\" et \\ barre".into(),
            },
            Op::Merge {
                themes: vec!["p1-a-0000".into(), "p1-b-1111".into()],
                title: None,
            },
            Op::Split {
                theme: "p2-c-2222".into(),
                into: 3,
            },
            Op::Move {
                ids: vec!["T1".into(), "doc.pdf#4".into()],
                to: Target::Theme("p4-d-3333".into()),
            },
            Op::Move {
                ids: vec!["T2".into()],
                to: Target::Category("none".into()),
            },
            Op::Drop {
                ids: vec!["T3".into()],
                reason: "hors sujet".into(),
            },
            Op::Pin {
                theme: "p1-a-0000".into(),
                quotes: vec!["T4".into()],
            },
            Op::Hide {
                ids: vec!["T5".into()],
            },
            Op::Category {
                theme: "p3-e-4444".into(),
                to: "p2".into(),
            },
        ];
        let decisions: Vec<Decision> = (ops.iter().enumerate())
            .map(|(i, op)| (op.clone(), (i == 0).then(|| "relu".to_string())))
            .collect();
        let text = to_toml(&decisions);
        let back = crate::stages::curate::edits::parse(&text, &Taxonomy::segur()).unwrap();
        assert_eq!(back.iter().map(|e| e.op.clone()).collect::<Vec<_>>(), ops);
        assert_eq!(back[0].note.as_deref(), Some("relu"));
        assert!(new_ops(decisions, &back).is_empty(), "nothing twice");
    }

    #[test]
    fn cells_list_ids_and_keep_file_names_whole() {
        assert_eq!(
            list("T1 | T2;T3\nmon rapport, v2.pdf#4"),
            ["T1", "T2", "T3", "mon rapport, v2.pdf#4"]
        );
    }
}
