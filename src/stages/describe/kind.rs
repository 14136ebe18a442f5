//! What a testimony or a passage does: propose a change (`proposition`), report what its writer
//! lived or did (`experience`), or describe the situation (`constat`). A French rule set over each
//! sentence, written from the consultation's own wording (« il faut », « il faudrait », « nous
//! proposons », « je demande que », imperatives, « devrait », « pourquoi ne pas », questions asking
//! the authority to act; first-person accounts in the past, « mon dossier », « satisfait de »…).
//! A text is a proposition when one of its sentences is, else an experience when one is, else a
//! constat. Measured against 300 sentences tagged by hand (tests/kind/tagged.csv; METHODS.md).

use std::sync::OnceLock;

use regex::Regex;

/// The three kinds, in the order a text's sentences decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Proposition,
    Experience,
    Constat,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Proposition => "proposition",
            Kind::Experience => "experience",
            Kind::Constat => "constat",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "proposition" => Some(Kind::Proposition),
            "experience" | "expérience" => Some(Kind::Experience),
            "constat" => Some(Kind::Constat),
            _ => None,
        }
    }
}

/// Cues of a proposal: an obligation or a wish about what should change.
const PROPOSITION: &str = r"(?x)
    (?:^|[\s,;:(])faudrait\b
  | \bdevr(?:ait|aient|ions|iez|a|ont)\b
  | \b(?:doit|doivent)\ (?:être|pouvoir|disposer|permettre|garantir|cesser|prendre|rester)\b
  | \bnous\ devons\b
  | \b(?:nous\ )?propos(?:ons|e)\ (?:de|que|la|le|une|un|des)\b
  | \b(?:je|nous)\ (?:demande|demandons|souhaite|souhaitons|réclame|réclamons|plaide|plaidons)\b
  | \bil\ serait\ (?:bon|souhaitable|utile|nécessaire|judicieux|temps|préférable|logique|juste)\b
  | \bil\ est\ (?:urgent|essentiel|nécessaire|indispensable|impératif|temps|primordial|vital)\ de\b
  | \best\ (?:impératif|impérative|une\ obligation|une\ nécessité|indispensable|une\ urgence)\b
  | \bpourquoi\ ne\ pas\b
  | \bà\ (?:généraliser|développer|renforcer|revoir|simplifier|traiter\ en\ priorité|repenser|supprimer)\b
  | \bdommage\ qu
  | \b(?:cela|ça|ce\ qui)\ (?:éviterait|permettrait|donnerait|donnera|permettra|éviterait)\b
  | \bplutôt\ que\b
  | \bpeut\ encore\ être\ mieux\b
  | \bà\ quand\b
";

/// « Il faut », unless it only states a condition (« il faut être en bonne santé pour… »,
/// « il faut se réjouir »).
const MUST: &str = r"\bil (?:faut|faudra)\b";
const MUST_CONDITION: &str =
    r"\bil faut (?:être\b.*\bpour\b|se réjouir|saluer|le dire|le reconnaître|bien le dire)";

/// Questions that ask the authority to act (not rhetorical ones, not requests for information).
const ASKS_TO_ACT: &str = r"(?x)
    \b(?:allez|comptez|entendez|envisagez|souhaitez)-vous\b
  | \bcompte-t-(?:il|elle)\b
  | \bqu'avez-vous\ (?:concrètement\ )?prévu\b
  | \bquand\ (?:\w+rez-vous|vous\ \w+rez)\b
  | \bque\ comptez\b
";

/// Infinitives and first-person-plural imperatives that open an instruction.
const INSTRUCTION: &str = r"(?x)
    ^(?:\W*)(?:simplifier|supprimer|créer|augmenter|réduire|développer|instaurer|mettre|rendre
      |donner|permettre|renforcer|améliorer|revaloriser|recruter|financer|arrêter|bloquer
      |baisser|présenter|aider|revoir|généraliser|obliger|interdire|limiter|favoriser|faciliter
      |embaucher|ouvrir|rétablir|réinstaurer|instituer|privilégier|remettre|redonner|former
      |simplifions|arrêtons|agissons|donnons|créons|mettons|rendons|osons|faisons|redonnons)\b
  | ^(?:pour\ [^,:]{1,60})\s(?:présenter|créer|mettre|donner|aider|simplifier|développer)\b
";

/// Cues of an experience: the writer's own case, in the first person or reported as lived.
const EXPERIENCE: &str = r"(?x)
    \bj'(?:ai|avais|étais|en\ ai|y\ ai)\b
  | \bje\ (?:suis|me\ suis|n'ai|n'avais|vais|me\ souviens|gagne|me\ débrouille|le\ constate|l'ai|les\ ai|viens|dois|travaille|cherche)\b
  | \bil\ m'a\b | \bm'(?:a|ont|avait|avaient)\b | \bme\ (?:soit|sont|suis)\b
  | \bnous\ (?:avons|n'avons)\ (?:dû|eu|fréquenté|été|pu|obtenu|attendu|pas|jamais)\b
  | \b(?:mon|ma|mes|nos|notre)\ (?:fils|fille|filles|enfant|enfants|mère|père|mari|femme|épouse|dossier|demande|traitement|compte|département|famille|proche|parents)\b
  | \b(?:globalement\ )?satisfait(?:e|s)?\ de\b | ^\W*(?:satisfaction|bravo|globalement\ satisfait)\b
  | \b(?:ont|a)\ été\ (?:refusée?s?|acceptée?s?|bouclée?|traitée?s?)\b
  | \bj'ai\ pu\b
";

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid pattern"))
}

/// The kind of one sentence.
pub fn sentence_kind(sentence: &str) -> Kind {
    static P: OnceLock<Regex> = OnceLock::new();
    static Q: OnceLock<Regex> = OnceLock::new();
    static I: OnceLock<Regex> = OnceLock::new();
    static E: OnceLock<Regex> = OnceLock::new();
    static M: OnceLock<Regex> = OnceLock::new();
    static C: OnceLock<Regex> = OnceLock::new();
    let s = sentence.to_lowercase().replace('’', "'");
    let asks = s.contains('?') && regex(&Q, ASKS_TO_ACT).is_match(&s);
    let must = regex(&M, MUST).is_match(&s) && !regex(&C, MUST_CONDITION).is_match(&s);
    let proposes = regex(&P, PROPOSITION).is_match(&s) || regex(&I, INSTRUCTION).is_match(&s);
    if asks || must || proposes {
        Kind::Proposition
    } else if regex(&E, EXPERIENCE).is_match(&s) {
        Kind::Experience
    } else {
        Kind::Constat
    }
}

/// The kind of a text: a proposition when one of its sentences is, else an experience when one
/// is, else a constat.
pub fn text_kind(text: &str) -> Kind {
    crate::stages::passages::cut::sentence_spans(text)
        .into_iter()
        .map(|(a, b)| sentence_kind(&text[a..b]))
        .min()
        .unwrap_or(Kind::Constat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sentences written for each rule (not drawn from the data).
    #[test]
    fn each_rule_on_sentences_written_for_it() {
        use Kind::*;
        let cases = [
            ("Il faut recruter des infirmières de nuit.", Proposition),
            (
                "Il faudrait revoir la tarification à l'activité.",
                Proposition,
            ),
            (
                "Les agences régionales devraient écouter les soignants.",
                Proposition,
            ),
            ("Nous proposons de créer un guichet unique.", Proposition),
            ("Je demande que les primes soient pérennisées.", Proposition),
            (
                "Pourquoi ne pas ouvrir les concours aux aides-soignantes ?",
                Proposition,
            ),
            ("Simplifions les procédures d'achat.", Proposition),
            ("Revaloriser les salaires des brancardiers.", Proposition),
            ("Il est urgent de rouvrir des lits.", Proposition),
            ("Quand allez-vous enfin agir pour l'hôpital ?", Proposition),
            ("Que comptez-vous faire pour les urgences ?", Proposition),
            ("À quand une loi grand âge ?", Proposition),
            (
                "Il faut être en bonne santé pour supporter ces délais.",
                Constat,
            ),
            ("J'ai attendu six mois mon rendez-vous.", Experience),
            ("Mon dossier a été traité en une semaine.", Experience),
            ("Nous avons dû fermer le service en août.", Experience),
            ("Satisfait de la CPAM, rien à redire.", Experience),
            ("Les délais sont trop longs.", Constat),
            ("Pour quel résultat ?", Constat),
            ("Pouvez-vous préciser le calendrier ?", Constat),
        ];
        for (sentence, kind) in cases {
            assert_eq!(sentence_kind(sentence), kind, "{sentence}");
        }
    }

    #[test]
    fn a_text_takes_the_strongest_kind_of_its_sentences() {
        let text = "Les délais sont longs. J'ai attendu un an. Il faut embaucher.";
        assert_eq!(text_kind(text), Kind::Proposition);
        assert_eq!(
            text_kind("Les délais sont longs. J'ai attendu."),
            Kind::Experience
        );
        assert_eq!(text_kind("Les délais sont longs."), Kind::Constat);
        assert_eq!(text_kind(""), Kind::Constat);
    }
}
