//! End-to-end for a partial cache: the real app binary in WebKitGTK, on a clinic whose source keeps only
//! the patients in view, finds a patient the cache lacks by asking the real Helios server, and opens them.

use std::collections::BTreeSet;
use std::process::Command;
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{client, demo_today, free_port, runtime, server_resources, FhirServer, TestHome};

const ENTER: &str = "\u{E007}";

#[test]
fn search_on_a_partial_cache_asks_the_server_and_opens_who_it_found() {
    let rt = runtime();
    let server = FhirServer::start();
    rt.block_on(switchboard_demo::seed_server(&client(&server.base()), &demo_today(40, 31), &mut |_| {})).unwrap();
    let home = TestHome::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let config = format!("[phone]\nport = {}\n\n[[source]]\nname = \"ehr\"\nfhir = \"{}\"\npartial = true\n", free_port(), server.base());
    std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
    let synced = Command::new(env!("CARGO_BIN_EXE_switchboard")).arg("sync").env("SWITCHBOARD_HOME", home.path()).output().unwrap();
    assert!(synced.status.success(), "{}", String::from_utf8_lossy(&synced.stderr));

    // Someone the partial cache does not hold, with a family name no cached patient has.
    let held: BTreeSet<String> = home.store().ids_of("ehr", "Patient").unwrap().into_iter().collect();
    let everyone = rt.block_on(server_resources(&client(&server.base()), "Patient"));
    let family = |p: &serde_json::Value| p["name"][0]["family"].as_str().unwrap_or_default().to_string();
    let held_families: BTreeSet<String> = everyone.iter().filter(|(id, _)| held.contains(*id)).map(|(_, p)| family(p)).collect();
    let (_, outside) = everyone.iter().find(|(id, p)| !held.contains(*id) && !held_families.contains(&family(p))).expect("a patient out of view");
    let (family, given) = (family(outside), outside["name"][0]["given"][0].as_str().unwrap().to_string());

    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());
    let search = app.find("//input[@aria-label='Find a patient']");
    app.type_into(&search, &family);
    app.find(&format!("//*[@role='option'][contains(., '{given}') and contains(., '{family}')]"));
    shot("search-server");
    app.type_into(&search, ENTER);
    app.find(&format!("//section/h2[contains(., '{family}')]"));
    assert!(home.store().ids_of("ehr", "Patient").unwrap().contains(&outside["id"].as_str().unwrap().to_string()), "the found patient is not kept");
}
