//! SMART on FHIR sign-in for a person at the workstation (SMART App Launch, standalone): where the
//! server's authorization server is (`discovery`), and the authorization code flow of a public native
//! client (`signin`): PKCE S256, the code received on a loopback redirect (RFC 8252), the OpenID
//! Connect id_token checked against the issuer's keys, and refresh. `oauth2` runs the OAuth exchanges,
//! `jsonwebtoken` checks the id_token's signature and claims. `backend` is the grant of a workstation
//! without a person (SMART Backend Services).

pub mod backend;
mod discovery;
mod error;
mod signin;

pub use discovery::{discover, SmartConfiguration};
pub use error::AuthError;
pub use signin::{refresh, Identity, Pending, SignIn, Tokens, CLOCK_SKEW};

/// An HTTP client for the authorization server: it never follows redirects (an OAuth endpoint that
/// redirects is refused rather than followed somewhere else).
pub fn http_client() -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| AuthError::Network(e.to_string()))
}
