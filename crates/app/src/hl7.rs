//! The HL7 v2 feed: each message read, its patient found among the cached records, and its resources
//! written to the cache and queued for the target source in one transaction with the message's log
//! row. Only then is it acknowledged; a resend is answered from the log and changes nothing.

use crate::context::App;
use crate::error::AppError;
use crate::identity::record_in;
use chrono::{DateTime, FixedOffset, Local, SecondsFormat, Utc};
use serde_json::{json, Value};
use switchboard_core::config::SourceRole;
use switchboard_core::Actor;
use switchboard_hl7::{ack, deterministic_id, place_patient, refusal_ack, AckCode, Content, Inbound, MappingContext, Refused};
use switchboard_identity::{candidate_keys, compare, Record, MAX_BLOCK};
use switchboard_outbox::kinds::Hl7Feed;
use switchboard_outbox::{prepare, Action};
use switchboard_store::{Hl7Logged, Hl7Outcome, Store};

/// The feed's messages that were refused or are held for staff, for the Sources page.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct Hl7Problems {
    /// This machine runs the receiver (`[hl7]` is set, or it has logged messages).
    pub receives: bool,
    /// Newest first.
    pub messages: Vec<Hl7Logged>,
}

/// How long an applied message's bytes are kept, for IT to look into what it was.
const KEEP_APPLIED_DAYS: i64 = 30;
/// How many unreadable messages (no header to name them by) the log keeps.
const UNREADABLE_KEPT: usize = 1000;
/// The sender an unreadable message is logged under.
const UNREADABLE: &str = "unreadable";

/// How many of the feed's problems the Sources page lists.
const PROBLEMS_LISTED: usize = 200;

/// Where a message's patient is among the cached records.
enum Placement {
    /// Their record in the target source.
    Record(String),
    /// Staff must decide first; the words say why.
    Held(String),
}

impl App {
    /// Where the feed's resources go: `[hl7] target`, else the results source, else the shared work,
    /// else the only source.
    pub fn hl7_target(&self) -> Result<String, AppError> {
        if let Some(target) = &self.config.hl7.target {
            return Ok(target.clone());
        }
        let by_role = |role| self.config.sources.iter().find(|s| s.roles.contains(&role));
        by_role(SourceRole::Results)
            .or_else(|| by_role(SourceRole::Work))
            .or(self.config.sources.first())
            .map(|s| s.name.clone())
            .ok_or_else(|| AppError::Invalid("the HL7 receiver needs a configured source to write to (`switchboard source add`)".into()))
    }

    /// The messages refused or held in this machine's log.
    pub fn hl7_problems(&self, store: &Store) -> Result<Hl7Problems, AppError> {
        let messages = store.hl7_problems(PROBLEMS_LISTED)?;
        let receives = self.config.hl7 != Default::default() || store.hl7_logs_any()?;
        Ok(Hl7Problems { receives, messages })
    }

    /// Keeps the log to what it is for: applied messages' bytes go after `KEEP_APPLIED_DAYS`, and
    /// only the newest `UNREADABLE_KEPT` unreadable messages stay.
    pub fn hl7_prune(&self, store: &mut Store, now: DateTime<Utc>) -> Result<usize, AppError> {
        let before = (now - chrono::Duration::days(KEEP_APPLIED_DAYS)).to_rfc3339_opts(SecondsFormat::Millis, true);
        Ok(store.hl7_prune(&before, UNREADABLE, UNREADABLE_KEPT)?)
    }

    /// Takes one message off the wire and returns its acknowledgement.
    pub fn hl7_take(&self, store: &mut Store, bytes: &[u8]) -> Result<Vec<u8>, AppError> {
        let (read, offset) = self.hl7_read(bytes);
        let header = match &read {
            Ok(inbound) => Some(inbound.header.clone()),
            Err(refused) => refused.header.as_deref().cloned(),
        };
        if let Some(header) = &header {
            if let Some(logged) = store.hl7_logged(&header.sender(), &header.control_id)? {
                return Ok(self.answer_again(header, &logged, offset));
            }
        }
        self.hl7_apply(store, bytes, read, offset)
    }

