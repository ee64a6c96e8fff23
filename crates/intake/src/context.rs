//! Context around each finding: is it asserted, denied, possible, past or hypothetical (NegEx-style
//! trigger scopes), and is it about the patient or someone else the caller mentions.

use crate::lexicon::{Knowledge, Trigger};
use crate::text::{number_value, Token};
use crate::{evidence, modifiers, Assertion, Experiencer, Finding};

/// How far a trigger reaches, in words that are not part of another finding.
const SCOPE: usize = 6;

pub(crate) struct Reading<'a> {
    pub note: &'a str,
    pub tokens: &'a [Token],
    pub words: &'a [&'a str],
    pub knowledge: &'a Knowledge,
    /// Concept matches: first word, end word, index into `knowledge.concepts`.
    pub concepts: Vec<(usize, usize, usize)>,
    /// Words inside a concept match.
    pub in_concept: Vec<bool>,
    /// Words inside a medication name ("baby aspirin" names no baby).
    in_medication: Vec<bool>,
    triggers: Vec<(usize, usize, Trigger)>,
    /// The relation the call is about ("mom"), when the caller is not the patient.
    pub subject: Option<String>,
    /// The patient's age in months and in the caller's words.
    pub age: Option<(f64, String)>,
}

const FIRST_PERSON: &[&str] = &["i", "me", "my", "im", "ive", "myself", "mine"];
const THIRD_PERSON: &[&str] = &["she", "her", "he", "him", "his", "hes", "shes", "herself", "himself", "hers"];
const PATIENT_WORDS: &[&str] = &["pt", "patient", "caller"];
/// Words after a relation that show the caller is telling about that person ("my son has...").
const TELLING_VERBS: &[&str] = &[
    "has", "had", "is", "was", "isnt", "wasnt", "cant", "can", "fell", "keeps", "kept", "started", "woke", "got", "feels", "felt", "threw",
    "passed", "complains", "complaining", "hasnt", "wont", "seems", "says", "said", "thinks", "just", "been", "having", "took", "needs", "ran",
    "hit", "bumped", "developed", "suddenly", "does", "doesnt", "did", "didnt", "called", "collapsed", "fainted", "gets", "got", "banged", "ate",
    "says", "told", "threw", "tells",
];
/// Words that start talk about someone, ending a trigger's scope.
const NEW_SUBJECT: &[&str] = &["she", "he", "i", "they", "we", "shes", "hes", "im", "his", "her", "my", "their"];
/// Words after a number that make it something other than an age.
const TIME_OR_DOSE: &[&str] = &["mg", "mcg", "units", "puffs", "minutes", "min", "hours", "days", "weeks", "months", "times", "pm", "am", "oclock"];
const ABOUT_WORDS: &[&str] = &["about", "for", "regarding", "behalf", "re"];

