//! End-to-end for calls: the real app binary in WebKitGTK (through tauri-driver), its real listener
//! on 127.0.0.1, events posted as a phone system posts them, and a second launch with a `tel:` link.

use std::process::Command;
use std::time::{Duration, Instant};
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{demo_phone_numbers, free_port, post_call, TestHome};

const F2: &str = "\u{E032}";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn switchboard(home: &TestHome, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard")).args(args).env("SWITCHBOARD_HOME", home.path()).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn form_event(call: &str, from: &str, status: &str) -> String {
    let from: String = url_encode(from);
    format!("CallSid={call}&From={from}&To=%2B12175550000&CallStatus={status}&Direction=inbound")
}

fn url_encode(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn json_event(call: &str, from: &str, state: &str) -> String {
    serde_json::json!({"call_id": call, "from": from, "to": "+12175550000", "state": state}).to_string()
}

/// The milliseconds from the listener receiving an event to its patient's workspace painted, as the
/// window recorded them.
fn paints(app: &AppSession) -> Vec<u64> {
    let value = app.execute_async("arguments[arguments.length - 1](window.__switchboardCallPaints || [])");
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
}

#[test]
fn a_call_pops_its_patient_or_household_and_is_logged() {
    let home = TestHome::new();
    let port = free_port();
    std::fs::create_dir_all(home.path().join("config")).ok();
    let config = home.path().join("config").join("config.toml");
    std::fs::write(&config, format!("[phone]\nport = {port}\nagent = \"E2E desk\"\n")).unwrap();
    let token = switchboard(&home, &["phone", "token"]).trim().to_string();
    assert_eq!(token.len(), 64);

    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.find("//section[@aria-label='Worklist']//tbody/tr");
    let now = chrono::Utc::now();
    let (single, household) = demo_phone_numbers(&home.store(), now, 300);

    // Unauthenticated or malformed events are refused with a status that says why, and pop nothing.
    let (status, words) = post_call(port, None, FORM, &form_event("CA0", &single, "ringing"));
    assert_eq!(status, 401, "{words}");
    let (status, words) = post_call(port, Some(&token), JSON, r#"{"from":"+12175550101","state":"ringing"}"#);
    assert_eq!((status, words.contains("no `call_id`")), (400, true), "{words}");
    assert_eq!(app.count("//section[@aria-label='Phone call']"), 0);

    // Ringing (a Twilio form): the patient is on screen while the agent keeps typing in the search.
    let search = app.find("//input[@aria-label='Find a patient']");
    app.click(&search);
    assert_eq!(post_call(port, Some(&token), FORM, &form_event("CA1", &single, "ringing")).0, 204);
    let pop = app.find("//section[@aria-label='Phone call'][contains(., 'Incoming call')]");
    let line = app.text(&pop);
    assert!(line.contains("MRN"), "{line}");
    app.assert_accessible("call pop");
    shot("call-pop");
    let focused = app.execute_async("arguments[arguments.length - 1](document.activeElement.getAttribute('aria-label'))");
    assert_eq!(focused, "Find a patient", "the pop took focus");
    app.type_into(&search, "gar");
    app.find("//*[@role='option']");

    // Answered at the phone (JSON): the workspace opens by itself; the time from event to painted
    // workspace is recorded by the window.
    assert_eq!(post_call(port, Some(&token), JSON, &json_event("CA1", &single, "in-progress")).0, 204);
    app.find("//section[@aria-label='Call intake']");
    let name = line.split(" · ").nth(1).unwrap().trim().to_string();
    app.find(&format!("//section[h2[normalize-space()=\"{name}\"]]"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while paints(&app).is_empty() {
        assert!(Instant::now() < deadline, "the window recorded no call-to-workspace time");
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("call event to workspace painted: {:?} ms", paints(&app));

    // The intake: an emergency shows its script at once.
    let note = app.find("//section[@aria-label='Call intake']//textarea[1]");
    app.type_into(&note, "she has crushing chest pain and is sweating");
    app.find("//section[@aria-label='Call intake']//*[@role='alert'][contains(., '911')]");
    app.find("//section[@aria-label='Call intake']//mark[normalize-space()='chest pain']");
    app.assert_accessible("call intake");
    shot("intake");

    // Guided red-flag questions: a headache brings up its questions; Alt+1 in the note answers the
    // first one yes, which makes the call an emergency through the same rules.
    app.clear(&note);
    app.type_into(&note, "she has had a headache since this morning");
    let sudden = "//section[@aria-label='Call intake']//fieldset[contains(@class,'questions')]//li[1]";
    app.find(&format!("{sudden}[contains(., 'not asked')]"));
    app.type_into(&note, "\u{E00A}1\u{E000}");
    app.find(&format!("{sudden}[contains(., 'answered yes')]"));
    app.find("//section[@aria-label='Call intake']//*[@role='alert'][contains(., '911')]");
    let typed = app.execute_async("arguments[arguments.length - 1](document.querySelector(\"section[aria-label='Call intake'] textarea\").value)");
    assert_eq!(typed, "she has had a headache since this morning", "Alt+1 answered the question and typed nothing");
    app.assert_accessible("call intake with questions");
    shot("intake-questions");
    app.clear(&note);

    // Ended: logged with its agent, in the workspace's call list and the outbox.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(post_call(port, Some(&token), FORM, &form_event("CA1", &single, "completed")).0, 204);
    app.find("//section[@aria-label='Phone call'][contains(., 'logged')]");
    app.find("//h3[normalize-space()='Calls']/following-sibling::table[1]//td[normalize-space()='E2E desk']");
    let store = home.store();
    let logged = store.call("CA1").unwrap().expect("the call is in the log");
    assert_eq!((logged.disposition.as_str(), logged.agent.as_str()), ("completed", "E2E desk"));
    assert!(logged.seconds >= 1 && logged.action.is_some(), "{logged:?}");

    // A household: F2 goes to the choice, a number key picks, and the call is logged against them.
    assert_eq!(post_call(port, Some(&token), JSON, &json_event("CA2", &household, "ringing")).0, 204);
    app.find("//section[@aria-label='Phone call']//ul[@class='household']/li[2]");
    app.assert_accessible("household choice");
    shot("call-household");
    let search = app.find("//input[@aria-label='Find a patient']");
    app.type_into(&search, F2);
    let second = app.text(&app.find("//ul[@class='household']/li[2]/button"));
    let focused = app.execute_async("arguments[arguments.length - 1](document.activeElement.textContent)");
    assert!(focused.as_str().unwrap().contains('1'), "F2 did not move to the choice: {focused}");
    app.type_into(&app.find("//ul[@class='household']/li[1]/button"), "2");
    let second_name = second.split(" · ").next().unwrap().trim_start_matches('2').trim().to_string();
    app.find(&format!("//section[h2[normalize-space()=\"{second_name}\"]]"));
    assert!(store.call("CA2").unwrap().unwrap().patient.is_some());

    // A new caller: F2 fills the search with the number and opens a new-caller intake.
    assert_eq!(post_call(port, Some(&token), JSON, &json_event("CA3", "+1 312 555 0199", "ringing")).0, 204);
    app.find("//section[@aria-label='Phone call'][contains(., 'new caller')]");
    app.type_into(&app.find("//input[@aria-label='Find a patient']"), F2);
    app.find("//section[@aria-label='Call intake']");
    let typed = app.execute_async("arguments[arguments.length - 1](document.querySelector(\"input[aria-label='Find a patient']\").value)");
    assert_eq!(typed, "+13125550199");

    // IT sees the listener on the Sources page.
    app.click(&app.find("//header//button[normalize-space()='Sources']"));
    app.find(&format!("//section[@aria-label='Sources']//p[contains(., 'calls are received at http://127.0.0.1:{port}/calls')]"));

    // A softphone's hook runs `switchboard call`: the running app takes the call and pops it.
    let handed: serde_json::Value = serde_json::from_str(&switchboard(&home, &["call", "--from", &single, "--id", "CA5", "--json"])).unwrap();
    assert_eq!(handed["handed_over"], true, "{handed}");
    app.find("//section[@aria-label='Phone call'][contains(., 'Incoming call')][contains(., 'MRN')]");

    // A tel: link opened while the app runs: the second launch hands the call over and exits.
    let started = Instant::now();
    let second_launch = Command::new(env!("CARGO_BIN_EXE_switchboard")).arg(format!("tel:{household}")).env("SWITCHBOARD_HOME", home.path()).status().unwrap();
    assert!(second_launch.success() && started.elapsed() < Duration::from_secs(15), "the second launch did not hand over and exit");
    app.find("//section[@aria-label='Phone call'][contains(., 'patients share this number')]");
}
