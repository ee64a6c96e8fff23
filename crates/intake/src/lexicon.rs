//! The knowledge files (`data/lexicon.toml`, `data/red_flags.toml`) loaded into phrase matchers.

use crate::patterns::PhraseSet;
use crate::text::{phrase_words, Token};
use rust_stemmers::{Algorithm, Stemmer};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LexiconFile {
    grammar: GrammarFile,
    plain_words: Vec<String>,
    /// Everyday sayings whose words name no finding: "confused about the bill", "sick of waiting".
    #[serde(default)]
    idioms: Vec<String>,
    /// Words that say a call is about a clinical matter even when no finding is understood.
    #[serde(default)]
    clinical_words: Vec<String>,
    relations: Vec<String>,
    assertion: AssertionEntry,
    severity: HashMap<String, Vec<String>>,
    site: Vec<SiteEntry>,
    site_concepts: HashMap<String, String>,
    concept: Vec<ConceptEntry>,
    #[serde(default)]
    medication: Vec<MedicationEntry>,
    frequency: Vec<FrequencyEntry>,
    reasons: HashMap<String, Vec<String>>,
}

/// The `[grammar]` table: word lists, each read into a set (unknown lists are refused in `Grammar::new`).
#[derive(Deserialize)]
struct GrammarFile {
    language: String,
    #[serde(flatten)]
    lists: HashMap<String, Vec<String>>,
}

/// The small words of one language that the reading of context relies on (see `[grammar]`).
pub struct Grammar {
    pub language: String,
    lists: HashMap<String, HashSet<String>>,
    /// Counts as words, by value.
    number_words: Vec<String>,
    /// Multi-word lists, as phrases: "family history", "all of a sudden".
    phrases: HashMap<String, Vec<Vec<String>>>,
}

/// Every list a `[grammar]` table must have.
const GRAMMAR_LISTS: &[&str] = &[
    "fillers",
    "clause_openers",
    "first_person",
    "third_person",
    "patient_words",
    "telling_verbs",
    "past_telling",
    "new_subject",
    "possessives",
    "owners",
    "names_the_caller",
    "self_words",
    "self_verbs",
    "about_words",
    "time_or_dose",
    "age_is",
    "age_after",
    "age_before",
    "age_days",
    "age_weeks",
    "age_months",
    "age_years",
    "age_abbreviations",
    "young_child_words",
    "newborn",
    "family_history",
    "number_words",
    "vague_counts",
    "time_units",
    "when_words",
    "part_of_day",
    "dose_units",
    "since_words",
    "for_words",
    "ago_words",
    "this_words",
    "sudden_phrases",
    "approximators",
    "count_joiners",
    "not_onset_before",
    "not_onset_after",
    "one_words",
    "present_cues",
    "in_words",
    "months",
];

/// The `[grammar]` lists read as phrases; every other list is read one word at a time.
const PHRASE_LISTS: &[&str] = &["family_history", "sudden_phrases", "newborn"];

impl Grammar {
    fn new(file: GrammarFile) -> Result<Grammar, String> {
        if let Some(missing) = GRAMMAR_LISTS.iter().find(|l| !file.lists.contains_key(**l)) {
            return Err(format!("[grammar] needs `{missing}`"));
        }
        if let Some(unknown) = file.lists.keys().find(|k| !GRAMMAR_LISTS.contains(&k.as_str())) {
            return Err(format!("[grammar] has an unknown list `{unknown}`"));
        }
        // A list read word by word would never match an entry of several words.
        for (name, list) in file.lists.iter().filter(|(name, _)| !PHRASE_LISTS.contains(&name.as_str())) {
            if let Some(phrase) = list.iter().find(|w| phrase_words(w).len() > 1) {
                return Err(format!("[grammar] {name}: `{phrase}` is several words; only {} take phrases", PHRASE_LISTS.join(", ")));
            }
        }
        let phrases = file
            .lists
            .iter()
            .filter(|(name, _)| PHRASE_LISTS.contains(&name.as_str()))
            .map(|(name, list)| (name.clone(), list.iter().map(|p| phrase_words(p)).collect()))
            .collect();
        let number_words = file.lists["number_words"].clone();
        let lists = file.lists.into_iter().map(|(name, list)| (name, list.into_iter().collect())).collect();
        Ok(Grammar { language: file.language, lists, number_words, phrases })
    }

