//! Patient search over the token index: name parts by prefix (case- and accent-insensitive), date of
//! birth in common formats, phone digits in any format, and MRN or any other identifier.

use crate::db::Store;
use crate::error::StoreError;
use crate::index::{identifier_key, words};
use crate::view::{banner_of, Banner};
use chrono::{Datelike, NaiveDate};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;

/// A parsed search: every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

/// One term and the token patterns it matches (any of them).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Prefix(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientHit {
    pub source: String,
    #[serde(flatten)]
    pub banner: Banner,
}

const MAX_HITS: usize = 50;

/// Reads what a person typed. `month_first` follows the clinic's region (US: 03/05/1980 is March 5).
pub fn normalize_query(text: &str, month_first: bool, today: NaiveDate) -> Query {
    let text = text.trim();
    let all_digits = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    if !all_digits {
        if let Some(date) = parse_date(text, month_first, today) {
            return Query { terms: vec![date_term(date)] };
        }
    }
    if is_phone_like(text) {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        return Query { terms: vec![digits_term(&digits, month_first, today)] };
    }
    let mut terms = Vec::new();
    for piece in text.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()) {
        if let Some(date) = parse_date(piece, month_first, today) {
            terms.push(date_term(date));
        } else if piece.chars().all(|c| c.is_ascii_digit()) {
            terms.push(digits_term(piece, month_first, today));
        } else if piece.chars().any(|c| c.is_ascii_digit()) {
            // Letters and digits together: an MRN or other identifier, such as "MRN-00042".
            terms.push(Term { patterns: vec![Pattern::Prefix(format!("i:{}", identifier_key(piece)))] });
        } else {
            for word in words(piece) {
                terms.push(Term { patterns: vec![Pattern::Prefix(format!("n:{word}")), Pattern::Prefix(format!("i:{word}"))] });
            }
        }
    }
    Query { terms }
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

fn date_term(date: NaiveDate) -> Term {
    Term { patterns: vec![Pattern::Exact(format!("d:{}", date.format("%Y%m%d")))] }
}

fn digits_term(digits: &str, month_first: bool, today: NaiveDate) -> Term {
    let mut patterns = vec![Pattern::Prefix(format!("p:{digits}")), Pattern::Prefix(format!("i:{digits}"))];
    if let Some(date) = parse_date(digits, month_first, today) {
        patterns.push(Pattern::Exact(format!("d:{}", date.format("%Y%m%d"))));
    }
    Term { patterns }
}

fn is_phone_like(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits >= 4 && text.chars().all(|c| c.is_ascii_digit() || " +()-.".contains(c))
}

/// A date of birth as people write it: 1980-03-05, 03/05/1980, 3/5/80, 5.3.1980, 19800305, Mar 5 1980.
fn parse_date(text: &str, month_first: bool, today: NaiveDate) -> Option<NaiveDate> {
    let text = text.trim().trim_end_matches('.');
    let ordered: &[&str] = if month_first {
        &["%m/%d/%Y", "%m-%d-%Y", "%d/%m/%Y", "%d.%m.%Y"]
    } else {
        &["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y"]
    };
    let fixed = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%b %d %Y", "%b %d, %Y", "%B %d %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"];
    let four_digit_year = ordered.iter().chain(fixed.iter()).find_map(|f| NaiveDate::parse_from_str(text, f).ok());
    let date = four_digit_year.filter(|d| d.year() >= 1880).or_else(|| {
        let short: &[&str] = if month_first { &["%m/%d/%y", "%d/%m/%y"] } else { &["%d/%m/%y", "%m/%d/%y"] };
        // A two-digit year is a birth year: never in the future.
        short.iter().find_map(|f| NaiveDate::parse_from_str(text, f).ok()).map(|d| {
            if d > today { d.with_year(d.year() - 100).unwrap_or(d) } else { d }
        })
    })?;
    (date <= today).then_some(date)
}

impl Store {
    /// Searches for what a person typed (see `normalize_query`).
    pub fn search_text(&self, text: &str, month_first: bool, today: NaiveDate) -> Result<Vec<PatientHit>, StoreError> {
        self.search(&normalize_query(text, month_first, today), today)
    }

