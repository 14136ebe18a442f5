//! Who says what: breakdowns of the categories and themes by any attribute of the contributors
//! (`--by`), the categories raised together, campaigns, and saturation. Built from a run's
//! published tables ([`contributions`]), so that `run --by` and a later `report --by` give the
//! same figures; written as `by_<column>.*`, `by_<column>_themes.*`, `cooccurrence.*`, and the
//! `who_says_what` section of run.json. Campaigns are found by the run itself (it alone has the
//! texts and their copies) and published as `campaigns.*` and the assignments' `campaign` column.

pub mod campaigns;
pub mod contributions;
pub mod cooccurrence;
pub mod crosstab;
pub mod groups;
pub mod saturation;
pub mod stats;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

pub use contributions::{Contributions, CountMode};
use crosstab::{Columns, TableTest};
use groups::ByFile;

use crate::stages::write::csv::CsvStyle;
use crate::stages::write::record::RunRecord;
use crate::stages::write::table;

/// What `--by` and its companions ask for.
#[derive(Debug, Clone)]
pub struct WhoOptions {
    /// Columns to break the results down by (`--by`, repeatable).
    pub by: Vec<String>,
    /// A second file of attributes joined by id (`--by-file`).
    pub by_file: Option<PathBuf>,
    /// More distinct values than this is refused (`--by-max-groups`).
    pub max_groups: usize,
    /// Count campaigns' copies (`all`) or each campaign once (`distinct`).
    pub count: CountMode,
    /// Campaigns are groups of at least this many documents (`--campaign-min`).
    pub campaign_min: usize,
}

impl Default for WhoOptions {
    fn default() -> Self {
        Self {
            by: Vec::new(),
            by_file: None,
            max_groups: 50,
            count: CountMode::All,
            campaign_min: campaigns::DEFAULT_MIN,
        }
    }
}

/// run.json's `who_says_what`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WhoRecord {
    pub count: CountMode,
    /// Documents analysed (given a category or `none`), and as many once each campaign counts once.
    pub documents: usize,
    pub distinct_documents: usize,
    pub campaigns: CampaignsRecord,
    pub by: Vec<ByRecord>,
    /// `cooccurrence.*`: category pairs, and theme pairs from this many shared documents.
    pub cooccurrence_min_shared_themes: usize,
    pub saturation: saturation::Saturation,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CampaignsRecord {
    pub min_size: usize,
    pub campaigns: usize,
    /// Documents in a campaign, the originals included.
    pub documents: usize,
    /// The largest campaign's size.
    pub largest: usize,
}

/// One `--by` breakdown.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ByRecord {
    pub column: String,
    pub source: String,
    /// `by_<column>`: the files' stem.
    pub stem: String,
    /// Groups, largest first, with their documents.
    pub groups: Vec<GroupSize>,
    /// Groups under [`crosstab::SMALL_GROUP`] documents (kept in the tables, marked).
    pub small_groups: Vec<String>,
    /// Documents without a value (the group `(vide)`), and those absent from `--by-file`.
    pub empty: usize,
    pub unmatched: usize,
    pub categories: TableTest,
    pub themes: TableTest,
}

impl WhoRecord {
    /// The files [`analyse`] wrote, for the seal.
    pub fn files(&self) -> Vec<String> {
        let stems = (self.by.iter()).flat_map(|b| [b.stem.clone(), format!("{}_themes", b.stem)]);
        let stems = std::iter::once("cooccurrence".to_string()).chain(stems);
        stems
            .flat_map(|stem| ["parquet", "csv", "xlsx"].map(|x| format!("{stem}.{x}")))
            .collect()
    }
}

/// `report --by`: the breakdowns of the run in `dir` made anew (earlier `by_*` tables removed),
/// its run.json updated and sealed; the run's campaigns are kept.
pub fn reanalyse(dir: &Path, options: &WhoOptions) -> Result<()> {
    let mut run = RunRecord::read(dir)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if crate::stages::write::stage::is_breakdown(&name) {
            std::fs::remove_file(entry.path())?;
            run.outputs.remove(&name);
        }
    }
    let earlier = run.who_says_what.take().unwrap_or_default();
    // `report --count distinct` alone keeps the run's breakdowns, read the other way.
    let mut options = options.clone();
    if options.by.is_empty() {
        options.by = earlier.by.iter().map(|b| b.column.clone()).collect();
        let file = earlier
            .by
            .iter()
            .map(|b| b.source.as_str())
            .find(|s| *s != "assignments" && *s != groups::FOLDER);
        options.by_file = options.by_file.or(file.map(PathBuf::from));
    }
    let csv = &run.parameters.csv;
    let style = CsvStyle {
        separator: csv.separator.bytes().next().unwrap_or(b','),
        bom: csv.bom,
        decimal_comma: csv.decimal_comma,
        ..CsvStyle::plain()
    };
    let who = analyse(dir, &run, &options, earlier.campaigns, style)?;
    let files = who.files();
    run.seal(dir, &files.iter().map(String::as_str).collect::<Vec<_>>())?;
    run.who_says_what = Some(who);
    run.write(dir)
}

