//! Prints the desktop app's figures with a large demo clinic cached: cold start to the first interactive
//! screen, switching patients (Enter on a search result until the workspace is painted), a call event
//! posted to the app's listener until its pop, and until its patient's workspace, is painted, and memory.
//! Drives the real release binary in WebKitGTK through tauri-driver, like the end-to-end test.
//!
//! BENCH_UI_PATIENTS (default 100000): demo clinic size; 0 skips this bench.
//! SWITCHBOARD_APP: the app binary (default: `switchboard` beside this bench in the target directory;
//! scripts/bench.sh builds it first). Needs a display and a keyring (scripts/bench.sh provides both).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use switchboard_testkit::webdriver::AppSession;
use switchboard_testkit::TestHome;

const SWITCHES: usize = 60;
const CALLS: usize = 40;
const STARTS: usize = 3;

fn main() {
    let patients: u32 = std::env::var("BENCH_UI_PATIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if patients == 0 {
        return;
    }
    let app = switchboard_bench::app_binary();
    let home = TestHome::new();
    let port = switchboard_testkit::free_port();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(home.path().join("config/config.toml"), format!("[phone]\nport = {port}\n")).unwrap();
    let started = Instant::now();
    let loaded = Command::new(&app)
        .args(["demo", "load", "--patients", &patients.to_string()])
        .env("SWITCHBOARD_HOME", home.path())
        .status()
        .expect("the app binary runs");
    assert!(loaded.success(), "demo load failed");
    println!("== desktop app with {patients} demo patients cached (release build, WebKitGTK under Xvfb)");
    println!("demo load         {:>8.1} s", started.elapsed().as_secs_f64());

    let mut starts = Vec::new();
    let mut session = None;
    for _ in 0..STARTS {
        drop(session.take());
        let app_session = AppSession::start(&app, home.path());
        starts.push(startup(&app_session, home.path()));
        // The first-run choice over the worklist, its button focused.
        app_session.find("//*[@role='dialog']//button");
        session = Some(app_session);
    }
    let session = session.unwrap();
    starts.sort_by(|a, b| a.total().total_cmp(&b.total()));
    let shown: Vec<String> = starts.iter().map(|s| format!("{:.0}", s.total())).collect();
    let median = &starts[STARTS / 2];
    println!("cold start        median {:>6.0} ms   (runs: {} ms; the app process started -> the worklist painted)", median.total(), shown.join(", "));
    println!(
        "  of which         native {:>6.0} ms   page code {:>5.0} ms   first data and paint {:>5.0} ms   (median run: process -> page load -> code run -> worklist)",
        median.native, median.page, median.first_screen
    );

    session.click(&session.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    session.wait_gone("//*[@role='dialog']");
    let mut rng = fastrand::Rng::with_seed(5);
    let mut switches: Vec<f64> = (0..SWITCHES)
        .map(|_| {
            let mrn = format!("MRN{:07}", 1_000_000 + rng.u32(..patients));
            match session.execute_async(&switch_script(&mrn)) {
                Value::Number(ms) => ms.as_f64().unwrap(),
                other => panic!("switching to {mrn} failed: {other}"),
            }
        })
        .collect();
    switches.sort_by(f64::total_cmp);
    let at = |p: f64| switches[((switches.len() as f64 * p).ceil() as usize).clamp(1, switches.len()) - 1];
    println!(
        "patient switch    p50 {:>6.1} ms   p95 {:>6.1} ms   max {:>6.1} ms   ({SWITCHES} switches: Enter on the result -> workspace painted)",
        at(0.5),
        at(0.95),
        switches[switches.len() - 1]
    );

    calls(&session, &app, &home, port, patients);

    let (app_kib, anonymous_kib, webkit_kib) = memory(home.path());
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!("memory (RSS)      app {:>6.0} MiB   WebKit processes {:>6.0} MiB   total {:>6.0} MiB", mib(app_kib), mib(webkit_kib), mib(app_kib + webkit_kib));
    println!(
        "  app process      anonymous {:>4.0} MiB (heap, stacks, SQLite page cache)   mapped files {:>4.0} MiB (code, WebKitGTK and GTK libraries)",
        mib(anonymous_kib),
        mib(app_kib - anonymous_kib)
    );
}

/// Types an MRN into the search box, waits for its result, then times Enter until the workspace shows
/// that patient and the next frame is painted.
fn switch_script(mrn: &str) -> String {
    format!(
        r#"const done = arguments[arguments.length - 1];
const appeared = (ok) => new Promise((resolve, reject) => {{
  if (ok()) return resolve();
  const watch = new MutationObserver(() => {{ if (ok()) {{ watch.disconnect(); resolve(); }} }});
  watch.observe(document.body, {{ subtree: true, childList: true, characterData: true, attributes: true }});
  setTimeout(() => {{ watch.disconnect(); reject(new Error("timed out")); }}, 10000);
}});
(async () => {{
  const input = document.querySelector("input[aria-label='Find a patient']");
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  input.focus();
  setValue.call(input, "{mrn}");
  input.dispatchEvent(new Event("input", {{ bubbles: true }}));
  await appeared(() => document.querySelector("[cmdk-item][aria-selected='true']")?.textContent.includes("{mrn}"));
  const started = performance.now();
  input.dispatchEvent(new KeyboardEvent("keydown", {{ key: "Enter", bubbles: true }}));
  await appeared(() => [...document.querySelectorAll("main section > p")].some((p) => p.textContent.includes("MRN {mrn}")));
  await new Promise((painted) => requestAnimationFrame(() => painted()));
  done(performance.now() - started);
}})().catch((e) => done("error: " + e));"#
    )
}

/// One cold start, in milliseconds: the app process's start until the page began loading (Rust:
/// config, keyring, cache, the WebKit processes), the page's code loading and running, and the first
/// data read and the worklist painted.
struct Startup {
    native: f64,
    page: f64,
    first_screen: f64,
}

impl Startup {
    fn total(&self) -> f64 {
        self.native + self.page + self.first_screen
    }
}

/// Reads the page's start-up marks once the worklist is painted, and the app process's start time.
fn startup(session: &AppSession, home: &Path) -> Startup {
    let script = r#"const done = arguments[arguments.length - 1];
const check = () => {
  const screen = performance.getEntriesByName("switchboard:first-screen")[0];
  if (!screen) return setTimeout(check, 10);
  const script = performance.getEntriesByName("switchboard:script")[0];
  done([performance.timeOrigin, script.startTime, screen.startTime]);
};
check();"#;
    let marks = session.execute_async(script);
    let mark = |i: usize| marks[i].as_f64().unwrap_or_else(|| panic!("no start-up marks: {marks}"));
    let (app, _) = processes(home).into_iter().find(|(_, comm)| comm == "switchboard").expect("the app process");
    Startup { native: mark(0) - started_at_ms(&app), page: mark(1), first_screen: mark(2) - mark(1) }
}

/// When a process started, in milliseconds since the epoch (to the kernel's 10 ms tick).
fn started_at_ms(process: &Path) -> f64 {
    let stat = std::fs::read_to_string(process.join("stat")).unwrap();
    // Field 22, counted after the command name's closing parenthesis (field 2 may hold spaces).
    let ticks: f64 = stat.rsplit(')').next().unwrap().split_whitespace().nth(19).unwrap().parse().unwrap();
    let uptime: f64 = std::fs::read_to_string("/proc/uptime").unwrap().split_whitespace().next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    (now - uptime + ticks / 100.0) * 1000.0
}

/// The processes that inherited this SWITCHBOARD_HOME (the app and the WebKit processes it started),
/// as their /proc directory and command name.
fn processes(home: &Path) -> Vec<(PathBuf, String)> {
    let marker = format!("SWITCHBOARD_HOME={}", home.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|dir| std::fs::read(dir.join("environ")).is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes())))
        .map(|dir| {
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default().trim().to_string();
            (dir, comm)
        })
        .collect()
}

