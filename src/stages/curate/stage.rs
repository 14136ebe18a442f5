//! Stage 4b: the analyst's hand. Before any work, the edits file and the earlier run are read
//! ([`plan`]) and the dropped rows set aside ([`dropped_rows`]); after the themes, each automatic
//! theme gets its key (continued from the earlier run or new) and the edits are replayed
//! ([`curate`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use anyhow::Result;

use crate::pipeline::{Categories, Embedded, Prepared, RowStatus, RunConfig, Themes};
use crate::stages::curate::apply::{Ids, Replay};
use crate::stages::curate::edits::{self, EditsFile};
use crate::stages::curate::keys;
use crate::stages::curate::previous::{self, PreviousChoice, PreviousRun};
use crate::stages::curate::{Curation, EditsRecord, OperationRecord};
use crate::stages::read::ingest::Corpus;
use crate::stages::themes::cluster::mean_direction;
use crate::taxonomy::Taxonomy;

/// `--edits`, `--strict-edits`, `--previous` / `--no-previous`.
#[derive(Debug, Clone, Default)]
pub struct CurateOptions {
    pub edits: Option<PathBuf>,
    pub strict: bool,
    pub previous: PreviousChoice,
}

/// What the run will replay and continue, read before any work.
pub struct Plan {
    pub file: EditsFile,
    pub previous: Option<PreviousRun>,
    pub strict: bool,
    /// One record per operation, filled as they are replayed.
    pub operations: Vec<OperationRecord>,
    /// Rows the file drops, with their reason ([`resolve_drops`]).
    pub dropped: HashMap<usize, String>,
}

/// Reads the edits file (a malformed one stops the run here) and the earlier run.
pub fn plan(config: &RunConfig) -> Result<Plan> {
    let options = &config.curate;
    let file = match &options.edits {
        Some(path) => edits::read(path, &Taxonomy::load(config.taxonomy.as_ref())?)?,
        None => EditsFile::default(),
    };
    let previous = previous::read(&options.previous, &config.out)?;
    if let Some(p) = &previous {
        log::info!(
            "continuing the theme keys of run {} ({})",
            p.run_id,
            p.dir.display()
        );
    }
    let operations = (file.edits.iter())
        .map(|e| OperationRecord {
            line: e.line,
            operation: e.op.name().to_string(),
            target: e.op.target(),
            note: e.note.clone(),
            ..OperationRecord::default()
        })
        .collect();
    Ok(Plan {
        file,
        previous,
        strict: options.strict,
        operations,
        dropped: HashMap::new(),
    })
}

/// Finds the rows the file drops, with their reason (`dropped:<reason>` in the status column),
/// and counts what each drop touches.
pub fn resolve_drops(plan: &mut Plan, units: &Corpus, documents: &[usize], input: &Corpus) {
    let records = &mut plan.operations;
    let ids = Ids::new(&units.ids, documents, &input.ids);
    let dropped = &mut plan.dropped;
    for (i, id, reason) in plan.file.dropped() {
        match ids.rows(id) {
            Some(rows) => {
                for &r in rows {
                    if dropped.insert(r, reason.to_string()).is_none() {
                        records[i].rows += 1;
                    }
                }
            }
            None => records[i].stale.push(format!("{id} is not in this input")),
        }
    }
}

