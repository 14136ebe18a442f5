//! The run record: everything `verbatim run` did, written once as `run.json` and read back, typed,
//! by `report` and `evaluate`. One struct per section, in the order the file shows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::model::ModelInfo;
use crate::taxonomy::Category;

/// The output files a run writes, for tests and the report; run.json last (it seals the others).
pub const OUTPUT_FILES: [&str; 22] = [
    "themes.parquet",
    "themes.csv",
    "themes.xlsx",
    "assignments.parquet",
    "assignments.csv",
    "assignments.xlsx",
    "passages.parquet",
    "passages.csv",
    "passages.xlsx",
    "proposals.parquet",
    "proposals.csv",
    "proposals.xlsx",
    "changes.parquet",
    "changes.csv",
    "changes.xlsx",
    "campaigns.parquet",
    "campaigns.csv",
    "campaigns.xlsx",
    "cooccurrence.parquet",
    "cooccurrence.csv",
    "cooccurrence.xlsx",
    "run.json",
];

/// File name of the record inside a run's output directory.
pub const RUN_RECORD: &str = "run.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// Identifies this run: the evaluation and the report check that the files they read belong
    /// to it.
    #[serde(default)]
    pub run_id: String,
    /// sha256 of each table this run wrote: a report never mixes files of two runs.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    pub input: InputRecord,
    /// What was analysed: whole texts or passages, and why.
    #[serde(default)]
    pub unit: UnitRecord,
    pub rows: RowCounts,
    pub model: ModelInfo,
    pub embeddings: EmbeddingsRecord,
    pub parameters: Parameters,
    pub taxonomy: Vec<Category>,
    pub privacy: PrivacyRecord,
    pub few_shot: Option<FewShotRecord>,
    pub mapping: MappingRecord,
    pub clustering: ClusteringRecord,
    pub versions: Versions,
    pub timings: Timings,
    /// The analyst's edits as replayed, and the run whose theme keys this one continues.
    #[serde(default)]
    pub edits: crate::stages::curate::EditsRecord,
    /// Breakdowns by contributor (`--by`), categories raised together, campaigns, saturation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_says_what: Option<crate::who::WhoRecord>,
}

/// The unit of analysis.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnitRecord {
    /// `text` or `passage`.
    pub unit: String,
    pub reason: String,
    /// Passages cut from the texts (passage mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passages: Option<usize>,
    /// The rule that lists the categories a document raises (passage mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pillars_rule: Option<String>,
    /// Documents (input rows) by status, in passage mode (`rows` then counts passages).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub documents_by_status: BTreeMap<String, usize>,
}

/// Where the testimonies came from and how they were read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputRecord {
    #[serde(with = "crate::paths::lossy")]
    pub path: PathBuf,
    /// The path is not valid UTF-8: `path` shows it with U+FFFD in place of the bad bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub path_not_utf8: bool,
    pub sha256: String,
    pub format: crate::stages::read::ingest::InputFormat,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub text_column: String,
    pub id_column: Option<String>,
}

/// What happened to the input rows: every row is counted once as assigned or rejected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RowCounts {
    pub read: usize,
    pub embedded: usize,
    pub assigned: usize,
    pub weakly_attached: usize,
    pub duplicates: usize,
    pub near_duplicates: usize,
    pub rejected: usize,
    pub rejected_by_reason: BTreeMap<String, usize>,
    /// Rows the analyst dropped (`[[drop]]`), by reason.
    #[serde(default)]
    pub dropped_by_reason: BTreeMap<String, usize>,
    /// Guessed language of the embedded rows (other languages are processed, and flagged).
    pub languages: BTreeMap<String, usize>,
}

