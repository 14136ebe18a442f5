//! `verbatim run`, stage by stage: ingest → embed → cluster → describe → map → write.
//! Data flows one way; each stage's output is the next one's input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cluster::{self, ClusterOptions, Points};
use crate::describe::{self, FrenchAnalyzer, KeywordOptions};
use crate::embed::{EmbedOptions, Embedder, EmbeddingCache};
use crate::ingest::{self, Corpus, ReadOptions};
use crate::map;
use crate::model::{self, ModelRequest};
use crate::table::{self, AssignmentTable, CsvStyle, ThemeRow};
use crate::taxonomy::Taxonomy;

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub input: PathBuf,
    pub out: PathBuf,
    pub read: ReadOptions,
    pub taxonomy: Option<PathBuf>,
    pub themes: Option<usize>,
    pub min_theme_size: Option<usize>,
    pub seed: u64,
    pub quotes: usize,
    pub keywords: usize,
    /// Longest quote, in characters, before it is cut at a sentence end.
    pub quote_chars: usize,
    pub model: ModelRequest,
    pub use_cache: bool,
    pub csv: CsvStyle,
    pub progress: bool,
    /// Label-free mapping (default) or the peers' zero-shot baseline.
    pub zero_shot: bool,
    /// Manually tagged testimonies (id, category) for few-shot mapping.
    pub labels: Option<PathBuf>,
    /// A testimony whose relevance to the taxonomy (centred cosine to the nearest category
    /// description) is below this goes to `none`.
    pub none_threshold: f32,
    /// Replace personal data in quotes and keywords with placeholders (default on).
    pub pseudonymise: bool,
    /// Parquet files of vectors computed elsewhere (`verbatim embed --shard`, a GPU job): the
    /// model then embeds only the taxonomy.
    pub embeddings: Vec<PathBuf>,
}

impl RunConfig {
    pub fn new(input: PathBuf, out: PathBuf) -> Self {
        Self {
            input,
            out,
            read: ReadOptions::default(),
            taxonomy: None,
            themes: None,
            min_theme_size: None,
            seed: 42,
            quotes: 5,
            keywords: 10,
            quote_chars: 300,
            model: ModelRequest::default(),
            embeddings: Vec::new(),
            use_cache: true,
            csv: CsvStyle::plain(),
            progress: true,
            zero_shot: false,
            labels: None,
            none_threshold: 0.0,
            pseudonymise: true,
        }
    }
}

/// Cosine (raw embeddings) from which two testimonies of one theme count as near-duplicates.
pub const NEAR_DUPLICATE_COSINE: f32 = 0.97;
/// Share of words (Jaccard) two near-duplicates have in common at least.
pub const NEAR_DUPLICATE_WORDS: f64 = 0.7;
/// Distinct words a text needs to be searched for near-duplicates (shorter ones: exact copies only).
pub const NEAR_DUPLICATE_MIN_WORDS: usize = 6;

/// What happened to each input row before clustering.
#[derive(Debug, Clone, PartialEq)]
pub enum RowStatus {
    Ok,
    Empty,
    /// Same text (after trimming and collapsing spaces) as an earlier row, by index.
    DuplicateOf(usize),
    /// No letter at all (only digits, emoji or punctuation): nothing to understand.
    NoWords,
}

/// The text the model and the keywords see: markup tags removed, common entities decoded, spaces
/// collapsed. Quotes keep the original text.
pub fn analysis_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('<') && !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    static TAG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let tag =
        TAG.get_or_init(|| regex::Regex::new(r"</?[A-Za-z][^<>]{0,200}>").expect("valid pattern"));
    let stripped = tag.replace_all(text, " ");
    let decoded = stripped
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    std::borrow::Cow::Owned(decoded.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A rough language guess from function words: "fr", "en", "es", "de", "it", or "unknown" when a
/// text is too short to tell. Texts in another language are flagged, not dropped.
pub fn detect_language(text: &str) -> &'static str {
    const WORDS: [(&str, &str); 5] = [
        ("fr", "le la les des et est une pas que qui pour dans sur nous ils elle sont avec mais très plus ce cette du au aux je"),
        ("en", "the and is are of to in that it for not with was this have be they we you our on at"),
        ("es", "el los las y que en no es por para con una del se lo como pero muy su"),
        ("de", "der die das und ist nicht ich sie mit zu den ein eine auf für sind wir auch"),
        ("it", "il che di non per un una sono con del della gli le molto anche ma è"),
    ];
    let lower = text.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|t| !t.is_empty())
        .collect();
    let mut best = ("unknown", 0usize);
    for (lang, list) in WORDS {
        let set: std::collections::HashSet<&str> = list.split(' ').collect();
        let hits = tokens.iter().filter(|t| set.contains(*t)).count();
        if hits > best.1 {
            best = (lang, hits);
        }
    }
    if best.1 >= 2 {
        best.0
    } else {
        "unknown"
    }
}

