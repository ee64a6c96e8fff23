//! Refreshing one patient: when a workspace opens, everything about that patient is fetched again so the
//! screen, drawn from the cache at once, catches up with the server within a second or two. Type cursors
//! are left alone; the next full sync still covers its whole window.

use crate::pull::{write_page, Ctx, SyncError, SyncOptions, TypeReport};
use switchboard_core::{resource_types, Clock};
use switchboard_fhir::{FhirClient, PageTrail};
use switchboard_store::Store;

/// Fetches the patient and every patient-scoped type about them; returns how many resources changed.
pub async fn refresh_patient(store: &mut Store, client: &FhirClient, source: &str, patient_id: &str, clock: &dyn Clock) -> Result<u64, SyncError> {
    let options = SyncOptions::default();
    let ctx = Ctx { client, source, options: &options, clock };
    let reference = format!("Patient/{patient_id}");
    let mut changed = 0;
    for resource_type in resource_types::SYNCED {
        let Some(param) = resource_types::patient_param(resource_type) else { continue };
        let value = if param == "_id" { patient_id } else { &reference };
        let mut params: Vec<(&str, &str)> = resource_types::sync_filter(resource_type).to_vec();
        params.extend([(param, value), ("_count", "100")]);
        let mut next = Some(client.search_url(resource_type, &params).map_err(|e| ctx.fhir_error(resource_type, e))?);
        let mut report = TypeReport::default();
        let mut trail = PageTrail::new(options.max_pages);
        while let Some(url) = next.take() {
            trail.follow(&url).map_err(|e| ctx.fhir_error(resource_type, e))?;
            let mut page = client.get_page(&url).await.map_err(|e| ctx.fhir_error(resource_type, e))?;
            page.keep_only(resource_type);
            write_page(store, &ctx, resource_type, &page, false, &mut None, &mut report)?;
            next = page.next;
        }
        changed += report.inserted + report.updated;
    }
    Ok(changed)
}
