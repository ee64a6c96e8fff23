//! A person's sign-in, against the real authorization server (npm oidc-provider) and Helios with its
//! JWT checks on: discovery from Helios, PKCE on a loopback redirect, the id_token's checks, the access
//! token taken by Helios, refresh, and every way an answer is refused.

use std::time::Duration;
use switchboard_auth::{discover, http_client, refresh, AuthError, SignIn, CLOCK_SKEW};
use switchboard_testkit::authz::{AuthServer, Browser};
use switchboard_testkit::{free_port, runtime, FhirServer};
use url::Url;

/// Helios with auth on, trusting a fresh authorization server that issues tokens for it.
fn servers(auth_env: &[(&str, &str)]) -> (AuthServer, FhirServer) {
    // The authorization server needs Helios's base as the audience, and Helios the issuer: pick the
    // authorization server's port first.
    let helios_port = free_port();
    let auth = AuthServer::start(&format!("http://127.0.0.1:{helios_port}/"), auth_env);
    let fhir = FhirServer::start_with_auth_on(helios_port, &auth.issuer());
    (auth, fhir)
}

async fn sign_in_for(fhir: &FhirServer, client_id: &str) -> SignIn {
    let base = Url::parse(&fhir.base()).unwrap();
    let smart = discover(&http_client().unwrap(), &base).await.unwrap();
    SignIn { smart, client_id: client_id.into(), fhir_base: base, clock_skew: CLOCK_SKEW }
}

async fn fhir_status(fhir: &FhirServer, token: &str) -> u16 {
    let response = http_client().unwrap().get(format!("{}Patient", fhir.base())).bearer_auth(token).send().await.unwrap();
    response.status().as_u16()
}

#[test]
fn a_person_signs_in_with_pkce_and_helios_takes_their_token_and_its_refresh() {
    let (auth, fhir) = servers(&[]);
    runtime().block_on(async {
        let signin = sign_in_for(&fhir, "switchboard").await;
        assert_eq!(signin.smart.issuer.as_ref().unwrap().as_str().trim_end_matches('/'), auth.issuer());
        assert!(signin.smart.scopes_v2(), "Helios reads SMART v2 scopes");
        let pending = signin.start().await.unwrap();
        let query: Vec<(String, String)> = pending.authorize_url.query_pairs().into_owned().collect();
        let has = |k: &str, v: &str| query.iter().any(|(key, value)| key == k && value == v);
        assert!(has("code_challenge_method", "S256") && has("aud", &fhir.base()), "{query:?}");
        assert!(query.iter().any(|(k, v)| k == "scope" && v.contains("user/*.cruds") && v.contains("fhirUser")), "{query:?}");

        let mut browser = Browser::default();
        let redirect = browser.sign_in(&pending.authorize_url, "ann").await;
        let finishing = tokio::spawn(async move { signin.finish(pending, Duration::from_secs(10)).await.map(|t| (t, signin)) });
        assert!(browser.return_to_app(&redirect).await.contains("Signed in"));
        let (tokens, signin) = finishing.await.unwrap().unwrap();
        assert_eq!(tokens.identity.as_ref().unwrap().fhir_user.as_deref(), Some("Practitioner/prac-1"));
        assert_eq!(fhir_status(&fhir, "not-a-token").await, 401);
        assert_eq!(fhir_status(&fhir, &tokens.access_token).await, 200);

        let refreshed = refresh(&signin.smart, "switchboard", tokens.refresh_token.as_deref().unwrap()).await.unwrap();
        assert_ne!(refreshed.access_token, tokens.access_token);
        assert_eq!(fhir_status(&fhir, &refreshed.access_token).await, 200);

        // Revoked: the refresh is refused in words, and the person signs in again.
        let revocation = format!("{}/token/revocation", auth.issuer());
        let revoke = [("token", refreshed.refresh_token.clone().unwrap()), ("client_id", "switchboard".to_string())];
        assert!(http_client().unwrap().post(revocation).form(&revoke).send().await.unwrap().status().is_success());
        let refused = refresh(&signin.smart, "switchboard", refreshed.refresh_token.as_deref().unwrap()).await.unwrap_err();
        assert!(matches!(&refused, AuthError::Refused(words) if words.contains("invalid_grant")), "{refused}");
    });
}

