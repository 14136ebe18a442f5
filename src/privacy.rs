//! Pseudonymisation of the text that leaves the tool (quotes and keywords in tables and reports):
//! e-mail addresses, phone numbers, French social security numbers (NIR), IBANs, postal addresses,
//! URLs with a path, and names introduced by a title or a role become placeholders.
//!
//! Rules are patterns, not a model: they favour precision on what testimonies usually contain
//! (amounts, dates, hours, percentages are left alone), and README gives their measured recall and
//! false positives on planted data.

use std::borrow::Cow;

use regex::{Captures, Regex};

pub struct Pseudonymiser {
    rules: Vec<Rule>,
    titled_name: Regex,
    given_name: Regex,
}

/// A pattern, its placeholder, and what a match must also satisfy.
struct Rule {
    pattern: Regex,
    placeholder: &'static str,
    check: Check,
}

#[derive(Clone, Copy, PartialEq)]
enum Check {
    None,
    /// The IBAN's mod-97 key (ISO 13616): an ordinary code that looks like one stays.
    IbanKey,
    /// The NIR's key (97 − number mod 97) when the 15 characters are there.
    NirKey,
    /// Keep the label (group 1), replace the rest.
    KeepLabel,
}

/// Capitalised words that follow a title without being a name ("infirmière Le soir…").
const NOT_NAMES: [&str; 24] = [
    "Le", "La", "Les", "Un", "Une", "Des", "Je", "Il", "Elle", "Ils", "Elles", "Nous", "Vous",
    "On", "Ce", "Cette", "Mais", "Et", "En", "Au", "Aux", "Du", "De", "Pour",
];

/// Common French given names: a given name followed by a capitalised word is a person's name
/// even without a title ("Françoise Lambert").
const GIVEN_NAMES: &str = "Jean|Pierre|Marie|Anne|Paul|Jacques|Michel|Philippe|Alain|Patrick|Nicolas|Christophe|Daniel|Bernard|Éric|Eric|Laurent|Frédéric|Stéphane|David|Olivier|Thierry|Pascal|Julien|Sébastien|Thomas|François|André|Louis|Claude|Luc|Marc|Yves|Henri|Robert|Gérard|René|Roger|Mathieu|Guillaume|Vincent|Antoine|Alexandre|Maxime|Romain|Kevin|Jérôme|Lucas|Hugo|Léo|Gabriel|Arthur|Jules|Mohamed|Karim|Ahmed|Françoise|Nathalie|Isabelle|Sylvie|Catherine|Martine|Christine|Monique|Nicole|Sophie|Valérie|Sandrine|Céline|Véronique|Stéphanie|Julie|Camille|Laura|Emma|Léa|Chloé|Manon|Sarah|Jeanne|Hélène|Claire|Nadia|Fatima|Laurence|Brigitte|Chantal|Dominique|Patricia|Aurélie|Émilie|Caroline|Élodie|Audrey|Josiane|Danielle|Odile|Colette|Ginette|Simone|Yvette|Denise|Agnès";

/// Words before a given name that make it a place or an institution ("hôpital Georges Pompidou").
const PLACE_WORDS: [&str; 17] = [
    "hôpital",
    "hôpitaux",
    "clinique",
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "place",
    "lycée",
    "collège",
    "école",
    "centre",
    "institut",
    "fondation",
    "saint",
    "sainte",
    "chu",
];

/// A surname: capitalised (with hyphenated parts) or in capitals.
const SURNAME: &str = r"(?:[\p{Lu}][\p{Ll}'’]+(?:-\p{Lu}?\p{Ll}+)*|\p{Lu}{2,}(?:-\p{Lu}{2,})?)";

impl Default for Pseudonymiser {
    fn default() -> Self {
        Self::new()
    }
}

