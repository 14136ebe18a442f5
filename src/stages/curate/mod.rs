//! Curation: the analyst's decisions replayed by every run. Themes get keys that later runs give
//! back to the themes continuing them (`keys`, from the earlier run read by `previous`); the edits
//! file (`edits`) is replayed on the automatic themes (`apply`); what changed since the earlier
//! run is listed (`changes`). Wired in `stage`.

pub mod apply;
pub mod changes;
pub mod edits;
pub mod from_sheets;
pub mod keys;
pub mod previous;
pub mod stage;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The themes as the analyst left them, beside the clustering the replay changed in place.
#[derive(Debug, Clone, Default)]
pub struct Curation {
    /// Each theme's key.
    pub keys: Vec<String>,
    /// Each analysed input row's automatic theme key, dropped rows included: later runs match
    /// their themes on it.
    pub draft_row_keys: Vec<Option<String>>,
    /// Titles given by hand.
    pub titles: Vec<Option<String>>,
    /// Operations that changed each theme.
    pub theme_edits: Vec<Vec<&'static str>>,
    /// Operations that changed each distinct text.
    pub text_edits: Vec<Vec<&'static str>>,
    /// Distinct texts shown first among each theme's quotes, in the file's order.
    pub pinned: Vec<Vec<usize>>,
    /// Distinct texts never quoted.
    pub hidden: Vec<bool>,
    pub operations: Vec<OperationRecord>,
}

/// run.json's `edits`: the file, each operation and what it did, and how keys were carried over.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EditsRecord {
    pub file: Option<PathBuf>,
    pub sha256: Option<String>,
    pub strict: bool,
    pub operations: Vec<OperationRecord>,
    /// Operations that applied in full.
    pub applied: usize,
    /// Operations of which some part no longer applies.
    pub stale: usize,
    /// The run whose theme keys this one continues.
    pub previous: Option<PathBuf>,
    pub previous_run_id: Option<String>,
    /// Themes that kept an earlier key, and themes given a new one.
    pub keys_continued: usize,
    pub keys_new: usize,
}

/// One operation of the edits file as replayed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OperationRecord {
    pub line: usize,
    pub operation: String,
    /// The theme keys or ids it names.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Input rows (or passages) it touched.
    pub rows: usize,
    /// Why parts of it no longer apply (an id or a theme that vanished).
    pub stale: Vec<String>,
}
