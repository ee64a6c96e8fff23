//! The intake assistant: what a caller says, in plain words, turned into findings (with assertion,
//! experiencer, onset, severity and site), medications, the reason for the call, red flags, urgency,
//! routing and a draft chart summary. Deterministic and offline; every item points at its words.
//! The knowledge lives in `data/`: lexicons and red-flag rules with their citations.
//! It advises; staff decide and confirm.

mod context;
pub mod eval;
mod lexicon;
pub mod llm;
mod modifiers;
mod patterns;
pub mod questions;
mod readings;
pub mod summary;
mod text;
mod triage;

pub use lexicon::{Knowledge, KnowledgeError, Language, RedFlagRule};
pub use questions::{Answer, Question};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use switchboard_core::TaskPriority;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Routine,
    SameDay,
    Emergency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Assertion {
    Present,
    Negated,
    Possible,
    Historical,
    Hypothetical,
}

/// Who a finding is about: the patient the call is about, or someone else the caller mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Experiencer {
    Patient,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NewSymptom,
    Refill,
    Appointment,
    Results,
    Billing,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    NurseTriage,
    Scheduling,
    RefillQueue,
    Billing,
}

/// The words an item came from: the text and its byte offsets in the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Evidence {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Finding {
    /// The caller's words for it.
    pub text: String,
    /// The concept id from the lexicon, e.g. `chest_pain`.
    pub concept: String,
    pub label: String,
    /// A problem is a condition the patient has (diabetes, pregnancy); the rest are symptoms.
    pub problem: bool,
    pub assertion: Assertion,
    pub experiencer: Experiencer,
    pub onset: Option<String>,
    /// mild, moderate or severe.
    pub severity: Option<String>,
    pub site: Option<String>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
#[cfg_attr(feature = "wire", ts(rename = "MentionedMedication"))]
pub struct Medication {
    /// The prescribable (RxNorm ingredient) name.
    pub name: String,
    /// The caller's words for it: a brand, a lay name or the generic.
    pub text: String,
    pub dose: Option<String>,
    pub frequency: Option<String>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct RedFlag {
    pub rule: String,
    pub title: String,
    /// The title in Spanish, for a Spanish staff summary.
    pub title_es: String,
    pub urgency: Urgency,
    pub citation: String,
    /// The findings that fired it.
    pub evidence: Vec<Evidence>,
}

/// Everything the assistant read in one note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Intake {
    /// The language the note was read in.
    pub language: Language,
    pub urgency: Urgency,
    /// Why the urgency is what it is, in words.
    pub urgency_because: String,
    pub red_flags: Vec<RedFlag>,
    pub findings: Vec<Finding>,
    pub medications: Vec<Medication>,
    pub reason: Reason,
    /// The words the reason was read from, when any.
    pub reason_evidence: Option<Evidence>,
    pub routing: Routing,
    /// Who the caller is calling about, when not themselves ("mom").
    pub calling_about: Option<String>,
    /// The patient's age in words, when the caller said it.
    pub age: Option<String>,
    /// What to do now, shown at once when the urgency is an emergency.
    pub emergency_script: Vec<String>,
    /// Words that look clinical but that the assistant did not understand; they make the call a
    /// same-day nurse review.
    pub not_understood: Vec<Evidence>,
    /// The red-flag questions to ask now for the complaints recognised, with the answers recorded.
    pub questions: Vec<Question>,
    /// A draft chart note, built from the items above; staff edit it before confirming.
    pub summary: String,
}

impl Intake {
    /// This reading with its urgency raised to at least `urgency` (a language model's second opinion
    /// the staff accepted); it is never lowered. Routing follows the urgency.
    pub fn raised_to(mut self, urgency: Urgency) -> Intake {
        if urgency > self.urgency {
            self.urgency = urgency;
            self.routing = triage::routing_of(urgency, self.reason);
        }
        self
    }

    /// The routed task: the pool that owns it, its FHIR priority, and minutes until it is due.
    pub fn task_terms(&self) -> (&'static str, switchboard_core::TaskPriority, i64) {
        let owner = match self.routing {
            Routing::NurseTriage => "Nurse pool",
            Routing::Scheduling => "Front desk",
            Routing::RefillQueue => "Refill queue",
            Routing::Billing => "Billing",
        };
        match self.urgency {
            Urgency::Emergency => (owner, TaskPriority::Stat, 15),
            Urgency::SameDay => (owner, TaskPriority::Urgent, 4 * 60),
            Urgency::Routine => (owner, TaskPriority::Routine, 3 * 24 * 60),
        }
    }
}

/// Reads one note with the built-in knowledge of its language.
pub fn analyze(note: &str) -> Intake {
    analyze_answered(note, &BTreeMap::new())
}

