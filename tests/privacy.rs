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
        "Mon NIR 184057512345625 figure sur tous les formulaires.",
        "184057512345625",
    ),
    (
        "Numéro de sécurité sociale : 2 91 12 2A 004 123 18.",
        "2 91 12 2A 004 123 18",
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

/// The second pass's fixture, written from the classes of personal data that the first rules
/// missed (issue: international numbers with "(0)", mobile numbers grouped otherwise, NIR with
/// dashes or dots, IBAN in lower case or without spaces, "mme" in lower case, names without a title,
/// birth dates, benefit account numbers) before the rules were changed, so that the figure measures
/// the rules rather than echoes them. Each secret is what must not survive. Recall of the rules as
/// they stood when it was written: 6/24; the NIR and IBAN examples were then given valid keys, as
/// real ones have (the rules now check the keys).
const SECOND_PASS: [(&str, &str); 24] = [
    (
        "Joignable au +33 (0)6 45 12 98 77 après 18 h.",
        "45 12 98 77",
    ),
    (
        "Mon fils m'a laissé son numéro : +33(0)1 42 34 56 78.",
        "42 34 56 78",
    ),
    (
        "Appelez le 06 123 456 78, c'est mon portable.",
        "123 456 78",
    ),
    (
        "Le cadre de santé répond au 0612 345 678 le matin.",
        "0612 345 678",
    ),
    (
        "Ma carte Vitale porte le 1-84-05-75-123-456-25.",
        "123-456-25",
    ),
    (
        "Sécurité sociale : 2.91.12.69.004.123.26, jamais pris en compte.",
        "004.123.26",
    ),
    (
        "J'ai donné mon rib fr76 3000 6000 0112 3456 7890 189 à l'accueil.",
        "3456 7890 189",
    ),
    (
        "Virement sur FR1420041010050500013M02606 refusé deux fois.",
        "0500013M02606",
    ),
    ("Le kiné a prévenu mme Lefebvre trop tard.", "Lefebvre"),
    (
        "J'ai vu monsieur Garnier repartir sans ordonnance.",
        "Garnier",
    ),
    (
        "Jean-Pierre Moreau, notre voisin, attend depuis six mois.",
        "Moreau",
    ),
    (
        "Ma mère, Françoise Lambert, est restée douze heures aux urgences.",
        "Lambert",
    ),
    (
        "Le dossier de Nathalie Girard a été perdu deux fois.",
        "Girard",
    ),
    (
        "Je suis née le 14/02/1967 et je n'ai jamais vu ça.",
        "14/02/1967",
    ),
    (
        "Mon père, né le 3 mars 1941, a attendu un lit toute la nuit.",
        "3 mars 1941",
    ),
    (
        "Date de naissance : 22.11.1985, infirmière depuis vingt ans.",
        "22.11.1985",
    ),
    (
        "Numéro d'allocataire CAF : 1234567, dossier bloqué depuis mars.",
        "1234567",
    ),
    (
        "Mon n° allocataire 7654321 B n'a jamais été reconnu.",
        "7654321",
    ),
    (
        "La MSA a perdu mon numéro de dossier allocataire 2233445.",
        "2233445",
    ),
    (
        "Écrivez à marie.curie.soins@laposte.net pour le collectif.",
        "marie.curie.soins@laposte.net",
    ),
    (
        "Le docteur Rousseau ne prend plus de nouveaux patients.",
        "Rousseau",
    ),
    (
        "Mme BERTRAND, aide à domicile, fait trois passages par jour.",
        "BERTRAND",
    ),
    (
        "Appel du 01.45.67.89.10 resté sans réponse.",
        "01.45.67.89.10",
    ),
    (
        "Mon RIB : FR92 1027 8060 3100 0205 1234 563, pour le remboursement.",
        "0205 1234 563",
    ),
];

/// Texts with numbers and capitalised words that are not personal data: they must stay as they are.
const SECOND_CLEAN: [&str; 8] = [
    "Le service compte 1 234 567 euros de déficit en 2022.",
    "L'hôpital Georges Pompidou a fermé 12 lits en Île-de-France.",
    "Nous étions 3 infirmières pour 28 patients le 14/02.",
    "La loi du 26 janvier 2016 n'a rien changé pour nous.",
    "Le décret 2021-1234 du 24 septembre a été annulé.",
    "Code postal 75012, bâtiment B, 3e étage.",
    "Le ratio est de 1 pour 12 la nuit, 1 pour 8 le jour.",
    "Saint Pierre et Miquelon n'a qu'un hôpital.",
];

#[test]
fn second_pass_recall_on_a_fixture_written_before_the_rules() {
    let p = Pseudonymiser::new();
    let missed: Vec<&str> = SECOND_PASS
        .iter()
        .filter(|(text, secret)| p.apply(text).contains(secret))
        .map(|(text, _)| *text)
        .collect();
    let changed: Vec<&str> = SECOND_CLEAN
        .iter()
        .copied()
        .filter(|t| p.apply(t) != *t)
        .collect();
    let caught = SECOND_PASS.len() - missed.len();
    eprintln!(
        "second pass: recall {caught}/{} = {:.2}; false positives {}/{}: {changed:?}; missed: {missed:?}",
        SECOND_PASS.len(),
        caught as f64 / SECOND_PASS.len() as f64,
        changed.len(),
        SECOND_CLEAN.len()
    );
    assert_eq!(
        caught,
        SECOND_PASS.len(),
        "METHODS.md says 24/24: missed {missed:?}"
    );
    assert!(changed.is_empty(), "false positives: {changed:?}");
}

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
    assert_eq!(
        caught,
        PLANTED.len(),
        "METHODS.md says 24/24: recall {recall}"
    );
    assert!(
        changed.is_empty(),
        "METHODS.md says 0/16: false positives {changed:?}"
    );
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

/// Names and e-mail user names that recur in the texts never become keywords or titles: keywords
/// are extracted from the texts with personal data removed.
#[test]
fn recurring_names_and_email_users_never_become_keywords() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/temoignages.csv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(sample)
        .unwrap();
    let input = dir.path().join("with_names.csv");
    let mut writer = csv::Writer::from_path(&input).unwrap();
    writer.write_record(["id", "texte"]).unwrap();
    for (i, r) in reader.records().take(120).enumerate() {
        let r = r.unwrap();
        let text = match i % 3 {
            0 => format!("{} J'en ai parlé à M. Dupont.", &r[3]),
            1 => format!("{} Écrire à jean.dupont@caf.fr pour le dossier.", &r[3]),
            _ => format!("{} Mme Garnier-Leroy est au courant.", &r[3]),
        };
        writer.write_record([&format!("w{i}"), &text]).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    let out = dir.path().join("out");
    run_ok(&input, &out, &[]);
    let themes = std::fs::read_to_string(out.join("themes.csv"))
        .unwrap()
        .to_lowercase();
    for leaked in ["dupont", "garnier", "leroy", "jean.", "caf.fr"] {
        assert!(!themes.contains(leaked), "{leaked} reached themes.csv");
    }
}

/// A zip archive (a .docx) of the given members.
fn zipped(path: &std::path::Path, members: &[(&str, String)]) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, body) in members {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

/// A Word document with a table, a footnote and a comment.
fn docx_with_notes(path: &std::path::Path, paragraphs: &[&str], footnote: &str) {
    let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
    let p = |t: &str| format!("<w:p><w:r><w:t>{t}</w:t></w:r></w:p>");
    let body: String = paragraphs.iter().map(|t| p(t)).collect();
    let table = format!(
        "<w:tbl><w:tr><w:tc>{}</w:tc><w:tc>{}</w:tc></w:tr></w:tbl>",
        p("Effectifs de nuit"),
        p("Deux infirmières pour quarante patients.")
    );
    zipped(
        path,
        &[
            (
                "word/document.xml",
                format!("<w:document {w}><w:body>{body}{table}</w:body></w:document>"),
            ),
            (
                "word/footnotes.xml",
                format!(
                    "<w:footnotes {w}><w:footnote w:id=\"1\">{}</w:footnote></w:footnotes>",
                    p(footnote)
                ),
            ),
            (
                "word/comments.xml",
                format!(
                    "<w:comments {w}><w:comment w:id=\"0\">{}</w:comment></w:comments>",
                    p("Relire avant envoi")
                ),
            ),
        ],
    );
}

/// Passage mode on documents holding the planted personal data: no table, sheet, report or log
/// line holds any of it; a name found once is masked where it recurs, in its text and in other
/// documents; links that loop, an encrypted file and the docx's notes each get what README says;
/// every count in the report names its unit.
#[test]
fn a_passage_mode_run_publishes_no_planted_item_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("contributions");
    std::fs::create_dir_all(docs.join("a")).unwrap();
    let mut planted: Vec<&str> = PLANTED.iter().map(|(t, _)| *t).collect();
    planted.push("Madame Garnier de la caisse a perdu mon dossier, Garnier ne rappelle jamais.");
    planted.push("Mon numéro de sécurité sociale 1 85 03 75 123 456 36 a été mal saisi.");
    std::fs::write(docs.join("temoignages.txt"), planted.join("\n\n")).unwrap();
    std::fs::write(
        docs.join("a/relance.txt"),
        "Garnier a encore oublié notre dossier à la caisse.\n\nLes délais de remboursement dépassent trois mois pour les familles.",
    )
    .unwrap();
    docx_with_notes(
        &docs.join("syndicat.docx"),
        &[
            "Les infirmières de nuit ne sont pas assez payées pour la charge de travail.",
            "Il faut revaloriser les salaires et les carrières des soignants.",
        ],
        "Contact : paul.durand@chu-exemple.fr, Durand répond le matin.",
    );
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(vec![0u8; 512]);
    ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(docs.join("chiffre.docx"), ole).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("..", docs.join("a/boucle")).unwrap();
        std::os::unix::fs::symlink("soi.txt", docs.join("soi.txt")).unwrap();
    }
    let out = dir.path().join("out");
    let output = Command::new(binary())
        .args(["run", "--no-cache", "--input"])
        .arg(&docs)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{log}");

    let qdpx = out.join("projet.qdpx");
    let export = verbatim(&["export", "--from"], &[("", &out), ("--qdpx", &qdpx)]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let mut secrets: Vec<&str> = PLANTED.iter().map(|(_, s)| *s).collect();
    secrets.extend(["Garnier", "1 85 03 75", "paul.durand", "Durand"]);
    let published = published_text(&out);
    for secret in &secrets {
        assert!(!published.contains(secret), "{secret} was published");
        assert!(!log.contains(secret), "{secret} reached the log");
    }
    assert!(
        published.contains("[NOM] ne rappelle jamais"),
        "the recurrence is masked"
    );
    assert!(
        published.contains("[NOM] a encore oublié"),
        "masked in another document too"
    );
    for text in &planted {
        assert!(!log.contains(&text[..25]), "a text reached the log");
    }

    let assignments = read_parquet(&out.join("assignments.parquet"));
    let statuses: std::collections::BTreeMap<String, String> = strings(&assignments, "id")
        .into_iter()
        .zip(strings(&assignments, "status"))
        .collect();
    assert_eq!(statuses["a/boucle"], "rejected:symlink_loop");
    assert_eq!(statuses["soi.txt"], "rejected:symlink_loop");
    assert_eq!(statuses["chiffre.docx"], "rejected:encrypted");
    assert_eq!(statuses.len(), 6, "{statuses:?}");
    assert!(log.contains("a/boucle: rejected (symlink_loop)"), "{log}");
    assert!(
        log.contains("1 footnote and endnote paragraphs read after the body"),
        "{log}"
    );
    assert!(log.contains("1 comments left out"), "{log}");
    assert!(
        published.contains("[EMAIL], [NOM] répond le matin"),
        "the footnote is read"
    );
    assert!(
        !published.contains("Relire avant envoi"),
        "comments are not read"
    );

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("- 6 contributions lues"), "{report}");
    assert!(
        report.contains("- 3 contributions illisibles, écartées"),
        "{report}"
    );
    assert!(report.contains("passages analysés"), "{report}");
    assert!(!report.contains("témoignages lus"), "{report}");
    assert!(!report.contains(" 1 contributions"), "{report}");
}

