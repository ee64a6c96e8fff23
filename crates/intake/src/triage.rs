//! From findings to a decision: red flags, urgency (the highest any rule gives, never lowered), the
//! reason for the call, routing, and the draft chart summary.

use crate::context::Reading;
use crate::lexicon::RedFlagRule;
use crate::questions::{self, Answer};
use crate::{evidence, readings, Assertion, Evidence, Experiencer, Finding, Intake, Language, Medication, Reason, RedFlag, Routing, Urgency};
use std::collections::BTreeMap;

/// Findings that count toward a red flag or the new-symptom default: about the patient, and present
/// or possible (a possible red flag is treated as one).
fn counts(f: &Finding) -> bool {
    f.experiencer == Experiencer::Patient && matches!(f.assertion, Assertion::Present | Assertion::Possible)
}

fn context_holds(context: &str, read: &Reading, findings: &[Finding]) -> bool {
    match context {
        "pregnant" => findings.iter().any(|f| f.concept == "pregnancy" && counts(f)),
        "postpartum" => findings.iter().any(|f| f.concept == "postpartum" && counts(f)),
        "under_5" => read.under_5(),
        "young_infant" => read.young_infant(),
        _ => false,
    }
}

const SEVERITIES: &[&str] = &["mild", "moderate", "severe"];

/// Whether a finding meets a rule's bar of severity and duration, when it sets one.
fn meets(rule: &RedFlagRule, finding: &Finding, read: &Reading) -> bool {
    let rank = |s: &str| SEVERITIES.iter().position(|x| *x == s);
    let severe_enough = rule.min_severity.as_deref().is_none_or(|min| finding.severity.as_deref().and_then(rank) >= rank(min));
    let long_enough =
        rule.min_days.is_none_or(|min| finding.onset.as_deref().and_then(|o| readings::days_in(o, read.knowledge)).is_some_and(|days| days >= min));
    severe_enough && long_enough
}

