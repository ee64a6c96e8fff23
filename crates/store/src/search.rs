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
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct PatientHit {
    pub source: String,
    #[serde(flatten)]
    pub banner: Banner,
    /// The other sources holding a record linked to this one: a person is one result.
    pub also_in: Vec<String>,
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

/// What a person typed as a server's Patient search: `birthdate=`, `phone=`, `identifier=`, and a
/// `name=` per word (each must match). Empty when nothing in it can be asked.
pub fn server_search_params(text: &str, month_first: bool, today: NaiveDate) -> Vec<(&'static str, String)> {
    let text = text.trim();
    let all_digits = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    if let Some(date) = parse_date(text, month_first, today).filter(|_| !all_digits) {
        return vec![("birthdate", date.format("%Y-%m-%d").to_string())];
    }
    if is_phone_like(text) {
        return vec![("phone", text.to_string())];
    }
    let mut params = Vec::new();
    for piece in text.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()) {
        if let Some(date) = parse_date(piece, month_first, today) {
            params.push(("birthdate", date.format("%Y-%m-%d").to_string()));
        } else if piece.chars().any(|c| c.is_ascii_digit()) {
            params.push(("identifier", piece.to_string()));
        } else if piece.chars().count() >= 2 {
            params.push(("name", piece.to_string()));
        }
    }
    params
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
    let ordered: &[&str] = if month_first { &["%m/%d/%Y", "%m-%d-%Y", "%d/%m/%Y", "%d.%m.%Y"] } else { &["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y"] };
    let fixed = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%b %d %Y", "%b %d, %Y", "%B %d %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"];
    let four_digit_year = ordered.iter().chain(fixed.iter()).find_map(|f| NaiveDate::parse_from_str(text, f).ok());
    let date = four_digit_year.filter(|d| d.year() >= 1880).or_else(|| {
        let short: &[&str] = if month_first { &["%m/%d/%y", "%d/%m/%y"] } else { &["%d/%m/%y", "%m/%d/%y"] };
        // A two-digit year is a birth year: never in the future.
        short.iter().find_map(|f| NaiveDate::parse_from_str(text, f).ok()).map(|d| if d > today { d.with_year(d.year() - 100).unwrap_or(d) } else { d })
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
        let mut params: Vec<SqlValue> = Vec::new();
        let sql = match_sql(&query.terms, &mut params);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let keys: Vec<(String, String)> = stmt.query_map(rusqlite::params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let mut hits = Vec::with_capacity(keys.len());
        for (source, id) in keys {
            if let Some(json) = self.resource(&source, "Patient", &id)? {
                let patient: serde_json::Value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
                // A record its source merged into another is found as that one.
                if replaced(&patient) {
                    continue;
                }
                hits.push(PatientHit { source, banner: banner_of(&id, &patient, today), also_in: Vec::new() });
            }
        }
        hits.sort_by(|a, b| (&a.banner.family, &a.banner.given).cmp(&(&b.banner.family, &b.banner.given)));
        self.one_hit_per_person(hits)
    }

    /// Keeps the first hit on each linked person, naming the person's other sources.
    fn one_hit_per_person(&self, hits: Vec<PatientHit>) -> Result<Vec<PatientHit>, StoreError> {
        let mut kept: Vec<PatientHit> = Vec::with_capacity(hits.len());
        let mut persons = std::collections::HashSet::new();
        for mut hit in hits {
            let records = self.linked_records(&hit.source, &hit.banner.id)?;
            if records.len() > 1 {
                // A person is known by their smallest record, whichever of them was found.
                if !persons.insert(records.iter().min().cloned()) {
                    continue;
                }
                let others = records.into_iter().skip(1).map(|(s, _)| s);
                hit.also_in = others.filter(|s| *s != hit.source).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            }
            kept.push(hit);
        }
        Ok(kept)
    }

    /// Finds a patient by server id, or else by an identifier such as the MRN.
    pub fn find_patient(&self, id_or_identifier: &str) -> Result<Option<(String, String)>, StoreError> {
        for source in self.source_statuses()?.into_iter().map(|s| s.name) {
            if self.resource(&source, "Patient", id_or_identifier)?.is_some() {
                return Ok(Some((source, id_or_identifier.to_string())));
            }
        }
        let mut by_identifier = self.conn.prepare_cached("SELECT source, patient_id FROM patient_token WHERE token = ?1 LIMIT 1")?;
        let token = format!("i:{}", identifier_key(id_or_identifier));
        let found = by_identifier.query_map([token], |r| Ok((r.get(0)?, r.get(1)?)))?.next().transpose()?;
        Ok(found)
    }
}

impl Term {
    /// Characters typed for this term (without the `n:`-style kind prefix).
    fn text_len(&self) -> usize {
        self.patterns
            .iter()
            .map(|p| match p {
                Pattern::Prefix(t) | Pattern::Exact(t) => t.len().saturating_sub(2),
            })
            .max()
            .unwrap_or(0)
    }
}

/// Terms of at least this many characters are read whole and intersected; shorter ones ("m") match too
/// many tokens for that, and are checked per candidate instead.
const SELECTIVE_LEN: usize = 3;

/// The SQL that finds matching patients. Selective terms are intersected (each is one covering range
/// scan of the token index); broad terms are checked per candidate with EXISTS.
fn match_sql(terms: &[Term], params: &mut Vec<SqlValue>) -> String {
    let (mut selective, mut broad): (Vec<&Term>, Vec<&Term>) = terms.iter().partition(|t| t.text_len() >= SELECTIVE_LEN);
    // The longest broad term drives the scan when nothing is selective.
    broad.sort_by_key(|t| std::cmp::Reverse(t.text_len()));
    if selective.is_empty() {
        selective.push(broad.remove(0));
    }
    let sets: Vec<String> =
        selective.iter().map(|term| format!("SELECT source, patient_id FROM patient_token t WHERE {}", condition("t", term, params))).collect();
    let mut sql = format!("SELECT DISTINCT k.source, k.patient_id FROM ({}) k WHERE 1", sets.join(" INTERSECT "));
    for (i, term) in broad.iter().enumerate() {
        let alias = format!("b{i}");
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM patient_token {alias} WHERE {alias}.source = k.source AND {alias}.patient_id = k.patient_id AND {})",
            condition(&alias, term, params)
        ));
    }
    sql.push_str(&format!(" LIMIT {MAX_HITS}"));
    sql
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

