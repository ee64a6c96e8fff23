//! Numbers in context: a home reading said beside its cue ("temp 103.5", "sugar is 45", "BP 190/120",
//! "oxygen 88%") becomes a finding when it crosses a threshold of `red_flags.toml`'s `[[reading]]`
//! tables, and a normal reading says the cue word names no finding ("temp was 98.6").

use crate::lexicon::Knowledge;
use crate::patterns::Said;
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingEntry {
    measure: String,
    citation: String,
    /// Words that say what the number measures, in every language the assistant reads.
    cues: Vec<String>,
    band: Vec<Band>,
}

/// A threshold: the reading is at least `at_least` or below `below` (for blood pressure, the systolic;
/// `diastolic_at_least` reads the diastolic, and either crossing counts).
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct Band {
    concept: String,
    #[serde(default)]
    at_least: Option<f64>,
    #[serde(default)]
    below: Option<f64>,
    #[serde(default)]
    diastolic_at_least: Option<f64>,
    #[serde(default)]
    severity: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Measure {
    /// Degrees Fahrenheit; a value under 50 is Celsius and is converted.
    Temperature,
    /// mg/dL; a value up to 33 is mmol/L and is converted.
    Glucose,
    BloodPressure,
    /// Oxygen saturation, percent.
    Oxygen,
    HeartRate,
}

pub struct ReadingRule {
    measure: Measure,
    pub citation: String,
    cues: Vec<Vec<String>>,
    bands: Vec<Band>,
}

pub(crate) fn compile(entries: &[ReadingEntry], known: &HashSet<&str>) -> Result<Vec<ReadingRule>, String> {
    entries
        .iter()
        .map(|entry| {
            let measure = match entry.measure.as_str() {
                "temperature" => Measure::Temperature,
                "glucose" => Measure::Glucose,
                "blood_pressure" => Measure::BloodPressure,
                "oxygen" => Measure::Oxygen,
                "heart_rate" => Measure::HeartRate,
                other => return Err(format!("reading `{other}` is not one of temperature, glucose, blood_pressure, oxygen, heart_rate")),
            };
            if let Some(band) = entry.band.iter().find(|b| !known.contains(b.concept.as_str())) {
                return Err(format!("reading `{}` names unknown concept `{}`", entry.measure, band.concept));
            }
            let cues = entry.cues.iter().map(|c| crate::text::phrase_words(c)).filter(|c| !c.is_empty()).collect();
            Ok(ReadingRule { measure, citation: entry.citation.clone(), cues, bands: entry.band.clone() })
        })
        .collect()
}

/// A reading found in the note: the words from cue to number, and the finding it makes, if any.
pub(crate) struct Found<'k> {
    pub start: usize,
    pub end: usize,
    /// The cues' own words, which name no finding of their own once read with their number.
    pub cues: Vec<(usize, usize)>,
    /// The number's words.
    number: (usize, usize),
    rule: &'k ReadingRule,
    /// The concept's index and the severity the band gives.
    pub finding: Option<(usize, Option<String>)>,
}

/// A cue and a number it may measure: (words between them, the reading, the cue's words, the number's
/// first and end word, its value).
type Pairing<'k> = (usize, &'k ReadingRule, (usize, usize), usize, usize, Value);

/// How far (in words) a number may sit after its cue ("my oxygen thing on my finger says 84"), or
/// before it ("103 fever").
const AFTER: usize = 7;
const BEFORE: usize = 2;

pub(crate) fn find<'k>(knowledge: &'k Knowledge, said: &Said) -> Vec<Found<'k>> {
    let words = said.words;
    // Every (cue, number) pairing in one sentence, nearest first; each number is read once, by the
    // nearest cue ("checked her sugar, 101" is a sugar, not a temperature).
    let mut pairings: Vec<Pairing> = Vec::new();
    for rule in &knowledge.readings {
        for at in 0..words.len() {
            let Some(cue_len) = rule.cues.iter().find(|c| c.len() <= words.len() - at && c.iter().zip(&words[at..]).all(|(a, b)| a == b)).map(Vec::len) else {
                continue;
            };
            let sentence = said.tokens[at].sentence;
            let cue_end = at + cue_len;
            let near = (cue_end..(cue_end + AFTER).min(words.len())).chain(at.saturating_sub(BEFORE)..at).filter(|&i| said.tokens[i].sentence == sentence);
            for i in near {
                if let Some((value, len)) = rule.value_at(words, i) {
                    let distance = if i >= cue_end { i - cue_end } else { at - i };
                    pairings.push((distance, rule, (at, cue_end), i, i + len, value));
                }
            }
        }
        // A pair of pressures needs no cue: "my reading today was 168 over 98".
        if rule.measure == Measure::BloodPressure {
            for i in 0..words.len() {
                if let Some((value @ Value::Pressure(_, d), len)) = rule.value_at(words, i) {
                    if d > 0.0 {
                        pairings.push((AFTER + 1, rule, (i, i), i, i + len, value));
                    }
                }
            }
        }
    }
    pairings.sort_by_key(|p| p.0);
    let mut found: Vec<Found> = Vec::new();
    for (_, rule, cue, start, end, value) in pairings {
        if let Some(taken) = found.iter_mut().find(|f| f.number.0 < end && start < f.number.1) {
            // "his temp, 98.4, no fever": both cues were read with the one number.
            if std::ptr::eq(taken.rule, rule) {
                taken.cues.push(cue);
            }
            continue;
        }
        let finding = rule.band_for(value).and_then(|band| knowledge.concepts.iter().position(|c| c.id == band.concept).map(|i| (i, band.severity.clone())));
        found.push(Found { start: cue.0.min(start), end: cue.1.max(end), cues: vec![cue], number: (start, end), rule, finding });
    }
    found
}

