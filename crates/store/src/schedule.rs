//! The front desk's schedule: each practitioner's slots over some days, free or busy, with the
//! appointment that holds each busy one.

use crate::db::Store;
use crate::error::StoreError;
use crate::view::{banner_of, fhir_values::Lookup};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use switchboard_core::reference::id_of;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct ScheduleColumn {
    pub schedule: String,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    pub slots: Vec<SlotEntry>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct SlotEntry {
    pub id: String,
    pub start: String,
    pub end: Option<String>,
    /// free, busy, busy-unavailable, busy-tentative or entered-in-error.
    pub status: String,
    pub appointment: Option<SlotAppointment>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct SlotAppointment {
    pub id: String,
    pub status: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
}

fn parse(json: &str) -> Result<Value, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::BadResource(e.to_string()))
}

fn instant(value: &Value, field: &str) -> Option<DateTime<Utc>> {
    value[field].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// Every schedule of `source` with its slots starting in `[from, to)`, soonest first.
    pub fn schedule(&self, source: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ScheduleColumn>, StoreError> {
        let mut columns: BTreeMap<String, ScheduleColumn> = self
            .schedule_parties(source)?
            .into_iter()
            .map(|(id, p)| (id.clone(), ScheduleColumn { schedule: id, practitioner: p.practitioner, location: p.location, slots: Vec::new() }))
            .collect();
        let mut by_slot: HashMap<String, SlotAppointment> = HashMap::new();
        for (id, json) in self.starting(source, "Appointment", from, to)? {
            let appointment = parse(&json)?;
            let in_range = instant(&appointment, "start").is_some_and(|s| s >= from && s < to);
            let slot = appointment.pointer("/slot/0/reference").and_then(Value::as_str).and_then(|r| id_of(r, "Slot"));
            let (true, Some(slot)) = (in_range, slot) else { continue };
            if appointment["status"] == "cancelled" {
                continue;
            }
            let patient_id = crate::index::patient_of("Appointment", &id, &appointment);
            let patient_name = match &patient_id {
                Some(pid) => self.resource(source, "Patient", pid)?.map(|j| parse(&j)).transpose()?.and_then(|p| banner_of(pid, &p, from.date_naive()).name),
                None => None,
            };
            by_slot.insert(slot, SlotAppointment { id, status: appointment["status"].as_str().map(str::to_string), patient_id, patient_name });
        }
        for (id, json) in self.starting(source, "Slot", from, to)? {
            let slot = parse(&json)?;
            if !instant(&slot, "start").is_some_and(|s| s >= from && s < to) {
                continue;
            }
            let schedule = slot.pointer("/schedule/reference").and_then(Value::as_str).and_then(|r| id_of(r, "Schedule"));
            let Some(column) = schedule.and_then(|s| columns.get_mut(&s)) else { continue };
            column.slots.push(SlotEntry {
                appointment: by_slot.remove(&id),
                id,
                start: slot["start"].as_str().unwrap_or_default().to_string(),
                end: slot["end"].as_str().map(str::to_string),
                status: slot["status"].as_str().unwrap_or("free").to_string(),
            });
        }
        let mut list: Vec<ScheduleColumn> = columns.into_values().filter(|c| !c.slots.is_empty()).collect();
        for column in &mut list {
            column.slots.sort_by_key(|s| DateTime::parse_from_rfc3339(&s.start).ok());
        }
        Ok(list)
    }
}

/// A free slot to book, with whom and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct FreeSlot {
    pub id: String,
    pub start: String,
    pub end: Option<String>,
    pub schedule: Option<String>,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    /// The slot is with the patient's own practitioner (`Patient.generalPractitioner`).
    pub usual: bool,
}

/// Who and where a schedule books.
struct ScheduleParties {
    practitioner_id: Option<String>,
    practitioner: Option<String>,
    location: Option<String>,
}

/// The resources of one type starting in a window (?2 to ?3, as `start_key`), by that type's start
/// index (`appointment_start`, `slot_start`), whose key is the start as UTC text (SQLite's `datetime`,
/// which reads the offset a start is written with).
pub(crate) fn starting_sql(resource_type: &str) -> String {
    // The type is written into the statement: a partial index serves only a query naming its type.
    format!("SELECT id, json FROM resource WHERE source = ?1 AND type = '{resource_type}' AND {STARTS_IN_WINDOW}")
}

