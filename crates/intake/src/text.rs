//! Words with their place in the note: lower-cased, apostrophes dropped, each with its byte span so every
//! extracted item can point at the words it came from.

/// One word (or number) of the note.
#[derive(Debug, Clone)]
pub struct Token {
    /// Lower case, accents folded, apostrophes dropped: "Can't" is "cant", "Presión" is "presion".
    pub norm: String,
    pub start: usize,
    pub end: usize,
    /// Sentences end at `.`, `!`, `?`, `;` and line breaks.
    pub sentence: u32,
    /// Clauses also end at commas and before words that start a new thought ("but", "she", ...).
    pub clause: u32,
}

/// The note's words. `opens_clause` tells the words that begin a new clause in run-on speech with no
/// punctuation ("but", "she").
pub fn tokenize(note: &str, opens_clause: impl Fn(&str) -> bool) -> Vec<Token> {
    let mut tokens = Vec::new();
    let (mut sentence, mut clause) = (0u32, 0u32);
    let mut current: Option<(usize, String)> = None;
    let chars: Vec<(usize, char)> = note.char_indices().collect();
    let push = |tokens: &mut Vec<Token>, start: usize, end: usize, norm: String, sentence: u32, clause: &mut u32| {
        if opens_clause(&norm) && tokens.last().is_some_and(|t: &Token| t.clause == *clause) {
            *clause += 1;
        }
        tokens.push(Token { norm, start, end, sentence, clause: *clause });
    };
    for (i, &(at, c)) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(i + 1).map(|n| n.1);
        let joins_number = (c == '.' || c == '/' || c == ',') && prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        let apostrophe = (c == '\'' || c == '’') && prev.is_some_and(char::is_alphabetic) && next.is_some_and(char::is_alphabetic);
        if c.is_alphanumeric() || joins_number || apostrophe {
            // Digits and letters side by side are separate words: "10mg" is "10" "mg".
            let switches = prev.is_some_and(|p| p.is_alphanumeric() && (p.is_ascii_digit() != c.is_ascii_digit())) && !joins_number;
            if switches {
                if let Some((start, norm)) = current.take() {
                    push(&mut tokens, start, at, norm, sentence, &mut clause);
                }
            }
            let (_, norm) = current.get_or_insert((at, String::new()));
            if !apostrophe {
                norm.push_str(&fold(c));
            }
            continue;
        }
        if let Some((start, norm)) = current.take() {
            push(&mut tokens, start, at, norm, sentence, &mut clause);
        }
        match c {
            '.' | '!' | '?' | ';' | '\n' if tokens.last().is_some_and(|t| t.sentence == sentence) => {
                sentence += 1;
                clause += 1;
            }
            ',' | ':' | '(' | ')' if tokens.last().is_some_and(|t| t.clause == clause) => clause += 1,
            _ => {}
        }
    }
    if let Some((start, norm)) = current.take() {
        push(&mut tokens, start, note.len(), norm, sentence, &mut clause);
    }
    tokens
}

/// A letter lower-cased with its accent folded ("Ó" is "o"), so "presión" and "presion" are one word.
fn fold(c: char) -> String {
    if c.is_ascii() {
        return c.to_ascii_lowercase().to_string();
    }
    let folded = deunicode::deunicode_char(c).filter(|f| f.chars().all(char::is_alphanumeric)).unwrap_or("");
    folded.to_lowercase()
}

/// Splits a lexicon phrase into the words it is matched on.
pub fn phrase_words(phrase: &str) -> Vec<String> {
    tokenize(phrase, |_| false).into_iter().map(|t| t.norm).collect()
}

/// A number written in digits ("2", "38.5", "38,5"); counts in words are the grammar's.
pub fn number_value(word: &str) -> Option<f64> {
    word.replace(',', ".").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_spans_sentences_and_clauses() {
        let note = "My mom can't breathe, took 10mg. She also has 8/10 pain";
        let openers = ["but", "she", "also"];
        let tokens = tokenize(note, |w| openers.contains(&w));
        let words: Vec<&str> = tokens.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(words, ["my", "mom", "cant", "breathe", "took", "10", "mg", "she", "also", "has", "8/10", "pain"]);
        assert_eq!(&note[tokens[2].start..tokens[2].end], "can't");
        assert_eq!(tokens[4].sentence, 0);
        assert_eq!(tokens[7].sentence, 1);
        assert!(tokens[4].clause > tokens[3].clause, "a comma starts a clause");
        assert!(tokens[8].clause > tokens[7].clause, "`also` starts a clause");
        assert_eq!(number_value("38.5"), Some(38.5));
    }
}
