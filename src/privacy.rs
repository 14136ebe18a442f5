//! Pseudonymisation of the text that leaves the tool (quotes and keywords in tables and reports):
//! e-mail addresses, phone numbers, French social security numbers (NIR), IBANs, postal addresses,
//! URLs with a path, and names introduced by a title or a role become placeholders.
//!
//! Rules are patterns, not a model: they favour precision on what testimonies usually contain
//! (amounts, dates, hours, percentages are left alone), and METHODS.md gives their measured recall and
//! false positives on planted data.
//!
//! A surname recognised once (after a title, after a given name, or as a part of an e-mail user
//! name such as `marie.garnier@…`) is masked wherever it recurs capitalised in the same text
//! (« Madame Garnier … Garnier ne rappelle jamais »), and, with [`Pseudonymiser::for_corpus`],
//! wherever it recurs capitalised in any text of the corpus, unless the corpus also writes it as
//! an ordinary lower-case word (« Madame Blanc » does not mask « Blanc » across the corpus when
//! « blanc » is used there; it is still masked in the text that names her).

use std::borrow::Cow;
use std::collections::HashSet;

use rayon::prelude::*;
use regex::{Captures, Regex};

pub struct Pseudonymiser {
    rules: Vec<Rule>,
    titled_name: Regex,
    given_name: Regex,
    /// Surnames learned from the whole corpus (lower case), masked wherever they recur capitalised.
    corpus_names: HashSet<String>,
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
            corpus_names: HashSet::new(),
        }
    }

    /// A pseudonymiser that also knows every surname recognised anywhere in `texts` and masks it
    /// in every text where it recurs capitalised, unless the corpus uses it as a common word
    /// (written in lower case somewhere).
    pub fn for_corpus<S: AsRef<str> + Sync>(texts: &[S]) -> Self {
        let mut p = Self::new();
        let found: HashSet<String> = texts
            .par_iter()
            .flat_map_iter(|t| p.names_in(t.as_ref()))
            .collect();
        if found.is_empty() {
            return p;
        }
        // Only the lower-case words that are also names are kept (no String for the others).
        let common: HashSet<String> = texts
            .par_iter()
            .flat_map_iter(|t| lower_case_words(t.as_ref()))
            .filter(|w| found.contains(*w))
            .map(str::to_string)
            .collect();
        p.corpus_names = found.into_iter().filter(|n| !common.contains(n)).collect();
        p
    }

    /// How many surnames the corpus taught (for the record; never the names themselves).
    pub fn corpus_names(&self) -> usize {
        self.corpus_names.len()
    }

    /// The surnames this text names (lower case): after a title, after a given name, and the
    /// parts of a `first.last` e-mail user name.
    fn names_in(&self, text: &str) -> Vec<String> {
        let mut names = Vec::new();
        for c in self.titled_name.captures_iter(text) {
            let name = &c[2];
            if !NOT_NAMES.contains(&name.split(' ').next().unwrap_or(name)) {
                names.extend(name.split(' ').map(str::to_lowercase));
            }
        }
        for c in self.given_name.captures_iter(text) {
            let place = c
                .get(1)
                .is_some_and(|w| PLACE_WORDS.contains(&w.as_str().to_lowercase().as_str()));
            if !place {
                names.push(c[3].to_lowercase());
            }
        }
        for m in self.rules[0].pattern.find_iter(text) {
            names.extend(email_names(m.as_str()));
        }
        names.retain(|n| {
            n.chars().count() >= 2 && !NOT_NAMES.iter().any(|w| w.to_lowercase() == *n)
        });
        names
    }

    /// The text with personal data replaced; borrowed when nothing was found.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let local = self.names_in(text);
        let mut out = self.apply_rules(text);
        if (!local.is_empty() || !self.corpus_names.is_empty())
            && let Some(masked) = self.mask_recurring(&out, &local)
        {
            out = Cow::Owned(masked);
        }
        out
    }

    /// The text with every capitalised word that is one of `local` (this text's names) or of the
    /// corpus's names masked; `None` when there is none.
    fn mask_recurring(&self, text: &str, local: &[String]) -> Option<String> {
        static WORD: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let word = WORD.get_or_init(|| {
            Regex::new(r"\[?\b\p{Lu}[\p{L}'’]*(?:-\p{L}+)*\b").expect("valid pattern")
        });
        let is_name = |w: &str| {
            let lower = w.to_lowercase();
            !w.starts_with('[') && (local.contains(&lower) || self.corpus_names.contains(&lower))
        };
        if !word.find_iter(text).any(|m| is_name(m.as_str())) {
            return None;
        }
        let masked = word.replace_all(text, |c: &Captures| match is_name(&c[0]) {
            true => "[NOM]".to_string(),
            false => c[0].to_string(),
        });
        Some(masked.into_owned())
    }

    /// The pattern rules and the names they recognise, without the recurrences.
    fn apply_rules<'a>(&self, text: &'a str) -> Cow<'a, str> {
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
            Check::NirKey => nir_in_groups(all) || nir_key_ok(all),
            Check::KeepLabel => {
                return format!(
                    "{}{}",
                    c.get(1).map_or("", |g| g.as_str()),
                    self.placeholder
                );
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

/// User names that are not a person's (`contact@`, `accueil.mairie@`).
const ROLE_MAILBOXES: [&str; 14] = [
    "contact",
    "info",
    "infos",
    "accueil",
    "secretariat",
    "secrétariat",
    "direction",
    "service",
    "admin",
    "noreply",
    "support",
    "mairie",
    "cabinet",
    "dpo",
];

/// The first and last name of a `first.last@` (or `first_last`, `first-last`, digits ignored)
/// e-mail address; nothing for a role mailbox or an acronym (`CGT.CHU-Nantes@`).
fn email_names(email: &str) -> Vec<String> {
    let user = email.split('@').next().unwrap_or("");
    let parts: Vec<&str> = user
        .split(['.', '_', '-'])
        .map(|p| p.trim_matches(|c: char| c.is_ascii_digit()))
        .filter(|p| !p.is_empty())
        .collect();
    let person = parts.len() == 2
        && parts.iter().all(|p| {
            p.chars().count() >= 2
                && p.chars().all(char::is_alphabetic)
                && !p.chars().all(char::is_uppercase)
                && !ROLE_MAILBOXES.contains(&p.to_lowercase().as_str())
        });
    match person {
        true => parts.iter().map(|p| p.to_lowercase()).collect(),
        false => Vec::new(),
    }
}

/// The words of a text written wholly in lower case (ordinary words, not names).
fn lower_case_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphabetic() || c == '-' || c == '\'' || c == '’'))
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
}

