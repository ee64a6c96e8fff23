//! Call events in. A phone system reports calls to a listener on 127.0.0.1, protected by a shared
//! token: Twilio-style voice webhooks (form fields) or a generic JSON event. `switchboard call` and
//! `tel:` links hand their event to the running app through the same listener.

mod desk;
mod event;
mod listener;

pub use desk::{choose_caller, on_event, CallPop, PatientRef};

pub use event::{parse_event, CallEvent, CallState, EventError};
pub use listener::{hand_over, now_ms, HandOverError, Inbound, Listener};
