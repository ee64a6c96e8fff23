//! What a call event does at this workstation: who is calling (one patient, a household, or a new
//! caller), the call's row in the local log, and, once the call has ended with a known patient, its
//! write-back as a Communication through the outbox. The log row is the call's state, so duplicate
//! or late events (phone systems retry) change nothing twice.

use crate::event::{CallEvent, CallState};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{Actor, CallDisposition};
use switchboard_outbox::{kinds::CallLog, queue, Action, ActionError};
use switchboard_store::{CallRow, CallerMatch, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct PatientRef {
    pub source: String,
    pub id: String,
}

/// What the window shows for a call.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct CallPop {
    pub call_id: String,
    /// E.164 when the number could be read, else as the phone system sent it.
    pub number: String,
    pub state: CallState,
    /// Everyone the number belongs to: one patient, a household, or none (a new caller).
    pub matches: Vec<CallerMatch>,
    /// The patient the call is about, once known.
    pub chosen: Option<PatientRef>,
    /// When the listener received the event (ms since the epoch), to time the pop.
    #[cfg_attr(feature = "wire", ts(type = "number"))]
    pub received_ms: u64,
    pub seconds: u32,
    /// The call has ended and is in the log.
    pub logged: bool,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn seconds_between(from: &str, to: DateTime<Utc>) -> u32 {
    DateTime::parse_from_rfc3339(from).map_or(0, |f| (to - f.with_timezone(&Utc)).num_seconds().max(0) as u32)
}

/// Applies one call event and returns what to show.
pub fn on_event(store: &mut Store, event: &CallEvent, agent: &str, received_ms: u64, now: DateTime<Utc>, work: Option<&str>) -> Result<CallPop, ActionError> {
    let today = now.date_naive();
    let matches = store.callers(&event.from, today)?.unwrap_or_default();
    let number = store.e164(&event.from).unwrap_or_else(|| event.from.clone());
    let mut call = match store.call(&event.call_id)? {
        Some(call) => call,
        None => {
            let only = match matches.as_slice() {
                [one] => Some(PatientRef { source: one.hit.source.clone(), id: one.hit.banner.id.clone() }),
                _ => None,
            };
            CallRow {
                call_id: event.call_id.clone(),
                number: number.clone(),
                started: stamp(now),
                answered: None,
                ended: None,
                seconds: 0,
                agent: agent.to_string(),
                disposition: CallDisposition::Ringing,
                source: only.as_ref().map(|p| p.source.clone()),
                patient: only.map(|p| p.id),
                action: None,
            }
        }
    };
    if call.ended.is_none() {
        match event.state {
            CallState::Ringing => {}
            CallState::Answered => {
                if call.answered.is_none() {
                    call.answered = Some(stamp(now));
                    call.disposition = CallDisposition::Answered;
                }
            }
            CallState::Ended | CallState::Missed => {
                call.ended = Some(stamp(now));
                call.seconds = call.answered.as_deref().map_or(0, |a| seconds_between(a, now));
                call.disposition = if call.answered.is_some() { CallDisposition::Completed } else { CallDisposition::Missed };
            }
        }
    }
    write_back(store, &mut call, now, work)?;
    store.save_call(&call)?;
    Ok(pop(call, matches, event.state, received_ms))
}

/// The agent says which patient a household or new caller's call is about.
pub fn choose_caller(store: &mut Store, call_id: &str, patient: &PatientRef, now: DateTime<Utc>, work: Option<&str>) -> Result<CallPop, ActionError> {
    let mut call = store.call(call_id)?.ok_or_else(|| ActionError::Invalid("no such call in the log".into()))?;
    if store.resource(&patient.source, "Patient", &patient.id)?.is_none() {
        return Err(ActionError::Invalid("no such patient in the cache".into()));
    }
    if call.action.is_none() {
        call.source = Some(patient.source.clone());
        call.patient = Some(patient.id.clone());
    }
    write_back(store, &mut call, now, work)?;
    store.save_call(&call)?;
    let matches = store.callers(&call.number, now.date_naive())?.unwrap_or_default();
    let state = if call.ended.is_some() {
        CallState::Ended
    } else if call.answered.is_some() {
        CallState::Answered
    } else {
        CallState::Ringing
    };
    Ok(pop(call, matches, state, 0))
}

/// An ended call with a known patient is queued once as a Communication: in the shared-work source
/// (`work`) for the person's record there when they have one, else in the caller's own source.
fn write_back(store: &mut Store, call: &mut CallRow, now: DateTime<Utc>, work: Option<&str>) -> Result<(), ActionError> {
    let (Some(source), Some(patient), Some(_)) = (call.source.clone(), call.patient.clone(), call.ended.as_ref()) else { return Ok(()) };
    let there = match work.filter(|w| *w != source) {
        Some(work) => store.linked_records(&source, &patient)?.into_iter().find(|(s, _)| s == work),
        None => None,
    };
    let (source, patient) = there.unwrap_or((source, patient));
    if call.action.is_some() {
        return Ok(());
    }
    let action = Action::CallLog(CallLog {
        patient,
        call: call.call_id.clone(),
        number: call.number.clone(),
        started: call.started.clone(),
        seconds: call.seconds,
        agent: call.agent.clone(),
        disposition: call.disposition,
    });
    call.action = Some(queue(store, &source, &action, &Actor::at_workstation(call.agent.clone()), now)?.id);
    Ok(())
}

impl CallPop {
    /// The pop without the caller: no number, no matches, no patient (for a locked screen).
    pub fn redacted(self) -> CallPop {
        CallPop { number: String::new(), matches: Vec::new(), chosen: None, ..self }
    }
}

fn pop(call: CallRow, matches: Vec<CallerMatch>, state: CallState, received_ms: u64) -> CallPop {
    let chosen = call.source.clone().zip(call.patient.clone()).map(|(source, id)| PatientRef { source, id });
    CallPop { logged: call.ended.is_some(), call_id: call.call_id, number: call.number, state, matches, chosen, received_ms, seconds: call.seconds }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use switchboard_testkit::TestHome;

    const AGENT: &str = "Desk 1";

    fn event(id: &str, from: &str, state: CallState) -> CallEvent {
        CallEvent { call_id: id.into(), from: from.into(), to: None, state }
    }

    #[test]
    fn a_call_pops_its_patient_and_is_logged_and_written_back_once() {
        let home = TestHome::new();
        let mut store = home.store();
        let start: DateTime<Utc> = "2026-11-26T15:00:00Z".parse().unwrap();
        switchboard_demo::ensure_demo_loaded(&mut store, 200, start).unwrap();
        let (single, household) = switchboard_testkit::demo_phone_numbers(&store, start, 200);

        let ringing = on_event(&mut store, &event("CA1", &single, CallState::Ringing), AGENT, 1, start, None).unwrap();
        assert_eq!(ringing.matches.len(), 1);
        let patient = ringing.chosen.clone().expect("one match is the patient");
        assert!(ringing.number.starts_with('+') && !ringing.logged);
        on_event(&mut store, &event("CA1", &single, CallState::Answered), AGENT, 2, start + Duration::seconds(5), None).unwrap();
        let ended = on_event(&mut store, &event("CA1", &single, CallState::Ended), AGENT, 3, start + Duration::seconds(100), None).unwrap();
        assert!(ended.logged);
        assert_eq!(ended.seconds, 95);
        // The phone system retries its last event: nothing is logged or queued twice.
        on_event(&mut store, &event("CA1", &single, CallState::Ended), AGENT, 4, start + Duration::seconds(160), None).unwrap();
        let log = store.calls_for(&patient.source, &patient.id, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].disposition, log[0].seconds, log[0].agent.as_str()), (CallDisposition::Completed, 95, AGENT));
        let queued: Vec<_> = store.outbox().unwrap().into_iter().filter(|r| r.kind == "call_log").collect();
        assert_eq!(queued.len(), 1);
        assert_eq!(Some(&queued[0].id), log[0].action.as_ref());

        // A household: nobody is chosen until the agent says who; a missed call is logged as missed.
        let pop = on_event(&mut store, &event("CA2", &household, CallState::Ringing), AGENT, 5, start, None).unwrap();
        assert!(pop.matches.len() >= 2 && pop.chosen.is_none());
        let missed = on_event(&mut store, &event("CA2", &household, CallState::Missed), AGENT, 6, start + Duration::seconds(20), None).unwrap();
        assert!(missed.logged && missed.chosen.is_none());
        assert_eq!(store.call("CA2").unwrap().unwrap().disposition, CallDisposition::Missed);
        let second = &pop.matches[1].hit;
        let choice = PatientRef { source: second.source.clone(), id: second.banner.id.clone() };
        let chosen = choose_caller(&mut store, "CA2", &choice, start + Duration::seconds(30), None).unwrap();
        assert_eq!(chosen.chosen.as_ref(), Some(&choice));
        let first = PatientRef { source: pop.matches[0].hit.source.clone(), id: pop.matches[0].hit.banner.id.clone() };
        choose_caller(&mut store, "CA2", &first, start + Duration::seconds(40), None).unwrap();
        assert_eq!(store.outbox().unwrap().iter().filter(|r| r.kind == "call_log").count(), 2, "the household call is written back once");

        // A new caller and a number that cannot be read still pop, with nobody matched.
        let unknown = on_event(&mut store, &event("CA3", "+1 312 555 0199", CallState::Ringing), AGENT, 7, start, None).unwrap();
        assert_eq!((unknown.number.as_str(), unknown.matches.len()), ("+13125550199", 0));
        let odd = on_event(&mut store, &event("CA4", "anonymous", CallState::Ringing), AGENT, 8, start, None).unwrap();
        assert_eq!((odd.number.as_str(), odd.matches.len()), ("anonymous", 0));
        let refused = choose_caller(&mut store, "CA3", &PatientRef { source: "demo".into(), id: "nobody".into() }, start, None).unwrap_err();
        assert!(refused.to_string().contains("no such patient"), "{refused}");
    }

    #[test]
    fn a_call_log_goes_to_the_shared_work_source_for_the_persons_record_there() {
        let home = TestHome::new();
        let mut store = home.store();
        let start: DateTime<Utc> = "2026-11-26T15:00:00Z".parse().unwrap();
        switchboard_demo::ensure_demo_loaded(&mut store, 200, start).unwrap();
        let (single, _) = switchboard_testkit::demo_phone_numbers(&store, start, 200);
        let caller = on_event(&mut store, &event("CA9", &single, CallState::Ringing), AGENT, 1, start, None).unwrap().chosen.unwrap();
        let mut writer = store.writer("2026-11-26T15:00:00Z").unwrap();
        writer.upsert("work", r#"{"resourceType": "Patient", "id": "w-1", "meta": {"versionId": "1"}}"#).unwrap();
        writer.commit().unwrap();
        store.replace_persons(None, &[vec![(caller.source.clone(), caller.id.clone()), ("work".into(), "w-1".into())]], &[]).unwrap();

        on_event(&mut store, &event("CA9", &single, CallState::Ended), AGENT, 2, start + Duration::seconds(30), Some("work")).unwrap();
        let queued: Vec<_> = store.outbox().unwrap().into_iter().filter(|r| r.kind == "call_log").collect();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].source, "work");
        assert!(queued[0].intent.contains(r#""patient":"w-1""#), "{}", queued[0].intent);
    }
}