/// Classifies rows: empty texts, and exact duplicates of an earlier row.
pub fn row_statuses(texts: &[String]) -> Vec<RowStatus> {
    let mut first: HashMap<String, usize> = HashMap::new();
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let key = analysis_text(t)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if key.is_empty() {
                RowStatus::Empty
            } else if !key.chars().any(char::is_alphabetic) {
                RowStatus::NoWords
            } else if let Some(&j) = first.get(&key) {
                RowStatus::DuplicateOf(j)
            } else {
                first.insert(key, i);
                RowStatus::Ok
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct RowCounts {
    read: usize,
    embedded: usize,
    assigned: usize,
    weakly_attached: usize,
    duplicates: usize,
    near_duplicates: usize,
    rejected: usize,
    rejected_by_reason: HashMap<String, usize>,
    /// Guessed language of the embedded rows (other languages are processed, and flagged).
    languages: std::collections::BTreeMap<String, usize>,
}

#[derive(Debug, Default, Serialize)]
struct Timings {
    /// When the run finished (UTC), for the report's methods section.
    finished_at: String,
    ingest_s: f64,
    model_load_s: f64,
    embed_s: f64,
    cluster_s: f64,
    describe_s: f64,
    map_s: f64,
    write_s: f64,
    /// Peak resident memory of the process, for the scale curve in README.
    peak_memory_mib: Option<f64>,
}

/// Peak resident memory of this process so far, in MiB (Linux; `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A short summary for the command line.
pub struct RunSummary {
    pub rows: usize,
    pub themes: usize,
    pub out: PathBuf,
}

pub fn run(config: &RunConfig) -> Result<RunSummary> {
    let mut timings = Timings::default();
    let clock = Instant::now();
    let corpus = ingest::read(&config.input, &config.read)?;
    for note in &corpus.notes {
        eprintln!("{}: {note}", config.input.display());
    }
    let taxonomy = Taxonomy::load(config.taxonomy.as_ref())?;
    let statuses = row_statuses(&corpus.texts);
    let distinct: Vec<usize> = (0..corpus.len())
        .filter(|&i| statuses[i] == RowStatus::Ok)
        .collect();
    if distinct.is_empty() {
        anyhow::bail!(
            "{}: every text is empty: nothing to analyse",
            config.input.display()
        );
    }
    timings.ingest_s = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let loaded = model::load(&config.model)?;
    let cache = if config.use_cache {
        Some(EmbeddingCache::for_model(&loaded)?)
    } else {
        None
    };
    let options = EmbedOptions {
        progress: config.progress,
        ..EmbedOptions::default()
    };
    let mut embedder = Embedder::new(&loaded, cache, options);
    timings.model_load_s = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let cleaned: Vec<std::borrow::Cow<str>> = distinct
        .iter()
        .map(|&i| analysis_text(&corpus.texts[i]))
        .collect();
    let texts: Vec<&str> = cleaned.iter().map(|t| t.as_ref()).collect();
    let (emb, embeddings_record) = if config.embeddings.is_empty() {
        let emb = embedder.embed(&texts)?;
        eprintln!(
            "embedded {} distinct texts ({} from the cache)",
            emb.len(),
            emb.cache_hits
        );
        let record = serde_json::json!({
            "source": "model",
            "engine": loaded.engine_id(),
            "windows": emb.windows.iter().map(|&w| w as u64).sum::<u64>(),
            "long_texts": emb.windows.iter().filter(|&&w| w > 1).count(),
        });
        (emb, record)
    } else {
        external_embeddings(config, &corpus, &distinct, &loaded)?
    };
    timings.embed_s = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    // Sentence embeddings share a common direction (every pair has a cosine near 0.8): removing the
    // corpus mean makes distances reflect what distinguishes the testimonies.
    let mean = cluster::mean_vector(&emb.vectors, emb.dim);
    let centered = cluster::center(&emb.vectors, emb.dim, &mean);
    let points = Points {
        data: &centered,
        dim: emb.dim,
    };
    let cluster_options = ClusterOptions {
        seed: config.seed,
        themes: config.themes,
        min_size: config.min_theme_size,
        ..ClusterOptions::default()
    };
    // Near-duplicates (campaigns with small edits) weigh nothing in themes and keywords, then take
    // their original's theme. Same meaning is not enough: a copy also shares most of its words
    // (paraphrases do not). Raw vectors, not centred ones: a campaign large enough moves the corpus
    // mean toward itself.
    let raw = Points {
        data: &emb.vectors,
        dim: emb.dim,
    };
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let word_sets: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| {
            let mut set: Vec<u32> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let next = vocabulary.len() as u32;
                    *vocabulary.entry(ingest::fold(w)).or_insert(next)
                })
                .collect();
            set.sort_unstable();
            set.dedup();
            set
        })
        .collect();
    // Up to 20,000 testimonies the whole corpus is searched (a campaign may straddle two themes);
    // above, each theme of a first clustering (a search across a million texts made of frequent
    // words would be quadratic).
    let all_ones = vec![1.0f32; distinct.len()];
    let first =
        (distinct.len() > 20_000).then(|| cluster::cluster(&points, &all_ones, &cluster_options));
    let groups = first
        .as_ref()
        .map_or_else(|| vec![0; distinct.len()], |c| c.labels.clone());
    let near = cluster::near_duplicates(
        &raw,
        &groups,
        &word_sets,
        NEAR_DUPLICATE_COSINE,
        NEAR_DUPLICATE_WORDS,
        NEAR_DUPLICATE_MIN_WORDS,
    );
    let weights: Vec<f32> = near
        .iter()
        .map(|o| if o.is_some() { 0.0 } else { 1.0 })
        .collect();
    let mut clustering = match first {
        Some(first) if !near.iter().any(Option::is_some) => first,
        _ => cluster::cluster(&points, &weights, &cluster_options),
    };
    for (d, original) in near.iter().enumerate() {
        if let Some(o) = *original {
            let theme = clustering.labels[o];
            clustering.labels[d] = theme;
            clustering.similarity[d] = cluster::dot(points.row(d), clustering.centroid(theme));
            clustering.weak[d] = clustering.weak[o];
        }
    }
    let k = clustering.themes();
    let projection = cluster::project_2d(&centered, emb.dim);
    timings.cluster_s = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let prototypes = map::prototypes(&mut embedder, &taxonomy)?;
    let categories = prototypes.len();
    let centred = map::Prototypes {
        dim: emb.dim,
        vectors: cluster::center(&prototypes.vectors, emb.dim, &mean),
    };
    // How close each testimony comes to any category's description, beyond the average testimony.
    let relevance = map::relevance(&centered, emb.dim, &centred);
    let label_free = if config.zero_shot {
        map::map_zero_shot(&emb.vectors, emb.dim, &prototypes)
    } else {
        map::map_label_free(&centered, emb.dim, &centred, &map::MapOptions::default())
    };
    let mut few_shot_record = serde_json::Value::Null;
    let mapping = match &config.labels {
        None => label_free,
        Some(path) => {
            let tags = read_tags(path, &corpus, &statuses, &distinct, &taxonomy)?;
            let options = map::MapOptions::default();
            let ids: Vec<&str> = taxonomy.ids();
            let gold: Vec<&str> = tags.pairs.iter().map(|&(_, k)| ids[k]).collect();
            let label_free_pred: Vec<&str> = tags
                .pairs
                .iter()
                .map(|&(d, _)| ids[label_free.best[d]])
                .collect();
            let cv = map::cross_validate(&centered, emb.dim, &label_free, &tags.pairs, 5, &options);
            let mut counts = serde_json::Map::new();
            for (k, id) in ids.iter().enumerate() {
                counts.insert(
                    id.to_string(),
                    tags.pairs.iter().filter(|p| p.1 == k).count().into(),
                );
            }
            let rarest = (0..ids.len())
                .map(|k| tags.pairs.iter().filter(|p| p.1 == k).count())
                .min()
                .unwrap_or(0);
            few_shot_record = serde_json::json!({
                "labels": path,
                "tagged": tags.pairs.len(),
                "tagged_none_ignored": tags.none,
                "per_category": counts,
                "tag_weight": map::TAG_WEIGHT,
                "fewest_tags_in_a_category": rarest,
                "label_free_agreement_on_tags": {
                    "accuracy": gold.iter().zip(&label_free_pred).filter(|(a, b)| a == b).count() as f64 / gold.len().max(1) as f64,
                    "macro_f1": crate::evaluate::macro_f1(&gold, &label_free_pred),
                },
                "cross_validated_agreement": cv.as_ref().map(|(accuracy, predicted)| {
                    let predicted: Vec<&str> = predicted.iter().map(|&k| ids[k]).collect();
                    serde_json::json!({"folds": 5, "accuracy": accuracy, "macro_f1": crate::evaluate::macro_f1(&gold, &predicted)})
                }),
            });
            match map::few_shot(&centered, emb.dim, &label_free, &tags.pairs, &options) {
                Some(m) => m,
                None => {
                    eprintln!(
                        "{}: some category has no tagged testimony: the label-free mapping is kept",
                        path.display()
                    );
                    label_free
                }
            }
        }
    };
    let scores = &mapping.probabilities;
    let best: Vec<(usize, f32)> = (0..distinct.len())
        .map(|d| (mapping.best[d], scores[d * categories + mapping.best[d]]))
        .collect();
    let fit = map::category_fit(&centered, emb.dim, &mapping.best, categories);
    let outside: Vec<bool> = relevance
        .iter()
        .map(|&r| r < config.none_threshold)
        .collect();
    timings.map_s = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let analyzer = FrenchAnalyzer::new();
    let keywords = describe::keywords(
        &analyzer,
        &texts,
        &clustering.labels,
        &weights,
        k,
        &KeywordOptions {
            per_theme: config.keywords,
            ..KeywordOptions::default()
        },
    );
    // Row index -> distinct index, for duplicates and sizes.
    let mut distinct_of = vec![None; corpus.len()];
    for (d, &row) in distinct.iter().enumerate() {
        distinct_of[row] = Some(d);
    }
    for (row, status) in statuses.iter().enumerate() {
        if let RowStatus::DuplicateOf(first) = status {
            distinct_of[row] = distinct_of[*first];
        }
    }
    let assigned = distinct_of.iter().filter(|d| d.is_some()).count();
    let distinct_index: HashMap<usize, usize> =
        distinct.iter().enumerate().map(|(d, &r)| (r, d)).collect();
    let pseudonymiser = crate::privacy::Pseudonymiser::new();
    let mut replaced = 0usize;
    let mut publish = |text: String| -> String {
        if !config.pseudonymise {
            return text;
        }
        match pseudonymiser.apply(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(safe) => {
                replaced += 1;
                safe
            }
        }
    };
    let titles = describe::distinct_titles(&keywords);
    let mut theme_rows = Vec::with_capacity(k);
    for theme in 0..k {
        let members: Vec<usize> = (0..distinct.len())
            .filter(|&d| clustering.labels[d] == theme)
            .collect();
        let size = distinct_of
            .iter()
            .filter(|d| d.is_some_and(|d| clustering.labels[d] == theme))
            .count();
        let firm: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&d| !clustering.weak[d] && near[d].is_none())
            .collect();
        // Quotes never repeat a near-duplicate; weakly attached testimonies only when needed.
        let originals: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&d| near[d].is_none())
            .collect();
        let pool = if firm.len() >= config.quotes {
            &firm
        } else {
            &originals
        };
        let picked = describe::select_quotes(
            pool,
            clustering.centroid(theme),
            |d| points.row(d),
            config.quotes,
            0.3,
        );
        // Theme category: the best mean score over its testimonies.
        let mut mean = vec![0f32; categories];
        for &d in &members {
            for (m, s) in mean
                .iter_mut()
                .zip(&scores[d * categories..(d + 1) * categories])
            {
                *m += s / members.len() as f32;
            }
        }
        let (pillar, pillar_score) = map::best(&mean, categories)[0];
        let purity = members.iter().filter(|&&d| best[d].0 == pillar).count() as f32
            / members.len().max(1) as f32;
        theme_rows.push(ThemeRow {
            theme_id: theme as u32,
            title: titles[theme].clone(),
            size: size as u32,
            share: size as f64 / assigned as f64,
            pillar: taxonomy.categories[pillar].id.clone(),
            pillar_score,
            pillar_purity: purity,
            keywords: keywords[theme]
                .iter()
                .map(|k| publish(k.text.clone()))
                .collect(),
            quotes: picked
                .iter()
                .map(|&d| {
                    publish(describe::trim_quote(
                        &corpus.texts[distinct[d]],
                        config.quote_chars,
                    ))
                })
                .collect(),
            quote_ids: picked
                .iter()
                .map(|&d| corpus.ids[distinct[d]].clone())
                .collect(),
        });
    }
    timings.describe_s = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let per_row = |f: &dyn Fn(usize) -> f32| -> Vec<Option<f32>> {
        distinct_of.iter().map(|d| d.map(f)).collect()
    };
    let table = AssignmentTable {
        ids: &corpus.ids,
        theme_id: distinct_of
            .iter()
            .map(|d| d.map(|d| clustering.labels[d] as u32))
            .collect(),
        theme_similarity: per_row(&|d| clustering.similarity[d]),
        weakly_attached: distinct_of
            .iter()
            .map(|d| d.map(|d| clustering.weak[d]))
            .collect(),
        pillar: distinct_of
            .iter()
            .map(|d| {
                d.map(|d| match outside[d] {
                    true => "none".to_string(),
                    false => taxonomy.categories[best[d].0].id.clone(),
                })
            })
            .collect(),
        pillars_secondary: distinct_of
            .iter()
            .map(|d| {
                d.and_then(|d| map::secondary(&mapping, d))
                    .map(|k| taxonomy.categories[k].id.clone())
            })
            .collect(),
        pillar_fit: per_row(&|d| fit[d]),
        taxonomy_relevance: per_row(&|d| relevance[d]),
        language: distinct_of
            .iter()
            .map(|d| d.map(|d| detect_language(texts[d]).to_string()))
            .collect(),
        map_x: per_row(&|d| projection[d][0]),
        map_y: per_row(&|d| projection[d][1]),
        pillar_score: per_row(&|d| best[d].1),
        pillar_margin: per_row(&|d| mapping.margin[d]),
        category_scores: taxonomy
            .categories
            .iter()
            .enumerate()
            .map(|(c, cat)| (cat.id.clone(), per_row(&|d| scores[d * categories + c])))
            .collect(),
        status: statuses
            .iter()
            .enumerate()
            .map(|(row, s)| match s {
                RowStatus::Ok => match distinct_index.get(&row).and_then(|&d| near[d]) {
                    Some(o) => format!("near_duplicate_of:{}", corpus.ids[distinct[o]]),
                    None => "ok".to_string(),
                },
                RowStatus::Empty => "empty".to_string(),
                RowStatus::DuplicateOf(j) => format!("duplicate_of:{}", corpus.ids[*j]),
                RowStatus::NoWords => "rejected:no_words".to_string(),
            })
            .collect(),
        passthrough: &corpus.passthrough,
    };
    std::fs::create_dir_all(&config.out)
        .with_context(|| format!("cannot create output directory {}", config.out.display()))?;
    table::write_themes(&config.out, &theme_rows, config.csv)?;
    table::write_assignments(&config.out, &table, config.csv)?;
    timings.write_s = clock.elapsed().as_secs_f64();
    timings.finished_at = utc_now();
    timings.peak_memory_mib = peak_rss_mib();

    let empty = statuses.iter().filter(|s| **s == RowStatus::Empty).count();
    let no_words = statuses
        .iter()
        .filter(|s| **s == RowStatus::NoWords)
        .count();
    let mut languages: std::collections::BTreeMap<String, usize> = Default::default();
    for l in table.language.iter().flatten() {
        *languages.entry(l.clone()).or_default() += 1;
    }
    let duplicates = statuses
        .iter()
        .filter(|s| matches!(s, RowStatus::DuplicateOf(_)))
        .count();
    let mut rejected_by_reason = HashMap::new();
    if empty > 0 {
        rejected_by_reason.insert("empty".to_string(), empty);
    }
    if no_words > 0 {
        rejected_by_reason.insert("no_words".to_string(), no_words);
    }
    let run_json = serde_json::json!({
        "input": input_record(&corpus),
        "rows": RowCounts {
            read: corpus.len(),
            embedded: distinct.len(),
            assigned,
            weakly_attached: distinct_of.iter().filter(|d| d.is_some_and(|d| clustering.weak[d])).count(),
            duplicates,
            near_duplicates: near.iter().filter(|o| o.is_some()).count(),
            rejected: empty + no_words,
            rejected_by_reason,
            languages,
        },
        "model": loaded.info,
        "embeddings": embeddings_record,
        "parameters": {
            "seed": config.seed,
            "themes": config.themes,
            "min_theme_size": clustering.min_size,
            "quotes": config.quotes,
            "keywords": config.keywords,
            "quote_chars": config.quote_chars,
            "taxonomy": taxonomy.source,
            "pseudonymise": config.pseudonymise,
            "csv": {"separator": (config.csv.separator as char).to_string(), "bom": config.csv.bom},
        },
        "taxonomy": taxonomy.categories,
        "privacy": {"pseudonymised": config.pseudonymise, "quotes_or_keywords_changed": replaced},
        "few_shot": few_shot_record,
        "mapping": {
            "method": if config.zero_shot { "zero-shot: raw cosine to the category prototypes, argmax" } else { "label-free: centred cosine, standardised per category, self-trained shrunk LDA" },
            "self_training_rounds": mapping.rounds,
            "scores": if config.zero_shot { "cosine" } else { "probability" },
            "none_threshold": config.none_threshold,
            "none": distinct_of.iter().filter(|d| d.is_some_and(|d| outside[d])).count(),
        },
        "clustering": {
            "method": "spherical k-means micro-clusters, Ward agglomeration, silhouette-chosen cut, Lloyd polish",
            "micro_clusters": clustering.micro_clusters,
            "themes": k,
            "silhouette_by_themes": clustering.silhouettes.iter().map(|(k, s)| serde_json::json!({"themes": k, "silhouette": s})).collect::<Vec<_>>(),
        },
        "versions": {
            "verbatim": env!("CARGO_PKG_VERSION"),
        },
        "timings": timings,
    });
    table::write_atomically(&config.out.join("run.json"), |f| {
        use std::io::Write;
        f.write_all(serde_json::to_string_pretty(&run_json)?.as_bytes())?;
        Ok(())
    })?;
    Ok(RunSummary {
        rows: corpus.len(),
        themes: k,
        out: config.out.clone(),
    })
}

