//! The categories themes and testimonies are mapped onto, read from a TOML file; the four Ségur
//! pillars are built in.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The default taxonomy: the four pillars of the Ségur de la santé, official names, our descriptions.
pub const SEGUR: &str = include_str!("segur.toml");

#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Taxonomy {
    /// Where it came from: a path, or "built-in: Ségur pillars".
    pub source: String,
    pub categories: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    category: Vec<Category>,
}

impl Taxonomy {
    pub fn segur() -> Self {
        Self::parse(SEGUR, "built-in: Ségur pillars").expect("the built-in taxonomy is valid")
    }

    pub fn load(path: Option<&PathBuf>) -> Result<Self> {
        match path {
            None => Ok(Self::segur()),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read taxonomy {}", p.display()))?;
                Self::parse(&text, &p.display().to_string())
            }
        }
    }

    /// Parses and checks a taxonomy; errors name the line.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .map_or(String::new(), |l| format!(", line {l}"));
            anyhow::anyhow!("taxonomy {source}{line}: {}", e.message())
        })?;
        let line_of = |needle: &str| -> String {
            text.lines()
                .position(|l| l.contains(needle))
                .map_or(String::new(), |i| format!(", line {}", i + 1))
        };
        if file.category.is_empty() {
            bail!("taxonomy {source} has no [[category]]");
        }
        let mut seen = HashSet::new();
        for c in &file.category {
            let id_line = line_of(&format!("\"{}\"", c.id));
            if c.id.is_empty()
                || !c
                    .id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                let suggestion: String = crate::text::fold(&c.id)
                    .chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() || ch == '-' {
                            ch
                        } else {
                            '_'
                        }
                    })
                    .collect();
                bail!(
                    "taxonomy {source}{id_line}: category id {:?} must be ASCII letters, digits, - or _ (it names output columns); for instance {suggestion:?} (the name can keep its accents)",
                    c.id
                );
            }
            if crate::labels::NONE_WORDS.contains(&crate::text::fold(&c.id).as_str()) {
                bail!(
                    "taxonomy {source}{id_line}: \"none\" is reserved for testimonies outside the taxonomy"
                );
            }
            if !seen.insert(c.id.clone()) {
                let second = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| {
                        l.contains(&format!("\"{}\"", c.id)) && l.trim_start().starts_with("id")
                    })
                    .nth(1)
                    .map_or(String::new(), |(i, _)| format!(", line {}", i + 1));
                bail!(
                    "taxonomy {source}{second}: category id {:?} is used twice",
                    c.id
                );
            }
            if c.name.trim().is_empty() {
                bail!(
                    "taxonomy {source}{id_line}: category {} has an empty name",
                    c.id
                );
            }
            if c.description.trim().is_empty() {
                bail!(
                    "taxonomy {source}{id_line}: category {} has an empty description",
                    c.id
                );
            }
        }
        distinct_labels(&file.category, source, &line_of)?;
        Ok(Self {
            source: source.into(),
            categories: file.category,
        })
    }

    pub fn ids(&self) -> Vec<&str> {
        self.categories.iter().map(|c| c.id.as_str()).collect()
    }
}

/// Tags and gold labels name a category by its id or its name, without case or accents: two
/// categories that read the same (ids `p1` and `P1`, two names « Santé » and « sante », a name that
/// is another category's id or a word for `none`) would send one tag to either.
fn distinct_labels(
    categories: &[Category],
    source: &str,
    line_of: &dyn Fn(&str) -> String,
) -> Result<()> {
    let mut owner: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for c in categories {
        for (what, label) in [("id", &c.id), ("name", &c.name)] {
            let key = crate::text::fold(label);
            if crate::labels::NONE_WORDS.contains(&key.as_str()) {
                bail!(
                    "taxonomy {source}{}: category {}'s {what} {label:?} reads as `none` (outside the taxonomy)",
                    line_of(&format!("\"{label}\"")),
                    c.id
                );
            }
            match owner.insert(key, &c.id) {
                Some(other) if other != c.id => bail!(
                    "taxonomy {source}{}: category {}'s {what} {label:?} reads the same as category {other}'s id or name (labels are matched without case or accents); make them distinct",
                    line_of(&format!("\"{label}\"")),
                    c.id
                ),
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_segur_has_four_official_pillars() {
        let t = Taxonomy::segur();
        assert_eq!(t.ids(), ["p1", "p2", "p3", "p4"]);
        assert_eq!(
            t.categories[0].name,
            "Transformer les métiers et revaloriser ceux qui soignent"
        );
        assert!(t.categories.iter().all(|c| !c.examples.is_empty()));
    }

    #[test]
    fn errors_name_the_line() {
        let dup = "[[category]]\nid = \"a\"\nname = \"A\"\ndescription = \"x\"\n\n[[category]]\nid = \"a\"\nname = \"B\"\ndescription = \"y\"\n";
        let err = Taxonomy::parse(dup, "t.toml").unwrap_err().to_string();
        assert!(
            err.contains("line 7") && err.contains("used twice"),
            "{err}"
        );
        let empty = "[[category]]\nid = \"a\"\nname = \"A\"\ndescription = \"  \"\n";
        let err = Taxonomy::parse(empty, "t.toml").unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("empty description"),
            "{err}"
        );
        let bad = "[[category]]\nid = \"a\"\nname = A\n";
        let err = Taxonomy::parse(bad, "t.toml").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        let unknown =
            "[[category]]\nid = \"a\"\nname = \"A\"\ndescription = \"d\"\nlabel = \"x\"\n";
        let err = Taxonomy::parse(unknown, "t.toml").unwrap_err().to_string();
        assert!(err.contains("line 5") && err.contains("label"), "{err}");
        let accents =
            "[[category]]\nid = \"santé publique\"\nname = \"Santé\"\ndescription = \"d\"\n";
        let err = Taxonomy::parse(accents, "t.toml").unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("ASCII") && err.contains("\"sante_publique\""),
            "{err}"
        );
    }

    #[test]
    fn categories_that_read_the_same_are_refused() {
        let cat = |id: &str, name: &str| {
            format!("[[category]]\nid = \"{id}\"\nname = \"{name}\"\ndescription = \"d\"\n")
        };
        for (a, b) in [
            (cat("p1", "Un"), cat("P1", "Deux")),
            (cat("a", "Santé"), cat("b", "sante")),
            (cat("a", "b"), cat("b", "Deux")),
        ] {
            let err = Taxonomy::parse(&format!("{a}\n{b}"), "t.toml").unwrap_err();
            assert!(err.to_string().contains("reads the same"), "{err}");
        }
        let err = Taxonomy::parse(&cat("a", "Aucun"), "t.toml").unwrap_err();
        assert!(err.to_string().contains("reads as `none`"), "{err}");
        let err = Taxonomy::parse(&cat("None", "x"), "t.toml").unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
    }

    #[test]
    fn a_single_category_is_allowed() {
        let one = "[[category]]\nid = \"only\"\nname = \"Seule\"\ndescription = \"Tout.\"\n";
        assert_eq!(Taxonomy::parse(one, "t.toml").unwrap().ids(), ["only"]);
    }
}
