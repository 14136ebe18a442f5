//! Embedding elsewhere: `embed --shard K/N` parts equal one unsharded run row for row, `run
//! --embeddings` on the parts equals a run that embeds itself, bad parts are clear errors, and the
//! shards run on a real engine (a Ray cluster on loopback) and through the shipped recipes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use verbatim::stages::write::table::read_embeddings;

fn ok(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// (id, vector) of every row of the given part files, sorted by id.
fn rows_of(parts: &[PathBuf]) -> Vec<(String, Vec<f32>)> {
    let mut rows = Vec::new();
    for part in parts {
        let table = read_embeddings(part).unwrap();
        for (i, id) in table.ids.iter().enumerate() {
            rows.push((id.clone(), table.row(i).to_vec()));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn parts_in(dir: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    parts
}

fn same_outputs(a: &Path, b: &Path) {
    for file in [
        "assignments.csv",
        "themes.csv",
        "assignments.parquet",
        "themes.parquet",
        "assignments.xlsx",
        "themes.xlsx",
    ] {
        assert!(
            std::fs::read(a.join(file)).unwrap() == std::fs::read(b.join(file)).unwrap(),
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn shards_equal_one_run_and_feed_run_embeddings() {
    let dir = tempfile::tempdir().unwrap();
    let Some(input) = dev_subset(dir.path(), 400) else {
        return;
    };
    let whole = dir.path().join("whole.parquet");
    ok(verbatim(
        &["embed", "--no-cache"],
        &[("--input", &input), ("--out", &whole)],
    ));
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    for k in 0..3 {
        let out = parts.join(format!("part-{k}-of-3.parquet"));
        let shard = format!("{k}/3");
        ok(verbatim(
            &["embed", "--no-cache", "--shard", &shard],
            &[("--input", &input), ("--out", &out)],
        ));
        let n = read_embeddings(&out).unwrap().ids.len();
        assert!((90..180).contains(&n), "shard {k} has {n} rows of 400");
    }
    // Row for row, bit for bit: a vector does not depend on which rows share its batch.
    assert_eq!(
        rows_of(&parts_in(&parts)),
        rows_of(std::slice::from_ref(&whole))
    );

    let local = dir.path().join("local");
    ok(verbatim(
        &["run", "--no-cache"],
        &[("--input", &input), ("--out", &local)],
    ));
    let from_parts = dir.path().join("from-parts");
    let pattern = format!("{}/*.parquet", parts.display());
    let stderr = ok(verbatim(
        &["run", "--embeddings", &pattern],
        &[("--input", &input), ("--out", &from_parts)],
    ));
    assert!(stderr.contains("from 3 embeddings files"), "{stderr}");
    same_outputs(&local, &from_parts);
    let record = read_json(&from_parts.join("run.json"));
    assert_eq!(record["embeddings"]["source"], "files");
    assert_eq!(record["embeddings"]["files"].as_array().unwrap().len(), 3);
    assert_eq!(
        record["embeddings"]["files"][0]["model_sha256"],
        record["model"]["sha256"]
    );

    // A missing part: the ids without a vector are named, nothing is written.
    let missing = dir.path().join("missing");
    let output = verbatim(
        &["run", "--embeddings"],
        &[
            ("", &parts.join("part-0-of-3.parquet")),
            ("--input", &input),
            ("--out", &missing),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("ids of the input have no vector in the embeddings files: gdnd-"),
        "{stderr}"
    );
    assert!(!missing.exists());

    // Vectors of another input: the extra ids are named.
    let other_dir = dir.path().join("other-input");
    std::fs::create_dir(&other_dir).unwrap();
    let other = dev_subset(&other_dir, 600).expect("the shared data was there a moment ago");
    let other_vectors = dir.path().join("other.parquet");
    ok(verbatim(
        &["embed"],
        &[("--input", &other), ("--out", &other_vectors)],
    ));
    let output = verbatim(
        &["run", "--embeddings"],
        &[
            ("", &other_vectors),
            ("--input", &input),
            ("--out", &missing),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("200 ids are not in the input: gdnd-"),
        "{stderr}"
    );

    // A pattern that matches nothing is an error, not an empty list.
    let output = verbatim(
        &["run", "--embeddings", "/nonexistent/*.parquet"],
        &[("--input", &input), ("--out", &missing)],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no file matches"));
    assert!(!missing.exists(), "nothing is written");
}

/// The Slurm script and the Kubernetes Job's command, run as their schedulers would run them
/// (one process per task, with the variables the scheduler sets): the parts equal one run.
#[test]
fn the_shipped_recipes_produce_the_parts() {
    let recipes = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/recipes");
    let dir = tempfile::tempdir().unwrap();
    let input = dev_or_sample(dir.path(), 120);
    let whole = dir.path().join("whole.parquet");
    ok(verbatim(
        &["embed"],
        &[("--input", &input), ("--out", &whole)],
    ));
    let models = std::fs::canonicalize(model_path().parent().unwrap()).unwrap();
    let bin_dir = binary().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());

    let slurm_parts = dir.path().join("slurm-parts");
    for task in 0..2 {
        let out = Command::new("bash")
            .arg(recipes.join("slurm-embed.sbatch"))
            .env("INPUT", &input)
            .env("PARTS", &slurm_parts)
            .env("VERBATIM", binary())
            .env("VERBATIM_MODELS", &models)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "2")
            .env("SLURM_CPUS_PER_TASK", "1")
            .output()
            .unwrap();
        ok(out);
    }
    assert_eq!(
        rows_of(&parts_in(&slurm_parts)),
        rows_of(std::slice::from_ref(&whole))
    );

    // The Job's container command, with its env values and the shared volume moved to a temp dir.
    let job = std::fs::read_to_string(recipes.join("k8s-embed-job.yaml")).unwrap();
    let value_after = |key: &str| -> String {
        let line = job
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(&format!("- name: {key}")))
            .nth(1)
            .unwrap_or_else(|| panic!("no env {key} in the Job"));
        line.split_once("value:")
            .unwrap()
            .1
            .trim()
            .trim_matches('"')
            .to_string()
    };
    let shards = value_after("SHARDS");
    let completions = job
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions:"))
        .and_then(|v| v.split('#').next())
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(
        shards, completions,
        "the Job's completions and SHARDS disagree"
    );
    let command = job
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("- mkdir"))
        .map(|rest| format!("mkdir{rest}"))
        .expect("the Job's shell command");
    let data = dir.path().join("volume");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(&input, data.join("consultation.csv")).unwrap();
    let shards: usize = shards.parse().unwrap();
    for index in 0..shards {
        let out = Command::new("sh")
            .args(["-c", &command])
            .env("PATH", &path)
            .env("VERBATIM_MODELS", &models)
            .env("SHARDS", shards.to_string())
            .env(
                "INPUT",
                value_after("INPUT").replace("/data", data.to_str().unwrap()),
            )
            .env(
                "PARTS",
                value_after("PARTS").replace("/data", data.to_str().unwrap()),
            )
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        ok(out);
    }
    assert_eq!(rows_of(&parts_in(&data.join("parts"))), rows_of(&[whole]));
}

/// A virtual environment with Ray, created once per machine (like the model, from the package index).
fn ray_python() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let env = home.join(".cache/verbatim-ray-venv");
    verbatim::model::fetch::venv(&env, &["ray==2.40.0"]).expect("cannot install ray")
}

const RAY_DRIVER: &str = r#"
import json, os, subprocess, sys
import ray

binary, input_path, parts, shards, models = sys.argv[1:6]
shards = int(shards)
# A cluster of its own on loopback: a head node with two worker slots.
ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")

@ray.remote(num_cpus=1)
def embed_shard(k):
    out = os.path.join(parts, f"part-{k}-of-{shards}.parquet")
    run = subprocess.run(
        [binary, "--threads", "1", "embed", "--no-cache", "--input", input_path,
         "--shard", f"{k}/{shards}", "--out", out],
        env={**os.environ, "VERBATIM_MODELS": models}, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    return {"shard": k, "pid": os.getpid(), "node": ray.get_runtime_context().get_node_id()}

print(json.dumps(ray.get([embed_shard.remote(k) for k in range(shards)])))
ray.shutdown()
"#;

#[test]
#[ignore = "installs Ray (about 1 GB) from the Python package index; `cargo test --release -- --include-ignored` runs it, and CI does"]
fn shards_run_on_a_ray_cluster_and_equal_a_local_run() {
    let python = ray_python();
    let dir = tempfile::tempdir().unwrap();
    let input = dev_or_sample(dir.path(), 300);
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    let driver = dir.path().join("driver.py");
    std::fs::write(&driver, RAY_DRIVER).unwrap();
    let models = std::fs::canonicalize(model_path().parent().unwrap()).unwrap();
    let output = Command::new(&python)
        .arg(&driver)
        .arg(binary())
        .arg(&input)
        .arg(&parts)
        .arg("2")
        .arg(&models)
        .env("RAY_USAGE_STATS_ENABLED", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Ray driver failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tasks: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let pids: std::collections::HashSet<u64> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        pids.len(),
        2,
        "the shards should run in two worker processes: {tasks}"
    );

    let local = dir.path().join("local");
    ok(verbatim(
        &["run", "--no-cache"],
        &[("--input", &input), ("--out", &local)],
    ));
    let merged = dir.path().join("merged");
    let pattern = format!("{}/*.parquet", parts.display());
    ok(verbatim(
        &["run", "--embeddings", &pattern],
        &[("--input", &input), ("--out", &merged)],
    ));
    same_outputs(&local, &merged);
}
