//! Secrets in the OS keyring besides the cache key: each source's bearer token or a person's sign-in
//! (its refresh token), and the call listener's token. The `App` reads each once and keeps it for the
//! process's life.

use crate::error::AppError;
use switchboard_core::Home;
use switchboard_store::{usage, KEYRING_SERVICE};

fn entry(account: String) -> Result<keyring::Entry, AppError> {
    keyring::Entry::new(KEYRING_SERVICE, &account).map_err(|e| AppError::Keyring(format!("the OS keyring cannot be used: {e}")))
}

fn read(entry: &keyring::Entry) -> Result<Option<String>, AppError> {
    usage::count_keyring_read();
    match entry.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(AppError::Keyring(format!("the OS keyring cannot be read: {e}"))),
    }
}

fn written(result: keyring::Result<()>) -> Result<(), AppError> {
    result.map_err(|e| AppError::Keyring(format!("the OS keyring cannot be written: {e}")))
}

/// Keeps `secret` in the entry, or forgets what it held (forgetting nothing is fine).
fn keep(entry: &keyring::Entry, secret: Option<&str>) -> Result<(), AppError> {
    written(match secret {
        Some(secret) => entry.set_password(secret),
        None => match entry.delete_credential() {
            Err(keyring::Error::NoEntry) => Ok(()),
            other => other,
        },
    })
}

fn token_entry(home: &Home, source: &str) -> Result<keyring::Entry, AppError> {
    entry(format!("source-token:{}:{source}", home.config_dir.display()))
}

/// A source's bearer token, if one was stored.
pub fn source_token(home: &Home, source: &str) -> Result<Option<String>, AppError> {
    read(&token_entry(home, source)?)
}

/// Stores a source's bearer token, or forgets it.
pub fn store_source_token(home: &Home, source: &str, token: Option<&str>) -> Result<(), AppError> {
    keep(&token_entry(home, source)?, token)
}

/// The call listener's shared token; made (32 random bytes, hex) on first use or when `rotate` asks
/// for a new one.
pub fn call_token(home: &Home, rotate: bool) -> Result<String, AppError> {
    let entry = entry(format!("call-listener-token:{}", home.config_dir.display()))?;
    if !rotate {
        if let Some(token) = read(&entry)? {
            return Ok(token);
        }
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    written(entry.set_password(&token))?;
    Ok(token)
}

/// A person's sign-in to a source, kept between runs: the refresh token and who it is for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredSession {
    pub refresh_token: String,
    pub fhir_user: Option<String>,
    pub subject: String,
    /// Their role, from their PractitionerRole codes at sign-in (None when the clinic maps no roles).
    #[serde(default)]
    pub role: Option<switchboard_core::StaffRole>,
}

fn session_entry(home: &Home, source: &str) -> Result<keyring::Entry, AppError> {
    entry(format!("session:{}:{source}", home.config_dir.display()))
}

/// The signed-in person of a source, if someone signed in there.
pub fn session(home: &Home, source: &str) -> Result<Option<StoredSession>, AppError> {
    let Some(text) = read(&session_entry(home, source)?)? else { return Ok(None) };
    serde_json::from_str(&text).map(Some).map_err(|e| AppError::Keyring(format!("the stored sign-in for `{source}` cannot be read ({e}); sign in again")))
}

/// Sign-ins are written one at a time in this process, so that a renewal putting back a rotated
/// refresh token cannot undo a sign-out made while it was asking the server.
static SESSION_WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Keeps a sign-in, or forgets it (sign-out).
pub fn store_session(home: &Home, source: &str, session: Option<&StoredSession>) -> Result<(), AppError> {
    let _one_at_a_time = SESSION_WRITES.lock().unwrap_or_else(|p| p.into_inner());
    write_session(home, source, session)
}

fn write_session(home: &Home, source: &str, session: Option<&StoredSession>) -> Result<(), AppError> {
    let text = session.map(|s| serde_json::to_string(s).map_err(|e| AppError::Internal(e.to_string()))).transpose()?;
    keep(&session_entry(home, source)?, text.as_deref())
}

/// Replaces the sign-in with `rotated` only while it is still the one whose refresh token was
/// `renewed_from`. False when the person signed out, or signed in again, meanwhile: nothing is written.
pub(crate) fn rotate_session(home: &Home, source: &str, renewed_from: &str, rotated: &StoredSession) -> Result<bool, AppError> {
    let _one_at_a_time = SESSION_WRITES.lock().unwrap_or_else(|p| p.into_inner());
    match session(home, source)? {
        Some(current) if current.refresh_token == renewed_from => write_session(home, source, Some(rotated)).map(|()| true),
        _ => Ok(false),
    }
}

fn pin_entry(home: &Home, source: &str) -> Result<keyring::Entry, AppError> {
    entry(format!("unlock-pin:{}:{source}", home.config_dir.display()))
}

/// The signed-in person's unlock PIN record (a salted hash, see `unlock`), if they set one.
pub(crate) fn unlock_pin(home: &Home, source: &str) -> Result<Option<String>, AppError> {
    read(&pin_entry(home, source)?)
}

/// Keeps an unlock PIN record, or forgets it (sign-in, sign-out, too many wrong tries).
pub(crate) fn store_unlock_pin(home: &Home, source: &str, record: Option<&str>) -> Result<(), AppError> {
    keep(&pin_entry(home, source)?, record)
}

/// A backend source's private key (PKCS#8, made here on first use when `create`); None when there is
/// none and `create` is false.
pub fn backend_key(home: &Home, source: &str, create: bool) -> Result<Option<Vec<u8>>, AppError> {
    use base64::Engine;
    let entry = entry(format!("backend-key:{}:{source}", home.config_dir.display()))?;
    let engine = base64::engine::general_purpose::STANDARD;
    if let Some(stored) = read(&entry)? {
        return engine.decode(stored).map(Some).map_err(|e| AppError::Keyring(format!("the stored key of `{source}` cannot be read ({e})")));
    }
    if !create {
        return Ok(None);
    }
    let key = switchboard_auth::backend::new_key().map_err(|e| AppError::Internal(e.to_string()))?;
    written(entry.set_password(&engine.encode(&key)))?;
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In the real OS keyring (the tests run under scripts/with-keyring.sh): a renewal that rotated
    /// the refresh token replaces a sign-in still current, and does not put back one signed out while
    /// it was asking the server.
    #[test]
    fn a_rotated_sign_in_is_kept_only_while_it_is_still_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::under(dir.path());
        let signed_in = StoredSession { refresh_token: "r1".into(), fhir_user: None, subject: "ann".into(), role: None };
        store_session(&home, "clinic", Some(&signed_in)).unwrap();
        let rotated = StoredSession { refresh_token: "r2".into(), ..signed_in.clone() };
        assert!(rotate_session(&home, "clinic", "r1", &rotated).unwrap());
        assert_eq!(session(&home, "clinic").unwrap().unwrap().refresh_token, "r2");
        store_session(&home, "clinic", None).unwrap();
        let late = StoredSession { refresh_token: "r3".into(), ..signed_in };
        assert!(!rotate_session(&home, "clinic", "r2", &late).unwrap());
        assert!(session(&home, "clinic").unwrap().is_none(), "the sign-out stands");
    }
}
