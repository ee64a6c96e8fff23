//! The app's managed state: the context and the opened cache (or why it could not be opened).

use crate::background::{Background, Notify};
use crate::error::BoundaryError;
use std::sync::{Arc, Mutex, MutexGuard};
use switchboard_cli::Context;
use switchboard_core::Clock;
use switchboard_store::Store;

pub struct AppState {
    pub clock: Arc<dyn Clock>,
    pub month_first: bool,
    pub background: Background,
    pub phone: crate::phone::Phone,
    store: Mutex<Result<Store, BoundaryError>>,
}

/// Patients in the demo clinic the app opens on when no clinic is configured.
const DEMO_PATIENTS: u32 = 1_000;

impl AppState {
    /// Opens the cache; with no source configured and no demo data yet, loads the demo clinic.
    pub fn start(notify: Notify) -> AppState {
        let opened = Context::from_env().map_err(BoundaryError::from).and_then(|ctx| {
            let mut store = ctx.open_store()?;
            if ctx.config.sources.is_empty() {
                switchboard_demo::ensure_demo_loaded(&mut store, DEMO_PATIENTS, ctx.clock.now())
                    .map_err(|e| BoundaryError { code: "demo.load".into(), message: e.to_string() })?;
            }
            Ok((ctx, store))
        });
        match opened {
            Ok((ctx, store)) => AppState {
                month_first: ctx.month_first(),
                clock: ctx.clock,
                background: Background::start(notify),
                phone: Default::default(),
                store: Mutex::new(Ok(store)),
            },
            Err(error) => {
                tracing::error!(code = %error.code, "cache could not be opened");
                AppState {
                    clock: Arc::new(switchboard_core::SystemClock),
                    month_first: true,
                    background: Background::start(notify),
                    phone: Default::default(),
                    store: Mutex::new(Err(error)),
                }
            }
        }
    }

    /// The open cache, or the reason it is not open.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, BoundaryError>) -> Result<T, BoundaryError> {
        let mut guard: MutexGuard<'_, Result<Store, BoundaryError>> = self.store.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *guard {
            Ok(store) => f(store),
            Err(error) => Err(error.clone()),
        }
    }
}
