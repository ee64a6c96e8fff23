//! Fellegi-Sunter comparison of two records: each field agrees, partly agrees, disagrees or is
//! missing, and adds its weight (log2 of how much likelier that outcome is for the same person than
//! for two people). The weights are set from what registration data does: a first name that clearly
//! differs (twins, spouses) or a birth date that is nothing like the other (a parent and child) outweighs
//! a shared household phone and address; a family name may change at marriage.

use crate::names::{given_agreement, Agreement};
use crate::record::Record;
use chrono::Datelike;

/// A pair's total weight and the fields behind it, in words for the review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub weight: f64,
    pub reasons: Vec<String>,
}

impl Score {
    fn add(&mut self, field: &str, outcome: &str, weight: f64) {
        self.weight += weight;
        self.reasons.push(format!("{field} {outcome} ({weight:+.1})"));
    }
}

/// Same, close, the other's middle name, different.
const GIVEN: [f64; 4] = [6.0, 3.0, -3.0, -15.0];
const FAMILY: [f64; 3] = [6.0, 3.5, -2.0];
const BIRTH_SAME: f64 = 12.0;
const BIRTH_SWAPPED: f64 = 7.0;
const BIRTH_TYPO: f64 = 5.0;
const BIRTH_DIFFERENT: f64 = -10.0;
const SEX: [f64; 2] = [0.5, -4.0];
const PHONE: f64 = 4.0;
const EMAIL: f64 = 5.0;
const STREET: f64 = 3.0;
const ZIP_ONLY: f64 = 0.5;

pub fn compare(a: &Record, b: &Record) -> Score {
    let mut score = Score { weight: 0.0, reasons: Vec::new() };
    // Given and family names entered in each other's fields count as the names agreeing.
    let crossed = !a.given.is_empty() && !b.given.is_empty() && a.family.iter().any(|f| b.given.contains(f)) && b.family.iter().any(|f| a.given.contains(f));
    if crossed {
        score.add("names", "agree, given and family swapped", GIVEN[0] + FAMILY[0]);
    } else {
        match given_agreement(&a.given, &b.given) {
            Some(Agreement::Same) => score.add("first name", "agrees", GIVEN[0]),
            Some(Agreement::Close) => score.add("first name", "is close", GIVEN[1]),
            Some(Agreement::Middle) => score.add("first name", "is the other's middle name", GIVEN[2]),
            Some(Agreement::Different) => score.add("first name", "differs", GIVEN[3]),
            None => {}
        }
        match family_agreement(a, b) {
            Some(Agreement::Same) => score.add("family name", "agrees", FAMILY[0]),
            Some(Agreement::Close) => score.add("family name", "is close", FAMILY[1]),
            Some(Agreement::Different | Agreement::Middle) => score.add("family name", "differs", FAMILY[2]),
            None => {}
        }
    }
    if let (Some(x), Some(y)) = (a.birth, b.birth) {
        if x == y {
            score.add("birth date", "agrees", BIRTH_SAME);
        } else if a.birth_swapped() == Some(y) {
            score.add("birth date", "agrees with day and month swapped", BIRTH_SWAPPED);
        } else if one_slip(&x.format("%Y%m%d").to_string(), &y.format("%Y%m%d").to_string()) || (x.year() == y.year() && x.ordinal().abs_diff(y.ordinal()) == 1)
        {
            score.add("birth date", "differs by one digit or day", BIRTH_TYPO);
        } else {
            score.add("birth date", "differs", BIRTH_DIFFERENT);
        }
    }
    if let (Some(x), Some(y)) = (&a.sex, &b.sex) {
        if x == y {
            score.add("sex", "agrees", SEX[0]);
        } else {
            score.add("sex", "differs", SEX[1]);
        }
    }
    if a.phones.iter().any(|p| b.phones.contains(p)) {
        score.add("phone", "shared", PHONE);
    }
    if a.emails.iter().any(|e| b.emails.contains(e)) {
        score.add("email", "shared", EMAIL);
    }
    let same_zip = a.zip.is_some() && a.zip == b.zip;
    if a.street.is_some() && a.street == b.street && (same_zip || a.zip.is_none() || b.zip.is_none()) {
        score.add("address", "agrees", STREET);
    } else if same_zip {
        score.add("ZIP", "agrees", ZIP_ONLY);
    }
    score
}

fn family_agreement(a: &Record, b: &Record) -> Option<Agreement> {
    if a.family.is_empty() || b.family.is_empty() {
        return None;
    }
    let theirs: Vec<String> = b.family_forms().collect();
    if a.family_forms().any(|f| theirs.contains(&f)) {
        return Some(Agreement::Same);
    }
    let close = a.family.iter().any(|x| b.family.iter().any(|y| strsim::jaro_winkler(x, y) >= 0.9 || strsim::damerau_levenshtein(x, y) <= 1));
    Some(if close { Agreement::Close } else { Agreement::Different })
}

/// Two dates written the same but for one digit, or two neighbouring digits swapped.
fn one_slip(x: &str, y: &str) -> bool {
    x.len() == y.len() && strsim::damerau_levenshtein(x, y) == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn patient(given: &str, family: &str, birth: &str, sex: &str, phone: &str, line: &str) -> Record {
        let p: Value = json!({"id": "x", "name": [{"given": [given], "family": family}], "birthDate": birth, "gender": sex,
            "telecom": [{"system": "phone", "value": phone}], "address": [{"line": [line], "postalCode": "60601"}]});
        Record::from_patient("s", &p).unwrap()
    }

    #[test]
    fn twins_weigh_less_than_a_typo_of_one_person() {
        let ann = patient("Ann", "Lee", "2001-05-09", "female", "312-555-0100", "4 Oak St");
        let twin = patient("Beth", "Lee", "2001-05-09", "female", "312-555-0100", "4 Oak Street");
        let typo = patient("Ann", "Leee", "2001-05-09", "female", "312-555-0100", "4 Oak St");
        assert!(compare(&ann, &twin).weight < 12.0, "{:?}", compare(&ann, &twin));
        assert!(compare(&ann, &typo).weight > 25.0, "{:?}", compare(&ann, &typo));
    }

    #[test]
    fn a_swapped_birth_date_and_a_nickname_still_agree() {
        let a = patient("William", "Ortiz", "1984-03-07", "male", "312-555-0101", "9 Pine Rd");
        let b = patient("Bill", "Ortiz", "1984-07-03", "male", "(312) 555-0101", "9 Pine Road");
        let score = compare(&a, &b);
        assert!(score.weight > 25.0, "{score:?}");
        assert!(score.reasons.iter().any(|r| r.contains("swapped")));
    }

    #[test]
    fn a_parent_and_child_of_one_name_stay_apart() {
        let senior = patient("John", "Smith", "1950-02-11", "male", "312-555-0102", "1 Elm St");
        let junior = patient("John", "Smith", "1980-06-23", "male", "312-555-0102", "1 Elm St");
        assert!(compare(&senior, &junior).weight < 12.0);
    }
}
