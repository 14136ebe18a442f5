//! The embedder against the independent fp32 reference, and the model sources.

mod common;

use common::*;
use verbatim::model::{self, ModelRequest, Precision};
use verbatim::stages::embed::cache::EmbeddingCache;
use verbatim::stages::embed::embedder::{EmbedOptions, Embedder};

fn quiet() -> EmbedOptions {
    EmbedOptions {
        progress: false,
        ..EmbedOptions::default()
    }
}

#[test]
fn token_ids_equal_the_reference() {
    let Some(refs) = reference() else { return };
    let model = load_default();
    let embedder = Embedder::new(&model, None, quiet());
    for s in refs {
        assert_eq!(
            embedder.token_ids(&s.text).unwrap(),
            s.ids,
            "token ids of {:?}",
            s.text
        );
    }
}

/// Each arithmetic against the fp32 reference: f32 to 1e-4, the 4-bit × 8-bit linear layers to
/// the 1e-3 (what they measure is printed: `cargo test -- --nocapture`).
#[test]
fn embeddings_match_the_reference_one_at_a_time_and_batched() {
    let Some(refs) = reference() else { return };
    for (precision, bound) in [(Precision::F32, 0.9999), (Precision::Int8, 0.999)] {
        let model = model::load(&ModelRequest {
            model: Some(model_path().display().to_string()),
            precision,
            ..Default::default()
        })
        .unwrap();
        let mut embedder = Embedder::new(&model, None, quiet());
        let texts: Vec<&str> = refs.iter().map(|s| s.text.as_str()).collect();
        let batched = embedder.embed(&texts).unwrap();
        let mut lowest = f64::INFINITY;
        for (i, s) in refs.iter().enumerate() {
            let single = embedder.embed(&[s.text.as_str()]).unwrap();
            let c1 = cosine(single.row(0), &s.embedding);
            let c2 = cosine(batched.row(i), &s.embedding);
            assert!(
                c1 >= bound,
                "{precision:?}, one at a time, {:?}: cosine {c1}",
                s.text
            );
            assert!(
                c2 >= bound,
                "{precision:?}, batched, {:?}: cosine {c2}",
                s.text
            );
            lowest = lowest.min(c1).min(c2);
            // Batches hold one length only, so a vector does not depend on its batch-mates.
            assert_eq!(
                single.row(0),
                batched.row(i),
                "{precision:?}: batched and single vectors differ in bits"
            );
            let norm: f32 = batched.row(i).iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-4);
        }
        println!(
            "{precision:?} ({}): lowest cosine to the fp32 reference {lowest:.6} over {} texts",
            model.engine_id(),
            refs.len()
        );
    }
}

#[test]
fn a_long_text_is_split_into_windows_not_truncated() {
    let model = load_default();
    let mut embedder = Embedder::new(&model, None, quiet());
    let sentence = "Les aides-soignantes de nuit travaillent seules pour quarante résidents. ";
    let long = sentence.repeat(80); // about 1,300 tokens
    let tail = "Le parking de l'hôpital est payant et trop cher pour les familles.";
    let with_tail = format!("{long}{tail}");
    let out = embedder.embed(&[&long, &with_tail, sentence]).unwrap();
    assert!(out.windows[0] >= 3, "windows: {:?}", out.windows);
    assert_eq!(out.windows[2], 1);
    assert!(out.tokens[0] > 512);
    // The end of a long text still counts: a different last sentence moves the vector.
    assert!(cosine(out.row(0), out.row(1)) < 0.999999);
    // Repeating one sentence keeps the meaning of that sentence.
    assert!(cosine(out.row(0), out.row(2)) > 0.9);
}

#[test]
fn a_second_run_is_answered_by_the_cache() {
    let model = load_default();
    let dir = tempfile::tempdir().unwrap();
    let texts = [
        "Trop de paperasse, pas assez de temps auprès des patients.",
        "Idem.",
    ];
    let open = || {
        EmbeddingCache::open(
            dir.path(),
            &model.info.sha256,
            &model.info.prefix,
            &model.engine_id(),
            model.info.dim,
        )
        .unwrap()
    };
    let first = Embedder::new(&model, Some(open()), quiet())
        .embed(&texts)
        .unwrap();
    assert_eq!((first.cache_hits, first.computed), (0, 2));
    let second = Embedder::new(&model, Some(open()), quiet())
        .embed(&texts)
        .unwrap();
    assert_eq!((second.cache_hits, second.computed), (2, 0));
    assert_eq!(first.vectors, second.vectors);
}

#[test]
fn huggingface_directory_and_hub_cache_layouts_give_the_same_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("multilingual-e5-small");
    model::export_hf_dir(&model_path(), &export).unwrap();
    let Some(refs) = reference() else { return };
    let texts: Vec<&str> = refs.iter().map(|s| s.text.as_str()).collect();

    let from_dir = model::load(&ModelRequest {
        model: Some(export.display().to_string()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(from_dir.info.prefix, "query: ");
    let mut embedder = Embedder::new(&from_dir, None, quiet());
    for s in &refs {
        assert_eq!(
            embedder.token_ids(&s.text).unwrap(),
            s.ids,
            "HF tokenizer.json ids of {:?}",
            s.text
        );
    }
    let out = embedder.embed(&texts).unwrap();
    for (i, s) in refs.iter().enumerate() {
        let c = cosine(out.row(i), &s.embedding);
        assert!(c >= 0.9999, "directory model, {:?}: cosine {c}", s.text);
    }

    // The same files laid out as the Hugging Face cache does, resolved by hub id without network.
    let cache = dir.path().join("hub");
    let snapshot = cache.join("models--intfloat--multilingual-e5-small/snapshots/0123abcd");
    std::fs::create_dir_all(snapshot.join("1_Pooling")).unwrap();
    std::fs::create_dir_all(cache.join("models--intfloat--multilingual-e5-small/refs")).unwrap();
    std::fs::write(
        cache.join("models--intfloat--multilingual-e5-small/refs/main"),
        "0123abcd",
    )
    .unwrap();
    for f in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "1_Pooling/config.json",
    ] {
        std::fs::hard_link(export.join(f), snapshot.join(f)).unwrap();
    }
    // Resolved by another process with HF_HUB_CACHE set: a test must not set the environment of
    // its own process, where other tests run on other threads.
    let input = dir.path().join("refs.csv");
    let mut w = csv::Writer::from_path(&input).unwrap();
    w.write_record(["id", "text"]).unwrap();
    for (i, t) in texts.iter().enumerate() {
        w.write_record([format!("r{i}").as_str(), t]).unwrap();
    }
    w.flush().unwrap();
    let embed = |model: &str, out: &std::path::Path| {
        std::process::Command::new(binary())
            .env("HF_HUB_CACHE", &cache)
            .args(["embed", "--no-cache", "-q", "--model", model, "--input"])
            .arg(&input)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let (by_dir, by_hub) = (
        dir.path().join("dir.parquet"),
        dir.path().join("hub.parquet"),
    );
    let o = embed(&export.display().to_string(), &by_dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = embed("intfloat/multilingual-e5-small", &by_hub);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let vectors = |p: &std::path::Path| read_parquet(p).column("embedding").unwrap().clone();
    assert_eq!(
        vectors(&by_dir),
        vectors(&by_hub),
        "the hub id resolves to the same model"
    );
    let o = embed("intfloat/not-there", &dir.path().join("none.parquet"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--allow-download"),
        "{err}"
    );
}
