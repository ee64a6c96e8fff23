//! Calls in the desktop app: the local listener, screen pops, and one app instance. A second launch
//! (a `tel:` link, or the app started twice) hands its call, or a request to come forward, to the
//! running app through the listener and exits.

use crate::state::AppState;
use serde::Serialize;
use std::sync::Mutex;
use switchboard_app::{call_token, App, Job};
use switchboard_calls::{hand_over, now_ms, on_event, CallEvent, CallPop, CallState, Inbound, Listener};
use switchboard_core::AuditAction;
use tauri::{AppHandle, Emitter, Manager, Runtime, UserAttentionType};
use ts_rs::TS;

/// The event name a pop travels under.
pub const CALL: &str = "call";

/// The listener, kept alive for the app's life, whether it listens (for IT, on the Sources page), and
/// the latest pop (the window asks for it when it opens, so a call that arrived during start-up is not
/// lost).
#[derive(Default)]
pub struct Phone {
    pub last: Mutex<Option<CallPop>>,
    pub status: Mutex<PhoneStatus>,
    listener: Mutex<Option<Listener>>,
}

/// Whether phone systems can reach this workstation, in words when they cannot.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PhoneStatus {
    pub port: u16,
    pub listening: bool,
    /// Why not, when not listening.
    pub problem: Option<String>,
}

/// A `tel:` link's number: `tel:+1-217-555-0101;phone-context=...` gives `+1-217-555-0101`.
pub fn tel_event(link: &str) -> Option<CallEvent> {
    let number = link.strip_prefix("tel:")?.split(';').next()?;
    // Percent-decoding only: a `+` in a tel: link is the international prefix, not a space.
    let number = percent_encoding::percent_decode_str(number).decode_utf8_lossy().into_owned();
    (!number.trim().is_empty()).then(|| CallEvent { call_id: format!("tel-{}", now_ms()), from: number, to: None, state: CallState::Ringing })
}

/// What the phone side needs from the config and the keyring, read once at launch.
pub struct PhoneSetup {
    port: u16,
    /// The listener's token; `None` when `[phone] listen = false`, an error when the keyring failed.
    token: Option<Result<String, String>>,
    agent: String,
}

impl PhoneSetup {
    /// `None` without a readable config (the window says why when it opens).
    pub fn load() -> Option<PhoneSetup> {
        let app = App::from_env().ok()?;
        let token = app.config.phone.listen.then(|| call_token(&app.home, false).map_err(|e| e.to_string()));
        Some(PhoneSetup { port: app.config.phone.port, token, agent: app.agent_name() })
    }

    /// When another Switchboard already listens, gives it the `tel:` call (or asks it to come
    /// forward) and returns true: this launch then exits.
    pub fn handed_to_running(&self, tel: Option<&CallEvent>) -> bool {
        let Some(Ok(token)) = &self.token else { return false };
        let Ok(runtime) = switchboard_app::runtime() else { return false };
        runtime.block_on(hand_over(self.port, token, tel)).is_ok()
    }
}

/// Starts the listener (unless `[phone] listen = false`) and, for a `tel:` launch, pops its call.
pub fn start<R: Runtime>(app: &AppHandle<R>, setup: Option<PhoneSetup>, tel: Option<CallEvent>) {
    let Some(PhoneSetup { port, token, agent }) = setup else { return };
    let state = app.state::<AppState>();
    let status = match token {
        None => PhoneStatus { port, listening: false, problem: Some("turned off in the config ([phone] listen = false)".into()) },
        Some(token) => {
            let (handle, agent) = (app.clone(), agent.clone());
            let started = token.and_then(|token| {
                Listener::start(port, token, move |inbound| receive(&handle, &agent, inbound)).map_err(|e| format!("port {port} could not be opened ({e})"))
            });
            match started {
                Ok(listener) => {
                    *state.phone.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
                    PhoneStatus { port, listening: true, problem: None }
                }
                Err(problem) => {
                    tracing::warn!(port, %problem, "the call listener did not start; calls will not pop");
                    PhoneStatus { port, listening: false, problem: Some(problem) }
                }
            }
        }
    };
    *state.phone.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
    if let Some(event) = tel {
        receive(app, &agent, Inbound::Call { event, received_ms: now_ms() });
    }
}

fn receive<R: Runtime>(app: &AppHandle<R>, agent: &str, inbound: Inbound) {
    let window = app.get_webview_window("main");
    match inbound {
        Inbound::Focus => {
            if let Some(window) = window {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }
        Inbound::Call { event, received_ms } => {
            let state = app.state::<AppState>();
            let now = state.clock().now();
            let applied = {
                // The app before the cache, as every command takes them (never the other way round).
                let app_core = state.app();
                state.with_store(|store| {
                    let pop = on_event(store, &event, agent, received_ms, now, app_core.work_source())?;
                    // Each patient the pop names is read by the agent (the same call's events fold into one read).
                    for caller in &pop.matches {
                        let patient = (caller.hit.source.as_str(), caller.hit.banner.id.as_str());
                        app_core.audit(store, AuditAction::CallPop, Some(patient), &format!("call {}", pop.call_id))?;
                    }
                    Ok(pop)
                })
            };
            let pop = match applied {
                Ok(pop) => pop,
                Err(error) => return tracing::error!(code = %error.code, "a call event could not be applied"),
            };
            if pop.logged {
                state.worker.request(Job::Deliver);
            }
            // Ringing asks for attention (the taskbar entry flashes) without taking focus from typing.
            if pop.state == CallState::Ringing {
                if let Some(window) = &window {
                    let _ = window.request_user_attention(Some(UserAttentionType::Informational));
                }
            }
            *state.phone.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(pop.clone());
            // A locked screen learns only that a call came in; the caller is shown once unlocked.
            let _ = app.emit(CALL, if state.is_locked() { pop.redacted() } else { pop });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tel_links_give_the_number() {
        assert_eq!(tel_event("tel:+1-217-555-0101;phone-context=example.com").unwrap().from, "+1-217-555-0101");
        assert_eq!(tel_event("tel:%2B12175550101").unwrap().from, "+12175550101");
        assert!(tel_event("tel:").is_none());
        assert!(tel_event("mailto:x@example.com").is_none());
    }
}
