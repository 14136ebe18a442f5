//! Paths in our JSON files (run.json, evaluation.json, the model's record).

/// Paths in our JSON files: as text, lossily when a path is not valid UTF-8 (a Windows-1252 file
/// name on Linux), never an error that would lose the run's record.
pub mod lossy {
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&path.to_string_lossy())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Ok(PathBuf::from(String::deserialize(d)?))
    }
}
