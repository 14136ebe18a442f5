//! Plain text, Markdown and HTML documents. Line ends become `\n`; Markdown keeps its words
//! (heading marks, emphasis, link targets and code fences go); HTML's block elements end
//! paragraphs, scripts and styles are dropped, entities decoded.

use std::sync::OnceLock;

use regex::Regex;

use super::Extracted;

/// A text file, decoded as CSV files are (UTF-8, UTF-16 with BOM, or Windows-1252).
pub fn plain(bytes: &[u8]) -> Extracted {
    Extracted {
        text: decode(bytes),
        pages: None,
        title: None,
        notes: Vec::new(),
    }
}

fn decode(bytes: &[u8]) -> String {
    let (text, _) = crate::stages::read::ingest::decode(bytes);
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_string()
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid pattern"))
}

/// Markdown: the words a reader sees; the first heading is the title.
pub fn markdown(bytes: &[u8]) -> Extracted {
    static HEADING: OnceLock<Regex> = OnceLock::new();
    static LINK: OnceLock<Regex> = OnceLock::new();
    static EMPHASIS: OnceLock<Regex> = OnceLock::new();
    let text = decode(bytes);
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n");
    let heading = regex(&HEADING, r"(?m)^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$");
    let title = heading
        .captures(&text)
        .map(|c| c[1].trim().to_string())
        .filter(|t| !t.is_empty());
    let text = heading.replace_all(&text, "$1");
    let text = regex(&LINK, r"!?\[([^\]]*)\]\([^)]*\)").replace_all(&text, "$1");
    let text = regex(&EMPHASIS, r"(\*\*|__|\*|`)([^*`\n]+)(\*\*|__|\*|`)").replace_all(&text, "$2");
    Extracted {
        text: text.trim().to_string(),
        pages: None,
        title,
        notes: Vec::new(),
    }
}

/// HTML: the text of the body, paragraphs at block elements; `<title>` (or the first `<h1>`).
pub fn html(bytes: &[u8]) -> Extracted {
    static DROP: OnceLock<Regex> = OnceLock::new();
    static TITLE: OnceLock<Regex> = OnceLock::new();
    static BLOCK: OnceLock<Regex> = OnceLock::new();
    static BREAK: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    let source = decode(bytes);
    let title = regex(&TITLE, r"(?is)<(title|h1)[^>]*>(.*?)</(title|h1)>")
        .captures(&source)
        .map(|c| inline(&c[2]))
        .filter(|t| !t.is_empty());
    let body = regex(
        &DROP,
        r"(?is)<(script|style|head|template)[^>]*>.*?</(script|style|head|template)>|<!--.*?-->",
    )
    .replace_all(&source, " ");
    let blocks = regex(
        &BLOCK,
        r"(?i)</?(p|div|h[1-6]|li|ul|ol|tr|table|blockquote|section|article|header|footer|pre|dd|dt)\b[^>]*>",
    )
    .replace_all(&body, "\u{0}");
    let breaks = regex(&BREAK, r"(?i)<br\s*/?>").replace_all(&blocks, "\n");
    let text = regex(&TAG, r"</?[A-Za-z][^<>]*>").replace_all(&breaks, " ");
    let paragraphs: Vec<String> = text
        .split('\u{0}')
        .map(|p| lines(&crate::text::decode_entities(p)))
        .filter(|p| !p.is_empty())
        .collect();
    Extracted {
        text: paragraphs.join("\n\n"),
        pages: None,
        title,
        notes: Vec::new(),
    }
}

/// Spaces collapsed inside each line, blank lines dropped.
fn lines(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Inline HTML as one line of text.
fn inline(html: &str) -> String {
    static TAGS: OnceLock<Regex> = OnceLock::new();
    let tags = regex(&TAGS, r"<[^>]*>");
    crate::text::decode_entities(&tags.replace_all(html, " "))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_blocks_become_paragraphs_and_scripts_go() {
        let page = "<html><head><title>Avis &amp; propositions</title><style>p{}</style></head>\
            <body><h1>Avis</h1><p>Les d&eacute;lais<br>sont longs.</p><script>x()</script>\
            <ul><li>Plus de lits</li><li>Moins de&nbsp;papiers</li></ul></body></html>";
        let e = html(page.as_bytes());
        assert_eq!(e.title.as_deref(), Some("Avis & propositions"));
        assert_eq!(
            e.text,
            "Avis\n\nLes délais\nsont longs.\n\nPlus de lits\n\nMoins de papiers"
        );
    }

    #[test]
    fn markdown_keeps_the_words() {
        let e = markdown(
            "# Contribution\n\nIl faut **plus** de [lits](http://x).\n```\ncode\n```\n".as_bytes(),
        );
        assert_eq!(e.title.as_deref(), Some("Contribution"));
        assert_eq!(e.text, "Contribution\n\nIl faut plus de lits.\ncode");
    }

    #[test]
    fn plain_text_line_ends_are_unified() {
        assert_eq!(plain(b"a\r\n\r\nb\rc").text, "a\n\nb\nc");
    }
}
