//! Lexicon phrases compiled into patterns and matched against a note's words: by stem, with filler
//! words inside, in order or (written with `~`) in any order within a clause.

use crate::text::{phrase_words, Token};
use rust_stemmers::Stemmer;
use std::collections::{HashMap, HashSet};

/// A note's words as the matchers see them: each word (lower case, accents folded, a typo corrected),
/// its stem, and the clause and sentence it sits in.
pub struct Said<'a> {
    pub words: &'a [&'a str],
    pub stems: &'a [String],
    pub tokens: &'a [Token],
}

/// One word of a pattern: its alternatives ("pressure|tightness"), each with its stem. Short words
/// (three letters or fewer: "sob", "uti") and words written with a leading `=` ("=spotting", which is
/// not "spots") match only as written.
#[derive(Debug, Clone)]
struct Slot {
    alternatives: Vec<(String, Option<String>)>,
}

impl Slot {
    fn matches(&self, said: &Said, at: usize) -> bool {
        self.alternatives.iter().any(|(word, stem)| said.words[at] == word || stem.as_deref().is_some_and(|s| said.stems[at] == s))
    }
}

/// A lexicon phrase compiled for matching. Words match by stem, so "ending" is "end". In order, up to
/// `MAX_GAP` filler words may sit between two of its words ("chest is tight", "pressure in my chest");
/// a phrase written with a leading `~` matches its words in any order within one clause ("took the
/// whole bottle of her pills", "her pills, she swallowed them" do not cross a clause).
#[derive(Debug, Clone)]
struct Pattern {
    slots: Vec<Slot>,
    any_order: bool,
}

/// How many filler words may sit between two words of a phrase.
const MAX_GAP: usize = 3;
/// How many words an any-order phrase may span.
const ANY_ORDER_SPAN: usize = 8;

impl Pattern {
    fn compile(phrase: &str, stemmer: Option<&Stemmer>) -> Result<Option<Pattern>, String> {
        let (any_order, phrase) = match phrase.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, phrase),
        };
        let word = |alternative: &str| -> Result<(String, Option<String>), String> {
            let (exact, alternative) = match alternative.strip_prefix('=') {
                Some(rest) => (true, rest),
                None => (false, alternative),
            };
            let words = phrase_words(alternative);
            let [word] = &words[..] else { return Err(format!("phrase `{phrase}`: `{alternative}` must be one word to stand beside others")) };
            let stem = stemmer.filter(|_| !exact && word.chars().count() > 3).map(|s| s.stem(word).into_owned());
            Ok((word.clone(), stem))
        };
        let mut slots = Vec::new();
        for group in phrase.split_whitespace() {
            if group.contains('|') {
                slots.push(Slot { alternatives: group.split('|').map(word).collect::<Result<_, _>>()? });
            } else {
                // One group may be several words as the tokenizer reads them ("dm2" is "dm" "2").
                let (exact, group) = match group.strip_prefix('=') {
                    Some(rest) => ("=", rest),
                    None => ("", group),
                };
                for w in phrase_words(group) {
                    slots.push(Slot { alternatives: vec![word(&format!("{exact}{w}"))?] });
                }
            }
        }
        Ok((!slots.is_empty()).then_some(Pattern { slots, any_order }))
    }

    /// The end of this pattern's match starting at word `at`, if it matches there.
    fn match_at(&self, said: &Said, at: usize, fillers: &HashSet<String>) -> Option<usize> {
        if self.any_order {
            return self.match_any_order(said, at);
        }
        if !self.slots[0].matches(said, at) {
            return None;
        }
        let sentence = said.tokens[at].sentence;
        let mut end = at + 1;
        for slot in &self.slots[1..] {
            let mut gap = 0;
            loop {
                if end >= said.words.len() || said.tokens[end].sentence != sentence {
                    return None;
                }
                if slot.matches(said, end) {
                    end += 1;
                    break;
                }
                if gap == MAX_GAP || !fillers.contains(said.words[end]) {
                    return None;
                }
                gap += 1;
                end += 1;
            }
        }
        Some(end)
    }

    /// Every slot matched once within the clause of word `at`, starting at `at`.
    fn match_any_order(&self, said: &Said, at: usize) -> Option<usize> {
        let clause = said.tokens[at].clause;
        let first = self.slots.iter().position(|slot| slot.matches(said, at))?;
        let mut end = at + 1;
        for (n, slot) in self.slots.iter().enumerate() {
            if n == first {
                continue;
            }
            let found =
                (at + 1..(at + ANY_ORDER_SPAN).min(said.words.len())).take_while(|&i| said.tokens[i].clause == clause).find(|&i| slot.matches(said, i))?;
            end = end.max(found + 1);
        }
        Some(end)
    }
}

