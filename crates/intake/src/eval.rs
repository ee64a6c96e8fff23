//! Scoring the assistant against a labelled set of calls (`tests/intake/devset.toml`): precision,
//! recall and F1 per field, negation, the urgency confusion matrix and under-triage.

use crate::{analyze, Assertion, Experiencer, Urgency};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevSet {
    /// Written blind, from public guidance by someone who had not seen the knowledge files: the labels
    /// cover findings, urgency, reason and routing, not rule ids or medications.
    #[serde(default)]
    pub blind: bool,
    pub call: Vec<LabelledCall>,
    /// Each call's findings labels, read once by `parse`.
    #[serde(skip)]
    gold: Vec<Vec<GoldFinding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledCall {
    pub id: String,
    pub note: String,
    /// "en" or "es"; English when not given.
    #[serde(default)]
    pub language: Option<String>,
    /// The red-flag category the writer had in mind, in their own words.
    #[serde(default)]
    pub category: Option<String>,
    /// probe, negated, hypothetical, historical, third_party, stt, misspelled or plain.
    #[serde(default)]
    pub variant: Option<String>,
    /// For a twin: the probe it mirrors.
    #[serde(default)]
    pub twin_of: Option<String>,
    pub urgency: Urgency,
    pub reason: crate::Reason,
    pub routing: crate::Routing,
    #[serde(default)]
    pub red_flags: Vec<String>,
    /// "concept assertion experiencer", then optional "severity=..." and "onset=..." parts, `;` between.
    #[serde(default)]
    pub findings: Vec<String>,
    /// "name;dose;frequency" (dose and frequency may be empty).
    #[serde(default)]
    pub medications: Vec<String>,
}

struct GoldFinding {
    concept: String,
    assertion: Assertion,
    experiencer: Experiencer,
    severity: Option<String>,
    onset: Option<String>,
}

fn parse_enum<T: for<'de> Deserialize<'de>>(word: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(word.trim().to_string())).map_err(|_| format!("`{word}` is not a valid value"))
}

impl LabelledCall {
    fn gold_findings(&self) -> Result<Vec<GoldFinding>, String> {
        self.findings
            .iter()
            .map(|label| {
                let mut parts = label.split(';').map(str::trim);
                let head: Vec<&str> = parts.next().unwrap_or_default().split_whitespace().collect();
                let [concept, assertion, experiencer] = head[..] else {
                    return Err(format!("call {}: finding `{label}` needs `concept assertion experiencer`", self.id));
                };
                let mut gold = GoldFinding {
                    concept: concept.into(),
                    assertion: parse_enum(assertion)?,
                    experiencer: parse_enum(experiencer)?,
                    severity: None,
                    onset: None,
                };
                for part in parts {
                    match part.split_once('=') {
                        Some(("severity", v)) => gold.severity = Some(v.into()),
                        Some(("onset", v)) => gold.onset = Some(v.to_lowercase()),
                        _ => return Err(format!("call {}: finding `{label}` has an unknown part `{part}`", self.id)),
                    }
                }
                Ok(gold)
            })
            .collect()
    }
}

