//! The one error shape that crosses IPC: `{ "code": "...", "message": "..." }`.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BoundaryError {
    pub code: String,
    pub message: String,
}

impl From<switchboard_store::StoreError> for BoundaryError {
    fn from(e: switchboard_store::StoreError) -> Self {
        BoundaryError { code: e.code().to_string(), message: e.to_string() }
    }
}

impl From<switchboard_outbox::ActionError> for BoundaryError {
    fn from(e: switchboard_outbox::ActionError) -> Self {
        match e {
            switchboard_outbox::ActionError::Invalid(words) => BoundaryError { code: "action.invalid".into(), message: words },
            switchboard_outbox::ActionError::Store(e) => e.into(),
        }
    }
}

impl From<switchboard_cli::CliError> for BoundaryError {
    fn from(e: switchboard_cli::CliError) -> Self {
        BoundaryError { code: format!("cli.{}", e.exit_code()), message: e.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let error = BoundaryError::from(switchboard_store::StoreError::KeyMalformed);
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["code"], "store.key_malformed");
        assert_eq!(json.as_object().unwrap().len(), 2);
    }
}
