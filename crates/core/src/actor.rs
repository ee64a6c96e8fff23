//! Who is behind an action or a read: the signed-in person when there is one, and always the
//! workstation. Audit events and delivered actions name both.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct Actor {
    /// The signed-in Practitioner ("Practitioner/123"); None without sign-in.
    pub practitioner: Option<String>,
    /// The name shown for them: the signed-in person's, else the workstation's user.
    pub name: String,
    /// This machine's host name.
    pub workstation: String,
}

impl Actor {
    /// Without sign-in: the OS user at this workstation.
    pub fn at_workstation(user: impl Into<String>) -> Actor {
        Actor { practitioner: None, name: user.into(), workstation: workstation_name() }
    }

    /// The rules, which act on no one's behalf: this workstation's copy of them.
    pub fn rules() -> Actor {
        Actor::at_workstation("Switchboard rules")
    }

    /// What the audit log's "user" column holds: the Practitioner reference, else the name.
    pub fn user_key(&self) -> &str {
        self.practitioner.as_deref().unwrap_or(&self.name)
    }
}

/// The host name, or "this workstation" when the OS will not say; asked once per process (every audit
/// event and queued action names it).
pub fn workstation_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| gethostname::gethostname().into_string().ok().filter(|name| !name.is_empty()).unwrap_or_else(|| "this workstation".into())).clone()
}
