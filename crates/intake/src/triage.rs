//! From findings to a decision: red flags, urgency (the highest any rule gives, never lowered), the
//! reason for the call, routing, and the draft chart summary.

use crate::context::Reading;
use crate::lexicon::RedFlagRule;
use crate::{evidence, Assertion, Evidence, Experiencer, Finding, Intake, Medication, Reason, RedFlag, Routing, Urgency};

/// Findings that count toward a red flag or the new-symptom default: about the patient, and present
/// or possible (a possible red flag is treated as one).
fn counts(f: &Finding) -> bool {
    f.experiencer == Experiencer::Patient && matches!(f.assertion, Assertion::Present | Assertion::Possible)
}

fn context_holds(context: &str, read: &Reading, findings: &[Finding]) -> bool {
    match context {
        "pregnant" => findings.iter().any(|f| f.concept == "pregnancy" && counts(f)),
        "under_5" => read.under_5(),
        "young_infant" => read.young_infant(),
        _ => false,
    }
}

pub(crate) fn red_flags(rules: &[RedFlagRule], read: &Reading, findings: &[Finding], medications: &[Medication]) -> Vec<RedFlag> {
    let mut fired = Vec::new();
    for rule in rules {
        let matched: Option<Vec<&Finding>> =
            rule.needs.iter().map(|group| findings.iter().find(|f| counts(f) && group.contains(&f.concept))).collect();
        let Some(matched) = matched else { continue };
        if !rule.context.iter().all(|c| context_holds(c, read, findings)) {
            continue;
        }
        if !rule.with_medication.is_empty() && !medications.iter().any(|m| rule.with_medication.contains(&m.name)) {
            continue;
        }
        fired.push(RedFlag {
            rule: rule.id.clone(),
            title: rule.title.clone(),
            urgency: rule.urgency,
            citation: rule.citation.clone(),
            evidence: matched.iter().map(|f| f.evidence.clone()).collect(),
        });
    }
    fired
}

/// Why the caller called, and the words that say so: a symptom of the patient's comes first, then
/// refill, results, billing and appointment words, in that order.
fn reason_of(read: &Reading, findings: &[Finding], red_flags: &[RedFlag]) -> (Reason, Option<Evidence>) {
    if let Some(flag) = red_flags.first() {
        return (Reason::NewSymptom, flag.evidence.first().cloned());
    }
    if let Some(symptom) = findings.iter().find(|f| !f.problem && counts(f)) {
        return (Reason::NewSymptom, Some(symptom.evidence.clone()));
    }
    let said = read.knowledge.reasons.scan(read.words);
    [("refill", Reason::Refill), ("results", Reason::Results), ("billing", Reason::Billing), ("appointment", Reason::Appointment)]
        .into_iter()
        .find_map(|(name, reason)| said.iter().find(|(_, _, r)| r == name).map(|(s, e, _)| (reason, Some(evidence(read.note, read.tokens, *s, *e)))))
        .unwrap_or((Reason::Other, None))
}

/// An emergency red flag said, in the present, about someone other than the patient ("... he can't
/// breathe" after the caller spoke of a relative). Who it is about may be misread, so it is never
/// routine: a nurse confirms the same day.
fn flag_about_someone_else(read: &Reading, findings: &[Finding], medications: &[Medication]) -> Option<String> {
    let as_patient: Vec<Finding> = findings
        .iter()
        .filter(|f| f.experiencer == Experiencer::Other && f.assertion == Assertion::Present)
        .map(|f| Finding { experiencer: Experiencer::Patient, ..f.clone() })
        .collect();
    let flag = red_flags(&read.knowledge.rules, read, &as_patient, medications).into_iter().find(|f| f.urgency == Urgency::Emergency)?;
    let words: Vec<&str> = flag.evidence.iter().map(|e| e.text.as_str()).collect();
    Some(format!("a red flag said about someone else ({}: \"{}\"): confirm who the call is about; same-day nurse review", flag.title, words.join("\", \"")))
}

pub(crate) fn routing_of(urgency: Urgency, reason: Reason) -> Routing {
    if urgency > Urgency::Routine {
        return Routing::NurseTriage;
    }
    match reason {
        Reason::NewSymptom | Reason::Results => Routing::NurseTriage,
        Reason::Refill => Routing::RefillQueue,
        Reason::Billing => Routing::Billing,
        Reason::Appointment | Reason::Other => Routing::Scheduling,
    }
}

