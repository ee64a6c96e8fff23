//! Context around each finding: is it asserted, denied, possible, past or hypothetical (NegEx-style
//! trigger scopes), and is it about the patient or someone else the caller mentions.

use crate::lexicon::{Knowledge, Trigger};
use crate::patterns::Said;
use crate::text::Token;
use crate::{evidence, modifiers, readings, Assertion, Experiencer, Finding};

/// How far a trigger reaches, in words that are not part of another finding.
const SCOPE: usize = 6;
/// How far a condition ("if ...", "what should I do if ...") reaches.
const CONDITION_SCOPE: usize = 16;

pub(crate) struct Reading<'a> {
    pub note: &'a str,
    pub tokens: &'a [Token],
    pub words: &'a [&'a str],
    pub stems: &'a [String],
    pub knowledge: &'a Knowledge,
    /// Concept matches: first word, end word, index into `knowledge.concepts`.
    pub concepts: Vec<(usize, usize, usize)>,
    /// The severity a reading's threshold gives its concept match, by the match's first word.
    reading_severity: Vec<(usize, String)>,
    /// Words inside a concept match.
    pub in_concept: Vec<bool>,
    /// Words inside a medication name ("baby aspirin" names no baby).
    in_medication: Vec<bool>,
    triggers: Vec<(usize, usize, Trigger)>,
    /// Words that anchor their sentence in the past ("two years ago", "in 2019"): first and end word.
    anchors: Vec<(usize, usize)>,
    /// The relation the call is about ("mom"), when the caller is not the patient.
    pub subject: Option<String>,
    /// The patient's age in months and in the caller's words.
    pub age: Option<(f64, String)>,
}

