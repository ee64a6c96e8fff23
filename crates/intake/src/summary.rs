//! The draft chart note, in the staff's language (English or Spanish), whatever language the caller
//! spoke: the items in the same order every time, the caller's own words quoted as they were said.

use crate::questions::Answer;
use crate::{Assertion, Experiencer, Finding, Intake, Knowledge, Language, Reason, Routing, Urgency};

/// The fixed words of the summary in one language.
struct Words {
    patient_called: &'static str,
    calling_about: &'static str,
    age: &'static str,
    headings: [(Assertion, &'static str); 5],
    someone_else: &'static str,
    medications: &'static str,
    asked: &'static str,
    yes_no: [&'static str; 2],
    not_asked: &'static str,
    not_understood: &'static str,
    reason: &'static str,
    red_flag: &'static str,
    on: &'static str,
    urgency: &'static str,
    routed: &'static str,
}

const ENGLISH: Words = Words {
    patient_called: "Patient called",
    calling_about: "Caller is calling about their",
    age: "age",
    headings: [
        (Assertion::Present, "Reports"),
        (Assertion::Possible, "Possible"),
        (Assertion::Negated, "Denies"),
        (Assertion::Historical, "History of"),
        (Assertion::Hypothetical, "Asks about"),
    ],
    someone_else: "Mentioned about someone else",
    medications: "Medications mentioned",
    asked: "Red-flag questions asked",
    yes_no: ["yes", "no"],
    not_asked: "Not asked",
    not_understood: "Not understood by the assistant",
    reason: "Reason for call",
    red_flag: "Red flag",
    on: "on",
    urgency: "Urgency",
    routed: "Routed to",
};

const SPANISH: Words = Words {
    patient_called: "Llamó el paciente",
    calling_about: "Llama por su",
    age: "edad",
    headings: [
        (Assertion::Present, "Refiere"),
        (Assertion::Possible, "Posible"),
        (Assertion::Negated, "Niega"),
        (Assertion::Historical, "Antecedentes de"),
        (Assertion::Hypothetical, "Pregunta por"),
    ],
    someone_else: "Mencionado sobre otra persona",
    medications: "Medicamentos mencionados",
    asked: "Preguntas de alarma hechas",
    yes_no: ["sí", "no"],
    not_asked: "Sin preguntar",
    not_understood: "El asistente no entendió",
    reason: "Motivo de la llamada",
    red_flag: "Señal de alarma",
    on: "en",
    urgency: "Urgencia",
    routed: "Enviado a",
};

fn urgency_words(urgency: Urgency, language: Language) -> &'static str {
    match (urgency, language) {
        (Urgency::Emergency, Language::En) => "EMERGENCY",
        (Urgency::SameDay, Language::En) => "same day",
        (Urgency::Routine, Language::En) => "routine",
        (Urgency::Emergency, Language::Es) => "EMERGENCIA",
        (Urgency::SameDay, Language::Es) => "hoy mismo",
        (Urgency::Routine, Language::Es) => "rutina",
    }
}

fn reason_words(reason: Reason, language: Language) -> &'static str {
    match (reason, language) {
        (Reason::NewSymptom, Language::En) => "new symptom",
        (Reason::Refill, Language::En) => "medication refill",
        (Reason::Appointment, Language::En) => "appointment",
        (Reason::Results, Language::En) => "question about results",
        (Reason::Billing, Language::En) => "billing",
        (Reason::Other, Language::En) => "other",
        (Reason::NewSymptom, Language::Es) => "síntoma nuevo",
        (Reason::Refill, Language::Es) => "resurtido de medicamento",
        (Reason::Appointment, Language::Es) => "cita",
        (Reason::Results, Language::Es) => "pregunta sobre resultados",
        (Reason::Billing, Language::Es) => "facturación",
        (Reason::Other, Language::Es) => "otro",
    }
}

fn routing_words(routing: Routing, language: Language) -> &'static str {
    match (routing, language) {
        (Routing::NurseTriage, Language::En) => "nurse triage",
        (Routing::Scheduling, Language::En) => "scheduling",
        (Routing::RefillQueue, Language::En) => "the refill queue",
        (Routing::Billing, Language::En) => "billing",
        (Routing::NurseTriage, Language::Es) => "triaje de enfermería",
        (Routing::Scheduling, Language::Es) => "citas",
        (Routing::RefillQueue, Language::Es) => "recetas",
        (Routing::Billing, Language::Es) => "facturación",
    }
}