/// Where the vectors came from: the model here, or files computed elsewhere.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum EmbeddingsRecord {
    Model {
        engine: String,
        /// Model windows embedded (a long text takes several).
        windows: u64,
        /// Texts longer than one window.
        long_texts: usize,
    },
    Files {
        dim: usize,
        files: Vec<EmbeddingsFile>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbeddingsFile {
    #[serde(with = "crate::paths::lossy")]
    pub path: PathBuf,
    pub rows: usize,
    pub sha256: String,
    pub model_sha256: Option<String>,
}

/// The parameters that, with the input and the model, determine the outputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parameters {
    pub seed: u64,
    pub themes: Option<usize>,
    pub min_theme_size: usize,
    pub quotes: usize,
    pub keywords: usize,
    pub quote_chars: usize,
    pub taxonomy: String,
    pub pseudonymise: bool,
    pub csv: CsvRecord,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CsvRecord {
    pub separator: String,
    pub bom: bool,
    #[serde(default)]
    pub decimal_comma: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrivacyRecord {
    pub pseudonymised: bool,
    /// Quotes and keywords in which personal data was replaced.
    pub quotes_or_keywords_changed: usize,
}

/// The manual tags a few-shot run learned from, and how well the label-free mapping agreed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FewShotRecord {
    #[serde(with = "crate::paths::lossy")]
    pub labels: PathBuf,
    pub tagged: usize,
    pub tagged_none_ignored: usize,
    pub per_category: BTreeMap<String, usize>,
    pub tag_weight: usize,
    pub fewest_tags_in_a_category: usize,
    pub label_free_agreement_on_tags: Agreement,
    pub cross_validated_agreement: Option<CrossValidated>,
    /// With a `verbatim sample` sheet (a `part` column): what its two parts measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleAgreement>,
}

/// What the tags of a `verbatim sample` sheet measure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleAgreement {
    /// Cross-validated agreement with the tags of the chosen part. They were picked where the
    /// mapping is least sure: a floor, not the corpus's accuracy.
    pub chosen: Option<Proportion>,
    /// Accuracy of the delivered category (few-shot, out of fold; `none` counts) on the random
    /// part alone: an unbiased estimate for the whole corpus, with its interval.
    pub random: Option<Proportion>,
    /// Rows of the sheet left without a tag.
    pub untagged: usize,
}

/// `correct` of `tagged`, with the Wilson 95% interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Proportion {
    pub correct: usize,
    pub tagged: usize,
    pub accuracy: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Agreement {
    pub accuracy: f64,
    pub macro_f1: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct CrossValidated {
    pub folds: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MappingRecord {
    pub method: String,
    pub self_training_rounds: usize,
    /// What the score columns hold: "probability" (label-free, few-shot) or "cosine" (zero-shot).
    pub scores: String,
    /// The relevance under which a text went to `none`, as resolved on this corpus.
    pub none_threshold: f32,
    /// How it was set: "auto" (read from the corpus's relevance) or "fixed" (--none-threshold).
    pub none_rule: String,
    /// Rows sent to `none`, outside the taxonomy.
    pub none: usize,
    /// The self-training's drift check (label-free): descriptions still in place, agreement with
    /// the zero-shot's clearest rows, and the round undone when it drifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_training_check: Option<crate::stages::categories::drift::SelfCheck>,
    /// Why another method than the requested one was used (too few texts), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusteringRecord {
    pub method: String,
    /// `within categories` (each category's testimonies clustered apart) or `across categories`.
    #[serde(default)]
    pub scope: String,
    pub micro_clusters: usize,
    pub themes: usize,
    pub silhouette_by_themes: Vec<SilhouetteRecord>,
    /// Within categories: each category's clustering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_category: Vec<CategoryClusteringRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CategoryClusteringRecord {
    /// Category id, or `none`.
    pub category: String,
    pub texts: usize,
    pub themes: usize,
    pub silhouette_by_themes: Vec<SilhouetteRecord>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SilhouetteRecord {
    pub themes: usize,
    pub silhouette: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Versions {
    pub verbatim: String,
}

impl Default for Versions {
    fn default() -> Self {
        Self {
            verbatim: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Seconds per stage, when the run finished, and its peak memory.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    /// When the run finished (UTC), for the report's methods section.
    pub finished_at: String,
    pub ingest_s: f64,
    pub model_load_s: f64,
    pub embed_s: f64,
    pub cluster_s: f64,
    pub describe_s: f64,
    pub map_s: f64,
    pub write_s: f64,
    /// Breakdowns, co-occurrence and saturation (`who_says_what`).
    #[serde(default)]
    pub who_s: f64,
    /// Peak resident memory of the process, for the scale curve in METHODS.md.
    pub peak_memory_mib: Option<f64>,
}

impl RunRecord {
    /// Reads `run.json` from a run's output directory.
    pub fn read(dir: &Path) -> Result<Self> {
        read_json(&dir.join(RUN_RECORD), dir)
    }

    /// Writes `run.json` into `dir` (atomically).
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join(RUN_RECORD), self)
    }

    /// Records the digest of each of `files` in `dir`, as this run wrote them.
    pub fn seal(&mut self, dir: &Path, files: &[&str]) -> Result<()> {
        for name in files {
            let path = dir.join(name);
            if path.exists() {
                let sum = crate::digest::sha256_file(&path)?;
                self.outputs.insert(name.to_string(), sum);
            }
        }
        Ok(())
    }

    /// Checks that `name` in `dir` is the file this run wrote. A run from before the digests were
    /// recorded (no digest at all) passes, and so does a file that is not one of a run's tables (a
    /// predictions file of another source); a table of the run that the seal does not name is
    /// refused.
    pub fn check_output(&self, dir: &Path, name: &str) -> Result<()> {
        if self.outputs.is_empty() || !Self::sealed().contains(&name) {
            return Ok(());
        }
        let Some(expected) = self.outputs.get(name) else {
            anyhow::bail!(
                "{}: run {} did not write {name} (its run.json seals {}): rerun `verbatim run` into this folder",
                dir.display(),
                self.run_id,
                self.outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        };
        let path = dir.join(name);
        let found = crate::digest::sha256_file(&path)?;
        if &found != expected {
            anyhow::bail!(
                "{} is not the file run {} wrote (another run, or an edit, changed it since): rerun `verbatim run` into this folder",
                path.display(),
                self.run_id
            );
        }
        Ok(())
    }
}

/// A command's hold on an output folder for its whole life: a second `verbatim run` (or
/// `report`, `evaluate`) into the same folder stops at once with a message, rather than mixing its
/// tables with the first one's. The lock is the operating system's (released when the process
/// ends, even killed), on a hidden file that stays in the folder.
pub struct OutputLock {
    file: Option<std::fs::File>,
    /// The folder, when this lock created it: a command that fails before writing anything
    /// leaves no folder behind (the lock file alone is removed with it).
    created: Option<std::path::PathBuf>,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let Some(dir) = &self.created else {
            return;
        };
        let only_the_lock = std::fs::read_dir(dir)
            .is_ok_and(|entries| entries.flatten().all(|e| e.file_name() == LOCK_FILE));
        if only_the_lock {
            std::fs::remove_file(dir.join(LOCK_FILE)).ok();
            drop(self.file.take());
            std::fs::remove_dir(dir).ok();
        }
    }
}

/// The lock file inside an output folder.
pub const LOCK_FILE: &str = ".verbatim.lock";

impl OutputLock {
    /// Creates `dir` if needed and takes its lock, or says who holds it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        use std::io::{Read, Seek, Write};
        let created = (!dir.exists()).then(|| dir.to_path_buf());
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create output directory {}", dir.display()))?;
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.read_to_string(&mut holder).ok();
                anyhow::bail!(
                    "{}: another verbatim command is writing into this folder ({}); wait for it to finish, or give this one another --out",
                    dir.display(),
                    holder.trim()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "process {} since {}", std::process::id(), utc_now())?;
        Ok(Self {
            file: Some(file),
            created,
        })
    }
}

/// A fresh run id: when, where and which process, hashed (never the same twice on one machine).
pub fn new_run_id(out: &Path) -> String {
    use sha2::{Digest, Sha256};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{now}\0{}\0{}", std::process::id(), out.display());
    crate::digest::hex(&Sha256::digest(seed.as_bytes()))[..16].to_string()
}

impl RunRecord {
    /// The tables whose digests a run records: every output file but run.json itself.
    pub fn sealed() -> &'static [&'static str] {
        &OUTPUT_FILES[..OUTPUT_FILES.len() - 1]
    }
}

/// Reads one of our own JSON files, saying which run directory it was expected in.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, dir: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}: is {} the output of `verbatim run`?",
            path.display(),
            dir.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a record this version of verbatim wrote (rerun `verbatim run`)",
            path.display()
        )
    })
}