/// Reads one note with the answers the agent recorded to its red-flag questions (by question id).
pub fn analyze_answered(note: &str, answers: &BTreeMap<String, Answer>) -> Intake {
    analyze_with(note, Knowledge::builtin_for(language_of(note)), answers)
}

/// The same, with the draft summary in the staff's language (the window's).
pub fn analyze_for_staff(note: &str, answers: &BTreeMap<String, Answer>, staff: Language) -> Intake {
    let mut intake = analyze_answered(note, answers);
    intake.summary = summary::summary(&intake, staff);
    intake
}

pub fn analyze_with(note: &str, knowledge: &Knowledge, answers: &BTreeMap<String, Answer>) -> Intake {
    reading(note, knowledge, |read| {
        let medications = modifiers::medications(read);
        triage::decide(read, read.findings(), medications, answers)
    })
}

/// The language of a note: Spanish when the language check finds Spanish more likely than English,
/// otherwise English (the check is restricted to the two languages the assistant reads).
pub fn language_of(note: &str) -> Language {
    let detector = whatlang::Detector::with_allowlist(vec![whatlang::Lang::Eng, whatlang::Lang::Spa]);
    match detector.detect(note) {
        Some(info) if info.is_reliable() => {
            if info.lang() == whatlang::Lang::Spa {
                Language::Es
            } else {
                Language::En
            }
        }
        // Too short for the trigram check to be sure ("my 2 year old"): the language whose lexicon
        // knows more of its words, English when even.
        _ => {
            let tokens = text::tokenize(note, |_| false);
            let known = |language| tokens.iter().filter(|t| Knowledge::builtin_for(language).is_known_word(&t.norm)).count();
            if known(Language::Es) > known(Language::En) {
                Language::Es
            } else {
                Language::En
            }
        }
    }
}

/// The ids of every built-in red-flag question.
pub fn question_ids() -> Vec<String> {
    questions::known_ids(&Knowledge::builtin().questions).map(str::to_string).collect()
}

/// The note's words and their context, for `f`.
fn reading<T>(note: &str, knowledge: &Knowledge, f: impl FnOnce(&context::Reading) -> T) -> T {
    let grammar = &knowledge.grammar;
    let tokens = text::tokenize(note, |w| grammar.is("clause_openers", w));
    let words: Vec<&str> = tokens.iter().map(|t| knowledge.canonical(t)).collect();
    let stems: Vec<String> = words.iter().map(|w| knowledge.stem(w)).collect();
    f(&context::Reading::new(note, &tokens, &words, &stems, knowledge))
}

/// The red flags these findings fire in this note (its context: pregnancy, a young child).
pub(crate) fn red_flags_in(note: &str, findings: &[Finding], medications: &[Medication], knowledge: &Knowledge) -> Vec<RedFlag> {
    reading(note, knowledge, |read| triage::red_flags(&knowledge.rules, read, findings, medications))
}

