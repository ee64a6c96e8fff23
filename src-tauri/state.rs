//! The app's managed state: the loaded application core, the window's cache connection (or why it
//! could not be opened), the background worker and the phone side.

use crate::error::BoundaryError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard};
use switchboard_app::live_demo::{self, DemoSettings, DemoState};
use switchboard_app::{App, AppEvent, ChangeReason, DataChanged, Job, Notify, Rounds, Worker};
use switchboard_core::{Clock, Config, Home, SystemClock};
use switchboard_store::Store;

/// The window's page cache: a worklist and a few workspaces' pages (memory figures in ARCHITECTURE.md).
const WINDOW_PAGE_CACHE_MIB: u32 = 8;

pub struct AppState {
    app: RwLock<App>,
    pub worker: Worker,
    pub phone: crate::phone::Phone,
    store: Mutex<Result<Store, BoundaryError>>,
    /// How the demo clinic runs, when no clinic is configured.
    demo: Arc<Mutex<Option<DemoState>>>,
    locked: AtomicBool,
}

impl AppState {
    /// Loads the app and opens the cache; with no source configured and no demo data yet, loads the
    /// demo clinic, and starts its live server in the background. Starts the worker, which keeps its
    /// own connection.
    pub fn start(notify: Notify) -> AppState {
        let settings = DemoSettings::from_env();
        let loaded = App::from_env().map_err(BoundaryError::from);
        let opened = loaded.as_ref().map_err(Clone::clone).and_then(|app| {
            let mut store = app.open_store()?;
            store.limit_page_cache(WINDOW_PAGE_CACHE_MIB).map_err(|e| BoundaryError::from(switchboard_app::AppError::from(e)))?;
            store.leave_checkpoints_to_others().map_err(|e| BoundaryError::from(switchboard_app::AppError::from(e)))?;
            if app.demo_clinic {
                switchboard_demo::ensure_demo_loaded(&mut store, settings.patients, app.clock.now())
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
        let demo = Arc::new(Mutex::new(None));
        // The worker's app gains the live demo's server as its source once it is up.
        let live_server = Arc::new(OnceLock::new());
        let load = {
            let live_server = live_server.clone();
            move || App::from_env().map(|app| app.with_live_demo(live_server.get()))
        };
        let worker = Worker::start_with(load, notify.clone(), Rounds::for_app);
        if app.demo_clinic {
            let (demo, jobs) = (demo.clone(), worker.jobs());
            let on_state = move |state: DemoState, server: Option<live_demo::Url>| {
                *demo.lock().unwrap_or_else(|p| p.into_inner()) = Some(state);
                if let Some(server) = server {
                    let _ = live_server.set(server);
                    jobs.request(Job::Reload);
                }
                notify(AppEvent::DataChanged(DataChanged { reason: ChangeReason::Sync }));
            };
            std::thread::Builder::new().name("switchboard-demo".into()).spawn(move || live_demo::run(&settings, &on_state)).expect("the OS can start a thread");
        }
        AppState { app: RwLock::new(app), worker, phone: Default::default(), store: Mutex::new(opened), demo, locked: AtomicBool::new(false) }
    }

    /// How the demo clinic runs (None on a configured clinic).
    pub fn demo(&self) -> Option<DemoState> {
        self.demo.lock().unwrap_or_else(|p| p.into_inner()).clone()
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

    /// Whether the screen is locked (see `commands::lock_screen`).
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    /// Refuses while the screen is locked.
    pub fn unlocked(&self) -> Result<(), BoundaryError> {
        match self.is_locked() {
            true => Err(BoundaryError { code: "locked".into(), message: "The screen is locked: unlock it to see patient data.".into() }),
            false => Ok(()),
        }
    }

    /// The open cache for a read or write of patient data: refused while the screen is locked.
    pub fn with_phi<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, BoundaryError>) -> Result<T, BoundaryError> {
        self.unlocked()?;
        self.with_store(f)
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
