//! The local cache. SQLite with SQLCipher, keyed by a random 256-bit key kept in the OS keyring.
//! Reads on the hot path (search, the workspace view) touch only this cache, never the network.

mod audit;
mod callers;
mod calls;
mod db;
mod error;
mod export;
mod hl7;
mod in_view;
mod index;
mod ingest;
mod key;
mod outbox;
mod persons;
mod rules;
mod schedule;
mod search;
mod status;
pub mod usage;
pub mod view;
mod worklist;

pub use audit::{AuditEntry, AuditFilter, AuditRow, REPEAT_WINDOW_MINUTES};
pub use callers::{CallerMatch, CallerVia};
pub use calls::CallRow;
pub use db::Store;
pub use error::StoreError;
pub use export::{ExportJob, EXPORT_CURSOR};
pub use hl7::{Hl7Logged, Hl7Outcome};
pub use in_view::view_window;
pub use index::{patient_of, rule_that_made};
pub use ingest::{Stored, Upserted, Writer};
pub use key::{cache_key, KEYRING_SERVICE};
pub use outbox::{Delivery, OutboxRow};
pub use persons::{RecordRef, ReviewPair};
pub use rules::{AlertRow, ChangeRow, Fired};
pub use schedule::{FreeSlot, ScheduleColumn, SlotAppointment, SlotEntry};
pub use search::{normalize_query, server_search_params, PatientHit, Query};
pub use status::{Overview, SourceStatus};
pub use view::{flag as lab_flag, PatientRecord, PatientView};
pub use worklist::{WorkItem, Worklist, WorklistFilter};

/// A column holding one of the vocabulary's words (`switchboard_core::vocab`), read as its enum.
pub(crate) fn word<T: std::str::FromStr<Err = String>>(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    text.parse().map_err(|problem: String| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, problem.into()))
}

/// A new version-7 UUID, minted on this device (ids of actions, audit events and what they create).
/// Its leading bits are the time, so each new id lands at the end of the indexes keyed by it instead of
/// on a random page of each.
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    /// Ids minted later sort later (so each lands at the end of an index keyed by it), and each is new.
    #[test]
    fn ids_minted_later_sort_later() {
        let ids: Vec<String> = (0..2000).map(|_| super::new_uuid()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert!(ids.iter().all(|id| id.len() == 36 && id.as_bytes()[14] == b'7'), "{}", ids[0]);
    }
}
