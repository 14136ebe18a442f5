//! Replays the edits file on the automatic themes and categories, in file order. Each operation
//! says how many rows it touched and, where its theme or ids vanished, why it no longer applies.

use std::collections::{HashMap, HashSet};

use anyhow::{Result, bail};

use crate::linalg::{Rows, dot};
use crate::pipeline::{Categories, Embedded, Prepared, Themes};
use crate::stages::curate::edits::{Edit, EditsFile, Op, Target};
use crate::stages::curate::keys::new_key;
use crate::stages::curate::{Curation, OperationRecord};
use crate::stages::themes::cluster::{self, ClusterOptions};

/// Input ids (and, in passage mode, document ids) to the rows they stand for.
pub struct Ids<'a> {
    rows: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Ids<'a> {
    /// `unit_ids` per row; `documents` the document of each row and `document_ids` their ids
    /// (the same as the rows' in text mode).
    pub fn new(unit_ids: &'a [String], documents: &[usize], document_ids: &'a [String]) -> Self {
        let mut rows: HashMap<&str, Vec<usize>> = HashMap::new();
        for (r, id) in unit_ids.iter().enumerate() {
            rows.entry(id).or_default().push(r);
            let doc = document_ids[documents[r]].as_str();
            if doc != id {
                rows.entry(doc).or_default().push(r);
            }
        }
        Self { rows }
    }

    pub fn rows(&self, id: &str) -> Option<&[usize]> {
        self.rows.get(id).map(Vec::as_slice)
    }
}

/// One theme while the edits are replayed.
struct Slot {
    key: String,
    /// Category slot (the number of categories for `none`), when themes are within categories.
    category: Option<usize>,
    title: Option<String>,
    edits: Vec<&'static str>,
    alive: bool,
    /// Members changed: the centroid is computed again.
    changed: bool,
    centroid: Vec<f32>,
}

/// Everything the replay changes, and what it reads.
pub struct Replay<'r, 'c> {
    pub file: &'r EditsFile,
    pub prepared: &'r Prepared<'c>,
    pub embedded: &'r Embedded,
    pub ids: &'r Ids<'r>,
    pub category_ids: Vec<String>,
    /// Keys the earlier run knew: an edit naming one that this run lost is stale, not wrong.
    pub earlier: HashSet<String>,
    pub cluster: ClusterOptions,
    /// `--strict-edits`: an edit that no longer applies is an error.
    pub strict: bool,
}

struct State<'s> {
    slots: Vec<Slot>,
    labels: &'s mut Vec<usize>,
    categories: &'s mut Categories,
    near: &'s [Option<usize>],
    weights: &'s [f32],
    within: bool,
    text_edits: Vec<Vec<&'static str>>,
    hidden: Vec<bool>,
    pins: Vec<(usize, Vec<usize>, usize)>,
    merged: HashMap<String, String>,
}

impl Replay<'_, '_> {
    /// Applies every edit; returns the curation (final keys, titles, pins…) with the themes and
    /// categories changed in place. Theme numbers are compacted (themes emptied or merged away
    /// leave no hole), ordered by category as the automatic ones were.
    pub fn apply(
        &self,
        draft_keys: Vec<String>,
        themes: &mut Themes,
        categories: &mut Categories,
        orphans: &[usize],
        mut record: Vec<OperationRecord>,
    ) -> Result<Curation> {
        let n = themes.near.len();
        let within = themes.category.is_some();
        let clustering = &mut themes.clustering;
        let slots: Vec<Slot> = (0..clustering.themes())
            .map(|t| Slot {
                key: draft_keys[t].clone(),
                category: themes.category.as_ref().map(|c| c[t]),
                title: None,
                edits: Vec::new(),
                alive: true,
                changed: false,
                centroid: clustering.centroid(t).to_vec(),
            })
            .collect();
        let mut state = State {
            slots,
            labels: &mut clustering.labels,
            categories,
            near: &themes.near,
            weights: &themes.weights,
            within,
            text_edits: vec![Vec::new(); n],
            hidden: (0..n).map(|d| orphans.contains(&d)).collect(),
            pins: Vec::new(),
            merged: HashMap::new(),
        };
        for (i, edit) in self.file.edits.iter().enumerate() {
            if matches!(edit.op, Op::Drop { .. }) {
                continue; // applied when the rows were sorted, before any work
            }
            let outcome = self.one(&mut state, edit, i)?;
            record[i].rows = outcome.0;
            record[i].stale.extend(outcome.1);
        }
        let State {
            slots,
            text_edits,
            hidden,
            pins,
            ..
        } = state;
        let replayed = Replayed {
            slots,
            text_edits,
            hidden,
            pins,
        };
        self.finish(replayed, themes, record)
    }
}

