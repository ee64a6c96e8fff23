//! End-to-end: the real app binary in WebKitGTK, driven through tauri-driver and WebKitWebDriver on
//! a virtual display (scripts/test.sh runs the suite under xvfb-run). First run opens on the demo clinic.
//! `SWITCHBOARD_SCREENSHOTS=docs` also saves the README's screenshots.

use switchboard_testkit::webdriver::AppSession;
use switchboard_testkit::TestHome;

const ENTER: &str = "\u{E007}";

#[test]
fn first_run_search_patient_schedule_worklist_and_language() {
    let home = TestHome::new();
    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());

    // First run: no clinic configured, so the demo clinic is loaded and the app offers it or a server.
    app.find("//*[@role='dialog'][.//h2[normalize-space()='Welcome to Switchboard']]");
    assert_accessible(&app, "first-run dialog");
    shot("welcome");
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.wait_gone("//*[@role='dialog']");
    app.find("//section[@aria-label='Worklist']//tbody/tr");
    assert_accessible(&app, "worklist");
    shot("worklist");
    app.find("//span[@id='status'][contains(., '1000 patients')]");

    // Search by name.
    let search = app.find("//input[@aria-label='Find a patient']");
    app.type_into(&search, "garcia");
    let first = app.find("//*[@role='option']");
    let card = app.text(&first);
    assert!(card.contains("García"), "{card}");
    assert_accessible(&app, "search results");
    shot("search");
    // The card shows phone and date of birth: search by each, in other formats.
    let phone_digits: String = card.split(" · ").find(|p| p.starts_with('(')).unwrap().chars().filter(char::is_ascii_digit).collect();
    let born = card.split(" · ").find(|p| p.contains(" (") && p.contains('-')).unwrap().split(' ').next().unwrap().to_string();
    app.clear(&search);
    app.type_into(&search, &format!("{}.{}.{}", &phone_digits[..3], &phone_digits[3..6], &phone_digits[6..]));
    app.find("//*[@role='option'][contains(., 'García')]");
    app.clear(&search);
    app.type_into(&search, &format!("{}/{}/{}", &born[5..7], &born[8..10], &born[..4]));
    app.find("//*[@role='option'][contains(., 'García')]");

    // Open the patient from the keyboard: labs, medications and appointments are there.
    app.type_into(&search, ENTER);
    app.find("//section[h2[contains(., 'García')]]");
    for heading in ["Labs", "Medications", "Appointments", "Visits"] {
        app.find(&format!("//h3[normalize-space()='{heading}']"));
    }
    assert!(app.count("//h3[normalize-space()='Labs']/following-sibling::table[1]//tbody/tr") > 0);
    assert_accessible(&app, "patient workspace");
    shot("workspace");
    app.click(&app.find("//h3[normalize-space()='Labs']/following-sibling::table[1]//tbody/tr[1]//button"));
    app.find("//figure[@class='trend']//*[name()='svg']");
    shot("trend");

    // The schedule: the next day has practitioners' slots.
    app.click(&app.find("//header//button[normalize-space()='Schedule']"));
    app.click(&app.find("//section[@aria-label='Schedule']//button[normalize-space()='Next']"));
    app.find("//div[@class='schedule-column']//li");
    assert_accessible(&app, "schedule");
    shot("schedule");
    app.click(&app.find("//header//button[normalize-space()='Sources']"));
    app.find("//section[@aria-label='Sources']//form");
    assert_accessible(&app, "sources");
    shot("sources");
    app.click(&app.find("//header//button[normalize-space()='Rules']"));
    app.find("//section[@aria-label='Rules']//td[contains(., 'critical-result-callback')]");
    assert_accessible(&app, "rules");
    shot("rules");

    // The worklist, then Spanish.
    app.click(&app.find("//header//button[normalize-space()='Worklist']"));
    app.find("//section[@aria-label='Worklist']//tbody/tr");
    app.click(&app.find("//header//select[option[@value='es']]/option[@value='es']"));
    app.find("//h2[normalize-space()='Lista de trabajo']");
}

/// With SWITCHBOARD_SCREENSHOTS=<dir> set, saves the window (1280×720 at the top left of the virtual
/// display) as <dir>/<name>.png for the README, with ImageMagick's `import`. WebKitWebDriver's own
/// screenshot stalls on wide pages.
fn shot(name: &str) {
    if let Some(dir) = std::env::var_os("SWITCHBOARD_SCREENSHOTS") {
        std::thread::sleep(std::time::Duration::from_millis(300)); // let the last frame paint
        let path = std::path::Path::new(&dir).join(format!("{name}.png"));
        let status = std::process::Command::new("import").args(["-window", "root", "-crop", "1280x720+0+0"]).arg(&path).status();
        assert!(status.is_ok_and(|s| s.success()), "cannot save {}", path.display());
    }
}

/// Runs axe-core (the WCAG 2 A and AA rules, colour contrast included) on the screen as WebKitGTK
/// renders it, and fails with each violation and where it is.
fn assert_accessible(app: &AppSession, screen: &str) {
    let axe = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/node_modules/axe-core/axe.min.js"))
        .expect("axe-core is installed with the UI's packages (scripts/setup.sh)");
    let script = format!(
        "{axe}\nconst done = arguments[arguments.length - 1];\n\
         axe.run(document, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }} }})\n\
           .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '')).join(' | '))))\n\
           .catch(e => done(['axe failed: ' + e]));"
    );
    let violations = app.execute_async(&script);
    assert_eq!(violations, serde_json::json!([]), "WCAG violations on the {screen} screen");
}