impl Pseudonymiser {
    pub fn new() -> Self {
        let rule = |p: &str, placeholder, check| Rule {
            pattern: Regex::new(p).expect("valid pattern"),
            placeholder,
            check,
        };
        let months = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre";
        let rules = vec![
            rule(
                r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
                "[EMAIL]",
                Check::None,
            ),
            rule(
                r"(?i)\b(?:https?://|www\.)[^\s/]+/[^\s]*[^\s.,;:!?)»]",
                "[URL]",
                Check::None,
            ),
            rule(
                r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b",
                "[IBAN]",
                Check::IbanKey,
            ),
            rule(
                r"\b[12][ .-]?\d{2}[ .-]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .-]?(?:\d{2}|2[AB])[ .-]?\d{3}[ .-]?\d{3}(?:[ .-]?\d{2})?\b",
                "[NIR]",
                Check::NirKey,
            ),
            rule(
                &format!(
                    r"(?i)\b(n[ée]e? le |date de naissance ?:? ?)\d{{1,2}}(?:er)?[ ./-](?:\d{{1,2}}|{months})[ ./-]\d{{2,4}}\b"
                ),
                "[DATE DE NAISSANCE]",
                Check::KeepLabel,
            ),
            rule(
                r"(?i)\b((?:n°|no|num[ée]ro)(?: de dossier)? ?(?:d' ?)?allocataire(?: (?:CAF|MSA))? ?:? ?)\d{5,8}(?: ?[A-Z]\b)?",
                "[N° ALLOCATAIRE]",
                Check::KeepLabel,
            ),
            rule(
                r"(?:\+33 ?(?:\(0\) ?)?|\b0033 ?|\b0)[1-9](?:[ .-]?\d){8}\b",
                "[TÉLÉPHONE]",
                Check::None,
            ),
            rule(
                r"(?i)\b\d{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|route|quai|cours|square|résidence) (?:(?:de la|de l'|du|des|de|d') ?)?[\p{L}'’-]+(?: [\p{Lu}][\p{L}'’-]+){0,3}(?:,? \d{5}(?: [\p{Lu}][\p{L}-]+)?)?",
                "[ADRESSE]",
                Check::None,
            ),
        ];
        let titled_name = Regex::new(&format!(
            r"\b(M\.|[Mm]me|[Mm]lle|[Mm]onsieur|[Mm]adame|[Mm]ademoiselle|Dr\.?|[Dd]octeur|Pr\.?|[Pp]rofesseur|[Ii]nfirmière|[Ii]nfirmier|[Aa]ide-soignante|[Aa]ide-soignant|[Ss]age-femme|[Kk]iné|[Cc]adre) ({SURNAME}(?: {SURNAME})?)"
        ))
        .expect("valid pattern");
        let given_name = Regex::new(&format!(
            r"(?:\b([\p{{L}}]+) )?\b((?:{GIVEN_NAMES})(?:-(?:{GIVEN_NAMES}))?) ({SURNAME})\b"
        ))
        .expect("valid pattern");
        Self {
            rules,
            titled_name,
            given_name,
        }
    }

    /// The text with personal data replaced; borrowed when nothing was found.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for rule in &self.rules {
            if rule.pattern.is_match(&out) {
                let replaced = rule
                    .pattern
                    .replace_all(&out, |c: &Captures| rule.replacement(c));
                if replaced != out {
                    out = Cow::Owned(replaced.into_owned());
                }
            }
        }
        for names in [&self.titled_name, &self.given_name] {
            if names.is_match(&out) {
                let titled = std::ptr::eq(names, &self.titled_name);
                let replaced = names.replace_all(&out, |c: &Captures| name_replacement(c, titled));
                if replaced != out {
                    out = Cow::Owned(replaced.into_owned());
                }
            }
        }
        out
    }

    /// The text with personal data removed rather than marked: what keywords and titles are
    /// extracted from, so that neither a name nor a placeholder becomes a keyword.
    pub fn remove<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.apply(text) {
            Cow::Borrowed(t) => Cow::Borrowed(t),
            Cow::Owned(marked) => {
                static PLACEHOLDER: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
                let re = PLACEHOLDER
                    .get_or_init(|| Regex::new(r"\[[\p{Lu}° ]+\]").expect("valid pattern"));
                Cow::Owned(re.replace_all(&marked, " ").into_owned())
            }
        }
    }
}

impl Rule {
    fn replacement(&self, c: &Captures) -> String {
        let all = &c[0];
        let keep = match self.check {
            Check::None => true,
            Check::IbanKey => iban_key_ok(all),
            Check::NirKey => nir_key_ok(all),
            Check::KeepLabel => {
                return format!(
                    "{}{}",
                    c.get(1).map_or("", |g| g.as_str()),
                    self.placeholder
                )
            }
        };
        if keep {
            self.placeholder.to_string()
        } else {
            all.to_string()
        }
    }
}

