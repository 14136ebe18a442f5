//! What a testimony or a passage does: propose a change (`proposition`), report what its writer
//! lived or did (`experience`), or describe the situation (`constat`). A French rule set over each
//! sentence, written from the consultation's own wording (« il faut », « il faudrait », « nous
//! proposons », « je demande que », imperatives, « devrait », « pourquoi ne pas », questions asking
//! the authority to act; first-person accounts in the past, « mon dossier », « satisfait de »…).
//! A text is a proposition when one of its sentences is, else an experience when one is, else a
//! constat. Measured against 1,040 sentences tagged by hand in four rounds, the last held out
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
  | (?:^|[^'\w])(?:doit|doivent|devons)\ (?:(?:encore|enfin|donc|aussi|désormais|absolument|impérativement|maintenant|d'urgence)\ )?(?:s'|se\ |y\ |en\ |les\ |le\ |la\ |l'|leur\ |lui\ |nous\ |vous\ |me\ |m')?[a-zàâçéèêëîïôûù]+(?:er|ir|re)\b
  | \b(?:nous\ )?propos(?:ons|e)\ (?:de|que|la|le|une|un|des)\b
  | \b(?:je|nous)\ (?:vous\ |leur\ |lui\ )?(?:demande|demandons|souhaite|souhaitons|réclame|réclamons|plaide|plaidons)\b
  | \bexigeons\b
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
  | \bpourrait-on\b | \bon\ pourrait\ (?:pas\ )?(?:[a-zàâçéèêëîïôûù]+(?:er|ir|re))\b
  | \bil\ (?:suffirait|conviendrait|conviendra|convient)\ (?:de\b|d')
  | \bmieux\ vaudrait\b | \bl'idéal\ serait\b
  | \b(?:ce|ça|cela)\ serait\ (?:bien|mieux|plus\ simple|plus\ juste|plus\ logique|une\ bonne\ chose)\b
  | \b(?:peut|pourrait|pourraient)\ (?:éviter|permettre)\b
  | ^\W*(?:il\ est\ )?(?:indispensable|urgent|nécessaire|essentiel|impératif|primordial|vital)\ (?:de\b|d')
  | \b(?:est|sont|reste|restent)\ à\ (?:consentir|faire|revoir|repenser|améliorer|changer|réformer|créer|inventer|construire|encourager|privilégier)\b
  | \bpriorité\ absolue\b | (?:^|[:;,]\ )\W*priorité\ (?:à|au|aux)\b
  | \b(?:la\ seule|une\ seule|l'unique)\ (?:solution|alternative|issue)\b
  | \bil\ existe\ (?:pourtant\ )?(?:une|des)\ solutions?\b | \bla\ solution\ (?:est|serait|passe)\b
";

/// « Il faut », unless it only states a condition (« il faut être en bonne santé pour… »,
/// « il faut se réjouir »).
const MUST: &str = r"\bil (?:faut|faudra)\b";
const MUST_CONDITION: &str = r"\bil faut (?:être\b[^,;:.!?]*\bpour\b|se réjouir|saluer|le dire|le reconnaître|bien le dire|savoir|se débrouiller|courir|le prendre)";

/// An obligation laid on the people who live it describes a burden, not a change asked for
/// (« il faut remplir un dossier », « nous devons remplir les mêmes feuilles », « ils doivent se
/// résoudre à fermer », « il est nécessaire d'avoir une imprimante pour scanner »), to the end of
/// its clause.
const BURDEN: &str = r"(?x)
    (?:\b(?:faut|faudra|doit|doivent|devons|devez|dois)\ |\bnécessaire\ d'|\bnécessaire\ de\ )(?:(?:vraiment|encore|toujours|souvent|alors|donc)\ )?
    (?:remplir|passer\ par|attendre|patienter|subir|supporter|se\ partager|se\ résoudre|faire\ face
      |se\ contenter|renoncer|téléphoner|appeler|rappeler|se\ déplacer|fournir|renvoyer|refaire
      |recommencer|justifier|prouver|compter|imprimer|scanner|avoir\ envie
      |avoir\b[^,;:.!?]*\bpour\b|être\b[^,;:.!?]*\bpour\b
      |faire\ (?:des|plusieurs)\ (?:dizaines|kilomètres|km|heures|allers|démarches|photocopies|copies)|faire\ la\ queue)\b
    [^,;:.!?]*
";

/// Frames of speech that only introduce what follows (« il convient de souligner que »,
/// « prenons l'exemple de », « n'allez pas croire », « soyez assurés »): blanked like burdens.
const FRAME: &str = r"(?x)
    \bconvient\ de\ (?:souligner|rappeler|noter|préciser|dire|reconnaître)\b
  | \bprenons\ (?:l'exemple|le\ cas)\b | \bn'allez\ pas\ croire\b | \bsoyez\ assurée?s?\b
";

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
  | \b(?:va|compte|entend|envisage)-t-(?:il|elle)\b | \b(?:entend|envisage|entendent|envisagent)-(?:il|elle|ils|elles)\b
  | \bquand\b.*-t-(?:il|elle)\b
  | \bque\ (?:[\w'-]+\ ){1,5}(?:compte|comptent|entend|entendent|envisage|envisagent)\ [a-zàâçéèêëîïôûù]+(?:er|ir|re)\b
";

/// Infinitives and first-person-plural imperatives that open an instruction.
const INSTRUCTION: &str = r"(?x)
    (?:^|:\ )(?:\W*)(?:(?:et|donc|puis|ensuite|enfin|aussi|alors|ou|surtout|mais|à\ l'inverse|a\ l'inverse|par\ ailleurs|de\ plus)\ ,?\s*)?(?:simplifier|supprimer|créer|augmenter|réduire|développer|instaurer|mettre|rendre
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
    ^\W*(?:(?:et|donc|puis|ensuite|enfin|aussi|alors|ou|surtout|mais|à\ l'inverse|a\ l'inverse|par\ ailleurs|de\ plus)\ ,?\s*)?(?:ne\ pas\ )?[a-zàâçéèêëîïôûù]{3,}(?:er|ir)
    \ (?:le|la|les|l'|des|du|un|une|à|au|aux|en|de|d'|son|sa|ses|leur|leurs|plus|davantage|ce|cette|ces|tous|toutes|chaque)\b
";
const AUXILIARY_OPENING: &str =
    r"^\W*(?:devoir|aller|avoir|venir|falloir|pouvoir|vouloir|savoir)\b";
const FINITE_VERB: &str = r"(?x)
    (?:^|\s|,)(?:c'est|n'est|est|sont|était|étaient|a|ont|sera|serait|permet|reste|fait|semble|devient|coûte)\b
";

/// A verbless sentence naming a change to make (« Mise en place d'un guichet unique »,
/// « Aménagement de pistes cyclables », « Service militaire obligatoire pour tous »): an action
/// noun that only names a change when nothing says it already happened (« Suppression de la
/// trésorerie » or « Augmentation des prix » report one, so they are not here).
const NOMINAL_PROPOSAL: &str = r"(?x)
    ^\W*(?:mise\ en\ place|création|instauration|généralisation|simplification|aménagement
      |rétablissement|revalorisation|harmonisation|davantage\ d|obligation\ d
      |interdiction\ d|gratuité|un\ meilleur|une\ meilleure|de\ meilleurs|de\ meilleures)\b
  | \bobligatoires?\ pour\ tou(?:s|tes)\b
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
    static B: OnceLock<Regex> = OnceLock::new();
    let lower = sentence.to_lowercase().replace('’', "'");
    let asks = lower.contains('?') && regex(&Q, ASKS_TO_ACT).is_match(&lower);
    // Burdens and frames are blanked out: another clause may still ask for a change.
    static F: OnceLock<Regex> = OnceLock::new();
    let unframed = regex(&F, FRAME).replace_all(&lower, " ");
    let s = regex(&B, BURDEN).replace_all(&unframed, " ");
    let must = regex(&M, MUST).is_match(&s) && !regex(&C, MUST_CONDITION).is_match(&s);
    let proposes = regex(&P, PROPOSITION).is_match(&s)
        || (regex(&I, INSTRUCTION).is_match(&s) && !opening_subject(&s))
        || instruction_without_verb(&s)
        || imperative(&s)
        || imperative_plural(&s)
        || wish(&s);
    if asks || ((must || proposes) && !reported_or_relative(&s)) {
        Kind::Proposition
    } else if regex(&E, EXPERIENCE).is_match(&s) {
        Kind::Experience
    } else {
        Kind::Constat
    }
}

/// Where an imperative may open a clause: the sentence's start, after a punctuation mark or a
/// conjunction, or « par pitié », negated or not.
const CLAUSE_START: &str = r"(?:^|[.,;:!]\s|\bet\s|\bdonc\s|\bpuis\s|\bpitié\s)\W*(?:n'|ne\s)?";

/// A second-person-plural imperative opening a clause (« Développez la communication par
/// e-mail », « Retirez-la et créons… », « …les dents et évitez le déremboursement »); not an
/// inversion asking a question (« Pouvez-vous… », « Savez vous… ») nor the rhetoric of « sachez
/// que », « croyez-moi ».
fn imperative(s: &str) -> bool {
    static V: OnceLock<Regex> = OnceLock::new();
    const RHETORIC: &str =
        "chez assez nez rez sachez croyez voyez imaginez avouez admettez excusez permettez";
    let verb = V.get_or_init(|| clause_opening(r"[a-zàâçéèêëîïôûù]{3,}ez", "-vous| vous"));
    opening_verbs(s, verb).any(|(word, rest, inverted)| {
        let says_that = [" que", " pas que", " jamais que"]
            .iter()
            .any(|t| rest.starts_with(t));
        !(inverted || says_that || RHETORIC.split(' ').any(|r| r == word))
    })
}

/// A first-person-plural imperative opening a clause (« Soyons cohérents », « ne dépensons pas
/// pour rien »): a word in -ons that is neither in -ions (nouns: « actions », « questions ») nor
/// one of the common nouns in -ons or the rhetoric of « disons-le », nor an inversion in a
/// question (« allons-nous… ? »), nor a verb whose subject « nous » came before it.
fn imperative_plural(s: &str) -> bool {
    static V: OnceLock<Regex> = OnceLock::new();
    const NOT_ASKING: &str = "maisons raisons saisons prisons garçons leçons bons dons sons patrons \
        boissons chansons horizons jetons cartons rayons salons ballons \
        disons avouons reconnaissons rappelons soulignons notons";
    let verb = V.get_or_init(|| clause_opening(r"[a-zàâçéèêëîïôûù]{2,}ons", "-nous| nous"));
    opening_verbs(s, verb).any(|(word, rest, inverted)| {
        let question = inverted && s.contains('?');
        // « que nous tous, sur tous les bancs, menons… »: the subject came first.
        let subject_before = s[..s.len() - rest.len()].contains("nous ");
        !(word.ends_with("ions")
            || question
            || subject_before
            || NOT_ASKING.split_whitespace().any(|n| n == word))
    })
}

/// A verb of the form `word` opening a clause, then the inverted `pronoun` if it follows.
fn clause_opening(word: &str, pronoun: &str) -> Regex {
    Regex::new(&format!(r"{CLAUSE_START}({word})\b({pronoun})?")).expect("valid pattern")
}

/// Each clause-opening verb `verb` finds: the word, the text after it, and whether a subject
/// pronoun follows it (« -vous », « -nous »).
fn opening_verbs<'a>(
    s: &'a str,
    verb: &'a Regex,
) -> impl Iterator<Item = (&'a str, &'a str, bool)> {
    verb.captures_iter(s).map(|c| {
        let word = c.get(1).expect("the pattern's verb group");
        (word.as_str(), &s[word.end()..], c.get(2).is_some())
    })
}

/// A wish in the subjunctive opening the sentence (« Qu'on me rende mon argent ! »).
fn wish(s: &str) -> bool {
    static W: OnceLock<Regex> = OnceLock::new();
    !s.contains('?') && regex(&W, r"^\W*(?:qu'on|que\ l'on)\s").is_match(s)
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

/// A sentence opened by an infinitive that is not the subject of a verb, or a verbless one that
/// names a change (lower case).
fn instruction_without_verb(s: &str) -> bool {
    static O: OnceLock<Regex> = OnceLock::new();
    static A: OnceLock<Regex> = OnceLock::new();
    static F: OnceLock<Regex> = OnceLock::new();
    static N: OnceLock<Regex> = OnceLock::new();
    let opens = (regex(&O, OPENING_INFINITIVE).is_match(s)
        && !regex(&A, AUXILIARY_OPENING).is_match(s))
        || regex(&N, NOMINAL_PROPOSAL).is_match(s);
    opens && !regex(&F, FINITE_VERB).is_match(s)
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

    /// Each sentence (written for a rule, not drawn from the data) gets its kind.
    fn check(cases: &[(&str, Kind)]) {
        for &(sentence, kind) in cases {
            assert_eq!(sentence_kind(sentence), kind, "{sentence}");
        }
    }

    #[test]
    fn proposals_of_every_shape_written_for_their_rules() {
        use Kind::*;
        check(&[
            (
                "Il faut être honnête, il faut simplifier pour tous.",
                Proposition,
            ),
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
            ("Développez les permanences en mairie.", Proposition),
            ("Par pitié, simplifiez les formulaires !", Proposition),
            ("Soyons cohérents.", Proposition),
            (
                "Il faut remplir vingt pages, il faudrait simplifier.",
                Proposition,
            ),
            (
                "Il faut avoir un dossier complet, il faudrait simplifier pour tous.",
                Proposition,
            ),
            ("Qu'on nous rende nos bureaux de poste !", Proposition),
            ("Pourrait-on ouvrir le samedi ?", Proposition),
            ("Il suffirait de publier les horaires.", Proposition),
            ("Indispensable de former les agents.", Proposition),
            ("De gros efforts sont à faire sur l'accueil.", Proposition),
            ("Le ministre va-t-il enfin agir ?", Proposition),
            ("Quels moyens l'État entend-il déployer ?", Proposition),
            ("Mise en place d'un guichet unique.", Proposition),
            ("Service militaire obligatoire pour tous.", Proposition),
            ("Donc arrêter de financer les doublons.", Proposition),
            (
                "Nous, soignants, exigeons la réouverture des lits.",
                Proposition,
            ),
        ]);
    }

    #[test]
    fn conditions_burdens_rhetoric_and_accounts_are_no_proposals() {
        use Kind::*;
        check(&[
            (
                "Il faut être en bonne santé pour supporter ces délais.",
                Constat,
            ),
            ("J'ai attendu six mois mon rendez-vous.", Experience),
            ("Mon dossier a été traité en une semaine.", Experience),
            ("Nous avons dû fermer le service en août.", Experience),
            ("Satisfait de la CPAM, rien à redire.", Experience),
            ("Les délais sont trop longs.", Constat),
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
            ("Sachez que nous sommes épuisés.", Constat),
            ("N'oubliez jamais que rien n'est simple.", Constat),
            ("Disons-le : les délais sont trop longs.", Constat),
            ("Il faut remplir un dossier de vingt pages.", Constat),
            ("Nous devons remplir les mêmes formulaires.", Constat),
            ("Ils doivent se résoudre à supprimer des lits.", Constat),
            ("Augmentation des prix partout.", Constat),
            ("Prenons l'exemple d'une famille de quatre.", Constat),
            ("Savez vous que la caisse a fermé ?", Constat),
            (
                "Le travail que nous tous, sur tous les bancs, menons ici.",
                Constat,
            ),
            ("Une carte de priorité au stationnement.", Constat),
        ]);
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
