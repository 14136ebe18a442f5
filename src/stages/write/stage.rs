//! Stage 6: the tables (one row per theme, one row per input row) and the run record.

use anyhow::{Context, Result};

use crate::model::LoadedModel;
use crate::pipeline::{Categories, Described, Embedded, Prepared, RowStatus, RunConfig, Themes};
use crate::privacy::Pseudonymiser;
use crate::stages::categories::none::NoneThreshold;
use crate::stages::curate::Curation;
use crate::stages::curate::changes::{self, Published};
use crate::stages::curate::previous::PreviousRun;
use crate::stages::passages::aggregate;
use crate::stages::passages::stage::{Passages, Units};
use crate::stages::read::ingest::Corpus;
use crate::stages::write::campaigns::{self, Shown};
use crate::stages::write::record::{
    CategoryClusteringRecord, ClusteringRecord, CsvRecord, InputRecord, MappingRecord, Parameters,
    PrivacyRecord, RowCounts, RunRecord, SilhouetteRecord, Timings, UnitRecord, Versions,
};
use crate::stages::write::table::{
    self, AssignmentTable, PassageColumns, ProposalTable, TextColumn,
};
use rayon::prelude::*;

/// What writing the tables counted, for the record.
#[derive(Default)]
pub struct Written {
    /// Input rows assigned a theme.
    pub assigned: usize,
    /// Passage mode: documents by status.
    pub documents_by_status: std::collections::BTreeMap<String, usize>,
    /// The campaigns found among the documents.
    pub campaigns: crate::who::CampaignsRecord,
}

/// Writes themes and assignments (and passages in passage mode), and the campaigns.
pub fn tables(s: &Stages, config: &RunConfig) -> Result<Written> {
    let mut written = Written {
        assigned: s.prepared.assigned(),
        ..Written::default()
    };
    let privacy = s.described.pseudonymiser.as_ref();
    let passthrough = published_columns(&s.prepared.corpus.passthrough, privacy);
    let document_columns = published_columns(&s.input.passthrough, privacy);
    let passage_texts =
        (s.units.passages.as_ref()).map(|p| unhidden(s, published(&p.corpus.texts, privacy)));
    // Text mode: the texts themselves, as every output publishes them (REFI-QDA export reads them).
    let texts = (s.units.passages.is_none())
        .then(|| unhidden(s, published(&s.prepared.corpus.texts, privacy)));
    let mut table = assignments(s.prepared, s.themes, s.categories, s.described, s.curation);
    table.passthrough = &passthrough;
    table.text = texts.as_deref();
    std::fs::create_dir_all(&config.out)
        .with_context(|| format!("cannot create output directory {}", config.out.display()))?;
    clear_earlier_outputs(&config.out)?;
    let csv = config.output.csv;
    table::write_themes(&config.out, &s.described.theme_rows, csv)?;
    table::write_proposals(&config.out, &proposals(s), csv)?;
    let found = match (&s.units.passages, &passage_texts) {
        (Some(passages), Some(texts)) => {
            table.passages = Some(passage_columns(s.input, passages, texts));
            let counts = aggregate::count(s.prepared, s.themes, s.categories, passages);
            let rule = &config.pillars;
            let mut documents = aggregate::documents(s.input, s.prepared, &counts, passages, rule);
            documents.passthrough = &document_columns;
            let shown = Shown {
                theme_id: &documents.theme_id,
                pillar: &documents.pillar,
            };
            let found = find_campaigns(s, Some(passages), shown, config);
            documents.campaign = found.membership.clone();
            table::write_documents(&config.out, &documents, csv)?;
            for status in &documents.status {
                *written
                    .documents_by_status
                    .entry(status.clone())
                    .or_default() += 1;
            }
            found
        }
        _ => {
            let shown = Shown {
                theme_id: &table.theme_id,
                pillar: &table.pillar,
            };
            let found = find_campaigns(s, None, shown, config);
            table.campaign = found.membership.clone();
            found
        }
    };
    table::write_assignments(&config.out, &table, csv)?;
    table::write_campaigns(&config.out, &found.campaigns, csv)?;
    written.campaigns = found.record;
    if let Some(earlier) = s.previous {
        table::write_changes(
            &config.out,
            &changes::changes(earlier, &published_now(s, &table)),
            csv,
        )?;
    }
    Ok(written)
}

