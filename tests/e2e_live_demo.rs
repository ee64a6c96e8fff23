//! End-to-end on the live demo clinic: the real app binary starts the real Helios server and seeds it.
//! A new user's first minutes: within two minutes the window shows the simulator's critical result as a
//! stat nurse callback task and a call pop from the real listener. And a booking by keyboard alone,
//! from the search to the server.

use serde_json::Value;
use std::time::Duration;
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{client, free_port, runtime, TestHome};

const FIRST_MINUTES: Duration = Duration::from_secs(120);
const PATIENTS: &str = "200";
const CONTROL: &str = "\u{E009}";
const RELEASE: &str = "\u{E000}";
const ENTER: &str = "\u{E007}";
const DOWN: &str = "\u{E015}";
const RIGHT: &str = "\u{E014}";

/// The app on the live demo, its call listener and demo server on ports of their own.
fn live_demo_app(home: &TestHome, demo_port: &str, simulator: &str) -> AppSession {
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), format!("[phone]\nport = {}\n", free_port())).unwrap();
    let env = [
        ("SWITCHBOARD_DEMO_PORT", demo_port),
        ("SWITCHBOARD_DEMO_PATIENTS", PATIENTS),
        ("SWITCHBOARD_DEMO_SPEED", "10"),
        ("SWITCHBOARD_DEMO_SIMULATOR", simulator),
    ];
    AppSession::start_with(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path(), &env)
}

#[test]
fn a_new_user_sees_the_loop_work_on_the_live_demo() {
    let home = TestHome::new();
    let app = live_demo_app(&home, &free_port().to_string(), "on");

    // The first-run dialog says what is simulated.
    let dialog = app.find("//*[@role='dialog'][.//h2[normalize-space()='Welcome to Switchboard']]");
    assert!(app.text(&dialog).contains("A simulator plays the clinic's day"), "{}", app.text(&dialog));
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.find_within("//*[@id='demo-state'][contains(., 'Live demo clinic')]", FIRST_MINUTES);

    // A call from a patient's own number pops, through the app's real listener.
    let pop = app.find_within("//section[@aria-label='Phone call'][contains(., 'Incoming call')][contains(., 'MRN')]", FIRST_MINUTES);
    assert!(app.text(&pop).contains("Open patient"), "{}", app.text(&pop));

    // The simulated critical potassium became a stat callback task on the nurses' worklist, with why.
    let task = app.find_within("//section[@aria-label='Worklist']//tbody/tr[contains(., 'critical Potassium')]", FIRST_MINUTES);
    let row = app.text(&task);
    assert!(row.contains("stat"), "{row}");
    app.assert_accessible("live demo worklist");
    // One screenshot shows both: the pop above the worklist with the task.
    shot("live-critical-task");
}

#[test]
fn a_booking_by_keyboard_alone_goes_from_pending_to_sent() {
    let home = TestHome::new();
    let demo_port = free_port().to_string();
    let app = live_demo_app(&home, &demo_port, "off");
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.find_within("//*[@id='demo-state'][contains(., 'Live demo clinic')]", FIRST_MINUTES);
    // A patient of the clinic on the server, by the name the generator gave them.
    let options = switchboard_demo::DemoOptions { patients: PATIENTS.parse().unwrap(), seed: 1, today: chrono::Utc::now().date_naive() };
    let mut family = None;
    switchboard_demo::generate(&options, &mut |r| {
        if r["resourceType"] == "Patient" && family.is_none() {
            family = r.pointer("/name/0/family").and_then(Value::as_str).map(str::to_string);
        }
    });
    let family = family.unwrap();

    // Ctrl+K, the name, Enter: the workspace has the keyboard.
    app.keys(&format!("{CONTROL}k{RELEASE}"));
    app.keys(&family);
    app.find(&format!("//*[@role='option'][contains(., '{family}')]"));
    app.keys(ENTER);
    app.find(&format!("//section[h2[contains(., '{family}')]]"));
    // B: the booking form, its free slots grouped by day and practitioner, the list focused.
    app.keys("b");
    app.find("//form[@aria-label='Book appointment']//*[@role='listbox']");
    let focused = app.execute_async("arguments[arguments.length - 1](document.activeElement.getAttribute('role'))");
    assert_eq!(focused, "listbox", "B left the keyboard elsewhere");
    assert!(app.count("//form[@aria-label='Book appointment']//*[@role='group'][contains(@aria-label, '(usual practitioner)')]") > 0);
    // Arrows to a slot, Enter picks it, a reason, Ctrl+Enter sends.
    app.keys(&format!("{DOWN}{RIGHT}{DOWN}"));
    let slot = app.execute_async("arguments[arguments.length - 1](document.activeElement.getAttribute('aria-activedescendant'))");
    let slot = slot.as_str().unwrap().strip_prefix("slot-").unwrap().to_string();
    app.keys(ENTER);
    shot("book");
    // Every state the booking's outbox line shows from now on, in order.
    app.execute_async(
        "window.bookingStates = [];\n\
         const seen = () => { for (const li of document.querySelectorAll('section.outbox li')) {\n\
           if (li.textContent.includes('Book appointment') && window.bookingStates.at(-1) !== li.className) window.bookingStates.push(li.className); } };\n\
         new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });\n\
         arguments[arguments.length - 1](true);",
    );
    // The demo server paused, so the delivery waits on it: the booking must show pending meanwhile
    // (a local server can otherwise answer before the window has drawn the pending line).
    let paused = Paused::server_on(&demo_port);
    app.keys(&format!("Knee pain{CONTROL}{ENTER}{RELEASE}"));
    app.find("//section[contains(@class, 'outbox')]//li[contains(@class, 'state-pending')][contains(., 'Book appointment')]");
    drop(paused);
    app.find_within("//section[contains(@class, 'outbox')]//li[contains(@class, 'state-sent')][contains(., 'Book appointment')]", FIRST_MINUTES);
    let states = app.execute_async("arguments[arguments.length - 1](window.bookingStates)");
    assert_eq!(states, serde_json::json!(["state-pending", "state-sent"]), "the booking shows pending, then sent");

    // The server holds it: the slot is taken, by an appointment for that reason.
    let server = client(&format!("http://127.0.0.1:{demo_port}/"));
    let taken = runtime().block_on(server.read("Slot", &slot)).unwrap();
    assert_eq!(taken["status"], "busy", "{taken}");
}

/// A stopped (SIGSTOP) Helios server, found by the port it listens on; continued when dropped, also
/// when the test fails.
struct Paused(String);

impl Paused {
    fn server_on(port: &str) -> Paused {
        let pid = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .find(|entry| {
                let args = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let args: Vec<&[u8]> = args.split(|b| *b == 0).collect();
                args.windows(2).any(|pair| pair[0] == b"--port" && pair[1] == port.as_bytes()) && args.iter().any(|a| a.ends_with(b"hfs"))
            })
            .map(|entry| entry.file_name().to_string_lossy().to_string())
            .expect("the demo server's process");
        assert!(std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
        Paused(pid)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-CONT", &self.0]).status();
    }
}