pub(crate) fn red_flags(rules: &[RedFlagRule], read: &Reading, findings: &[Finding], medications: &[Medication]) -> Vec<RedFlag> {
    let mut fired = Vec::new();
    for rule in rules {
        let matched: Option<Vec<&Finding>> = rule
            .needs
            .iter()
            .enumerate()
            .map(|(n, group)| findings.iter().find(|f| counts(f) && group.contains(&f.concept) && (n > 0 || meets(rule, f, read))))
            .collect();
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
            title_es: rule.title_es.clone(),
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
    let said = read.knowledge.reasons.scan(&read.said());
    [("refill", Reason::Refill), ("results", Reason::Results), ("billing", Reason::Billing), ("appointment", Reason::Appointment)]
        .into_iter()
        .find_map(|(name, reason)| said.iter().find(|(_, _, r)| r == name).map(|(s, e, _)| (reason, Some(evidence(read.note, read.tokens, *s, *e)))))
        .unwrap_or((Reason::Other, None))
}

/// An emergency red flag said, in the present, about someone other than the patient ("... he can't
/// breathe" after the caller spoke of a relative). Who it is about may be misread, and someone on the
/// call needs emergency care either way: the call is an emergency.
fn flag_about_someone_else(read: &Reading, findings: &[Finding], medications: &[Medication]) -> Option<String> {
    let as_patient: Vec<Finding> = findings
        .iter()
        .filter(|f| f.experiencer == Experiencer::Other && f.assertion == Assertion::Present)
        .map(|f| Finding { experiencer: Experiencer::Patient, ..f.clone() })
        .collect();
    let flag = red_flags(&read.knowledge.rules, read, &as_patient, medications).into_iter().find(|f| f.urgency == Urgency::Emergency)?;
    let words: Vec<&str> = flag.evidence.iter().map(|e| e.text.as_str()).collect();
    Some(format!(
        "an emergency red flag said about someone on the call ({}: \"{}\"): advise emergency care for them and confirm who the call is about",
        flag.title,
        words.join("\", \"")
    ))
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

/// The findings the agent's answers add: a "yes" is the finding present, a "no" denied. Their evidence
/// is the question asked, not the note's words: its text with an empty span, which marks nothing.
fn answered_findings(read: &Reading, answers: &BTreeMap<String, Answer>) -> Vec<Finding> {
    let knowledge = read.knowledge;
    questions::for_complaints(&knowledge.questions, &[], answers)
        .into_iter()
        .filter_map(|question| {
            let concept = knowledge.concepts.iter().find(|c| c.id == question.concept)?;
            let assertion = match question.answer? {
                Answer::Yes => Assertion::Present,
                Answer::No => Assertion::Negated,
            };
            Some(Finding {
                text: question.text.clone(),
                concept: concept.id.clone(),
                label: concept.label.clone(),
                problem: concept.is_problem(),
                assertion,
                experiencer: Experiencer::Patient,
                onset: None,
                severity: None,
                site: concept.site.clone(),
                evidence: Evidence { text: question.text.clone(), start: 0, end: 0 },
            })
        })
        .collect()
}

pub(crate) fn decide(read: &Reading, mut findings: Vec<Finding>, medications: Vec<Medication>, answers: &BTreeMap<String, Answer>) -> Intake {
    let knowledge = read.knowledge;
    findings.extend(answered_findings(read, answers));
    let red_flags = red_flags(&knowledge.rules, read, &findings, &medications);
    let new_symptom = findings.iter().any(|f| !f.problem && counts(f));
    let (reason, reason_evidence) = reason_of(read, &findings, &red_flags);
    let not_understood = if red_flags.is_empty() { unexplained(read) } else { Vec::new() };
    // A question of what to do if something happens is advice, as plain as a booking.
    let asked_for = read.knowledge.reasons.scan(&read.said());
    let advice = asked_for.iter().any(|(_, _, r)| r == "advice");
    let administrative = matches!(reason, Reason::Refill | Reason::Appointment | Reason::Billing | Reason::Results) || advice;
    let symptoms: Vec<&Finding> = findings.iter().filter(|f| !f.problem && counts(f)).collect();
    // A minor complaint is routine only when the caller asks for a booking or advice about it, and
    // never for a baby under a year.
    let infant = read.age.as_ref().is_some_and(|(months, _)| *months < 12.0);
    let minor = !asked_for.is_empty()
        && !infant
        && !symptoms.is_empty()
        && symptoms.iter().all(|f| read.knowledge.concepts.iter().any(|c| c.id == f.concept && c.minor));
    let (urgency, urgency_because) = match red_flags.iter().map(|f| f.urgency).max() {
        Some(highest) => {
            let rules: Vec<&str> = red_flags.iter().filter(|f| f.urgency == highest).map(|f| f.rule.as_str()).collect();
            (highest, format!("red flag: {}", rules.join(", ")))
        }
        None => match flag_about_someone_else(read, &findings, &medications) {
            Some(words) => (Urgency::Emergency, words),
            None if !not_understood.is_empty() => (Urgency::SameDay, "parts of this call were not understood: same-day nurse review".to_string()),
            None if minor => (
                Urgency::Routine,
                "a minor complaint (a cold, a cough, a sore throat) with no red flag, and the caller asks for a booking or advice: routine".to_string(),
            ),
            None if new_symptom => (Urgency::SameDay, "a new symptom that matches no red-flag rule: same-day nurse review by default".to_string()),
            None if administrative => (Urgency::Routine, "an administrative call with no symptom and no red flag".to_string()),
            None => (
                Urgency::SameDay,
                "not recognised as an administrative call (booking, billing, a refill or results): same-day nurse review to be safe".to_string(),
            ),
        },
    };
    let routing = routing_of(urgency, reason);
    let emergency_script = if urgency == Urgency::Emergency { knowledge.emergency_script.clone() } else { Vec::new() };
    let complaints: Vec<&str> = findings.iter().filter(|f| counts(f)).map(|f| f.concept.as_str()).collect();
    let questions = questions::for_complaints(&knowledge.questions, &complaints, answers);
    let mut intake = Intake {
        language: knowledge.language,
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
        not_understood,
        questions,
        summary: String::new(),
    };
    intake.summary = crate::summary::summary(&intake, Language::En);
    intake
}

/// Medical word endings: "cellulitis", "pneumonia", "neuropathy".
const CLINICAL_ENDINGS: &[&str] =
    &["itis", "osis", "emia", "algia", "ectomy", "oma", "pathy", "rrhea", "uria", "plegia", "cardia", "pnea", "monia", "otomy", "scopy"];

/// Words that look clinical but were not understood: a body part, a clinical word of the lexicon's
/// `clinical_words`, or a medical ending, outside any finding, medication or idiom.
fn unexplained(read: &Reading) -> Vec<Evidence> {
    let knowledge = read.knowledge;
    let said = read.said();
    let mut known = vec![false; read.words.len()];
    let spans = read
        .concepts
        .iter()
        .map(|(s, e, _)| (*s, *e))
        .chain(knowledge.idioms.scan(&said).into_iter().map(|(s, e, _)| (s, e)))
        .chain(knowledge.medications.scan(&said).into_iter().map(|(s, e, _)| (s, e)));
    let triggers = knowledge.triggers.scan(&said).into_iter().map(|(s, e, _)| (s, e));
    for (s, e) in spans.chain(triggers) {
        known[s..e].iter_mut().for_each(|k| *k = true);
    }
    let mut found: Vec<(usize, usize)> = knowledge.sites.scan(&said).into_iter().map(|(s, e, _)| (s, e)).collect();
    found.extend(knowledge.clinical_words.scan(&said).into_iter().map(|(s, e, _)| (s, e)));
    found.extend(
        (0..read.words.len())
            .filter(|&i| {
                let w = read.words[i];
                w.len() >= 7 && w.chars().all(char::is_alphabetic) && CLINICAL_ENDINGS.iter().any(|end| w.ends_with(end)) && !knowledge.is_known_word(w)
            })
            .map(|i| (i, i + 1)),
    );
    found.sort();
    found.dedup();
    // Denied, past or hypothetical words ("no symptoms", "was in hospital") are understood enough, and
    // so is a sentence with a finding in it ("a chesty cough", "red spots on his chest").
    let sentence_read = |s: usize| read.concepts.iter().any(|&(c, _, _)| read.tokens[c].sentence == read.tokens[s].sentence);
    found
        .into_iter()
        .filter(|&(s, e)| !known[s..e].iter().any(|k| *k) && read.assertion(s, e) == Assertion::Present && !sentence_read(s))
        .map(|(s, e)| evidence(read.note, read.tokens, s, e))
        .collect()
}
