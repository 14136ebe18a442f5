//! The edits file (`--edits edits.toml`): the analyst's decisions, replayed by every run in file
//! order. The format is a contract (README, "Curate the draft"): operations may gain fields,
//! never change the meaning of those they have.
//!
//! ```toml
//! [[rename]]
//! theme = "p1-salaires-3f2a"
//! title = "Revalorisation des salaires"
//! ```
//!
//! Everything that can be checked without the corpus is checked here, before any work: the TOML,
//! the operation names, each operation's fields, category ids against the taxonomy. Whether a
//! theme key or an id still exists is the run's business ([`super::apply`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use toml::Spanned;

use crate::taxonomy::Taxonomy;

/// One decision and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub line: usize,
    pub op: Op,
    /// The analyst's note (`note = "…"`), kept in run.json.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Rename {
        theme: String,
        title: String,
    },
    /// One theme; the first key survives.
    Merge {
        themes: Vec<String>,
        title: Option<String>,
    },
    /// Re-clustered within; the larger part keeps the key, part i gets `<key>-i`.
    Split {
        theme: String,
        into: usize,
    },
    Move {
        ids: Vec<String>,
        to: Target,
    },
    /// Kept in the assignments with status `dropped:<reason>`, analysed nowhere.
    Drop {
        ids: Vec<String>,
        reason: String,
    },
    /// Shown first among the theme's quotes (and proposals, experiences).
    Pin {
        theme: String,
        quotes: Vec<String>,
    },
    /// Never quoted anywhere; still counted.
    Hide {
        ids: Vec<String>,
    },
    /// The theme and its members change category.
    Category {
        theme: String,
        to: String,
    },
}

/// Where moved testimonies go.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Theme(String),
    /// A category id, or `none`.
    Category(String),
}

impl Op {
    /// The operation's name, as in the file.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Rename { .. } => "rename",
            Op::Merge { .. } => "merge",
            Op::Split { .. } => "split",
            Op::Move { .. } => "move",
            Op::Drop { .. } => "drop",
            Op::Pin { .. } => "pin",
            Op::Hide { .. } => "hide",
            Op::Category { .. } => "category",
        }
    }

    /// The theme keys the operation names.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Op::Rename { theme, .. }
            | Op::Split { theme, .. }
            | Op::Pin { theme, .. }
            | Op::Category { theme, .. } => vec![theme.as_str()],
            Op::Merge { themes, .. } => themes.iter().map(String::as_str).collect(),
            Op::Move {
                to: Target::Theme(key),
                ..
            } => vec![key.as_str()],
            Op::Move { .. } | Op::Drop { .. } | Op::Hide { .. } => Vec::new(),
        }
    }

    /// What it names, for run.json and messages: `p1-salaires-3f2a`, `T0042, T0043`.
    pub fn target(&self) -> String {
        match self {
            Op::Move { ids, .. } | Op::Drop { ids, .. } | Op::Hide { ids } => ids.join(", "),
            _ => self.keys().join(", "),
        }
    }
}

/// An edits file as read.
#[derive(Debug, Clone, Default)]
pub struct EditsFile {
    pub path: PathBuf,
    pub sha256: String,
    pub edits: Vec<Edit>,
}

impl EditsFile {
    /// Ids the file drops, with their reason and the edit's index, in file order.
    pub fn dropped(&self) -> Vec<(usize, &str, &str)> {
        let mut out = Vec::new();
        for (i, e) in self.edits.iter().enumerate() {
            if let Op::Drop { ids, reason } = &e.op {
                out.extend(ids.iter().map(|id| (i, id.as_str(), reason.as_str())));
            }
        }
        out
    }

