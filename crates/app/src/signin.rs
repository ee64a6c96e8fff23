//! A person's sign-in to a source (`auth = "user"`): signing in through the system browser, keeping
//! the refresh token in the OS keyring, and the renewing access token every request to that source
//! carries. A refused refresh means "sign in again"; nothing queued is lost meanwhile (delivery waits).

use crate::context::App;
use crate::error::AppError;
use crate::secrets::{self, StoredSession};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use switchboard_auth::{discover, http_client, refresh, AuthError, Identity, SignIn, SmartConfiguration, CLOCK_SKEW};
use switchboard_core::{AuditAction, Home, SourceAuth, SourceConfig};
use switchboard_fhir::{ClientOptions, FhirClient, FhirError, TokenFuture, TokenSource};
use url::Url;

/// How long a person has to finish signing in in the browser.
const SIGN_IN_WAIT: Duration = Duration::from_secs(300);

impl App {
    /// Signs a person in to `source` in the system browser (`open` is given the address), keeps the
    /// sign-in in the keyring, and returns who they are. A failed sign-in is audited, with why.
    pub async fn sign_in(&self, source: &str, open: impl FnOnce(&Url)) -> Result<Identity, AppError> {
        let signed = self.try_sign_in(source, open).await;
        if let Err(why) = &signed {
            let mut store = self.open_store()?;
            self.audit(&mut store, AuditAction::SignInFailed, None, &format!("{source}: {why}"))?;
        }
        signed
    }

    async fn try_sign_in(&self, source: &str, open: impl FnOnce(&Url)) -> Result<Identity, AppError> {
        let config = self.source(source)?;
        let SourceAuth::User { client_id } = &config.auth else {
            return Err(AppError::Invalid(format!("source `{source}` is not set up for sign-in (auth = \"user\" and its client_id in config.toml)")));
        };
        let http = http_client().map_err(auth_error)?;
        let smart = discover(&http, &config.fhir).await.map_err(auth_error)?;
        let signin = SignIn { smart, client_id: client_id.clone(), fhir_base: config.fhir.clone(), clock_skew: CLOCK_SKEW };
        let pending = signin.start().await.map_err(auth_error)?;
        open(&pending.authorize_url);
        let tokens = signin.finish(pending, SIGN_IN_WAIT).await.map_err(auth_error)?;
        let identity = tokens.identity.clone().expect("a sign-in checks its id_token");
        let refresh_token =
            tokens.refresh_token.ok_or_else(|| AppError::Invalid("the sign-in server gave no refresh token (was offline_access granted?)".into()))?;
        let role = match &identity.fhir_user {
            Some(practitioner) if !self.config.roles.codes.is_empty() => {
                self.config.roles.role_of(&role_codes(config, &tokens.access_token, practitioner).await?)
            }
            _ => None,
        };
        let session = StoredSession { refresh_token, fhir_user: identity.fhir_user.clone(), subject: identity.subject.clone(), role };
        secrets::store_session(&self.home, source, Some(&session))?;
        // A PIN unlocks only the sign-in it was set in.
        secrets::store_unlock_pin(&self.home, source, None)?;
        self.open_store()?.due_now(source)?;
        Ok(identity)
    }

    /// Forgets the sign-in of `source` (its refresh token) on this workstation.
    pub fn sign_out(&self, source: &str) -> Result<(), AppError> {
        secrets::store_unlock_pin(&self.home, source, None)?;
        secrets::store_session(&self.home, source, None)
    }

    /// The source the person at this workstation signed in to, if anyone did (unlocking the screen
    /// asks them to sign in there again).
    /// A keyring that cannot be read is an error, never "no one signed in" (the lock fails closed).
    pub fn signed_in_source(&self) -> Result<Option<String>, AppError> {
        for source in self.config.sources.iter().filter(|s| matches!(s.auth, SourceAuth::User { .. })) {
            if secrets::session(&self.home, &source.name)?.is_some() {
                return Ok(Some(source.name.clone()));
            }
        }
        Ok(None)
    }