/// What the replay leaves for [`Replay::finish`].
struct Replayed {
    slots: Vec<Slot>,
    text_edits: Vec<Vec<&'static str>>,
    hidden: Vec<bool>,
    pins: Vec<(usize, Vec<usize>, usize)>,
}

impl Replay<'_, '_> {
    /// Applies one edit: (rows touched, why parts of it no longer apply).
    fn one(&self, s: &mut State, edit: &Edit, index: usize) -> Result<(usize, Vec<String>)> {
        let mut stale = Vec::new();
        let rows = match &edit.op {
            Op::Rename { theme, title } => match self.slot(s, edit, theme, &mut stale)? {
                Some(t) => {
                    s.slots[t].title = Some(title.clone());
                    s.slots[t].edits.push("rename");
                    self.rows_of(&self.members(s, t))
                }
                None => 0,
            },
            Op::Merge { themes, title } => {
                self.merge(s, edit, themes, title.as_deref(), &mut stale)?
            }
            Op::Split { theme, into } => match self.slot(s, edit, theme, &mut stale)? {
                Some(t) => self.split(s, t, *into, &mut stale),
                None => 0,
            },
            Op::Move { ids, to } => {
                let texts = self.texts(s, ids, false, &mut stale);
                let target = match to {
                    Target::Theme(key) => {
                        self.slot(s, edit, key, &mut stale)?.map(Destination::Theme)
                    }
                    Target::Category(c) => Some(Destination::Category(self.category_slot(c))),
                };
                match target {
                    Some(to) => self.move_texts(s, &texts, to),
                    None => 0,
                }
            }
            Op::Drop { .. } => 0,
            Op::Pin { theme, quotes } => {
                let texts = self.texts(s, quotes, true, &mut stale);
                if let Some(t) = self.slot(s, edit, theme, &mut stale)? {
                    s.slots[t].edits.push("pin");
                    s.pins.push((t, texts.clone(), index));
                }
                self.rows_of(&texts)
            }
            Op::Hide { ids } => {
                let texts = self.texts(s, ids, false, &mut stale);
                for &d in &texts {
                    s.hidden[d] = true;
                    s.text_edits[d].push("hide");
                }
                self.rows_of(&texts)
            }
            Op::Category { theme, to } => match self.slot(s, edit, theme, &mut stale)? {
                Some(t) => self.recategorise(s, t, self.category_slot(to)),
                None => 0,
            },
        };
        Ok((rows, stale))
    }

    /// The live theme a key names; `None` (with the reason) when the earlier run knew it and this
    /// one lost it; an error when no run knows it or this file merged it away.
    fn slot(
        &self,
        s: &State,
        edit: &Edit,
        key: &str,
        stale: &mut Vec<String>,
    ) -> Result<Option<usize>> {
        if let Some(t) = s
            .slots
            .iter()
            .position(|slot| slot.alive && slot.key == key)
        {
            return Ok(Some(t));
        }
        let place = self.file.place(edit);
        if let Some(into) = s.merged.get(key) {
            bail!(
                "{place}: theme {key} was merged into {into} by an earlier edit of this file: name {into} instead"
            );
        }
        if self.earlier.contains(key) {
            stale.push(format!("theme {key} no longer exists in this run"));
            return Ok(None);
        }
        let near: Vec<&str> = s
            .slots
            .iter()
            .filter(|slot| slot.alive && slot.key.split('-').next() == key.split('-').next())
            .map(|slot| slot.key.as_str())
            .take(8)
            .collect();
        bail!(
            "{place}: no theme {key} in this run nor in the earlier one: copy the key from the theme_key column of themes.xlsx ({} are: {})",
            if near.is_empty() {
                "this run's keys"
            } else {
                "keys of that category"
            },
            if near.is_empty() {
                s.slots
                    .iter()
                    .filter(|x| x.alive)
                    .map(|x| x.key.as_str())
                    .take(8)
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                near.join(", ")
            }
        )
    }

    fn category_slot(&self, id: &str) -> usize {
        self.category_ids
            .iter()
            .position(|c| c == id)
            .unwrap_or(self.category_ids.len())
    }