    /// Whether `word` is in the list `name` (one of `GRAMMAR_LISTS`).
    pub fn is(&self, name: &str, word: &str) -> bool {
        self.lists.get(name).is_some_and(|l| l.contains(word))
    }

    /// The length of a phrase of list `name` said at the start of `words`.
    pub fn phrase_at(&self, name: &str, words: &[&str]) -> Option<usize> {
        self.phrases.get(name)?.iter().find(|p| !p.is_empty() && words.len() >= p.len() && p.iter().zip(words).all(|(a, b)| a == b)).map(Vec::len)
    }

    /// A count said as a word or a number ("two", "an", "a few", "2", "1.5").
    pub fn number_value(&self, word: &str) -> Option<f64> {
        if let Some(n) = self.number_words.iter().position(|w| w == word) {
            return Some(n as f64);
        }
        if self.is("one_words", word) {
            return Some(1.0);
        }
        if self.is("vague_counts", word) {
            return Some(3.0);
        }
        crate::text::number_value(word)
    }
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
    /// Given in the English lexicon; a translation takes it from there.
    #[serde(default)]
    pub label: String,
    /// The translation's own label, for a staff summary in that language.
    #[serde(skip)]
    pub local_label: Option<String>,
    /// `problem` for a condition the patient has (diabetes, pregnancy); otherwise a symptom.
    #[serde(default)]
    pub kind: Option<String>,
    /// The body site the concept carries in its name ("chest pain").
    #[serde(default)]
    pub site: Option<String>,
    /// A minor, self-limiting complaint (a cold, a runny nose): alone and with no red flag, routine.
    #[serde(default)]
    pub minor: bool,
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
    #[serde(default)]
    pub reading: Vec<crate::readings::ReadingEntry>,
    #[serde(default)]
    pub questions: Vec<crate::questions::QuestionEntry>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RedFlagRule {
    pub id: String,
    pub title: String,
    /// The title in Spanish, for a staff summary in Spanish.
    pub title_es: String,
    pub urgency: crate::Urgency,
    pub citation: String,
    pub needs: Vec<Vec<String>>,
    #[serde(default)]
    pub context: Vec<String>,
    #[serde(default)]
    pub with_medication: Vec<String>,
    /// The finding of the first group must be at least this severe (mild, moderate, severe).
    #[serde(default)]
    pub min_severity: Option<String>,
    /// The finding of the first group must have gone on at least this many days.
    #[serde(default)]
    pub min_days: Option<f64>,
    pub fires: Vec<String>,
    pub quiet: Vec<String>,
    /// The same checks in Spanish.
    #[serde(default)]
    pub fires_es: Vec<String>,
    #[serde(default)]
    pub quiet_es: Vec<String>,
}

/// Everything the extractor knows of one language, compiled once.
pub struct Knowledge {
    pub language: Language,
    pub grammar: Grammar,
    pub stemmer: Stemmer,
    pub concepts: Vec<ConceptEntry>,
    pub concept_phrases: PhraseSet<usize>,
    pub idioms: PhraseSet<()>,
    pub clinical_words: PhraseSet<()>,
    pub sites: PhraseSet<String>,
    pub site_concepts: HashMap<String, String>,
    pub medications: PhraseSet<String>,
    pub frequencies: PhraseSet<String>,
    pub reasons: PhraseSet<String>,
    pub triggers: PhraseSet<Trigger>,
    /// The historical triggers that anchor a whole sentence in the past ("years ago", "as a kid").
    pub long_ago: PhraseSet<()>,
    pub severities: PhraseSet<String>,
    pub relations: HashSet<String>,
    pub rules: Vec<RedFlagRule>,
    pub readings: Vec<crate::readings::ReadingRule>,
    pub questions: Vec<crate::questions::QuestionSet>,
    pub emergency_script: Vec<String>,
    /// Lexicon words of three letters or more, by first letter, for near-miss spellings.
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

/// The languages the assistant reads, each with its built-in lexicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Language {
    En,
    Es,
}

const RED_FLAGS: &str = include_str!("../data/red_flags.toml");
const LEXICON_EN: &str = include_str!("../data/lexicon.toml");
const LEXICON_ES: &str = include_str!("../data/lexicon.es.toml");

impl Knowledge {
    /// The English knowledge built into the binary.
    pub fn builtin() -> &'static Knowledge {
        Knowledge::builtin_for(Language::En)
    }

