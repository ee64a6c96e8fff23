//! TypeScript types for everything that crosses IPC, generated from the Rust types (ts-rs) into
//! `ui/src/bindings/`. `tests/bindings.rs` fails when the committed files are stale; run it with
//! `SWITCHBOARD_UPDATE_BINDINGS=1` to rewrite them.

use crate::error::BoundaryError;
use std::path::Path;
use switchboard_app::{ClinicInfo, DataChanged, SourceView, SyncProgress};
use switchboard_core::TaskPriority;
use switchboard_outbox::{Queued, StaffAction};
use switchboard_rules::RuleView;
use switchboard_store::{
    AlertRow, AuditFilter, AuditRow, FreeSlot, OutboxRow, Overview, PatientHit, PatientView, ScheduleColumn, WorkItem, Worklist, WorklistFilter,
};
use ts_rs::{Config, TS};

/// Writes one `.ts` file per type (and the types it uses) into `dir`.
pub fn export(dir: &Path) -> Result<(), ts_rs::ExportError> {
    // Counts travel as JSON numbers, not BigInt.
    let config = Config::new().with_out_dir(dir).with_large_int("number");
    PatientView::export_all(&config)?;
    PatientHit::export_all(&config)?;
    Overview::export_all(&config)?;
    StaffAction::export_all(&config)?;
    ClinicInfo::export_all(&config)?;
    TaskPriority::export_all(&config)?;
    Queued::export_all(&config)?;
    OutboxRow::export_all(&config)?;
    FreeSlot::export_all(&config)?;
    WorkItem::export_all(&config)?;
    Worklist::export_all(&config)?;
    WorklistFilter::export_all(&config)?;
    SourceView::export_all(&config)?;
    switchboard_app::Hl7Problems::export_all(&config)?;
    ScheduleColumn::export_all(&config)?;
    DataChanged::export_all(&config)?;
    SyncProgress::export_all(&config)?;
    RuleView::export_all(&config)?;
    AlertRow::export_all(&config)?;
    AuditRow::export_all(&config)?;
    AuditFilter::export_all(&config)?;
    switchboard_store::ReviewPair::export_all(&config)?;
    crate::phone::PhoneStatus::export_all(&config)?;
    switchboard_calls::CallPop::export_all(&config)?;
    switchboard_calls::PatientRef::export_all(&config)?;
    switchboard_store::CallRow::export_all(&config)?;
    switchboard_intake::Intake::export_all(&config)?;
    switchboard_intake::llm::SecondOpinion::export_all(&config)?;
    BoundaryError::export_all(&config)
}