/// A reading's value: one number, or systolic and diastolic.
#[derive(Debug, Clone, Copy)]
enum Value {
    One(f64),
    Pressure(f64, f64),
}

impl ReadingRule {
    /// The value said at word `i` and how many words it takes ("190/120", "190 over 120", "88%").
    fn value_at(&self, words: &[&str], i: usize) -> Option<(Value, usize)> {
        if self.measure == Measure::BloodPressure {
            // Pressures no arm could give: "8/10" is a pain score.
            let systolic_ok = |s: f64| (60.0..=300.0).contains(&s);
            let diastolic_ok = |d: f64| (30.0..=200.0).contains(&d);
            if let Some((a, b)) = words[i].split_once('/') {
                let (s, d): (f64, f64) = (a.parse().ok()?, b.parse().ok()?);
                return (systolic_ok(s) && diastolic_ok(d)).then_some((Value::Pressure(s, d), 1));
            }
            let systolic: f64 = words[i].parse().ok().filter(|s| systolic_ok(*s))?;
            let over = words.get(i + 1).is_some_and(|w| matches!(*w, "over" | "sobre" | "entre"));
            return match words.get(i + 2).and_then(|w| w.parse::<f64>().ok()).filter(|d| diastolic_ok(*d)) {
                Some(diastolic) if over => Some((Value::Pressure(systolic, diastolic), 3)),
                _ => Some((Value::Pressure(systolic, 0.0), 1)),
            };
        }
        // A glucose meter shows "HI" above its range (about 600 mg/dL) and "LO" below it.
        if self.measure == Measure::Glucose && matches!(words[i], "hi" | "lo") {
            return Some((Value::One(if words[i] == "hi" { 600.0 } else { 20.0 }), 1));
        }
        let n: f64 = words[i].replace(',', ".").parse().ok()?;
        let n = match self.measure {
            Measure::Temperature if n < 50.0 => n * 9.0 / 5.0 + 32.0,
            Measure::Glucose if n <= 33.0 => n * 18.0,
            _ => n,
        };
        // Numbers no reading of this kind could be: a time, a dose, a year.
        let plausible = match self.measure {
            Measure::Temperature => (90.0..=110.0).contains(&n),
            Measure::Glucose => (10.0..=900.0).contains(&n),
            Measure::Oxygen => (50.0..=100.0).contains(&n),
            Measure::HeartRate => (20.0..=250.0).contains(&n),
            Measure::BloodPressure => false,
        };
        plausible.then_some((Value::One(n), 1))
    }

    /// The most severe band the value falls in: the last one listed that holds.
    fn band_for(&self, value: Value) -> Option<&Band> {
        let (main, diastolic) = match value {
            Value::One(n) => (n, None),
            Value::Pressure(s, d) => (s, Some(d)),
        };
        self.bands.iter().rev().find(|band| {
            let high = band.at_least.is_some_and(|t| main >= t);
            let low = band.below.is_some_and(|t| main < t);
            let high_diastolic = band.diastolic_at_least.zip(diastolic).is_some_and(|(t, d)| d >= t);
            high || low || high_diastolic
        })
    }
}

/// How many days an onset says a finding has gone on ("for 5 days", "x2 weeks", "since 3 days ago").
pub(crate) fn days_in(onset: &str, knowledge: &Knowledge) -> Option<f64> {
    let grammar = &knowledge.grammar;
    let words: Vec<String> = crate::text::phrase_words(onset);
    words.windows(2).find_map(|pair| {
        let n = grammar.number_value(&pair[0])?;
        let unit = pair[1].as_str();
        if grammar.is("age_days", unit) {
            Some(n)
        } else if grammar.is("age_weeks", unit) {
            Some(n * 7.0)
        } else if grammar.is("age_months", unit) {
            Some(n * 30.0)
        } else {
            None
        }
    })
}