    /// Reads a kept message again (after staff linked its patient, or the clinic's config changed)
    /// and logs its new outcome in place of the old.
    pub fn hl7_replay(&self, store: &mut Store, seq: i64) -> Result<Hl7Logged, AppError> {
        let (logged, raw) = store.hl7_message(seq)?.ok_or_else(|| AppError::Invalid(format!("no HL7 message {seq} is logged")))?;
        if logged.state == "applied" {
            return Err(AppError::Invalid(format!("message {seq} was applied already; replaying it would change nothing")));
        }
        let (read, offset) = self.hl7_read(&raw);
        self.hl7_apply(store, &raw, read, offset)?;
        Ok(store.hl7_message(seq)?.map(|(logged, _)| logged).expect("logged in place"))
    }

    /// Reads and maps a message, with the clinic's assigning authorities, in this machine's time zone
    /// (returned too: the ACK's time is written in it).
    fn hl7_read(&self, bytes: &[u8]) -> (Result<Inbound, Refused>, FixedOffset) {
        let offset = *Local::now().offset();
        let authority = |namespace: &str| self.config.hl7.authorities.get(namespace).cloned();
        (switchboard_hl7::read(bytes, &MappingContext { offset, authority: &authority }), offset)
    }

    fn answer_again(&self, header: &switchboard_hl7::Header, logged: &Hl7Logged, offset: FixedOffset) -> Vec<u8> {
        let code = AckCode::parse(&logged.ack_code).unwrap_or(AckCode::Accept);
        let text = logged.reason.clone().unwrap_or_else(|| "already received".into());
        // 207 (application internal error) for a refusal logged before its code was kept.
        let refusal = (code != AckCode::Accept).then(|| switchboard_hl7::Refusal { code, error: logged.error_code.unwrap_or(207), words: text.clone() });
        ack(header, code, &text, refusal.as_ref(), now(offset))
    }

    fn hl7_apply(&self, store: &mut Store, raw: &[u8], read: Result<Inbound, Refused>, offset: FixedOffset) -> Result<Vec<u8>, AppError> {
        let stamp = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let inbound = match read {
            Ok(inbound) => inbound,
            Err(refused) => {
                let (sender, control_id, kind) = match &refused.header {
                    Some(h) => (h.sender(), h.control_id.clone(), h.kind()),
                    // Unreadable: kept under an id of its own, so each one stays on the list.
                    None => (UNREADABLE.to_string(), switchboard_store::new_uuid(), String::new()),
                };
                let outcome = Hl7Outcome {
                    state: "refused",
                    ack_code: refused.refusal.code.as_str(),
                    error_code: Some(refused.refusal.error),
                    reason: Some(&refused.refusal.words),
                    action_id: None,
                };
                log_only(store, &stamp, (&sender, &control_id, &kind), raw, &outcome)?;
                tracing::info!(code = refused.refusal.code.as_str(), error = refused.refusal.error, "hl7 message refused");
                return Ok(refusal_ack(refused.header.as_deref(), &refused.refusal, now(offset)));
            }
        };
        let target = self.hl7_target()?;
        let (sender, control_id, kind) = (inbound.header.sender(), inbound.header.control_id.clone(), inbound.header.kind());
        let resources = match self.resources_for(store, &target, &inbound)? {
            Ok(resources) => resources,
            Err(why) => {
                let outcome = Hl7Outcome { state: "held", ack_code: "AA", error_code: None, reason: Some(&why), action_id: None };
                log_only(store, &stamp, (&sender, &control_id, &kind), raw, &outcome)?;
                tracing::info!("hl7 message held for staff");
                return Ok(ack(&inbound.header, AckCode::Accept, &format!("received; held for staff review: {why}"), None, now(offset)));
            }
        };
        let action = Action::Hl7Feed(Hl7Feed { message: format!("{sender} {control_id}"), resources });
        let actor = Actor::at_workstation(format!("HL7 feed {}", inbound.header.sending_app));
        let prepared = prepare(store, &target, &action, &actor, Utc::now()).map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut writer = store.writer(&stamp)?;
        let queued = prepared.write(&mut writer, &target)?;
        let outcome = Hl7Outcome { state: "applied", ack_code: "AA", error_code: None, reason: None, action_id: Some(&queued.id) };
        writer.log_hl7(&sender, &control_id, &kind, raw, &outcome)?;
        writer.commit()?;
        tracing::info!(action = %queued.id, "hl7 message applied");
        Ok(ack(&inbound.header, AckCode::Accept, "", None, now(offset)))
    }

