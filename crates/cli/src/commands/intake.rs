//! `switchboard intake`: a call note on standard input, read by the intake assistant.

use crate::args::{IntakeCommand, SourceArg};
use std::collections::BTreeMap;
use std::io::Read;
use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_intake::llm::enrich;
use switchboard_intake::{analyze_answered, question_ids, Answer, Experiencer, Intake, Language};

/// `--answer ID=yes|no` into answers by question id, refusing an unknown id or answer in words.
pub fn parse_answers(given: &[String]) -> Result<BTreeMap<String, Answer>, AppError> {
    let known = question_ids();
    given
        .iter()
        .map(|pair| {
            let (id, answer) = pair.split_once('=').ok_or_else(|| AppError::Invalid(format!("--answer `{pair}` is not QUESTION=yes or QUESTION=no")))?;
            if !known.iter().any(|k| k == id) {
                return Err(AppError::Invalid(format!("--answer: `{id}` is not a red-flag question; `switchboard intake --json` lists them under questions")));
            }
            let answer = match answer.trim().to_lowercase().as_str() {
                "yes" | "y" | "si" | "sí" => Answer::Yes,
                "no" | "n" => Answer::No,
                other => return Err(AppError::Invalid(format!("--answer {id}: `{other}` is not yes or no"))),
            };
            Ok((id.to_string(), answer))
        })
        .collect()
}

/// With `[intake] llm_url` configured (and no --no-llm), asks the language model, which may only add
/// findings or raise urgency. When it fails, the deterministic reading stands and the reason is told.
fn second_opinion(ctx: &App, note: &str, intake: Intake, no_llm: bool) -> (Intake, Option<serde_json::Value>) {
    let Some(config) = ctx.llm_config().filter(|_| !no_llm) else { return (intake, None) };
    let asked = switchboard_app::runtime().map_err(|e| e.to_string()).and_then(|rt| rt.block_on(enrich(&intake, note, &config)).map_err(|e| e.to_string()));
    match asked {
        Ok((merged, report)) => (merged, serde_json::to_value(report).ok()),
        Err(problem) => {
            eprintln!("switchboard: {problem}; the assistant's own reading stands");
            (intake, Some(serde_json::json!({"error": problem})))
        }
    }
}

/// How to read the note: the agent's answers to the red-flag questions, and the staff's language for
/// the summary.
pub struct Reading {
    pub answers: BTreeMap<String, Answer>,
    pub staff: Language,
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    ctx: &App,
    command: Option<IntakeCommand>,
    json: bool,
    patient: Option<String>,
    confirm: bool,
    no_llm: bool,
    reading: &Reading,
    target: &SourceArg,
) -> Result<(), AppError> {
    if let Some(IntakeCommand::Eval { file, json }) = command {
        return eval(&file, json);
    }
    let mut note = String::new();
    std::io::stdin().read_to_string(&mut note).map_err(|e| AppError::Invalid(format!("cannot read the note from standard input: {e}")))?;
    if note.trim().is_empty() {
        return Err(AppError::Invalid("the note is empty: pipe the caller's words on standard input".into()));
    }
    let (mut intake, model) = second_opinion(ctx, &note, analyze_answered(&note, &reading.answers), no_llm);
    intake.summary = switchboard_intake::summary::summary(&intake, reading.staff);
    let queued = match (confirm, patient) {
        (true, Some(patient)) => Some(super::actions::confirm_intake(ctx, &patient, &note, &intake, target)?),
        (true, None) => return Err(AppError::Invalid("--confirm needs --patient".into())),
        (false, _) => None,
    };
    if json {
        let mut value = serde_json::to_value(&intake).map_err(|e| AppError::Internal(e.to_string()))?;
        value["queued"] = serde_json::to_value(&queued).map_err(|e| AppError::Internal(e.to_string()))?;
        value["language_model"] = model.unwrap_or(serde_json::Value::Null);
        return super::print_json(&value);
    }
    print_text(&intake);
    if let Some(q) = queued {
        println!("\nqueued {} {} {}", q.id, q.state, q.target);
    }
    Ok(())
}

fn print_text(intake: &Intake) {
    println!("{}", intake.summary);
    println!();
    for f in &intake.findings {
        let about = if f.experiencer == Experiencer::Patient { "patient" } else { "someone else" };
        let assertion = format!("{:?}", f.assertion).to_lowercase();
        println!("finding    {:<24} {:<12} {:<12} \"{}\" at {}..{}", f.concept, assertion, about, f.evidence.text, f.evidence.start, f.evidence.end);
    }
    for m in &intake.medications {
        println!("medication {:<24} {:<12} {:<12} \"{}\"", m.name, m.dose.as_deref().unwrap_or("-"), m.frequency.as_deref().unwrap_or("-"), m.evidence.text);
    }
    for q in &intake.questions {
        let answer = match q.answer {
            Some(Answer::Yes) => "yes",
            Some(Answer::No) => "no",
            None => "not asked",
        };
        println!("question   {:<18} {:<10} {}", q.id, answer, q.text);
    }
    for e in &intake.not_understood {
        println!("not understood \"{}\" at {}..{}", e.text, e.start, e.end);
    }
    for line in &intake.emergency_script {
        println!("EMERGENCY  {line}");
    }
}

fn eval(file: &std::path::Path, json: bool) -> Result<(), AppError> {
    let text = std::fs::read_to_string(file).map_err(|e| AppError::Invalid(format!("cannot read {}: {e}", file.display())))?;
    let set = switchboard_intake::eval::DevSet::parse(&text).map_err(|e| AppError::Invalid(format!("{}: {e}", file.display())))?;
    let report = set.evaluate();
    if json {
        return super::print_json(&report);
    }
    print!("{report}");
    Ok(())
}
