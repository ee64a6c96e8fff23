//! Property tests of the parsers that take outside input: the call event (any local process can send
//! one), a FHIR Bundle page (any server), and the config file (any editor). The same seeded mutations
//! of valid inputs on every run, a few seconds each: none may panic, and an error quotes at most a
//! short prefix of what it was given.

use std::time::Instant;
use switchboard_testkit::mutations;
use url::Url;

/// Runs `check` on `count` mutations of `valid` (times `SWITCHBOARD_FUZZ_SCALE`: scripts/nightly.sh
/// goes deeper).
fn for_mutations(seed: u64, valid: &str, count: usize, check: impl FnMut(Vec<u8>)) {
    let scale: usize = std::env::var("SWITCHBOARD_FUZZ_SCALE").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    let count = count * scale;
    let started = Instant::now();
    mutations(seed, valid.as_bytes()).take(count).for_each(check);
    println!("seed {seed}: {count} inputs in {} ms", started.elapsed().as_millis());
}

#[test]
fn call_events_never_panic_and_errors_stay_short() {
    let form = "CallSid=CA1&From=%2B12175550101&To=%2B12175550000&CallStatus=ringing";
    let json = r#"{"call_id":"CA1","from":"+12175550101","to":null,"state":"answered"}"#;
    for (seed, content_type, valid) in [(1, "application/x-www-form-urlencoded", form), (2, "application/json", json)] {
        for_mutations(seed, valid, 20_000, |input| {
            if let Err(error) = switchboard_calls::parse_event(content_type, &input) {
                assert!(error.to_string().len() < 300, "{}", switchboard_core::config::shortened(&error.to_string(), 200));
            }
        });
    }
}

#[test]
fn bundle_pages_never_panic_and_errors_stay_short() {
    let valid = r#"{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"next","url":"Patient?page=2"}],
        "entry":[{"fullUrl":"urn:x","resource":{"resourceType":"Patient","id":"p1"},"search":{"mode":"match"}}]}"#;
    let history = r#"{"resourceType":"Bundle","type":"history","entry":[{"request":{"method":"DELETE","url":"Patient/p1"}}]}"#;
    let base = Url::parse("http://127.0.0.1/fhir/Patient").unwrap();
    for (seed, valid) in [(3, valid), (4, history)] {
        for_mutations(seed, valid, 10_000, |input| match switchboard_fhir::Page::parse(&String::from_utf8_lossy(&input), &base) {
            Ok(mut page) => {
                page.keep_only("Patient");
            }
            Err(error) => assert!(error.to_string().len() < 400, "{}", switchboard_core::config::shortened(&error.to_string(), 200)),
        });
    }
}

#[test]
fn config_files_never_panic_and_errors_stay_short() {
    let valid = "phone_region = \"US\"\n\n[[source]]\nname = \"ehr\"\nfhir = \"https://fhir.example.org/r4\"\npage_size = 100\n\n[phone]\nport = 7788\n";
    let file = std::path::Path::new("/etc/switchboard/config.toml");
    for_mutations(5, valid, 5_000, |input| {
        if let Err(error) = switchboard_core::Config::parse(file, &String::from_utf8_lossy(&input)) {
            assert!(error.to_string().len() < 600, "{}", switchboard_core::config::shortened(&error.to_string(), 200));
        }
    });
}