/// `[NOM]` for a name after a title (the title kept) or a full name after a given name; the
/// original text when the "name" is an article or the given name names a place.
fn name_replacement(c: &Captures, titled: bool) -> String {
    if titled {
        let name = &c[2];
        let first = name.split(' ').next().unwrap_or(name);
        return if NOT_NAMES.contains(&first) {
            c[0].to_string()
        } else {
            format!("{} [NOM]", &c[1])
        };
    }
    let before = c.get(1).map(|g| g.as_str());
    match before {
        Some(word) if PLACE_WORDS.contains(&word.to_lowercase().as_str()) => c[0].to_string(),
        Some(word) => format!("{word} [NOM]"),
        None => "[NOM]".to_string(),
    }
}

/// ISO 13616: the IBAN moved four characters left, letters as numbers, is 1 modulo 97.
fn iban_key_ok(candidate: &str) -> bool {
    let compact: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.to_uppercase();
    if compact.len() < 15 {
        return false;
    }
    let rotated = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rest = 0u32;
    for ch in rotated.chars() {
        let Some(v) = ch.to_digit(36) else {
            return false;
        };
        let digits = if v >= 10 { 100 } else { 10 };
        rest = (rest * digits + v) % 97;
    }
    rest == 1
}

/// The NIR's key is 97 − (its 13 first characters mod 97), Corsica's 2A and 2B read as 19 and 18.
/// A NIR written without its key cannot be checked and counts as one.
fn nir_key_ok(candidate: &str) -> bool {
    let compact: String = candidate
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if compact.len() != 15 {
        return compact.len() == 13;
    }
    let body = compact[..13].replace("2A", "19").replace("2B", "18");
    match (body.parse::<u64>(), compact[13..].parse::<u64>()) {
        (Ok(n), Ok(key)) => 97 - n % 97 == key,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_replaced_and_ordinary_numbers_are_kept() {
        let p = Pseudonymiser::new();
        let cases = [
            (
                "Écrivez-moi à marie.dupont@gmail.com svp",
                "Écrivez-moi à [EMAIL] svp",
            ),
            (
                "Appelez le 06 12 34 56 78 ou le +33 1 45 67 89 10.",
                "Appelez le [TÉLÉPHONE] ou le [TÉLÉPHONE].",
            ),
            (
                "Mon numéro de sécu 2 84 05 75 123 456 72 a été perdu",
                "Mon numéro de sécu [NIR] a été perdu",
            ),
            (
                "Virement sur FR76 3000 6000 0112 3456 7890 189 refusé",
                "Virement sur [IBAN] refusé",
            ),
            (
                "J'habite 12 rue des Lilas, 35000 Rennes depuis 2010",
                "J'habite [ADRESSE] depuis 2010",
            ),
            (
                "Voir https://www.facebook.com/jean.martin.92 pour les photos",
                "Voir [URL] pour les photos",
            ),
            (
                "Le docteur Martin et Mme Lefèvre-Durand ont aidé",
                "Le docteur [NOM] et Mme [NOM] ont aidé",
            ),
            (
                "L'infirmière Sophie m'a tout expliqué",
                "L'infirmière [NOM] m'a tout expliqué",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(p.apply(input), expected, "{input}");
        }
        for clean in [
            "Je gagne 1 900 euros nets après 15 ans, soit 35 heures par semaine.",
            "L'ONDAM a augmenté de 2,4 % en 2019 ; le 12 mars 2020 tout a changé.",
            "Le site ameli.fr fonctionne bien, et https://www.ameli.fr aussi.",
            "Je suis infirmière. Les patients attendent 8 mois pour la MDPH.",
            "L'infirmière Le soir est seule pour 40 patients.",
            // Keys that do not check: ordinary numbers and codes, kept.
            "Le lot 1 84 12 99 123 456 11 est arrivé abîmé.",
            "Référence FR76 3000 6000 0112 3456 7890 180 du marché.",
            "L'hôpital Georges Pompidou a fermé un service.",
        ] {
            assert_eq!(p.apply(clean), clean);
        }
    }

    #[test]
    fn keys_are_checked_and_removal_leaves_no_placeholder() {
        assert!(iban_key_ok("FR76 3000 6000 0112 3456 7890 189"));
        assert!(iban_key_ok("fr1420041010050500013m02606"));
        assert!(!iban_key_ok("FR76 3000 6000 0112 3456 7890 188"));
        assert!(nir_key_ok("1 84 05 75 123 456 25"));
        assert!(nir_key_ok("2 91 12 2A 004 123 18"));
        assert!(!nir_key_ok("1 84 05 75 123 456 26"));
        let p = Pseudonymiser::new();
        assert_eq!(
            p.remove("Françoise Lambert attend, née le 3 mars 1941."),
            "  attend, née le  ."
        );
    }
}
