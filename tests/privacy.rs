//! The pseudonymiser measured on realistic testimonies with planted personal data, and end to end.

mod common;

use std::process::Command;

use common::*;
use verbatim::privacy::Pseudonymiser;

/// (testimony, the personal data planted in it): formats differ from the unit tests'.
const PLANTED: [(&str, &str); 24] = [
    (
        "Pour me joindre : jean.dupont75@Orange.fr, je travaille de nuit.",
        "jean.dupont75@Orange.fr",
    ),
    (
        "Contact syndicat : CGT.CHU-Nantes@free.fr",
        "CGT.CHU-Nantes@free.fr",
    ),
    ("Appelez-moi au 06.12.34.56.78 si besoin.", "06.12.34.56.78"),
    ("Mon portable 0612345678 est sur le dossier.", "0612345678"),
    (
        "Ma fille m'a appelée du +33 6 98 76 54 32 la nuit du décès.",
        "+33 6 98 76 54 32",
    ),
    (
        "Le standard (02-40-08-33-33) ne répond jamais.",
        "02-40-08-33-33",
    ),
    (
        "Mon NIR 184057512345678 figure sur tous les formulaires.",
        "184057512345678",
    ),
    (
        "Numéro de sécurité sociale : 2 91 12 2A 004 123 45.",
        "2 91 12 2A 004 123 45",
    ),
    (
        "Remboursement attendu sur FR7630006000011234567890189 depuis trois mois.",
        "FR7630006000011234567890189",
    ),
    (
        "IBAN FR14 2004 1010 0505 0001 3M02 606 communiqué deux fois.",
        "FR14 2004 1010 0505 0001 3M02 606",
    ),
    (
        "Ma mère vit au 3 bis avenue de la République, 75011 Paris, seule.",
        "3 bis avenue de la République",
    ),
    (
        "Le centre du 45 boulevard Voltaire a fermé.",
        "45 boulevard Voltaire",
    ),
    (
        "J'ai tout raconté sur http://monblog.fr/jean-dupont/2020/hopital hier.",
        "monblog.fr/jean-dupont",
    ),
    (
        "Mon témoignage complet : https://www.facebook.com/marie.leroy.35/posts/123",
        "facebook.com/marie.leroy",
    ),
    ("Le Dr Moreau refuse de nouveaux patients.", "Moreau"),
    ("Merci au docteur Benali pour sa patience.", "Benali"),
    (
        "Monsieur Jean Martin, cadre du service, nous soutient.",
        "Jean Martin",
    ),
    ("Madame Nguyen a attendu six heures aux urgences.", "Nguyen"),
    ("L'infirmière Claire a tenu le service seule.", "Claire"),
    (
        "Mme Petit-Renaud, notre cadre, est en arrêt.",
        "Petit-Renaud",
    ),
    (
        "Le professeur Lambert dirige le pôle depuis dix ans.",
        "Lambert",
    ),
    (
        "Notre aide-soignante Fatima connaît chaque résident.",
        "Fatima",
    ),
    (
        "M. Garcia, brancardier, a été agressé la nuit dernière.",
        "Garcia",
    ),
    ("La sage-femme Julie Roux a été remarquable.", "Julie Roux"),
];

/// Testimonies with numbers and capitals that are not personal data.
const CLEAN: [&str; 16] = [
    "Je gagne 1 900 euros nets après 15 ans d'ancienneté.",
    "Nous faisons des journées de 12 heures, 3 nuits sur 7.",
    "L'ONDAM a progressé de 2,4 % en 2019, bien moins que les besoins.",
    "Le 17 mars 2020, tout le service a basculé en unité Covid.",
    "La loi du 21 juillet 2009 a créé les agences régionales de santé.",
    "Le site ameli.fr fonctionne bien, https://www.ameli.fr aussi.",
    "Nous sommes 2 infirmières pour 40 patients de 21 h à 7 h.",
    "Je suis infirmière. Les patients attendent 8 mois pour la MDPH.",
    "Le Ségur a promis 183 euros par mois aux soignants.",
    "Le CHU de Nantes a fermé 120 lits entre 2015 et 2019.",
    "En EHPAD, le prix de journée atteint 2 800 euros par mois.",
    "Les urgences de Saint-Nazaire ferment la nuit depuis juillet.",
    "Mon dossier n° 2019-4456 est en attente depuis 6 mois.",
    "Le plan Ma Santé 2022 n'a rien changé pour nous.",
    "L'infirmière Le soir est souvent seule, et M. le directeur ne répond pas.",
    "Notre cadre Pour sa part a demandé des renforts.",
];

#[test]
fn pseudonymiser_recall_and_false_positives_on_planted_data() {
    let p = Pseudonymiser::new();
    let caught = PLANTED
        .iter()
        .filter(|(text, secret)| !p.apply(text).contains(secret))
        .count();
    let changed: Vec<&str> = CLEAN.iter().copied().filter(|t| p.apply(t) != *t).collect();
    let recall = caught as f64 / PLANTED.len() as f64;
    eprintln!(
        "pseudonymiser: recall {caught}/{} = {recall:.2}; false positives {}/{}: {changed:?}",
        PLANTED.len(),
        changed.len(),
        CLEAN.len()
    );
    for (text, secret) in PLANTED {
        if p.apply(text).contains(secret) {
            eprintln!("missed: {text}");
        }
    }
    assert!(recall >= 0.9, "recall {recall}");
    assert!(changed.len() <= 1, "false positives: {changed:?}");
}

#[test]
fn quotes_are_pseudonymised_by_default_and_the_choice_is_recorded() {
    model_path();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.csv");
    std::fs::write(
        &input,
        "texte\n\"Le Dr Moreau, joignable au 06 12 34 56 78, refuse de nouveaux patients.\"\n\"Le docteur Benali ne prend plus de patients, écrire à benali@cabinet.fr.\"\n\"Plus aucun médecin traitant dans notre village depuis deux ans.\"\n",
    )
    .unwrap();
    let run = |out: &std::path::Path, extra: &[&str]| {
        let o = Command::new(binary())
            .args(["run", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("Moreau"),
            "a raw text reached the log"
        );
        std::fs::read_to_string(out.join("themes.csv")).unwrap()
            + &std::fs::read_to_string(out.join("report.html")).unwrap()
    };
    let safe = run(&dir.path().join("safe"), &[]);
    assert!(safe.contains("[NOM]") && safe.contains("[TÉLÉPHONE]") && safe.contains("[EMAIL]"));
    for secret in ["Moreau", "06 12 34 56 78", "benali@cabinet.fr"] {
        assert!(!safe.contains(secret), "{secret} leaked");
    }
    assert_eq!(
        read_json(&dir.path().join("safe/run.json"))["privacy"]["pseudonymised"],
        true
    );
    let raw = run(&dir.path().join("raw"), &["--no-pseudonymise"]);
    assert!(raw.contains("Moreau"));
    assert_eq!(
        read_json(&dir.path().join("raw/run.json"))["parameters"]["pseudonymise"],
        false
    );
}