    /// Distinct texts of a theme.
    fn members(&self, s: &State, t: usize) -> Vec<usize> {
        (0..s.labels.len()).filter(|&d| s.labels[d] == t).collect()
    }

    /// Input rows standing for these distinct texts (their exact copies included).
    fn rows_of(&self, texts: &[usize]) -> usize {
        let set: HashSet<usize> = texts.iter().copied().collect();
        (self.prepared.distinct_of.iter())
            .filter(|d| d.is_some_and(|d| set.contains(&d)))
            .count()
    }

    /// The distinct texts of some ids (with their near-duplicates, which follow them wherever
    /// they go, unless `alone`); ids not found or not analysed are stale.
    fn texts(&self, s: &State, ids: &[String], alone: bool, stale: &mut Vec<String>) -> Vec<usize> {
        let mut texts = Vec::new();
        for id in ids {
            let Some(rows) = self.ids.rows(id) else {
                stale.push(format!("{id} is not in this input"));
                continue;
            };
            let found: Vec<usize> = rows
                .iter()
                .filter_map(|&r| self.prepared.distinct_of[r])
                .collect();
            if found.is_empty() {
                let status = crate::stages::write::stage::status_of(self.prepared, rows[0]);
                stale.push(format!("{id} is not analysed ({status})"));
            }
            texts.extend(found);
        }
        let originals: HashSet<usize> = texts.iter().copied().collect();
        if alone {
            texts.dedup();
            return texts;
        }
        texts.extend(
            (0..s.near.len()).filter(|&d| s.near[d].is_some_and(|o| originals.contains(&o))),
        );
        texts.sort_unstable();
        texts.dedup();
        texts
    }

    fn merge(
        &self,
        s: &mut State,
        edit: &Edit,
        keys: &[String],
        title: Option<&str>,
        stale: &mut Vec<String>,
    ) -> Result<usize> {
        let mut found = Vec::new();
        for key in keys {
            if let Some(t) = self.slot(s, edit, key, stale)? {
                found.push(t);
            }
        }
        let Some((&survivor, others)) = found.split_first() else {
            return Ok(0);
        };
        if others.is_empty() && title.is_none() {
            stale.push("only one of the themes is left: nothing to merge".into());
            return Ok(0);
        }
        let mut texts = self.members(s, survivor);
        for &t in others {
            let moved = self.members(s, t);
            self.place(s, &moved, survivor, "merge");
            texts.extend(moved);
            s.slots[t].alive = false;
            s.merged
                .insert(s.slots[t].key.clone(), s.slots[survivor].key.clone());
        }
        if let Some(title) = title {
            s.slots[survivor].title = Some(title.to_string());
        }
        s.slots[survivor].edits.push("merge");
        s.slots[survivor].changed = true;
        Ok(self.rows_of(&texts))
    }

    /// Puts texts in a theme (and, within categories, in its category).
    fn place(&self, s: &mut State, texts: &[usize], t: usize, edit: &'static str) {
        for &d in texts {
            let from = s.labels[d];
            s.slots[from].changed = true;
            s.labels[d] = t;
            s.text_edits[d].push(edit);
            if let Some(c) = s.slots[t].category {
                set_category(s.categories, d, c);
            }
        }
        s.slots[t].changed = true;
    }

    fn split(&self, s: &mut State, t: usize, into: usize, stale: &mut Vec<String>) -> usize {
        let members = self.members(s, t);
        let originals = members.iter().filter(|&&d| s.weights[d] > 0.0).count();
        if originals < into {
            stale.push(format!(
                "theme {} has {originals} distinct texts: too few to split into {into}",
                s.slots[t].key
            ));
            return 0;
        }
        let points = self.embedded.centred_rows();
        let data: Vec<f32> = members
            .iter()
            .flat_map(|&d| points.row(d).iter().copied())
            .collect();
        let weights: Vec<f32> = members.iter().map(|&d| s.weights[d]).collect();
        let options = ClusterOptions {
            themes: Some(into),
            min_size: Some(1),
            ..self.cluster.clone()
        };
        let parts = cluster::cluster(&Rows::new(&data, points.dim), &weights, &options);
        // Parts are ordered by size: the first keeps the key, part i is `<key>-i`.
        for part in 1..parts.themes() {
            let slot = Slot {
                key: format!("{}-{}", s.slots[t].key, part + 1),
                category: s.slots[t].category,
                title: None,
                edits: vec!["split"],
                alive: true,
                changed: true,
                centroid: Vec::new(),
            };
            s.slots.push(slot);
            let index = s.slots.len() - 1;
            let texts: Vec<usize> = (0..members.len())
                .filter(|&j| parts.labels[j] == part)
                .map(|j| members[j])
                .collect();
            self.place(s, &texts, index, "split");
        }
        s.slots[t].edits.push("split");
        s.slots[t].changed = true;
        self.rows_of(&members)
    }