/// A finding's label in the staff's language.
fn label(f: &Finding, language: Language) -> String {
    let translated = match language {
        Language::En => None,
        Language::Es => Knowledge::builtin_for(Language::Es).concepts.iter().find(|c| c.id == f.concept).and_then(|c| c.local_label.clone()),
    };
    translated.unwrap_or_else(|| f.label.clone())
}

fn describe(f: &Finding, language: Language) -> String {
    let label = label(f, language);
    // The site and onset are the caller's words; a severity word is the assistant's (English).
    let details: Vec<String> = [
        f.severity.clone().filter(|_| language == Language::En),
        f.site.clone().filter(|s| language == Language::En && !f.label.contains(s.as_str())),
        f.onset.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    match details.is_empty() {
        true => label,
        false => format!("{label} ({})", details.join(", ")),
    }
}

/// The draft chart note for `intake`, written in `language`.
pub fn summary(intake: &Intake, language: Language) -> String {
    let w = match language {
        Language::En => &ENGLISH,
        Language::Es => &SPANISH,
    };
    let mut lines = Vec::new();
    let mut who = match &intake.calling_about {
        Some(relation) => format!("{} {relation}", w.calling_about),
        None => w.patient_called.to_string(),
    };
    if let Some(age) = &intake.age {
        who.push_str(&format!(" ({}: {age})", w.age));
    }
    lines.push(format!("{who}."));
    for (assertion, heading) in w.headings {
        let items: Vec<String> =
            intake.findings.iter().filter(|f| f.assertion == assertion && f.experiencer == Experiencer::Patient).map(|f| describe(f, language)).collect();
        if !items.is_empty() {
            lines.push(format!("{heading}: {}.", items.join("; ")));
        }
    }
    let others: Vec<String> = intake.findings.iter().filter(|f| f.experiencer == Experiencer::Other).map(|f| label(f, language)).collect();
    if !others.is_empty() {
        lines.push(format!("{}: {}.", w.someone_else, others.join("; ")));
    }
    if !intake.medications.is_empty() {
        let meds: Vec<String> = intake
            .medications
            .iter()
            .map(|m| [Some(m.name.clone()), m.dose.clone(), m.frequency.clone()].into_iter().flatten().collect::<Vec<_>>().join(" "))
            .collect();
        lines.push(format!("{}: {}.", w.medications, meds.join("; ")));
    }
    let text = |q: &crate::Question| if language == Language::Es { q.text_es.clone() } else { q.text.clone() };
    let asked: Vec<String> =
        intake.questions.iter().filter_map(|q| q.answer.map(|a| format!("{} {}", text(q), w.yes_no[usize::from(a == Answer::No)]))).collect();
    if !asked.is_empty() {
        lines.push(format!("{}: {}.", w.asked, asked.join("; ")));
    }
    let not_asked: Vec<String> = intake.questions.iter().filter(|q| q.answer.is_none()).map(text).collect();
    if !not_asked.is_empty() {
        lines.push(format!("{}: {}", w.not_asked, not_asked.join(" ")));
    }
    if !intake.not_understood.is_empty() {
        let words: Vec<&str> = intake.not_understood.iter().map(|e| e.text.as_str()).collect();
        lines.push(format!("{}: \"{}\".", w.not_understood, words.join("\", \"")));
    }
    lines.push(format!("{}: {}.", w.reason, reason_words(intake.reason, language)));
    for flag in &intake.red_flags {
        let words: Vec<&str> = flag.evidence.iter().map(|e| e.text.as_str()).collect();
        let title = if language == Language::Es { &flag.title_es } else { &flag.title };
        lines.push(format!("{} ({}): {title} — {} \"{}\".", w.red_flag, urgency_words(flag.urgency, language), w.on, words.join("\", \"")));
    }
    // Why the urgency is what it is stays in the assistant's words (English) in either language.
    lines.push(format!(
        "{}: {} ({}). {} {}.",
        w.urgency,
        urgency_words(intake.urgency, language),
        intake.urgency_because,
        w.routed,
        routing_words(intake.routing, language)
    ));
    lines.join("\n")
}