/// A start in the window ?2 to ?3, written as the start indexes' expression so they serve it.
pub(crate) const STARTS_IN_WINDOW: &str = "datetime(json_extract(json, '$.start')) >= ?2 AND datetime(json_extract(json, '$.start')) < ?3";

/// An instant as the start indexes' key.
pub(crate) fn start_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Store {
    /// Appointments or Slots starting in [from, to).
    fn starting(&self, source: &str, resource_type: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&starting_sql(resource_type))?;
        let rows = stmt.query_map([source, &start_key(from), &start_key(to)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Each schedule's practitioner and location, by schedule id.
    fn schedule_parties(&self, source: &str) -> Result<BTreeMap<String, ScheduleParties>, StoreError> {
        let lookup = Lookup::new(self, source);
        let mut parties = BTreeMap::new();
        for (id, json) in self.resources_of(source, "Schedule")? {
            let schedule = parse(&json)?;
            let actor =
                |kind: &str| schedule["actor"].as_array().into_iter().flatten().find(|a| a["reference"].as_str().is_some_and(|r| r.starts_with(kind))).cloned();
            let practitioner = actor("Practitioner/");
            let party = ScheduleParties {
                practitioner_id: practitioner.as_ref().and_then(|p| p["reference"].as_str()).and_then(|r| id_of(r, "Practitioner")),
                practitioner: lookup.name_of(practitioner.as_ref())?,
                location: lookup.name_of(actor("Location/").as_ref())?,
            };
            parties.insert(id, party);
        }
        Ok(parties)
    }

    /// Free slots from a source that start after `after`, soonest first, at most `limit`; those with
    /// `patient`'s own practitioner are marked.
    pub fn free_slots(&self, source: &str, after: DateTime<Utc>, limit: usize, patient: Option<&str>) -> Result<Vec<FreeSlot>, StoreError> {
        let parties = self.schedule_parties(source)?;
        let usual: Vec<String> = match patient {
            Some(id) => self.resource(source, "Patient", id)?.map(|j| parse(&j)).transpose()?.map_or_else(Vec::new, |p| {
                p["generalPractitioner"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g["reference"].as_str().and_then(|r| id_of(r, "Practitioner")))
                    .collect()
            }),
            None => Vec::new(),
        };
        let mut slots = Vec::new();
        for (id, json) in self.resources_of(source, "Slot")? {
            let slot = parse(&json)?;
            let start = instant(&slot, "start").filter(|s| *s > after);
            let (true, Some(start)) = (slot["status"] == "free", start) else { continue };
            let schedule = slot.pointer("/schedule/reference").and_then(Value::as_str);
            let party = schedule.and_then(|r| id_of(r, "Schedule")).and_then(|s| parties.get(&s));
            let free = FreeSlot {
                id,
                start: slot["start"].as_str().unwrap_or_default().to_string(),
                end: slot["end"].as_str().map(str::to_string),
                schedule: schedule.map(str::to_string),
                practitioner: party.and_then(|p| p.practitioner.clone()),
                location: party.and_then(|p| p.location.clone()),
                usual: party.and_then(|p| p.practitioner_id.as_ref()).is_some_and(|p| usual.contains(p)),
            };
            slots.push((start, free));
        }
        slots.sort_by_key(|(start, _)| *start);
        Ok(slots.into_iter().take(limit).map(|(_, slot)| slot).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A cache holding `resources` from source `s` (and the directory it lives in).
    fn store_with(resources: &[Value]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("c.db"), &[4; 32], "US").unwrap();
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        for resource in resources {
            writer.upsert("s", &resource.to_string()).unwrap();
        }
        writer.commit().unwrap();
        (dir, store)
    }

    #[test]
    fn slots_in_range_with_the_appointment_that_holds_them() {
        let (_dir, store) = store_with(&[
            json!({"resourceType": "Practitioner", "id": "d1", "name": [{"family": "Ortiz", "given": ["Ava"], "prefix": ["Dr."]}]}),
            json!({"resourceType": "Location", "id": "l1", "name": "Main Street Clinic"}),
            json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "Lee", "given": ["Ana"]}]}),
            json!({"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Practitioner/d1"}, {"reference": "Location/l1"}]}),
            json!({"resourceType": "Slot", "id": "a", "schedule": {"reference": "Schedule/s1"}, "status": "busy", "start": "2026-12-01T09:30:00-06:00"}),
            json!({"resourceType": "Slot", "id": "b", "schedule": {"reference": "Schedule/s1"}, "status": "free", "start": "2026-12-01T09:00:00-06:00"}),
            json!({"resourceType": "Slot", "id": "c", "schedule": {"reference": "Schedule/s1"}, "status": "free", "start": "2026-12-02T09:00:00-06:00"}),
            json!({"resourceType": "Appointment", "id": "x", "status": "booked", "slot": [{"reference": "Slot/a"}],
                "start": "2026-12-01T09:30:00-06:00", "participant": [{"actor": {"reference": "Patient/p1"}}]}),
            // Written in another offset: its text's date is the next day, its instant is in the window.
            json!({"resourceType": "Slot", "id": "d", "schedule": {"reference": "Schedule/s1"}, "status": "busy", "start": "2026-12-02T15:00:00+10:00"}),
            json!({"resourceType": "Appointment", "id": "y", "status": "booked", "slot": [{"reference": "Slot/d"}],
                "start": "2026-12-02T15:00:00+10:00", "participant": [{"actor": {"reference": "Patient/p1"}}]}),
        ]);
        let day = |d: &str| DateTime::parse_from_rfc3339(d).unwrap().with_timezone(&Utc);
        let columns = store.schedule("s", day("2026-12-01T06:00:00Z"), day("2026-12-02T06:00:00Z")).unwrap();
        assert_eq!(columns.len(), 1);
        let column = &columns[0];
        assert_eq!((column.practitioner.as_deref(), column.location.as_deref()), (Some("Dr. Ava Ortiz"), Some("Main Street Clinic")));
        assert_eq!(column.slots.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b", "a", "d"]);
        let held = column.slots[1].appointment.as_ref().unwrap();
        assert_eq!((held.id.as_str(), held.patient_name.as_deref()), ("x", Some("Ana Lee")));
        assert_eq!(column.slots[2].appointment.as_ref().map(|a| a.id.as_str()), Some("y"));
        assert!(column.slots[0].appointment.is_none());
    }

    #[test]
    fn free_slots_say_with_whom_and_where_and_mark_the_patients_own_practitioner() {
        let (_dir, store) = store_with(&[
            json!({"resourceType": "Practitioner", "id": "d1", "name": [{"family": "Ortiz", "given": ["Ava"], "prefix": ["Dr."]}]}),
            json!({"resourceType": "Practitioner", "id": "d2", "name": [{"family": "Chen", "given": ["Li"], "prefix": ["Dr."]}]}),
            json!({"resourceType": "Location", "id": "l1", "name": "Main Street Clinic"}),
            json!({"resourceType": "Patient", "id": "p1", "generalPractitioner": [{"reference": "Practitioner/d2"}]}),
            json!({"resourceType": "Schedule", "id": "s1", "actor": [{"reference": "Practitioner/d1"}, {"reference": "Location/l1"}]}),
            json!({"resourceType": "Schedule", "id": "s2", "actor": [{"reference": "Practitioner/d2"}]}),
            json!({"resourceType": "Slot", "id": "past", "schedule": {"reference": "Schedule/s1"}, "status": "free", "start": "2026-11-30T09:00:00-06:00"}),
            json!({"resourceType": "Slot", "id": "busy", "schedule": {"reference": "Schedule/s2"}, "status": "busy", "start": "2026-12-01T08:00:00-06:00"}),
            json!({"resourceType": "Slot", "id": "later", "schedule": {"reference": "Schedule/s2"}, "status": "free", "start": "2026-12-01T10:00:00-06:00"}),
            json!({"resourceType": "Slot", "id": "soon", "schedule": {"reference": "Schedule/s1"}, "status": "free", "start": "2026-12-01T09:00:00-06:00"}),
        ]);
        let after = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let slots = store.free_slots("s", after, 10, Some("p1")).unwrap();
        let seen: Vec<_> = slots.iter().map(|s| (s.id.as_str(), s.practitioner.as_deref(), s.location.as_deref(), s.usual)).collect();
        assert_eq!(seen, [("soon", Some("Dr. Ava Ortiz"), Some("Main Street Clinic"), false), ("later", Some("Dr. Li Chen"), None, true)]);
        assert!(store.free_slots("s", after, 10, None).unwrap().iter().all(|s| !s.usual));
        assert_eq!(store.free_slots("s", after, 1, Some("p1")).unwrap().len(), 1);
    }
}
