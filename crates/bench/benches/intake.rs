//! Prints how long the intake assistant takes to read one note: every call of the labelled sets
//! (tests/intake/*.toml), read many times over, per note p50, p99 and max. The target is under 2 ms.

use std::time::{Duration, Instant};
use switchboard_intake::{analyze, eval::DevSet};

const ROUNDS: usize = 200;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/intake");
    let mut notes = Vec::new();
    for file in ["devset.toml", "heldout.toml"] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        notes.extend(DevSet::parse(&text).unwrap().call.into_iter().map(|c| c.note));
    }
    // The first read builds the lexicons; it is timed on its own.
    let first = Instant::now();
    analyze(&notes[0]);
    let load = first.elapsed();
    let mut samples: Vec<Duration> = Vec::with_capacity(notes.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for note in &notes {
            let started = Instant::now();
            std::hint::black_box(analyze(std::hint::black_box(note)));
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0;
    let longest = notes.iter().map(String::len).max().unwrap_or(0);
    println!("== intake assistant ({} notes, up to {longest} characters, {ROUNDS} rounds)", notes.len());
    println!("knowledge load    {:>8.1} ms (once per process)", load.as_secs_f64() * 1000.0);
    println!("extraction        p50 {:>6.3} ms   p99 {:>6.3} ms   max {:>6.3} ms per note", at(0.5), at(0.99), samples[samples.len() - 1].as_secs_f64() * 1000.0);
    // A pathological note: every call of the sets pasted into one.
    let all = notes.join(" ");
    let started = Instant::now();
    for _ in 0..20 {
        std::hint::black_box(analyze(std::hint::black_box(&all)));
    }
    println!("one {:>6}-char note {:>6.3} ms", all.len(), started.elapsed().as_secs_f64() * 1000.0 / 20.0);
}
