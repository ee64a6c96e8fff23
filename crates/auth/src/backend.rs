//! SMART Backend Services: a workstation's own key (ECDSA P-256, made here and kept in the keyring by
//! the app) signs a short-lived `private_key_jwt` assertion, exchanged for an access token with the
//! `client_credentials` grant. No person is involved.

use crate::discovery::SmartConfiguration;
use crate::error::AuthError;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, Scope, TokenResponse, TokenUrl};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long an assertion is good for (the spec's ceiling is five minutes).
const ASSERTION_LIFE_SECONDS: i64 = 300;

/// A new private key, PKCS#8 DER.
pub fn new_key() -> Result<Vec<u8>, AuthError> {
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| AuthError::BadResponse("no randomness for a key".into()))?;
    Ok(document.as_ref().to_vec())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The public half as a JWKS to register with the authorization server; its key id is the RFC 7638
/// thumbprint.
pub fn public_jwks(pkcs8: &[u8]) -> Result<Value, AuthError> {
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &SystemRandom::new())
        .map_err(|_| AuthError::BadResponse("the stored key is not a P-256 key".into()))?;
    let point = pair.public_key().as_ref(); // 0x04 || x || y
    let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
    Ok(json!({"keys": [{"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": thumbprint(&x, &y), "alg": "ES256", "use": "sig"}]}))
}

fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    b64(ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes()).as_ref())
}

/// What the backend grant asks for: the whole system's data, in the server's scope syntax.
pub fn system_scopes(smart: &SmartConfiguration) -> Vec<String> {
    vec![if smart.scopes_v2() { "system/*.cruds" } else { "system/*.*" }.to_string()]
}

/// An access token for the backend client `client_id`, whose key is `pkcs8`: (token, seconds it lives).
pub async fn backend_token(smart: &SmartConfiguration, client_id: &str, pkcs8: &[u8]) -> Result<(String, Option<u64>), AuthError> {
    let jwks = public_jwks(pkcs8)?;
    let kid = jwks["keys"][0]["kid"].as_str().map(str::to_string);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let mut jti = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut jti).map_err(|_| AuthError::BadResponse("no randomness".into()))?;
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": smart.token_endpoint.as_str(),
        "exp": now + ASSERTION_LIFE_SECONDS, "iat": now, "jti": b64(&jti),
    });
    let header = Header { kid, typ: Some("JWT".into()), ..Header::new(Algorithm::ES256) };
    let assertion = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(pkcs8))
        .map_err(|e| AuthError::BadResponse(format!("the assertion could not be signed ({e})")))?;
    let http = crate::http_client()?;
    let oauth = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(smart.token_endpoint.clone()));
    let mut request =
        oauth.exchange_client_credentials().add_extra_param("client_assertion_type", ASSERTION_TYPE).add_extra_param("client_assertion", assertion);
    for scope in system_scopes(smart) {
        request = request.add_scope(Scope::new(scope));
    }
    let response = request.request_async(&http).await.map_err(crate::signin::token_error)?;
    Ok((response.access_token().secret().clone(), response.expires_in().map(|d| d.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_publishes_a_p256_jwk_with_a_stable_thumbprint() {
        let key = new_key().unwrap();
        let jwks = public_jwks(&key).unwrap();
        let jwk = &jwks["keys"][0];
        assert_eq!((jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()), (Some("EC"), Some("P-256"), Some("ES256")));
        assert_eq!(jwk["x"].as_str().unwrap().len(), 43);
        assert_eq!(public_jwks(&key).unwrap(), jwks, "the same key, the same JWKS");
        assert_ne!(public_jwks(&new_key().unwrap()).unwrap()["keys"][0]["kid"], jwk["kid"]);
        assert!(public_jwks(b"not a key").is_err());
    }
}
