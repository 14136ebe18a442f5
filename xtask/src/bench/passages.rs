//! `xtask bench passages --out DIR [--seed S]`: the unit of analysis measured. Long contributions are
//! assembled from real labelled answers (3–20 answers to 1–3 questions each, the answers of a
//! question together, joined as paragraphs, then the same flattened into one line), and the long
//! parliamentary questions are read flattened into one line and as they are; each set is run in text mode and in passage
//! mode. Printed: document-level micro-F1 and exact-set accuracy of the categories raised,
//! passage-level macro-F1, the time of each run, and the `pillars` rule swept over its constants.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use verbatim::pipeline::{self, PillarsRule, RunConfig, UnitChoice};
use verbatim::rng::Rng;
use verbatim::stages::read::ingest::{self, Corpus, ReadOptions};

/// One labelled set of documents.
struct Set {
    name: String,
    taxonomy: PathBuf,
    /// `id,text` CSV written for the runs.
    input: PathBuf,
    ids: Vec<String>,
    texts: Vec<String>,
    /// Gold categories of each document, and of each character range (start, end, label).
    gold: Vec<BTreeSet<String>>,
    parts: Vec<Vec<(usize, usize, String)>>,
}

/// What one run gave, read back from its tables.
struct Outcome {
    seconds: f64,
    /// Predicted categories of each document (text mode: category and secondary category).
    sets: Vec<BTreeSet<String>>,
    /// Main category of each document.
    main: Vec<String>,
    /// Passage mode: each passage's document, offsets and category.
    passages: Vec<(usize, usize, usize, String)>,
}

pub fn run(dir: &Path, sets: &[(PathBuf, PathBuf)], contributions: usize, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut all = Vec::new();
    for (i, (input, taxonomy)) in sets.iter().enumerate() {
        let corpus = ingest::read(input, &ReadOptions::default())?;
        let label = label_column(&corpus, input, taxonomy)?;
        if i == 0 {
            for (flat, name) in [(false, "assembled"), (true, "assembled, flattened")] {
                let shape = Shape {
                    flat,
                    answers: (3, 20),
                };
                let set = assemble(&corpus, &label, contributions, seed, shape, name, taxonomy);
                all.push(set);
            }
        } else {
            let documents = as_documents(&corpus, &label, taxonomy);
            all.push(flattened(&documents));
            all.push(documents);
        }
    }
    println!(
        "set                     mode     docs  micro-F1  exact-set  main in gold  passage macro-F1  seconds"
    );
    for set in &mut all {
        set.input = dir.join(format!("{}.csv", set.name.replace([' ', ','], "_")));
        write_input(set)?;
        let text = run_mode(set, dir, UnitChoice::Text)?;
        let passage = run_mode(set, dir, UnitChoice::Passage)?;
        // Passage-level scores of both modes are taken on the same passages (passage mode's cut).
        for (mode, outcome) in [("text", &text), ("passage", &passage)] {
            print_row(set, mode, outcome, &passage.passages);
        }
        println!(
            "{:<23} passage mode took {:.2}× the time of text mode",
            "",
            passage.seconds / text.seconds
        );
        sweep(set, &passage);
    }
    Ok(())
}

/// Passage mode at scale: `n` flattened contributions of 10–26 real answers (about 2,000
/// characters), one run without the embedding cache; prints the size and the time.
pub fn scale(dir: &Path, input: &Path, taxonomy: &Path, n: usize, seed: u64) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let corpus = ingest::read(input, &ReadOptions::default())?;
    let label = label_column(&corpus, input, taxonomy)?;
    let shape = Shape {
        flat: true,
        answers: (10, 26),
    };
    let mut set = assemble(&corpus, &label, n, seed, shape, "scale", taxonomy);
    set.input = dir.join(format!("contributions-{n}.csv"));
    write_input(&set)?;
    let chars: usize = set.texts.iter().map(|t| t.chars().count()).sum();
    let outcome = run_mode(&set, dir, UnitChoice::Passage)?;
    println!(
        "{n} contributions, {:.0} characters on average, {} passages: {:.1} s ({:.1} min) in passage mode on {} threads",
        chars as f64 / n as f64,
        outcome.passages.len(),
        outcome.seconds,
        outcome.seconds / 60.0,
        rayon::current_num_threads()
    );
    let out = dir.join(format!(
        "{}-{:?}",
        set.name.replace([' ', ','], "_"),
        UnitChoice::Passage
    ));
    let t = verbatim::stages::write::record::RunRecord::read(&out)?.timings;
    println!(
        "stages: reading and cutting {:.1} s, model load {:.1} s, embedding {:.1} s, themes {:.1} s, \
         keywords, titles, quotes {:.1} s, mapping {:.1} s, writing {:.1} s; peak memory {:.0} MiB",
        t.ingest_s,
        t.model_load_s,
        t.embed_s,
        t.cluster_s,
        t.describe_s,
        t.map_s,
        t.write_s,
        t.peak_memory_mib.unwrap_or(f64::NAN)
    );
    Ok(())
}

