//! Guided red-flag questions: for each complaint the assistant recognises, the questions the agent asks
//! now. A "yes" adds its finding and goes through the same red-flag rules; a "no" records it denied; a
//! question left alone is recorded as not asked.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionEntry {
    /// The complaints (concepts) that bring these questions up.
    complaint: Vec<String>,
    citation: String,
    ask: Vec<AskEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AskEntry {
    id: String,
    text: String,
    text_es: String,
    /// The finding a "yes" means.
    concept: String,
}

pub struct QuestionSet {
    complaint: Vec<String>,
    citation: String,
    asks: Vec<Ask>,
}

pub struct Ask {
    pub id: String,
    text: String,
    text_es: String,
    pub concept: String,
}

pub(crate) fn compile(entries: &[QuestionEntry], known: &HashSet<&str>) -> Result<Vec<QuestionSet>, String> {
    let mut ids = HashSet::new();
    entries
        .iter()
        .map(|entry| {
            for concept in entry.complaint.iter().chain(entry.ask.iter().map(|a| &a.concept)) {
                if !known.contains(concept.as_str()) {
                    return Err(format!("questions name unknown concept `{concept}`"));
                }
            }
            if let Some(repeat) = entry.ask.iter().find(|a| !ids.insert(a.id.clone())) {
                return Err(format!("question `{}` is listed twice", repeat.id));
            }
            let asks =
                entry.ask.iter().map(|a| Ask { id: a.id.clone(), text: a.text.clone(), text_es: a.text_es.clone(), concept: a.concept.clone() }).collect();
            Ok(QuestionSet { complaint: entry.complaint.clone(), citation: entry.citation.clone(), asks })
        })
        .collect()
}

/// What the agent recorded for one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
}

/// A question to ask now, with its answer so far (none: not asked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Question {
    pub id: String,
    /// In English, the staff's words.
    pub text: String,
    /// The same question in Spanish, to read to a Spanish-speaking caller.
    pub text_es: String,
    /// The finding a "yes" means.
    pub concept: String,
    pub citation: String,
    pub answer: Option<Answer>,
}

/// The questions for the complaints in `concepts`, in the order of the data, each once, with the
/// answers given so far. An answered question stays listed even when its complaint is gone.
pub(crate) fn for_complaints(sets: &[QuestionSet], concepts: &[&str], answers: &BTreeMap<String, Answer>) -> Vec<Question> {
    let mut listed: Vec<Question> = Vec::new();
    for set in sets {
        let raised = set.complaint.iter().any(|c| concepts.contains(&c.as_str()));
        for ask in &set.asks {
            let answer = answers.get(&ask.id).copied();
            if (raised || answer.is_some()) && !listed.iter().any(|q| q.id == ask.id) {
                listed.push(Question {
                    id: ask.id.clone(),
                    text: ask.text.clone(),
                    text_es: ask.text_es.clone(),
                    concept: ask.concept.clone(),
                    citation: set.citation.clone(),
                    answer,
                });
            }
        }
    }
    listed
}

/// The ids of every built-in question, to check answers given on the command line.
pub(crate) fn known_ids(sets: &[QuestionSet]) -> impl Iterator<Item = &str> {
    sets.iter().flat_map(|s| s.asks.iter().map(|a| a.id.as_str()))
}
