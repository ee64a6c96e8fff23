//! Persons from records: what joins them, what keeps them apart, and staff decisions.

use serde_json::{json, Value};
use switchboard_identity::{link, Decision, LinkBasis, LinkRules, Record, RecordKey, Verdict};

fn record(source: &str, id: &str, given: &str, family: &str, birth: &str, extra: Value) -> Record {
    let mut patient = json!({"resourceType": "Patient", "id": id, "name": [{"given": given.split(' ').collect::<Vec<_>>(), "family": family}],
        "birthDate": birth, "gender": "female", "telecom": [{"system": "phone", "value": "217-555-0100"}],
        "address": [{"line": ["4 Oak St"], "postalCode": "62701"}]});
    for (k, v) in extra.as_object().unwrap() {
        patient[k] = v.clone();
    }
    Record::from_patient(source, &patient).unwrap()
}

fn key(source: &str, id: &str) -> RecordKey {
    RecordKey::new(source, id)
}

#[test]
fn one_person_in_two_systems_is_linked_and_twins_in_one_household_stay_apart() {
    let records = vec![
        record("ehr", "e1", "Ana", "Lopez", "2001-05-09", json!({})),
        record("ehr", "e2", "Sofia", "Lopez", "2001-05-09", json!({})),
        record("sched", "s1", "Ana", "López", "2001-05-09", json!({})),
        record("sched", "s2", "Sofía", "Lopez", "2001-05-09", json!({"telecom": [{"system": "phone", "value": "+1 217 555 0100"}]})),
    ];
    let linkage = link(&records, &LinkRules::default(), &[]);
    assert_eq!(linkage.persons, vec![vec![key("ehr", "e1"), key("sched", "s1")], vec![key("ehr", "e2"), key("sched", "s2")]]);
    assert!(linkage.review.is_empty(), "{:?}", linkage.review);
}

#[test]
fn a_household_phone_alone_joins_no_one() {
    let records =
        vec![record("ehr", "e1", "Omar", "Haddad", "1970-01-02", json!({"gender": "male"})), record("sched", "s1", "Layla", "Haddad", "1974-08-19", json!({}))];
    let linkage = link(&records, &LinkRules::default(), &[]);
    assert_eq!(linkage.persons.len(), 2);
    assert!(linkage.review.is_empty());
}

#[test]
fn a_shared_enterprise_identifier_links_and_two_different_ones_keep_apart() {
    let empi = |v: &str| json!({"identifier": [{"system": "urn:empi", "value": v}]});
    let records = vec![
        record("ehr", "e1", "Zoë", "Mueller", "1990-02-03", empi("E1")),
        record("sched", "s1", "Zoe", "Müller-Schmidt", "1990-03-02", json!({"identifier": [{"system": "urn:empi", "value": "E1"}], "telecom": []})),
        record("lab", "l1", "Zoe", "Muller", "1990-02-03", empi("E2")),
    ];
    let rules = LinkRules { same_person_systems: vec!["urn:empi".into()], ..LinkRules::default() };
    let linkage = link(&records, &rules, &[]);
    assert_eq!(linkage.persons[0], vec![key("ehr", "e1"), key("sched", "s1")]);
    assert!(linkage.links.iter().any(|l| l.basis == LinkBasis::Identifier));
    assert_eq!(linkage.persons.len(), 2, "a different enterprise id is a different person");
}

#[test]
fn staff_decisions_stand_over_scores() {
    let records = vec![
        record("ehr", "e1", "Grace", "Kim", "1962-11-30", json!({})),
        record("sched", "s1", "Grace", "Kim", "1962-11-30", json!({})),
        record("ehr", "e2", "Rosa", "Diaz", "1955-04-01", json!({})),
        record("sched", "s2", "Rosa", "Ortega", "1955-04-01", json!({"telecom": [], "address": []})),
    ];
    let rules = LinkRules::default();
    let plain = link(&records, &rules, &[]);
    assert_eq!(plain.persons.len(), 3, "Grace linked, Rosa's married name put to review");
    assert_eq!(plain.review.len(), 1);
    assert_eq!((plain.review[0].a.clone(), plain.review[0].b.clone()), (key("ehr", "e2"), key("sched", "s2")));

    let decisions = [
        Decision { a: key("ehr", "e1"), b: key("sched", "s1"), verdict: Verdict::NotSame },
        Decision { a: key("sched", "s2"), b: key("ehr", "e2"), verdict: Verdict::Same },
    ];
    let decided = link(&records, &rules, &decisions);
    assert_eq!(decided.persons, vec![vec![key("ehr", "e1")], vec![key("ehr", "e2"), key("sched", "s2")], vec![key("sched", "s1")]]);
    assert!(decided.review.is_empty());
}

#[test]
fn a_source_merge_joins_its_two_records_and_the_other_system_follows_the_survivor() {
    let records = vec![
        record("ehr", "old", "Ivan", "Petrov", "1981-06-15", json!({"link": [{"type": "replaced-by", "other": {"reference": "Patient/new"}}]})),
        record("ehr", "new", "Ivan", "Petrov", "1981-06-15", json!({})),
        record("sched", "s1", "Ivan", "Petrov", "1981-06-15", json!({})),
    ];
    let linkage = link(&records, &LinkRules::default(), &[]);
    assert_eq!(linkage.persons, vec![vec![key("ehr", "new"), key("ehr", "old"), key("sched", "s1")]]);
}

#[test]
fn a_record_never_joins_two_of_another_systems_records_by_score() {
    let records = vec![
        record("ehr", "e1", "Mary", "Jones", "1950-01-20", json!({})),
        record("sched", "s1", "Mary", "Jones", "1950-01-20", json!({})),
        record("sched", "s2", "Mary", "Jones", "1950-01-20", json!({})),
    ];
    let linkage = link(&records, &LinkRules::default(), &[]);
    assert_eq!(linkage.persons.len(), 2);
    assert_eq!(linkage.review.len(), 1, "the second look-alike is put to staff");
}
