//! The app's managed state: the loaded application core, the window's cache connection (or why it
//! could not be opened), the background worker and the phone side.

use crate::error::BoundaryError;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use switchboard_app::{App, Job, Notify, Rounds, Worker};
use switchboard_core::{Clock, Config, Home, SystemClock};
use switchboard_store::Store;

pub struct AppState {
    app: RwLock<App>,
    pub worker: Worker,
    pub phone: crate::phone::Phone,
    store: Mutex<Result<Store, BoundaryError>>,
}

/// Patients in the demo clinic the app opens on when no clinic is configured.
const DEMO_PATIENTS: u32 = 1_000;

impl AppState {
    /// Loads the app and opens the cache; with no source configured and no demo data yet, loads the
    /// demo clinic. Starts the worker, which keeps its own connection.
    pub fn start(notify: Notify) -> AppState {
        let loaded = App::from_env().map_err(BoundaryError::from);
        let opened = loaded.as_ref().map_err(Clone::clone).and_then(|app| {
            let mut store = app.open_store()?;
            if app.config.sources.is_empty() {
                switchboard_demo::ensure_demo_loaded(&mut store, DEMO_PATIENTS, app.clock.now())
                    .map_err(|e| BoundaryError::from(switchboard_app::AppError::from(e)))?;
            }
            Ok(store)
        });
        if let Err(error) = &opened {
            tracing::error!(code = %error.code, "cache could not be opened");
        }
        // Without a readable config the window still opens, on defaults, and says why.
        let app = loaded
            .unwrap_or_else(|_| App::new(Home::from_env().unwrap_or_else(|_| Home::under(&std::env::temp_dir())), Config::default(), Arc::new(SystemClock)));
        AppState { app: RwLock::new(app), worker: Worker::start(notify, Rounds::default()), phone: Default::default(), store: Mutex::new(opened) }
    }

    /// The loaded application core.
    pub fn app(&self) -> RwLockReadGuard<'_, App> {
        self.app.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.app().clock.clone()
    }

    /// The config changed on disk: load it again here and in the worker.
    pub fn reload(&self) -> Result<(), BoundaryError> {
        let app = App::from_env()?;
        *self.app.write().unwrap_or_else(|p| p.into_inner()) = app;
        self.worker.request(Job::Reload);
        Ok(())
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
