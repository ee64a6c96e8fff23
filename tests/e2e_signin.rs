//! End-to-end sign-in: the real window, its Sign in button, the system browser (a script handing the
//! address to the test, which signs in at the real oidc-provider's login form over HTTP), and Helios
//! with its JWT checks on. Signed in, the window syncs with the person's token and names them; locked,
//! it opens again for the person's PIN or a new sign-in; signed out, it forgets them.

use crate::signin::{seed, servers};
use std::time::Duration;
use switchboard_testkit::authz::SystemBrowser;
use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::{runtime, TestHome};

#[test]
fn a_person_signs_in_from_the_window_and_out_again() {
    let (_auth, fhir) = servers(&[]);
    runtime().block_on(seed(&fhir, 5));
    let home = TestHome::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let config =
        format!("[session]\nunlock_pin = true\n\n[[source]]\nname = \"clinic\"\nfhir = \"{}\"\nauth = \"user\"\nclient_id = \"switchboard\"\n", fhir.base());
    std::fs::write(home.path().join("config").join("config.toml"), config).unwrap();
    let browser = SystemBrowser::in_dir(home.path());
    let browser_env = browser.script.display().to_string();
    let app = AppSession::start_with(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path(), &[("SWITCHBOARD_BROWSER", &browser_env)]);
    app.find("//span[@id='acting-as'][contains(., ' at ')]");
    app.click(&app.find("//header//button[normalize-space()='Sources']"));
    app.click(&app.find("//section[@aria-label='Sources']//button[normalize-space()='Sign in']"));
    app.find("//*[@role='status'][contains(., 'Finish signing in in your browser')]");

    assert!(browser.sign_in_when_opened("ann").contains("Signed in"));

    app.find("//section[@aria-label='Sources']//*[contains(., 'signed in as Practitioner/prac-1')]");
    app.find("//span[@id='acting-as'][normalize-space()='Practitioner/prac-1']");
    // The worker syncs with the person's token: the clinic's patients arrive.
    app.find_within("//span[@id='status'][contains(., '5 patients')]", Duration::from_secs(60));
    app.assert_accessible("sources, signed in");
    shot("signed-in");

    // The clinic allows a PIN: set on the Sources page, it unlocks this sign-in; a wrong one does not.
    app.type_into(&app.find("//input[@name='unlock-pin']"), "2468");
    app.click(&app.find("//button[normalize-space()='Set PIN']"));
    app.find("//*[@role='status'][contains(., 'PIN set')]");
    app.keys("\u{E009}l");
    app.find("//section[@aria-label='Switchboard is locked']");
    app.type_into(&app.find("//input[@name='pin']"), "1357\u{E007}");
    app.find("//*[@role='alert'][contains(., 'wrong PIN (4 tries left)')]");
    assert_eq!(app.count("//section[@aria-label='Sources']"), 0, "a wrong PIN unlocked the window");
    shot("locked-pin");
    app.type_into(&app.find("//input[@name='pin']"), "2468\u{E007}");
    app.find("//section[@aria-label='Sources']//*[contains(., 'signed in as Practitioner/prac-1')]");

    // Locked while signed in: unlocking asks the person to sign in again first.
    app.keys("\u{E009}l");
    app.find("//section[@aria-label='Switchboard is locked']");
    app.click(&app.find("//button[normalize-space()='Unlock']"));
    app.find("//*[@role='status'][contains(., 'Sign in again in your browser to unlock')]");
    assert_eq!(app.count("//section[@aria-label='Sources']"), 0, "still locked until the sign-in");
    assert!(browser.sign_in_when_opened("ann").contains("Signed in"));
    app.find("//section[@aria-label='Sources']//*[contains(., 'signed in as Practitioner/prac-1')]");

    app.click(&app.find("//section[@aria-label='Sources']//button[normalize-space()='Sign out']"));
    app.find("//section[@aria-label='Sources']//button[normalize-space()='Sign in']");
    app.find("//span[@id='acting-as'][contains(., ' at ')]");
    assert!(switchboard_app::session(&home.home, "clinic").unwrap().is_none(), "the refresh token left the keyring");
}
