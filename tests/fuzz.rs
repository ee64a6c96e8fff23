//! Property tests of the parsers that take outside input: the call event (any local process can send
//! one), a FHIR Bundle page (any server), and the config file (any editor). Seeded mutations of valid
//! inputs, for a bounded time each: none may panic, and an error quotes at most a short prefix.

use std::time::{Duration, Instant};
use switchboard_testkit::mutations;
use url::Url;

/// Each parser gets this long, in every run.
const BUDGET: Duration = Duration::from_secs(3);

/// Runs `check` on mutations of `valid` until the budget is spent; returns how many ran.
fn for_mutations(seed: u64, valid: &str, mut check: impl FnMut(&[u8])) -> usize {
    let started = Instant::now();
    let mut ran = 0;
    for input in mutations(seed, valid.as_bytes()) {
        check(&input);
        ran += 1;
        if started.elapsed() > BUDGET {
            break;
        }
    }
    println!("seed {seed}: {ran} inputs");
    ran
}

#[test]
fn call_events_never_panic_and_errors_stay_short() {
    let form = "CallSid=CA1&From=%2B12175550101&To=%2B12175550000&CallStatus=ringing";
    let json = r#"{"call_id":"CA1","from":"+12175550101","to":null,"state":"answered"}"#;
    for (seed, content_type, valid) in [(1, "application/x-www-form-urlencoded", form), (2, "application/json", json)] {
        let ran = for_mutations(seed, valid, |input| {
            if let Err(error) = switchboard_calls::parse_event(content_type, input) {
                assert!(error.to_string().len() < 300, "{}", switchboard_core::config::shortened(&error.to_string(), 200));
            }
        });
        assert!(ran > 1_000);
    }
}

#[test]
fn bundle_pages_never_panic_and_errors_stay_short() {
    let valid = r#"{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"next","url":"Patient?page=2"}],
        "entry":[{"fullUrl":"urn:x","resource":{"resourceType":"Patient","id":"p1"},"search":{"mode":"match"}}]}"#;
    let history = r#"{"resourceType":"Bundle","type":"history","entry":[{"request":{"method":"DELETE","url":"Patient/p1"}}]}"#;
    let base = Url::parse("http://127.0.0.1/fhir/Patient").unwrap();
    for (seed, valid) in [(3, valid), (4, history)] {
        let ran = for_mutations(seed, valid, |input| match switchboard_fhir::Page::parse(&String::from_utf8_lossy(input), &base) {
            Ok(mut page) => {
                page.keep_only("Patient");
            }
            Err(error) => assert!(error.to_string().len() < 400, "{}", switchboard_core::config::shortened(&error.to_string(), 200)),
        });
        assert!(ran > 1_000);
    }
}

#[test]
fn config_files_never_panic_and_errors_stay_short() {
    let valid = "phone_region = \"US\"\n\n[[source]]\nname = \"ehr\"\nfhir = \"https://fhir.example.org/r4\"\npage_size = 100\n\n[phone]\nport = 7788\n";
    let file = std::path::Path::new("/etc/switchboard/config.toml");
    let ran = for_mutations(5, valid, |input| {
        if let Err(error) = switchboard_core::Config::parse(file, &String::from_utf8_lossy(input)) {
            assert!(error.to_string().len() < 600, "{}", switchboard_core::config::shortened(&error.to_string(), 200));
        }
    });
    assert!(ran > 1_000);
}
