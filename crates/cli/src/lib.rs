//! The headless CLI. `switchboard <subcommand>` runs here and opens no window: argument parsing,
//! printing and exit codes over the application core (`switchboard-app`), which the desktop window
//! uses too. Scripts, tests and benchmarks drive the app through it.

mod args;
mod commands;
mod error;
mod progress;

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
    switchboard_app::init_logging();
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e}");
            ExitCode::from(error::exit_code(&e))
        }
    }
}
