//! Evaluating the rules: on the change feed after every sync, and on the clock (`tick`).

use crate::model::{Dedupe, Due, Rule, RuleSet, Trigger, WorkRouting};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use switchboard_core::status::OPEN_TASK;
use switchboard_core::{Actor, LocalId, OutboxState, TaskPriority};
use switchboard_outbox::kinds::{Escalate, RuleReminder, RuleTask, Withdraw};
use switchboard_outbox::{made_by_rule, prepare, queue, rule_identifier, Action, ActionError};
use switchboard_store::{lab_flag, rule_that_made, AlertRow, ChangeRow, Fired, Store, StoreError};

/// What one pass made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub changes: u64,
    pub tasks: u64,
    pub reminders: u64,
    pub alerts: u64,
    pub escalations: u64,
    pub withdrawn: u64,
}

impl RunReport {
    /// Adds another pass's counts to this one.
    pub fn absorb(&mut self, other: RunReport) {
        self.changes += other.changes;
        self.tasks += other.tasks;
        self.reminders += other.reminders;
        self.alerts += other.alerts;
        self.escalations += other.escalations;
        self.withdrawn += other.withdrawn;
    }

    /// Whether the pass made or withdrew anything.
    pub fn made_anything(&self) -> bool {
        self.tasks + self.reminders + self.alerts + self.escalations + self.withdrawn > 0
    }
}

/// A task or reminder a rule wants made, waiting to be queued with the rest of its batch.
struct Pending {
    source: String,
    fired_key: String,
    fired: Fired,
    action: Action,
}

/// The outputs of one batch, queued together in one transaction when the batch ends; tasks and
/// reminders go to the shared-work source when the clinic has one.
struct Outputs {
    pending: Vec<Pending>,
    work: Option<WorkRouting>,
}

impl Outputs {
    fn for_set(set: &RuleSet) -> Outputs {
        Outputs { pending: Vec::new(), work: set.work.clone() }
    }
}

const BATCH: usize = 2_000;
const WITHDRAWN: &str = "withdrawn";

/// What a rule's texts may say about what fired it. No patient identity: these go into task texts.
#[derive(Debug, Default)]
struct Facts {
    source: String,
    patient: String,
    /// The triggering resource, "Type/id".
    subject: String,
    test: String,
    value: String,
    flag: String,
    start: String,
    owner: String,
}

impl Facts {
    fn render(&self, text: &str) -> String {
        text.replace("{test}", &self.test)
            .replace("{value}", &self.value)
            .replace("{flag}", &self.flag)
            .replace("{start}", &self.start)
            .replace("{owner}", &self.owner)
    }
}

/// Reads the change feed to its end, firing the change rules; returns what was made.
pub fn on_changes(store: &mut Store, set: &RuleSet, now: DateTime<Utc>) -> Result<RunReport, StoreError> {
    let mut report = RunReport::default();
    loop {
        let batch = store.pending_changes(BATCH)?;
        let Some(last) = batch.last().map(|c| c.seq) else { break };
        let mut outputs = Outputs::for_set(set);
        for change in &batch {
            report.changes += 1;
            on_change(store, set, change, now, &mut outputs, &mut report)?;
        }
        outputs.queue(store, now, &mut report)?;
        store.mark_changes_read(last)?;
    }
    Ok(report)
}

