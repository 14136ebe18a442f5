//! A file's bytes as text: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order
//! mark, Windows-1252, or a file mixing Windows-1252 and UTF-8 lines decoded line by line; the
//! name of what was found, for the log and run.json.

/// Decodes CSV bytes: UTF-8 (BOM stripped), else Windows-1252 (a superset of Latin-1's printable
/// characters). A mostly-UTF-8 file with a few bad bytes stays UTF-8, the bad bytes becoming U+FFFD.
pub fn decode(bytes: &[u8]) -> (String, String) {
    // Excel's "Unicode text" export: UTF-16 with a byte order mark.
    for (mark, encoding, name) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, "UTF-16LE with BOM"),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, "UTF-16BE with BOM"),
    ] {
        if let Some(rest) = bytes.strip_prefix(mark) {
            let (text, _) = encoding.decode_without_bom_handling(rest);
            return (text.into_owned(), name.to_string());
        }
    }
    let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, " with BOM"),
        None => (bytes, ""),
    };
    if let Ok(s) = std::str::from_utf8(body) {
        return (s.to_string(), format!("UTF-8{bom}"));
    }
    if let Some(mixed) = decode_mixed(body) {
        return mixed;
    }
    let lossy = String::from_utf8_lossy(body);
    let bad = lossy.matches('\u{FFFD}').count();
    let multibyte = lossy
        .chars()
        .filter(|c| !c.is_ascii() && *c != '\u{FFFD}')
        .count();
    if multibyte > bad {
        (
            lossy.into_owned(),
            format!("UTF-8{bom} with {bad} invalid byte sequence(s) replaced by U+FFFD"),
        )
    } else {
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(body);
        (text.into_owned(), "Windows-1252 (not valid UTF-8)".into())
    }
}

/// A file whose lines mix UTF-8 (with accents) and Windows-1252 (rows appended from another
/// export): decoded line by line, each line in its own encoding, so that neither kind becomes
/// mojibake ("Ã©") or U+FFFD. `None` unless at least two lines of each kind are there (a single
/// bad byte in a UTF-8 file is not another encoding).
fn decode_mixed(body: &[u8]) -> Option<(String, String)> {
    let lines: Vec<&[u8]> = body.split_inclusive(|&b| b == b'\n').collect();
    let is_utf8_accented = |l: &[u8]| std::str::from_utf8(l).is_ok_and(|s| !s.is_ascii());
    let utf8_rows: Vec<usize> = (0..lines.len())
        .filter(|&i| is_utf8_accented(lines[i]))
        .collect();
    let other_rows: Vec<usize> = (0..lines.len())
        .filter(|&i| std::str::from_utf8(lines[i]).is_err())
        .collect();
    if utf8_rows.len() < 2 || other_rows.len() < 2 {
        return None;
    }
    let mut text = String::with_capacity(body.len() + body.len() / 8);
    for line in &lines {
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(_) => text.push_str(
                &encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(line)
                    .0,
            ),
        }
    }
    let name = format!(
        "mixed, decoded line by line: {} lines in Windows-1252 (the first: line {}), the others UTF-8 ({} with accents, the first: line {})",
        other_rows.len(),
        other_rows[0] + 1,
        utf8_rows.len(),
        utf8_rows[0] + 1
    );
    Some((text, name))
}
