//! Exit codes scripts can rely on, from the kind of failure.

use switchboard_app::{AppError, ErrorKind};

pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const CACHE: u8 = 4;
pub const SERVER: u8 = 5;
pub const UNSETTLED: u8 = 6;

/// 2 usage or config, 3 not found, 4 cache or keyring, 5 server or network, 6 actions failed or in
/// conflict, 1 anything else.
pub fn exit_code(error: &AppError) -> u8 {
    match error.kind() {
        ErrorKind::Config | ErrorKind::Invalid => USAGE,
        ErrorKind::NotFound => NOT_FOUND,
        ErrorKind::Cache | ErrorKind::Keyring => CACHE,
        ErrorKind::Network => SERVER,
        ErrorKind::Conflict => UNSETTLED,
        ErrorKind::Internal => 1,
    }
}