fn find_campaigns(
    s: &Stages,
    passages: Option<&Passages>,
    shown: Shown,
    config: &RunConfig,
) -> campaigns::Found {
    let privacy = s.described.pseudonymiser.as_ref();
    let min = config.who.campaign_min;
    campaigns::find(s.input, s.prepared, s.themes, passages, min, shown, privacy)
}

/// Passage texts with those the analyst hid left empty: hidden means in no output.
fn unhidden(s: &Stages, mut texts: Vec<String>) -> Vec<String> {
    for (row, d) in s.prepared.distinct_of.iter().enumerate() {
        if d.is_some_and(|d| s.curation.hidden[d]) {
            texts[row].clear();
        }
    }
    texts
}

/// This run's themes and analysed rows as the tables publish them, for `changes`.
fn published_now<'a>(s: &'a Stages, table: &'a AssignmentTable) -> Published<'a> {
    let themes = (s.described.theme_rows.iter())
        .map(|t| (t.theme_key.as_str(), t.title.as_str(), t.size))
        .collect();
    let rows = (0..table.ids.len())
        .filter_map(|r| {
            let key = table.theme_key[r].as_deref()?;
            Some((table.ids[r].as_str(), key, table.pillar[r].as_deref()?))
        })
        .collect();
    Published { themes, rows }
}

/// Every proposal, with its document (and passage), theme and category.
fn proposals(s: &Stages) -> ProposalTable {
    let p = s.prepared;
    let cats = &p.taxonomy.categories;
    let row = |d: usize| p.distinct[d];
    let (mut ids, mut passages) = (Vec::new(), Vec::new());
    for &(d, _) in &s.described.proposals {
        match &s.units.passages {
            Some(units) => {
                ids.push(s.input.ids[units.document[row(d)]].clone());
                passages.push(units.rank[row(d)]);
            }
            None => ids.push(p.corpus.ids[row(d)].clone()),
        }
    }
    let theme = |d: usize| s.themes.clustering.labels[d];
    ProposalTable {
        ids,
        passages: s.units.passages.as_ref().map(|_| passages),
        theme_id: s
            .described
            .proposals
            .iter()
            .map(|&(d, _)| theme(d) as u32)
            .collect(),
        pillar: s
            .described
            .proposals
            .iter()
            .map(|&(d, _)| match s.categories.outside[d] {
                true => "none".to_string(),
                false => cats[s.categories.best[d].0].id.clone(),
            })
            .collect(),
        text: s
            .described
            .proposals
            .iter()
            .map(|(_, t)| t.clone())
            .collect(),
    }
}

/// Each passage's document, rank, offsets and (published) text.
fn passage_columns<'a>(
    input: &'a Corpus,
    p: &'a Passages,
    text: &'a [String],
) -> PassageColumns<'a> {
    PassageColumns {
        documents: p.document.iter().map(|&d| input.ids[d].as_str()).collect(),
        rank: p.rank.clone(),
        start: p.spans.iter().map(|s| s.start as u32).collect(),
        end: p.spans.iter().map(|s| s.end as u32).collect(),
        text,
    }
}

/// Texts as every table publishes them: personal data replaced (unless `--no-pseudonymise`).
fn published(texts: &[String], privacy: Option<&Pseudonymiser>) -> Vec<String> {
    match privacy {
        Some(p) => texts.par_iter().map(|t| p.apply(t).into_owned()).collect(),
        None => texts.to_vec(),
    }
}

/// The input's other columns as published: any of them may hold free text (a contributor's
/// e-mail, a signature), so every value goes through the pseudonymiser like the quotes do.
fn published_columns(columns: &[TextColumn], privacy: Option<&Pseudonymiser>) -> Vec<TextColumn> {
    columns
        .iter()
        .map(|c| TextColumn {
            name: c.name.clone(),
            nested: c.nested.clone(),
            values: c
                .values
                .par_iter()
                .map(|v| match (v, privacy) {
                    (Some(v), Some(p)) => Some(p.apply(v).into_owned()),
                    (v, _) => v.clone(),
                })
                .collect(),
        })
        .collect()
}

/// The files an evaluation and a report write beside a run's own ([`crate::pipeline::OUTPUT_FILES`]).
pub const LATER_FILES: [&str; 8] = [
    "evaluation.json",
    "evaluation.md",
    "evaluation_per_category.csv",
    "evaluation_confusion.csv",
    "report.html",
    "report.md",
    "report.docx",
    "report.odt",
];