/// Checks, before any work, that each `--by` names a column of the input, of `--by-file`, or
/// `folder` for a folder of documents; reads `--by-file` to be sure it can be.
pub fn check_input(
    input: &crate::stages::read::ingest::Corpus,
    options: &WhoOptions,
) -> Result<()> {
    if options.by.is_empty() {
        return Ok(());
    }
    let by_file = (options.by_file.as_ref())
        .map(|p| ByFile::read(p, input.id_column.as_deref()))
        .transpose()?;
    let names: Vec<&str> = input.passthrough.iter().map(|c| c.name.as_str()).collect();
    let folder = input.format == crate::stages::read::ingest::InputFormat::Documents;
    groups::check_columns(&input.path, &names, folder, &options.by, by_file.as_ref())?;
    let c = Contributions::of_input(input);
    for column in &options.by {
        groups::grouping(&c, column, by_file.as_ref(), options.max_groups)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupSize {
    pub group: String,
    pub documents: usize,
}

/// The files' stem for a column: `by_` and its name folded to letters, digits and `_`.
pub fn stem(column: &str) -> String {
    let folded: String = (crate::text::fold(column).chars())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("by_{}", folded.trim_matches('_'))
}

/// Builds every table of the run in `dir` and returns the record; `campaigns` is what the run
/// found (a later report keeps the run's).
pub fn analyse(
    dir: &Path,
    run: &RunRecord,
    options: &WhoOptions,
    campaigns: CampaignsRecord,
    style: CsvStyle,
) -> Result<WhoRecord> {
    let c = Contributions::read(dir, run)?;
    let counted = c.counted(options.count);
    let by_file = (options.by_file.as_ref())
        .map(|p| ByFile::read(p, run.input.id_column.as_deref()))
        .transpose()?
        .map(|f| f.pseudonymised(run.parameters.pseudonymise));
    let members = Members::of(&c, &counted);
    let mut by = Vec::new();
    for column in &options.by {
        let file = by_file.as_ref();
        by.push(breakdown(dir, &c, &members, column, file, options, style)?);
    }
    let (theme_columns, theme_members) = (&members.theme_columns, &members.themes);
    let mut pairs = cooccurrence::pairs("category", &c.labels, &members.categories, 0);
    pairs.extend(cooccurrence::pairs(
        "theme",
        &theme_columns.ids,
        theme_members,
        cooccurrence::MIN_SHARED_THEME_DOCUMENTS,
    ));
    table::write_cooccurrence(dir, &pairs, style)?;
    let saturation = saturation::curve(
        theme_members,
        theme_columns.ids.len(),
        run.parameters.min_theme_size,
        run.parameters.seed,
    );
    Ok(WhoRecord {
        count: options.count,
        documents: c.counted(CountMode::All).len(),
        distinct_documents: c.counted(CountMode::Distinct).len(),
        campaigns,
        by,
        cooccurrence_min_shared_themes: cooccurrence::MIN_SHARED_THEME_DOCUMENTS,
        saturation,
    })
}

/// One `--by` column: both tables written, their record.
/// The counted documents, and what each raises: categories, themes (with the themes as columns).
struct Members {
    counted: Vec<usize>,
    categories: Vec<Vec<usize>>,
    theme_columns: Columns,
    themes: Vec<Vec<usize>>,
}

impl Members {
    fn of(c: &Contributions, counted: &[usize]) -> Self {
        let (theme_columns, themes) = theme_columns(c, counted);
        Self {
            counted: counted.to_vec(),
            categories: counted.iter().map(|&d| c.raised[d].clone()).collect(),
            theme_columns,
            themes,
        }
    }
}

fn breakdown(
    dir: &Path,
    c: &Contributions,
    m: &Members,
    column: &str,
    by_file: Option<&ByFile>,
    options: &WhoOptions,
    style: CsvStyle,
) -> Result<ByRecord> {
    let grouping = groups::grouping(c, column, by_file, options.max_groups)?;
    let (names, group_of) = groups::ordered(&grouping.values, &m.counted);
    let category_columns = Columns {
        ids: c.labels.clone(),
        categories: c.labels.clone(),
        theme_keys: vec![None; c.labels.len()],
    };
    let (cells, categories) =
        crosstab::crosstab(&names, &group_of, &category_columns, &m.categories);
    let stem = stem(column);
    table::write_breakdown(dir, &stem, &cells, false, style)?;
    let (cells, themes) = crosstab::crosstab(&names, &group_of, &m.theme_columns, &m.themes);
    table::write_breakdown(dir, &format!("{stem}_themes"), &cells, true, style)?;
    let sizes: Vec<GroupSize> = (names.iter().enumerate())
        .map(|(g, n)| GroupSize {
            group: n.clone(),
            documents: group_of.iter().filter(|&&x| x == g).count(),
        })
        .collect();
    Ok(ByRecord {
        column: column.to_string(),
        source: grouping.source,
        stem,
        small_groups: (sizes.iter())
            .filter(|g| g.documents < crosstab::SMALL_GROUP)
            .map(|g| g.group.clone())
            .collect(),
        empty: (sizes.iter())
            .find(|g| g.group == groups::EMPTY_GROUP)
            .map_or(0, |g| g.documents),
        groups: sizes,
        unmatched: grouping.unmatched,
        categories,
        themes,
    })
}

/// The themes as table columns (id order), and each counted document's theme indices.
fn theme_columns(c: &Contributions, counted: &[usize]) -> (Columns, Vec<Vec<usize>>) {
    let ids: Vec<u32> = c.theme_info.keys().copied().collect();
    let columns = Columns {
        ids: ids.iter().map(u32::to_string).collect(),
        categories: c.theme_info.values().map(|(_, cat)| cat.clone()).collect(),
        theme_keys: c
            .theme_info
            .values()
            .map(|(k, _)| Some(k.clone()))
            .collect(),
    };
    let members = (counted.iter())
        .map(|&d| {
            (c.themes[d].iter())
                .filter_map(|t| ids.binary_search(t).ok())
                .collect()
        })
        .collect();
    (columns, members)
}