/// The gold column (`label`), as category ids (a label may be a category's name).
pub(super) fn label_column(corpus: &Corpus, input: &Path, taxonomy: &Path) -> Result<Vec<String>> {
    let column = corpus
        .passthrough
        .iter()
        .find(|c| c.name == "label")
        .with_context(|| format!("{} has no label column", input.display()))?;
    let categories = verbatim::taxonomy::Taxonomy::load(Some(&taxonomy.to_path_buf()))?.categories;
    let fold = verbatim::text::fold;
    let id = |label: &str| -> String {
        categories
            .iter()
            .find(|c| fold(&c.id) == fold(label) || fold(&c.name) == fold(label))
            .map_or_else(|| label.to_string(), |c| c.id.clone())
    };
    Ok(column
        .values
        .iter()
        .map(|v| id(v.as_deref().unwrap_or_default()))
        .collect())
}

/// How contributions are assembled.
#[derive(Clone, Copy)]
struct Shape {
    /// Paragraphs joined by a space rather than a blank line.
    flat: bool,
    /// Fewest and most answers.
    answers: (usize, usize),
}

/// Contributions made of real answers: 1–3 questions, `shape.answers` answers, each question's
/// answers together.
fn assemble(
    corpus: &Corpus,
    labels: &[String],
    n: usize,
    seed: u64,
    shape: Shape,
    name: &str,
    taxonomy: &Path,
) -> Set {
    let flat = shape.flat;
    let mut rng = Rng::new(seed);
    let mut names: Vec<&String> = labels.iter().collect::<BTreeSet<_>>().into_iter().collect();
    names.retain(|l| !l.is_empty());
    let mut pools: Vec<Vec<usize>> = names
        .iter()
        .map(|l| (0..labels.len()).filter(|&i| &labels[i] == *l).collect())
        .collect();
    for pool in &mut pools {
        rng.shuffle(pool);
    }
    let mut next = vec![0usize; names.len()];
    let mut set = empty_set(name, taxonomy);
    for c in 0..n {
        let questions = pick_distinct(names.len(), 1 + rng.below(3), &mut rng);
        let (fewest, most) = shape.answers;
        let answers = (fewest + rng.below(most - fewest + 1)).max(questions.len());
        let mut per_question = vec![1usize; questions.len()];
        for _ in questions.len()..answers {
            per_question[rng.below(questions.len())] += 1;
        }
        let (mut text, mut parts) = (String::new(), Vec::new());
        for (&q, &count) in questions.iter().zip(&per_question) {
            for _ in 0..count {
                let row = pools[q][next[q] % pools[q].len()];
                next[q] += 1;
                let answer = corpus.texts[row]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !text.is_empty() {
                    text.push_str(if flat { " " } else { "\n\n" });
                }
                let start = text.chars().count();
                text.push_str(&answer);
                parts.push((start, text.chars().count(), names[q].clone()));
            }
        }
        set.ids.push(format!("c{c:04}"));
        set.gold
            .push(questions.iter().map(|&q| names[q].clone()).collect());
        set.texts.push(text);
        set.parts.push(parts);
    }
    set
}

fn empty_set(name: &str, taxonomy: &Path) -> Set {
    Set {
        name: name.to_string(),
        taxonomy: taxonomy.to_path_buf(),
        input: PathBuf::new(),
        ids: Vec::new(),
        texts: Vec::new(),
        gold: Vec::new(),
        parts: Vec::new(),
    }
}

/// `k` distinct indices below `n`, sorted.
fn pick_distinct(n: usize, k: usize, rng: &mut Rng) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut all);
    let mut picked = all[..k.min(n)].to_vec();
    picked.sort_unstable();
    picked
}

/// A labelled table of long texts, one document each, every passage labelled as its document.
fn as_documents(corpus: &Corpus, labels: &[String], taxonomy: &Path) -> Set {
    let mut set = empty_set("parliamentary questions", taxonomy);
    for (i, text) in corpus.texts.iter().enumerate() {
        set.ids.push(corpus.ids[i].clone());
        set.texts.push(text.clone());
        set.gold.push([labels[i].clone()].into());
        set.parts
            .push(vec![(0, text.chars().count(), labels[i].clone())]);
    }
    set
}

