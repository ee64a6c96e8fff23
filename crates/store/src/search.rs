//! Patient search over the token index: name parts by prefix (case- and accent-insensitive), date of
//! birth in common formats, phone digits in any format, and MRN or any other identifier.

use crate::db::Store;
use crate::error::StoreError;
use crate::index::{identifier_key, words};
use crate::view::{banner_of, Banner};
use chrono::{Datelike, NaiveDate};
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
        self.reading(|| self.read_search(query, today))
    }

    fn read_search(&self, query: &Query, today: NaiveDate) -> Result<Vec<PatientHit>, StoreError> {
        let matched = query.terms.iter().map(Term::full_text).collect::<Vec<_>>().join(" AND ");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT k.source, k.patient_id, l.person FROM patient_search JOIN patient_key k ON k.key = patient_search.rowid
             LEFT JOIN person_link l ON l.source = k.source AND l.patient = k.patient_id
             WHERE patient_search MATCH ?1 LIMIT {MAX_HITS}"
        ))?;
        let keys: Vec<(String, String, Option<String>)> = stmt.query_map([matched], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        // A linked person is one hit, whichever of their records matched first; the others are only named.
        let mut persons = std::collections::HashSet::new();
        let mut hits = Vec::with_capacity(keys.len());
        for (source, id, person) in keys {
            if person.as_ref().is_some_and(|p| persons.contains(p)) {
                continue;
            }
            let Some(json) = self.resource(&source, "Patient", &id)? else { continue };
            let patient: serde_json::Value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
            // A record its source merged into another is found as that one.
            if replaced(&patient) {
                continue;
            }
            let mut also_in = Vec::new();
            if let Some(person) = person {
                let others = self.linked_records(&source, &id)?.into_iter().skip(1).map(|(s, _)| s).filter(|s| *s != source);
                also_in = others.collect::<std::collections::BTreeSet<_>>().into_iter().collect();
                persons.insert(person);
            }
            hits.push(PatientHit { banner: banner_of(&id, &patient, today), source, also_in });
        }
        hits.sort_by(|a, b| (&a.banner.family, &a.banner.given).cmp(&(&b.banner.family, &b.banner.given)));
        Ok(hits)
    }

    /// Every patient record, in any source, carrying an identifier with this value (of any system).
    pub fn patients_with_identifier(&self, value: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut found = self.conn.prepare_cached("SELECT source, patient_id FROM patient_token WHERE token = ?1")?;
        let token = format!("i:{}", identifier_key(value));
        let records = found.query_map([token], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(records)
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
    /// The term as an FTS5 query: any of its patterns (tokens are ASCII letters and digits after the
    /// kind prefix, so they need no escaping inside the quotes).
    fn full_text(&self) -> String {
        let patterns: Vec<String> = self
            .patterns
            .iter()
            .map(|pattern| match pattern {
                Pattern::Prefix(token) => format!("\"{token}\"*"),
                Pattern::Exact(token) => format!("\"{token}\""),
            })
            .collect();
        format!("({})", patterns.join(" OR "))
    }
}

/// Keeps a patient's row in the full-text search index in step with their tokens (none: removed).
pub(crate) fn index_for_search(tx: &rusqlite::Transaction<'_>, source: &str, patient_id: &str, tokens: &[String]) -> Result<(), StoreError> {
    use rusqlite::OptionalExtension;
    let key: Option<i64> =
        tx.prepare_cached("SELECT key FROM patient_key WHERE source = ?1 AND patient_id = ?2")?.query_row([source, patient_id], |r| r.get(0)).optional()?;
    if let Some(key) = key {
        tx.prepare_cached("DELETE FROM patient_search WHERE rowid = ?1")?.execute([key])?;
    }
    match (key, tokens.is_empty()) {
        (Some(key), true) => {
            tx.prepare_cached("DELETE FROM patient_key WHERE key = ?1")?.execute([key])?;
        }
        (None, true) => {}
        (key, false) => {
            let key = match key {
                Some(key) => key,
                None => tx
                    .prepare_cached("INSERT INTO patient_key (source, patient_id) VALUES (?1, ?2) RETURNING key")?
                    .query_row([source, patient_id], |r| r.get(0))?,
            };
            tx.prepare_cached("INSERT INTO patient_search (rowid, tokens) VALUES (?1, ?2)")?.execute(rusqlite::params![key, tokens.join(" ")])?;
        }
    }
    Ok(())
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

    /// The full-text index follows each change to a Patient: a new name is found and the old one is
    /// not, and a deleted patient is found by nothing.
    #[test]
    fn the_search_index_follows_a_renamed_and_a_deleted_patient() {
        let named = |family: &str| serde_json::json!({"resourceType": "Patient", "id": "a", "name": [{"family": family, "given": ["Ana"]}]});
        let (_dir, mut store) = store_with(&[named("Lopez")]);
        assert_eq!(ids(&store, "ana lop"), ["a"]);
        let mut writer = store.writer("2026-11-27T00:00:00Z").unwrap();
        writer.upsert("s", &named("Ortega").to_string()).unwrap();
        writer.commit().unwrap();
        assert!(ids(&store, "lopez").is_empty());
        assert_eq!(ids(&store, "ana ort"), ["a"]);
        let mut writer = store.writer("2026-11-28T00:00:00Z").unwrap();
        assert!(writer.delete("s", "Patient", "a").unwrap());
        writer.commit().unwrap();
        assert!(ids(&store, "ana").is_empty());
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