    /// `file, line N (operation)`, the way every message names an edit.
    pub fn place(&self, edit: &Edit) -> String {
        format!(
            "{}, line {} ([[{}]])",
            self.path.display(),
            edit.line,
            edit.op.name()
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rename: Vec<Spanned<RawRename>>,
    #[serde(default)]
    merge: Vec<Spanned<RawMerge>>,
    #[serde(default)]
    split: Vec<Spanned<RawSplit>>,
    #[serde(default, rename = "move")]
    moves: Vec<Spanned<RawMove>>,
    #[serde(default)]
    drop: Vec<Spanned<RawDrop>>,
    #[serde(default)]
    pin: Vec<Spanned<RawPin>>,
    #[serde(default)]
    hide: Vec<Spanned<RawHide>>,
    #[serde(default)]
    category: Vec<Spanned<RawCategory>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRename {
    theme: String,
    title: String,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMerge {
    themes: Vec<String>,
    title: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSplit {
    theme: String,
    into: i64,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMove {
    ids: Vec<String>,
    to_theme: Option<String>,
    to_category: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDrop {
    ids: Vec<String>,
    reason: String,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    theme: String,
    quotes: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHide {
    ids: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    theme: String,
    to: String,
    note: Option<String>,
}

/// Reads and checks an edits file; every error names the file and the line.
pub fn read(path: &Path, taxonomy: &Taxonomy) -> Result<EditsFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the edits file {}", path.display()))?;
    let edits = parse(&text, taxonomy).map_err(|e| anyhow::anyhow!("{}{e}", path.display()))?;
    Ok(EditsFile {
        path: path.to_path_buf(),
        sha256: {
            use sha2::{Digest, Sha256};
            crate::digest::hex(&Sha256::digest(text.as_bytes()))
        },
        edits,
    })
}

/// Line (1-based) of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The edits in file order; an error starts with `, line N: ` (the caller puts the file first).
pub fn parse(text: &str, taxonomy: &Taxonomy) -> Result<Vec<Edit>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(String::new(), |s| format!(", line {}", line_at(text, s.start)));
        let hint = if e.message().contains("unknown field") {
            " (operations: rename, merge, split, move, drop, pin, hide, category; see README, \"Curate the draft\")"
        } else {
            ""
        };
        anyhow::anyhow!("{line}: {}{hint}", e.message().trim_end())
    })?;
    let mut edits: Vec<(usize, Result<Op>, Option<String>)> = Vec::new();
    let mut push = |start: usize, op: Result<Op>, note: Option<String>| {
        edits.push((start, op, note));
    };
    for r in raw.rename {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, rename(r.theme, r.title), r.note);
    }
    for r in raw.merge {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, merge(r.themes, r.title), r.note);
    }
    for r in raw.split {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, split(r.theme, r.into), r.note);
    }
    for r in raw.moves {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, moved(r.ids, r.to_theme, r.to_category, taxonomy), r.note);
    }
    for r in raw.drop {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, dropped(r.ids, r.reason), r.note);
    }
    for r in raw.pin {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, pin(r.theme, r.quotes), r.note);
    }
    for r in raw.hide {
        let (s, r) = (r.span().start, r.into_inner());
        push(
            s,
            ids(&r.ids, "hide").map(|_| Op::Hide { ids: r.ids }),
            r.note,
        );
    }
    for r in raw.category {
        let (s, r) = (r.span().start, r.into_inner());
        push(s, category(r.theme, r.to, taxonomy), r.note);
    }
    edits.sort_by_key(|e| e.0);
    edits
        .into_iter()
        .map(|(start, op, note)| {
            let line = line_at(text, start);
            let op = op.map_err(|e| anyhow::anyhow!(", line {line}: {e}"))?;
            Ok(Edit { line, op, note })
        })
        .collect()
}

fn key(key: String, op: &str) -> Result<String> {
    let key = key.trim().to_string();
    if key.is_empty() {
        bail!(
            "[[{op}]] names an empty theme key (copy it from the theme_key column of themes.xlsx)"
        );
    }
    Ok(key)
}

fn ids(ids: &[String], op: &str) -> Result<()> {
    if ids.is_empty() {
        bail!("[[{op}]] has an empty `ids` list");
    }
    if let Some(blank) = ids.iter().position(|i| i.trim().is_empty()) {
        bail!("[[{op}]]: id number {} of `ids` is empty", blank + 1);
    }
    Ok(())
}

fn title(title: String, op: &str) -> Result<String> {
    let title = title.trim().to_string();
    if title.is_empty() {
        bail!("[[{op}]] gives an empty title");
    }
    Ok(title)
}

fn rename(theme: String, new: String) -> Result<Op> {
    Ok(Op::Rename {
        theme: key(theme, "rename")?,
        title: title(new, "rename")?,
    })
}

fn merge(themes: Vec<String>, new: Option<String>) -> Result<Op> {
    let themes: Vec<String> = themes
        .into_iter()
        .map(|k| key(k, "merge"))
        .collect::<Result<_>>()?;
    if themes.len() < 2 {
        bail!("[[merge]] needs at least two themes in `themes` (the first one survives)");
    }
    if let Some(k) = themes
        .iter()
        .enumerate()
        .find_map(|(i, k)| themes[..i].contains(k).then_some(k))
    {
        bail!("[[merge]] names {k} twice");
    }
    Ok(Op::Merge {
        themes,
        title: new.map(|t| title(t, "merge")).transpose()?,
    })
}

fn split(theme: String, into: i64) -> Result<Op> {
    if !(2..=20).contains(&into) {
        bail!("[[split]] `into` is {into}: a theme splits into 2 to 20 parts");
    }
    Ok(Op::Split {
        theme: key(theme, "split")?,
        into: into as usize,
    })
}

/// A category id of the taxonomy, or `none`.
fn category_id(id: &str, taxonomy: &Taxonomy, op: &str) -> Result<String> {
    let id = id.trim();
    if id == "none" || taxonomy.categories.iter().any(|c| c.id == id) {
        return Ok(id.to_string());
    }
    let known: Vec<&str> = taxonomy.categories.iter().map(|c| c.id.as_str()).collect();
    bail!(
        "[[{op}]]: {id:?} is not a category of the taxonomy ({}, or none)",
        known.join(", ")
    )
}

