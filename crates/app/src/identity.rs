//! Who is who across the clinic's sources, and where each action goes. Persons are worked out again
//! from every cached Patient and the staff's decisions (Linkage resources, kept in the shared-work
//! source so every workstation decides alike) after a sync that changed either. An action goes to the
//! source that is the system of record for what it changes, about the person's record there.

use crate::context::App;
use crate::error::AppError;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use switchboard_core::config::SourceRole;
use switchboard_identity::{candidate_keys, link_among, Decision, LinkRules, Record, RecordKey, Verdict, MAX_BLOCK};
use switchboard_outbox::kinds::LinkDecision;
use switchboard_outbox::{Action, Queued, StaffAction};
use switchboard_store::{RecordRef, ReviewPair, Store};

/// More Patients or decisions changed than this since the last relink, and everyone is linked again.
const RELINK_ALL_OVER: usize = 5_000;

/// What a relink found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relinked {
    pub records: usize,
    /// Persons holding records in two or more sources.
    pub linked: usize,
    pub review: usize,
}

impl App {
    pub(crate) fn link_rules(&self) -> LinkRules {
        let identity = &self.config.identity;
        LinkRules { same_person_systems: identity.same_person_systems.clone(), auto_at: identity.auto_link_at, review_at: identity.review_at }
    }

    /// A record's address, the same on every workstation: `<source base>Patient/<id>`.
    fn record_url(&self, source: &str, patient: &str) -> Result<String, AppError> {
        Ok(format!("{}Patient/{patient}", self.source(source)?.fhir))
    }

    /// The (source, id) an address names, when it is one of this clinic's sources.
    fn record_at(&self, url: &str) -> Option<RecordRef> {
        let (base, id) = url.rsplit_once("Patient/")?;
        let source = self.config.sources.iter().find(|s| s.fhir.as_str() == base)?;
        Some((source.name.clone(), id.to_string()))
    }

    /// The source that keeps the shared work, when one is declared.
    pub fn work_source(&self) -> Option<&str> {
        self.config.sources.iter().find(|s| s.roles.contains(&SourceRole::Work)).map(|s| s.name.as_str())
    }

    /// The source declared for `role` (else `source` itself), and the person's record there if any.
    pub fn record_for(&self, store: &Store, role: SourceRole, source: &str, patient: &str) -> Result<(String, Option<String>), AppError> {
        let Some(target) = self.config.sources.iter().find(|s| s.roles.contains(&role) && s.name != source).map(|s| s.name.clone()) else {
            return Ok((source.to_string(), Some(patient.to_string())));
        };
        if self.source(source).is_ok_and(|s| s.roles.contains(&role)) {
            return Ok((source.to_string(), Some(patient.to_string())));
        }
        Ok((target.clone(), record_in(store, source, patient, &target)?))
    }

    /// Routing for the rules: the shared-work source and each source's base URL.
    pub(crate) fn work_routing(&self) -> Option<switchboard_rules::WorkRouting> {
        let source = self.work_source()?.to_string();
        let bases: BTreeMap<String, String> = self.config.sources.iter().map(|s| (s.name.clone(), s.fhir.to_string())).collect();
        Some(switchboard_rules::WorkRouting { source, bases })
    }

    /// Works out who is who again, from every cached Patient, and keeps it in the cache.
    pub fn relink(&self, store: &mut Store) -> Result<Relinked, AppError> {
        let read_to = store.last_change()?;
        let rules = self.link_rules();
        let mut records = Vec::new();
        for source in &self.config.sources {
            for (_, json) in store.resources_of(&source.name, "Patient")? {
                records.extend(record_of(&source.name, &json)?);
            }
        }
        let keys: Vec<(RecordRef, Vec<String>)> = records.iter().map(|r| (record_ref(r), candidate_keys(r, &rules))).collect();
        store.replace_link_keys(true, &keys)?;
        let relinked = self.link_and_keep(store, &records, None, &HashSet::new())?;
        store.set_identity_cursor(read_to)?;
        Ok(relinked)
    }