/// True and false positives and false negatives of one field.
#[derive(Default, Clone, Copy)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({"precision": self.precision(), "recall": self.recall(), "f1": self.f1(), "tp": self.tp, "fp": self.fp, "fn": self.fn_})
            .serialize(serializer)
    }
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Counts two multisets of labels against each other.
    fn add<T: PartialEq>(&mut self, gold: Vec<T>, mut predicted: Vec<T>) {
        for g in gold {
            match predicted.iter().position(|p| *p == g) {
                Some(i) => {
                    predicted.swap_remove(i);
                    self.tp += 1;
                }
                None => self.fn_ += 1,
            }
        }
        self.fp += predicted.len() as u32;
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

#[derive(Serialize)]
pub struct Report {
    pub calls: usize,
    /// Per field: findings (concept), assertion, experiencer, severity, onset, medications, dose,
    /// frequency, red_flags, reason, routing, urgency.
    pub fields: BTreeMap<&'static str, Counts>,
    pub negation: Counts,
    /// rows: labelled urgency, columns: the assistant's (routine, same_day, emergency).
    pub urgency_confusion: [[u32; 3]; 3],
    pub under_triaged: Vec<String>,
    pub over_triaged: u32,
    /// The safety measures, read off the urgency confusion matrix.
    pub safety: Safety,
    /// Each call the assistant got wrong in some field, with what differed.
    pub mistakes: Vec<String>,
}

/// What matters most, as shares: emergencies read as emergencies, same-day calls read as routine, and
/// routine calls kept routine (over-triage is not free: it buries the nurses).
#[derive(Serialize, Default)]
pub struct Safety {
    pub emergencies: u32,
    pub emergencies_caught: u32,
    pub emergency_recall: f64,
    pub same_day: u32,
    pub same_day_read_routine: u32,
    pub same_day_read_routine_share: f64,
    pub routine: u32,
    pub routine_read_routine: u32,
    pub routine_kept_share: f64,
}

impl Safety {
    fn of(matrix: &[[u32; 3]; 3]) -> Safety {
        let row = |i: usize| matrix[i].iter().sum::<u32>();
        let share = |a: u32, b: u32| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let (emergencies, same_day, routine) = (row(2), row(1), row(0));
        Safety {
            emergencies,
            emergencies_caught: matrix[2][2],
            emergency_recall: if emergencies == 0 { 1.0 } else { share(matrix[2][2], emergencies) },
            same_day,
            same_day_read_routine: matrix[1][0],
            same_day_read_routine_share: share(matrix[1][0], same_day),
            routine,
            routine_read_routine: matrix[0][0],
            routine_kept_share: if routine == 0 { 1.0 } else { share(matrix[0][0], routine) },
        }
    }
}

impl DevSet {
    pub fn parse(text: &str) -> Result<DevSet, String> {
        let mut set: DevSet = toml::from_str(text).map_err(|e| e.to_string())?;
        set.gold = set.call.iter().map(LabelledCall::gold_findings).collect::<Result<_, _>>()?;
        Ok(set)
    }

    pub fn evaluate(&self) -> Report {
        let mut fields: BTreeMap<&'static str, Counts> = BTreeMap::new();
        let mut report = Report {
            calls: self.call.len(),
            fields: BTreeMap::new(),
            negation: Counts::default(),
            urgency_confusion: [[0; 3]; 3],
            under_triaged: Vec::new(),
            over_triaged: 0,
            safety: Safety::default(),
            mistakes: Vec::new(),
        };
        for (call, gold) in self.call.iter().zip(&self.gold) {
            let intake = analyze(&call.note);
            let mut wrong = Vec::new();
            let mut score = |field: &'static str, g: Vec<String>, p: Vec<String>| {
                let counts = fields.entry(field).or_default();
                let before = *counts;
                counts.add(g.clone(), p.clone());
                let after = *counts;
                if after.fp != before.fp || after.fn_ != before.fn_ {
                    wrong.push(format!("{field}: expected {g:?}, got {p:?}"));
                }
            };
            score("findings", gold.iter().map(|g| g.concept.clone()).collect(), intake.findings.iter().map(|f| f.concept.clone()).collect());
            score(
                "assertion",
                gold.iter().map(|g| format!("{} {:?}", g.concept, g.assertion)).collect(),
                intake.findings.iter().map(|f| format!("{} {:?}", f.concept, f.assertion)).collect(),
            );
            score(
                "experiencer",
                gold.iter().map(|g| format!("{} {:?}", g.concept, g.experiencer)).collect(),
                intake.findings.iter().map(|f| format!("{} {:?}", f.concept, f.experiencer)).collect(),
            );
            let labelled = |pick: fn(&GoldFinding) -> Option<String>, found: fn(&crate::Finding) -> Option<String>| {
                let gold_pairs: Vec<String> = gold.iter().filter_map(|g| pick(g).map(|v| format!("{} {v}", g.concept))).collect();
                let concepts: Vec<&str> = gold.iter().filter(|g| pick(g).is_some()).map(|g| g.concept.as_str()).collect();
                let predicted: Vec<String> = intake
                    .findings
                    .iter()
                    .filter(|f| concepts.contains(&f.concept.as_str()))
                    .filter_map(|f| found(f).map(|v| format!("{} {}", f.concept, v.to_lowercase())))
                    .collect();
                (gold_pairs, predicted)
            };
            let (g, p) = labelled(|g| g.severity.clone(), |f| f.severity.clone());
            score("severity", g, p);
            let (g, p) = labelled(|g| g.onset.clone(), |f| f.onset.clone());
            score("onset", g, p);
            if !self.blind {
                let meds: Vec<Vec<&str>> = call.medications.iter().map(|m| m.split(';').map(str::trim).collect()).collect();
                score("medications", meds.iter().map(|m| m[0].to_string()).collect(), intake.medications.iter().map(|m| m.name.clone()).collect());
                let pairs = |i: usize, found: fn(&crate::Medication) -> Option<String>| -> (Vec<String>, Vec<String>) {
                    let gold: Vec<String> = meds.iter().filter(|m| m.get(i).is_some_and(|v| !v.is_empty())).map(|m| format!("{} {}", m[0], m[i])).collect();
                    let predicted = intake.medications.iter().filter_map(|m| found(m).map(|v| format!("{} {}", m.name, v.to_lowercase()))).collect();
                    (gold, predicted)
                };
                let (g, p) = pairs(1, |m| m.dose.clone());
                score("dose", g, p);
                let (g, p) = pairs(2, |m| m.frequency.clone());
                score("frequency", g, p);
                score("red_flags", call.red_flags.clone(), intake.red_flags.iter().map(|f| f.rule.clone()).collect());
            }
            score("reason", vec![format!("{:?}", call.reason)], vec![format!("{:?}", intake.reason)]);
            score("routing", vec![format!("{:?}", call.routing)], vec![format!("{:?}", intake.routing)]);
            score("urgency", vec![format!("{:?}", call.urgency)], vec![format!("{:?}", intake.urgency)]);
            report.negation.add(
                gold.iter().filter(|g| g.assertion == Assertion::Negated).map(|g| g.concept.clone()).collect(),
                intake.findings.iter().filter(|f| f.assertion == Assertion::Negated).map(|f| f.concept.clone()).collect(),
            );
            report.urgency_confusion[call.urgency as usize][intake.urgency as usize] += 1;
            if intake.urgency < call.urgency {
                report.under_triaged.push(call.id.clone());
            } else if intake.urgency > call.urgency {
                report.over_triaged += 1;
            }
            if !wrong.is_empty() {
                report.mistakes.push(format!("{}: {}", call.id, wrong.join("; ")));
            }
        }
        report.fields = fields;
        report.safety = Safety::of(&report.urgency_confusion);
        report
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} labelled calls", self.calls)?;
        writeln!(f, "{:<12} {:>9} {:>7} {:>6}   {:>4} {:>4} {:>4}", "field", "precision", "recall", "F1", "tp", "fp", "fn")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, c: &Counts| {
            writeln!(f, "{name:<12} {:>9.3} {:>7.3} {:>6.3}   {:>4} {:>4} {:>4}", c.precision(), c.recall(), c.f1(), c.tp, c.fp, c.fn_)
        };
        for (name, counts) in &self.fields {
            row(f, name, counts)?;
        }
        row(f, "negation", &self.negation)?;
        writeln!(f, "\nurgency confusion (rows: labelled, columns: assistant)")?;
        writeln!(f, "{:<10} {:>8} {:>9} {:>10}", "", "routine", "same_day", "emergency")?;
        for (i, name) in ["routine", "same_day", "emergency"].iter().enumerate() {
            let r = self.urgency_confusion[i];
            writeln!(f, "{name:<10} {:>8} {:>9} {:>10}", r[0], r[1], r[2])?;
        }
        let s = &self.safety;
        writeln!(f, "\nemergencies read as emergencies: {} of {} ({:.3})", s.emergencies_caught, s.emergencies, s.emergency_recall)?;
        writeln!(f, "same-day calls read as routine: {} of {} ({:.3})", s.same_day_read_routine, s.same_day, s.same_day_read_routine_share)?;
        writeln!(f, "routine calls kept routine: {} of {} ({:.3})", s.routine_read_routine, s.routine, s.routine_kept_share)?;
        writeln!(f, "under-triaged: {} {:?}", self.under_triaged.len(), self.under_triaged)?;
        writeln!(f, "over-triaged: {}", self.over_triaged)?;
        for mistake in &self.mistakes {
            writeln!(f, "mistake {mistake}")?;
        }
        Ok(())
    }
}