    /// The built-in knowledge of one language.
    pub fn builtin_for(language: Language) -> &'static Knowledge {
        static EN: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
        static ES: std::sync::OnceLock<Knowledge> = std::sync::OnceLock::new();
        match language {
            Language::En => EN.get_or_init(|| Knowledge::parse(LEXICON_EN, RED_FLAGS).expect("the built-in English intake knowledge is valid")),
            Language::Es => {
                ES.get_or_init(|| Knowledge::parse_translation(LEXICON_EN, LEXICON_ES, RED_FLAGS).expect("the built-in Spanish intake knowledge is valid"))
            }
        }
    }

    pub fn parse(lexicon: &str, red_flags: &str) -> Result<Knowledge, KnowledgeError> {
        let lexicon: LexiconFile = toml::from_str(lexicon).map_err(|e| fail("lexicon.toml", e.to_string()))?;
        Knowledge::compile(lexicon, red_flags, "lexicon.toml")
    }

    /// Another language's lexicon over the English one: the concepts keep their English ids, labels and
    /// sites and take the translation's phrases; the medications take both files' names.
    pub fn parse_translation(base: &str, translation: &str, red_flags: &str) -> Result<Knowledge, KnowledgeError> {
        let base: LexiconFile = toml::from_str(base).map_err(|e| fail("lexicon.toml", e.to_string()))?;
        let mut lexicon: LexiconFile = toml::from_str(translation).map_err(|e| fail("lexicon.es.toml", e.to_string()))?;
        let mut translated: HashMap<String, ConceptEntry> = HashMap::new();
        for concept in lexicon.concept.drain(..) {
            if !base.concept.iter().any(|c| c.id == concept.id) {
                return Err(fail("lexicon.es.toml", format!("concept `{}` is not in the English lexicon", concept.id)));
            }
            translated.insert(concept.id.clone(), concept);
        }
        lexicon.concept = base
            .concept
            .into_iter()
            .map(|c| match translated.remove(&c.id) {
                Some(t) => ConceptEntry { phrases: t.phrases, local_label: Some(t.label).filter(|l| !l.is_empty()), ..c },
                None => ConceptEntry { phrases: Vec::new(), ..c },
            })
            .collect();
        lexicon.medication.extend(base.medication);
        Knowledge::compile(lexicon, red_flags, "lexicon.es.toml")
    }

    fn compile(lexicon: LexiconFile, red_flags: &str, file: &str) -> Result<Knowledge, KnowledgeError> {
        let flags: RedFlagFile = toml::from_str(red_flags).map_err(|e| fail("red_flags.toml", e.to_string()))?;
        let grammar = Grammar::new(lexicon.grammar).map_err(|e| fail(file, e))?;
        let (language, stemmer) = match grammar.language.as_str() {
            "en" => (Language::En, Stemmer::create(Algorithm::English)),
            "es" => (Language::Es, Stemmer::create(Algorithm::Spanish)),
            other => return Err(fail(file, format!("[grammar] language `{other}` has no stemmer (en, es)"))),
        };
        if let Some(relation) = lexicon.relations.iter().find(|r| phrase_words(r).len() > 1) {
            return Err(fail(file, format!("relations: `{relation}` is several words; a relation is one word")));
        }
        if let Some(unlabelled) = lexicon.concept.iter().find(|c| c.label.trim().is_empty()) {
            return Err(fail(file, format!("concept `{}` needs a label", unlabelled.id)));
        }
        let known: HashSet<&str> = lexicon.concept.iter().map(|c| c.id.as_str()).collect();
        for rule in &flags.rule {
            if let Some(unknown) = rule.needs.iter().flatten().find(|c| !known.contains(c.as_str())) {
                return Err(fail("red_flags.toml", format!("rule `{}` needs unknown concept `{unknown}`", rule.id)));
            }
            if let Some(unknown) = rule.context.iter().find(|c| !["pregnant", "postpartum", "under_5", "young_infant"].contains(&c.as_str())) {
                return Err(fail("red_flags.toml", format!("rule `{}` has unknown context `{unknown}`", rule.id)));
            }
        }
        let readings = crate::readings::compile(&flags.reading, &known).map_err(|e| fail("red_flags.toml", e))?;
        let questions = crate::questions::compile(&flags.questions, &known).map_err(|e| fail("red_flags.toml", e))?;
        for target in lexicon.site_concepts.values() {
            if !known.contains(target.as_str()) {
                return Err(fail(file, format!("site_concepts names unknown concept `{target}`")));
            }
        }
        let fillers: HashSet<String> = grammar.lists["fillers"].clone();
        let none = HashSet::new();
        let stems = Some(&stemmer);
        let mut errors = Vec::new();
        let concept_phrases =
            PhraseSet::new(lexicon.concept.iter().enumerate().flat_map(|(i, c)| c.phrases.iter().map(move |p| (p.clone(), i))), stems, &fillers, &mut errors);
        let idioms = PhraseSet::new(lexicon.idioms.iter().map(|p| (p.clone(), ())), None, &none, &mut errors);
        let clinical_words = PhraseSet::new(lexicon.clinical_words.iter().map(|p| (p.clone(), ())), stems, &none, &mut errors);
        let sites = PhraseSet::new(lexicon.site.iter().flat_map(|s| s.phrases.iter().map(|p| (p.clone(), s.name.clone()))), stems, &none, &mut errors);
        let medications =
            PhraseSet::new(lexicon.medication.iter().flat_map(|m| m.aliases.iter().map(|a| (a.clone(), m.name.clone()))), None, &none, &mut errors);
        let frequencies =
            PhraseSet::new(lexicon.frequency.iter().flat_map(|f| f.phrases.iter().map(|p| (p.clone(), f.value.clone()))), None, &none, &mut errors);
        let reasons = PhraseSet::new(
            lexicon.reasons.iter().flat_map(|(reason, phrases)| phrases.iter().map(|p| (p.clone(), reason.clone()))),
            stems,
            &fillers,
            &mut errors,
        );
        let triggers = PhraseSet::new(lexicon.assertion.triggers(), None, &none, &mut errors);
        let long_ago = PhraseSet::new(lexicon.assertion.historical_after.iter().map(|p| (p.clone(), ())), None, &none, &mut errors);
        let severities =
            PhraseSet::new(lexicon.severity.iter().flat_map(|(level, phrases)| phrases.iter().map(|p| (p.clone(), level.clone()))), None, &none, &mut errors);
        if let Some(problem) = errors.into_iter().next() {
            return Err(fail(file, problem));
        }
        let mut exact: HashSet<String> = HashSet::new();
        exact.extend(concept_phrases.words().cloned());
        exact.extend(sites.words().cloned());
        exact.extend(medications.words().cloned());
        exact.extend(frequencies.words().cloned());
        exact.extend(reasons.words().cloned());
        exact.extend(triggers.words().cloned());
        exact.extend(severities.words().cloned());
        exact.extend(idioms.words().cloned());
        exact.extend(clinical_words.words().cloned());
        exact.extend(long_ago.words().cloned());
        let plain: HashSet<String> =
            lexicon.plain_words.into_iter().chain(lexicon.relations.iter().cloned()).chain(grammar.lists.values().flatten().cloned()).collect();
        let mut fuzzy: HashMap<char, Vec<String>> = HashMap::new();
        for word in exact.iter().filter(|w| w.len() >= 3 && w.chars().all(char::is_alphabetic)) {
            fuzzy.entry(word.chars().next().unwrap_or(' ')).or_default().push(word.clone());
        }
        for list in fuzzy.values_mut() {
            list.sort();
        }
        Ok(Knowledge {
            language,
            grammar,
            stemmer,
            concepts: lexicon.concept,
            concept_phrases,
            idioms,
            clinical_words,
            sites,
            site_concepts: lexicon.site_concepts,
            medications,
            frequencies,
            reasons,
            triggers,
            long_ago,
            severities,
            relations: lexicon.relations.into_iter().collect(),
            rules: flags.rule,
            readings,
            questions,
            emergency_script: flags.emergency_script,
            fuzzy,
            exact,
            plain,
        })
    }

    /// The lexicon word a note's word stands for: itself, or the lexicon word a typo away. Words of five
    /// letters or more take the nearest word one edit away (two for eight letters or more); shorter ones
    /// only an unambiguous slip: a letter doubled or not ("pils" is "pills").
    /// Everyday words are never changed.
    pub fn canonical<'a>(&'a self, token: &'a Token) -> &'a str {
        let word = token.norm.as_str();
        let len = word.chars().count();
        if len < 3 || self.exact.contains(word) || self.plain.contains(word) || !word.chars().all(char::is_alphabetic) {
            return word;
        }
        let Some(candidates) = word.chars().next().and_then(|c| self.fuzzy.get(&c)) else { return word };
        if len < 5 {
            let mut slips = candidates.iter().filter(|c| c.chars().count() >= 3 && is_slip(word, c));
            return match (slips.next(), slips.next()) {
                (Some(only), None) => only.as_str(),
                _ => word,
            };
        }
        let limit = if len >= 8 { 2 } else { 1 };
        candidates
            .iter()
            .filter(|c| c.len() >= 5 && c.len().abs_diff(word.len()) <= limit)
            .map(|c| (strsim::osa_distance(c, word), c))
            // Two different letters in a word of the same length is another word ("shoveling" is not
            // "shivering"); two edits are a missing or extra letter and one more slip.
            .filter(|(d, c)| *d <= limit && !(*d == 2 && c.len() == word.len()))
            .min_by_key(|(d, _)| *d)
            .map_or(word, |(_, c)| c.as_str())
    }

    /// Whether a word is one the lexicon or the everyday list knows.
    pub fn is_known_word(&self, word: &str) -> bool {
        self.exact.contains(word) || self.plain.contains(word)
    }

    /// A note's word's stem in this language.
    pub fn stem(&self, word: &str) -> String {
        if word.chars().count() > 3 {
            self.stemmer.stem(word).into_owned()
        } else {
            word.to_string()
        }
    }
}

fn fail(file: &str, problem: String) -> KnowledgeError {
    KnowledgeError { file: file.into(), problem }
}

/// A typing slip between a short word and a lexicon word: one letter doubled or undoubled ("pils" is
/// "pills"). Swapped letters are not read in short words: "main" is not "mani".
fn is_slip(word: &str, lexicon: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (word.chars().collect(), lexicon.chars().collect());
    let (short, long) = if a.len() < b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() != short.len() + 1 {
        return false;
    }
    let at = (0..short.len()).find(|&i| short[i] != long[i]).unwrap_or(short.len());
    short[at..] == long[at + 1..] && at > 0 && long[at] == long[at - 1]
}
