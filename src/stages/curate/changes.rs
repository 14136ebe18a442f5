//! What changed since the earlier run (`changes.parquet/.csv/.xlsx`): themes new, gone, merged,
//! split, grown or shrunk (with their sizes before and after), and the testimonies whose category
//! changed. Both runs are compared as published, after their edits.

use std::collections::{BTreeMap, HashMap};

use crate::stages::curate::previous::PreviousRun;

/// Share of a theme's testimonies that must come from (or go to) one other theme for it to count
/// as split from (or merged into) that theme.
pub const MOST: f64 = 0.5;

/// One row of `changes`: a theme (`theme_key`, sizes) or a testimony (`id`, categories).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// new, gone, merged, split, grown, shrunk, unchanged, category.
    pub change: &'static str,
    pub theme_key: Option<String>,
    pub title: Option<String>,
    pub size_before: Option<u32>,
    pub size_after: Option<u32>,
    /// The theme it was merged into or split from.
    pub related_key: Option<String>,
    pub id: Option<String>,
    pub category_before: Option<String>,
    pub category_after: Option<String>,
}

/// This run as published: each theme (key, title, size) and each analysed id's theme key and
/// category, in input order.
pub struct Published<'a> {
    pub themes: Vec<(&'a str, &'a str, u32)>,
    pub rows: Vec<(&'a str, &'a str, &'a str)>,
}

pub fn changes(earlier: &PreviousRun, now: &Published) -> Vec<Change> {
    let before: BTreeMap<&str, &crate::stages::curate::previous::PreviousTheme> =
        earlier.themes.iter().map(|t| (t.key.as_str(), t)).collect();
    let now_keys: HashMap<&str, usize> = now
        .themes
        .iter()
        .enumerate()
        .map(|(i, t)| (t.0, i))
        .collect();
    let now_of: HashMap<&str, &str> = now.rows.iter().map(|r| (r.0, r.1)).collect();
    let mut out = Vec::new();
    for &(key, title, size) in &now.themes {
        let mut row = Change {
            theme_key: Some(key.to_string()),
            title: Some(title.to_string()),
            size_after: Some(size),
            ..Change::default()
        };
        match before.get(key) {
            Some(t) => {
                row.size_before = Some(t.size as u32);
                row.change = match size.cmp(&(t.size as u32)) {
                    std::cmp::Ordering::Greater => "grown",
                    std::cmp::Ordering::Less => "shrunk",
                    std::cmp::Ordering::Equal => "unchanged",
                };
            }
            None => {
                let from = now
                    .rows
                    .iter()
                    .filter(|r| r.1 == key)
                    .filter_map(|r| earlier.published.get(r.0).map(String::as_str));
                row.related_key = most(from)
                    .filter(|k| now_keys.contains_key(k) && before.contains_key(k))
                    .map(str::to_string);
                row.change = if row.related_key.is_some() {
                    "split"
                } else {
                    "new"
                };
            }
        }
        out.push(row);
    }
    for (key, t) in &before {
        if now_keys.contains_key(key) {
            continue;
        }
        let to = earlier
            .published
            .iter()
            .filter(|(_, k)| k == key)
            .filter_map(|(id, _)| now_of.get(id.as_str()).copied());
        let related = most(to)
            .filter(|k| before.contains_key(k))
            .map(str::to_string);
        out.push(Change {
            change: if related.is_some() { "merged" } else { "gone" },
            theme_key: Some(key.to_string()),
            title: Some(t.title.clone()),
            size_before: Some(t.size as u32),
            related_key: related,
            ..Change::default()
        });
    }
    for &(id, key, category) in &now.rows {
        if let Some(was) = earlier.category.get(id).filter(|c| c.as_str() != category) {
            out.push(Change {
                change: "category",
                theme_key: Some(key.to_string()),
                id: Some(id.to_string()),
                category_before: Some(was.clone()),
                category_after: Some(category.to_string()),
                ..Change::default()
            });
        }
    }
    out
}

/// The value most of `values` have, if it holds at least [`MOST`] of them (ties: the smallest).
fn most<'a>(values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for v in values {
        *counts.entry(v).or_default() += 1;
        total += 1;
    }
    let (value, count) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?;
    (count as f64 >= MOST * total as f64).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::curate::previous::PreviousTheme;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn themes_grown_split_new_merged_gone_and_categories_changed() {
        let theme = |key: &str, size| PreviousTheme {
            key: key.into(),
            title: format!("titre {key}"),
            size,
        };
        let earlier = PreviousRun {
            themes: vec![theme("a", 3), theme("b", 2), theme("c", 1), theme("d", 1)],
            published: map(&[
                ("1", "a"),
                ("2", "a"),
                ("3", "a"),
                ("4", "b"),
                ("5", "b"),
                ("6", "c"),
                ("7", "d"),
            ]),
            category: map(&[("1", "p1"), ("4", "p2"), ("6", "p3")]),
            ..PreviousRun::default()
        };
        let now = Published {
            themes: vec![
                ("a", "A", 4),
                ("a-2", "A2", 2),
                ("b", "B", 2),
                ("z", "Z", 1),
            ],
            rows: vec![
                ("1", "a", "p1"),
                ("2", "a-2", "p1"),
                ("3", "a-2", "p1"),
                ("4", "b", "p3"),
                ("5", "b", "p2"),
                ("6", "a", "p1"),
                ("8", "z", "p4"),
            ],
        };
        let c = changes(&earlier, &now);
        let summary: Vec<(&str, &str, Option<&str>)> = c
            .iter()
            .map(|c| {
                (
                    c.change,
                    c.theme_key.as_deref().unwrap(),
                    c.related_key.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("grown", "a", None),
                ("split", "a-2", Some("a")),
                ("unchanged", "b", None),
                ("new", "z", None),
                ("merged", "c", Some("a")),
                ("gone", "d", None),
                ("category", "b", None),
                ("category", "a", None),
            ]
        );
        assert_eq!(c[6].id.as_deref(), Some("4"));
        assert_eq!(
            (
                c[6].category_before.as_deref(),
                c[6].category_after.as_deref()
            ),
            (Some("p2"), Some("p3"))
        );
    }
}
