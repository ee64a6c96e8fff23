//! The desktop shell. The only code that knows Tauri: state, commands (one-line adapters over the core
//! crates) and the boundary error shape `{ code, message }`.

pub mod bindings;
mod commands;
mod error;
pub mod phone;
mod state;

use switchboard_app::{AppEvent, Notify};
use tauri::{Builder, Emitter, Manager, Runtime};

/// The worker's events' names on the IPC bus.
pub const DATA_CHANGED: &str = "data-changed";
pub const SYNC_PROGRESS: &str = "sync-progress";

pub use error::BoundaryError;
pub use state::AppState;

/// Opens the desktop app on the configured clinic, or on the demo clinic when none is configured.
/// `tel` is a `tel:` link the app was launched with. When a Switchboard is already running, the call
/// (or a request to come forward) goes to it and this launch ends.
pub fn run(tel: Option<&str>) {
    switchboard_app::init_logging();
    let tel = tel.and_then(phone::tel_event);
    let setup = phone::PhoneSetup::load();
    if setup.as_ref().is_some_and(|s| s.handed_to_running(tel.as_ref())) {
        return;
    }
    run_app(Builder::default(), setup, tel);
}

/// Generic over the runtime so tests can pass `tauri::test::mock_builder()`.
pub fn run_app<R: Runtime>(builder: Builder<R>, phone_setup: Option<phone::PhoneSetup>, tel: Option<switchboard_calls::CallEvent>) {
    builder
        .setup(move |app| {
            let window = app.handle().clone();
            let notify: Notify = std::sync::Arc::new(move |event| {
                let _ = match event {
                    AppEvent::DataChanged(change) => window.emit(DATA_CHANGED, change),
                    AppEvent::SyncProgress(progress) => window.emit(SYNC_PROGRESS, progress),
                };
            });
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                window.with_webview(lean_webkit)?;
            }
            app.manage(AppState::start(notify));
            phone::start(app.handle(), phone_setup, tel);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::overview,
            commands::search_patients,
            commands::search_server,
            commands::patient_view,
            commands::audit_log,
            commands::review_queue,
            commands::decide_link,
            commands::unlink_record,
            commands::lock_screen,
            commands::sign_in,
            commands::sign_out,
            commands::unlock_screen,
            commands::set_unlock_pin,
            commands::queue_action,
            commands::outbox,
            commands::set_action_state,
            commands::free_slots,
            commands::worklist,
            commands::sources,
            commands::hl7_problems,
            commands::hl7_replay,
            commands::save_source,
            commands::sync_now,
            commands::refresh_patient,
            commands::rules,
            commands::alerts,
            commands::dismiss_alert,
            commands::schedule,
            commands::current_call,
            commands::choose_caller,
            commands::patient_calls,
            commands::analyze_intake,
            commands::confirm_intake,
            commands::intake_model,
            commands::intake_second_opinion,
            commands::phone_status,
            commands::clinic
        ])
        .run(tauri::generate_context!())
        .expect("the desktop app failed to start");
}

/// One local page, never browsed away from: WebKit's smallest memory caches.
#[cfg(target_os = "linux")]
fn lean_webkit(webview: tauri::webview::PlatformWebview) {
    use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
    if let Some(context) = webview.inner().context() {
        context.set_cache_model(CacheModel::DocumentViewer);
    }
}