/// Resident memory in KiB: the app process's, how much of it is anonymous (heap, stacks, SQLite's page
/// cache) rather than mapped files (code and libraries), and the WebKit processes' it started.
fn memory(home: &Path) -> (u64, u64, u64) {
    let (mut app, mut app_anonymous, mut webkit) = (0, 0, 0);
    for (dir, comm) in processes(home) {
        let rollup = std::fs::read_to_string(dir.join("smaps_rollup")).unwrap_or_default();
        let field = |name: &str| -> u64 {
            rollup.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()).and_then(|v| v.parse().ok()).unwrap_or(0)
        };
        match comm.as_str() {
            "switchboard" => {
                app += field("Rss:");
                app_anonymous += field("Anonymous:");
            }
            name if name.starts_with("WebKit") && name != "WebKitWebDriver" => webkit += field("Rss:"),
            _ => {}
        }
    }
    (app, app_anonymous, webkit)
}

/// Posts ringing then answered events for numbers that belong to one patient each, and reads what the
/// window recorded: listener receipt to the pop painted, and to the patient's workspace painted.
fn calls(session: &AppSession, app: &Path, home: &TestHome, port: u16, patients: u32) {
    let token = String::from_utf8(Command::new(app).args(["phone", "token"]).env("SWITCHBOARD_HOME", home.path()).output().unwrap().stdout).unwrap();
    let token = token.trim();
    let store = home.store();
    let now = chrono::Utc::now();
    let mut rng = fastrand::Rng::with_seed(9);
    let mut numbers = Vec::new();
    while numbers.len() < CALLS {
        let Some(view) = store.patient_view("demo", &format!("pat-{:06}", rng.u32(..patients)), now).unwrap() else { continue };
        let Some(phone) = view.patient.banner.phones.first() else { continue };
        if store.callers(phone, now.date_naive()).unwrap().is_some_and(|m| m.len() == 1) {
            numbers.push(phone.clone());
        }
    }
    let (mut pops, mut workspaces) = (Vec::new(), Vec::new());
    for (i, number) in numbers.iter().enumerate() {
        for (state, into) in [("ringing", &mut pops), ("answered", &mut workspaces)] {
            let array = if state == "ringing" { "__switchboardPopPaints" } else { "__switchboardCallPaints" };
            let event = serde_json::json!({"call_id": format!("bench-{i}"), "from": number, "state": state}).to_string();
            let (status, words) = switchboard_testkit::post_call(port, Some(token), "application/json", &event);
            assert_eq!(status, 204, "{words}");
            match session.execute_async(&recorded_script(array, into.len() + 1)) {
                Value::Number(ms) => into.push(ms.as_f64().unwrap()),
                other => panic!("call {i} ({state}) was not painted: {other}"),
            }
        }
        let ended = serde_json::json!({"call_id": format!("bench-{i}"), "from": number, "state": "ended"}).to_string();
        switchboard_testkit::post_call(port, Some(token), "application/json", &ended);
    }
    for (name, mut figures) in [("call -> pop", pops), ("call -> workspace", workspaces)] {
        figures.sort_by(f64::total_cmp);
        let at = |p: f64| figures[((figures.len() as f64 * p).ceil() as usize).clamp(1, figures.len()) - 1];
        println!(
            "{name:<17} p50 {:>6.1} ms   p95 {:>6.1} ms   max {:>6.1} ms   ({CALLS} calls: event received by the listener -> painted)",
            at(0.5),
            at(0.95),
            figures[figures.len() - 1]
        );
    }
}

/// Waits until the window has recorded `count` figures in `window[array]` and returns the last one.
fn recorded_script(array: &str, count: usize) -> String {
    format!(
        r#"const done = arguments[arguments.length - 1];
const started = Date.now();
const check = () => {{
  const figures = window.{array} || [];
  if (figures.length >= {count}) return done(figures[{count} - 1]);
  if (Date.now() - started > 10000) return done("timed out");
  setTimeout(check, 5);
}};
check();"#
    )
}
