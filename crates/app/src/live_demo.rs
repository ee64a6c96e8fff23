//! The live demo clinic: with no clinic configured, the app runs the demo clinic on a local Helios FHIR
//! Server (started and seeded here, or the one another window already started), so actions are
//! delivered, rules fire and two windows share one worklist. The simulator plays the clinic's day on
//! it. Without Helios the demo stays offline, in the cache alone, and the window says so.

use crate::context::{runtime, App};
use crate::error::AppError;
use chrono::NaiveDate;
use serde::Serialize;
use std::path::Path;
use std::process::Child;
use std::time::Duration;
use switchboard_calls::{CallEvent, CallState};
use switchboard_core::Home;
use switchboard_demo::helios::{self, Helios};
use switchboard_demo::simulator::{self, Happening, Simulator};
use switchboard_demo::{seed_server, DemoOptions};
use switchboard_fhir::{ClientOptions, FhirClient};
pub use url::Url;

/// Patients in the demo clinic unless `SWITCHBOARD_DEMO_PATIENTS` says otherwise.
pub const DEMO_PATIENTS: u32 = 1_000;
const DEMO_SEED: u64 = 1;
/// The demo server's port unless `SWITCHBOARD_DEMO_PORT` says otherwise: a second window finds the
/// first one's server here.
pub const DEMO_PORT: u16 = 47880;
const SEEDED_MARKER: &str = "seeded-on";
const CLINIC_LINE: &str = "(217) 555-0100";

/// How the demo clinic runs, for the window to say.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum DemoState {
    /// The local server is starting (or being seeded); the cache's copy is shown meanwhile.
    Starting,
    /// On the local server; `simulated` when this window's simulator plays the day.
    Live { simulated: bool },
    /// In the cache alone: actions stay pending, no rule runs.
    Offline { reason: String },
}

/// The environment's say over the demo: `SWITCHBOARD_DEMO=offline` keeps it in the cache alone,
/// `SWITCHBOARD_DEMO_SIMULATOR=off` starts no simulator, `SWITCHBOARD_DEMO_SPEED` sets its pace and
/// `SWITCHBOARD_DEMO_PORT` the server's port, `SWITCHBOARD_DEMO_PATIENTS` the clinic's size.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    pub live: bool,
    pub simulate: Simulate,
    pub speed: f64,
    pub port: u16,
    pub patients: u32,
}

impl DemoSettings {
    pub fn from_env() -> DemoSettings {
        let var = |name: &str| std::env::var(name).ok();
        DemoSettings {
            live: var("SWITCHBOARD_DEMO").as_deref() != Some("offline"),
            simulate: if var("SWITCHBOARD_DEMO_SIMULATOR").as_deref() == Some("off") { Simulate::Off } else { Simulate::IfStartedHere },
            speed: var("SWITCHBOARD_DEMO_SPEED").and_then(|s| s.parse().ok()).filter(|s: &f64| *s > 0.0).unwrap_or(10.0),
            port: var("SWITCHBOARD_DEMO_PORT").and_then(|p| p.parse().ok()).unwrap_or(DEMO_PORT),
            patients: var("SWITCHBOARD_DEMO_PATIENTS").and_then(|p| p.parse().ok()).filter(|p| *p > 0).unwrap_or(DEMO_PATIENTS),
        }
    }
}

/// When to play the clinic's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simulate {
    Off,
    /// Only on a server this process started: a second window does not play the day twice.
    IfStartedHere,
    /// On whatever server (`switchboard demo live`).
    Always,
}

/// The demo clinic's server: the one this process started (stopped with it), or another's.
pub struct DemoServer {
    pub base: Url,
    /// The clinic on the server.
    pub clinic: DemoOptions,
    child: Option<Child>,
}

