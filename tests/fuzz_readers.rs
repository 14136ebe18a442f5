//! Property test: the input readers never panic, whatever the bytes (CSV, JSON Lines, Parquet).

use proptest::prelude::*;
use verbatim::stages::read::ingest::{ReadOptions, read};

fn check(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    // Ok or a clear error; a panic fails the property.
    if let Err(e) = read(&path, &ReadOptions::default()) {
        assert!(
            format!("{e:#}").contains(name),
            "error does not name the file: {e:#}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn csv_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check("fuzz.csv", &bytes);
    }

    #[test]
    fn csv_like_text_never_panics(text in "[a-zé;,\t\"\r\n|0-9 ]{0,200}") {
        check("fuzz.csv", text.as_bytes());
    }

    #[test]
    fn jsonl_reader_never_panics(text in "[{}\\[\\]\":,a-z0-9 \n]{0,200}") {
        check("fuzz.jsonl", text.as_bytes());
    }

    #[test]
    fn parquet_reader_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        // Start and end like a Parquet file, so the reader goes past the magic check.
        bytes.splice(0..0, *b"PAR1");
        bytes.extend_from_slice(b"PAR1");
        check("fuzz.parquet", &bytes);
    }
}