fn on_change(
    store: &mut Store,
    set: &RuleSet,
    change: &ChangeRow,
    now: DateTime<Utc>,
    outputs: &mut Outputs,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let wanted = match change.resource_type.as_str() {
        "Observation" => Trigger::Result,
        "Appointment" => Trigger::NoShow,
        "Task" => Trigger::TaskCompleted,
        _ => return Ok(()),
    };
    let appointment_rules = wanted == Trigger::NoShow && set.rules.iter().any(|r| r.on == Trigger::AppointmentDue);
    if !set.rules.iter().any(|r| r.on == wanted) && !appointment_rules {
        return Ok(());
    }
    let resource: Option<Value> = match change.kind.as_str() {
        "deleted" => None,
        _ => store.resource(&change.source, &change.resource_type, &change.id)?.and_then(|json| serde_json::from_str(&json).ok()),
    };
    if appointment_rules {
        withdraw_stale_reminders(store, set, change, resource.as_ref(), now, report)?;
    }
    let Some(resource) = resource else { return Ok(()) };
    if change.initial && older_than_lookback(&resource, set, now) {
        return Ok(());
    }
    let subject = format!("{}/{}", change.resource_type, change.id);
    let Some(patient) = patient_of(&resource) else { return Ok(()) };
    let mut facts = Facts { source: change.source.clone(), patient, subject: subject.clone(), ..Facts::default() };
    let fired: Vec<&Rule> = match wanted {
        Trigger::Result => result_rules(store, set, &resource, &mut facts, now)?,
        Trigger::NoShow if resource["status"] == "noshow" => {
            facts.start = local_time(set, resource["start"].as_str());
            set.rules.iter().filter(|r| r.on == Trigger::NoShow).collect()
        }
        Trigger::TaskCompleted if resource["status"] == "completed" => {
            let made_by = rule_that_made(&resource);
            facts.test = resource["description"].as_str().unwrap_or_default().to_string();
            set.rules.iter().filter(|r| r.on == Trigger::TaskCompleted && made_by.is_some_and(|m| r.after_rule.iter().any(|a| a == m))).collect()
        }
        _ => Vec::new(),
    };
    for rule in fired {
        fire(store, set, rule, &facts, &subject, now, outputs, report)?;
    }
    Ok(())
}

/// The result rules whose conditions hold; fills in the result's facts.
fn result_rules<'a>(store: &Store, set: &'a RuleSet, obs: &Value, facts: &mut Facts, now: DateTime<Utc>) -> Result<Vec<&'a Rule>, StoreError> {
    let is_lab = obs["category"].as_array().into_iter().flatten().flat_map(|c| c["coding"].as_array().into_iter().flatten()).any(|c| c["code"] == "laboratory");
    if !is_lab {
        return Ok(Vec::new());
    }
    let numeric = obs.pointer("/valueQuantity/value").and_then(Value::as_f64);
    let Some(flag) = lab_flag(obs, numeric) else { return Ok(Vec::new()) };
    let class = match flag.as_str() {
        "normal" => "normal",
        f if f.starts_with("critical") => "critical",
        _ => "abnormal",
    };
    facts.test = obs.pointer("/code/text").or_else(|| obs.pointer("/code/coding/0/display")).and_then(Value::as_str).unwrap_or("result").to_string();
    facts.value = match (numeric, obs.pointer("/valueQuantity/unit").and_then(Value::as_str)) {
        (Some(v), Some(unit)) => format!("{v} {unit}"),
        (Some(v), None) => v.to_string(),
        _ => obs["valueString"].as_str().unwrap_or_default().to_string(),
    };
    facts.flag = flag;
    let status = obs["status"].as_str().unwrap_or_default();
    let codes: Vec<&str> = obs.pointer("/code/coding").and_then(Value::as_array).into_iter().flatten().filter_map(|c| c["code"].as_str()).collect();
    let age = patient_age(store, &facts.source, &facts.patient, now)?;
    Ok(set
        .rules
        .iter()
        .filter(|r| r.on == Trigger::Result && r.flag.iter().any(|f| f == class) && r.statuses().contains(&status))
        .filter(|r| r.codes.is_empty() || r.codes.iter().any(|c| codes.contains(&c.as_str())))
        .filter(|r| age_fits(r, age))
        .collect())
}

fn age_fits(rule: &Rule, age: Option<u32>) -> bool {
    match age {
        Some(age) => rule.min_age.is_none_or(|min| age >= min) && rule.max_age.is_none_or(|max| age <= max),
        None => rule.min_age.is_none() && rule.max_age.is_none(),
    }
}