    /// After a sync: links again around the Patients and staff decisions changed since the last
    /// relink (`relink_around`); everyone on the first relink, or when a sync changed a great many.
    pub fn relink_changed(&self, store: &mut Store) -> Result<Relinked, AppError> {
        let Some(cursor) = store.identity_cursor()? else { return self.relink(store) };
        let read_to = store.last_change()?;
        let changes = store.identity_changes_since(cursor)?;
        if changes.len() > RELINK_ALL_OVER {
            return self.relink(store);
        }
        let mut around = Vec::new();
        for (_, source, kind, id) in &changes {
            if kind == "Patient" {
                around.push((source.clone(), id.clone()));
            } else if let Some(json) = store.resource(source, "Linkage", id)? {
                let linkage: serde_json::Value = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))?;
                if let Some((_, decision)) = self.decision_of(&linkage) {
                    around.extend([decision.a, decision.b].iter().map(|k| (k.source.clone(), k.id.clone())));
                }
            }
        }
        let relinked = if around.is_empty() { Relinked::default() } else { self.relink_around(store, &around)? };
        // Past every change read, of any type, so the feed can be pruned behind it.
        store.set_identity_cursor(changes.last().map_or(read_to, |(seq, ..)| read_to.max(*seq)))?;
        Ok(relinked)
    }

    /// Works out again who the persons holding `around` are, among the records they could be linked
    /// with: their persons' records, every record sharing a link key (a block or a "same person"
    /// identifier) with one of those, and those records' persons. The rest of the clinic is not read.
    fn relink_around(&self, store: &mut Store, around: &[RecordRef]) -> Result<Relinked, AppError> {
        let rules = self.link_rules();
        let mut scope: BTreeSet<RecordRef> = BTreeSet::new();
        for (source, id) in around {
            scope.extend(store.linked_records(source, id)?);
        }
        // Blocks too large across the whole clinic pair nothing here either.
        let mut oversized = HashSet::new();
        // Each record read once: the persons first, then the records sharing their keys.
        let mut read: HashMap<RecordRef, Option<Record>> = HashMap::new();
        for (source, id) in scope.clone() {
            let record = cached_record(store, &source, &id)?;
            let Some(record) = read.entry((source.clone(), id.clone())).or_insert(record).as_ref() else { continue };
            for key in candidate_keys(record, &rules) {
                match store.records_with_key(&key, MAX_BLOCK)? {
                    Some(sharing) => {
                        for (other_source, other) in sharing {
                            scope.extend(store.linked_records(&other_source, &other)?);
                        }
                    }
                    None if !key.starts_with("i:") => {
                        oversized.insert(key);
                    }
                    None => {}
                }
            }
            for survivor in &record.replaced_by {
                scope.extend(store.linked_records(&source, survivor)?);
            }
        }
        let mut records = Vec::new();
        let mut keys = Vec::new();
        for (source, id) in &scope {
            // A record no longer cached (deleted on its server) keeps no keys and joins no one.
            let record = match read.remove(&(source.clone(), id.clone())) {
                Some(record) => record,
                None => cached_record(store, source, id)?,
            };
            keys.push(((source.clone(), id.clone()), record.as_ref().map(|r| candidate_keys(r, &rules)).unwrap_or_default()));
            records.extend(record);
        }
        store.replace_link_keys(false, &keys)?;
        let scope: Vec<RecordRef> = scope.into_iter().collect();
        self.link_and_keep(store, &records, Some(&scope), &oversized)
    }

    /// Links `records` under the staff's decisions and keeps the result: for the whole cache, or for
    /// the records in `scope` (which are whole persons).
    fn link_and_keep(&self, store: &mut Store, records: &[Record], scope: Option<&[RecordRef]>, oversized: &HashSet<String>) -> Result<Relinked, AppError> {
        let decisions = self.decisions(store)?;
        let linkage = link_among(records, &self.link_rules(), &decisions, oversized);
        let persons: Vec<Vec<RecordRef>> =
            linkage.persons.iter().filter(|p| p.len() > 1).map(|p| p.iter().map(|k| (k.source.clone(), k.id.clone())).collect()).collect();
        let review: Vec<ReviewPair> = linkage
            .review
            .iter()
            .map(|c| ReviewPair {
                a_source: c.a.source.clone(),
                a_patient: c.a.id.clone(),
                b_source: c.b.source.clone(),
                b_patient: c.b.id.clone(),
                score: c.score.weight,
                why: c.score.reasons.join("; "),
                a: None,
                b: None,
            })
            .collect();
        store.replace_persons(scope, &persons, &review)?;
        Ok(Relinked { records: records.len(), linked: persons.len(), review: review.len() })
    }

    /// The staff's decisions, the latest on each pair; one not yet on the server is the latest.
    fn decisions(&self, store: &Store) -> Result<Vec<Decision>, AppError> {
        let mut decisions: Vec<(String, Decision)> = Vec::new();
        for source in &self.config.sources {
            for (_, json) in store.resources_of(&source.name, "Linkage")? {
                let linkage: serde_json::Value = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))?;
                decisions.extend(self.decision_of(&linkage));
            }
        }
        decisions.sort_by(|a, b| a.0.cmp(&b.0));
        let mut latest: HashMap<(RecordKey, RecordKey), Decision> = HashMap::new();
        for (_, decision) in decisions {
            let pair = if decision.a < decision.b { (decision.a.clone(), decision.b.clone()) } else { (decision.b.clone(), decision.a.clone()) };
            latest.insert(pair, decision);
        }
        Ok(latest.into_values().collect())
    }

    /// A staff decision from a Linkage: (when, decision); `None` when it names records outside this clinic.
    fn decision_of(&self, linkage: &serde_json::Value) -> Option<(String, Decision)> {
        let items: Vec<RecordRef> = linkage["item"].as_array()?.iter().filter_map(|i| self.record_at(i["resource"]["reference"].as_str()?)).collect();
        let [(a_source, a_id), (b_source, b_id)] = <[RecordRef; 2]>::try_from(items).ok()?;
        let verdict = if linkage["active"].as_bool().unwrap_or(true) { Verdict::Same } else { Verdict::NotSame };
        let when = linkage.pointer("/meta/lastUpdated").and_then(|v| v.as_str()).unwrap_or("~ not yet sent").to_string();
        Some((when, Decision { a: RecordKey::new(&a_source, &a_id), b: RecordKey::new(&b_source, &b_id), verdict }))
    }

    /// Staff say two records are one person (`same`) or two; kept in the shared-work source (else the
    /// first record's), audited, and applied here at once.
    pub fn decide_link(&self, store: &mut Store, record: (&str, &str), other: (&str, &str), same: bool) -> Result<Queued, AppError> {
        let queued = self.queue_decision(store, record, other, same)?;
        self.relink_around(store, &[(record.0.to_string(), record.1.to_string()), (other.0.to_string(), other.1.to_string())])?;
        Ok(queued)
    }

    /// A decision as a Linkage for the shared-work source (else the first record's), audited.
    fn queue_decision(&self, store: &mut Store, record: (&str, &str), other: (&str, &str), same: bool) -> Result<Queued, AppError> {
        let decision = LinkDecision { record: self.record_url(record.0, record.1)?, other: self.record_url(other.0, other.1)?, same };
        let target = self.work_source().unwrap_or(record.0).to_string();
        self.queue_staff(store, &target, StaffAction::LinkDecision(decision))
    }

    /// Staff say a record is not the person it was linked to: "not the same person" against each of
    /// the person's other records, applied at once.
    pub fn unlink(&self, store: &mut Store, record: (&str, &str)) -> Result<Vec<Queued>, AppError> {
        let others: Vec<RecordRef> = store.linked_records(record.0, record.1)?.into_iter().skip(1).collect();
        if others.is_empty() {
            return Err(AppError::Invalid(format!("{} {} is not linked to another record", record.0, record.1)));
        }
        let mut queued = Vec::with_capacity(others.len());
        for (source, id) in &others {
            queued.push(self.queue_decision(store, record, (source, id), false)?);
        }
        let mut around = others;
        around.push((record.0.to_string(), record.1.to_string()));
        self.relink_around(store, &around)?;
        Ok(queued)
    }

    /// Where an action goes and what it names there: the system of record for what it changes, with
    /// the person's record in that system. Refused, in words, when the person has none there.
    pub(crate) fn routed(&self, store: &Store, source: &str, action: Action) -> Result<(String, Action), AppError> {
        let holder = |kind: &str, id: &str| -> Result<Option<String>, AppError> {
            if store.resource(source, kind, id)?.is_some() {
                return Ok(Some(source.to_string()));
            }
            for other in self.config.sources.iter().filter(|s| s.name != source) {
                if store.resource(&other.name, kind, id)?.is_some() {
                    return Ok(Some(other.name.clone()));
                }
            }
            Ok(None)
        };
        let (target, mut action) = match action {
            // A booking goes where its slot is: the scheduler.
            Action::Book(book) => (holder("Slot", &book.slot)?.unwrap_or_else(|| source.to_string()), Action::Book(book)),
            Action::TaskCreate(_) | Action::Note(_) | Action::Remind(_) | Action::Intake(_) => (self.work_source().unwrap_or(source).to_string(), action),
            // What changes a resource goes where the resource is.
            Action::Reschedule(ref a) => (holder("Appointment", &a.appointment)?.unwrap_or_else(|| source.to_string()), action),
            Action::Cancel(ref a) => (holder("Appointment", &a.appointment)?.unwrap_or_else(|| source.to_string()), action),
            Action::Arrived(ref a) => (holder("Appointment", &a.appointment)?.unwrap_or_else(|| source.to_string()), action),
            Action::NoShow(ref a) => (holder("Appointment", &a.appointment)?.unwrap_or_else(|| source.to_string()), action),
            Action::TaskClaim(ref a) => (holder("Task", &a.task)?.unwrap_or_else(|| source.to_string()), action),
            Action::TaskComplete(ref a) => (holder("Task", &a.task)?.unwrap_or_else(|| source.to_string()), action),
            other => (source.to_string(), other),
        };
        if target != source {
            if let Some(patient) = patient_of(&mut action) {
                match record_in(store, source, patient, &target)? {
                    Some(id) => *patient = id,
                    None => {
                        return Err(AppError::Invalid(format!(
                            "this patient has no record in `{target}`, where this goes; link their record there from the review queue, \
                             or have them registered in that system first"
                        )))
                    }
                }
            }
        }
        Ok((target, action))
    }
}

