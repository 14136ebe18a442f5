//! One logging path for every command: `log` macros, written to stderr by env_logger.
//!
//! Default: one line per stage (info). `-q`: errors only. `-v`: details and timings (debug);
//! `-vv`: everything (trace). `RUST_LOG` overrides all of these, as usual.

use std::io::Write;

pub fn init(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    // Our crate at the chosen level; dependencies stay at warnings unless RUST_LOG says otherwise.
    let default = if level == "error" {
        "error".to_string()
    } else {
        format!("warn,verbatim={level}")
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
        .format(|buf, record| match record.level() {
            log::Level::Error => writeln!(buf, "error: {}", record.args()),
            log::Level::Warn => writeln!(buf, "warning: {}", record.args()),
            _ => writeln!(buf, "{}", record.args()),
        })
        .init();
}
