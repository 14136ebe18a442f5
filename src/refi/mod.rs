//! REFI-QDA, the exchange standard of qualitative-analysis suites (NVivo, ATLAS.ti, MAXQDA,
//! QualCoder, Taguette): `export` writes a run as a project (`.qdpx`: `project.qde` and the
//! sources' texts) or a codebook (`.qdc`); `import` reads the codings another tool made as a
//! manual tagging, for `evaluate --gold` and `run --labels`.
//!
//! The code tree verbatim writes: one code per category (`p1 — Transformer les métiers…`, its
//! colour from the report, its description from the taxonomy), each theme a code under its
//! category (`4 · Dépassements d'honoraires`, its keywords as description), and a code `kind`
//! (not codable) over `proposition`, `experience` and `constat`.

pub mod export;
pub mod import;

use sha2::{Digest, Sha256};

/// The project schema's namespace (Project-mrt2019.xsd).
pub const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";
/// The codebook's.
pub const CODEBOOK_NS: &str = "urn:QDA-XML:codebook:1.0";

/// The code over the three kinds of sentence.
pub const KIND_CODE: &str = "kind";

/// A GUID (8-4-4-4-12 hex) derived from the run and what it names: the same run exports the
/// same file, and a re-export keeps every code's and source's identity.
pub fn guid(run_id: &str, what: &str) -> String {
    let d = Sha256::digest(format!("{run_id}\u{1f}{what}").as_bytes());
    let h: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Whether a path names a REFI-QDA project.
pub fn is_project(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("qdpx"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_have_the_schema_shape_and_are_stable() {
        let g = guid("run", "code:p1");
        let parts: Vec<usize> = g.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
        assert_eq!(g, guid("run", "code:p1"));
        assert_ne!(g, guid("run", "code:p2"));
    }
}
