//! The built-in demo clinic: a deterministic, seeded outpatient practice. The same seed and anchor date
//! always give the same resources, so tests and benchmarks are repeatable.

mod catalog;
mod clinic;
pub mod helios;
mod load;
mod names;
pub mod simulator;
pub mod sources;

pub use clinic::{generate, DemoOptions};

/// The demo clinic's time zone: its times are generated at UTC-6, central standard time.
pub const DEMO_TIME_ZONE: &str = "America/Chicago";
pub use load::{ensure_demo_loaded, load_into_store, seed_resources, seed_server, seed_sources, DemoError, DEMO_SOURCE};