impl<'a> Reading<'a> {
    pub fn new(note: &'a str, tokens: &'a [Token], words: &'a [&'a str], stems: &'a [String], knowledge: &'a Knowledge) -> Reading<'a> {
        let said = Said { words, stems, tokens };
        // Everyday sayings ("confused about the bill") and the cue words of a reading ("temp 98.6") name
        // no finding; a reading past a threshold names its own.
        let idioms = knowledge.idioms.scan(&said);
        let found_readings = readings::find(knowledge, &said);
        // A medication's name names no finding inside it ("seizure medicine").
        let medication_names = knowledge.medications.scan(&said);
        let masked = |s: usize, e: usize| {
            idioms.iter().map(|(a, b, _)| (*a, *b)).chain(found_readings.iter().flat_map(|r| r.cues.iter().copied())).any(|(a, b)| s < b && a < e)
                || medication_names.iter().any(|(a, b, _)| *a <= s && e <= *b)
        };
        let matched: Vec<(usize, usize, usize, Vec<usize>)> =
            knowledge.concept_phrases.scan_with_gaps(&said).into_iter().filter(|(s, e, _, _)| !masked(*s, *e)).collect();
        let mut in_gap = vec![false; words.len()];
        for gap in matched.iter().flat_map(|(_, _, _, gaps)| gaps) {
            in_gap[*gap] = true;
        }
        let mut concepts: Vec<(usize, usize, usize)> = matched.into_iter().map(|(s, e, i, _)| (s, e, i)).collect();
        let mut reading_severity = Vec::new();
        for reading in &found_readings {
            if let Some((index, severity)) = &reading.finding {
                concepts.push((reading.start, reading.end, *index));
                reading_severity.extend(severity.clone().map(|s| (reading.start, s)));
            }
        }
        concepts.sort();
        let mut in_concept = vec![false; words.len()];
        for &(s, e, _) in &concepts {
            in_concept[s..e].iter_mut().for_each(|c| *c = true);
        }
        // A trigger among a finding's own words ("no wet diapers", "not breathing") is part of it; one
        // between its words ("the dog did not bite him") still denies it.
        let mut triggers: Vec<(usize, usize, Trigger)> =
            knowledge.triggers.scan(&said).into_iter().filter(|(s, e, _)| (*s..*e).all(|i| !in_concept[i] || in_gap[i])).collect();
        // "had a stroke in 2019", "in January": a year or a month looks back like "years ago".
        let year = |w: &str| w.len() == 4 && w.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y));
        let dated =
            (1..words.len()).filter(|&i| knowledge.grammar.is("in_words", words[i - 1]) && (year(words[i]) || knowledge.grammar.is("months", words[i])));
        let dated: Vec<(usize, usize)> = dated.map(|i| (i - 1, i + 1)).collect();
        triggers.extend(dated.iter().map(|&(s, e)| (s, e, Trigger::Sets { assertion: Assertion::Historical, looks_back: true })));
        let long_ago = knowledge.long_ago.scan(&said).into_iter().map(|(s, e, _)| (s, e));
        let anchors: Vec<(usize, usize)> = long_ago.chain(dated).filter(|&(s, e)| !in_concept[s..e].iter().any(|c| *c)).collect();
        let mut in_medication = vec![false; words.len()];
        for (s, e, _) in medication_names {
            in_medication[s..e].iter_mut().for_each(|c| *c = true);
        }
        let mut reading = Reading {
            note,
            tokens,
            words,
            stems,
            knowledge,
            concepts,
            reading_severity,
            in_concept,
            in_medication,
            triggers,
            anchors,
            subject: None,
            age: None,
        };
        reading.subject = reading.find_subject();
        reading.age = reading.find_age();
        reading
    }

    /// The note's words as the matchers see them.
    pub fn said(&self) -> Said<'_> {
        Said { words: self.words, stems: self.stems, tokens: self.tokens }
    }

    /// Whether `word` is in the grammar's list `name`.
    fn is(&self, name: &str, word: &str) -> bool {
        self.knowledge.grammar.is(name, word)
    }

    /// Whether the note speaks of a pregnancy or a recent birth.
    fn pregnant(&self) -> bool {
        self.concepts.iter().any(|&(_, _, i)| matches!(self.knowledge.concepts[i].id.as_str(), "pregnancy" | "postpartum"))
    }

    /// A relation word, or its possessive with the apostrophe dropped ("daughter's" is "daughters").
    fn is_relation(&self, at: usize) -> bool {
        let word = self.words[at];
        let relation = self.knowledge.relations.contains(word) || word.strip_suffix('s').is_some_and(|w| self.knowledge.relations.contains(w));
        !self.in_concept[at] && !self.in_medication[at] && relation
    }

    /// "Calling about my mom", "my son has a fever", "kid banged her head": the first relation the
    /// caller tells about, unless the caller spoke of themselves first ("I have a cough and my
    /// husband..."). A relation told about only in the past ("my dad had a heart attack") gives way when
    /// the caller then speaks of themselves ("I need a refill of my...").
    fn find_subject(&self) -> Option<String> {
        let words = self.words;
        for at in 0..words.len() {
            let word = words[at];
            if self.speaks_of_self(at) && !words[at..].iter().take(6).any(|w| self.is("third_person", w) || self.knowledge.relations.contains(*w)) {
                return None;
            }
            // "my 6 week old has a fever": the age stands for the child.
            if self.is("possessives", word)
                && self.age_at(at + 1).is_some_and(|(_, len)| words.get(at + 1 + len).is_none_or(|w| !self.knowledge.relations.contains(*w)))
            {
                return Some("child".to_string());
            }
            // In a pregnancy, "the baby" is the one not yet born, not the one the call is about.
            if !self.is_relation(at) || (self.pregnant() && self.is("young_child_words", word)) {
                continue;
            }
            let next = words.get(at + 1).copied().unwrap_or_default();
            if self.is("names_the_caller", next) {
                continue; // "Mom calling about..." names the caller.
            }
            let before = &words[at.saturating_sub(4)..at];
            // "my son", "the baby", "6 week old son", "15 y/o son".
            let aged = (at.saturating_sub(4)..at).any(|i| self.knowledge.grammar.number_value(words[i]).is_some());
            let owned = before.last().is_some_and(|w| self.is("owners", w)) || before.iter().any(|w| self.is("age_after", w)) || aged || at < 2;
            let about = before.iter().any(|w| self.is("about_words", w));
            let told = words[at + 1..].iter().take(3).position(|w| self.is("telling_verbs", w));
            let only_past = told.is_some_and(|i| self.is("past_telling", words[at + 1 + i])) && !about;
            if only_past && (at + 1..words.len()).any(|i| self.speaks_of_self(i)) {
                continue;
            }
            if (owned || about) && (about || told.is_some() || at < 6) {
                return Some(word.to_string());
            }
        }
        None
    }

    /// "I have", "I'm having", "I feel", "I need": the caller speaking of themselves.
    fn speaks_of_self(&self, at: usize) -> bool {
        self.is("self_words", self.words[at]) && self.words.get(at + 1).is_some_and(|w| self.is("self_verbs", w))
    }

    /// An age said at word `at` ("6 week old", "2 yo"): months and its length in words.
    fn age_at(&self, at: usize) -> Option<(f64, usize)> {
        let words = self.words;
        let n = self.knowledge.grammar.number_value(words.get(at)?).filter(|_| !self.is("one_words", words[at]))?;
        let unit = words.get(at + 1).copied().unwrap_or_default();
        let months = if self.is("age_days", unit) {
            n / 30.0
        } else if self.is("age_weeks", unit) {
            n / 4.3
        } else if self.is("age_months", unit) {
            n
        } else if self.is("age_years", unit) {
            n * 12.0
        } else {
            return None;
        };
        // "2 yo", "6 week old", "10 wk infant", "she's 8 months", "de 6 semanas"; not "6 weeks pregnant".
        let after = words.get(at + 2).copied().unwrap_or_default();
        if self.is("not_onset_after", after) && !self.is("age_after", after) {
            None
        } else if self.is("age_abbreviations", unit) || self.knowledge.relations.contains(after) {
            Some((months, 2))
        } else if self.is("age_after", after) {
            Some((months, 3))
        } else if at > 0 && self.is("age_before", words[at - 1]) {
            Some((months, 2))
        } else {
            None
        }
    }

    /// "she is 4", "my son is 17": a bare number after "is" is years.
    fn age_in_years_at(&self, at: usize) -> Option<f64> {
        let words = self.words;
        let before = words.get(at.checked_sub(2)?..at)?;
        let n: f64 = words[at].parse().ok()?;
        let subject = self.is("third_person", before[0]) || self.knowledge.relations.contains(before[0]);
        let unit_follows = words.get(at + 1).is_some_and(|w| self.is("time_or_dose", w));
        (self.is("age_is", before[1]) && subject && !unit_follows && n.fract() == 0.0 && n < 120.0).then_some(n * 12.0)
    }

    /// The patient's age: the first one said, or "newborn".
    fn find_age(&self) -> Option<(f64, String)> {
        (0..self.words.len()).find_map(|at| match self.knowledge.grammar.phrase_at("newborn", &self.words[at..]) {
            Some(len) => Some((0.5, evidence(self.note, self.tokens, at, at + len).text)),
            None => self
                .age_at(at)
                .map(|(months, len)| (months, evidence(self.note, self.tokens, at, at + len).text))
                .or_else(|| self.age_in_years_at(at).map(|months| (months, format!("{} years", self.words[at])))),
        })
    }

    pub fn under_5(&self) -> bool {
        match &self.age {
            Some((months, _)) => *months < 60.0,
            None => {
                self.subject.as_deref().is_some_and(|s| self.is("young_child_words", s))
                    || self.words.iter().any(|w| self.is("young_child_words", w)) && self.subject.is_some()
            }
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
                assertion: match (self.assertion(s, e), experiencers[s]) {
                    (Assertion::Present, (Experiencer::Other, true)) => Assertion::Historical,
                    (assertion, _) => assertion,
                },
                experiencer: experiencers[s].0,
                onset: modifiers.onset_for(self, i),
                severity: self.reading_severity.iter().find(|(at, _)| *at == s).map(|(_, level)| level.clone()).or_else(|| modifiers.severity_for(self, i)),
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
    /// Only a terminator ends a condition's scope ("if I ever lose my vision or get numbness").
    fn ended(&self, from: usize, to: usize) -> bool {
        self.triggers.iter().any(|&(s, _, t)| t == Trigger::Terminator && s >= from && s < to)
    }

    fn blocked(&self, from: usize, to: usize) -> bool {
        let ends = self.triggers.iter().any(|&(s, _, t)| t == Trigger::Terminator && s >= from && s < to);
        let new_subject = (from + 1..to).any(|i| !self.in_concept[i] && self.is("new_subject", self.words[i]));
        ends || new_subject
    }

    /// The nearest trigger whose scope reaches the finding decides; at equal distance a denial wins.
    pub fn assertion(&self, s: usize, e: usize) -> Assertion {
        let inside = |&&(ts, te, t): &&(usize, usize, Trigger)| ts > s && te < e && matches!(t, Trigger::Sets { assertion: Assertion::Negated, .. });
        if self.triggers.iter().any(|t| inside(&t)) {
            return Assertion::Negated;
        }
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
            // A trigger after its finding ("went away", "stopped") belongs to the nearest one only:
            // "two wounds, the bleeding stopped" denies the bleeding, not the wounds.
            if looks_back && self.concepts.iter().any(|&(cs, _, _)| cs >= e && cs < ts) {
                continue;
            }
            let gap = self.distance(from, to);
            // "If she gets floppy or her skin goes blotchy": a condition reaches to its clause's end.
            let conditional = assertion == Assertion::Hypothetical && !looks_back;
            let (scope, blocked) = if conditional { (CONDITION_SCOPE, self.ended(from, to)) } else { (SCOPE, self.blocked(from, to)) };
            if gap > scope || blocked {
                continue;
            }
            let candidate = (gap, rank(assertion), assertion);
            if best.is_none_or(|b| (candidate.0, candidate.1) < (b.0, b.1)) {
                best = Some(candidate);
            }
        }
        match best {
            Some((_, _, assertion)) => assertion,
            None if self.anchored_in_the_past(s, e) => Assertion::Historical,
            None => Assertion::Present,
        }
    }

    /// A sentence anchored in the past ("two years ago", "in 2019", "as a kid") tells of the past, up
    /// to a word of the present ("now", "again", "is", "he's"): "I had sepsis two years ago, I was
    /// confused" is history; "... and now he is confused" is not.
    fn anchored_in_the_past(&self, s: usize, e: usize) -> bool {
        let sentence = self.tokens[s].sentence;
        self.anchors.iter().filter(|&&(a, _)| self.tokens[a].sentence == sentence).any(|&(a, b)| {
            let (from, to) = if b <= s { (b, s) } else { (e, a) };
            from <= to && !(from..to).any(|i| self.is("present_cues", self.words[i]))
        })
    }

    /// Who each word's findings are about, read once left to right: the nearest cue before a finding
    /// decides. The call's subject or a third-person pronoun is the patient; another relative, or the
    /// caller's own "I" when calling about someone else, is not.
    /// With each word, whether it follows someone else told of only in the past ("my brother tried to
    /// kill himself last week", "my husband was admitted for vomiting blood"): what is said of them is
    /// their history.
    fn experiencers(&self) -> Vec<(Experiencer, bool)> {
        let mut relation_seen = false;
        let mut current = Experiencer::Patient;
        let mut past = false;
        let mut before = Vec::with_capacity(self.words.len());
        for at in 0..self.words.len() {
            before.push((current, past && current == Experiencer::Other));
            let word = self.words[at];
            if self.in_concept[at] {
                continue;
            }
            if self.knowledge.grammar.phrase_at("family_history", &self.words[at..]).is_some() {
                current = Experiencer::Other;
            } else if self.is_relation(at) && self.knowledge.relations.contains(word) {
                // A possessive ("mom's purse") names no one who has the finding; the relation itself does.
                let is_subject = self.subject.as_deref().is_some_and(|subject| same_person(subject, word));
                relation_seen |= !is_subject;
                current = if is_subject { Experiencer::Patient } else { Experiencer::Other };
                past = self.words[at + 1..].iter().take(3).any(|w| self.is("past_telling", w));
            } else if self.is("possessives", word) && self.age_at(at + 1).is_some() {
                // "my 6 week old": the child, who is the subject when the call is about a child.
                let child = self.subject.as_deref().is_some_and(|s| same_person(s, "child"));
                current = if child { Experiencer::Patient } else { Experiencer::Other };
            } else if self.is("first_person", word) && self.words.get(at + 1).is_some_and(|w| self.knowledge.relations.contains(*w)) {
                // "my son": the relation that follows decides.
            } else if self.is("first_person", word) {
                // In a call about someone else, the caller speaking of themselves ("I have", "I'm")
                // is someone else; "I noticed", "I took his temp" and "my mom's purse" change nothing.
                if self.subject.is_none() {
                    current = Experiencer::Patient;
                } else if self.speaks_of_self(at) {
                    current = Experiencer::Other;
                }
            } else if self.is("third_person", word) {
                // "She" is the patient in a call about someone, or in the agent's third-person note;
                // after the caller mentions a relative it is that relative.
                if self.subject.is_some() || !relation_seen {
                    current = Experiencer::Patient;
                }
            } else if self.is("patient_words", word) {
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