/// Temporaries older than this are leftovers of a run that died (a live run renames each of its
/// own within seconds of creating it; ten minutes leaves room for a million-row workbook).
const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(600);

/// A run owns its output directory: before it writes, the files an earlier run wrote there are
/// removed (an `evaluation.json` of another input must never reach this run's report), and so are
/// temporaries a killed run left behind. Files verbatim does not write are never touched.
pub fn clear_earlier_outputs(out: &std::path::Path) -> Result<()> {
    for name in crate::pipeline::OUTPUT_FILES.iter().chain(&LATER_FILES) {
        let path = out.join(name);
        if path.is_file() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the earlier {}", path.display()))?;
        }
    }
    let now = std::time::SystemTime::now();
    for entry in std::fs::read_dir(out)?.flatten() {
        let name = entry.file_name();
        if is_breakdown(&name.to_string_lossy()) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove the earlier {}", entry.path().display()))?;
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMPORARY);
        if name.to_string_lossy().starts_with(".verbatim-") && old {
            std::fs::remove_file(entry.path()).ok();
        }
    }
    Ok(())
}

/// A `--by` table an earlier run or report wrote (`by_<column>[_themes].{parquet,csv,xlsx}`).
pub fn is_breakdown(name: &str) -> bool {
    name.starts_with("by_")
        && [".parquet", ".csv", ".xlsx"]
            .iter()
            .any(|x| name.ends_with(x))
}

/// One value per input row: rows without a distinct text (empty, no words) get nothing.
fn assignments<'a>(
    prepared: &'a Prepared,
    themes: &Themes,
    categories: &Categories,
    described: &Described,
    curation: &Curation,
) -> AssignmentTable<'a> {
    let of = &prepared.distinct_of;
    let per_row =
        |f: &dyn Fn(usize) -> f32| -> Vec<Option<f32>> { of.iter().map(|d| d.map(f)).collect() };
    let cats = &prepared.taxonomy.categories;
    let (clustering, mapping) = (&themes.clustering, &categories.mapping);
    AssignmentTable {
        ids: &prepared.corpus.ids,
        theme_id: of
            .iter()
            .map(|d| d.map(|d| clustering.labels[d] as u32))
            .collect(),
        theme_key: (of.iter())
            .map(|d| d.map(|d| curation.keys[clustering.labels[d]].clone()))
            .collect(),
        draft_theme_key: curation.draft_row_keys.clone(),
        edited: (0..of.len())
            .map(|r| match (&prepared.statuses[r], of[r]) {
                (RowStatus::Dropped(_), _) => Some("drop".to_string()),
                (_, Some(d)) if !curation.text_edits[d].is_empty() => {
                    Some(curation.text_edits[d].join("+"))
                }
                _ => None,
            })
            .collect(),
        theme_similarity: per_row(&|d| clustering.similarity[d]),
        weakly_attached: of.iter().map(|d| d.map(|d| clustering.weak[d])).collect(),
        pillar: of
            .iter()
            .map(|d| {
                d.map(|d| match categories.outside[d] {
                    true => "none".to_string(),
                    false => cats[categories.best[d].0].id.clone(),
                })
            })
            .collect(),
        pillars_secondary: of
            .iter()
            .map(|d| {
                d.and_then(|d| crate::stages::categories::mapping::secondary(mapping, d))
                    .map(|k| cats[k].id.clone())
            })
            .collect(),
        pillar_fit: per_row(&|d| categories.fit[d]),
        taxonomy_relevance: per_row(&|d| categories.relevance[d]),
        language: of
            .iter()
            .map(|d| d.map(|d| described.languages[d].to_string()))
            .collect(),
        map_x: per_row(&|d| themes.projection[d][0]),
        map_y: per_row(&|d| themes.projection[d][1]),
        kind: of
            .iter()
            .map(|d| d.map(|d| described.kinds[d].as_str().to_string()))
            .collect(),
        pillar_score: per_row(&|d| categories.best[d].1),
        pillar_margin: per_row(&|d| mapping.margin[d]),
        category_scores: cats
            .iter()
            .enumerate()
            .map(|(c, cat)| (cat.id.clone(), per_row(&|d| categories.scores(d)[c])))
            .collect(),
        status: statuses(prepared, themes),
        campaign: vec![None; prepared.corpus.len()],
        text: None,
        passthrough: &prepared.corpus.passthrough,
        passages: None,
    }
}