fn moved(
    list: Vec<String>,
    to_theme: Option<String>,
    to_category: Option<String>,
    taxonomy: &Taxonomy,
) -> Result<Op> {
    ids(&list, "move")?;
    let to = match (to_theme, to_category) {
        (Some(t), None) => Target::Theme(key(t, "move")?),
        (None, Some(c)) => Target::Category(category_id(&c, taxonomy, "move")?),
        _ => bail!(
            "[[move]] needs exactly one of `to_theme` (a theme key) or `to_category` (a category id or none)"
        ),
    };
    Ok(Op::Move { ids: list, to })
}

fn dropped(list: Vec<String>, reason: String) -> Result<Op> {
    ids(&list, "drop")?;
    let reason = reason.trim().to_string();
    if reason.is_empty() {
        bail!("[[drop]] needs a `reason` (it is written in the status column: dropped:<reason>)");
    }
    Ok(Op::Drop { ids: list, reason })
}

fn pin(theme: String, quotes: Vec<String>) -> Result<Op> {
    ids(&quotes, "pin")?;
    Ok(Op::Pin {
        theme: key(theme, "pin")?,
        quotes,
    })
}

fn category(theme: String, to: String, taxonomy: &Taxonomy) -> Result<Op> {
    Ok(Op::Category {
        theme: key(theme, "category")?,
        to: category_id(&to, taxonomy, "category")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[rename]]
theme = "p1-salaires-3f2a"          # a theme_key
title = "Revalorisation des salaires"

[[merge]]                           # one theme; the first key survives
themes = ["p1-salaires-3f2a", "p1-payes-91c0"]
title = "Salaires et primes"

[[split]]
theme = "p2-dette-7d11"
into = 2

[[move]]
ids = ["T0188", "doc.pdf#4"]
to_theme = "p4-ehpad-0b3e"

[[drop]]
ids = ["T0042"]
reason = "hors sujet"

[[pin]]
theme = "p1-salaires-3f2a"
quotes = ["T0096"]

[[hide]]
ids = ["T0188"]

[[category]]
theme = "p3-temps-55aa"
to = "p2"

[[rename]]
theme = "p3-temps-55aa"
title = "Temps de travail"
note = "relu par l'équipe"
"#;

    #[test]
    fn the_contract_example_reads_in_file_order_with_lines() {
        let edits = parse(EXAMPLE, &Taxonomy::segur()).unwrap();
        let names: Vec<(&str, usize)> = edits.iter().map(|e| (e.op.name(), e.line)).collect();
        assert_eq!(
            names,
            [
                ("rename", 2),
                ("merge", 6),
                ("split", 10),
                ("move", 14),
                ("drop", 18),
                ("pin", 22),
                ("hide", 26),
                ("category", 29),
                ("rename", 33)
            ]
        );
        assert_eq!(
            edits[3].op,
            Op::Move {
                ids: vec!["T0188".into(), "doc.pdf#4".into()],
                to: Target::Theme("p4-ehpad-0b3e".into())
            }
        );
        assert_eq!(edits[8].note.as_deref(), Some("relu par l'équipe"));
    }

    fn error(text: &str) -> String {
        parse(text, &Taxonomy::segur()).unwrap_err().to_string()
    }

    #[test]
    fn unknown_operations_fields_and_bad_values_name_their_line() {
        let e = error("[[rename]]\ntheme = \"a\"\ntitle = \"b\"\n\n[[renommer]]\ntheme = \"a\"\n");
        assert!(
            e.contains("line 5") && e.contains("renommer") && e.contains("operations:"),
            "{e}"
        );
        let e = error("[[rename]]\ntheme = \"a\"\ntitel = \"b\"\n");
        assert!(e.contains("line 3") && e.contains("titel"), "{e}");
        let e = error("[[split]]\ntheme = \"a\"\ninto = 1\n");
        assert!(e.starts_with(", line 1") && e.contains("2 to 20"), "{e}");
        let e = error("\n[[move]]\nids = [\"T1\"]\nto_category = \"p9\"\n");
        assert!(
            e.contains("line 2") && e.contains("p1, p2, p3, p4, or none"),
            "{e}"
        );
        let e = error("[[move]]\nids = [\"T1\"]\nto_category = \"p1\"\nto_theme = \"k\"\n");
        assert!(e.contains("exactly one"), "{e}");
        let e = error("[[merge]]\nthemes = [\"a\"]\n");
        assert!(e.contains("at least two"), "{e}");
        let e = error("[[drop]]\nids = [\"T1\"]\nreason = \" \"\n");
        assert!(e.contains("reason"), "{e}");
        let e = error("[[hide]]\nids = []\n");
        assert!(e.contains("empty `ids`"), "{e}");
        let e = error("[[rename]]\ntheme = \"a\"\ntitle = \"b\n");
        assert!(e.contains("line 3"), "malformed TOML: {e}");
    }

    #[test]
    fn an_empty_file_has_no_edits() {
        assert!(
            parse("# rien encore\n", &Taxonomy::segur())
                .unwrap()
                .is_empty()
        );
    }
}
