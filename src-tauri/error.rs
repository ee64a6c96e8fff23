//! The one error shape that crosses IPC: `{ "code": "...", "message": "..." }`. The code is the kind
//! of failure (`config`, `keyring`, `cache`, `network`, `conflict`, `not-found`, `invalid`,
//! `internal`), the message says it in words.

use serde::Serialize;
use switchboard_app::AppError;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BoundaryError {
    pub code: String,
    pub message: String,
}

impl From<AppError> for BoundaryError {
    fn from(e: AppError) -> Self {
        BoundaryError { code: e.kind().code().to_string(), message: e.to_string() }
    }
}

impl From<switchboard_store::StoreError> for BoundaryError {
    fn from(e: switchboard_store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<switchboard_outbox::ActionError> for BoundaryError {
    fn from(e: switchboard_outbox::ActionError) -> Self {
        AppError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_the_kind_and_the_words() {
        let error = BoundaryError::from(switchboard_store::StoreError::KeyMalformed);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["code"], "keyring");
        assert_eq!(json["message"], switchboard_store::StoreError::KeyMalformed.to_string());
        assert_eq!(json.as_object().unwrap().len(), 2);
        let invalid = BoundaryError::from(switchboard_outbox::ActionError::Invalid("cancelling needs a reason".into()));
        assert_eq!((invalid.code.as_str(), invalid.message.as_str()), ("invalid", "cancelling needs a reason"));
    }
}
