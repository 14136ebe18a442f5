//! Text helpers shared by the stages: the text the model reads (markup stripped, entities decoded),
//! accent-insensitive matching, French words and breaks, and a rough language guess.

use std::borrow::Cow;

/// The text the model and the keywords see: markup tags removed, common entities decoded, spaces
/// collapsed. Quotes keep the original text.
pub fn analysis_text(text: &str) -> Cow<'_, str> {
    if !text.contains('<') && !text.contains('&') {
        return Cow::Borrowed(text);
    }
    static TAG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let tag =
        TAG.get_or_init(|| regex::Regex::new(r"</?[A-Za-z][^<>]{0,200}>").expect("valid pattern"));
    let stripped = tag.replace_all(text, " ");
    let decoded = decode_entities(&stripped);
    Cow::Owned(decoded.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// HTML entities decoded: numeric ones (`&#39;`, `&#xE9;`) and the named ones French texts use
/// (`&eacute;`, `&laquo;`, `&nbsp;`…); an unknown name stays as it is. The one decoder of the HTML
/// reader and of the text the model reads.
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    static ENTITY: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let entity = ENTITY.get_or_init(|| {
        regex::Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);").expect("valid pattern")
    });
    entity.replace_all(text, |c: &regex::Captures| {
        let name = &c[1];
        let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
            u32::from_str_radix(hex, 16).ok()
        } else if let Some(dec) = name.strip_prefix('#') {
            dec.parse().ok()
        } else {
            None
        };
        if let Some(c) = code.and_then(char::from_u32) {
            return c.to_string();
        }
        named_entity(name).map_or_else(|| c[0].to_string(), str::to_string)
    })
}

/// The named entities French texts use.
fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => " ",
        "eacute" => "é",
        "egrave" => "è",
        "ecirc" => "ê",
        "agrave" => "à",
        "acirc" => "â",
        "ccedil" => "ç",
        "ocirc" => "ô",
        "ucirc" => "û",
        "ugrave" => "ù",
        "icirc" => "î",
        "iuml" => "ï",
        "euml" => "ë",
        "oelig" => "œ",
        "Eacute" => "É",
        "Agrave" => "À",
        "laquo" => "«",
        "raquo" => "»",
        "rsquo" => "’",
        "lsquo" => "‘",
        "hellip" => "…",
        "ndash" => "–",
        "mdash" => "—",
        "euro" => "€",
        "deg" => "°",
        _ => return None,
    })
}

/// A rough language guess from function words: "fr", "en", "es", "de", "it", or "unknown" when a
/// text is too short to tell. Texts in another language are flagged, not dropped.
pub fn detect_language(text: &str) -> &'static str {
    const WORDS: [(&str, &str); 5] = [
        (
            "fr",
            "le la les des et est une pas que qui pour dans sur nous ils elle sont avec mais très plus ce cette du au aux je",
        ),
        (
            "en",
            "the and is are of to in that it for not with was this have be they we you our on at",
        ),
        (
            "es",
            "el los las y que en no es por para con una del se lo como pero muy su",
        ),
        (
            "de",
            "der die das und ist nicht ich sie mit zu den ein eine auf für sind wir auch",
        ),
        (
            "it",
            "il che di non per un una sono con del della gli le molto anche ma è",
        ),
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
    if best.1 >= 2 { best.0 } else { "unknown" }
}

/// Lower case without accents, for forgiving name matches.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lower-cased words, elisions split off (« l' », « qu' », the apostrophe dropped) and hyphenated
/// words kept whole; punctuation other than an apostrophe is kept as a `" "` token, a break that
/// a phrase cannot cross (keyword analysis drops those tokens).
pub fn words_and_breaks(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || (c == '-' && !current.is_empty()) {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            words.push(current.trim_end_matches('-').to_string());
            current.clear();
        }
        if !c.is_whitespace() && !matches!(c, '\'' | '’') {
            words.push(String::from(" "));
        }
    }
    if !current.is_empty() {
        words.push(current.trim_end_matches('-').to_string());
    }
    words.dedup_by(|a, b| a == " " && b == " ");
    words
}

/// Text escaped for XML content and attributes (the Office reports, REFI-QDA): markup
/// characters as entities, control characters XML 1.0 forbids as spaces (a tab or a newline is
/// kept).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_text_strips_markup_and_decodes_entities() {
        assert_eq!(
            analysis_text("<p>Trop&nbsp;de <b>paperasse</b> &amp; d&#39;attente</p>"),
            "Trop de paperasse & d'attente"
        );
        assert!(matches!(
            analysis_text("rien à faire"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn fold_and_edit_distance_forgive_case_and_accents() {
        assert_eq!(fold("Éducation Nationale"), "education nationale");
        assert_eq!(strsim::levenshtein("pilier", "piliers"), 1);
        assert_eq!(strsim::levenshtein("é", "e"), 1, "characters, not bytes");
    }

    #[test]
    fn languages_are_told_apart_by_function_words() {
        assert_eq!(
            detect_language("Les soignants sont épuisés et nous manquons de lits"),
            "fr"
        );
        assert_eq!(
            detect_language("The nurses are tired and we have no beds"),
            "en"
        );
        assert_eq!(detect_language("merci"), "unknown");
    }

    #[test]
    fn xml_escape_handles_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b & \"c\"\u{1}\n"),
            "a&lt;b &amp; &quot;c&quot; \n"
        );
    }
}
