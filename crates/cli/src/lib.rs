//! The headless CLI. `switchboard <subcommand>` runs here and opens no window; scripts, tests and
//! benchmarks drive the same core as the desktop app through it.

mod args;
mod commands;
mod context;
mod error;
mod progress;

pub use commands::actions::drain_sources;
pub use commands::runtime;
pub use commands::sync::sync_sources;
pub use commands::source::{save_source, source_entry, source_views, SourceView};
pub use context::{agent_name, call_token, intake_action, llm_config, source_token, Context};
pub use error::CliError;

use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// Runs one CLI invocation (`args` includes the program name) and returns its exit code.
pub fn run(args: Vec<OsString>) -> ExitCode {
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { error::USAGE } else { 0 });
        }
    };
    init_logging();
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Logs go to stderr, at `warn` unless `SWITCHBOARD_LOG` says otherwise. They carry ids and counts only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