/// The source says another record replaced this one (`Patient.link` replaced-by: its own merge).
fn replaced(patient: &serde_json::Value) -> bool {
    patient["link"].as_array().into_iter().flatten().any(|l| l["type"] == "replaced-by")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

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

    fn store_with(patients: &[serde_json::Value]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("c.db"), &[9; 32], "US").unwrap();
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        for p in patients {
            writer.upsert("s", &p.to_string()).unwrap();
        }
        writer.commit().unwrap();
        (dir, store)
    }

    fn ids(store: &Store, text: &str) -> Vec<String> {
        let mut ids: Vec<String> = store.search_text(text, true, today()).unwrap().into_iter().map(|h| h.banner.id).collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_term_must_match_whatever_its_kind() {
        let patient = |id: &str, given: &str, family: &str, born: &str, phone: &str, mrn: &str| {
            serde_json::json!({"resourceType": "Patient", "id": id, "name": [{"family": family, "given": [given]}],
                "birthDate": born, "telecom": [{"system": "phone", "value": phone}], "identifier": [{"value": mrn}]})
        };
        let (_dir, store) = store_with(&[
            patient("a", "María", "García", "1980-03-05", "(217) 555-0101", "MRN001"),
            patient("b", "Mario", "García", "1975-01-02", "(217) 555-0101", "MRN002"),
            patient("c", "María", "Gómez", "1980-03-05", "217-555-0199", "MRN003"),
        ]);
        assert_eq!(ids(&store, "maria garcia"), ["a"]);
        assert_eq!(ids(&store, "mar garc"), ["a", "b"]);
        assert_eq!(ids(&store, "m garcía"), ["a", "b"]);
        assert_eq!(ids(&store, "g m"), ["a", "b", "c"]);
        assert_eq!(ids(&store, "03/05/1980"), ["a", "c"]);
        assert_eq!(ids(&store, "gomez 3/5/1980"), ["c"]);
        assert_eq!(ids(&store, "+1 217 555 0101"), ["a", "b"], "a household sharing a phone");
        assert_eq!(ids(&store, "mrn-003"), ["c"]);
        assert!(ids(&store, "garcia gomez").is_empty());
        assert!(ids(&store, "zzz").is_empty());
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
