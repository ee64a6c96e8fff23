//! A person's sign-in, against the real authorization server (npm oidc-provider) and Helios with its
//! JWT checks on: discovery from Helios, PKCE on a loopback redirect, the id_token's checks, the access
//! token taken by Helios, refresh, and every way an answer is refused.

use std::time::Duration;
use switchboard_auth::{discover, http_client, refresh, AuthError, SignIn, CLOCK_SKEW};
use switchboard_testkit::authz::{AuthServer, Browser, SystemBrowser};
use switchboard_testkit::{free_port, runtime, FhirServer};
use url::Url;

/// Helios with auth on, trusting a fresh authorization server that issues tokens for it.
pub(crate) fn servers(auth_env: &[(&str, &str)]) -> (AuthServer, FhirServer) {
    servers_at(free_port(), auth_env)
}

/// As `servers`, with Helios on `helios_port` (chosen before the authorization server starts, which
/// needs Helios's base as the audience, as Helios needs its issuer).
fn servers_at(helios_port: u16, auth_env: &[(&str, &str)]) -> (AuthServer, FhirServer) {
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

/// A sign-in done in the test, for seeding Helios (which takes no request without a token).
pub(crate) async fn token_for(fhir: &FhirServer, user: &str) -> String {
    let signin = sign_in_for(fhir, "switchboard").await;
    let pending = signin.start().await.unwrap();
    let mut browser = Browser::default();
    let redirect = browser.sign_in(&pending.authorize_url, user).await;
    let finishing = tokio::spawn(async move { signin.finish(pending, Duration::from_secs(10)).await });
    browser.return_to_app(&redirect).await;
    finishing.await.unwrap().unwrap().access_token
}

/// A FHIR client carrying `user`'s access token.
pub(crate) async fn client_as(fhir: &FhirServer, user: &str) -> switchboard_fhir::FhirClient {
    let options = switchboard_fhir::ClientOptions { bearer_token: Some(token_for(fhir, user).await), ..Default::default() };
    switchboard_fhir::FhirClient::new(Url::parse(&fhir.base()).unwrap(), options).unwrap()
}

/// The demo clinic on Helios, written with a signed-in person's token.
pub(crate) async fn seed(fhir: &FhirServer, patients: u32) {
    let client = client_as(fhir, "ann").await;
    switchboard_demo::seed_server(&client, &switchboard_testkit::demo_today(patients, 3), &mut |_| {}).await.unwrap();
}

/// A workstation's home whose one source is signed in to by a person, and its `switchboard` runs.
struct Desk {
    home: switchboard_testkit::TestHome,
    browser: SystemBrowser,
}

impl Desk {
    fn new(fhir: &FhirServer) -> Desk {
        Desk::with(fhir, "")
    }

    /// With more of `config.toml` before the source (a `[roles]` map).
    fn with(fhir: &FhirServer, before: &str) -> Desk {
        let home = switchboard_testkit::TestHome::new();
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        let config = format!("{before}\n[[source]]\nname = \"clinic\"\nfhir = \"{}\"\nauth = \"user\"\nclient_id = \"switchboard\"\n", fhir.base());
        std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
        let browser = SystemBrowser::in_dir(home.path());
        Desk { home, browser }
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.args(args).env("SWITCHBOARD_HOME", self.home.path()).env("SWITCHBOARD_BROWSER", &self.browser.script);
        command
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().unwrap()
    }

    /// `switchboard signin clinic`, with `user` signing in at the browser it opens.
    fn sign_in(&self, user: &str) -> String {
        let signing = self.command(&["signin", "clinic"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        self.browser.sign_in_when_opened(user);
        let output = signing.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Two people sign in on two workstations with the real CLI; each syncs with their own token, and
/// what each delivers names them on the server. A revoked sign-in asks for sign-in again and loses
/// nothing queued; signing in again delivers it.
#[test]
fn two_signed_in_people_on_two_workstations_are_named_on_the_server_and_a_revoked_sign_in_loses_nothing() {
    let (auth, fhir) = servers(&[]);
    let rt = runtime();
    rt.block_on(seed(&fhir, 5));
    let (a, b) = (Desk::new(&fhir), Desk::new(&fhir));
    // A sign-in that cannot finish (no browser comes back) is audited as failed, with why.
    let stuck = a.run(&["signin", "nowhere"]);
    assert!(!stuck.status.success());
    let failed = a.home.store().audit_log(&switchboard_store::AuditFilter::default()).unwrap();
    assert!(failed.iter().any(|r| r.action == switchboard_core::AuditAction::SignInFailed && r.detail.contains("nowhere")), "{failed:?}");
    let refused = a.run(&["sync"]);
    assert!(!refused.status.success() && text(&refused).contains("sign in again"), "{}", text(&refused));

    assert!(a.sign_in("ann").contains("Practitioner/prac-1"));
    assert!(b.sign_in("bo").contains("Practitioner/prac-2"));
    for (desk, words) in [(&a, "from ann"), (&b, "from bo")] {
        assert!(desk.run(&["sync"]).status.success(), "{}", text(&desk.run(&["sync"])));
        assert!(desk.run(&["note", "--patient", "pat-000001", words]).status.success());
        let drained = desk.run(&["outbox", "drain"]);
        assert!(drained.status.success(), "{}", text(&drained));
    }
    let client = rt.block_on(client_as(&fhir, "cy"));
    let notes = rt.block_on(switchboard_testkit::server_resources(&client, "Communication"));
    let sender_of = |words: &str| notes.values().find(|n| n["payload"][0]["contentString"] == words).map(|n| n["sender"]["reference"].clone());
    assert_eq!(sender_of("from ann"), Some(serde_json::json!("Practitioner/prac-1")));
    assert_eq!(sender_of("from bo"), Some(serde_json::json!("Practitioner/prac-2")));
    let provenances = rt.block_on(switchboard_testkit::server_resources(&client, "Provenance"));
    let authors: std::collections::BTreeSet<String> =
        provenances.values().filter_map(|p| p["agent"][0]["who"]["reference"].as_str().map(str::to_string)).collect();
    assert!(authors.contains("Practitioner/prac-1") && authors.contains("Practitioner/prac-2"), "{authors:?}");

    // Ann's sign-in revoked at the server: her next run asks her to sign in again, her note waits.
    let session = keyring_session(&a);
    let revoke = [("token", session.refresh_token.as_str()), ("client_id", "switchboard")];
    rt.block_on(async { http_client().unwrap().post(format!("{}/token/revocation", auth.issuer())).form(&revoke).send().await.unwrap() });
    assert!(a.run(&["note", "--patient", "pat-000002", "after revocation"]).status.success());
    let waiting = a.run(&["outbox", "drain"]);
    assert!(!waiting.status.success() && text(&waiting).contains("waiting"), "{}", text(&waiting));
    let outbox = text(&a.run(&["outbox"]));
    assert!(outbox.contains("sign in again") && outbox.contains("pending"), "{outbox}");
    a.sign_in("ann");
    assert!(a.run(&["outbox", "drain"]).status.success());
    let notes = rt.block_on(switchboard_testkit::server_resources(&client, "Communication"));
    assert_eq!(notes.values().filter(|n| n["payload"][0]["contentString"] == "after revocation").count(), 1);
}

fn keyring_session(desk: &Desk) -> switchboard_app::StoredSession {
    switchboard_app::session(&desk.home.home, "clinic").unwrap().expect("signed in")
}

/// Access tokens that live two seconds: a sync that outlasts one renews it from the refresh token and
/// completes, with every resource in.
#[test]
fn a_sync_longer_than_an_access_token_renews_it_and_completes() {
    let (_auth, fhir) = servers(&[("ACCESS_TTL", "2")]);
    let rt = runtime();
    // Enough pages of five that the sync outlasts a token on a fast run too (40 patients once took 1.9 s).
    rt.block_on(seed(&fhir, 100));
    let desk = Desk::new(&fhir);
    let config = desk.home.path().join("config").join("config.toml");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + "page_size = 5\n").unwrap();
    desk.sign_in("ann");
    let started = std::time::Instant::now();
    let synced = desk.run(&["sync"]);
    assert!(synced.status.success(), "{}", text(&synced));
    assert!(started.elapsed() > Duration::from_secs(2), "the sync did not outlast a token ({:?}); nothing was renewed", started.elapsed());
    let patients = desk.home.store().ids_of("clinic", "Patient").unwrap().len();
    assert_eq!(patients, 100);
}

/// Roles from each person's PractitionerRole codes through `[roles]`: the front desk is refused a
/// nurse-pool callback in Rust, in words, and the refusal is audited; the nurse completes it; only the
/// supervisor reads the audit log.
#[test]
fn roles_from_practitioner_role_codes_refuse_what_is_not_theirs() {
    let (_auth, fhir) = servers(&[]);
    let rt = runtime();
    rt.block_on(async {
        seed(&fhir, 20).await;
        let client = client_as(&fhir, "ann").await;
        for (id, practitioner, code) in [("role-nurse", "prac-1", "224535009"), ("role-desk", "prac-2", "front-desk"), ("role-lead", "prac-3", "lead")] {
            let role = serde_json::json!({"resourceType": "PractitionerRole", "id": id, "active": true,
                "practitioner": {"reference": format!("Practitioner/{practitioner}")},
                "code": [{"coding": [{"system": "http://snomed.info/sct", "code": code}]}]});
            client.update(&role, None).await.unwrap();
        }
    });
    let roles = "[roles]\nnurse = [\"224535009\"]\nfrontdesk = [\"front-desk\"]\nsupervisor = [\"lead\"]\n";
    let (desk, nurse, lead) = (Desk::with(&fhir, roles), Desk::with(&fhir, roles), Desk::with(&fhir, roles));
    for (workstation, user) in [(&desk, "bo"), (&nurse, "ann"), (&lead, "cy")] {
        workstation.sign_in(user);
        assert!(workstation.run(&["sync"]).status.success());
    }
    let filter = switchboard_store::WorklistFilter { owner: Some("Nurse pool".into()), ..Default::default() };
    let task = desk.home.store().worklist(&filter, chrono::Utc::now(), 1).unwrap().items.remove(0).task.id;

    let refused = desk.run(&["task", "complete", &task, "--note", "done"]);
    assert!(!refused.status.success(), "the front desk completed a nurse's callback");
    assert!(text(&refused).contains("The front desk may not task_complete a task owned by Nurse pool"), "{}", text(&refused));
    let log = desk.home.store().audit_log(&switchboard_store::AuditFilter::default()).unwrap();
    assert!(log.iter().any(|r| r.action == switchboard_core::AuditAction::Refused && r.user == "Practitioner/prac-2"), "the refusal is audited");
    assert!(desk.home.store().outbox().unwrap().iter().all(|r| r.kind != "task_complete"), "nothing was queued");

    // A signed-in nurse's claim names her, and only her.
    let for_another = nurse.run(&["task", "claim", &task, "--as", "Practitioner/prac-2"]);
    assert!(!for_another.status.success() && text(&for_another).contains("you claim tasks for yourself"), "{}", text(&for_another));
    let claimed = nurse.run(&["task", "claim", &task]);
    assert!(claimed.status.success(), "{}", text(&claimed));
    let completed = nurse.run(&["task", "complete", &task, "--note", "reached the patient"]);
    assert!(completed.status.success(), "{}", text(&completed));
    assert!(nurse.run(&["outbox", "drain"]).status.success(), "{}", text(&nurse.run(&["outbox"])));
    let on_server = rt.block_on(async { client_as(&fhir, "cy").await.read("Task", &task).await.unwrap() });
    assert_eq!(on_server["owner"]["reference"], "Practitioner/prac-1", "{on_server}");
    assert_eq!(on_server["status"], "completed");
    let denied = desk.run(&["audit"]);
    assert!(!denied.status.success() && text(&denied).contains("for supervisors"), "{}", text(&denied));
    assert!(lead.run(&["audit"]).status.success(), "{}", text(&lead.run(&["audit"])));
}

/// A workstation as a SMART backend client: its own key (made here, kept in the keyring, its public
/// JWKS registered with the authorization server) signs the grant, and the sync runs with no one
/// signed in. A workstation whose key is not registered is refused in words.
#[test]
fn a_backend_client_syncs_with_its_own_key_and_an_unregistered_key_is_refused() {
    let helios_port = free_port();
    let desk = |name: &str| {
        let home = switchboard_testkit::TestHome::new();
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        let config = format!("[[source]]\nname = \"clinic\"\nfhir = \"http://127.0.0.1:{helios_port}/\"\nauth = \"backend\"\nclient_id = \"{name}\"\n");
        std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
        home
    };
    let run = |home: &switchboard_testkit::TestHome, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard")).args(args).env("SWITCHBOARD_HOME", home.path()).output().unwrap()
    };
    let (registered, stranger) = (desk("switchboard-backend"), desk("switchboard-backend"));
    let printed = run(&registered, &["source", "key", "clinic"]);
    assert!(printed.status.success(), "{}", text(&printed));
    let jwks: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(run(&registered, &["source", "key", "clinic"]).stdout, printed.stdout, "the same key every time");
    let jwks_file = registered.path().join("jwks.json");
    std::fs::write(&jwks_file, &printed.stdout).unwrap();
    assert!(run(&stranger, &["source", "key", "clinic"]).status.success());

    let (_auth, fhir) = servers_at(helios_port, &[("BACKEND_JWKS", jwks_file.to_str().unwrap())]);
    runtime().block_on(seed(&fhir, 5));
    let synced = run(&registered, &["sync"]);
    assert!(synced.status.success(), "{}", text(&synced));
    assert_eq!(registered.store().ids_of("clinic", "Patient").unwrap().len(), 5);
    let refused = run(&stranger, &["sync"]);
    assert!(!refused.status.success() && text(&refused).contains("backend grant was refused"), "{}", text(&refused));
}

/// A 401 and a 403 each name the source and say what to do: a bearer token Helios does not take, and
/// a person whose grant reaches Patient reads only, so the rest of her sync is forbidden.
#[test]
fn a_refused_token_and_a_forbidden_read_name_the_source_and_what_to_do() {
    let (_auth, fhir) = servers(&[]);
    runtime().block_on(seed(&fhir, 3));
    let stale = switchboard_testkit::TestHome::new();
    let mut adding = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["source", "add", "clinic", "--fhir", &fhir.base(), "--token-stdin"])
        .env("SWITCHBOARD_HOME", stale.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(adding.stdin.as_mut().unwrap(), b"a-token-from-last-year").unwrap();
    assert!(adding.wait().unwrap().success());
    let unauthorized = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard")).arg("sync").env("SWITCHBOARD_HOME", stale.path()).output().unwrap();
    let words = text(&unauthorized);
    assert!(!unauthorized.status.success(), "{words}");
    assert!(words.contains("clinic") && words.contains("HTTP 401") && words.contains("check the source's token"), "{words}");

    let desk = Desk::new(&fhir);
    desk.sign_in("dee");
    let forbidden = desk.run(&["sync"]);
    let words = text(&forbidden);
    assert!(!forbidden.status.success(), "{words}");
    assert!(words.contains("clinic") && words.contains("HTTP 403") && words.contains("ask IT"), "{words}");
}
