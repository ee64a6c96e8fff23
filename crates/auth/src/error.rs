/// Why a sign-in or a refresh did not give tokens, in words staff and IT can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the FHIR server does not say where to sign in: {0}")]
    NoDiscovery(String),
    #[error("the sign-in server could not be reached: {0}")]
    Network(String),
    #[error("the sign-in server refused: {0}")]
    Refused(String),
    #[error("the sign-in answer did not match the request that started it (state); nothing was accepted")]
    StateMismatch,
    #[error("the sign-in did not finish within {0} seconds; try again")]
    TimedOut(u64),
    #[error("the identity token was refused: {0}")]
    BadIdToken(String),
    #[error("the sign-in server's answer could not be read: {0}")]
    BadResponse(String),
}
