//! The knowledge files (`data/lexicon.toml`, `data/red_flags.toml`) loaded into phrase matchers.

use crate::text::{phrase_words, Token};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LexiconFile {
    plain_words: Vec<String>,
    relations: Vec<String>,
    assertion: AssertionEntry,
    severity: HashMap<String, Vec<String>>,
    site: Vec<SiteEntry>,
    site_concepts: HashMap<String, String>,
    concept: Vec<ConceptEntry>,
    medication: Vec<MedicationEntry>,
    frequency: Vec<FrequencyEntry>,
    reasons: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssertionEntry {
    negated_before: Vec<String>,
    negated_after: Vec<String>,
    possible_before: Vec<String>,
    possible_after: Vec<String>,
    hypothetical_before: Vec<String>,
    historical_before: Vec<String>,
    historical_after: Vec<String>,
    terminators: Vec<String>,
}

/// What a trigger phrase does to the findings in its scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Sets the assertion of findings after it (`looks_back` false) or before it.
    Sets { assertion: crate::Assertion, looks_back: bool },
    /// Ends every scope.
    Terminator,
}

impl AssertionEntry {
    fn triggers(&self) -> impl Iterator<Item = (String, Trigger)> + '_ {
        use crate::Assertion::*;
        let ahead = |assertion| Trigger::Sets { assertion, looks_back: false };
        let back = |assertion| Trigger::Sets { assertion, looks_back: true };
        [
            (&self.negated_before, ahead(Negated)),
            (&self.negated_after, back(Negated)),
            (&self.possible_before, ahead(Possible)),
            (&self.possible_after, back(Possible)),
            (&self.hypothetical_before, ahead(Hypothetical)),
            (&self.historical_before, ahead(Historical)),
            (&self.historical_after, back(Historical)),
            (&self.terminators, Trigger::Terminator),
        ]
        .into_iter()
        .flat_map(|(phrases, trigger)| phrases.iter().map(move |p| (p.clone(), trigger)))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteEntry {
    name: String,
    phrases: Vec<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConceptEntry {
    pub id: String,
    pub label: String,
    /// `problem` for a condition the patient has (diabetes, pregnancy); otherwise a symptom.
    #[serde(default)]
    pub kind: Option<String>,
    /// The body site the concept carries in its name ("chest pain").
    #[serde(default)]
    pub site: Option<String>,
    phrases: Vec<String>,
}

impl ConceptEntry {
    pub fn is_problem(&self) -> bool {
        self.kind.as_deref() == Some("problem")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MedicationEntry {
    name: String,
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrequencyEntry {
    value: String,
    phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedFlagFile {
    pub emergency_script: Vec<String>,
    pub rule: Vec<RedFlagRule>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RedFlagRule {
    pub id: String,
    pub title: String,
    pub urgency: crate::Urgency,
    pub citation: String,
    pub needs: Vec<Vec<String>>,
    #[serde(default)]
    pub context: Vec<String>,
    #[serde(default)]
    pub with_medication: Vec<String>,
    pub fires: Vec<String>,
    pub quiet: Vec<String>,
}

/// Phrases of several words, matched longest first at a token.
pub struct PhraseSet<T> {
    by_first: HashMap<String, Vec<(Vec<String>, T)>>,
}

impl<T: Clone> PhraseSet<T> {
    fn new(entries: impl IntoIterator<Item = (String, T)>) -> Self {
        let mut by_first: HashMap<String, Vec<(Vec<String>, T)>> = HashMap::new();
        for (phrase, value) in entries {
            let words = phrase_words(&phrase);
            if let Some(first) = words.first() {
                by_first.entry(first.clone()).or_default().push((words, value));
            }
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        }
        PhraseSet { by_first }
    }

    /// The longest phrase starting at word `at`, as (number of note words it spans, value).
    pub fn longest_at(&self, words: &[&str], at: usize) -> Option<(usize, &T)> {
        let candidates = self.by_first.get(words[at])?;
        candidates.iter().find_map(|(phrase, value)| matched_len(phrase, &words[at..]).map(|len| (len, value)))
    }

    /// Every match, scanning left to right and skipping over what matched.
    pub fn scan(&self, words: &[&str]) -> Vec<(usize, usize, T)> {
        let mut found = Vec::new();
        let mut at = 0;
        while at < words.len() {
            match self.longest_at(words, at) {
                Some((len, value)) => {
                    found.push((at, at + len, value.clone()));
                    at += len;
                }
                None => at += 1,
            }
        }
        found
    }

    fn words(&self) -> impl Iterator<Item = &String> {
        self.by_first.values().flatten().flat_map(|(words, _)| words)
    }
}

/// Words a caller puts inside a phrase without changing what it names: "can't move her *left* arm".
const INSERTABLE: &[&str] = &["left", "right", "both", "really", "very", "so", "just"];

/// How many note words `phrase` spans at the start of `words`, allowing up to two insertable words
/// after its first word.
fn matched_len(phrase: &[String], words: &[&str]) -> Option<usize> {
    let (mut at, mut inserted) = (0, 0);
    for (n, wanted) in phrase.iter().enumerate() {
        loop {
            let word = *words.get(at)?;
            at += 1;
            if word == wanted {
                break;
            }
            if n == 0 || inserted == 2 || !INSERTABLE.contains(&word) {
                return None;
            }
            inserted += 1;
        }
    }
    Some(at)
}

/// Everything the extractor knows, compiled once.
pub struct Knowledge {
    pub concepts: Vec<ConceptEntry>,
    pub concept_phrases: PhraseSet<usize>,
    pub sites: PhraseSet<String>,
    pub site_concepts: HashMap<String, String>,
    pub medications: PhraseSet<String>,
    pub frequencies: PhraseSet<String>,
    pub reasons: PhraseSet<String>,
    pub triggers: PhraseSet<Trigger>,
    pub severities: PhraseSet<String>,
    pub relations: HashSet<String>,
    pub rules: Vec<RedFlagRule>,
    pub emergency_script: Vec<String>,
    /// Lexicon words of five letters or more, by first letter, for near-miss spellings.
    fuzzy: HashMap<char, Vec<String>>,
    exact: HashSet<String>,
    plain: HashSet<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("intake knowledge file {file}: {problem}")]
pub struct KnowledgeError {
    pub file: String,
    pub problem: String,
}

impl Knowledge {
    /// The knowledge files built into the binary.
    pub fn builtin() -> &'static Knowledge {
        static BUILTIN: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(|| {
            Knowledge::parse(include_str!("../data/lexicon.toml"), include_str!("../data/red_flags.toml")).expect("the built-in intake knowledge files are valid")
        })
    }

    pub fn parse(lexicon: &str, red_flags: &str) -> Result<Knowledge, KnowledgeError> {
        let fail = |file: &str, problem: String| KnowledgeError { file: file.into(), problem };
        let lexicon: LexiconFile = toml::from_str(lexicon).map_err(|e| fail("lexicon.toml", e.to_string()))?;
        let flags: RedFlagFile = toml::from_str(red_flags).map_err(|e| fail("red_flags.toml", e.to_string()))?;
        let known: HashSet<&str> = lexicon.concept.iter().map(|c| c.id.as_str()).collect();
        for rule in &flags.rule {
            if let Some(unknown) = rule.needs.iter().flatten().find(|c| !known.contains(c.as_str())) {
                return Err(fail("red_flags.toml", format!("rule `{}` needs unknown concept `{unknown}`", rule.id)));
            }
            if let Some(unknown) = rule.context.iter().find(|c| !["pregnant", "under_5", "young_infant"].contains(&c.as_str())) {
                return Err(fail("red_flags.toml", format!("rule `{}` has unknown context `{unknown}`", rule.id)));
            }
        }
        for target in lexicon.site_concepts.values() {
            if !known.contains(target.as_str()) {
                return Err(fail("lexicon.toml", format!("site_concepts names unknown concept `{target}`")));
            }
        }
        let concept_phrases = PhraseSet::new(lexicon.concept.iter().enumerate().flat_map(|(i, c)| c.phrases.iter().map(move |p| (p.clone(), i))));
        let sites = PhraseSet::new(lexicon.site.iter().flat_map(|s| s.phrases.iter().map(|p| (p.clone(), s.name.clone()))));
        let medications = PhraseSet::new(lexicon.medication.iter().flat_map(|m| m.aliases.iter().map(|a| (a.clone(), m.name.clone()))));
        let frequencies = PhraseSet::new(lexicon.frequency.iter().flat_map(|f| f.phrases.iter().map(|p| (p.clone(), f.value.clone()))));
        let reasons = PhraseSet::new(lexicon.reasons.iter().flat_map(|(reason, phrases)| phrases.iter().map(|p| (p.clone(), reason.clone()))));
        let triggers = PhraseSet::new(lexicon.assertion.triggers());
        let severities = PhraseSet::new(lexicon.severity.iter().flat_map(|(level, phrases)| phrases.iter().map(|p| (p.clone(), level.clone()))));
        let mut exact: HashSet<String> = HashSet::new();
        exact.extend(concept_phrases.words().cloned());
        exact.extend(sites.words().cloned());
        exact.extend(medications.words().cloned());
        exact.extend(frequencies.words().cloned());
        exact.extend(reasons.words().cloned());
        exact.extend(triggers.words().cloned());
        exact.extend(severities.words().cloned());
        let plain: HashSet<String> = lexicon.plain_words.into_iter().chain(lexicon.relations.iter().cloned()).collect();
        let mut fuzzy: HashMap<char, Vec<String>> = HashMap::new();
        for word in exact.iter().filter(|w| w.len() >= 5 && w.chars().all(char::is_alphabetic)) {
            fuzzy.entry(word.chars().next().unwrap_or(' ')).or_default().push(word.clone());
        }
        for list in fuzzy.values_mut() {
            list.sort();
        }
        Ok(Knowledge {
            concepts: lexicon.concept,
            concept_phrases,
            sites,
            site_concepts: lexicon.site_concepts,
            medications,
            frequencies,
            reasons,
            triggers,
            severities,
            relations: lexicon.relations.into_iter().collect(),
            rules: flags.rule,
            emergency_script: flags.emergency_script,
            fuzzy,
            exact,
            plain,
        })
    }

    /// The lexicon word a note's word stands for: itself, or the lexicon word one typo away
    /// ("brething" is "breathing"); everyday words are never changed.
    pub fn canonical<'a>(&'a self, token: &'a Token) -> &'a str {
        let word = token.norm.as_str();
        if word.len() < 5 || self.exact.contains(word) || self.plain.contains(word) || !word.chars().all(char::is_alphabetic) {
            return word;
        }
        let limit = if word.len() >= 8 { 2 } else { 1 };
        let Some(candidates) = word.chars().next().and_then(|c| self.fuzzy.get(&c)) else { return word };
        candidates
            .iter()
            .filter(|c| c.len().abs_diff(word.len()) <= limit)
            .map(|c| (strsim::osa_distance(c, word), c))
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, _)| *d)
            .map_or(word, |(_, c)| c.as_str())
    }
}