/// A NIR written in its groups (`1 85 03 75 123 456 36`) is one whatever its key: a mistyped key
/// must not leave its sex, birth year and month in clear (nor let the phone rule take half of it).
/// Only a 15-digit run without separators has its key checked.
fn nir_in_groups(candidate: &str) -> bool {
    candidate.split([' ', '.', '-']).count() >= 6
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
            "Le lot 184129912345611 est arrivé abîmé.",
            "Référence FR76 3000 6000 0112 3456 7890 180 du marché.",
            "L'hôpital Georges Pompidou a fermé un service.",
        ] {
            assert_eq!(p.apply(clean), clean);
        }
    }

    #[test]
    fn a_name_found_once_is_masked_where_it_recurs() {
        let p = Pseudonymiser::new();
        assert_eq!(
            p.apply("Madame Garnier de la caisse a perdu mon dossier, Garnier ne rappelle jamais."),
            "Madame [NOM] de la caisse a perdu mon dossier, [NOM] ne rappelle jamais."
        );
        // The e-mail's user name names her too.
        assert_eq!(
            p.apply("Écrire à sylvie.garnier@caisse.fr : Garnier répond vite."),
            "Écrire à [EMAIL] : [NOM] répond vite."
        );
        // In the text that names her, « Blanc » is masked; the common word « blanc » stays.
        assert_eq!(
            p.apply("Le docteur Blanc porte un blouson blanc, Blanc est gentil."),
            "Le docteur [NOM] porte un blouson blanc, [NOM] est gentil."
        );
        let corpus = [
            "Madame Garnier de la caisse a perdu mon dossier.",
            "Garnier ne rappelle jamais.",
            "Le docteur Blanc est gentil.",
            "Un mur blanc. Blanc comme neige.",
            "GARNIER, encore elle.",
        ];
        let p = Pseudonymiser::for_corpus(&corpus);
        assert_eq!(
            p.corpus_names(),
            1,
            "garnier only: « blanc » is a common word here"
        );
        assert_eq!(p.apply(corpus[1]), "[NOM] ne rappelle jamais.");
        assert_eq!(p.apply(corpus[3]), corpus[3]);
        assert_eq!(p.apply(corpus[4]), "[NOM], encore elle.");
        assert_eq!(
            p.apply("Les garnitures Garnier-Dupuis."),
            "Les garnitures Garnier-Dupuis."
        );
    }

    #[test]
    fn a_nir_in_its_groups_is_masked_whatever_its_key() {
        let p = Pseudonymiser::new();
        assert_eq!(
            p.apply("Mon numéro 1 85 03 75 123 456 36 est faux."),
            "Mon numéro [NIR] est faux."
        );
        assert_eq!(
            p.apply("Mon numéro 1.85.03.75.123.456.36 est faux."),
            "Mon numéro [NIR] est faux."
        );
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
