//! `verbatim run`, one function per stage, each taking the previous stages' typed values:
//! read and prepare → passages (long texts) → load the model → embed → categories (the taxonomy
//! mapping) → themes (near-duplicates, clustering within each category) → curate (theme keys, the
//! analyst's edits) → describe (keywords, titles, quotes) → write the tables and the record.
//! Data flows one way.

use crate::stages::categories::{stage as categories, tags};
use crate::stages::curate::stage as curate;
use crate::stages::describe::stage as describe;
use crate::stages::embed::stage as embedding;
use crate::stages::passages::stage as units;
use crate::stages::read::stage as prepare;
use crate::stages::themes::stage as themes;
use crate::stages::write::stage as write;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::model::ModelRequest;
use crate::stages::categories::mapping::MapOptions;
use crate::stages::describe::keywords::DescribeOptions;
use crate::stages::read::ingest::ReadOptions;
use crate::stages::themes::cluster::ClusterOptions;
use crate::stages::themes::near_duplicates::NearDuplicateOptions;
use crate::stages::write::csv::CsvStyle;
use crate::stages::write::record::{RunRecord, Timings};

pub use crate::stages::categories::stage::Categories;
pub use crate::stages::describe::stage::Described;
pub use crate::stages::embed::stage::Embedded;
pub use crate::stages::passages::aggregate::PillarsRule;
pub use crate::stages::passages::stage::UnitChoice;
pub use crate::stages::read::stage::{Prepared, RowStatus, row_statuses};
pub use crate::stages::themes::stage::{ThemeScope, Themes};

/// Everything `verbatim run` needs, nested by stage; each stage's defaults live in its own
/// `Default`, which the command line reads too.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub input: PathBuf,
    pub out: PathBuf,
    pub read: ReadOptions,
    /// Whole texts or passages (`--unit`).
    pub unit: UnitChoice,
    pub passages: crate::stages::passages::cut::PassageOptions,
    /// Which categories a document raises, in passage mode.
    pub pillars: PillarsRule,
    /// Categories as TOML; `None` for the four Ségur pillars.
    pub taxonomy: Option<PathBuf>,
    pub model: ModelRequest,
    pub vectors: VectorOptions,
    pub near_duplicates: NearDuplicateOptions,
    pub cluster: ClusterOptions,
    /// Themes within each category (default) or across the corpus.
    pub theme_scope: ThemeScope,
    pub map: MapOptions,
    /// Manually tagged testimonies (id, category) for few-shot mapping.
    pub labels: Option<PathBuf>,
    pub describe: DescribeOptions,
    pub output: OutputOptions,
    /// The ids of a manual tagging to evaluate the run against (`run --gold`): checked against
    /// the input's ids as soon as it is read, before any work.
    pub gold_ids: Option<(PathBuf, Vec<String>)>,
    /// The analyst's edits and the run whose theme keys this one continues.
    pub curate: crate::stages::curate::stage::CurateOptions,
    /// Breakdowns by contributor, campaigns.
    pub who: crate::who::WhoOptions,
}

/// Where the vectors come from.
#[derive(Debug, Clone)]
pub struct VectorOptions {
    /// Read and extend the embedding cache.
    pub use_cache: bool,
    /// Most bytes the embedding cache directory may hold.
    pub cache_max_bytes: u64,
    /// Draw progress bars (only shown on a terminal).
    pub progress: bool,
    /// Parquet files of vectors computed elsewhere (`verbatim embed --shard`, a GPU job): the
    /// model then embeds only the taxonomy.
    pub embeddings: Vec<PathBuf>,
}

impl Default for VectorOptions {
    fn default() -> Self {
        Self {
            use_cache: true,
            cache_max_bytes: crate::stages::embed::cache::gigabytes(
                crate::stages::embed::cache::DEFAULT_CACHE_MAX_GB,
            ),
            progress: true,
            embeddings: Vec::new(),
        }
    }
}

/// How the outputs are written.
#[derive(Debug, Clone, Copy)]
pub struct OutputOptions {
    pub csv: CsvStyle,
    /// Replace personal data in quotes and keywords with placeholders.
    pub pseudonymise: bool,
}

impl Default for OutputOptions {
    fn default() -> Self {
        Self {
            csv: CsvStyle::plain(),
            pseudonymise: true,
        }
    }
}

impl RunConfig {
    /// The defaults for one input and one output directory.
    pub fn new(input: PathBuf, out: PathBuf) -> Self {
        Self {
            input,
            out,
            read: ReadOptions::default(),
            unit: UnitChoice::default(),
            passages: Default::default(),
            pillars: PillarsRule::default(),
            taxonomy: None,
            model: ModelRequest::default(),
            vectors: VectorOptions::default(),
            near_duplicates: NearDuplicateOptions::default(),
            cluster: ClusterOptions::default(),
            theme_scope: ThemeScope::WithinCategories,
            map: MapOptions::default(),
            labels: None,
            describe: DescribeOptions::default(),
            output: OutputOptions::default(),
            gold_ids: None,
            curate: Default::default(),
            who: Default::default(),
        }
    }
}

/// A short summary for the command line.
pub struct RunSummary {
    pub rows: usize,
    /// Passages analysed, in passage mode.
    pub passages: Option<usize>,
    pub themes: usize,
    pub out: PathBuf,
}

pub use crate::stages::write::record::OUTPUT_FILES;