    /// The public JWKS of this workstation's key for a backend source (the key is made on first use).
    pub fn backend_jwks(&self, source: &str) -> Result<serde_json::Value, AppError> {
        if !matches!(self.source(source)?.auth, SourceAuth::Backend { .. }) {
            return Err(AppError::Invalid(format!("source `{source}` is not a backend client (auth = \"backend\" and its client_id in config.toml)")));
        }
        let key = secrets::backend_key(&self.home, source, true)?.expect("made when missing");
        switchboard_auth::backend::public_jwks(&key).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The person signed in on this workstation: the first signed-in source's (read from the keyring once).
    pub fn signed_in(&self) -> Option<&StoredSession> {
        self.signed_in
            .get_or_init(|| {
                self.config
                    .sources
                    .iter()
                    .filter(|s| matches!(s.auth, SourceAuth::User { .. }))
                    .find_map(|s| secrets::session(&self.home, &s.name).ok().flatten())
            })
            .as_ref()
    }
}

/// The codes of the person's PractitionerRoles on the source (`code[].coding[].code` and `.text`),
/// read with their own new token.
async fn role_codes(source: &SourceConfig, access_token: &str, practitioner: &str) -> Result<Vec<String>, AppError> {
    let options = ClientOptions { bearer_token: Some(access_token.to_string()), ..ClientOptions::default() };
    let client = FhirClient::new(source.fhir.clone(), options)?;
    let page = client.get_page(&client.search_url("PractitionerRole", &[("practitioner", practitioner)])?).await?;
    let mut codes = Vec::new();
    for raw in page.resources {
        let role: serde_json::Value = serde_json::from_str(raw.get()).map_err(|e| AppError::Internal(e.to_string()))?;
        for concept in role["code"].as_array().into_iter().flatten() {
            codes.extend(concept["coding"].as_array().into_iter().flatten().filter_map(|c| c["code"].as_str().map(str::to_string)));
            codes.extend(concept["text"].as_str().map(str::to_string));
        }
    }
    Ok(codes)
}

/// Opens an address in the system browser: `$SWITCHBOARD_BROWSER` (a command given the address) when
/// set, else `xdg-open`. The address is printed too, for a machine without a browser.
pub fn open_in_browser(url: &Url) {
    let program = std::env::var("SWITCHBOARD_BROWSER").unwrap_or_else(|_| "xdg-open".into());
    if let Err(e) = std::process::Command::new(&program).arg(url.as_str()).spawn() {
        tracing::warn!(%program, error = %e, "the browser could not be started");
    }
}

fn auth_error(error: AuthError) -> AppError {
    match error {
        AuthError::Network(detail) => AppError::Fhir(FhirError::Unreachable { base: "the sign-in server".into(), detail }),
        _ => AppError::Invalid(error.to_string()),
    }
}

/// The access token of a signed-in source, renewed from the refresh token in the keyring when it is
/// about to expire or the server refused it.
#[derive(Debug)]
pub(crate) struct UserTokens {
    home: Home,
    source: String,
    fhir: Url,
    client_id: String,
    state: tokio::sync::Mutex<Renewal>,
    refused: Mutex<Option<String>>,
}

/// A renewing token's state: the source's SMART configuration (discovered once) and the access token
/// with when to renew it.
#[derive(Debug, Default)]
struct Renewal {
    smart: Option<SmartConfiguration>,
    access: Option<(String, Instant)>,
}

impl Renewal {
    /// The access token to send, unless it is due for renewal or the server refused it.
    fn current(&self, refused: &Mutex<Option<String>>) -> Option<String> {
        let refused = refused.lock().unwrap_or_else(|p| p.into_inner()).take();
        let (token, until) = self.access.as_ref()?;
        (Instant::now() < *until && refused.as_deref() != Some(token.as_str())).then(|| token.clone())
    }

    async fn smart(&mut self, fhir: &Url) -> Result<SmartConfiguration, FhirError> {
        if self.smart.is_none() {
            let unreachable = |detail: String| FhirError::Unreachable { base: fhir.to_string(), detail };
            let http = http_client().map_err(|e| unreachable(e.to_string()))?;
            self.smart = Some(discover(&http, fhir).await.map_err(|e| unreachable(e.to_string()))?);
        }
        Ok(self.smart.clone().expect("discovered above"))
    }
}

impl UserTokens {
    pub(crate) fn for_source(home: &Home, source: &SourceConfig, client_id: &str) -> UserTokens {
        UserTokens {
            home: home.clone(),
            source: source.name.clone(),
            fhir: source.fhir.clone(),
            client_id: client_id.to_string(),
            state: tokio::sync::Mutex::default(),
            refused: Mutex::default(),
        }
    }

