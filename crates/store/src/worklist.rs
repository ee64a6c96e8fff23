//! The worklist: open tasks across every patient, filtered the way nurses and agents work them.

use crate::db::Store;
use crate::error::StoreError;
use crate::view::{banner_of, open_task, Origin, Row, TaskItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// Which open tasks to show. Every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct WorklistFilter {
    /// Owned by this reference or name (the user, e.g. `Practitioner/prac-1`).
    pub owner: Option<String>,
    /// Past their due time.
    pub overdue: bool,
    pub priority: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct WorkItem {
    #[serde(flatten)]
    pub task: TaskItem,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub mrn: Option<String>,
    pub overdue: bool,
}

fn priority_rank(priority: Option<&str>) -> u8 {
    match priority {
        Some("stat") => 0,
        Some("asap") => 1,
        Some("urgent") => 2,
        _ => 3,
    }
}

fn is_overdue(due: Option<&str>, now: DateTime<Utc>) -> bool {
    due.and_then(|d| DateTime::parse_from_rfc3339(d).ok()).is_some_and(|d| d < now)
}

/// The most pressing open tasks, and how many match in all.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Worklist {
    pub items: Vec<WorkItem>,
    pub total: usize,
}

/// Every Task of a source, from the `task_rows` index that holds them side by side.
pub(crate) const TASK_ROWS: &str =
    "SELECT id, json, synced_at, pending_action IS NOT NULL, nullif(patient_id, '') FROM resource WHERE source = ?1 AND type = 'Task'";

