//! Linking scored against known truth: the demo clinic spread over two and three systems (written
//! beside this code), and a set written blind, by someone who had not read it (`tests/data/linkage-blind`).

use std::collections::HashMap;
use switchboard_demo::sources::{generate_sources, ENTERPRISE_SYSTEM};
use switchboard_demo::DemoOptions;
use switchboard_identity::{evaluate, link, Figures, LinkRules, Record, RecordKey};

fn demo_figures(patients: u32, systems: usize, seed: u64) -> Figures {
    let options = DemoOptions { patients, seed, today: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() };
    let mut records = Vec::new();
    let persons = generate_sources(&options, systems, &mut |source, resource| {
        if resource["resourceType"] == "Patient" {
            records.push(Record::from_patient(source, &resource).unwrap());
        }
    });
    let truth: Vec<Vec<RecordKey>> = persons.iter().map(|p| p.iter().map(|(s, id)| RecordKey::new(s, id)).collect()).collect();
    let rules = LinkRules { same_person_systems: vec![ENTERPRISE_SYSTEM.to_string()], ..LinkRules::default() };
    let linkage = link(&records, &rules, &[]);
    let figures = evaluate(&linkage, &truth);
    let truth_of: HashMap<&RecordKey, usize> = truth.iter().enumerate().flat_map(|(i, p)| p.iter().map(move |k| (k, i))).collect();
    for wrong in linkage.links.iter().filter(|l| truth_of[&l.a] != truth_of[&l.b]) {
        println!("wrongly linked {} / {} ({:?}): {:?}", wrong.a, wrong.b, wrong.basis, wrong.score.as_ref().map(|s| &s.reasons));
    }
    println!("demo, {patients} patients over {systems} systems (seed {seed}): {figures}");
    figures
}

#[test]
fn the_demo_over_two_and_three_systems_links_with_no_wrong_link_and_finds_nearly_all() {
    for (systems, seed) in [(2, 11), (3, 12), (3, 13)] {
        let figures = demo_figures(3000, systems, seed);
        assert_eq!(figures.wrongly_linked, 0, "{figures}");
        assert!(figures.recall_with_review() >= 0.95, "{figures}");
    }
}

#[test]
fn the_blind_set_links_with_no_wrong_link_and_finds_nearly_all() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/linkage-blind");
    let read = |name: &str| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap() };
    let mut records = Vec::new();
    for (source, file) in [("a", "source_a.json"), ("b", "source_b.json")] {
        records.extend(read(file).as_array().unwrap().iter().map(|p| Record::from_patient(source, p).unwrap()));
    }
    let truth: Vec<Vec<RecordKey>> = read("truth.json")["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| vec![RecordKey::new("a", pair[0].as_str().unwrap()), RecordKey::new("b", pair[1].as_str().unwrap())])
        .collect();
    let rules = LinkRules { same_person_systems: vec!["http://clinic.example.org/empi".into()], ..LinkRules::default() };
    let linkage = link(&records, &rules, &[]);
    let figures = evaluate(&linkage, &truth);
    println!("blind set: {figures}");
    // What went wrong, by record, for reading the figures.
    let person_of = linkage.person_of();
    let by_key: HashMap<&RecordKey, &Record> = records.iter().map(|r| (r.key(), r)).collect();
    for pair in &truth {
        if person_of[&pair[0]] != person_of[&pair[1]]
            && !linkage.review.iter().any(|c| (c.a == pair[0] && c.b == pair[1]) || (c.a == pair[1] && c.b == pair[0]))
        {
            println!("missed {} / {}: {:?}", pair[0], pair[1], switchboard_identity::compare(by_key[&pair[0]], by_key[&pair[1]]).reasons);
        }
    }
    assert_eq!(figures.wrongly_linked, 0, "{figures}");
    assert!(figures.recall_with_review() >= 0.95, "{figures}");
}
