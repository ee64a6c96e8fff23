//! The desktop shell. The only code that knows Tauri: state, commands (one-line adapters over the core
//! crates) and the boundary error shape `{ code, message }`.

pub mod bindings;
mod commands;
pub mod background;
mod error;
mod state;

use tauri::{Builder, Emitter, Manager, Runtime};

pub use error::BoundaryError;
pub use state::AppState;

/// Opens the desktop app on the configured clinic, or on the demo clinic when none is configured.
pub fn run() {
    switchboard_cli::init_logging();
    run_app(Builder::default());
}

/// Generic over the runtime so tests can pass `tauri::test::mock_builder()`.
pub fn run_app<R: Runtime>(builder: Builder<R>) {
    builder
        .setup(|app| {
            let window = app.handle().clone();
            let notify: background::Notify = std::sync::Arc::new(move |event| {
                let _ = match event {
                    background::AppEvent::DataChanged(change) => window.emit(background::DATA_CHANGED, change),
                    background::AppEvent::SyncProgress(progress) => window.emit(background::SYNC_PROGRESS, progress),
                };
            });
            app.manage(AppState::start(notify));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::overview,
            commands::search_patients,
            commands::patient_view,
            commands::queue_action,
            commands::outbox,
            commands::set_action_state,
            commands::free_slots,
            commands::worklist,
            commands::sources,
            commands::save_source,
            commands::sync_now,
            commands::refresh_patient,
            commands::rules,
            commands::alerts,
            commands::dismiss_alert,
            commands::schedule
        ])
        .run(tauri::generate_context!())
        .expect("the desktop app failed to start");
}
