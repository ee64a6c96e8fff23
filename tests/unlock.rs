//! The unlock PIN a clinic may allow, with the real OS keyring. It is checked on this workstation
//! alone, so no server takes part: the sign-in it belongs to is written to the keyring as a sign-in
//! would leave it (tests/signin.rs and tests/e2e_signin.rs sign in for real).

use std::sync::Arc;
use switchboard_app::{store_session, App, StoredSession, PIN_TRIES};
use switchboard_core::config::{parse_fhir_url, SessionConfig};
use switchboard_core::{AuditAction, Config, SourceAuth, SourceConfig, SystemClock};
use switchboard_store::AuditFilter;
use switchboard_testkit::TestHome;

const SOURCE: &str = "clinic";

fn signed_in(home: &TestHome, subject: &str, unlock_pin: bool) -> App {
    let session = StoredSession { refresh_token: "kept".into(), fhir_user: Some("Practitioner/prac-1".into()), subject: subject.into(), role: None };
    store_session(&home.home, SOURCE, Some(&session)).unwrap();
    let source = SourceConfig {
        auth: SourceAuth::User { client_id: "switchboard".into() },
        ..SourceConfig::new(SOURCE, parse_fhir_url("http://127.0.0.1:9/").unwrap())
    };
    let session = SessionConfig { unlock_pin, ..SessionConfig::default() };
    App::new(home.home.clone(), Config { sources: vec![source], session, ..Config::default() }, Arc::new(SystemClock))
}

fn refused(result: Result<(), switchboard_app::AppError>) -> String {
    result.expect_err("refused").to_string()
}

#[test]
fn a_pin_unlocks_its_own_sign_in_until_too_many_wrong_tries_forget_it() {
    let home = TestHome::new();
    let mut store = home.store();
    let closed = signed_in(&home, "ann", false);
    assert!(refused(closed.set_unlock_pin("2468")).contains("does not allow a PIN"));
    assert!(!closed.clinic_info(None).unlock_pin);

    let app = signed_in(&home, "ann", true);
    assert!(app.clinic_info(None).unlock_pin);
    for bad in ["123", "123456789", "12a4", ""] {
        assert!(refused(app.set_unlock_pin(bad)).contains("4 to 8 digits"), "{bad:?} was taken");
    }
    assert!(refused(app.unlock_with_pin(&mut store, "2468")).contains("no unlock PIN is set"));
    app.set_unlock_pin("2468").unwrap();
    app.unlock_with_pin(&mut store, "2468").unwrap();
    assert!(refused(app.unlock_with_pin(&mut store, "1357")).contains(&format!("{} tries left", PIN_TRIES - 1)));
    // The right PIN gives the tries back.
    app.unlock_with_pin(&mut store, "2468").unwrap();
    for _ in 1..PIN_TRIES {
        assert!(refused(app.unlock_with_pin(&mut store, "0000")).contains("tries left"));
    }
    assert!(refused(app.unlock_with_pin(&mut store, "0000")).contains("forgotten"));
    assert!(refused(app.unlock_with_pin(&mut store, "2468")).contains("sign in again"), "the right PIN after too many wrong ones");
    let failures = store.audit_log(&AuditFilter::default()).unwrap();
    let wrong = failures.iter().filter(|r| r.action == AuditAction::SignInFailed && r.detail.contains("unlock PIN")).count();
    assert_eq!(wrong, PIN_TRIES as usize + 1, "each wrong PIN is audited: {failures:?}");
}

#[test]
fn a_pin_set_in_one_sign_in_does_not_unlock_another_and_sign_out_forgets_it() {
    let home = TestHome::new();
    let mut store = home.store();
    signed_in(&home, "ann", true).set_unlock_pin("2468").unwrap();
    let bo = signed_in(&home, "bo", true);
    assert!(refused(bo.unlock_with_pin(&mut store, "2468")).contains("no unlock PIN is set"), "ann's PIN opened bo's sign-in");

    let ann = signed_in(&home, "ann", true);
    ann.unlock_with_pin(&mut store, "2468").unwrap();
    ann.sign_out(SOURCE).unwrap();
    let again = signed_in(&home, "ann", true);
    assert!(refused(again.unlock_with_pin(&mut store, "2468")).contains("no unlock PIN is set"), "the PIN outlived its sign-out");
}