    fn move_texts(&self, s: &mut State, texts: &[usize], to: Destination) -> usize {
        match to {
            Destination::Theme(t) => self.place(s, texts, t, "move"),
            Destination::Category(c) if !s.within => {
                for &d in texts {
                    set_category(s.categories, d, c);
                    s.text_edits[d].push("move");
                }
            }
            Destination::Category(c) => {
                for &d in texts {
                    let t = self.nearest_theme(s, d, c);
                    self.place(s, &[d], t, "move");
                }
            }
        }
        self.rows_of(texts)
    }

    /// The live theme of category slot `c` nearest to text `d`; a new theme of moved texts when
    /// the category has none.
    fn nearest_theme(&self, s: &mut State, d: usize, c: usize) -> usize {
        let point = self.embedded.centred_rows().row(d);
        let best = (0..s.slots.len())
            .filter(|&t| {
                s.slots[t].alive
                    && s.slots[t].category == Some(c)
                    && !s.slots[t].centroid.is_empty()
            })
            .max_by(|&a, &b| {
                dot(point, &s.slots[a].centroid)
                    .total_cmp(&dot(point, &s.slots[b].centroid))
                    .then(b.cmp(&a))
            });
        if let Some(t) = best {
            return t;
        }
        let name = self.category_ids.get(c).map_or("none", String::as_str);
        let taken: HashSet<String> = s.slots.iter().map(|x| x.key.clone()).collect();
        let id = self.prepared.corpus.ids[self.prepared.distinct[d]].as_str();
        s.slots.push(Slot {
            key: new_key(name, "deplaces", &[id], &taken),
            category: Some(c),
            title: None,
            edits: vec!["move"],
            alive: true,
            changed: true,
            centroid: point.to_vec(),
        });
        s.slots.len() - 1
    }

    fn recategorise(&self, s: &mut State, t: usize, c: usize) -> usize {
        let members = self.members(s, t);
        if s.within {
            s.slots[t].category = Some(c);
        }
        for &d in &members {
            set_category(s.categories, d, c);
            s.text_edits[d].push("category");
        }
        s.slots[t].edits.push("category");
        self.rows_of(&members)
    }
}

enum Destination {
    Theme(usize),
    /// A category slot.
    Category(usize),
}

/// A text's category becomes slot `c` (the number of categories for `none`).
fn set_category(categories: &mut Categories, d: usize, c: usize) {
    if c >= categories.count() {
        categories.outside[d] = true;
    } else {
        categories.outside[d] = false;
        categories.best[d] = (c, categories.scores(d)[c]);
    }
}

impl Replay<'_, '_> {
    /// Compacts the themes, computes changed centroids and similarities again, resolves the pins
    /// and says what no longer applies (an error with `--strict-edits`, else warnings).
    fn finish(
        &self,
        s: Replayed,
        themes: &mut Themes,
        mut record: Vec<OperationRecord>,
    ) -> Result<Curation> {
        let (order, new_index) = self.compact(&s.slots, &mut themes.clustering.labels)?;
        self.recompute(&s, &order, themes);
        if let Some(category) = &mut themes.category {
            *category = (order.iter())
                .map(|&t| s.slots[t].category.unwrap_or(0))
                .collect();
        }
        let labels = &themes.clustering.labels;
        let pinned = self.pinned(&s, &new_index, order.len(), labels, &mut record);
        self.report_stale(&record)?;
        let slots = &s.slots;
        Ok(Curation {
            keys: order.iter().map(|&t| slots[t].key.clone()).collect(),
            draft_row_keys: Vec::new(),
            titles: order.iter().map(|&t| slots[t].title.clone()).collect(),
            theme_edits: order.iter().map(|&t| slots[t].edits.clone()).collect(),
            text_edits: s.text_edits,
            pinned,
            hidden: s.hidden,
            operations: record,
        })
    }

