//! The optional language model: an OpenAI-compatible chat endpoint (a local server, say), off unless
//! configured. It may only add findings or raise urgency. It must answer JSON in the schema below and
//! quote the caller's words verbatim; any item that does not is discarded, and a failed call leaves the
//! deterministic reading as it was.

use crate::{triage, Assertion, Evidence, Experiencer, Finding, Intake, Knowledge, Urgency};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

pub struct LlmConfig {
    /// The chat completions URL, e.g. http://127.0.0.1:8080/v1/chat/completions.
    pub url: String,
    pub model: String,
    pub timeout: Duration,
}

/// The reading with the model's additions, and what it changed.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct SecondOpinion {
    pub intake: Intake,
    pub report: LlmReport,
}

/// What the model's answer changed, and what was thrown away and why.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct LlmReport {
    pub added: Vec<String>,
    pub raised_to: Option<Urgency>,
    pub discarded: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the language model could not be reached: {0}")]
    Unreachable(String),
    #[error("the language model answered {status}: {words}")]
    Status { status: u16, words: String },
    #[error("the language model's answer is not in the required shape: {0}")]
    Shape(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    findings: Vec<AnswerFinding>,
    urgency: Urgency,
    urgency_evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFinding {
    concept: String,
    assertion: Assertion,
    evidence: String,
}

/// The JSON schema the model must answer in: findings from the lexicon's concepts, each with the
/// caller's exact words, and an urgency with the words that justify it.
pub fn schema(knowledge: &Knowledge) -> Value {
    let concepts: Vec<&str> = knowledge.concepts.iter().map(|c| c.id.as_str()).collect();
    json!({
        "type": "object", "additionalProperties": false,
        "required": ["findings", "urgency", "urgency_evidence"],
        "properties": {
            "findings": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["concept", "assertion", "evidence"],
                "properties": {
                    "concept": {"type": "string", "enum": concepts},
                    "assertion": {"type": "string", "enum": ["present", "negated", "possible", "historical", "hypothetical"]},
                    "evidence": {"type": "string", "description": "the caller's exact words, copied verbatim from the note"},
                },
            }},
            "urgency": {"type": "string", "enum": ["routine", "same_day", "emergency"]},
            "urgency_evidence": {"type": "string", "description": "the caller's exact words that justify the urgency, verbatim"},
        },
    })
}

const INSTRUCTIONS: &str = "You read a clinic call-center note. List the patient's symptoms and problems as concepts from the \
    schema, each with the caller's exact words copied verbatim, and give an urgency with the exact words that justify it. \
    Answer only JSON in the given schema.";

/// Asks the model, then merges what it may add into `intake`.
pub async fn enrich(intake: &Intake, note: &str, config: &LlmConfig) -> Result<(Intake, LlmReport), LlmError> {
    let knowledge = Knowledge::builtin();
    let body = json!({
        "model": config.model,
        "temperature": 0,
        "messages": [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": note}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "intake_additions", "strict": true, "schema": schema(knowledge)}},
    });
    let client = reqwest::Client::builder().timeout(config.timeout).build().map_err(|e| LlmError::Unreachable(e.to_string()))?;
    let response = client.post(&config.url).json(&body).send().await.map_err(|e| LlmError::Unreachable(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| LlmError::Unreachable(e.to_string()))?;
    if !status.is_success() {
        return Err(LlmError::Status { status: status.as_u16(), words: text.chars().take(200).collect() });
    }
    let reply: Value = serde_json::from_str(&text).map_err(|e| LlmError::Shape(format!("not JSON ({e})")))?;
    let content = reply.pointer("/choices/0/message/content").and_then(Value::as_str).ok_or_else(|| LlmError::Shape("no choices[0].message.content".into()))?;
    let answer: Answer = serde_json::from_str(content).map_err(|e| LlmError::Shape(e.to_string()))?;
    Ok(merge(intake, note, answer, knowledge))
}

/// The caller's words as they stand in the note, or None when the model did not quote them.
fn verbatim(note: &str, words: &str) -> Option<Evidence> {
    let words = words.trim();
    let start = (!words.is_empty()).then(|| note.find(words)).flatten()?;
    Some(Evidence { text: words.to_string(), start, end: start + words.len() })
}

fn merge(intake: &Intake, note: &str, answer: Answer, knowledge: &Knowledge) -> (Intake, LlmReport) {
    let mut merged = intake.clone();
    let mut report = LlmReport::default();
    for found in answer.findings {
        let Some(concept) = knowledge.concepts.iter().find(|c| c.id == found.concept) else {
            report.discarded.push(format!("unknown concept `{}`", found.concept));
            continue;
        };
        let Some(evidence) = verbatim(note, &found.evidence) else {
            report.discarded.push(format!("`{}`: its words are not in the note", found.concept));
            continue;
        };
        if merged.findings.iter().any(|f| f.concept == concept.id) {
            continue; // Only additions: what the rules read stands.
        }
        report.added.push(concept.id.clone());
        merged.findings.push(Finding {
            text: evidence.text.clone(),
            concept: concept.id.clone(),
            label: concept.label.clone(),
            problem: concept.is_problem(),
            assertion: found.assertion,
            experiencer: Experiencer::Patient,
            onset: None,
            severity: None,
            site: concept.site.clone(),
            evidence,
        });
    }
    // Added findings go through the same red-flag rules; urgency only ever goes up.
    let fired = crate::red_flags_in(note, &merged.findings, &merged.medications, knowledge);
    for flag in fired {
        if !merged.red_flags.iter().any(|f| f.rule == flag.rule) {
            merged.red_flags.push(flag);
        }
    }
    let mut urgency = merged.red_flags.iter().map(|f| f.urgency).max().unwrap_or(Urgency::Routine).max(intake.urgency);
    if answer.urgency > urgency {
        match verbatim(note, &answer.urgency_evidence) {
            Some(words) => {
                urgency = answer.urgency;
                merged.urgency_because = format!("{}; the language model on \"{}\"", merged.urgency_because, words.text);
            }
            None => report.discarded.push("urgency: its words are not in the note".into()),
        }
    }
    if urgency > intake.urgency {
        report.raised_to = Some(urgency);
        if !merged.urgency_because.contains("language model") {
            merged.urgency_because =
                format!("red flag: {}", merged.red_flags.iter().filter(|f| f.urgency == urgency).map(|f| f.rule.as_str()).collect::<Vec<_>>().join(", "));
        }
    }
    merged.urgency = urgency;
    merged.routing = triage::routing_of(urgency, merged.reason);
    merged.emergency_script = if urgency == Urgency::Emergency { knowledge.emergency_script.clone() } else { Vec::new() };
    merged.summary = crate::summary::summary(&merged, crate::Language::En);
    (merged, report)
}
