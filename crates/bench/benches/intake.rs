//! Prints the intake assistant's figures against its targets: how long it takes to read one note, per
//! language (every call of the labelled sets, read many times over: p50, p99 and max; target under
//! 2 ms), and the safety and extraction scores on the sets written blind (tests/intake/blind/).

use std::time::{Duration, Instant};
use switchboard_intake::{analyze, eval::DevSet, language_of, Language};

const ROUNDS: usize = 200;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/intake");
    let mut sets = Vec::new();
    for file in ["devset.toml", "heldout.toml", "blind/a.toml", "blind/b.toml", "blind/c.toml", "blind/es1.toml", "blind/es2.toml"] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        sets.push((file, DevSet::parse(&text).unwrap()));
    }
    let notes: Vec<&str> = sets.iter().flat_map(|(_, set)| set.call.iter().map(|c| c.note.as_str())).collect();
    // The first read of each language builds its lexicon; it is timed on its own.
    let first = Instant::now();
    analyze("my chest hurts");
    analyze("me duele mucho el pecho y me falta el aire");
    let load = first.elapsed();
    for language in [Language::En, Language::Es] {
        let of_language: Vec<&str> = notes.iter().copied().filter(|n| language_of(n) == language).collect();
        let mut samples: Vec<Duration> = Vec::with_capacity(of_language.len() * ROUNDS);
        for _ in 0..ROUNDS {
            for note in &of_language {
                let started = Instant::now();
                std::hint::black_box(analyze(std::hint::black_box(note)));
                samples.push(started.elapsed());
            }
        }
        samples.sort();
        let at = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0;
        let longest = of_language.iter().map(|n| n.len()).max().unwrap_or(0);
        println!("== intake assistant, {language:?} ({} notes, up to {longest} characters, {ROUNDS} rounds)", of_language.len());
        println!(
            "extraction        p50 {:>6.3} ms   p99 {:>6.3} ms   max {:>6.3} ms per note (target: under 2 ms)",
            at(0.5),
            at(0.99),
            samples[samples.len() - 1].as_secs_f64() * 1000.0
        );
    }
    println!("knowledge load    {:>8.1} ms (both languages, once per process)", load.as_secs_f64() * 1000.0);
    // A pathological note: every call of the sets pasted into one.
    let all = notes.join(" ");
    let started = Instant::now();
    for _ in 0..5 {
        std::hint::black_box(analyze(std::hint::black_box(&all)));
    }
    println!("one {:>6}-char note {:>8.3} ms", all.len(), started.elapsed().as_secs_f64() * 1000.0 / 5.0);

    println!("== scores (targets: emergency recall 1.00, none under-triaged, same-day read as routine at most 2%, routine kept at least 70%, findings P/R 0.90/0.85, negation P/R 0.90/0.90)");
    println!(
        "{:<14} {:>5} {:>11} {:>6} {:>10} {:>9} {:>13} {:>13}",
        "set", "calls", "emergencies", "under", "sameday>rt", "routine", "findings P/R", "negation P/R"
    );
    for (file, set) in &sets {
        let report = set.evaluate();
        let s = &report.safety;
        let findings = &report.fields["findings"];
        println!(
            "{:<14} {:>5} {:>5}/{:<5} {:>6} {:>10.3} {:>9.3} {:>6.3}/{:<6.3} {:>6.3}/{:<6.3}",
            file.trim_end_matches(".toml"),
            report.calls,
            s.emergencies_caught,
            s.emergencies,
            report.under_triaged.len(),
            s.same_day_read_routine_share,
            s.routine_kept_share,
            findings.precision(),
            findings.recall(),
            report.negation.precision(),
            report.negation.recall(),
        );
    }
}