/// Phrases matched longest first at a word.
pub struct PhraseSet<T> {
    patterns: Vec<(Pattern, T)>,
    /// Pattern indexes by the words and stems any of their slots can start with.
    by_start: HashMap<String, Vec<usize>>,
    /// Filler words that may sit inside a phrase; empty where phrases must be said as written.
    fillers: HashSet<String>,
}

impl<T: Clone> PhraseSet<T> {
    /// Phrases matched by stem (`stemmer` given) or as written, with `fillers` allowed inside.
    pub(crate) fn new(entries: impl IntoIterator<Item = (String, T)>, stemmer: Option<&Stemmer>, fillers: &HashSet<String>, errors: &mut Vec<String>) -> Self {
        let mut patterns = Vec::new();
        let mut by_start: HashMap<String, Vec<usize>> = HashMap::new();
        for (phrase, value) in entries {
            let pattern = match Pattern::compile(&phrase, stemmer) {
                Ok(Some(pattern)) => pattern,
                Ok(None) => continue,
                Err(problem) => {
                    errors.push(problem);
                    continue;
                }
            };
            let starts: Vec<&Slot> = if pattern.any_order { pattern.slots.iter().collect() } else { vec![&pattern.slots[0]] };
            for slot in starts {
                for (word, stem) in &slot.alternatives {
                    for key in [Some(word), stem.as_ref()].into_iter().flatten() {
                        let list = by_start.entry(key.clone()).or_default();
                        if list.last() != Some(&patterns.len()) {
                            list.push(patterns.len());
                        }
                    }
                }
            }
            patterns.push((pattern, value));
        }
        PhraseSet { patterns, by_start, fillers: fillers.clone() }
    }

    /// Every phrase matching at word `at`, as (words matched, said in order, words matched as written
    /// rather than by stem, note words spanned, the pattern's index).
    fn matches_at(&self, said: &Said, at: usize) -> Vec<(usize, bool, usize, usize, usize)> {
        let mut candidates: Vec<usize> = [said.words[at], said.stems[at].as_str()].iter().filter_map(|k| self.by_start.get(*k)).flatten().copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|i| {
                let pattern = &self.patterns[i].0;
                pattern.match_at(said, at, &self.fillers).map(|end| {
                    let as_written =
                        (at..end).filter(|&w| pattern.slots.iter().any(|slot| slot.alternatives.iter().any(|(word, _)| word == said.words[w]))).count();
                    (pattern.slots.len(), !pattern.any_order, as_written, end - at, i)
                })
            })
            .collect()
    }

    /// Every match, as (first word, end word, value).
    pub fn scan(&self, said: &Said) -> Vec<(usize, usize, T)> {
        self.scan_with_gaps(said).into_iter().map(|(s, e, value, _)| (s, e, value)).collect()
    }

    /// Every match with the words inside it that are none of its own ("the dog *did not* bite").
    /// Where matches overlap, the one with more words wins, then one said in order, then one matched
    /// as written rather than by stem ("spotting" is not "spots"), then the earlier and shorter:
    /// "crushing chest pain" is chest pain (severe), not "crushing chest", and "sudden severe
    /// headache" is more than a headache.
    pub fn scan_with_gaps(&self, said: &Said) -> Vec<(usize, usize, T, Vec<usize>)> {
        let mut candidates: Vec<(usize, bool, usize, usize, usize, usize)> = (0..said.words.len())
            .flat_map(|at| self.matches_at(said, at).into_iter().map(move |(slots, in_order, as_written, span, i)| (slots, in_order, as_written, at, span, i)))
            .collect();
        candidates.sort_by_key(|&(slots, in_order, as_written, at, span, _)| (std::cmp::Reverse(slots), !in_order, std::cmp::Reverse(as_written), at, span));
        let mut taken = vec![false; said.words.len()];
        let mut found = Vec::new();
        for (_, _, _, at, span, i) in candidates {
            if taken[at..at + span].iter().any(|t| *t) {
                continue;
            }
            taken[at..at + span].iter_mut().for_each(|t| *t = true);
            let pattern = &self.patterns[i].0;
            let gaps = (at..at + span).filter(|&w| !pattern.slots.iter().any(|slot| slot.matches(said, w))).collect();
            found.push((at, at + span, self.patterns[i].1.clone(), gaps));
        }
        found.sort_by_key(|(s, _, _, _)| *s);
        found
    }

    pub(crate) fn words(&self) -> impl Iterator<Item = &String> {
        self.patterns.iter().flat_map(|(p, _)| p.slots.iter().flat_map(|s| s.alternatives.iter().map(|(w, _)| w)))
    }
}
