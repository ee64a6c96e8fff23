//! End-to-end for the HL7 feed's dead letters: the real receiver holds a result for a patient it does
//! not know and refuses a malformed one; the real app binary in WebKitGTK, on the receiver's own home,
//! lists both on the Sources page with why; once the patient is on the server and synced, Replay
//! applies the held one and it leaves the list.

use crate::hl7::{configured_home, ok, send, serve, switchboard, MRN_SYSTEM};
use serde_json::json;
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{client, free_port, runtime, FhirServer};

const FEED: &str = "//section[@aria-label='HL7 feed: messages refused or held']";

#[test]
fn the_sources_page_lists_the_feeds_held_and_refused_messages_and_replays_one() {
    let server = FhirServer::start();
    let authorities = format!("authorities = {{ CLINIC = \"{MRN_SYSTEM}\" }}\n\n[phone]\nport = {}\n", free_port());
    let (home, port) = configured_home(&server, &authorities);
    let _receiver = serve(&home, port);
    let patient = json!({"mrn": "E2E7", "authority": "CLINIC", "family": "Halloran", "given": "Maeve", "birth_date": "19820614", "sex": "F"});
    let acks = send(port, &patient, &["oru-critical:HELD1", "malformed:BAD7"]);
    assert_eq!((acks[0]["ack"].as_str(), acks[1]["ack"].as_str()), (Some("AA"), Some("AE")), "{acks:#?}");

    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());
    app.click(&app.find("//header//button[normalize-space()='Sources']"));
    let held = format!("{FEED}//tr[td[.='HELD1']]");
    app.find(&format!("{held}/td[contains(., 'held for review (AA)')]"));
    app.find(&format!("{held}/td[contains(., 'no patient record matches')]"));
    app.find(&format!("{FEED}//tr[td[.='BAD7']]/td[contains(., 'refused (AE)')]"));
    app.find(&format!("{FEED}//tr[td[.='BAD7']]/td[contains(., 'OBX-3')]"));
    shot("hl7-dead-letters");
    app.assert_accessible("HL7 feed list");

    // The patient registered on the server and synced here: Replay applies the held result.
    let registered = json!({"resourceType": "Patient", "identifier": [{"system": MRN_SYSTEM, "value": "E2E7"}],
        "name": [{"family": "Halloran", "given": ["Maeve"]}], "birthDate": "1982-06-14", "gender": "female"});
    runtime().block_on(client(&server.base()).create(&registered, &format!("identifier={MRN_SYSTEM}|E2E7"))).unwrap();
    ok(switchboard(&home, &["sync"]));
    app.click(&app.find(&format!("{held}//button[.='Replay']")));
    app.find(&format!("{FEED}//p[@role='status'][contains(., 'replayed: applied')]"));
    app.wait_gone(&held);
    app.find(&format!("{FEED}//tr[td[.='BAD7']]"));
}
