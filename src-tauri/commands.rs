//! IPC commands: each takes ids or text, calls one core function and maps the error.

use crate::error::BoundaryError;
use crate::state::AppState;
use switchboard_store::{PatientHit, PatientView, Overview};
use tauri::State;

#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn overview(state: State<'_, AppState>) -> Result<Overview, BoundaryError> {
    state.with_store(|store| Ok(store.overview()?))
}

#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn search_patients(state: State<'_, AppState>, text: String) -> Result<Vec<PatientHit>, BoundaryError> {
    let today = state.clock.now().date_naive();
    state.with_store(|store| Ok(store.search_text(&text, state.month_first, today)?))
}

#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn patient_view(state: State<'_, AppState>, source: String, id: String) -> Result<Option<PatientView>, BoundaryError> {
    state.with_store(|store| Ok(store.patient_view(&source, &id, state.clock.now())?))
}