impl DemoServer {
    /// The server already answering on `port`, or a new one under `home`'s data directory, seeded with
    /// the demo clinic of `patients` as of `today` (again only when the day changed). Call it from a
    /// thread that lives as long as the server should: the server stops when that thread ends.
    pub fn start(home: &Home, port: u16, patients: u32, today: NaiveDate) -> Result<DemoServer, AppError> {
        let base = Url::parse(&format!("http://127.0.0.1:{port}/")).map_err(|e| AppError::Internal(e.to_string()))?;
        let clinic = |today| DemoOptions { patients, seed: DEMO_SEED, today };
        if helios::is_healthy(port) {
            return Ok(DemoServer { clinic: clinic(served_day(&base)?), base, child: None });
        }
        let helios = Helios::installed()
            .ok_or_else(|| AppError::NotFound("the Helios FHIR server is not installed here (scripts/install-fhir-server.sh installs it)".into()))?;
        let dir = home.data_dir.join("demo-server");
        let fresh = read_marker(&dir) != Some((today, patients));
        if fresh {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(format!("cannot make {}: {e}", dir.display())))?;
        let mut child =
            helios.spawn(&dir, port, base.as_str().trim_end_matches('/'), true).map_err(|e| AppError::Internal(format!("cannot start Helios: {e}")))?;
        if let Err(why) = helios::wait_healthy(port, &mut child, Duration::from_secs(60)) {
            let _ = child.kill();
            // Another window may have taken the port a moment earlier: use its server.
            if helios::is_healthy(port) {
                return Ok(DemoServer { clinic: clinic(served_day(&base)?), base, child: None });
            }
            return Err(AppError::Internal(why));
        }
        let server = DemoServer { base, clinic: clinic(today), child: Some(child) };
        if fresh {
            runtime()?.block_on(seed_server(&server.client()?, &server.clinic, &mut |_| {}))?;
            std::fs::write(dir.join(SEEDED_MARKER), format!("{today} {patients}")).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(server)
    }

    pub fn started_here(&self) -> bool {
        self.child.is_some()
    }

    pub fn client(&self) -> Result<FhirClient, AppError> {
        client_of(&self.base)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn client_of(base: &Url) -> Result<FhirClient, AppError> {
    Ok(FhirClient::new(base.clone(), ClientOptions::default())?)
}

/// The day and size of the clinic the server in `dir` was seeded with, once seeding finished.
fn read_marker(dir: &Path) -> Option<(NaiveDate, u32)> {
    let text = std::fs::read_to_string(dir.join(SEEDED_MARKER)).ok()?;
    let (day, patients) = text.trim().split_once(' ')?;
    Some((day.parse().ok()?, patients.parse().ok()?))
}

/// The day the running server's clinic was seeded for (its schedules' horizon starts then). A server
/// on the port without the demo clinic is not ours to use.
fn served_day(base: &Url) -> Result<NaiveDate, AppError> {
    let schedule = runtime()?.block_on(client_of(base)?.read("Schedule", "sched-1")).map_err(|_| {
        AppError::Invalid(format!("port {} answers, but not with the demo clinic (set SWITCHBOARD_DEMO_PORT to another port)", base.port().unwrap_or_default()))
    })?;
    schedule
        .pointer("/planningHorizon/start")
        .and_then(|d| d.as_str()?.parse().ok())
        .ok_or_else(|| AppError::Invalid("the demo server's schedule has no start day".into()))
}

/// Plays the clinic's day on the server until `keep_going` says stop: results, arrivals, no-shows and
/// cancellations are written to the server; calls ring the app's listener on `call_port`.
pub fn simulate(app: &App, server: &DemoServer, speed: f64, call_port: u16, keep_going: &dyn Fn() -> bool) -> Result<(), AppError> {
    let runtime = runtime()?;
    let client = server.client()?;
    let token = crate::call_token(&app.home, false)?;
    let run = app.clock.now().timestamp().to_string();
    let mut simulator = Simulator::new(&server.clinic, app.clock.now().timestamp_millis() as u64, &run);
    let mut calls = 0u32;
    let mut listener_missed = false;
    while keep_going() {
        std::thread::sleep(simulator.pause(speed));
        let Some(happening) = simulator.next(app.clock.now()) else { return Ok(()) };
        if let Happening::Call { from, .. } = &happening {
            calls += 1;
            let event = CallEvent { call_id: format!("demo-{run}-{calls}"), from: from.clone(), to: Some(CLINIC_LINE.into()), state: CallState::Ringing };
            // Said once: the window may not be open yet, or its listener turned off.
            if let Err(error) = runtime.block_on(switchboard_calls::hand_over(call_port, &token, Some(&event))) {
                if !std::mem::replace(&mut listener_missed, true) {
                    tracing::warn!(%error, "the simulator's calls do not reach a call listener");
                }
            }
            continue;
        }
        if let Err(error) = runtime.block_on(simulator::apply(&client, &happening)) {
            tracing::warn!(kind = AppError::from(error).kind().code(), "the simulator could not write to the demo server");
        }
    }
    Ok(())
}

/// Starts (or finds) the demo server and, when it started here and the settings allow, plays the day
/// on it, on the calling thread, for the app's life. `on_state` hears each change of state, with the
/// server's address once it is live.
pub fn run(settings: &DemoSettings, on_state: &dyn Fn(DemoState, Option<Url>)) {
    let offline = |reason: String| on_state(DemoState::Offline { reason }, None);
    if !settings.live {
        return offline("the live demo is turned off (SWITCHBOARD_DEMO=offline)".into());
    }
    let app = match App::from_env() {
        Ok(app) => app,
        Err(error) => return offline(error.to_string()),
    };
    on_state(DemoState::Starting, None);
    let server = match DemoServer::start(&app.home, settings.port, settings.patients, app.clock.now().date_naive()) {
        Ok(server) => server,
        Err(error) => return offline(error.to_string()),
    };
    let simulated = match settings.simulate {
        Simulate::Off => false,
        Simulate::IfStartedHere => server.started_here(),
        Simulate::Always => true,
    };
    on_state(DemoState::Live { simulated }, Some(server.base.clone()));
    if simulated {
        if let Err(error) = simulate(&app, &server, settings.speed, app.config.phone.port, &|| true) {
            tracing::warn!(kind = error.kind().code(), "the clinic simulator stopped");
        }
    }
    // The server stops when this thread ends: keep it for the app's life.
    while server.started_here() {
        std::thread::park();
    }
}