/// Tagged testimonies as (distinct row, category) pairs.
struct Tags {
    pairs: Vec<(usize, usize)>,
    /// Tags saying "none" (outside the taxonomy), not used for training yet.
    none: usize,
}

/// Reads a tagging file (an id column and a category column, same reading rules as the input) and
/// matches its ids to the input and its labels to category ids or names, without case or accents.
fn read_tags(
    path: &Path,
    corpus: &Corpus,
    statuses: &[RowStatus],
    distinct: &[usize],
    taxonomy: &Taxonomy,
) -> Result<Tags> {
    let tagged = ingest::read(path, &ReadOptions::default())?;
    if tagged.id_column.is_none() {
        anyhow::bail!(
            "{}: the tagging file needs an \"id\" column matching the input's ids",
            path.display()
        );
    }
    let row_of: HashMap<&str, usize> = corpus
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut distinct_of: HashMap<usize, usize> =
        distinct.iter().enumerate().map(|(d, &r)| (r, d)).collect();
    for (r, s) in statuses.iter().enumerate() {
        if let RowStatus::DuplicateOf(first) = s {
            if let Some(&d) = distinct_of.get(first) {
                distinct_of.insert(r, d);
            }
        }
    }
    let category_of = |label: &str| -> Option<usize> {
        let f = ingest::fold(label.trim());
        taxonomy
            .categories
            .iter()
            .position(|c| ingest::fold(&c.id) == f || ingest::fold(&c.name) == f)
    };
    let (mut pairs, mut none, mut unknown, mut missing) = (Vec::new(), 0, Vec::new(), Vec::new());
    for (id, label) in tagged.ids.iter().zip(&tagged.texts) {
        if ingest::fold(label.trim()) == "none" {
            none += 1;
            continue;
        }
        let Some(k) = category_of(label) else {
            if !unknown.contains(label) {
                unknown.push(label.clone());
            }
            continue;
        };
        match row_of.get(id.as_str()) {
            None => missing.push(id.clone()),
            Some(r) => {
                if let Some(&d) = distinct_of.get(r) {
                    pairs.push((d, k));
                }
            }
        }
    }
    if !unknown.is_empty() {
        anyhow::bail!(
            "{}: labels {:?} are neither category ids nor names of the taxonomy ({})",
            path.display(),
            unknown,
            taxonomy.ids().join(", ")
        );
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "{}: {} tagged ids are not in the input, e.g. {:?}",
            path.display(),
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    }
    Ok(Tags { pairs, none })
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days; no calendar crate needed).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The vectors of the distinct rows read from `config.embeddings`, and their provenance.
fn external_embeddings(
    config: &RunConfig,
    corpus: &Corpus,
    distinct: &[usize],
    loaded: &model::LoadedModel,
) -> Result<(crate::embed::Embeddings, serde_json::Value)> {
    let mut tables = Vec::new();
    let mut files = Vec::new();
    for path in &config.embeddings {
        let table = table::read_embeddings(path)?;
        files.push(serde_json::json!({
            "path": path,
            "rows": table.ids.len(),
            "sha256": model::sha256_file(path)?,
            "model_sha256": table.model_sha256,
        }));
        tables.push((path.display().to_string(), table));
    }
    let needed: Vec<&str> = distinct.iter().map(|&i| corpus.ids[i].as_str()).collect();
    let known: std::collections::HashSet<&str> = corpus.ids.iter().map(String::as_str).collect();
    let emb = crate::embed::from_tables(
        &tables,
        &needed,
        &known,
        loaded.info.dim,
        &loaded.info.sha256,
    )?;
    eprintln!(
        "read the vectors of {} distinct texts from {} embeddings files",
        emb.len(),
        tables.len()
    );
    let record = serde_json::json!({"source": "files", "dim": emb.dim, "files": files});
    Ok((emb, record))
}

fn input_record(corpus: &Corpus) -> serde_json::Value {
    serde_json::json!({
        "path": corpus.path,
        "sha256": corpus.sha256,
        "format": corpus.format,
        "encoding": corpus.encoding,
        "delimiter": corpus.delimiter.map(|d| d.to_string()),
        "text_column": corpus.text_column,
        "id_column": corpus.id_column,
    })
}

/// The output files a run writes, for tests and the report.
pub const OUTPUT_FILES: [&str; 5] = [
    "themes.parquet",
    "themes.csv",
    "assignments.parquet",
    "assignments.csv",
    "run.json",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_flag_empty_and_duplicates_of_the_first_occurrence() {
        let texts: Vec<String> = [
            "Trop de paperasse",
            "  ",
            "Trop  de paperasse ",
            "",
            "Autre chose",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            row_statuses(&texts),
            [
                RowStatus::Ok,
                RowStatus::Empty,
                RowStatus::DuplicateOf(0),
                RowStatus::Empty,
                RowStatus::Ok
            ]
        );
    }
}
