//! Progress on stderr: a spinner for each long stage, a bar where the total is known. Drawn only on
//! a terminal, and never with `--no-progress` or `--quiet`; stdout stays free for machine output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns every progress display of this process on or off (the command line's `--no-progress`).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn target() -> ProgressDrawTarget {
    if enabled() {
        // indicatif draws nothing when stderr is not a terminal.
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A spinner with the stage's name and elapsed time, until dropped.
pub fn spinner(stage: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, target());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
    );
    bar.set_message(stage.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar of `total` steps: `{what} {bar} {pos}/{len} {unit}, {per_sec}, eta {eta}`.
pub fn bar(total: u64, what: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target());
    let template = format!("{what} {{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, eta {{eta}}");
    bar.set_style(ProgressStyle::with_template(&template).expect("a valid template"));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turned_off_it_draws_nothing() {
        set_enabled(false);
        assert!(spinner("x").is_hidden());
        assert!(bar(3, "x", "rows").is_hidden());
        set_enabled(true);
    }
}