/// The `status` column: ok, or why a row was set aside or grouped with another.
fn statuses(prepared: &Prepared, themes: &Themes) -> Vec<String> {
    let ids = &prepared.corpus.ids;
    (0..prepared.statuses.len())
        .map(
            |row| match prepared.distinct_of[row].and_then(|d| themes.near[d]) {
                Some(o) => format!("near_duplicate_of:{}", ids[prepared.distinct[o]]),
                None => status_of(prepared, row),
            },
        )
        .collect()
}

/// A row's status as sorted before the themes: ok, or why it was set aside.
pub fn status_of(prepared: &Prepared, row: usize) -> String {
    match &prepared.statuses[row] {
        RowStatus::Ok => "ok".to_string(),
        RowStatus::Empty => "empty".to_string(),
        RowStatus::DuplicateOf(j) => format!("duplicate_of:{}", prepared.corpus.ids[*j]),
        RowStatus::NoWords => "rejected:no_words".to_string(),
        RowStatus::Rejected(reason) => format!("rejected:{reason}"),
        RowStatus::Dropped(reason) => format!("dropped:{reason}"),
    }
}

/// Every stage's output, for the tables and the record.
pub struct Stages<'a, 'c> {
    pub input: &'a Corpus,
    pub units: &'a Units,
    pub prepared: &'a Prepared<'c>,
    pub model: &'a LoadedModel,
    pub embedded: &'a Embedded,
    pub themes: &'a Themes,
    pub categories: &'a Categories,
    pub described: &'a Described,
    pub curation: &'a Curation,
    /// The run whose theme keys this one continues: `changes.*` compares with it.
    pub previous: Option<&'a PreviousRun>,
    pub written: Written,
}

/// What the run did, for run.json.
pub fn record(s: Stages, config: &RunConfig, mut timings: Timings) -> RunRecord {
    timings.finished_at = crate::stages::write::record::utc_now();
    timings.peak_memory_mib = crate::stages::write::record::peak_rss_mib();
    let corpus = s.input;
    let clustering = &s.themes.clustering;
    RunRecord {
        run_id: crate::stages::write::record::new_run_id(&config.out),
        outputs: Default::default(),
        input: InputRecord {
            path: corpus.path.clone(),
            path_not_utf8: corpus.path.to_str().is_none(),
            sha256: corpus.sha256.clone(),
            format: corpus.format,
            encoding: corpus.encoding.clone(),
            delimiter: corpus.delimiter.map(|d| d.to_string()),
            text_column: corpus.text_column.clone(),
            id_column: corpus.id_column.clone(),
        },
        unit: unit_record(&s, config),
        rows: row_counts(&s),
        model: s.model.info.clone(),
        embeddings: s.embedded.record.clone(),
        parameters: parameters(s.prepared, config, clustering.min_size),
        taxonomy: s.prepared.taxonomy.categories.clone(),
        privacy: PrivacyRecord {
            pseudonymised: config.output.pseudonymise,
            quotes_or_keywords_changed: s.described.pseudonymised,
        },
        few_shot: s.categories.few_shot.clone(),
        mapping: mapping_record(&s, config),
        clustering: ClusteringRecord {
            method: "spherical k-means micro-clusters, Ward agglomeration, silhouette-chosen cut, Lloyd polish".into(),
            scope: match s.themes.category {
                Some(_) => "within categories",
                None => "across categories",
            }
            .into(),
            per_category: per_category(&s),
            micro_clusters: clustering.micro_clusters,
            themes: clustering.themes(),
            silhouette_by_themes: clustering
                .silhouettes
                .iter()
                .map(|&(themes, silhouette)| SilhouetteRecord { themes, silhouette })
                .collect(),
        },
        versions: Versions::default(),
        timings,
        edits: Default::default(),
        who_says_what: None,
    }
}

fn per_category(s: &Stages) -> Vec<CategoryClusteringRecord> {
    let cats = &s.prepared.taxonomy.categories;
    s.themes
        .per_category
        .iter()
        .map(|c| CategoryClusteringRecord {
            category: cats.get(c.category).map_or("none".into(), |k| k.id.clone()),
            texts: c.texts,
            themes: c.themes,
            silhouette_by_themes: c
                .silhouette_by_themes
                .iter()
                .map(|&(themes, silhouette)| SilhouetteRecord { themes, silhouette })
                .collect(),
        })
        .collect()
}