    /// Patients matching every term, best known first (by family then given name).
    pub fn search(&self, query: &Query, today: NaiveDate) -> Result<Vec<PatientHit>, StoreError> {
        if query.terms.is_empty() {
            return Ok(Vec::new());
        }
        // The longest term drives the scan (it is the most selective); the others are checked per patient.
        let mut terms: Vec<&Term> = query.terms.iter().collect();
        terms.sort_by_key(|t| std::cmp::Reverse(t.patterns.iter().map(Pattern::len).max().unwrap_or(0)));
        let mut params: Vec<SqlValue> = Vec::new();
        let mut sql = format!("SELECT DISTINCT t0.source, t0.patient_id FROM patient_token t0 WHERE {}", condition("t0", terms[0], &mut params));
        for (i, term) in terms.iter().enumerate().skip(1) {
            let alias = format!("t{i}");
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM patient_token {alias} WHERE {alias}.source = t0.source AND {alias}.patient_id = t0.patient_id AND {})",
                condition(&alias, term, &mut params)
            ));
        }
        sql.push_str(&format!(" LIMIT {MAX_HITS}"));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let keys: Vec<(String, String)> =
            stmt.query_map(rusqlite::params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut hits = Vec::with_capacity(keys.len());
        for (source, id) in keys {
            if let Some(json) = self.resource(&source, "Patient", &id)? {
                let patient: serde_json::Value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
                hits.push(PatientHit { source, banner: banner_of(&id, &patient, today) });
            }
        }
        hits.sort_by(|a, b| (&a.banner.family, &a.banner.given).cmp(&(&b.banner.family, &b.banner.given)));
        Ok(hits)
    }

    /// Finds a patient by server id, or else by an identifier such as the MRN.
    pub fn find_patient(&self, id_or_identifier: &str) -> Result<Option<(String, String)>, StoreError> {
        for source in self.source_statuses()?.into_iter().map(|s| s.name) {
            if self.resource(&source, "Patient", id_or_identifier)?.is_some() {
                return Ok(Some((source, id_or_identifier.to_string())));
            }
        }
        let mut by_identifier =
            self.conn.prepare_cached("SELECT source, patient_id FROM patient_token WHERE token = ?1 LIMIT 1")?;
        let token = format!("i:{}", identifier_key(id_or_identifier));
        let found = by_identifier.query_map([token], |r| Ok((r.get(0)?, r.get(1)?)))?.next().transpose()?;
        Ok(found)
    }
}

impl Pattern {
    fn len(&self) -> usize {
        match self {
            Pattern::Prefix(p) | Pattern::Exact(p) => p.len(),
        }
    }
}

fn condition(alias: &str, term: &Term, params: &mut Vec<SqlValue>) -> String {
    let parts: Vec<String> = term
        .patterns
        .iter()
        .map(|pattern| match pattern {
            Pattern::Exact(token) => {
                params.push(SqlValue::Text(token.clone()));
                format!("{alias}.token = ?{}", params.len())
            }
            Pattern::Prefix(prefix) => {
                params.push(SqlValue::Text(prefix.clone()));
                params.push(SqlValue::Text(format!("{prefix}\u{10FFFF}")));
                format!("({alias}.token >= ?{} AND {alias}.token < ?{})", params.len() - 1, params.len())
            }
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn exact_date(query: &Query) -> Option<&str> {
        query.terms[0].patterns.iter().find_map(|p| match p {
            Pattern::Exact(t) => Some(t.as_str()),
            _ => None,
        })
    }

    #[test]
    fn dates_in_common_formats() {
        for text in ["1980-03-05", "03/05/1980", "3/5/1980", "3/5/80", "Mar 5 1980", "March 5, 1980", "19800305"] {
            let query = normalize_query(text, true, today());
            assert_eq!(exact_date(&query), Some("d:19800305"), "{text}");
        }
        assert_eq!(exact_date(&normalize_query("05.03.1980", true, today())), Some("d:19800305"));
        assert_eq!(exact_date(&normalize_query("05/03/1980", false, today())), Some("d:19800305"));
        assert_eq!(exact_date(&normalize_query("1/2/25", true, today())), Some("d:20250102"));
    }

    #[test]
    fn phones_in_any_format_become_digits() {
        for text in ["(555) 201-3344", "555.201.3344", "+1 555 201 3344", "5552013344"] {
            let query = normalize_query(text, true, today());
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(query.terms.len(), 1, "{text}");
            assert_eq!(query.terms[0].patterns[0], Pattern::Prefix(format!("p:{digits}")), "{text}");
        }
    }

    #[test]
    fn names_and_identifiers() {
        let query = normalize_query("García, jo MRN-00042", true, today());
        assert_eq!(query.terms.len(), 3);
        assert_eq!(query.terms[0].patterns[0], Pattern::Prefix("n:garcia".into()));
        assert_eq!(query.terms[2].patterns, vec![Pattern::Prefix("i:mrn00042".into())]);
        assert!(normalize_query("  ", true, today()).is_empty());
    }
}