fn patient_age(store: &Store, source: &str, patient: &str, now: DateTime<Utc>) -> Result<Option<u32>, StoreError> {
    let Some(json) = store.resource(source, "Patient", patient)? else { return Ok(None) };
    let born =
        serde_json::from_str::<Value>(&json).ok().and_then(|p| p["birthDate"].as_str().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()));
    Ok(born.and_then(|b| now.date_naive().years_since(b)))
}

/// Makes a rule's outputs for one trigger, once per dedupe key and content.
#[allow(clippy::too_many_arguments)]
fn fire(
    store: &mut Store,
    set: &RuleSet,
    rule: &Rule,
    facts: &Facts,
    key: &str,
    now: DateTime<Utc>,
    outputs: &mut Outputs,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let patient_key = format!("Patient/{}", facts.patient);
    let key = match rule.dedupe {
        Dedupe::Resource => key,
        Dedupe::Patient => patient_key.as_str(),
    };
    if let Some(task) = &rule.task {
        let description = facts.render(&task.text);
        let why = format!("Rule {}: {} {} ({}), from {}", rule.id, facts.test, facts.value, facts.flag, facts.subject).replace("  ", " ");
        let due = match rule.task_due() {
            Some(Due::BusinessDays(days)) => set.clinic.business_days_after(now, days),
            Some(Due::After(after)) => now + Duration::from_std(after).unwrap_or_default(),
            None => now,
        };
        let signature = format!("{}|{}|{}|{}", task.priority, task.owner, description, why);
        let action = Action::RuleTask(RuleTask {
            patient: facts.patient.clone(),
            rule: rule.id.clone(),
            key: key.to_string(),
            description,
            priority: task.priority(),
            due: due.to_rfc3339_opts(SecondsFormat::Secs, true),
            owner: task.owner.clone(),
            focus: facts.subject.clone(),
            why,
        });
        outputs.propose(store, &facts.source, &rule.id, key, &signature, action, now)?;
    }
    if let Some(reminder) = &rule.reminder {
        let about = facts.render(&reminder.about);
        let action = Action::RuleReminder(RuleReminder {
            patient: facts.patient.clone(),
            rule: rule.id.clone(),
            key: key.to_string(),
            about: about.clone(),
            when: None,
        });
        outputs.propose(store, &facts.source, &rule.id, key, &about, action, now)?;
    }
    if let Some(alert) = &rule.alert {
        report.alerts += u64::from(raise(store, rule, facts, key, &facts.render(&alert.to), &facts.render(&alert.text), now)?);
    }
    Ok(())
}

