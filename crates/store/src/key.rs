//! The cache key: 32 random bytes, generated on first run and kept only in the OS keyring.

use crate::error::StoreError;
use std::path::Path;
use switchboard_core::Home;

pub const KEYRING_SERVICE: &str = "switchboard";

/// The key for this home's cache. A new key is minted only when there is no cache file yet: an existing
/// cache without its key is an error, never silently replaced.
pub fn cache_key(home: &Home) -> Result<[u8; 32], StoreError> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, &home.cache_key_account()).map_err(|e| StoreError::KeyringUnavailable(e.to_string()))?;
    crate::usage::count_keyring_read();
    match entry.get_password() {
        Ok(hex) => decode_hex(&hex).ok_or(StoreError::KeyMalformed),
        Err(keyring::Error::NoEntry) if !has_cache(&home.cache_file()) => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| StoreError::KeyringUnavailable(format!("no randomness: {e}")))?;
            entry.set_password(&encode_hex(&key)).map_err(|e| StoreError::KeyringUnavailable(e.to_string()))?;
            Ok(key)
        }
        Err(keyring::Error::NoEntry) => Err(StoreError::KeyMissing { path: home.cache_file() }),
        Err(e) => Err(StoreError::KeyringUnavailable(e.to_string())),
    }
}

fn has_cache(path: &Path) -> bool {
    path.metadata().map(|m| m.len() > 0).unwrap_or(false)
}

pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7) as u8);
        assert_eq!(decode_hex(&encode_hex(&key)), Some(key));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex(&"zz".repeat(32)), None);
    }
}