fn unit_record(s: &Stages, config: &RunConfig) -> UnitRecord {
    let mut record = UnitRecord {
        unit: s.units.unit_name().into(),
        reason: s.units.reason.clone(),
        ..UnitRecord::default()
    };
    if let Some(p) = &s.units.passages {
        let rule = &config.pillars;
        record.passages = Some(p.corpus.len());
        record.pillars_rule = Some(format!(
            "the main category (most passages), and every other with at least {} passages, {:.0}% of the document's passages, or {} words of them",
            rule.min_passages,
            rule.min_share * 100.0,
            rule.min_words
        ));
        record.documents_by_status = s.written.documents_by_status.clone();
    }
    record
}

fn row_counts(s: &Stages) -> RowCounts {
    let p = s.prepared;
    let (empty, no_words) = (
        p.count(|r| *r == RowStatus::Empty),
        p.count(|r| *r == RowStatus::NoWords),
    );
    let unreadable = p.count(|r| matches!(r, RowStatus::Rejected(_)));
    let mut counts = RowCounts {
        read: p.corpus.len(),
        embedded: p.distinct.len(),
        assigned: s.written.assigned,
        weakly_attached: p
            .distinct_of
            .iter()
            .filter(|d| d.is_some_and(|d| s.themes.clustering.weak[d]))
            .count(),
        duplicates: p.count(|r| matches!(r, RowStatus::DuplicateOf(_))),
        near_duplicates: s.themes.near.iter().filter(|o| o.is_some()).count(),
        rejected: empty + no_words + unreadable,
        ..RowCounts::default()
    };
    for (reason, n) in [("empty", empty), ("no_words", no_words)] {
        if n > 0 {
            counts.rejected_by_reason.insert(reason.to_string(), n);
        }
    }
    for status in &p.statuses {
        match status {
            RowStatus::Rejected(reason) => {
                *counts.rejected_by_reason.entry(reason.clone()).or_default() += 1
            }
            RowStatus::Dropped(reason) => {
                *counts.dropped_by_reason.entry(reason.clone()).or_default() += 1
            }
            _ => {}
        }
    }
    for d in p.distinct_of.iter().flatten() {
        *counts
            .languages
            .entry(s.described.languages[*d].to_string())
            .or_default() += 1;
    }
    counts
}

fn parameters(prepared: &Prepared, config: &RunConfig, min_theme_size: usize) -> Parameters {
    Parameters {
        seed: config.cluster.seed,
        themes: config.cluster.themes,
        min_theme_size,
        quotes: config.describe.quotes,
        keywords: config.describe.keywords,
        quote_chars: config.describe.quote_chars,
        taxonomy: prepared.taxonomy.source.clone(),
        pseudonymise: config.output.pseudonymise,
        csv: CsvRecord {
            separator: (config.output.csv.separator as char).to_string(),
            bom: config.output.csv.bom,
            decimal_comma: config.output.csv.decimal_comma,
        },
    }
}

fn mapping_record(s: &Stages, config: &RunConfig) -> MappingRecord {
    let cosine = config.map.zero_shot || s.categories.fallback.is_some();
    MappingRecord {
        method: if cosine {
            "zero-shot: raw cosine to the category prototypes, argmax"
        } else {
            "label-free: centred cosine, standardised per category, self-trained shrunk LDA"
        }
        .into(),
        self_training_rounds: s.categories.mapping.rounds,
        scores: if cosine { "cosine" } else { "probability" }.into(),
        none_threshold: s.categories.none_threshold,
        none_rule: match config.map.none_threshold {
            NoneThreshold::Auto => {
                "auto: min(median − 2 × 1.4826 × MAD, 3rd percentile) of taxonomy_relevance"
            }
            NoneThreshold::Fixed(_) => "fixed (--none-threshold)",
        }
        .into(),
        none: s
            .prepared
            .distinct_of
            .iter()
            .filter(|d| d.is_some_and(|d| s.categories.outside[d]))
            .count(),
        self_training_check: s.categories.mapping.self_check.clone(),
        fallback: s.categories.fallback.clone(),
    }
}