    fn sign_in_needed(&self, why: &str) -> FhirError {
        FhirError::SignInNeeded { reason: format!("{why} for source `{}` (switchboard signin {}, or Sign in on the Sources page)", self.source, self.source) }
    }

    async fn renewed(&self) -> Result<String, FhirError> {
        let mut state = self.state.lock().await;
        if let Some(token) = state.current(&self.refused) {
            return Ok(token);
        }
        let session = secrets::session(&self.home, &self.source)
            .map_err(|e| self.sign_in_needed(&e.to_string()))?
            .ok_or_else(|| self.sign_in_needed("no one is signed in"))?;
        let smart = state.smart(&self.fhir).await?;
        let tokens = match refresh(&smart, &self.client_id, &session.refresh_token).await {
            Ok(tokens) => tokens,
            Err(AuthError::Network(detail)) => return Err(FhirError::Unreachable { base: smart.token_endpoint.to_string(), detail }),
            Err(refusal) => return Err(self.sign_in_needed(&format!("the sign-in has ended ({refusal})"))),
        };
        if let Some(rotated) = tokens.refresh_token.as_ref().filter(|t| **t != session.refresh_token) {
            let renewed_from = session.refresh_token.clone();
            let kept = StoredSession { refresh_token: rotated.clone(), ..session };
            if !secrets::rotate_session(&self.home, &self.source, &renewed_from, &kept).map_err(|e| self.sign_in_needed(&e.to_string()))? {
                return Err(self.sign_in_needed("the person signed out while the sign-in was being renewed"));
            }
        }
        state.access = Some((tokens.access_token.clone(), renew_at(tokens.expires_in)));
        Ok(tokens.access_token)
    }
}

impl TokenSource for UserTokens {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.renewed())
    }

    fn refused(&self, token: &str) {
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.to_string());
    }
}

/// The access token of a backend source: a new `client_credentials` grant, signed with this
/// workstation's key, whenever the last one is about to expire or was refused.
#[derive(Debug)]
pub(crate) struct BackendTokens {
    source: String,
    fhir: Url,
    client_id: String,
    key: Option<Vec<u8>>,
    state: tokio::sync::Mutex<Renewal>,
    refused: Mutex<Option<String>>,
}

impl BackendTokens {
    pub(crate) fn new(source: &SourceConfig, client_id: &str, key: Option<Vec<u8>>) -> BackendTokens {
        BackendTokens {
            source: source.name.clone(),
            fhir: source.fhir.clone(),
            client_id: client_id.to_string(),
            key,
            state: tokio::sync::Mutex::default(),
            refused: Mutex::default(),
        }
    }

    async fn renewed(&self) -> Result<String, FhirError> {
        let refused_words = |why: String| FhirError::Unauthorized {
            message: format!("source `{}`'s backend grant was refused ({why}); check its registration (`switchboard source key {}`)", self.source, self.source),
        };
        let key = self.key.as_deref().ok_or_else(|| refused_words("this workstation has no key yet".into()))?;
        let mut state = self.state.lock().await;
        if let Some(token) = state.current(&self.refused) {
            return Ok(token);
        }
        let smart = state.smart(&self.fhir).await?;
        let (token, expires_in) = match switchboard_auth::backend::backend_token(&smart, &self.client_id, key).await {
            Ok(granted) => granted,
            Err(AuthError::Network(detail)) => return Err(FhirError::Unreachable { base: smart.token_endpoint.to_string(), detail }),
            Err(refusal) => return Err(refused_words(refusal.to_string())),
        };
        state.access = Some((token.clone(), renew_at(expires_in)));
        Ok(token)
    }
}

impl TokenSource for BackendTokens {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.renewed())
    }

    fn refused(&self, token: &str) {
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.to_string());
    }
}

/// When to renew a token that lives `expires_in` seconds: a tenth of its life early (at most 30 s),
/// so a request does not leave with a dying token.
fn renew_at(expires_in: Option<u64>) -> Instant {
    let life = Duration::from_secs(expires_in.unwrap_or(300));
    Instant::now() + life - (life / 10).min(Duration::from_secs(30))
}