/// Every text a run publishes: its CSV, Markdown, HTML and JSON files, every sheet of its
/// workbooks, every member of its Word and OpenDocument reports and of a REFI-QDA export.
fn published_text(out: &std::path::Path) -> String {
    use calamine::{Reader, open_workbook_auto};
    let mut all = String::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv" | "md" | "html" | "json") => {
                all += &std::fs::read_to_string(&path).unwrap();
            }
            // report.docx and report.odt: every XML member and picture, as text.
            Some("docx" | "odt" | "qdpx") => {
                let file = std::fs::File::open(&path).unwrap();
                let mut archive = zip::ZipArchive::new(file).unwrap();
                for i in 0..archive.len() {
                    let mut member = archive.by_index(i).unwrap();
                    let mut text = String::new();
                    if std::io::Read::read_to_string(&mut member, &mut text).is_ok() {
                        all += &text;
                    }
                }
            }
            Some("xlsx") => {
                let mut book = open_workbook_auto(&path).unwrap();
                for name in book.sheet_names() {
                    let range = book.worksheet_range(&name).unwrap();
                    for row in range.rows() {
                        for cell in row {
                            all += &cell.to_string();
                            all.push('\n');
                        }
                    }
                }
            }
            _ => {}
        }
    }
    all
}

/// An e-mail or a name in an extra input column is replaced in `assignments.*` like in a quote:
/// every passed-through column is published through the pseudonymiser.
#[test]
fn extra_columns_are_pseudonymised_in_the_assignments() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.csv");
    std::fs::write(
        &input,
        "texte,contact\n\"Les urgences ferment la nuit, il faut rouvrir des lits.\",marie.garnier@exemple.fr\n\"Plus aucun médecin traitant dans notre village depuis deux ans.\",M. Lefebvre\n\"Les infirmières de nuit ne sont pas assez payées.\",\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(&input, &out, &[]);
    let published = published_text(&out);
    for secret in ["marie.garnier", "Lefebvre"] {
        assert!(!published.contains(secret), "{secret} was published");
    }
    let assignments = read_parquet(&out.join("assignments.parquet"));
    assert_eq!(
        strings(&assignments, "contact"),
        ["[EMAIL]", "M. [NOM]", ""]
    );
}