    /// The resources to write for a message, about the patient's record in the target; Err(why) when
    /// the message must wait for staff.
    fn resources_for(&self, store: &Store, target: &str, inbound: &Inbound) -> Result<Result<Vec<Value>, String>, AppError> {
        let placement = self.place(store, target, &inbound.patient)?;
        let mut resources = inbound.resources.clone();
        match (&inbound.content, placement) {
            (Content::Results | Content::Schedule, Placement::Record(id)) => {
                place_patient(&mut resources, &format!("Patient/{id}"));
                Ok(Ok(resources))
            }
            (Content::Registration { .. }, Placement::Record(id)) => Ok(Ok(vec![updated_patient(store, target, &id, inbound)?])),
            (Content::Registration { creates: true }, Placement::Held(why)) if why.starts_with(NO_MATCH) => {
                let Some(first) = inbound.patient["identifier"].get(0) else {
                    return Ok(Err("the registration carries no identifier (PID-3) to register the patient by".into()));
                };
                let key = format!("{}|{}", first["system"].as_str().unwrap_or_default(), first["value"].as_str().unwrap_or_default());
                let mut patient = inbound.patient.clone();
                patient["id"] = deterministic_id(&[&inbound.header.sender(), &key]).into();
                patient["active"] = true.into();
                Ok(Ok(vec![patient]))
            }
            (Content::Merge { retired }, Placement::Record(survivor)) => {
                let Some(gone) = self.retired_record(store, target, retired)? else {
                    return Ok(Err("the merge's retired record (MRG-1) matches no record here".into()));
                };
                if gone == survivor {
                    return Ok(Err("the merge names the same record twice".into()));
                }
                let mut old = cached_patient(store, target, &gone)?;
                old["active"] = false.into();
                old["link"] = json!([{"other": {"reference": format!("Patient/{survivor}")}, "type": "replaced-by"}]);
                let mut kept = cached_patient(store, target, &survivor)?;
                let links = kept.as_object_mut().expect("a Patient").entry("link").or_insert_with(|| json!([]));
                if let Some(links) = links.as_array_mut() {
                    links.push(json!({"other": {"reference": format!("Patient/{gone}")}, "type": "replaces"}));
                }
                Ok(Ok(vec![old, kept]))
            }
            (_, Placement::Held(why)) => Ok(Err(why)),
        }
    }

    /// Finds the PID's patient: by identifier (checked against the demographics), else by the linking
    /// score; then their record in the target source.
    fn place(&self, store: &Store, target: &str, pid: &Value) -> Result<Placement, AppError> {
        let rules = self.link_rules();
        let mut described = pid.clone();
        described["id"] = "pid".into();
        let Some(incoming) = Record::from_patient("hl7", &described) else { return Ok(Placement::Held(format!("{NO_MATCH}: PID names no one"))) };
        let record_of = |source: &str, id: &str| -> Result<Option<(Value, Record)>, AppError> {
            let Some(json) = store.resource(source, "Patient", id)? else { return Ok(None) };
            let patient: Value = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(Record::from_patient(source, &patient).map(|r| (patient, r)))
        };
        let mut by_identifier = Vec::new();
        for identifier in pid["identifier"].as_array().into_iter().flatten() {
            let (system, value) = (identifier["system"].as_str().unwrap_or_default(), identifier["value"].as_str().unwrap_or_default());
            for (source, id) in store.patients_with_identifier(value)? {
                let Some((patient, record)) = record_of(&source, &id)? else { continue };
                let same = patient["identifier"].as_array().into_iter().flatten().any(|i| i["system"] == system && i["value"] == value);
                if same && !by_identifier.contains(&(source.clone(), id.clone())) {
                    if compare(&incoming, &record).weight < rules.review_at {
                        return Ok(Placement::Held(format!("the identifier in PID-3 belongs to record {id} in `{source}`, whose name or birth date differs")));
                    }
                    by_identifier.push((source, id));
                }
            }
        }
        let found = match by_identifier.first() {
            Some(found) => Some(found.clone()),
            None => {
                // The records sharing a link key with the PID, and, since a clinic with one source keeps
                // no link keys, the patients a search by family name and birth date finds.
                let mut candidates: Vec<(String, String)> = Vec::new();
                for key in candidate_keys(&incoming, &rules) {
                    candidates.extend(store.records_with_key(&key, MAX_BLOCK)?.unwrap_or_default());
                }
                if let (Some(family), Some(born)) = (pid.pointer("/name/0/family").and_then(Value::as_str), pid["birthDate"].as_str()) {
                    let found = store.search_text(&format!("{family} {born}"), false, Utc::now().date_naive())?;
                    candidates.extend(found.into_iter().map(|hit| (hit.source, hit.banner.id)));
                }
                candidates.sort();
                candidates.dedup();
                let mut scored: Vec<(f64, (String, String))> = Vec::new();
                for (source, id) in candidates {
                    // A record holding another number of the same system is another record in the
                    // sender's system (a duplicate registration, until a merge says otherwise).
                    if let Some((_, record)) = record_of(&source, &id)?.filter(|(patient, _)| !numbers_disagree(pid, patient)) {
                        scored.push((compare(&incoming, &record).weight, (source, id)));
                    }
                }
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                // The best record's person's other records (in other sources) are the same person, not rivals.
                if let Some((_, (source, id))) = scored.first().cloned() {
                    let same_person = store.linked_records(&source, &id)?;
                    scored.retain(|(_, record)| *record == (source.clone(), id.clone()) || !same_person.contains(record));
                }
                match scored.as_slice() {
                    [(best, record), rest @ ..] if *best >= rules.auto_at && rest.first().is_none_or(|(next, _)| *next < rules.review_at) => {
                        Some(record.clone())
                    }
                    [(best, (source, id)), ..] if *best >= rules.review_at => {
                        return Ok(Placement::Held(format!("PID may be record {id} in `{source}` (score {best:.1}); staff must confirm")));
                    }
                    _ => None,
                }
            }
        };
        let Some((source, id)) = found else { return Ok(Placement::Held(format!("{NO_MATCH} for PID"))) };
        match record_in(store, &source, &id, target)? {
            Some(there) => Ok(Placement::Record(there)),
            None => Ok(Placement::Held(format!("the patient (record {id} in `{source}`) has no record in `{target}`; link one from the review queue"))),
        }
    }

