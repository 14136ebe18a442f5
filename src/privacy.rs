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
    rules: Vec<(Regex, &'static str)>,
    titled_name: Regex,
}

/// Capitalised words that follow a title without being a name ("infirmière Le soir…").
const NOT_NAMES: [&str; 24] = [
    "Le", "La", "Les", "Un", "Une", "Des", "Je", "Il", "Elle", "Ils", "Elles", "Nous", "Vous",
    "On", "Ce", "Cette", "Mais", "Et", "En", "Au", "Aux", "Du", "De", "Pour",
];

impl Default for Pseudonymiser {
    fn default() -> Self {
        Self::new()
    }
}

impl Pseudonymiser {
    pub fn new() -> Self {
        let rule = |p: &str| Regex::new(p).expect("valid pattern");
        let rules = vec![
            (
                rule(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
                "[EMAIL]",
            ),
            (
                rule(r"(?i)\b(?:https?://|www\.)[^\s/]+/[^\s]*[^\s.,;:!?)»]"),
                "[URL]",
            ),
            (
                rule(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"),
                "[IBAN]",
            ),
            (
                rule(
                    r"\b[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?\b",
                ),
                "[NIR]",
            ),
            (
                rule(r"(?:\+33 ?|\b0033 ?|\b0)[1-9](?:[ .-]?\d{2}){4}\b"),
                "[TÉLÉPHONE]",
            ),
            (
                rule(
                    r"(?i)\b\d{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|route|quai|cours|square|résidence) (?:(?:de la|de l'|du|des|de|d') ?)?[\p{L}'’-]+(?: [\p{Lu}][\p{L}'’-]+){0,3}(?:,? \d{5}(?: [\p{Lu}][\p{L}-]+)?)?",
                ),
                "[ADRESSE]",
            ),
        ];
        let titled_name = rule(
            r"\b(M\.|Mme|Mlle|Monsieur|Madame|Mademoiselle|Dr\.?|[Dd]octeur|Pr\.?|[Pp]rofesseur|[Ii]nfirmière|[Ii]nfirmier|[Aa]ide-soignante|[Aa]ide-soignant|[Ss]age-femme|[Kk]iné|[Cc]adre) ([\p{Lu}][\p{Ll}'’]+(?:-\p{Lu}?\p{Ll}+)*(?: [\p{Lu}][\p{Ll}'’]+(?:-\p{Lu}?\p{Ll}+)*)?)",
        );
        Self { rules, titled_name }
    }

    /// The text with personal data replaced; borrowed when nothing was found.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (re, placeholder) in &self.rules {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, *placeholder).into_owned());
            }
        }
        if self.titled_name.is_match(&out) {
            let replaced = self.titled_name.replace_all(&out, |c: &Captures| {
                let name = &c[2];
                let first = name.split(' ').next().unwrap_or(name);
                if NOT_NAMES.contains(&first) {
                    c[0].to_string()
                } else {
                    format!("{} [NOM]", &c[1])
                }
            });
            if replaced != out {
                out = Cow::Owned(replaced.into_owned());
            }
        }
        out
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
                "Mon numéro de sécu 2 84 05 75 123 456 78 a été perdu",
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
        ] {
            assert_eq!(p.apply(clean), clean);
        }
    }
}
