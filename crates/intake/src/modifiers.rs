//! What is said around a finding (when it began, how bad, where) and around a medication (dose, how often).

use crate::context::Reading;
use crate::lexicon::Grammar;
use crate::text::Token;
use crate::{evidence, Medication};

/// How near (in words) a severity or site must be to its finding.
const NEAR: usize = 4;

/// Onset, severity and site phrases found in the note, as (first word, end word, value).
pub(crate) struct Modifiers {
    onsets: Vec<(usize, usize, String)>,
    severities: Vec<(usize, usize, String)>,
    sites: Vec<(usize, usize, String)>,
}

/// The length of an onset phrase starting at `at`, if one does.
fn onset_at(g: &Grammar, words: &[&str], at: usize) -> Option<usize> {
    let w = |i: usize| words.get(at + i).copied().unwrap_or_default();
    let unit_after = |i: usize| (i..i + 3).find(|&j| g.is("time_units", w(j)) && (i..j).all(|k| g.number_value(w(k)).is_some() || g.is("count_joiners", w(k))));
    let first = w(0);
    if g.is("since_words", first) {
        if let Some(j) = unit_after(1) {
            return Some(j + 1);
        }
        if g.is("when_words", w(1)) {
            return Some(2);
        }
        if g.is("this_words", w(1)) && g.is("part_of_day", w(2)) {
            return Some(3);
        }
        return None;
    }
    if g.is("this_words", first) && g.is("part_of_day", w(1)) {
        return Some(2);
    }
    if g.is("for_words", first) {
        let from = if g.is("approximators", w(1)) { 2 } else { 1 };
        let from = if g.is("for_words", w(from)) { from + 1 } else { from };
        if let Some(j) = unit_after(from) {
            return Some(j + 1);
        }
    }
    if let Some(len) = g.phrase_at("sudden_phrases", &words[at..]) {
        return Some(len);
    }
    if g.is("when_words", first) {
        return Some(1);
    }
    if g.number_value(first).is_some() {
        let j = unit_after(0)?;
        return match w(j + 1) {
            next if g.is("ago_words", next) => Some(j + 2),
            // An age or how far along a pregnancy is, not when something began.
            next if g.is("not_onset_after", next) => None,
            _ if at > 0 && g.is("age_before", words[at - 1]) => None,
            _ if at > 0 && g.is("not_onset_before", words[at - 1]) => None,
            _ => Some(j + 1),
        };
    }
    None
}

/// "8/10" or "8 out of 10" as a severity.
fn score_at(g: &Grammar, words: &[&str], at: usize) -> Option<(usize, String)> {
    let (score, len) = match words[at].split_once('/') {
        Some((n, "10")) => (n.parse::<f64>().ok()?, 1),
        _ if words.get(at + 1..at + 4).is_some_and(|w| w[2] == "10" && matches!((w[0], w[1]), ("out", "of") | ("de", "de") | ("sobre", _))) => {
            (g.number_value(words[at])?, 4)
        }
        _ => return None,
    };
    let level = if score >= 7.0 {
        "severe"
    } else if score >= 4.0 {
        "moderate"
    } else {
        "mild"
    };
    Some((len, level.to_string()))
}

impl Modifiers {
    pub fn find(read: &Reading) -> Modifiers {
        let words = read.words;
        let grammar = &read.knowledge.grammar;
        let free = |s: usize, e: usize| !read.in_concept[s..e].iter().any(|c| *c);
        let (mut onsets, mut severities) = (Vec::new(), Vec::new());
        let mut at = 0;
        while at < words.len() {
            if let Some(len) = onset_at(grammar, words, at) {
                onsets.push((at, at + len, evidence(read.note, read.tokens, at, at + len).text));
                at += len;
            } else if let Some((len, level)) = score_at(grammar, words, at) {
                severities.push((at, at + len, level));
                at += len;
            } else {
                at += 1;
            }
        }
        let said = read.said();
        severities.extend(read.knowledge.severities.scan(&said).into_iter().filter(|(s, e, _)| free(*s, *e)));
        let sites = read.knowledge.sites.scan(&said).into_iter().filter(|(s, e, _)| free(*s, *e)).collect();
        Modifiers { onsets, severities, sites }
    }

    fn finding_span(read: &Reading, i: usize) -> (usize, usize) {
        let (s, e, _) = read.concepts[i];
        (s, e)
    }