/// Gives each automatic theme its key and replays the edits on themes and categories.
pub fn curate(
    plan: &Plan,
    input: &Corpus,
    prepared: &mut Prepared,
    embedded: &Embedded,
    themes: &mut Themes,
    categories: &mut Categories,
    config: &RunConfig,
) -> Result<(Curation, EditsRecord)> {
    let records = plan.operations.clone();
    let (draft_keys, continued) = draft_keys(plan.previous.as_ref(), prepared, themes, categories);
    let draft_row_keys: Vec<Option<String>> = (prepared.distinct_of.iter())
        .map(|d| d.map(|d| draft_keys[themes.clustering.labels[d]].clone()))
        .collect();
    let orphans = drop_rows(prepared, themes, &plan.dropped);
    let prepared: &Prepared = prepared;
    let ids = Ids::new(&prepared.corpus.ids, &prepared.document, &input.ids);
    let earlier: HashSet<String> = match &plan.previous {
        Some(p) => p.keys().into_iter().map(str::to_string).collect(),
        None => HashSet::new(),
    };
    let replay = Replay {
        file: &plan.file,
        prepared,
        embedded,
        ids: &ids,
        category_ids: prepared
            .taxonomy
            .categories
            .iter()
            .map(|c| c.id.clone())
            .collect(),
        earlier,
        cluster: config.cluster.clone(),
        strict: plan.strict,
    };
    let keys_new = draft_keys.len() - continued;
    let mut curation = replay.apply(draft_keys, themes, categories, &orphans, records)?;
    curation.draft_row_keys = draft_row_keys;
    let record = EditsRecord {
        file: (!plan.file.path.as_os_str().is_empty()).then(|| plan.file.path.clone()),
        sha256: (!plan.file.sha256.is_empty()).then(|| plan.file.sha256.clone()),
        strict: plan.strict,
        applied: curation
            .operations
            .iter()
            .filter(|o| o.stale.is_empty())
            .count(),
        stale: curation
            .operations
            .iter()
            .filter(|o| !o.stale.is_empty())
            .count(),
        operations: curation.operations.clone(),
        previous: plan.previous.as_ref().map(|p| p.dir.clone()),
        previous_run_id: plan.previous.as_ref().map(|p| p.run_id.clone()),
        keys_continued: continued,
        keys_new,
    };
    if !plan.file.edits.is_empty() {
        log::info!(
            "edits: {} of {} operations applied in full ({})",
            record.applied,
            record.operations.len(),
            plan.file.path.display()
        );
    }
    Ok((curation, record))
}

/// Sets the dropped rows aside, after the themes so that they move none: a dropped row leaves
/// its theme's counts; a text whose first row is dropped is cited by its next copy; a text whose
/// every row is dropped (returned) weighs nothing in the keywords and is never quoted.
fn drop_rows(
    prepared: &mut Prepared,
    themes: &mut Themes,
    dropped: &HashMap<usize, String>,
) -> Vec<usize> {
    let mut rows: Vec<usize> = dropped.keys().copied().collect();
    rows.sort_unstable();
    let mut firsts = Vec::new();
    for &r in &rows {
        if let Some(d) = prepared.distinct_of[r].take()
            && prepared.distinct[d] == r
        {
            firsts.push(d);
        }
        prepared.statuses[r] = RowStatus::Dropped(dropped[&r].clone());
    }
    let mut orphans = Vec::new();
    for d in firsts {
        let old = prepared.distinct[d];
        match (0..prepared.distinct_of.len()).find(|&r| prepared.distinct_of[r] == Some(d)) {
            Some(next) => {
                prepared.distinct[d] = next;
                prepared.statuses[next] = RowStatus::Ok;
                for status in prepared.statuses.iter_mut() {
                    if *status == RowStatus::DuplicateOf(old) {
                        *status = RowStatus::DuplicateOf(next);
                    }
                }
            }
            None => {
                themes.weights[d] = 0.0;
                orphans.push(d);
            }
        }
    }
    orphans
}

