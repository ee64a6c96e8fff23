//! A person's sign-in: the authorization code flow of a public native client with PKCE (S256), the
//! code received on a loopback redirect, the id_token checked (signature against the issuer's JWKS,
//! issuer, audience, expiry, nonce), and a silent refresh later.

use crate::discovery::SmartConfiguration;
use crate::error::AuthError;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// The id_token beside the OAuth token response's standard fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}
impl oauth2::ExtraTokenFields for IdTokenField {}

type SmartTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type SmartClient = oauth2::Client<
    BasicErrorResponse,
    SmartTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Who signed in, from the checked id_token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub subject: String,
    /// The signed-in person's FHIR resource ("Practitioner/123"), from the `fhirUser` claim.
    pub fhir_user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds the access token lives, as the server said.
    pub expires_in: Option<u64>,
    /// Present after a sign-in; a refresh may not repeat it.
    pub identity: Option<Identity>,
    /// The checked id_token itself (a sign-out names it to the server).
    pub id_token: Option<String>,
}

/// What a sign-in is configured with: the server's endpoints, the registered client id, and the FHIR
/// server the tokens are for (SMART's `aud`).
pub struct SignIn {
    pub smart: SmartConfiguration,
    pub client_id: String,
    pub fhir_base: Url,
    /// How far the issuer's clock may be from ours when expiry is checked.
    pub clock_skew: Duration,
}

/// The clock difference a sign-in tolerates unless told otherwise.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// A sign-in started: the URL to open in the system browser, and what checks the answer.
pub struct Pending {
    pub authorize_url: Url,
    listener: TcpListener,
    redirect: Url,
    state: CsrfToken,
    nonce: String,
    verifier: PkceCodeVerifier,
}

#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default, rename = "fhirUser")]
    fhir_user: Option<String>,
}

fn client(smart: &SmartConfiguration, client_id: &str) -> SmartClient {
    oauth2::Client::new(ClientId::new(client_id.to_string()))
        .set_auth_uri(AuthUrl::from_url(smart.authorization_endpoint.clone()))
        .set_token_uri(TokenUrl::from_url(smart.token_endpoint.clone()))
}

fn random_text() -> String {
    CsrfToken::new_random().secret().clone()
}

impl SignIn {
    /// Opens the loopback listener (127.0.0.1, a port the OS picks) and builds the authorization URL.
    pub async fn start(&self) -> Result<Pending, AuthError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| AuthError::Network(format!("no loopback port for the sign-in: {e}")))?;
        let port = listener.local_addr().map_err(|e| AuthError::Network(e.to_string()))?.port();
        let redirect = Url::parse(&format!("http://127.0.0.1:{port}/callback")).expect("a loopback URL parses");
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = random_text();
        let oauth = client(&self.smart, &self.client_id).set_redirect_uri(RedirectUrl::from_url(redirect.clone()));
        let mut request = oauth
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.clone())
            .add_extra_param("aud", self.fhir_base.as_str())
            .add_extra_param("prompt", "consent");
        for scope in self.smart.user_scopes() {
            request = request.add_scope(Scope::new(scope));
        }
        let (authorize_url, state) = request.url();
        Ok(Pending { authorize_url, listener, redirect, state, nonce, verifier })
    }

    /// Waits for the browser to come back with the code, exchanges it, and checks the id_token.
    pub async fn finish(&self, pending: Pending, wait: Duration) -> Result<Tokens, AuthError> {
        let (code, state) = tokio::time::timeout(wait, receive_code(&pending.listener)).await.map_err(|_| AuthError::TimedOut(wait.as_secs()))??;
        if state != *pending.state.secret() {
            return Err(AuthError::StateMismatch);
        }
        self.exchange(code, pending.verifier, &pending.redirect, &pending.nonce).await
    }

    /// The code for tokens (with the PKCE verifier), then the id_token checked.
    pub async fn exchange(&self, code: String, verifier: PkceCodeVerifier, redirect: &Url, nonce: &str) -> Result<Tokens, AuthError> {
        let http = crate::http_client()?;
        let response = client(&self.smart, &self.client_id)
            .set_redirect_uri(RedirectUrl::from_url(redirect.clone()))
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .map_err(token_error)?;
        let id_token =
            response.extra_fields().id_token.clone().ok_or_else(|| AuthError::BadIdToken("the server sent no id_token (was `openid` granted?)".into()))?;
        let identity = self.check_id_token(&http, &id_token, nonce).await?;
        Ok(Tokens { identity: Some(identity), id_token: Some(id_token), ..tokens(&response) })
    }

    /// Checks the id_token's signature against the issuer's keys, and its issuer, audience, expiry and
    /// nonce; returns who signed in.
    pub async fn check_id_token(&self, http: &reqwest::Client, id_token: &str, nonce: &str) -> Result<Identity, AuthError> {
        let bad = |why: String| AuthError::BadIdToken(why);
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| bad(format!("unreadable ({e})")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::ES384) {
            return Err(bad(format!("signed with {:?}, which is not accepted", header.alg)));
        }
        let issuer = self.smart.issuer.clone().ok_or_else(|| bad("the server names no issuer to check it against".into()))?;
        let jwks_uri = match &self.smart.jwks_uri {
            Some(uri) => uri.clone(),
            None => issuer.join("jwks").map_err(|e| bad(e.to_string()))?,
        };
        let keys: jsonwebtoken::jwk::JwkSet = http
            .get(jwks_uri.clone())
            .send()
            .await
            .map_err(|e| AuthError::Network(e.to_string()))?
            .json()
            .await
            .map_err(|e| AuthError::BadResponse(format!("{jwks_uri}: {e}")))?;
        let key = match &header.kid {
            Some(kid) => keys.find(kid).ok_or_else(|| bad(format!("signed with key `{kid}`, which the issuer does not publish")))?,
            None => keys.keys.first().ok_or_else(|| bad("the issuer publishes no keys".into()))?,
        };
        let key = DecodingKey::from_jwk(key).map_err(|e| bad(format!("the issuer's key cannot be used ({e})")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[issuer.as_str().trim_end_matches('/'), issuer.as_str()]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.clock_skew.as_secs();
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation).map_err(|e| bad(id_token_problem(&e)))?.claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(bad("its nonce is not the one this sign-in sent (a replayed or swapped token)".into()));
        }
        Ok(Identity { subject: claims.sub, fhir_user: claims.fhir_user })
    }
}