/// The same documents with their paragraphs joined into one line (each document one part).
fn flattened(set: &Set) -> Set {
    let texts: Vec<String> = (set.texts.iter())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    Set {
        name: format!("{}, flattened", set.name),
        taxonomy: set.taxonomy.clone(),
        input: set.input.clone(),
        ids: set.ids.clone(),
        parts: (texts.iter().zip(&set.gold))
            .map(|(t, g)| {
                vec![(
                    0,
                    t.chars().count(),
                    g.iter().next().cloned().unwrap_or_default(),
                )]
            })
            .collect(),
        gold: set.gold.clone(),
        texts,
    }
}

fn write_input(set: &Set) -> Result<()> {
    let mut w = csv::Writer::from_path(&set.input)?;
    w.write_record(["id", "text"])?;
    for (id, text) in set.ids.iter().zip(&set.texts) {
        w.write_record([id, text])?;
    }
    w.flush()?;
    Ok(())
}

/// Runs the pipeline on a set in one mode (no embedding cache: both modes embed), and reads the
/// categories back from its tables.
fn run_mode(set: &Set, dir: &Path, unit: UnitChoice) -> Result<Outcome> {
    let out = dir.join(format!("{}-{unit:?}", set.name.replace([' ', ','], "_")));
    let mut config = RunConfig::new(set.input.clone(), out.clone());
    config.taxonomy = Some(set.taxonomy.clone());
    config.unit = unit;
    config.vectors.use_cache = false;
    config.vectors.progress = false;
    let clock = Instant::now();
    pipeline::run(&config)?;
    let seconds = clock.elapsed().as_secs_f64();
    let table = read(&out.join("assignments.parquet"), Some("id"))?;
    let column = |name: &str| table.passthrough.iter().find(|c| c.name == name);
    let list = match unit {
        UnitChoice::Passage => vec![column("pillars")],
        _ => vec![column("pillars_secondary")],
    };
    let sets = (0..table.len())
        .map(|r| {
            let mut set: BTreeSet<String> = split(&table.texts[r]);
            for c in list.iter().flatten() {
                set.extend(split(c.values[r].as_deref().unwrap_or("")));
            }
            set.remove("none");
            set
        })
        .collect();
    let passages = match unit {
        UnitChoice::Passage => passage_labels(&out.join("passages.parquet"), &table.ids)?,
        _ => Vec::new(),
    };
    Ok(Outcome {
        seconds,
        sets,
        main: table.texts.clone(),
        passages,
    })
}