fn raise(store: &mut Store, rule: &Rule, facts: &Facts, key: &str, role: &str, message: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    store.raise_alert(&AlertRow {
        key: rule_identifier(&rule.id, key),
        rule: rule.id.clone(),
        source: facts.source.clone(),
        patient_id: Some(facts.patient.clone()),
        role: role.to_string(),
        message: message.to_string(),
        subject: facts.subject.clone(),
        raised_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

impl Outputs {
    /// Keeps the action unless this rule already made the same output for this key (here, or on another
    /// workstation whose copy this cache has).
    #[allow(clippy::too_many_arguments)]
    fn propose(
        &mut self,
        store: &mut Store,
        source: &str,
        rule: &str,
        key: &str,
        signature: &str,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let fired_key = rule_identifier(rule, key);
        if store.fired(&fired_key)?.is_some_and(|f| f.signature == signature || f.signature == WITHDRAWN) {
            return Ok(());
        }
        let fired = Fired { rule: rule.to_string(), signature: signature.to_string(), action_id: None };
        let Some((source, action)) = to_work_source(store, self.work.as_ref(), source, action)? else {
            tracing::warn!(rule, "rule output skipped: the person has no record in the shared-work source");
            return Ok(());
        };
        let source = source.as_str();
        if already_on_server(store, source, &action, &fired_key)? {
            return store.record_fired(&fired_key, &fired, source, &now.to_rfc3339());
        }
        // A later change in the same batch (a result corrected at once) replaces the earlier output.
        self.pending.retain(|p| p.fired_key != fired_key);
        self.pending.push(Pending { source: source.to_string(), fired_key, fired, action });
        Ok(())
    }

    /// Queues every kept output and records it, in one transaction. An output the cache cannot take
    /// (its patient is gone) is logged and skipped.
    fn queue(self, store: &mut Store, now: DateTime<Utc>, report: &mut RunReport) -> Result<(), StoreError> {
        let mut ready = Vec::new();
        for pending in self.pending {
            match prepare(store, &pending.source, &pending.action, &Actor::rules(), now) {
                Ok(prepared) => ready.push((pending, prepared)),
                Err(ActionError::Store(error)) => return Err(error),
                Err(ActionError::Invalid(words)) => tracing::warn!(rule = %pending.fired.rule, problem = %words, "rule output skipped"),
            }
        }
        if ready.is_empty() {
            return Ok(());
        }
        let mut writer = store.writer(&now.to_rfc3339())?;
        for (pending, prepared) in ready {
            let queued = prepared.write(&mut writer, &pending.source)?;
            writer.record_fired(&pending.fired_key, &Fired { action_id: Some(queued.id), ..pending.fired }, &pending.source)?;
            match pending.action {
                Action::RuleTask(_) => report.tasks += 1,
                _ => report.reminders += 1,
            }
        }
        writer.commit()
    }
}

fn already_on_server(store: &Store, source: &str, action: &Action, identifier: &str) -> Result<bool, StoreError> {
    let (kind, patient) = match action {
        Action::RuleTask(RuleTask { patient, .. }) => ("Task", patient),
        Action::RuleReminder(RuleReminder { patient, .. }) => ("CommunicationRequest", patient),
        _ => return Ok(false),
    };
    let Some(made) = made_by_rule(store, source, patient, kind, identifier).map_err(action_store_error)? else { return Ok(false) };
    let same = match action {
        Action::RuleTask(RuleTask { description, priority, .. }) => made["description"] == description.as_str() && made["priority"] == priority.as_str(),
        Action::RuleReminder(RuleReminder { about, .. }) => made.pointer("/payload/0/contentString").and_then(Value::as_str) == Some(about.as_str()),
        _ => false,
    };
    Ok(same && made["id"].as_str().is_some_and(|id| !LocalId::is_local(id)))
}

/// Reading the cache is all `made_by_rule` does, so its only error is the store's.
fn action_store_error(error: ActionError) -> StoreError {
    match error {
        ActionError::Store(error) => error,
        ActionError::Invalid(words) => StoreError::BadResource(words),
    }
}

/// Time-based rules, once: appointment reminders, overdue follow-ups, tasks past their due time.
pub fn tick(store: &mut Store, set: &RuleSet, now: DateTime<Utc>) -> Result<RunReport, StoreError> {
    let mut report = RunReport::default();
    let mut outputs = Outputs::for_set(set);
    appointment_reminders(store, set, now, &mut outputs, &mut report)?;
    follow_ups_due(store, set, now, &mut outputs, &mut report)?;
    outputs.queue(store, now, &mut report)?;
    overdue_tasks(store, set, now, &mut report)?;
    Ok(report)
}

fn appointment_reminders(store: &mut Store, set: &RuleSet, now: DateTime<Utc>, outputs: &mut Outputs, report: &mut RunReport) -> Result<(), StoreError> {
    let mut rules: Vec<&Rule> = set.rules.iter().filter(|r| r.on == Trigger::AppointmentDue && r.before().is_some()).collect();
    if rules.is_empty() {
        return Ok(());
    }
    // The nearest window wins: an appointment 20 hours away gets the 24-hour reminder, not both.
    rules.sort_by_key(|r| r.before());
    for (source, id, json) in store.resources_with("Appointment", "$.status", &["booked"])? {
        let Ok(appointment) = serde_json::from_str::<Value>(&json) else { continue };
        let Some(start) = appointment["start"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|s| s.with_timezone(&Utc)) else { continue };
        let Some(patient) = patient_of(&appointment) else { continue };
        let ahead = start - now;
        let Some(rule) = rules.iter().find(|r| ahead > Duration::zero() && ahead <= Duration::from_std(r.before().unwrap_or_default()).unwrap_or_default())
        else {
            continue;
        };
        let facts = Facts { source, patient, subject: format!("Appointment/{id}"), start: local_time(set, appointment["start"].as_str()), ..Facts::default() };
        let key = format!("Appointment/{id}|{}|{}", appointment["start"].as_str().unwrap_or_default(), rule.before.as_deref().unwrap_or_default());
        fire(store, set, rule, &facts, &key, now, outputs, report)?;
    }
    Ok(())
}

/// Withdraws the reminders of an appointment that was cancelled, missed, deleted or moved.
fn withdraw_stale_reminders(
    store: &mut Store,
    set: &RuleSet,
    change: &ChangeRow,
    appointment: Option<&Value>,
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let start = appointment.and_then(|a| a["start"].as_str()).unwrap_or_default();
    let still_on = appointment.is_some_and(|a| matches!(a["status"].as_str(), Some("booked" | "pending" | "arrived" | "checked-in" | "fulfilled")));
    // A deleted appointment no longer names its patient: the reminder on the server stays, its queued copy is dropped.
    let patient = appointment.and_then(patient_of);
    for rule in set.rules.iter().filter(|r| r.on == Trigger::AppointmentDue) {
        let prefix = rule_identifier(&rule.id, &format!("Appointment/{}|", change.id));
        let current = rule_identifier(&rule.id, &format!("Appointment/{}|{start}|", change.id));
        for (key, fired) in store.fired_with_prefix(&prefix)? {
            if fired.signature == WITHDRAWN || (still_on && key.starts_with(&current)) {
                continue;
            }
            withdraw(store, &change.source, patient.as_deref(), &key, &fired, now)?;
            store.record_fired(&key, &Fired { signature: WITHDRAWN.into(), ..fired }, &change.source, &now.to_rfc3339())?;
            report.withdrawn += 1;
        }
    }
    Ok(())
}

/// A reminder not yet sent is dropped from the outbox; one on the server is revoked through it.
fn withdraw(store: &mut Store, source: &str, patient: Option<&str>, identifier: &str, fired: &Fired, now: DateTime<Utc>) -> Result<(), StoreError> {
    if let Some(action_id) = &fired.action_id {
        if store.set_outbox_state(action_id, OutboxState::Discarded, &now.to_rfc3339())? {
            return Ok(());
        }
    }
    let Some(patient) = patient else { return Ok(()) };
    let Some(request) = made_by_rule(store, source, patient, "CommunicationRequest", identifier).map_err(action_store_error)? else { return Ok(()) };
    let id = request["id"].as_str().unwrap_or_default().to_string();
    if request["status"] == "active" && !LocalId::is_local(&id) {
        match queue(store, source, &Action::Withdraw(Withdraw { request: id }), &Actor::rules(), now) {
            Ok(_) | Err(ActionError::Invalid(_)) => {}
            Err(ActionError::Store(error)) => return Err(error),
        }
    }
    Ok(())
}

fn follow_ups_due(store: &mut Store, set: &RuleSet, now: DateTime<Utc>, outputs: &mut Outputs, report: &mut RunReport) -> Result<(), StoreError> {
    let rules: Vec<&Rule> = set.rules.iter().filter(|r| r.on == Trigger::FollowUpDue).collect();
    if rules.is_empty() {
        return Ok(());
    }
    for (source, id, json) in store.resources_with("ServiceRequest", "$.status", &["active"])? {
        let Ok(request) = serde_json::from_str::<Value>(&json) else { continue };
        let when = request["occurrenceDateTime"].as_str().or_else(|| request.pointer("/occurrencePeriod/start").and_then(Value::as_str));
        let Some(when) = when.and_then(parse_time) else { continue };
        let Some(patient) = patient_of(&request) else { continue };
        if when > now || booked_for(store, &source, &patient, &id, when)? {
            continue;
        }
        let codes: Vec<&str> = request.pointer("/code/coding").and_then(Value::as_array).into_iter().flatten().filter_map(|c| c["code"].as_str()).collect();
        let test = request.pointer("/code/text").or_else(|| request.pointer("/code/coding/0/display")).and_then(Value::as_str).unwrap_or("follow-up");
        let facts = Facts { source: source.clone(), patient, subject: format!("ServiceRequest/{id}"), test: test.to_string(), ..Facts::default() };
        for rule in rules.iter().filter(|r| r.codes.is_empty() || r.codes.iter().any(|c| codes.contains(&c.as_str()))) {
            fire(store, set, rule, &facts, &facts.subject, now, outputs, report)?;
        }
    }
    Ok(())
}

/// A rule's task or reminder about a patient of `source`, moved to the shared-work source and the
/// person's record there; `None` when they have none there (no stray patient is made).
fn to_work_source(store: &Store, work: Option<&WorkRouting>, source: &str, mut action: Action) -> Result<Option<(String, Action)>, StoreError> {
    let Some(work) = work.filter(|w| w.source != source) else { return Ok(Some((source.to_string(), action))) };
    let patient = match &mut action {
        Action::RuleTask(task) => {
            // What fired it lives in the other system: named by its absolute address.
            if let Some(base) = work.bases.get(source) {
                task.focus = format!("{base}{}", task.focus);
            }
            &mut task.patient
        }
        Action::RuleReminder(reminder) => &mut reminder.patient,
        _ => return Ok(Some((source.to_string(), action))),
    };
    let Some((_, there)) = store.linked_records(source, patient)?.into_iter().find(|(s, _)| *s == work.source) else { return Ok(None) };
    *patient = there;
    Ok(Some((work.source.clone(), action)))
}

/// Whether the person has an appointment for this request, or any booked on or after its date, in
/// any source holding one of their linked records (the scheduler's own record of them counts).
fn booked_for(store: &Store, source: &str, patient: &str, request: &str, due: DateTime<Utc>) -> Result<bool, StoreError> {
    let based_on = format!("ServiceRequest/{request}");
    for (record_source, record) in store.linked_records(source, patient)? {
        let booked = store.patient_resources(&record_source, &record, "Appointment")?.iter().any(|(_, json)| {
            let Ok(a) = serde_json::from_str::<Value>(json) else { return false };
            let for_this = a["basedOn"].as_array().into_iter().flatten().any(|b| b["reference"].as_str().is_some_and(|r| r.ends_with(&based_on)));
            let live = matches!(a["status"].as_str(), Some("booked" | "pending" | "arrived" | "checked-in" | "fulfilled"));
            live && (for_this || a["start"].as_str().and_then(parse_time).is_some_and(|s| s >= due))
        });
        if booked {
            return Ok(true);
        }
    }
    Ok(false)
}

fn overdue_tasks(store: &mut Store, set: &RuleSet, now: DateTime<Utc>, report: &mut RunReport) -> Result<(), StoreError> {
    let Some(rule) = set.rules.iter().find(|r| r.on == Trigger::TaskOverdue) else { return Ok(()) };
    let Some(escalate) = &rule.escalate else { return Ok(()) };
    for (source, id, json) in store.resources_with("Task", "$.status", OPEN_TASK)? {
        let Ok(task) = serde_json::from_str::<Value>(&json) else { continue };
        let due = task.pointer("/restriction/period/end").and_then(Value::as_str).and_then(parse_time);
        if LocalId::is_local(&id) || due.is_none_or(|d| d > now) {
            continue;
        }
        let key = format!("Task/{id}|overdue");
        let fired_key = rule_identifier(&rule.id, &key);
        if store.fired(&fired_key)?.is_some() {
            continue;
        }
        let priority = task["priority"].as_str().and_then(|p| p.parse::<TaskPriority>().ok()).unwrap_or(TaskPriority::Routine);
        let mut action_id = None;
        if let Some(raised) = priority.escalated() {
            match queue(store, &source, &Action::Escalate(Escalate { task: id.clone(), priority: raised }), &Actor::rules(), now) {
                Ok(queued) => action_id = Some(queued.id),
                Err(ActionError::Invalid(words)) => tracing::warn!(rule = %rule.id, problem = %words, "escalation skipped"),
                Err(ActionError::Store(error)) => return Err(error),
            }
            report.escalations += u64::from(action_id.is_some());
        }
        let owner = task.pointer("/owner/display").or_else(|| task.pointer("/owner/reference")).and_then(Value::as_str).unwrap_or("Unassigned");
        let facts = Facts {
            source: source.clone(),
            patient: patient_of(&task).unwrap_or_default(),
            subject: format!("Task/{id}"),
            test: task["description"].as_str().unwrap_or("task").to_string(),
            owner: owner.to_string(),
            ..Facts::default()
        };
        report.alerts += u64::from(raise(store, rule, &facts, &key, &facts.render(&escalate.alert_to), &facts.render(&escalate.text), now)?);
        store.record_fired(&fired_key, &Fired { rule: rule.id.clone(), signature: "escalated".into(), action_id }, &source, &now.to_rfc3339())?;
    }
    Ok(())
}

/// The patient a resource is about, by the element that names the patient in its type.
fn patient_of(resource: &Value) -> Option<String> {
    switchboard_store::patient_of(resource["resourceType"].as_str()?, resource["id"].as_str().unwrap_or_default(), resource)
}

/// A source's first sync makes nothing of data older than the look-back.
fn older_than_lookback(resource: &Value, set: &RuleSet, now: DateTime<Utc>) -> bool {
    let date = ["/effectiveDateTime", "/issued", "/start", "/authoredOn", "/meta/lastUpdated"]
        .iter()
        .find_map(|p| resource.pointer(p).and_then(Value::as_str).and_then(parse_time));
    date.is_some_and(|d| d < now - Duration::days(i64::from(set.clinic.lookback_days)))
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc()))
}

/// An instant as the clinic reads it: "2026-12-01 09:00".
fn local_time(set: &RuleSet, instant: Option<&str>) -> String {
    instant.and_then(parse_time).map(|at| set.clinic.local(at).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::booked_for;
    use chrono::{Duration, Utc};
    use serde_json::json;
    use switchboard_store::Store;

    /// The follow-up is ordered in the EHR and booked in the scheduler, under the scheduler's own id
    /// for the person: it counts as booked once the two records are one person, and not before.
    #[test]
    fn a_follow_up_booked_in_another_system_counts_for_the_linked_person() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[3u8; 32], "US").unwrap();
        let due = Utc::now() - Duration::days(1);
        let start = (Utc::now() + Duration::days(3)).to_rfc3339();
        let mut writer = store.writer("2026-12-01T00:00:00Z").unwrap();
        writer.upsert("ehr", &json!({"resourceType": "Patient", "id": "p1"}).to_string()).unwrap();
        writer.upsert("sched", &json!({"resourceType": "Patient", "id": "s1"}).to_string()).unwrap();
        let appointment = json!({"resourceType": "Appointment", "id": "ap1", "status": "booked", "start": start,
            "basedOn": [{"reference": "https://ehr.example.org/fhir/ServiceRequest/sr1"}],
            "participant": [{"actor": {"reference": "Patient/s1"}, "status": "accepted"}]});
        writer.upsert("sched", &appointment.to_string()).unwrap();
        writer.commit().unwrap();
        assert!(!booked_for(&store, "ehr", "p1", "sr1", due).unwrap(), "two separate people: nothing booked for p1");
        let person = vec![("ehr".to_string(), "p1".to_string()), ("sched".to_string(), "s1".to_string())];
        store.replace_persons(None, &[person], &[]).unwrap();
        assert!(booked_for(&store, "ehr", "p1", "sr1", due).unwrap());
    }
}