    fn retired_record(&self, store: &Store, target: &str, retired: &[Value]) -> Result<Option<String>, AppError> {
        for identifier in retired {
            let value = identifier["value"].as_str().unwrap_or_default();
            for (source, id) in store.patients_with_identifier(value)? {
                if let Some(there) = record_in(store, &source, &id, target)? {
                    return Ok(Some(there));
                }
            }
        }
        Ok(None)
    }
}

/// The start of a placement's words when no record matches at all (a registration may then create one).
const NO_MATCH: &str = "no patient record matches";

/// Logs a message that changes nothing (refused, or held for staff), named by (sender, control id, type).
fn log_only(store: &mut Store, stamp: &str, message: (&str, &str, &str), raw: &[u8], outcome: &Hl7Outcome<'_>) -> Result<(), AppError> {
    let mut writer = store.writer(stamp)?;
    writer.log_hl7(message.0, message.1, message.2, raw, outcome)?;
    writer.commit()?;
    Ok(())
}

/// Whether the two carry different values of one identifier system.
fn numbers_disagree(a: &Value, b: &Value) -> bool {
    let ids = |p: &Value| p["identifier"].as_array().cloned().unwrap_or_default();
    ids(a).iter().any(|x| ids(b).iter().any(|y| x["system"] == y["system"] && x["value"] != y["value"]))
}

fn now(offset: FixedOffset) -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&offset)
}

fn cached_patient(store: &Store, source: &str, id: &str) -> Result<Value, AppError> {
    let json = store.resource(source, "Patient", id)?.ok_or_else(|| AppError::Internal(format!("Patient {id} left the cache")))?;
    serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))
}

/// The cached Patient with what the registration says: elements sent replace, elements sent as the
/// explicit null are removed, identifiers are added to, and the rest stays.
fn updated_patient(store: &Store, source: &str, id: &str, inbound: &Inbound) -> Result<Value, AppError> {
    let mut patient = cached_patient(store, source, id)?;
    let object = patient.as_object_mut().expect("a Patient");
    for element in ["name", "telecom", "gender", "birthDate", "address", "deceasedDateTime", "deceasedBoolean"] {
        if let Some(value) = inbound.patient.get(element) {
            object.insert(element.into(), value.clone());
        }
    }
    for element in &inbound.cleared {
        object.remove(*element);
    }
    let identifiers = object.entry("identifier").or_insert_with(|| json!([]));
    if let Some(known) = identifiers.as_array_mut() {
        for identifier in inbound.patient["identifier"].as_array().into_iter().flatten() {
            if !known.iter().any(|k| k["system"] == identifier["system"] && k["value"] == identifier["value"]) {
                known.push(identifier.clone());
            }
        }
    }
    Ok(patient)
}
