//! End-to-end: a new user's first minutes on the live demo clinic. The real app binary starts the real
//! Helios server, seeds it and runs the clinic simulator; within two minutes the window shows a
//! simulated critical result as a stat nurse callback task and a call pop from the real listener.

use std::time::Duration;
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{free_port, TestHome};

const FIRST_MINUTES: Duration = Duration::from_secs(120);

#[test]
fn a_new_user_sees_the_loop_work_on_the_live_demo() {
    let home = TestHome::new();
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), format!("[phone]\nport = {}\n", free_port())).unwrap();
    let demo_port = free_port().to_string();
    let env = [("SWITCHBOARD_DEMO_PORT", demo_port.as_str()), ("SWITCHBOARD_DEMO_PATIENTS", "200"), ("SWITCHBOARD_DEMO_SPEED", "10")];
    let app = AppSession::start_with(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path(), &env);

    // The first-run dialog says what is simulated.
    let dialog = app.find("//*[@role='dialog'][.//h2[normalize-space()='Welcome to Switchboard']]");
    assert!(app.text(&dialog).contains("A simulator plays the clinic's day"), "{}", app.text(&dialog));
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.find_within("//*[@id='demo-state'][contains(., 'Live demo clinic')]", FIRST_MINUTES);

    // A call from a patient's own number pops, through the app's real listener.
    let pop = app.find_within("//section[@aria-label='Phone call'][contains(., 'Incoming call')][contains(., 'MRN')]", FIRST_MINUTES);
    assert!(app.text(&pop).contains("Open patient"), "{}", app.text(&pop));
    shot("live-call-pop");

    // The simulated critical potassium became a stat callback task on the nurses' worklist, with why.
    let task = app.find_within("//section[@aria-label='Worklist']//tbody/tr[contains(., 'critical Potassium')]", FIRST_MINUTES);
    let row = app.text(&task);
    assert!(row.contains("stat"), "{row}");
    app.assert_accessible("live demo worklist");
    shot("live-critical-task");
}
