//! What a testimony or a passage does: propose a change (`proposition`), report what its writer
//! lived or did (`experience`), or describe the situation (`constat`). A French rule set over each
//! sentence, written from the consultation's own wording (« il faut », « il faudrait », « nous
//! proposons », « je demande que », imperatives, « devrait », « pourquoi ne pas », questions asking
//! the authority to act; first-person accounts in the past, « mon dossier », « satisfait de »…).
//! A text is a proposition when one of its sentences is, else an experience when one is, else a
//! constat. Measured against 740 sentences tagged by hand in three rounds, the last held out
//! (tests/kind/tagged*.csv; METHODS.md).

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
  | (?:^|[^'\w])(?:doit|doivent)\ (?:(?:encore|enfin|donc|aussi|désormais|absolument|impérativement)\ )?(?:s'|se\ |y\ |en\ |les\ |le\ |la\ |leur\ )?[a-zàâçéèêëîïôûù]+(?:er|ir|re)\b
  | \bnous\ devons\b
  | \b(?:nous\ )?propos(?:ons|e)\ (?:de|que|la|le|une|un|des)\b
  | \b(?:je|nous)\ (?:vous\ |leur\ |lui\ )?(?:demande|demandons|souhaite|souhaitons|réclame|réclamons|plaide|plaidons)\b
  | \bil\ serait\ (?:bon|souhaitable|utile|nécessaire|judicieux|temps|préférable|logique|juste)\b
  | \bil\ est\ (?:urgent|essentiel|nécessaire|indispensable|impératif|temps|primordial|vital)\ (?:de\b|d')
  | \bil\ y\ a\ urgence\ à\b
  | \b(?:appara[iî]t|para[iî]t|semble|apparaissent|paraissent|semblent)\ (?:urgente?s?|indispensables?|prioritaires?)\b
  | \bs'imposen?t?\W*$
  | \bvous\ avez\ le\ devoir\ de\b
  | ^\W*fini(?:e|s|es)?\ (?:les|le|la|l')
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
const MUST_CONDITION: &str = r"\bil faut (?:être\b.*\bpour\b|se réjouir|saluer|le dire|le reconnaître|bien le dire|savoir|se débrouiller|courir|le prendre)";

/// A modal in a relative clause describes someone's obligation (« celui qui doit prendre sa
/// voiture »), and « il faudrait » in a question is rhetorical (« et il faudrait qu'il se taise ? »).
const NOT_A_REQUEST: &str = r"(?x)
    \bqui\ (?:doit|doivent|devra|devront)\b
  | ^\W*et\ il\ faudrait\b.*\?\s*$
  | \b(?:avez|a|ont)\ (?:bien\ )?(?:annoncé|indiqué|affirmé|déclaré|promis|dit|compris)\ qu
";
/// …except in a cleft, which names what must change (« c'est l'efficacité de la dépense qui doit
/// être questionnée »).
const CLEFT: &str = r"\bc'est\b[^,;:]*\bqui\ (?:doit|doivent)\ ";

/// Questions that ask the authority to act (not rhetorical ones, not requests for information).
const ASKS_TO_ACT: &str = r"(?x)
    \b(?:allez|comptez|entendez|envisagez|souhaitez)-vous\b
  | \bcompte-t-(?:il|elle)\b
  | \bqu'avez-vous\ (?:concrètement\ )?prévu\b
  | \bquand\ (?:\w+rez-vous|vous\ \w+rez)\b
  | \bque\ comptez\b
  | \bqu'attendez-vous\ pour\b
";

/// Infinitives and first-person-plural imperatives that open an instruction.
const INSTRUCTION: &str = r"(?x)
    (?:^|:\ )(?:\W*)(?:simplifier|supprimer|créer|augmenter|réduire|développer|instaurer|mettre|rendre
      |donner|permettre|renforcer|améliorer|revaloriser|recruter|financer|arrêter|bloquer
      |baisser|présenter|aider|revoir|généraliser|obliger|interdire|limiter|favoriser|faciliter
      |embaucher|ouvrir|rétablir|réinstaurer|instituer|privilégier|remettre|redonner|former
      |simplifions|arrêtons|agissons|donnons|créons|mettons|rendons|osons|faisons|redonnons)\b
  | ^(?:pour\ [^,:]{1,60})\s(?:présenter|créer|mettre|donner|aider|simplifier|développer)\b
";

/// An infinitive opening a sentence without a finite verb of its own is an instruction
/// (« Subventionner l'isolation des immeubles », « Prévoir des citoyens intercesseurs »); one
/// followed by « c'est », « est »… is the subject of a statement (« Trouver une entreprise n'est
/// pas évident », « Bloquer, c'est prendre en otage… »). Auxiliaries open descriptions (« Devoir
/// justifier… », « Aller demander… »).
const OPENING_INFINITIVE: &str = r"(?x)
    ^\W*(?:ne\ pas\ )?[a-zàâçéèêëîïôûù]{3,}(?:er|ir)
    \ (?:le|la|les|l'|des|du|un|une|à|au|aux|en|de|d'|son|sa|ses|leur|leurs|plus|davantage|ce|cette|ces|tous|toutes|chaque)\b
";
const AUXILIARY_OPENING: &str =
    r"^\W*(?:devoir|aller|avoir|venir|falloir|pouvoir|vouloir|savoir)\b";
const FINITE_VERB: &str = r"(?x)
    (?:^|\s|,)(?:c'est|n'est|est|sont|était|étaient|a|ont|sera|serait|permet|reste|fait|semble|devient|coûte)\b
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
    let proposes = regex(&P, PROPOSITION).is_match(&s)
        || (regex(&I, INSTRUCTION).is_match(&s) && !opening_subject(&s))
        || instruction_without_verb(&s);
    if asks || ((must || proposes) && !reported_or_relative(&s)) {
        Kind::Proposition
    } else if regex(&E, EXPERIENCE).is_match(&s) {
        Kind::Experience
    } else {
        Kind::Constat
    }
}

/// A modal that is not a request: reported, in a relative clause, rhetorical; a cleft stays one.
fn reported_or_relative(s: &str) -> bool {
    static N: OnceLock<Regex> = OnceLock::new();
    static C: OnceLock<Regex> = OnceLock::new();
    regex(&N, NOT_A_REQUEST).is_match(s) && !regex(&C, CLEFT).is_match(s)
}

/// An opening infinitive that is the subject of the sentence's verb (« Bloquer, c'est… »,
/// « Permettre à l'école … est une ambition »): the verb comes before any relative « qui ».
fn opening_subject(s: &str) -> bool {
    static S: OnceLock<Regex> = OnceLock::new();
    regex(&S, r"^[^?]*?(?:,\ c'est|\ est|\ n'est|\ sont)\b")
        .find(s)
        .is_some_and(|m| !m.as_str().contains(" qui "))
}

/// A sentence opened by an infinitive that is not the subject of a verb (lower case).
fn instruction_without_verb(s: &str) -> bool {
    static O: OnceLock<Regex> = OnceLock::new();
    static A: OnceLock<Regex> = OnceLock::new();
    static F: OnceLock<Regex> = OnceLock::new();
    regex(&O, OPENING_INFINITIVE).is_match(s)
        && !regex(&A, AUXILIARY_OPENING).is_match(s)
        && !regex(&F, FINITE_VERB).is_match(s)
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
            (
                "L'État doit transmettre un bilan annuel aux usagers.",
                Proposition,
            ),
            (
                "Les directions doivent s'engager sur les effectifs.",
                Proposition,
            ),
            ("Prévoir des médiateurs dans chaque hôpital.", Proposition),
            ("Fini les formulaires en trois exemplaires.", Proposition),
            ("Il y a urgence à rouvrir les lits.", Proposition),
            ("Il est temps d'agir pour les soignants.", Proposition),
            ("Une seule remarque : arrêtons les doublons.", Proposition),
            ("Trouver un médecin traitant n'est pas simple.", Constat),
            (
                "Obtenir un rendez-vous, c'est un parcours du combattant.",
                Constat,
            ),
            (
                "Celui qui doit prendre sa voiture paie le prix fort.",
                Constat,
            ),
            ("Il faut se débrouiller seul avec les démarches.", Constat),
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