/// Writes a value as pretty JSON, atomically.
/// Writes one of our own JSON files, after checking that it reads back: serde_json writes a NaN
/// as `null`, which a number field then refuses, so a figure that cannot be computed must be an
/// `Option` (`null` read as "none") rather than a NaN that would break the report later.
pub fn write_json<T: Serialize + serde::de::DeserializeOwned>(
    path: &Path,
    value: &T,
) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    if let Err(e) = serde_json::from_str::<T>(&text) {
        anyhow::bail!(
            "{} would not read back ({e}): a figure of this run could not be computed; please report it",
            path.display()
        );
    }
    crate::stages::write::table::write_atomically(path, |f| {
        use std::io::Write;
        f.write_all(text.as_bytes())?;
        Ok(())
    })
}

/// Peak resident memory of this process so far, in MiB (Linux; `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    utc_from_unix(secs)
}

/// A Unix time as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days; no calendar crate needed).
fn utc_from_unix(secs: i64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_unix_time() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn embeddings_record_is_tagged_by_source() {
        let model = EmbeddingsRecord::Model {
            engine: "e".into(),
            windows: 3,
            long_texts: 1,
        };
        let json = serde_json::to_value(&model).unwrap();
        assert_eq!(json["source"], "model");
        assert_eq!(json["windows"], 3);
        let back: EmbeddingsRecord = serde_json::from_value(json).unwrap();
        assert!(matches!(back, EmbeddingsRecord::Model { windows: 3, .. }));
    }
}