pub(crate) fn decide(read: &Reading, findings: Vec<Finding>, medications: Vec<Medication>) -> Intake {
    let knowledge = read.knowledge;
    let red_flags = red_flags(&knowledge.rules, read, &findings, &medications);
    let new_symptom = findings.iter().any(|f| !f.problem && counts(f));
    let (urgency, urgency_because) = match red_flags.iter().map(|f| f.urgency).max() {
        Some(highest) => {
            let rules: Vec<&str> = red_flags.iter().filter(|f| f.urgency == highest).map(|f| f.rule.as_str()).collect();
            (highest, format!("red flag: {}", rules.join(", ")))
        }
        None if new_symptom => (Urgency::SameDay, "a new symptom that matches no red-flag rule: same-day nurse review by default".to_string()),
        None => match flag_about_someone_else(read, &findings, &medications) {
            Some(words) => (Urgency::SameDay, words),
            None => (Urgency::Routine, "no symptom and no red flag".to_string()),
        },
    };
    let (reason, reason_evidence) = reason_of(read, &findings, &red_flags);
    let routing = routing_of(urgency, reason);
    let emergency_script = if urgency == Urgency::Emergency { knowledge.emergency_script.clone() } else { Vec::new() };
    let mut intake = Intake {
        urgency,
        urgency_because,
        red_flags,
        findings,
        medications,
        reason,
        reason_evidence,
        routing,
        calling_about: read.subject.clone(),
        age: read.age.as_ref().map(|(_, text)| text.clone()),
        emergency_script,
        summary: String::new(),
    };
    intake.summary = summary(&intake);
    intake
}

fn urgency_words(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Emergency => "EMERGENCY",
        Urgency::SameDay => "same day",
        Urgency::Routine => "routine",
    }
}

fn describe(f: &Finding) -> String {
    let details: Vec<String> = [f.severity.clone(), f.site.clone().filter(|s| !f.label.contains(s.as_str())), f.onset.clone()].into_iter().flatten().collect();
    match details.is_empty() {
        true => f.label.clone(),
        false => format!("{} ({})", f.label, details.join(", ")),
    }
}

/// The draft chart note: the same items in the same order every time.
pub(crate) fn summary(intake: &Intake) -> String {
    let mut lines = Vec::new();
    let mut who = match &intake.calling_about {
        Some(relation) => format!("Caller is calling about their {relation}"),
        None => "Patient called".to_string(),
    };
    if let Some(age) = &intake.age {
        who.push_str(&format!(" (age: {age})"));
    }
    lines.push(format!("{who}."));
    let list = |assertion: Assertion, experiencer: Experiencer| -> Vec<String> {
        intake.findings.iter().filter(|f| f.assertion == assertion && f.experiencer == experiencer).map(describe).collect()
    };
    for (assertion, heading) in [
        (Assertion::Present, "Reports"),
        (Assertion::Possible, "Possible"),
        (Assertion::Negated, "Denies"),
        (Assertion::Historical, "History of"),
        (Assertion::Hypothetical, "Asks about"),
    ] {
        let items = list(assertion, Experiencer::Patient);
        if !items.is_empty() {
            lines.push(format!("{heading}: {}.", items.join("; ")));
        }
    }
    let others: Vec<String> = intake.findings.iter().filter(|f| f.experiencer == Experiencer::Other).map(|f| f.label.clone()).collect();
    if !others.is_empty() {
        lines.push(format!("Mentioned about someone else: {}.", others.join("; ")));
    }
    if !intake.medications.is_empty() {
        let meds: Vec<String> = intake
            .medications
            .iter()
            .map(|m| [Some(m.name.clone()), m.dose.clone(), m.frequency.clone()].into_iter().flatten().collect::<Vec<_>>().join(" "))
            .collect();
        lines.push(format!("Medications mentioned: {}.", meds.join("; ")));
    }
    lines.push(format!("Reason for call: {}.", reason_words(intake.reason)));
    for flag in &intake.red_flags {
        let words: Vec<&str> = flag.evidence.iter().map(|e| e.text.as_str()).collect();
        lines.push(format!("Red flag ({}): {} — on \"{}\".", urgency_words(flag.urgency), flag.title, words.join("\", \"")));
    }
    lines.push(format!("Urgency: {} ({}). Routed to {}.", urgency_words(intake.urgency), intake.urgency_because, routing_words(intake.routing)));
    lines.join("\n")
}

fn reason_words(reason: Reason) -> &'static str {
    match reason {
        Reason::NewSymptom => "new symptom",
        Reason::Refill => "medication refill",
        Reason::Appointment => "appointment",
        Reason::Results => "question about results",
        Reason::Billing => "billing",
        Reason::Other => "other",
    }
}

fn routing_words(routing: Routing) -> &'static str {
    match routing {
        Routing::NurseTriage => "nurse triage",
        Routing::Scheduling => "scheduling",
        Routing::RefillQueue => "the refill queue",
        Routing::Billing => "billing",
    }
}