/// The patient an action names, to be rewritten for another source.
fn patient_of(action: &mut Action) -> Option<&mut String> {
    match action {
        Action::Book(a) => Some(&mut a.patient),
        Action::TaskCreate(a) => Some(&mut a.patient),
        Action::Note(a) => Some(&mut a.patient),
        Action::Remind(a) => Some(&mut a.patient),
        Action::Intake(a) => Some(&mut a.patient),
        _ => None,
    }
}

/// The identity layer's view of a cached Patient (`None` when it has nothing to link by).
fn record_of(source: &str, json: &str) -> Result<Option<Record>, AppError> {
    let patient: serde_json::Value = serde_json::from_str(json).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Record::from_patient(source, &patient))
}

/// The cached Patient `source/id` as the identity layer sees it (`None` when not cached).
fn cached_record(store: &Store, source: &str, id: &str) -> Result<Option<Record>, AppError> {
    match store.resource(source, "Patient", id)? {
        Some(json) => record_of(source, &json),
        None => Ok(None),
    }
}

fn record_ref(record: &Record) -> RecordRef {
    (record.key().source.clone(), record.key().id.clone())
}

/// The person's record in `target`: the record itself when it is there, else the one linked to it.
pub(crate) fn record_in(store: &Store, source: &str, patient: &str, target: &str) -> Result<Option<String>, AppError> {
    if source == target {
        return Ok(Some(patient.to_string()));
    }
    Ok(store.linked_records(source, patient)?.into_iter().find(|(s, _)| s == target).map(|(_, id)| id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use switchboard_core::{FixedClock, Home};
    use switchboard_demo::sources::{generate_sources, three_systems_config, EHR};

    /// The demo clinic spread over three systems, in a cache, linked once.
    fn linked_clinic(dir: &std::path::Path) -> (App, Store, Vec<RecordRef>) {
        let now = chrono::Utc::now();
        let mut store = Store::open_with_key(&dir.join("cache.db"), &[5; 32], "US").unwrap();
        let mut writer = store.writer(&now.to_rfc3339()).unwrap();
        let mut records = Vec::new();
        let options = switchboard_demo::DemoOptions { patients: 200, seed: 11, today: now.date_naive() };
        generate_sources(&options, 3, &mut |source, mut resource| {
            resource["meta"] = serde_json::json!({"versionId": "1", "lastUpdated": now.to_rfc3339()});
            if resource["resourceType"] == "Patient" {
                records.push((source.to_string(), resource["id"].as_str().unwrap().to_string()));
            }
            writer.upsert(source, &resource.to_string()).unwrap();
        });
        writer.commit().unwrap();
        let config = three_systems_config(&|name| format!("https://{name}.example.org/fhir/"));
        let app = App::new(Home::under(dir), config, Arc::new(FixedClock(now)));
        app.relink(&mut store).unwrap();
        (app, store, records)
    }

    /// Every person the cache holds, as sorted lists of records.
    fn persons(store: &Store, records: &[RecordRef]) -> BTreeSet<Vec<RecordRef>> {
        records
            .iter()
            .map(|(source, id)| {
                let mut person = store.linked_records(source, id).unwrap();
                person.sort();
                person
            })
            .collect()
    }

    /// A decision applies at once to the persons it touches, and a full relink afterwards finds the
    /// same persons: unlinking records, and joining the pairs put to review.
    #[test]
    fn a_decision_applied_at_once_agrees_with_a_full_relink() {
        let dir = tempfile::tempdir().unwrap();
        let (app, mut store, records) = linked_clinic(dir.path());
        let mut rng = fastrand::Rng::with_seed(3);
        let linked: Vec<&RecordRef> = records.iter().filter(|(s, id)| store.linked_records(s, id).unwrap().len() > 1).collect();
        assert!(linked.len() > 100, "the demo links most of its persons: {}", linked.len());
        for _ in 0..8 {
            let (source, id) = linked[rng.usize(..linked.len())];
            let was = store.linked_records(source, id).unwrap();
            app.unlink(&mut store, (source, id)).unwrap();
            assert_eq!(store.linked_records(source, id).unwrap().len(), 1, "unlinked at once");
            if was.len() > 2 {
                assert_eq!(store.linked_records(&was[1].0, &was[1].1).unwrap().len(), was.len() - 1, "the others stay one person");
            }
            let quick = persons(&store, &records);
            app.relink(&mut store).unwrap();
            assert_eq!(persons(&store, &records), quick);
        }
        let today = chrono::Utc::now().date_naive();
        for pair in store.review_queue(today).unwrap().into_iter().take(8) {
            app.decide_link(&mut store, (&pair.a_source, &pair.a_patient), (&pair.b_source, &pair.b_patient), true).unwrap();
            let joined = store.linked_records(&pair.a_source, &pair.a_patient).unwrap();
            assert!(joined.contains(&(pair.b_source.clone(), pair.b_patient.clone())), "joined at once");
            let quick = persons(&store, &records);
            app.relink(&mut store).unwrap();
            assert_eq!(persons(&store, &records), quick);
        }
    }

    /// After a sync only the neighbourhoods of what changed are linked again, and the persons are
    /// those a full relink finds: names changed at marriage, birth dates corrected to another
    /// record's, records re-registered as someone else, deleted records, and a staff decision synced
    /// from another workstation.
    #[test]
    fn a_sync_relinks_around_what_changed_and_agrees_with_a_full_relink() {
        let dir = tempfile::tempdir().unwrap();
        let (app, mut store, records) = linked_clinic(dir.path());
        let mut rng = fastrand::Rng::with_seed(9);
        let now = chrono::Utc::now().to_rfc3339();
        let cached = |store: &Store, (source, id): &RecordRef| store.resource(source, "Patient", id).unwrap().map(|json| serde_json::from_str(&json).unwrap());
        for round in 0..4 {
            let mut changed = Vec::new();
            for n in 0..12 {
                let record = &records[rng.usize(..records.len())];
                let (Some(mut value), Some(other)) = (cached(&store, record), cached(&store, &records[rng.usize(..records.len())])) else { continue };
                let other: serde_json::Value = other;
                match n % 4 {
                    0 => value["name"][0]["family"] = other["name"][0]["family"].clone(),
                    1 => value["birthDate"] = other["birthDate"].clone(),
                    // Re-registered as someone this system had no record of: now theirs to link.
                    2 => {
                        let unheld = |(s, id): &&RecordRef| *s != record.0 && store.linked_records(s, id).unwrap().iter().all(|(held, _)| *held != record.0);
                        let Some(them) = records.iter().filter(unheld).filter_map(|r| cached(&store, r)).nth(rng.usize(..50)) else { continue };
                        let them: serde_json::Value = them;
                        for field in ["name", "gender", "birthDate", "telecom", "address"] {
                            value[field] = them[field].clone();
                        }
                    }
                    _ => value = serde_json::Value::Null,
                }
                changed.push((record.clone(), value));
            }
            let mut writer = store.writer(&now).unwrap();
            for ((source, id), mut value) in changed {
                if value.is_null() {
                    writer.delete(&source, "Patient", &id).unwrap();
                } else {
                    value["meta"]["versionId"] = serde_json::json!(format!("r{round}"));
                    writer.upsert(&source, &value.to_string()).unwrap();
                }
            }
            writer.commit().unwrap();
            let relinked = app.relink_changed(&mut store).unwrap();
            assert!(relinked.records > 0 && relinked.records < records.len() / 2, "a neighbourhood is read, not everyone: {}", relinked.records);
            let quick = persons(&store, &records);
            app.relink(&mut store).unwrap();
            assert_eq!(persons(&store, &records), quick, "round {round}");
        }
        // A decision another workstation made arrives by sync as a Linkage.
        let (source, id) = records.iter().find(|(s, id)| store.linked_records(s, id).unwrap().len() > 1).unwrap().clone();
        let other = store.linked_records(&source, &id).unwrap()[1].clone();
        let url = |(s, id): &RecordRef| format!("https://{s}.example.org/fhir/Patient/{id}");
        let linkage = serde_json::json!({"resourceType": "Linkage", "id": "from-b", "active": false, "meta": {"versionId": "1", "lastUpdated": now},
            "item": [{"type": "source", "resource": {"reference": url(&(source.clone(), id.clone()))}}, {"type": "alternate", "resource": {"reference": url(&other)}}]});
        let mut writer = store.writer(&now).unwrap();
        writer.upsert(EHR, &linkage.to_string()).unwrap();
        writer.commit().unwrap();
        app.relink_changed(&mut store).unwrap();
        assert!(!store.linked_records(&source, &id).unwrap().contains(&other), "the decision applies after the sync");
        let quick = persons(&store, &records);
        app.relink(&mut store).unwrap();
        assert_eq!(persons(&store, &records), quick);
    }
}