/// Each automatic theme's key, and how many continue an earlier run's.
fn draft_keys(
    previous: Option<&PreviousRun>,
    prepared: &Prepared,
    themes: &Themes,
    categories: &Categories,
) -> (Vec<String>, usize) {
    let labels = &themes.clustering.labels;
    let k = themes.clustering.themes();
    let mut members: Vec<Vec<&str>> = vec![Vec::new(); k];
    for (r, d) in prepared.distinct_of.iter().enumerate() {
        if let Some(d) = d {
            members[labels[*d]].push(prepared.corpus.ids[r].as_str());
        }
    }
    let mut keys = match previous {
        Some(p) => keys::continued(&members, &p.draft),
        None => vec![None; k],
    };
    let continued = keys.iter().filter(|k| k.is_some()).count();
    let mut taken: HashSet<String> = keys.iter().flatten().cloned().collect();
    if let Some(p) = previous {
        taken.extend(p.keys().into_iter().map(str::to_string));
    }
    if continued == k {
        return (keys.into_iter().flatten().collect(), continued);
    }
    let analyzer = crate::stages::describe::keywords::FrenchAnalyzer::new();
    let words = keys::key_words(&prepared.texts(), labels, k, &|w| analyzer.is_stop(w));
    for t in 0..k {
        if keys[t].is_none() {
            let category = theme_category(prepared, themes, categories, t);
            let key = keys::new_key(category, &words[t], &members[t], &taken);
            taken.insert(key.clone());
            keys[t] = Some(key);
        }
    }
    (
        keys.into_iter().map(Option::unwrap_or_default).collect(),
        continued,
    )
}

/// The category id a theme's key starts with: the one it was formed in, or across categories
/// the most frequent among its texts.
fn theme_category<'p>(
    prepared: &'p Prepared,
    themes: &Themes,
    categories: &Categories,
    t: usize,
) -> &'p str {
    let cats = &prepared.taxonomy.categories;
    let slot = match &themes.category {
        Some(slots) => slots[t],
        None => {
            let mut counts = vec![0usize; cats.len() + 1];
            for d in themes.members(t) {
                counts[if categories.outside[d] {
                    cats.len()
                } else {
                    categories.best[d].0
                }] += 1;
            }
            (0..counts.len())
                .max_by_key(|&c| (counts[c], std::cmp::Reverse(c)))
                .unwrap_or(0)
        }
    };
    cats.get(slot).map_or("none", |c| c.id.as_str())
}

/// Within categories, where each category slot's clustering starts (the number of categories
/// for `none`): the earlier run's automatic themes, each as the mean direction of its testimonies
/// in this run, in the category most of them now have. `None` without an earlier run, with a
/// forced `--themes`, or across categories.
pub fn earlier_starts(
    plan: &Plan,
    config: &RunConfig,
    prepared: &Prepared,
    embedded: &Embedded,
    categories: &Categories,
) -> Option<Vec<Option<Vec<f32>>>> {
    let previous = plan.previous.as_ref()?;
    let within = config.theme_scope == crate::pipeline::ThemeScope::WithinCategories;
    if config.cluster.themes.is_some() || !within {
        return None;
    }
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (r, d) in prepared.distinct_of.iter().enumerate() {
        if let (Some(d), Some(key)) = (d, previous.draft.get(&prepared.corpus.ids[r])) {
            members.entry(key.as_str()).or_default().push(*d);
        }
    }
    let count = categories.count();
    let slot = |d: usize| {
        if categories.outside[d] {
            count
        } else {
            categories.best[d].0
        }
    };
    let points = embedded.centred_rows();
    let ones = vec![1.0f32; points.len()];
    let mut starts: Vec<Option<Vec<f32>>> = vec![None; count + 1];
    for texts in members.values_mut() {
        texts.sort_unstable();
        texts.dedup();
        let mut votes = vec![0usize; count + 1];
        texts.iter().for_each(|&d| votes[slot(d)] += 1);
        let g = (0..=count)
            .max_by_key(|&g| (votes[g], std::cmp::Reverse(g)))
            .unwrap_or(0);
        let in_g: Vec<usize> = texts.iter().copied().filter(|&d| slot(d) == g).collect();
        let centroid = mean_direction(&points, &ones, &in_g, points.dim);
        if centroid.iter().any(|&x| x != 0.0) {
            starts[g].get_or_insert_with(Vec::new).extend(centroid);
        }
    }
    Some(starts)
}
