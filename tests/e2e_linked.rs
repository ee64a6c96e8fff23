//! End-to-end for a person in several systems: the real app binary in WebKitGTK, on a clinic of three
//! real Helios servers (an EHR, a scheduler and a lab holding one person under three ids), shows the
//! person once in search, opens one workspace whose rows name their systems, takes the lab's record
//! out of the person after staff confirm, and offers the review of links.

use std::process::Command;
use switchboard_demo::sources::{EHR, LAB, SCHEDULER};
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{client, demo_today, free_port, runtime, FhirServer, TestHome};

const ENTER: &str = "\u{E007}";

#[test]
fn a_person_in_three_systems_is_one_search_result_and_one_workspace_labelled_by_system() {
    let servers = [FhirServer::start(), FhirServer::start(), FhirServer::start()];
    let clients: Vec<_> = servers.iter().map(|s| client(&s.base())).collect();
    let persons = runtime().block_on(switchboard_demo::seed_sources(&clients.iter().collect::<Vec<_>>(), &demo_today(30, 41))).unwrap();
    let home = TestHome::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let mut config = format!("[phone]\nport = {}\n", free_port());
    for ((name, roles), server) in [(EHR, "\"patients\", \"work\""), (SCHEDULER, "\"scheduling\""), (LAB, "\"results\"")].iter().zip(&servers) {
        config.push_str(&format!("\n[[source]]\nname = \"{name}\"\nfhir = \"{}\"\nroles = [{roles}]\n", server.base()));
    }
    std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
    let synced = Command::new(env!("CARGO_BIN_EXE_switchboard")).arg("sync").env("SWITCHBOARD_HOME", home.path()).output().unwrap();
    assert!(synced.status.success(), "{}", String::from_utf8_lossy(&synced.stderr));

    let store = home.store();
    let ehr = persons
        .iter()
        .filter(|p| p.len() == 3)
        .map(|p| p[0].1.clone())
        .find(|id| store.linked_records(EHR, id).unwrap().len() == 3)
        .expect("a person linked across three systems");
    let patient: serde_json::Value = serde_json::from_str(&store.resource(EHR, "Patient", &ehr).unwrap().unwrap()).unwrap();
    let (given, family) = (patient["name"][0]["given"][0].as_str().unwrap().to_string(), patient["name"][0]["family"].as_str().unwrap().to_string());
    drop(store);

    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());
    let search = app.find("//input[@aria-label='Find a patient']");
    app.type_into(&search, &format!("{given} {family}"));
    app.find(&format!("//*[@role='option'][contains(., '{family}') and contains(., 'also in')]"));
    shot("linked-search");
    app.type_into(&search, ENTER);
    app.find(&format!("//section/h2[contains(., '{family}')]"));
    app.find("//div[contains(., 'Records of this person') and contains(., 'sched') and contains(., 'lab')]");
    app.find("//th[.='System']");
    app.find("//td[.='lab' or starts-with(., 'lab,')]");
    shot("linked-workspace");
    // Staff take the lab's record out of this person, after confirming: the workspace shows two systems.
    app.click(&app.find("//button[starts-with(@aria-label, 'Unlink lab ')]"));
    app.find("//p[@role='alert'][contains(., 'is not this person?')]");
    shot("unlink-confirm");
    app.click(&app.find("//p[@role='alert']//button[.='Unlink']"));
    app.wait_gone("//button[starts-with(@aria-label, 'Unlink lab ')]");
    app.wait_gone("//p[@role='alert'][contains(., 'is not this person?')]");
    app.find("//button[starts-with(@aria-label, 'Unlink sched ')]");
    app.click(&app.find("//button[.='Review links']"));
    app.find("//section/h2[.='Review links']");
    shot("review-links");
}
