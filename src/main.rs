//! The binary's entry point, which composes the two front ends: `switchboard` alone (or with a `tel:`
//! link) opens the desktop window (`src-tauri`), `switchboard <subcommand>` runs the headless CLI.
//! Both run on the application core, `switchboard-app`.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    // `switchboard tel:NUMBER` is a tel: link opened with the app; other arguments are CLI verbs.
    let tel = args.get(1).and_then(|a| a.to_str()).filter(|a| a.starts_with("tel:")).map(str::to_string);
    if args.len() > 1 && tel.is_none() {
        return switchboard_cli::run(args);
    }
    switchboard_desktop::run(tel.as_deref());
    ExitCode::SUCCESS
}
