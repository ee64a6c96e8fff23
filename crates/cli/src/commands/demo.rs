//! `switchboard demo seed|load`.

use crate::args::{DemoCommand, DemoSize};
use crate::progress::counter_bar;
use chrono::SecondsFormat;
use std::time::Instant;
use switchboard_app::live_demo::{self, DemoSettings, DemoState, Simulate};
use switchboard_app::App;
use switchboard_app::AppError;
use switchboard_core::config::parse_fhir_url;
use switchboard_demo::{load_into_store, seed_server, DemoOptions};
use switchboard_fhir::{ClientOptions, FhirClient};

pub fn run(ctx: &App, command: DemoCommand) -> Result<(), AppError> {
    match command {
        DemoCommand::Seed { fhir, size } => seed(ctx, &fhir, &size),
        DemoCommand::Load { size } => load(ctx, &size),
        DemoCommand::Live { speed } => live(speed),
    }
}

/// Runs until stopped (Ctrl+C), printing each change of the demo's state.
fn live(speed: f64) -> Result<(), AppError> {
    let settings = DemoSettings { live: true, simulate: Simulate::Always, speed, ..DemoSettings::from_env() };
    let failed = std::cell::RefCell::new(None);
    live_demo::run(&settings, &|state, server| match state {
        DemoState::Starting => eprintln!("starting the demo clinic's server"),
        DemoState::Live { .. } => {
            println!("the demo clinic is live at {}; playing its day at {speed}x (Ctrl+C stops)", server.map(|s| s.to_string()).unwrap_or_default())
        }
        DemoState::Offline { reason } => *failed.borrow_mut() = Some(reason),
    });
    match failed.into_inner() {
        Some(reason) => Err(AppError::NotFound(format!("the live demo cannot run: {reason}"))),
        None => Ok(()),
    }
}

fn options(ctx: &App, size: &DemoSize) -> DemoOptions {
    DemoOptions { patients: size.patients, seed: size.seed, today: ctx.clock.now().date_naive() }
}

fn seed(ctx: &App, fhir: &str, size: &DemoSize) -> Result<(), AppError> {
    let base = parse_fhir_url(fhir).map_err(|p| AppError::Invalid(format!("--fhir: {p}")))?;
    let client = FhirClient::new(base, ClientOptions::default())?;
    let started = Instant::now();
    let bar = counter_bar(None, "seeding resources");
    let sent = switchboard_app::runtime()?.block_on(seed_server(&client, &options(ctx, size), &mut |n| bar.set_position(n)))?;
    bar.finish_and_clear();
    println!("seeded {sent} resources for {} patients in {:.1} s", size.patients, started.elapsed().as_secs_f64());
    Ok(())
}

fn load(ctx: &App, size: &DemoSize) -> Result<(), AppError> {
    let mut store = ctx.open_store()?;
    let started = Instant::now();
    let bar = counter_bar(None, "loading resources");
    let now = ctx.clock.now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let written = load_into_store(&mut store, &options(ctx, size), &now, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!("loaded {written} resources for {} patients in {seconds:.1} s ({:.0}/s)", size.patients, written as f64 / seconds);
    Ok(())
}