impl Store {
    /// Open tasks of every source, most pressing first (priority, then due time): the first `limit`,
    /// with their patients' names, and the number that match. Only the shown tasks' patients are read.
    pub fn worklist(&self, filter: &WorklistFilter, now: DateTime<Utc>, limit: usize) -> Result<Worklist, StoreError> {
        let mut matching = Vec::new();
        for source in self.source_statuses()?.into_iter().map(|s| s.name) {
            let mut stmt = self.conn.prepare_cached(TASK_ROWS)?;
            let rows = stmt.query_map([&source], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?, r.get::<_, Option<String>>(4)?))
            })?;
            for row in rows {
                let (id, json, synced_at, pending, patient_id) = row?;
                let value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
                let origin = Origin { source: source.clone(), synced_at, pending };
                let Some(task) = open_task(&Row { kind: "Task".into(), id, value, origin }) else { continue };
                let overdue = is_overdue(task.due.as_deref(), now);
                let owner_matches = filter.owner.as_deref().is_none_or(|o| task.owner.as_deref() == Some(o));
                let priority_matches = filter.priority.as_deref().is_none_or(|p| task.priority.as_deref() == Some(p));
                if owner_matches && priority_matches && (overdue || !filter.overdue) {
                    matching.push((task, patient_id, overdue));
                }
            }
        }
        let total = matching.len();
        // Ties keep one order: by source and id. Compared by reference: 15,000 tasks take many comparisons.
        let order = |(a, _, _): &(TaskItem, Option<String>, bool), (b, _, _): &(TaskItem, Option<String>, bool)| {
            (priority_rank(a.priority.as_deref()), &a.due, &a.origin.source, &a.id).cmp(&(
                priority_rank(b.priority.as_deref()),
                &b.due,
                &b.origin.source,
                &b.id,
            ))
        };
        if limit < total {
            matching.select_nth_unstable_by(limit, order);
            matching.truncate(limit);
        }
        matching.sort_by(order);
        let mut patients: HashMap<(String, String), Option<Value>> = HashMap::new();
        let items = matching
            .into_iter()
            .map(|(task, patient_id, overdue)| {
                let patient = patient_id.as_ref().and_then(|pid| {
                    patients
                        .entry((task.origin.source.clone(), pid.clone()))
                        .or_insert_with(|| self.resource(&task.origin.source, "Patient", pid).ok().flatten().and_then(|j| serde_json::from_str(&j).ok()))
                        .clone()
                });
                let banner = patient.as_ref().zip(patient_id.as_deref()).map(|(p, id)| banner_of(id, p, now.date_naive()));
                WorkItem { patient_name: banner.as_ref().and_then(|b| b.name.clone()), mrn: banner.and_then(|b| b.mrn), task, patient_id, overdue }
            })
            .collect();
        Ok(Worklist { items, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_and_orders_open_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("c.db"), &[3; 32], "US").unwrap();
        let task = |id: &str, status: &str, priority: &str, due: &str, owner: &str| {
            json!({"resourceType": "Task", "id": id, "status": status, "intent": "order", "priority": priority,
                "for": {"reference": "Patient/p1"}, "owner": {"display": owner}, "restriction": {"period": {"end": due}}})
        };
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        writer.upsert("s", &json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "Lee", "given": ["Ana"]}]}).to_string()).unwrap();
        for t in [
            task("t1", "requested", "routine", "2026-11-20T00:00:00Z", "Nurse pool"),
            task("t2", "requested", "stat", "2026-12-20T00:00:00Z", "Nurse pool"),
            task("t3", "completed", "stat", "2026-11-20T00:00:00Z", "Nurse pool"),
            task("t4", "in-progress", "urgent", "2026-12-01T00:00:00Z", "Front desk"),
        ] {
            writer.upsert("s", &t.to_string()).unwrap();
        }
        writer.commit().unwrap();
        store.record_sync_start("s", "http://x/", "2026-11-26T00:00:00Z").unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").unwrap().with_timezone(&Utc);
        let ids = |filter: WorklistFilter| -> Vec<String> { store.worklist(&filter, now, 10).unwrap().items.into_iter().map(|w| w.task.id).collect() };
        assert_eq!(ids(WorklistFilter::default()), ["t2", "t4", "t1"]);
        assert_eq!(ids(WorklistFilter { owner: Some("Nurse pool".into()), ..Default::default() }), ["t2", "t1"]);
        assert_eq!(ids(WorklistFilter { overdue: true, ..Default::default() }), ["t1"]);
        assert_eq!(ids(WorklistFilter { priority: Some("urgent".into()), ..Default::default() }), ["t4"]);
        let first = &store.worklist(&WorklistFilter::default(), now, 10).unwrap().items[0];
        assert_eq!(first.patient_name.as_deref(), Some("Ana Lee"));
        let shortened = store.worklist(&WorklistFilter::default(), now, 2).unwrap();
        assert_eq!((shortened.items.iter().map(|w| w.task.id.as_str()).collect::<Vec<_>>(), shortened.total), (vec!["t2", "t4"], 3));
    }

    /// A shortened worklist is the head of the whole one, for any limit, over seeded random tasks.
    #[test]
    fn a_limit_keeps_the_most_pressing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("c.db"), &[4; 32], "US").unwrap();
        let mut rng = fastrand::Rng::with_seed(3);
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        for i in 0..300 {
            let priority = ["stat", "asap", "urgent", "routine"][rng.usize(..4)];
            let due = format!("2026-12-{:02}T{:02}:00:00Z", rng.u8(1..20), rng.u8(..24));
            let task = json!({"resourceType": "Task", "id": format!("t{i}"), "status": "requested", "intent": "order",
                "priority": priority, "for": {"reference": format!("Patient/p{}", i % 7)}, "restriction": {"period": {"end": due}}});
            writer.upsert(["a", "b"][i % 2], &task.to_string()).unwrap();
        }
        writer.commit().unwrap();
        for source in ["a", "b"] {
            store.record_sync_start(source, "http://x/", "2026-11-26T00:00:00Z").unwrap();
        }
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z").unwrap().with_timezone(&Utc);
        let ids = |limit| -> Vec<String> { store.worklist(&WorklistFilter::default(), now, limit).unwrap().items.into_iter().map(|w| w.task.id).collect() };
        let whole = ids(1000);
        assert_eq!(whole.len(), 300);
        for limit in [0, 1, 2, 50, 299, 300] {
            assert_eq!(ids(limit), whole[..limit], "limit {limit}");
            assert_eq!(store.worklist(&WorklistFilter::default(), now, limit).unwrap().total, 300);
        }
    }
}
