// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

/// `switchboard` alone opens the desktop app; `switchboard <subcommand>` runs headless.
fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    if args.len() > 1 {
        return switchboard_cli::run(args);
    }
    switchboard_app::run();
    ExitCode::SUCCESS
}