#[test]
fn a_changed_state_and_a_wrong_pkce_verifier_are_refused() {
    let (_auth, fhir) = servers(&[]);
    runtime().block_on(async {
        let signin = sign_in_for(&fhir, "switchboard").await;
        let pending = signin.start().await.unwrap();
        let mut browser = Browser::default();
        let mut redirect = browser.sign_in(&pending.authorize_url, "bo").await;
        let code = redirect.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        redirect.query_pairs_mut().clear().append_pair("code", &code).append_pair("state", "forged");
        let finishing = tokio::spawn(async move { signin.finish(pending, Duration::from_secs(10)).await });
        browser.return_to_app(&redirect).await;
        assert_eq!(finishing.await.unwrap().unwrap_err(), AuthError::StateMismatch);

        // The right state, but a verifier that is not the challenge's: the server refuses the code.
        let signin = sign_in_for(&fhir, "switchboard").await;
        let pending = signin.start().await.unwrap();
        let redirect = browser.sign_in(&pending.authorize_url, "bo").await;
        let code = redirect.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        let redirect_uri = Url::parse(&pending.authorize_url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1).unwrap();
        let wrong = oauth2::PkceCodeVerifier::new("x".repeat(64));
        let refused = signin.exchange(code, wrong, &redirect_uri, "any").await.unwrap_err();
        assert!(matches!(&refused, AuthError::Refused(words) if words.contains("invalid_grant")), "{refused}");
    });
}

#[test]
fn id_tokens_from_another_issuer_for_another_app_tampered_expired_or_replayed_are_refused() {
    let (_auth, fhir) = servers(&[("ID_TTL", "2")]);
    runtime().block_on(async {
        let signin = sign_in_for(&fhir, "switchboard").await;
        let pending = signin.start().await.unwrap();
        let nonce = pending.authorize_url.query_pairs().find(|(k, _)| k == "nonce").unwrap().1.into_owned();
        let mut browser = Browser::default();
        let redirect = browser.sign_in(&pending.authorize_url, "cy").await;
        let finishing = tokio::spawn(async move { signin.finish(pending, Duration::from_secs(10)).await.map(|t| (t, signin)) });
        browser.return_to_app(&redirect).await;
        let (tokens, signin) = finishing.await.unwrap().unwrap();
        let id_token = tokens.id_token.unwrap();
        let http = http_client().unwrap();
        let refused = |e: AuthError| match e {
            AuthError::BadIdToken(words) => words,
            other => panic!("{other}"),
        };

        let mut other_issuer = sign_in_for(&fhir, "switchboard").await;
        other_issuer.smart.issuer = Some(Url::parse("http://127.0.0.1:9/").unwrap());
        assert!(refused(other_issuer.check_id_token(&http, &id_token, &nonce).await.unwrap_err()).contains("another server"));
        let other_app = sign_in_for(&fhir, "someone-else").await;
        assert!(refused(other_app.check_id_token(&http, &id_token, &nonce).await.unwrap_err()).contains("another application"));
        let (head, signature) = id_token.rsplit_once('.').unwrap();
        let flipped = if signature.as_bytes()[10] == b'A' { "B" } else { "A" };
        let forged = format!("{head}.{}{flipped}{}", &signature[..10], &signature[11..]);
        assert!(refused(signin.check_id_token(&http, &forged, &nonce).await.unwrap_err()).contains("signature"));
        assert!(refused(signin.check_id_token(&http, &id_token, "another sign-in's nonce").await.unwrap_err()).contains("nonce"));
        std::thread::sleep(Duration::from_secs(3));
        let strict = SignIn { clock_skew: Duration::ZERO, ..sign_in_for(&fhir, "switchboard").await };
        assert!(refused(strict.check_id_token(&http, &id_token, &nonce).await.unwrap_err()).contains("expired"));
    });
}
