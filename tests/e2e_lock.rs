//! End-to-end for the idle lock: the real app binary in WebKitGTK, left idle for the clinic's idle
//! time (one minute here), hides every patient's data from the page, refuses patient reads in Rust,
//! shows a call only as "Incoming call", and gives back a half-written note when unlocked.

use std::process::Command;
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{demo_phone_numbers, free_port, post_call, TestHome};

const ENTER: &str = "\u{E007}";

fn page(app: &AppSession) -> String {
    app.execute_async("arguments[arguments.length - 1](document.documentElement.outerHTML)").as_str().unwrap().to_string()
}

#[test]
fn the_idle_lock_hides_patient_data_and_keeps_a_half_written_note() {
    let home = TestHome::new();
    let port = free_port();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(home.path().join("config").join("config.toml"), format!("[phone]\nport = {port}\n\n[session]\nidle_lock_minutes = 1\n")).unwrap();
    let token = Command::new(env!("CARGO_BIN_EXE_switchboard")).args(["phone", "token"]).env("SWITCHBOARD_HOME", home.path()).output().unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();

    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.find("//section[@aria-label='Worklist']//tbody/tr");
    let search = app.find("//input[@aria-label='Find a patient']");
    app.type_into(&search, "garcia");
    app.find("//*[@role='option']");
    app.type_into(&search, ENTER);
    let name = app.text(&app.find("//section/h2[contains(., 'García')]")).trim().to_string();
    app.keys("n");
    let note = app.find("//form[@aria-label='Add note']//*[@name='text']");
    app.type_into(&note, "Half a note about the refill");
    assert!(page(&app).contains(&name));

    // A minute without a key or the mouse: the lock, with nothing of the patient left in the page.
    app.find_within("//section[@aria-label='Switchboard is locked']", std::time::Duration::from_secs(90));
    let locked = page(&app);
    for secret in [name.as_str(), "Half a note", "MRN"] {
        assert!(!locked.contains(secret), "the locked page still holds {secret:?}");
    }
    // The Rust side refuses patient reads too, whatever the page asks.
    let refused = app.execute_async(
        "const done = arguments[arguments.length - 1];\
         window.__TAURI_INTERNALS__.invoke('search_patients', { text: 'garcia' }).then(r => done('answered ' + r.length), e => done(e.code));",
    );
    assert_eq!(refused, "locked");

    // A call on a locked screen says only that it rings.
    let now = chrono::Utc::now();
    let (single, _) = demo_phone_numbers(&home.store(), now, 300);
    let caller = home.store().callers(&single, now.date_naive()).unwrap().unwrap().remove(0).hit.banner.name.unwrap();
    let event = serde_json::json!({"call_id": "CA-locked", "from": single, "to": "+12175550000", "state": "ringing"}).to_string();
    assert_eq!(post_call(port, Some(&token), "application/json", &event).0, 204);
    app.find("//section[@aria-label='Switchboard is locked']//*[normalize-space()='Incoming call']");
    let ringing = page(&app);
    let digits: String = single.chars().filter(char::is_ascii_digit).collect();
    assert!(!ringing.contains(&caller) && !ringing.contains(&digits[digits.len() - 7..]), "the caller shows on a locked screen");
    app.assert_accessible("lock screen");
    shot("locked");

    // Unlocked: the patient, the open form and its text as they were; the call pops in full.
    app.click(&app.find("//button[normalize-space()='Unlock']"));
    app.find(&format!("//section/h2[contains(., '{name}')]"));
    app.find("//form[@aria-label='Add note']//*[@name='text']");
    let kept = app.execute_async("arguments[arguments.length - 1](document.querySelector(\"form[aria-label='Add note'] [name='text']\").value)");
    assert_eq!(kept, "Half a note about the refill");
    app.find(&format!("//section[@aria-label='Phone call'][contains(., '{caller}')]"));
}
