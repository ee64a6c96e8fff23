//! End-to-end: the real app binary in WebKitGTK, driven through tauri-driver and WebKitWebDriver on
//! a virtual display (scripts/test.sh runs the suite under xvfb-run). First run opens on the demo clinic.
//! `SWITCHBOARD_SCREENSHOTS=docs` also saves the README's screenshots.

use switchboard_testkit::webdriver::{shot, AppSession};
use switchboard_testkit::TestHome;

const ENTER: &str = "\u{E007}";

#[test]
fn first_run_search_patient_schedule_worklist_and_language() {
    let home = TestHome::new();
    let app = AppSession::start(std::path::Path::new(env!("CARGO_BIN_EXE_switchboard")), home.path());

    // First run: no clinic configured, so the demo clinic is loaded and the app offers it or a server.
    app.find("//*[@role='dialog'][.//h2[normalize-space()='Welcome to Switchboard']]");
    app.assert_accessible("first-run dialog");
    shot("welcome");
    app.click(&app.find("//*[@role='dialog']//button[normalize-space()='Start on the demo clinic']"));
    app.wait_gone("//*[@role='dialog']");
    app.find("//section[@aria-label='Worklist']//tbody/tr");
    app.assert_accessible("worklist");
    shot("worklist");
    app.find("//span[@id='status'][contains(., '1,000 patients')]");

    // Search by name.
    let search = app.find("//input[@aria-label='Find a patient']");
    app.type_into(&search, "garcia");
    let first = app.find("//*[@role='option']");
    let card = app.text(&first);
    assert!(card.contains("García"), "{card}");
    app.assert_accessible("search results");
    shot("search");
    // The card shows phone and date of birth: search by each, in other formats.
    let phone_digits: String = card.split(" · ").find(|p| p.starts_with('(')).unwrap().chars().filter(char::is_ascii_digit).collect();
    // The date of birth as the card shows it ("Jul 29, 1995 (31 years)"), typed back as 07/29/1995.
    let born = card.split(" · ").find(|p| p.contains(" (") && p.contains(", ")).unwrap().split(" (").next().unwrap().replace(',', "");
    let [month, day, year] = <[&str; 3]>::try_from(born.split(' ').collect::<Vec<_>>()).unwrap();
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].iter().position(|m| *m == month).unwrap() + 1;
    app.clear(&search);
    app.type_into(&search, &format!("{}.{}.{}", &phone_digits[..3], &phone_digits[3..6], &phone_digits[6..]));
    app.find("//*[@role='option'][contains(., 'García')]");
    app.clear(&search);
    app.type_into(&search, &format!("{month:02}/{day:0>2}/{year}"));
    app.find("//*[@role='option'][contains(., 'García')]");

    // Open the patient from the keyboard: labs, medications and appointments are there.
    app.type_into(&search, ENTER);
    app.find("//section[h2[contains(., 'García')]]");
    for heading in ["Labs", "Medications", "Appointments", "Visits"] {
        app.find(&format!("//h3[normalize-space()='{heading}']"));
    }
    assert!(app.count("//h3[normalize-space()='Labs']/following-sibling::table[1]//tbody/tr") > 0);
    app.assert_accessible("patient workspace");
    shot("workspace");
    app.click(&app.find("//h3[normalize-space()='Labs']/following-sibling::table[1]//tbody/tr[1]//button"));
    app.find("//figure[@class='trend']//*[name()='svg']");
    shot("trend");

    // The schedule: the next weekday has practitioners' slots (the demo clinic is closed on weekends,
    // and the test runs on any day).
    app.click(&app.find("//header//button[normalize-space()='Schedule']"));
    let slots = "//div[@class='schedule-column']//li";
    for _ in 0..3 {
        app.click(&app.find("//section[@aria-label='Schedule']//button[normalize-space()='Next']"));
        app.find(&format!("{slots} | //section[@aria-label='Schedule']//p[normalize-space()='No slots in this period.']"));
        if app.count(slots) > 0 {
            break;
        }
    }
    app.find(slots);
    app.assert_accessible("schedule");
    shot("schedule");
    app.click(&app.find("//header//button[normalize-space()='Sources']"));
    app.find("//section[@aria-label='Sources']//form");
    app.assert_accessible("sources");
    shot("sources");
    app.click(&app.find("//header//button[normalize-space()='Rules']"));
    app.find("//section[@aria-label='Rules']//td[contains(., 'critical-result-callback')]");
    app.assert_accessible("rules");
    shot("rules");

    // The worklist, then Spanish.
    app.click(&app.find("//header//button[normalize-space()='Worklist']"));
    app.find("//section[@aria-label='Worklist']//tbody/tr");
    app.click(&app.find("//header//select[option[@value='es']]/option[@value='es']"));
    app.find("//h2[normalize-space()='Lista de trabajo']");
}