    /// The onset said in the finding's clause, else the nearest in its sentence.
    pub fn onset_for(&self, read: &Reading, i: usize) -> Option<String> {
        let (s, e) = Self::finding_span(read, i);
        let clause = read.tokens[s].clause;
        self.onsets
            .iter()
            .find(|(os, _, _)| read.tokens[*os].clause == clause)
            .or_else(|| nearest(&self.onsets, read.tokens, s, e, 12))
            .map(|(_, _, text)| text.clone())
    }

    /// A severity word belongs to the one finding nearest to it: "crushing chest pain and sweating"
    /// makes the chest pain severe, not the sweating.
    pub fn severity_for(&self, read: &Reading, i: usize) -> Option<String> {
        let (s, e) = Self::finding_span(read, i);
        let span = nearest(&self.severities, read.tokens, s, e, NEAR)?;
        let sentence = read.tokens[s].sentence;
        let mine = gap(span, s, e);
        let closer = read.concepts.iter().enumerate().any(|(j, &(fs, fe, _))| j != i && read.tokens[fs].sentence == sentence && gap(span, fs, fe) < mine);
        (!closer).then(|| span.2.clone())
    }

    pub fn site_for(&self, read: &Reading, i: usize) -> Option<String> {
        let (s, e) = Self::finding_span(read, i);
        nearest(&self.sites, read.tokens, s, e, NEAR).map(|(_, _, site)| site.clone())
    }
}

/// Words between a modifier span and the finding at words s..e.
fn gap(span: &(usize, usize, String), s: usize, e: usize) -> usize {
    if span.0 >= e {
        span.0 - e
    } else {
        s.saturating_sub(span.1)
    }
}

/// The span nearest to words s..e within `limit` words, in the same sentence.
fn nearest<'m>(spans: &'m [(usize, usize, String)], tokens: &[Token], s: usize, e: usize, limit: usize) -> Option<&'m (usize, usize, String)> {
    let sentence = tokens[s].sentence;
    spans
        .iter()
        .filter(|(ms, _, _)| tokens[*ms].sentence == sentence)
        .map(|span| (gap(span, s, e), span))
        .filter(|(gap, _)| *gap <= limit)
        .min_by_key(|(gap, _)| *gap)
        .map(|(_, span)| span)
}

/// Medications with the dose and frequency said next to them.
pub(crate) fn medications(read: &Reading) -> Vec<Medication> {
    let (note, tokens, words, knowledge) = (read.note, read.tokens, read.words, read.knowledge);
    let grammar = &knowledge.grammar;
    let said = read.said();
    let found = knowledge.medications.scan(&said);
    let frequencies = knowledge.frequencies.scan(&said);
    let mut medications: Vec<Medication> = Vec::new();
    for (n, (s, e, name)) in found.iter().enumerate() {
        let next = found.get(n + 1).map_or(words.len(), |m| m.0);
        let same_sentence = |i: usize| tokens[i].sentence == tokens[*s].sentence;
        let is_dose = |i: usize| i + 1 < words.len() && grammar.number_value(words[i]).is_some() && grammar.is("dose_units", words[i + 1]) && same_sentence(i);
        // "10 mg of lisinopril", "once a day metformin": a dose or frequency just before counts, unless
        // an earlier medication in the sentence owns it.
        let earlier_here = n > 0 && tokens[found[n - 1].0].sentence == tokens[*s].sentence;
        let dose = (*e..(e + 6).min(next)).find(|&i| is_dose(i)).or_else(|| (s.saturating_sub(4)..*s).find(|&i| !earlier_here && is_dose(i) && i + 2 <= *s));
        let frequency = frequencies
            .iter()
            .find(|(fs, _, _)| *fs >= *e && *fs < (e + 10).min(next) && same_sentence(*fs))
            .or_else(|| frequencies.iter().find(|(_, fe, _)| !earlier_here && *fe <= *s && s - fe <= 3 && same_sentence(*fe)));
        let from = [Some(*s), dose, frequency.map(|f| f.0)].into_iter().flatten().min().unwrap_or(*s);
        let to = [Some(*e), dose.map(|d| d + 2), frequency.map(|f| f.1)].into_iter().flatten().max().unwrap_or(*e);
        let medication = Medication {
            name: name.clone(),
            text: evidence(note, tokens, *s, *e).text,
            dose: dose.map(|d| evidence(note, tokens, d, d + 2).text),
            frequency: frequency.map(|(_, _, value)| value.clone()),
            evidence: evidence(note, tokens, from, to),
        };
        match medications.iter_mut().find(|m| m.name == medication.name) {
            Some(earlier) => {
                earlier.dose = earlier.dose.take().or(medication.dose);
                earlier.frequency = earlier.frequency.take().or(medication.frequency);
            }
            None => medications.push(medication),
        }
    }
    medications
}