/// The `--by` tables publish group names: those of an input column or of `--by-file` go through
/// the pseudonymiser like every published value.
#[test]
fn group_names_of_a_breakdown_are_pseudonymised() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.csv");
    std::fs::write(
        &input,
        "id,texte,contact\nA1,\"Les urgences ferment la nuit, il faut rouvrir des lits.\",marie.garnier@exemple.fr\nA2,\"Plus aucun médecin traitant dans notre village depuis deux ans.\",M. Lefebvre\nA3,\"Les infirmières de nuit ne sont pas assez payées.\",\n",
    )
    .unwrap();
    let attributes = dir.path().join("attributs.csv");
    std::fs::write(
        &attributes,
        "id,referent\nA1,jean.dupont@exemple.fr\nA2,Mme Moreau\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let by_file = attributes.to_str().unwrap();
    let args = ["--by", "contact", "--by-file", by_file, "--by", "referent"];
    run_ok(&input, &out, &args);
    let published = published_text(&out);
    for secret in ["marie.garnier", "Lefebvre", "jean.dupont", "Moreau"] {
        assert!(!published.contains(secret), "{secret} was published");
    }
    let groups = strings(&read_parquet(&out.join("by_referent.parquet")), "group");
    assert!(groups.contains(&"[EMAIL]".to_string()), "{groups:?}");
    assert!(
        groups.contains(&"(vide)".to_string()),
        "A3 has no referent: {groups:?}"
    );
}