    /// The themes kept (alive, and one of their texts stands for a row), ordered by category as
    /// the automatic ones were; labels renumbered. Returns the order and each slot's new index.
    fn compact(&self, slots: &[Slot], labels: &mut [usize]) -> Result<(Vec<usize>, Vec<usize>)> {
        let mut kept = vec![false; slots.len()];
        for d in self.prepared.distinct_of.iter().flatten() {
            kept[labels[*d]] = true;
        }
        let mut order: Vec<usize> = (0..slots.len())
            .filter(|&t| slots[t].alive && kept[t])
            .collect();
        if order.is_empty() {
            bail!(
                "{}: the edits drop every row: nothing left to analyse",
                self.file.path.display()
            );
        }
        order.sort_by_key(|&t| (slots[t].category.unwrap_or(0), t));
        let mut new_index = vec![usize::MAX; slots.len()];
        for (i, &t) in order.iter().enumerate() {
            new_index[t] = i;
        }
        // Texts left in a theme that is gone (every row dropped) stay with the first theme, unseen.
        for label in labels.iter_mut() {
            *label = match new_index[*label] {
                usize::MAX => 0,
                i => i,
            };
        }
        Ok((order, new_index))
    }

    /// Centroids of the themes the edits changed, and their texts' similarity to them; a text
    /// the analyst placed is no longer weakly attached.
    fn recompute(&self, s: &Replayed, order: &[usize], themes: &mut Themes) {
        let points = self.embedded.centred_rows();
        let clustering = &mut themes.clustering;
        let mut centroids = Vec::with_capacity(order.len() * points.dim);
        for (i, &t) in order.iter().enumerate() {
            if !s.slots[t].changed {
                centroids.extend_from_slice(&s.slots[t].centroid);
                continue;
            }
            let members: Vec<usize> = (0..clustering.labels.len())
                .filter(|&d| clustering.labels[d] == i)
                .collect();
            let centroid = mean_direction(&points, &themes.weights, &members);
            for &d in &members {
                clustering.similarity[d] = dot(points.row(d), &centroid);
                if !s.text_edits[d].is_empty() {
                    clustering.weak[d] = false;
                }
            }
            centroids.extend(centroid);
        }
        clustering.centroids = centroids;
    }

    /// Each final theme's pinned texts; a pin of a hidden text, or of one no longer in its theme,
    /// is stale.
    fn pinned(
        &self,
        s: &Replayed,
        new_index: &[usize],
        themes: usize,
        labels: &[usize],
        record: &mut [OperationRecord],
    ) -> Vec<Vec<usize>> {
        let mut pinned = vec![Vec::new(); themes];
        for (t, texts, index) in &s.pins {
            for &d in texts {
                let stale = &mut record[*index].stale;
                if s.hidden[d] {
                    stale.push(format!("{} is hidden", self.id_of(d)));
                } else if new_index[*t] == usize::MAX || new_index[*t] != labels[d] {
                    let key = &s.slots[*t].key;
                    stale.push(format!("{} is no longer in theme {key}", self.id_of(d)));
                } else if !pinned[new_index[*t]].contains(&d) {
                    pinned[new_index[*t]].push(d);
                }
            }
        }
        pinned
    }

    fn id_of(&self, d: usize) -> &str {
        &self.prepared.corpus.ids[self.prepared.distinct[d]]
    }

    fn report_stale(&self, record: &[OperationRecord]) -> Result<()> {
        let stale: Vec<String> = record
            .iter()
            .flat_map(|r| {
                r.stale.iter().map(move |why| {
                    format!(
                        "{}, line {} ([[{}]]): {why}",
                        self.file.path.display(),
                        r.line,
                        r.operation
                    )
                })
            })
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        if self.strict {
            bail!(
                "{} edits no longer apply (--strict-edits):\n  {}",
                stale.len(),
                stale.join("\n  ")
            );
        }
        for line in &stale {
            log::warn!("edit no longer applies: {line}");
        }
        Ok(())
    }
}

/// Unit-length weighted mean of some rows (weight 1 each where all weights are 0: a theme of
/// near-duplicates only).
fn mean_direction(points: &Rows, weights: &[f32], members: &[usize]) -> Vec<f32> {
    let ones;
    let weights = match members.iter().all(|&d| weights[d] == 0.0) {
        true => {
            ones = vec![1.0; weights.len()];
            &ones
        }
        false => weights,
    };
    cluster::mean_direction(points, weights, members, points.dim)
}
