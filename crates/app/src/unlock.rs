//! The short local unlock a clinic may allow (`[session] unlock_pin = true`): the signed-in person sets
//! a PIN, kept in the OS keyring as a salted PBKDF2 hash. It unlocks only their own sign-in, until they
//! sign out, someone signs in again, or five wrong tries make it forgotten (then only a sign-in unlocks).

use crate::context::App;
use crate::error::AppError;
use crate::secrets;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use std::num::NonZeroU32;
use switchboard_core::AuditAction;
use switchboard_store::Store;

/// How long a PIN may be, in digits.
pub const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;
/// Wrong PINs in a row before the PIN is forgotten.
pub const PIN_TRIES: u32 = 5;
/// PBKDF2-HMAC-SHA256 rounds: a stolen keyring entry costs a guesser this much per PIN tried.
const ROUNDS: u32 = 200_000;

#[derive(serde::Serialize, serde::Deserialize)]
struct PinRecord {
    /// Whose sign-in the PIN unlocks (the session's subject).
    subject: String,
    salt: String,
    hash: String,
    tries_left: u32,
}

fn derive(pin: &str, salt: &[u8]) -> [u8; 32] {
    let mut hash = [0u8; 32];
    ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, NonZeroU32::new(ROUNDS).expect("non-zero"), salt, pin.as_bytes(), &mut hash);
    hash
}

fn matches(record: &PinRecord, pin: &str) -> bool {
    let (Ok(salt), Ok(hash)) = (BASE64.decode(&record.salt), BASE64.decode(&record.hash)) else { return false };
    ring::pbkdf2::verify(ring::pbkdf2::PBKDF2_HMAC_SHA256, NonZeroU32::new(ROUNDS).expect("non-zero"), &salt, pin.as_bytes(), &hash).is_ok()
}

fn save(app: &App, source: &str, record: &PinRecord) -> Result<(), AppError> {
    let text = serde_json::to_string(record).map_err(|e| AppError::Internal(e.to_string()))?;
    secrets::store_unlock_pin(&app.home, source, Some(&text))
}

impl App {
    /// The signed-in source whose person may use a PIN here, or why not.
    fn pin_source(&self) -> Result<(String, String), AppError> {
        if !self.config.session.unlock_pin {
            return Err(AppError::Invalid("this clinic does not allow a PIN unlock (`[session] unlock_pin` in config.toml); sign in again".into()));
        }
        let source = self.signed_in_source()?.ok_or_else(|| AppError::Invalid("a PIN unlocks a sign-in, and no one is signed in here".into()))?;
        let subject = secrets::session(&self.home, &source)?.map(|s| s.subject).unwrap_or_default();
        Ok((source, subject))
    }

    /// Sets the signed-in person's unlock PIN (4 to 8 digits), replacing any earlier one.
    pub fn set_unlock_pin(&self, pin: &str) -> Result<(), AppError> {
        let (source, subject) = self.pin_source()?;
        if !PIN_DIGITS.contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::Invalid(format!("a PIN is {} to {} digits", PIN_DIGITS.start(), PIN_DIGITS.end())));
        }
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        let record = PinRecord { subject, salt: BASE64.encode(salt), hash: BASE64.encode(derive(pin, &salt)), tries_left: PIN_TRIES };
        save(self, &source, &record)
    }

    /// Checks a PIN at the lock screen. A wrong one is audited as a failed sign-in and uses up a try;
    /// the last wrong try forgets the PIN.
    pub fn unlock_with_pin(&self, store: &mut Store, pin: &str) -> Result<(), AppError> {
        let (source, subject) = self.pin_source()?;
        let stored = secrets::unlock_pin(&self.home, &source)?;
        let record: Option<PinRecord> = stored.and_then(|text| serde_json::from_str(&text).ok());
        let Some(mut record) = record.filter(|r| r.subject == subject) else {
            return Err(AppError::Invalid("no unlock PIN is set for this sign-in; sign in again".into()));
        };
        if matches(&record, pin) {
            if record.tries_left != PIN_TRIES {
                record.tries_left = PIN_TRIES;
                save(self, &source, &record)?;
            }
            return Ok(());
        }
        record.tries_left = record.tries_left.saturating_sub(1);
        let words = match record.tries_left {
            0 => {
                secrets::store_unlock_pin(&self.home, &source, None)?;
                "wrong PIN, and too many: the PIN is forgotten; sign in again to unlock".to_string()
            }
            left => {
                save(self, &source, &record)?;
                format!("wrong PIN ({left} tries left)")
            }
        };
        self.audit(store, AuditAction::SignInFailed, None, &format!("{source}: unlock PIN: {words}"))?;
        Err(AppError::Invalid(words))
    }
}
