//! Refreshing one patient: when a workspace opens, everything about that patient is fetched again so the
//! screen, drawn from the cache at once, catches up with the server within a second or two. Type cursors
//! are left alone; the next full sync still covers its whole window.

use crate::focus::{read_patient, Window};
use crate::pull::{Ctx, SyncError, SyncOptions, TypeReport};
use switchboard_core::{resource_types, Clock};
use switchboard_fhir::FhirClient;
use switchboard_store::Store;

/// Fetches the patient and every patient-scoped type about them; returns how many resources changed.
pub async fn refresh_patient(store: &mut Store, client: &FhirClient, source: &str, patient_id: &str, clock: &dyn Clock) -> Result<u64, SyncError> {
    let options = SyncOptions { page_size: 100, ..SyncOptions::default() };
    let ctx = Ctx { client, source, options: &options, clock };
    let window = Window::around(clock.now(), options.focus_days);
    let mut changed = 0;
    for resource_type in resource_types::SYNCED {
        let mut report = TypeReport { resource_type: resource_type.to_string(), ..Default::default() };
        read_patient(store, &ctx, patient_id, resource_type, &window, &mut report).await?;
        changed += report.inserted + report.updated + report.deleted;
    }
    Ok(changed)
}
