//! The app-level tests, linked as one binary (each file is a module): against a real Helios server,
//! the real OS keyring and the real app binary. `cargo test --test app MODULE::` runs one file's tests.

mod audit;
mod bindings;
mod cache_keys;
mod calls;
mod cli;
mod e2e;
mod e2e_calls;
mod e2e_hl7;
mod e2e_linked;
mod e2e_live_demo;
mod e2e_lock;
mod e2e_partial;
mod e2e_signin;
mod export;
mod fuzz;
mod hl7;
mod hostile;
mod identity;
mod intake;
mod invariants;
mod live_demo;
mod outbox;
mod package;
mod restricted;
mod rules;
mod signin;
mod sync_faults;
mod sync_fhir;
mod unlock;
