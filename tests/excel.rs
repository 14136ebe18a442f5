//! Outputs for Excel, both ways: `--excel` CSVs (`;`, BOM, decimal comma) and xlsx workbooks that
//! open without an import step (numbers as numbers, lists one item per line, header frozen and
//! filtered), read back with a spreadsheet reader; UTF-16 input; quiet mode.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::*;

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv")
}

fn gold() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/etiquetage_manuel.csv")
}

/// The rows of a `;` CSV written for Excel, without its BOM.
fn excel_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or_else(|| panic!("{} has no BOM", path.display()));
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The first row of a sheet, as text.
fn header_of(sheet: &calamine::Range<Data>) -> Vec<String> {
    let first = sheet.rows().next().expect("a header row");
    first.iter().map(|c| c.to_string()).collect()
}

/// A member of an xlsx (zip) archive as text.
fn member(path: &Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn excel_csvs_use_semicolons_a_bom_and_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(
        &sample(),
        &out,
        &["--excel", "--gold", gold().to_str().unwrap()],
    );
    let themes = excel_csv(&out.join("themes.csv"));
    let share = themes[0].iter().position(|h| h == "share").unwrap();
    for row in &themes[1..] {
        let v = &row[share];
        assert!(v.contains(',') && !v.contains('.'), "share {v:?}");
        let parsed: f64 = v.replace(',', ".").parse().unwrap();
        assert!((0.0..=1.0).contains(&parsed));
    }
    let per_category = excel_csv(&out.join("evaluation_per_category.csv"));
    assert_eq!(per_category[0][..3], ["category", "precision", "recall"]);
    assert!(per_category[1][1].contains(','), "{:?}", per_category[1]);
    let record = read_json(&out.join("run.json"));
    assert_eq!(record["parameters"]["csv"]["decimal_comma"], true);
}

#[test]
fn xlsx_outputs_open_as_typed_cells_with_a_frozen_filtered_header() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&sample(), &out, &[]);
    let mut themes: Xlsx<_> = open_workbook(out.join("themes.xlsx")).unwrap();
    let sheet = themes.worksheet_range("themes").unwrap();
    let header = header_of(&sheet);
    assert_eq!(
        header[..5],
        ["theme_id", "theme_key", "title", "size", "share"]
    );
    let editable = &header[header.len() - 6..];
    assert_eq!(
        editable,
        [
            "new_title",
            "merge_into",
            "category",
            "split_into",
            "pin",
            "note"
        ]
    );
    let csv_rows = read_parquet(&out.join("themes.parquet")).height();
    assert_eq!(sheet.height(), csv_rows + 1);
    let keywords = header.iter().position(|h| h == "keywords").unwrap();
    let mut listed = 0;
    for row in sheet.rows().skip(1) {
        assert!(matches!(row[0], Data::Float(_)), "theme_id {:?}", row[0]);
        assert!(matches!(row[4], Data::Float(s) if (0.0..=1.0).contains(&s)));
        let Data::String(k) = &row[keywords] else {
            panic!("keywords {:?}", row[keywords])
        };
        // One keyword a line (a small theme may have a single distinctive keyword).
        assert!(!k.contains(" | "), "{k:?}");
        listed += k.contains('\n') as usize;
    }
    assert!(
        listed * 2 > sheet.height(),
        "most themes list several keywords"
    );
    let mut assignments: Xlsx<_> = open_workbook(out.join("assignments.xlsx")).unwrap();
    let sheet = assignments.worksheet_range("assignments").unwrap();
    assert_eq!(sheet.height(), 241);
    let header = header_of(&sheet);
    let score = header.iter().position(|h| h == "score_p1").unwrap();
    assert!(matches!(sheet.get((1, score)), Some(Data::Float(_))));
    let xml = member(&out.join("assignments.xlsx"), "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains("ySplit=\"1\"") && xml.contains("state=\"frozen\""),
        "no frozen header"
    );
    assert!(xml.contains("<autoFilter"), "no filter on the header");
    assert!(xml.contains("<col "), "columns not sized");
}

#[test]
fn utf16_input_is_read_and_its_encoding_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample())
        .unwrap()
        .replace(';', "\t");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let input = dir.path().join("export-unicode.txt.csv");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("out");
    let log = run_ok(&input, &out, &["-v"]);
    assert!(log.contains("UTF-16LE with BOM"), "{log}");
    let record = read_json(&out.join("run.json"));
    assert_eq!(record["input"]["encoding"], "UTF-16LE with BOM");
    assert_eq!(record["rows"]["read"], 240);
}

#[test]
fn quiet_mode_prints_nothing_on_success_and_the_error_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ok = verbatim(&["-q", "run"], &[("--input", &sample()), ("--out", &out)]);
    assert!(ok.status.success());
    assert_eq!(String::from_utf8_lossy(&ok.stderr), "");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "");
    let missing = dir.path().join("missing.csv");
    let failed = verbatim(&["-q", "run"], &[("--input", &missing), ("--out", &out)]);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("missing.csv"),
        "{err}"
    );
}

#[test]
fn cells_that_look_like_formulas_stay_text_for_excel() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hostile.csv");
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(&input)
        .unwrap();
    writer.write_record(["id", "texte", "source"]).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(sample())
        .unwrap();
    for (i, r) in reader.records().take(30).enumerate() {
        let r = r.unwrap();
        let source = if i == 0 {
            "=HYPERLINK(\"http://x\";\"clic\")"
        } else {
            "@SUM(A1)"
        };
        writer
            .write_record([&format!("r{i}"), &r[3], source])
            .unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let out = dir.path().join("out");
    run_ok(&input, &out, &["--excel"]);
    let table = excel_csv(&out.join("assignments.csv"));
    let source = table[0].iter().position(|h| h == "source").unwrap();
    assert_eq!(table[1][source], "'=HYPERLINK(\"http://x\";\"clic\")");
    assert_eq!(table[2][source], "'@SUM(A1)");
    let xml = member(&out.join("assignments.xlsx"), "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<f>"), "a formula cell in the xlsx");
    // Without --excel too: any CSV may be opened in a spreadsheet.
    let plain = dir.path().join("plain");
    run_ok(&input, &plain, &[]);
    let csv = std::fs::read_to_string(plain.join("assignments.csv")).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\";\"\"clic\"\")\""),
        "the plain CSV neutralises the formula too"
    );
    assert!(csv.contains(",'@SUM(A1)"), "{csv}");
}