impl<'a> Reading<'a> {
    pub fn new(note: &'a str, tokens: &'a [Token], words: &'a [&'a str], knowledge: &'a Knowledge) -> Reading<'a> {
        let concepts = knowledge.concept_phrases.scan(words);
        let mut in_concept = vec![false; words.len()];
        for &(s, e, _) in &concepts {
            in_concept[s..e].iter_mut().for_each(|c| *c = true);
        }
        // A trigger inside a finding's own words ("no wet diapers", "not breathing") is part of it.
        let mut triggers: Vec<(usize, usize, Trigger)> = knowledge.triggers.scan(words).into_iter().filter(|(s, e, _)| !in_concept[*s..*e].iter().any(|c| *c)).collect();
        // "had a stroke in 2019": a year looks back like "years ago".
        let year = |w: &str| w.len() == 4 && w.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y));
        triggers.extend((1..words.len()).filter(|&i| words[i - 1] == "in" && year(words[i])).map(|i| (i - 1, i + 1, Trigger::Sets { assertion: Assertion::Historical, looks_back: true })));
        let mut in_medication = vec![false; words.len()];
        for (s, e, _) in knowledge.medications.scan(words) {
            in_medication[s..e].iter_mut().for_each(|c| *c = true);
        }
        let mut reading = Reading { note, tokens, words, knowledge, concepts, in_concept, in_medication, triggers, subject: None, age: None };
        reading.subject = reading.find_subject();
        reading.age = reading.find_age();
        reading
    }

    fn is_relation(&self, at: usize) -> bool {
        !self.in_concept[at] && !self.in_medication[at] && self.knowledge.relations.contains(self.words[at])
    }

    /// "Calling about my mom", "my son has a fever", "kid banged her head": the first relation the
    /// caller tells about, unless the caller spoke of themselves first ("I have a cough and my
    /// husband..."). A relation told about only in the past ("my dad had a heart attack") gives way when
    /// the caller then speaks of themselves ("I need a refill of my...").
    fn find_subject(&self) -> Option<String> {
        let words = self.words;
        for at in 0..words.len() {
            let word = words[at];
            if self.speaks_of_self(at) && !words[at..].iter().take(6).any(|w| THIRD_PERSON.contains(w) || self.knowledge.relations.contains(*w)) {
                return None;
            }
            // "my 6 week old has a fever": the age stands for the child.
            if matches!(word, "my" | "our" | "her" | "his" | "their") && self.age_at(at + 1).is_some_and(|(_, len)| words.get(at + 1 + len).is_none_or(|w| !self.knowledge.relations.contains(*w))) {
                return Some("child".to_string());
            }
            if !self.is_relation(at) {
                continue;
            }
            let next = words.get(at + 1).copied().unwrap_or_default();
            if matches!(next, "calling" | "called" | "here" | "on") {
                continue; // "Mom calling about..." names the caller.
            }
            let before = &words[at.saturating_sub(4)..at];
            let owned = before.last().is_some_and(|w| matches!(*w, "my" | "our" | "the" | "a")) || before.contains(&"old") || at < 2;
            let about = before.iter().any(|w| ABOUT_WORDS.contains(w));
            let told = words[at + 1..].iter().take(3).position(|w| TELLING_VERBS.contains(w));
            let only_past = told.is_some_and(|i| matches!(words[at + 1 + i], "had" | "was")) && !about;
            if only_past && (at + 1..words.len()).any(|i| self.speaks_of_self(i)) {
                continue;
            }
            if owned && (about || told.is_some() || at < 6) {
                return Some(word.to_string());
            }
        }
        None
    }

    /// "I have", "I'm having", "I feel", "I need": the caller speaking of themselves.
    fn speaks_of_self(&self, at: usize) -> bool {
        matches!(self.words[at], "i" | "im" | "ive")
            && self.words.get(at + 1).is_some_and(|w| matches!(*w, "have" | "am" | "feel" | "been" | "having" | "cant" | "need" | "get" | "just" | "calling" | "want"))
    }

    /// An age said at word `at` ("6 week old", "2 yo"): months and its length in words.
    fn age_at(&self, at: usize) -> Option<(f64, usize)> {
        let words = self.words;
        let n = number_value(words.get(at)?).filter(|_| !matches!(words[at], "a" | "an"))?;
        let unit = words.get(at + 1).copied().unwrap_or_default();
        let months = match unit.trim_end_matches('s') {
            "day" => n / 30.0,
            "week" | "wk" => n / 4.3,
            "month" | "mo" => n,
            "year" | "yr" | "yo" => n * 12.0,
            _ => return None,
        };
        match unit {
            "yo" | "mo" => Some((months, 2)),
            _ if words.get(at + 2) == Some(&"old") => Some((months, 3)),
            _ => None,
        }
    }

    /// "she is 4", "my son is 17": a bare number after "is" is years.
    fn age_in_years_at(&self, at: usize) -> Option<f64> {
        let words = self.words;
        let before = words.get(at.checked_sub(2)?..at)?;
        let n: f64 = words[at].parse().ok()?;
        let subject = THIRD_PERSON.contains(&before[0]) || self.knowledge.relations.contains(before[0]);
        let unit_follows = words.get(at + 1).is_some_and(|w| TIME_OR_DOSE.contains(w));
        (before[1] == "is" && subject && !unit_follows && n.fract() == 0.0 && n < 120.0).then_some(n * 12.0)
    }

    /// The patient's age: the first one said, or "newborn".
    fn find_age(&self) -> Option<(f64, String)> {
        (0..self.words.len()).find_map(|at| match self.words[at] {
            "newborn" => Some((0.5, "newborn".to_string())),
            _ => self
                .age_at(at)
                .map(|(months, len)| (months, evidence(self.note, self.tokens, at, at + len).text))
                .or_else(|| self.age_in_years_at(at).map(|months| (months, format!("{} years", self.words[at])))),
        })
    }

    pub fn under_5(&self) -> bool {
        match &self.age {
            Some((months, _)) => *months < 60.0,
            None => self.subject.as_deref().is_some_and(|s| matches!(s, "baby" | "infant" | "newborn" | "toddler"))
                || self.words.iter().any(|w| matches!(*w, "baby" | "infant" | "toddler")) && self.subject.is_some(),
        }
    }

    pub fn young_infant(&self) -> bool {
        self.age.as_ref().is_some_and(|(months, _)| *months < 3.0)
    }

    /// The findings, with assertion, experiencer and modifiers; repeats of one concept said the same
    /// way are kept once.
    pub fn findings(&self) -> Vec<Finding> {
        let modifiers = modifiers::Modifiers::find(self);
        let experiencers = self.experiencers();
        let mut findings: Vec<Finding> = Vec::new();
        for (i, &(s, e, index)) in self.concepts.iter().enumerate() {
            let concept = &self.knowledge.concepts[index];
            let site = concept.site.clone().or_else(|| modifiers.site_for(self, i));
            let concept = match site.as_ref().and_then(|site| self.knowledge.site_concepts.get(&format!("{}:{site}", concept.id))) {
                Some(specific) => self.knowledge.concepts.iter().find(|c| &c.id == specific).unwrap_or(concept),
                None => concept,
            };
            let finding = Finding {
                text: evidence(self.note, self.tokens, s, e).text,
                concept: concept.id.clone(),
                label: concept.label.clone(),
                problem: concept.is_problem(),
                assertion: self.assertion(s, e),
                experiencer: experiencers[s],
                onset: modifiers.onset_for(self, i),
                severity: modifiers.severity_for(self, i),
                site,
                evidence: evidence(self.note, self.tokens, s, e),
            };
            let same = |f: &Finding| f.concept == finding.concept && f.assertion == finding.assertion && f.experiencer == finding.experiencer;
            match findings.iter_mut().find(|f| same(f)) {
                Some(earlier) => {
                    earlier.onset = earlier.onset.take().or(finding.onset);
                    earlier.severity = earlier.severity.take().or(finding.severity);
                }
                None => findings.push(finding),
            }
        }
        findings
    }

    /// The words between two positions that count toward a scope: not part of a finding.
    fn distance(&self, from: usize, to: usize) -> usize {
        (from..to).filter(|&i| !self.in_concept[i]).count()
    }

    /// A scope ends at a terminator, or at a new subject: "no fever she has a cough", "isnt helping
    /// and his lips are blue". The word right after the trigger may be its own subject.
    fn blocked(&self, from: usize, to: usize) -> bool {
        let ends = self.triggers.iter().any(|&(s, _, t)| t == Trigger::Terminator && s >= from && s < to);
        let new_subject = (from + 1..to).any(|i| !self.in_concept[i] && NEW_SUBJECT.contains(&self.words[i]));
        ends || new_subject
    }

    /// The nearest trigger whose scope reaches the finding decides; at equal distance a denial wins.
    fn assertion(&self, s: usize, e: usize) -> Assertion {
        let sentence = self.tokens[s].sentence;
        let rank = |a: Assertion| [Assertion::Negated, Assertion::Hypothetical, Assertion::Historical, Assertion::Possible].iter().position(|x| *x == a);
        let mut best: Option<(usize, Option<usize>, Assertion)> = None;
        for &(ts, te, trigger) in &self.triggers {
            let Trigger::Sets { assertion, looks_back } = trigger else { continue };
            if self.tokens[ts].sentence != sentence {
                continue;
            }
            let (from, to) = if looks_back { (e, ts) } else { (te, s) };
            if (looks_back && ts < e) || (!looks_back && te > s) {
                continue;
            }
            let gap = self.distance(from, to);
            if gap > SCOPE || self.blocked(from, to) {
                continue;
            }
            let candidate = (gap, rank(assertion), assertion);
            if best.is_none_or(|b| (candidate.0, candidate.1) < (b.0, b.1)) {
                best = Some(candidate);
            }
        }
        best.map_or(Assertion::Present, |(_, _, a)| a)
    }

    /// Who each word's findings are about, read once left to right: the nearest cue before a finding
    /// decides. The call's subject or a third-person pronoun is the patient; another relative, or the
    /// caller's own "I" when calling about someone else, is not.
    fn experiencers(&self) -> Vec<Experiencer> {
        let mut relation_seen = false;
        let mut current = Experiencer::Patient;
        let mut before = Vec::with_capacity(self.words.len());
        for at in 0..self.words.len() {
            before.push(current);
            let word = self.words[at];
            if self.in_concept[at] {
                continue;
            }
            if word == "family" && self.words.get(at + 1).is_some_and(|w| *w == "history") {
                current = Experiencer::Other;
            } else if self.is_relation(at) {
                let is_subject = self.subject.as_deref().is_some_and(|subject| same_person(subject, word));
                relation_seen |= !is_subject;
                current = if is_subject { Experiencer::Patient } else { Experiencer::Other };
            } else if matches!(word, "my" | "our" | "her" | "his" | "their") && self.age_at(at + 1).is_some() {
                // "my 6 week old": the child, who is the subject when the call is about a child.
                let child = self.subject.as_deref().is_some_and(|s| same_person(s, "child"));
                current = if child { Experiencer::Patient } else { Experiencer::Other };
            } else if FIRST_PERSON.contains(&word) && self.words.get(at + 1).is_some_and(|w| self.knowledge.relations.contains(*w)) {
                // "my son": the relation that follows decides.
            } else if FIRST_PERSON.contains(&word) {
                current = if self.subject.is_some() { Experiencer::Other } else { Experiencer::Patient };
            } else if THIRD_PERSON.contains(&word) {
                // "She" is the patient in a call about someone, or in the agent's third-person note;
                // after the caller mentions a relative it is that relative.
                if self.subject.is_some() || !relation_seen {
                    current = Experiencer::Patient;
                }
            } else if PATIENT_WORDS.contains(&word) {
                current = Experiencer::Patient;
            }
        }
        before
    }
}

/// Relation words that name one person: "mom" and "mother", or a child however the caller says it.
fn same_person(a: &str, b: &str) -> bool {
    const GROUPS: &[&[&str]] = &[
        &["mom", "mother", "mum"],
        &["dad", "father"],
        &["grandma", "grandmother"],
        &["grandpa", "grandfather"],
        &["son", "daughter", "child", "kid", "boy", "girl", "toddler", "baby", "infant", "newborn", "twins"],
        &["husband", "wife", "partner", "boyfriend", "girlfriend", "fiance", "fiancee"],
    ];
    a == b || GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b))
}