pub fn run(config: &RunConfig) -> Result<RunSummary> {
    let mut t = Timings::default();
    let input = timed(&mut t.ingest_s, "reading", || prepare::read(config))?;
    check_before_work(&input, config)?;
    // A malformed edits file stops the run here; the earlier run is read before its folder is
    // cleared.
    let mut plan = curate::plan(config)?;
    let units = timed(&mut t.ingest_s, "cutting passages", || {
        units::choose(&input, config.unit, &config.passages)
    });
    log::info!("unit of analysis: {} ({})", units.unit_name(), units.reason);
    let documents = units.documents(&input);
    curate::resolve_drops(&mut plan, units.corpus(&input), &documents, &input);
    let mut prepared = timed(&mut t.ingest_s, "sorting rows", || {
        prepare::prepare(units.corpus(&input), documents, config)
    })?;
    // A tagging file that would teach something wrong stops the run here, before any work.
    let tags = (config.labels.as_ref())
        .map(|path| tags::read(path, &prepared))
        .transpose()?;
    let (model, embedded, mut categories) =
        embed_and_map(&prepared, tags.as_ref(), config, &mut t)?;
    let starts = curate::earlier_starts(&plan, config, &prepared, &embedded, &categories);
    let mut themes = timed(&mut t.cluster_s, "near-duplicates and themes", || {
        themes::find(
            &prepared,
            &embedded,
            &mut categories,
            &config.near_duplicates,
            &config.cluster,
            config.theme_scope,
            starts.as_deref(),
        )
    });
    let (curation, edits) = timed(&mut t.cluster_s, "theme keys and edits", || {
        let (themes, categories) = (&mut themes, &mut categories);
        curate::curate(
            &plan,
            &input,
            &mut prepared,
            &embedded,
            themes,
            categories,
            config,
        )
    })?;
    let described = timed(&mut t.describe_s, "keywords, titles, quotes", || {
        describe::describe(
            &prepared,
            &embedded,
            &themes,
            &categories,
            &curation,
            config,
        )
    });
    let stages = write::Stages {
        input: &input,
        units: &units,
        prepared: &prepared,
        model: &model,
        embedded: &embedded,
        themes: &themes,
        categories: &categories,
        described: &described,
        curation: &curation,
        previous: plan.previous.as_ref(),
        written: write::Written::default(),
    };
    write_outputs(stages, config, t, edits)?;
    Ok(RunSummary {
        rows: input.len(),
        passages: units.passages.as_ref().map(|p| p.corpus.len()),
        themes: themes.clustering.themes(),
        out: config.out.clone(),
    })
}

/// What the input read can already refuse: a manual tagging of another file, a `--by` that
/// names no column.
fn check_before_work(
    input: &crate::stages::read::ingest::Corpus,
    config: &RunConfig,
) -> Result<()> {
    if let Some((gold, ids)) = &config.gold_ids {
        crate::evaluate::files::check_gold_ids(gold, ids, &input.ids)?;
    }
    crate::who::check_input(input, &config.who)
}

/// Loads the model, embeds the distinct texts and maps them onto the categories.
fn embed_and_map(
    prepared: &Prepared,
    tags: Option<&tags::Tags>,
    config: &RunConfig,
    t: &mut Timings,
) -> Result<(crate::model::LoadedModel, Embedded, Categories)> {
    let model = timed(&mut t.model_load_s, "loading the model", || {
        crate::model::load(&config.model)
    })?;
    let mut embedder = timed(&mut t.model_load_s, "opening the embedding cache", || {
        embedding::embedder(&model, &config.vectors)
    })?;
    // The embedder draws its own bar (windows done, rate, time left).
    let embedded = timed_without_spinner(&mut t.embed_s, "embedding", || {
        embedding::embed(prepared, &mut embedder, &model, &config.vectors)
    })?;
    let categories = timed(&mut t.map_s, "categories", || {
        categories::map(prepared, &embedded, &mut embedder, config, tags)
    })?;
    Ok((model, embedded, categories))
}

/// Writes the tables, then run.json sealing them.
fn write_outputs(
    mut stages: write::Stages,
    config: &RunConfig,
    mut t: Timings,
    edits: crate::stages::curate::EditsRecord,
) -> Result<()> {
    stages.written = timed(&mut t.write_s, "writing the tables", || {
        write::tables(&stages, config)
    })?;
    let campaigns = stages.written.campaigns.clone();
    let mut record = write::record(stages, config, t);
    record.edits = edits;
    record.seal(&config.out, RunRecord::sealed())?;
    let style = config.output.csv;
    let clock = Instant::now();
    let who = crate::who::analyse(&config.out, &record, &config.who, campaigns, style)?;
    record.timings.who_s = clock.elapsed().as_secs_f64();
    let files = who.files();
    record.seal(
        &config.out,
        &files.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    record.who_says_what = Some(who);
    record.write(&config.out)
}

/// Runs one stage under a spinner, adds its duration to `seconds` and logs it (`-v`).
fn timed<T>(seconds: &mut f64, name: &str, stage: impl FnOnce() -> T) -> T {
    let spinner = crate::progress::spinner(name);
    let out = timed_without_spinner(seconds, name, stage);
    spinner.finish_and_clear();
    out
}

/// [`timed`] for a stage that shows its own progress.
fn timed_without_spinner<T>(seconds: &mut f64, name: &str, stage: impl FnOnce() -> T) -> T {
    let clock = Instant::now();
    let out = stage();
    let elapsed = clock.elapsed().as_secs_f64();
    log::debug!("{name}: {elapsed:.2} s");
    *seconds += elapsed;
    out
}