fn split(cell: &str) -> BTreeSet<String> {
    cell.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn read(path: &Path, id: Option<&str>) -> Result<Corpus> {
    let options = ReadOptions {
        text_column: Some("pillar".into()),
        id_column: id.map(str::to_string),
        sheet: None,
    };
    ingest::read(path, &options)
}

/// Each passage's document (index), offsets and category.
fn passage_labels(path: &Path, ids: &[String]) -> Result<Vec<(usize, usize, usize, String)>> {
    let columns = verbatim::stages::write::table::read_parquet_as_text(path)?;
    let col = |name: &str| -> Result<&Vec<Option<String>>> {
        let c = columns.iter().find(|c| c.name == name);
        Ok(&c
            .with_context(|| format!("{} has no {name}", path.display()))?
            .values)
    };
    let (docs, starts, ends, labels) = (col("id")?, col("start")?, col("end")?, col("pillar")?);
    let index = ingest::positions(ids);
    let number = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((0..docs.len())
        .filter_map(|r| {
            let doc = *index.get(docs[r].as_deref()?)?;
            let label = labels[r].clone()?;
            Some((doc, number(&starts[r]), number(&ends[r]), label))
        })
        .collect())
}

/// Document-level micro-F1 and exact-set accuracy (the evaluation's multi-label scores).
fn set_scores(gold: &[BTreeSet<String>], predicted: &[BTreeSet<String>]) -> (f64, f64) {
    let as_lists = |sets: &[BTreeSet<String>]| -> Vec<Vec<String>> {
        sets.iter().map(|s| s.iter().cloned().collect()).collect()
    };
    let labels: Vec<String> = (gold.iter().chain(predicted))
        .flatten()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scores = verbatim::evaluate::multi_label(&as_lists(gold), &as_lists(predicted), &labels);
    (scores.micro_f1, scores.exact_set)
}

/// Passage-level macro-F1: gold is the label of the part holding the passage's middle; text mode
/// gives every passage its document's category.
fn passage_macro_f1(
    set: &Set,
    mode: &str,
    outcome: &Outcome,
    cut: &[(usize, usize, usize, String)],
) -> f64 {
    let mut gold = Vec::new();
    let mut predicted = Vec::new();
    for (doc, start, end, label) in cut {
        let middle = (start + end) / 2;
        let Some(part) = set.parts[*doc]
            .iter()
            .find(|p| p.0 <= middle && middle < p.1)
        else {
            continue;
        };
        gold.push(part.2.clone());
        predicted.push(if mode == "text" {
            outcome.main[*doc].clone()
        } else {
            label.clone()
        });
    }
    let g: Vec<&str> = gold.iter().map(String::as_str).collect();
    let p: Vec<&str> = predicted.iter().map(String::as_str).collect();
    verbatim::evaluate::macro_f1(&g, &p)
}

fn print_row(set: &Set, mode: &str, outcome: &Outcome, cut: &[(usize, usize, usize, String)]) {
    let (f1, exact) = set_scores(&set.gold, &outcome.sets);
    let passage = passage_macro_f1(set, mode, outcome, cut);
    // The document's main category (`pillar`) is one of its gold categories.
    let main = set
        .gold
        .iter()
        .zip(&outcome.main)
        .filter(|(g, m)| g.contains(*m))
        .count() as f64
        / set.gold.len().max(1) as f64;
    println!(
        "{:<23} {mode:<8} {:>4}  {f1:>8.3}  {exact:>9.3}  {main:>12.3}  {passage:>16.3}  {:>7.1}",
        set.name,
        set.ids.len(),
        outcome.seconds
    );
}

/// The `pillars` rule swept over its constants, on passage mode's passages: passages and share
/// (no word threshold), then the words threshold beside the default count and share.
fn sweep(set: &Set, outcome: &Outcome) {
    let names: BTreeSet<&String> = outcome.passages.iter().map(|p| &p.3).collect();
    let names: Vec<&String> = names.into_iter().filter(|n| *n != "none").collect();
    let mut counts = vec![vec![0usize; names.len()]; set.ids.len()];
    let mut words = vec![vec![0usize; names.len()]; set.ids.len()];
    let mut labelled = vec![0usize; set.ids.len()];
    for (doc, start, end, label) in &outcome.passages {
        labelled[*doc] += 1;
        if let Some(k) = names.iter().position(|n| *n == label) {
            counts[*doc][k] += 1;
            let text = verbatim::stages::passages::cut::slice_chars(&set.texts[*doc], *start, *end);
            words[*doc][k] += verbatim::stages::passages::cut::word_count(text);
        }
    }
    let scores = |raised: &dyn Fn(usize, usize) -> bool| {
        let predicted: Vec<BTreeSet<String>> = (0..set.ids.len())
            .map(|d| {
                let mut s: BTreeSet<String> = (0..names.len())
                    .filter(|&k| counts[d][k] > 0 && raised(d, k))
                    .map(|k| names[k].clone())
                    .collect();
                s.insert(outcome.main[d].clone());
                s.remove("none");
                s
            })
            .collect();
        set_scores(&set.gold, &predicted)
    };
    println!(
        "{:<23} pillars rule: min passages, min share → micro-F1 / exact-set",
        ""
    );
    let default = PillarsRule::default();
    for (min_passages, both) in [
        (1, false),
        (2, false),
        (3, false),
        (usize::MAX, false),
        (2, true),
    ] {
        let mut line = String::new();
        for min_share in [0.15f32, 0.25, 0.34, 0.5, 1.01] {
            let (f1, exact) = scores(&|d, k| {
                let c = counts[d][k];
                let (many, large) = (
                    c >= min_passages,
                    c as f32 >= min_share * labelled[d] as f32,
                );
                if both { many && large } else { many || large }
            });
            line.push_str(&format!("  {min_share:.2}:{f1:.3}/{exact:.3} "));
        }
        let label = match (min_passages, both) {
            (usize::MAX, _) => "share only".to_string(),
            (m, true) => format!("≥{m} and share"),
            (m, false) => format!("≥{m} or share"),
        };
        println!("{:<23}   {label:<12}{line}", "");
    }
    let mut line = String::new();
    for min_words in [60, 80, 100, 120, 150, usize::MAX] {
        let (f1, exact) = scores(&|d, k| {
            let c = counts[d][k];
            c >= default.min_passages
                || c as f32 >= default.min_share * labelled[d] as f32
                || words[d][k] >= min_words
        });
        let mark = if min_words == default.min_words {
            "*"
        } else {
            " "
        };
        let w = if min_words == usize::MAX {
            "none".to_string()
        } else {
            min_words.to_string()
        };
        line.push_str(&format!("  {w}:{f1:.3}/{exact:.3}{mark}"));
    }
    println!(
        "{:<23}   ≥{} or {:.2} or words{line}",
        "", default.min_passages, default.min_share
    );
}