/// A new access token from a refresh token, without the person. A refused refresh means signing in again.
pub async fn refresh(smart: &SmartConfiguration, client_id: &str, refresh_token: &str) -> Result<Tokens, AuthError> {
    let http = crate::http_client()?;
    let response =
        client(smart, client_id).exchange_refresh_token(&RefreshToken::new(refresh_token.to_string())).request_async(&http).await.map_err(token_error)?;
    let mut fresh = tokens(&response);
    // A server may keep the same refresh token and not repeat it.
    fresh.refresh_token.get_or_insert_with(|| refresh_token.to_string());
    Ok(fresh)
}

fn tokens(response: &SmartTokenResponse) -> Tokens {
    Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        expires_in: response.expires_in().map(|d| d.as_secs()),
        identity: None,
        id_token: None,
    }
}

fn id_token_problem(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => "its signature does not match the issuer's key".into(),
        ErrorKind::ExpiredSignature => "it has expired".into(),
        ErrorKind::InvalidIssuer => "it was issued by another server".into(),
        ErrorKind::InvalidAudience => "it was issued for another application".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("it has no `{claim}`"),
        other => format!("{other:?}"),
    }
}

pub(crate) fn token_error<E: std::error::Error>(error: oauth2::RequestTokenError<E, BasicErrorResponse>) -> AuthError {
    match error {
        oauth2::RequestTokenError::ServerResponse(answer) => {
            let words = answer.error_description().cloned().unwrap_or_default();
            AuthError::Refused(format!("{} {}", answer.error(), words).trim().to_string())
        }
        oauth2::RequestTokenError::Request(e) => AuthError::Network(e.to_string()),
        oauth2::RequestTokenError::Parse(e, _) => AuthError::BadResponse(e.to_string()),
        oauth2::RequestTokenError::Other(words) => AuthError::BadResponse(words),
    }
}

/// Serves the loopback redirect until a request carries a code (or an error), and answers the browser
/// in words; other requests (a favicon) are answered and ignored.
async fn receive_code(listener: &TcpListener) -> Result<(String, String), AuthError> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(|e| AuthError::Network(e.to_string()))?;
        let mut head = vec![0u8; 8192];
        let read = stream.read(&mut head).await.unwrap_or(0);
        let text = String::from_utf8_lossy(&head[..read]);
        let target = text.split(' ').nth(1).unwrap_or("/");
        let url = Url::parse(&format!("http://127.0.0.1{target}")).ok();
        let query = |name: &str| url.as_ref().and_then(|u| u.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()));
        let outcome = match (query("code"), query("state"), query("error")) {
            (_, _, Some(error)) => Some(Err(AuthError::Refused(format!("{error} {}", query("error_description").unwrap_or_default()).trim().to_string()))),
            (Some(code), Some(state), None) => Some(Ok((code, state))),
            _ => None,
        };
        let body = match &outcome {
            Some(Ok(_)) => "Signed in. You can close this tab and go back to Switchboard.",
            Some(Err(_)) => "The sign-in was refused. Go back to Switchboard to try again.",
            None => "Switchboard is waiting for the sign-in.",
        };
        let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let _ = stream.write_all(answer.as_bytes()).await;
        if let Some(outcome) = outcome {
            return outcome;
        }
    }
}