pub(crate) fn evidence(note: &str, tokens: &[text::Token], from: usize, to: usize) -> Evidence {
    let (start, end) = (tokens[from].start, tokens[to - 1].end);
    Evidence { text: note[start..end].to_string(), start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_red_flag_rule_fires_on_its_test_phrases_and_stays_quiet_on_the_others() {
        let mut failures = Vec::new();
        let none = BTreeMap::new();
        for rule in &Knowledge::builtin().rules {
            assert!(!rule.fires.is_empty() && !rule.quiet.is_empty(), "rule {} needs test phrases", rule.id);
            assert!(!rule.citation.trim().is_empty(), "rule {} needs a citation", rule.id);
            for (language, fires, quiet) in [(Language::En, &rule.fires, &rule.quiet), (Language::Es, &rule.fires_es, &rule.quiet_es)] {
                let knowledge = Knowledge::builtin_for(language);
                for phrase in fires {
                    let intake = analyze_with(phrase, knowledge, &none);
                    if !intake.red_flags.iter().any(|f| f.rule == rule.id) || intake.urgency < rule.urgency {
                        failures.push(format!("{} should fire on {phrase:?}", rule.id));
                    }
                }
                for phrase in quiet {
                    if analyze_with(phrase, knowledge, &none).red_flags.iter().any(|f| f.rule == rule.id) {
                        failures.push(format!("{} should stay quiet on {phrase:?}", rule.id));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn evidence_points_at_the_words_in_the_note() {
        let note = "My son can't breathe and his lips look blue. He takes Singulair 10 mg at night.";
        let intake = analyze(note);
        assert_eq!(intake.urgency, Urgency::Emergency);
        for f in &intake.findings {
            assert_eq!(&note[f.evidence.start..f.evidence.end], f.evidence.text);
        }
        let med = &intake.medications[0];
        assert_eq!((med.name.as_str(), med.dose.as_deref(), med.frequency.as_deref()), ("montelukast", Some("10 mg"), Some("at bedtime")));
        assert!(intake.red_flags[0].evidence.iter().any(|e| e.text == "can't breathe"));
        assert!(!intake.emergency_script.is_empty(), "an emergency shows its script");
    }

    #[test]
    fn a_new_symptom_matching_no_rule_is_same_day_nurse_review() {
        let minor = analyze("she has had a sore throat since yesterday, no fever, can she get an appointment this week");
        assert_eq!((minor.urgency, minor.routing), (Urgency::Routine, Routing::NurseTriage));
        let intake = analyze("she has had a sore throat since yesterday");
        assert_eq!((intake.urgency, intake.routing), (Urgency::SameDay, Routing::NurseTriage));
        assert!(intake.red_flags.is_empty());
        assert!(intake.urgency_because.contains("same-day nurse review"));
        let routine = analyze("I need to move my appointment to Friday");
        assert_eq!((routine.urgency, routine.reason, routine.routing), (Urgency::Routine, Reason::Appointment, Routing::Scheduling));
    }

    #[test]
    fn urgency_is_the_highest_rule_and_more_words_never_lower_it() {
        // Adding reassuring words to an emergency note must not lower it.
        let base = "he has crushing chest pain";
        for extra in ["", " but he feels fine otherwise", " no fever no cough", " he needs a refill of his lisinopril", " and an appointment on friday"] {
            assert_eq!(analyze(&format!("{base}{extra}")).urgency, Urgency::Emergency, "{extra:?}");
        }
    }

    /// Seeded random notes made of call fragments, accents, emoji, numbers and stray punctuation: the
    /// reading never panics, every piece of evidence is the note's own words at its offsets, and a
    /// red-flag sentence added to any of them is never routine.
    #[test]
    fn random_notes_keep_their_evidence_and_never_lower_a_red_flag() {
        const FRAGMENTS: &[&str] = &[
            "my mom",
            "she has",
            "no fever",
            "chest pain",
            "since yesterday",
            "8/10",
            "María",
            "niño",
            "🙂",
            "—",
            "10mg",
            "lisinopril",
            "twice a day",
            "denies",
            "cough",
            "if",
            "maybe",
            "I think",
            ",",
            ".",
            "?",
            "x2",
            "the baby",
            "6 week old",
            "can't breathe",
            "¿",
            "ñ",
            "pregnant",
            "bleeding",
            "refill",
            "appointment",
            "his",
            "years ago",
            "   ",
            "\n",
            "'",
            "’s",
        ];
        let mut rng = fastrand::Rng::with_seed(20261126);
        for _ in 0..2000 {
            let words: Vec<&str> = (0..rng.usize(1..30)).map(|_| FRAGMENTS[rng.usize(..FRAGMENTS.len())]).collect();
            let note = words.join(if rng.bool() { " " } else { "" });
            let intake = analyze(&note);
            let spans = intake
                .findings
                .iter()
                .map(|f| &f.evidence)
                .chain(intake.medications.iter().map(|m| &m.evidence))
                .chain(intake.red_flags.iter().flat_map(|f| &f.evidence))
                .chain(intake.reason_evidence.as_ref());
            for e in spans {
                assert_eq!(note.get(e.start..e.end), Some(e.text.as_str()), "{note:?}");
            }
            // Even when who "he" is gets misread, a red flag is never routine.
            let flagged = analyze(&format!("{note}. He can't breathe."));
            assert!(flagged.urgency >= Urgency::SameDay, "{note:?}");
            let about_me = analyze(&format!("{note}. I can't breathe."));
            assert!(about_me.urgency >= Urgency::SameDay, "{note:?}");
        }
    }

    #[test]
    fn the_knowledge_files_are_checked() {
        let lexicon = include_str!("../data/lexicon.toml");
        let flags = include_str!("../data/red_flags.toml").replace("needs = [[\"worst_headache\"]]", "needs = [[\"worst_headahce\"]]");
        let error = Knowledge::parse(lexicon, &flags).err().expect("an unknown concept is refused");
        assert!(error.to_string().contains("unknown concept `worst_headahce`"), "{error}");
        // A grammar list read word by word refuses a phrase it could never match.
        let phrase = lexicon.replace(r#"for_words = ["for","#, r#"for_words = ["for the past","#);
        let error = Knowledge::parse(&phrase, include_str!("../data/red_flags.toml")).err().expect("a phrase in a word list is refused");
        assert!(error.to_string().contains("for_words: `for the past` is several words"), "{error}");
        // Readings and question sets cite their source like the rules do.
        for language in [Language::En, Language::Es] {
            assert!(Knowledge::builtin_for(language).readings.iter().all(|r| !r.citation.trim().is_empty()));
        }
    }
}
