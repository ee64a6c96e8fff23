//! The HL7 feed receiver's figures: sustained ORU throughput, each message acknowledged only after its
//! durable write (one connection, as an interface engine sends, and four at once), and ACK latency at a
//! steady 100 messages/s. Drives the real release binary (`switchboard hl7 serve`) three times: with its
//! target server elsewhere (an address that answers nothing here), delivering to a server that takes
//! every transaction at once (a double on loopback, standing in for a server on another machine), and
//! with a real Helios on the same cores.
//!
//! BENCH_HL7_MESSAGES (default 3000): messages per throughput run; 0 skips this bench.
//! BENCH_HL7_SETUPS (default `elsewhere,instant,helios`): which of the three runs to make.

use serde_json::{json, Value};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use switchboard_bench::{app_binary, percentile};
use switchboard_testkit::{free_port, FhirServer, TestHome};

const MRN: &str = "B100";

fn main() {
    let messages: usize = std::env::var("BENCH_HL7_MESSAGES").ok().and_then(|s| s.parse().ok()).unwrap_or(3000);
    if messages == 0 {
        return;
    }
    let setups = std::env::var("BENCH_HL7_SETUPS").unwrap_or_else(|_| "elsewhere,instant,helios".into());
    let chosen = |name: &str| setups.split(',').any(|s| s.trim() == name);
    println!("== HL7 v2 feed receiver (release build, on this machine's 2 cores)");
    // As deployed: the target server on another machine. Here its address answers nothing, so delivery
    // waits and retries while the receiver takes messages.
    if chosen("elsewhere") {
        measure("target server elsewhere", &format!("http://127.0.0.1:{}/fhir", free_port()), messages);
    }
    // Delivery running as it would to a server on another machine: every round sent and recorded.
    if chosen("instant") {
        measure("delivering to a server that answers at once", &instant_target(), messages);
    }
    // The worst case for this machine: Helios on the same two cores, taking every delivery meanwhile.
    if chosen("helios") {
        let server = FhirServer::start();
        measure("Helios on the same cores", &server.base(), messages);
    }
}

fn measure(setup: &str, fhir: &str, messages: usize) {
    let app = app_binary();
    let home = TestHome::new();
    let port = free_port();
    std::fs::create_dir_all(&home.home.config_dir).unwrap();
    std::fs::write(
        home.home.config_file(),
        format!("[[source]]\nname = \"clinic\"\nfhir = \"{fhir}\"\n\n[hl7]\nlisten = \"127.0.0.1:{port}\"\nauthorities = {{ CLINIC = \"urn:oid:2.16.840.1.113883.19.5\" }}\n"),
    )
    .unwrap();
    let mut receiver = Command::new(&app).args(["hl7", "serve"]).env("SWITCHBOARD_HOME", home.path()).stderr(Stdio::null()).spawn().unwrap();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut one = connect(port);
    // The patient, registered over the feed itself.
    exchange(&mut one, &format!("MSH|^~\\&|EHR|CLINIC|SB|CLINIC|20261201083000||ADT^A04|REG-1|P|2.5.1\rPID|1||{MRN}^^^CLINIC^MR||Okafor^Adaeze||19710418|F"));

    let mut next = 0;
    let started = Instant::now();
    let cpu_before = cpu_seconds(receiver.id());
    for _ in 0..messages {
        send(&mut one, next);
        next += 1;
    }
    let rate = messages as f64 / started.elapsed().as_secs_f64();
    let cpu = (cpu_seconds(receiver.id()) - cpu_before) * 1000.0 / messages as f64;
    println!("{setup}:");
    println!("  ORU throughput, one connection    {rate:>7.0} messages/s   ({messages} messages, each ACKed after its durable write; target 500)");
    println!("  receiver CPU per message          {cpu:>7.2} ms           (all its threads; steadier than the rate between runs)");

    let started = Instant::now();
    let per = messages / 4;
    let connections: Vec<_> = (0..4)
        .map(|c| {
            let first = next + c * per;
            std::thread::spawn(move || {
                let mut stream = connect(port);
                (first..first + per).for_each(|n| {
                    send(&mut stream, n);
                });
            })
        })
        .collect();
    connections.into_iter().for_each(|c| c.join().unwrap());
    next += 4 * per;
    let rate = (4 * per) as f64 / started.elapsed().as_secs_f64();
    println!("  ORU throughput, four connections  {rate:>7.0} messages/s");

    let mut latencies = Vec::new();
    let paced = Instant::now();
    for i in 0..2000 {
        let due = paced + Duration::from_millis(10 * i);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        latencies.push(send(&mut one, next));
        next += 1;
    }
    println!(
        "  ACK latency at 100 messages/s     p50 {:>5.1} ms   p99 {:>5.1} ms   max {:>5.1} ms   (2000 messages; target p99 under 50 ms)",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
        percentile(&mut latencies, 1.0)
    );
    let _ = receiver.kill();
    let _ = receiver.wait();
}

/// The CPU time a process has used so far, in seconds (Linux's /proc: user plus system, in clock ticks
/// of 1/100 s).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// One ORU, a result of its own, sent and acknowledged; how long the ACK took.
fn send(stream: &mut TcpStream, n: usize) -> Duration {
    let message = format!(
        "MSH|^~\\&|LIS|ACME LAB|SB|CLINIC|20261201083000||ORU^R01|BENCH-{n}|P|2.5.1\rPID|1||{MRN}^^^CLINIC^MR||Okafor^Adaeze||19710418|F\r\
         OBR|1||ORD-{n}^ACME|24323-8^Metabolic panel^LN|||20261201071500|||||||||||||||||F\r\
         OBX|1|NM|2823-3^Potassium^LN||4.{}|mmol/L|3.5-5.1|N|||F\rOBX|2|NM|2951-2^Sodium^LN||140|mmol/L|136-145|N|||F\r\
         OBX|3|NM|2345-7^Glucose^LN||9{}|mg/dL|70-99|N|||F",
        n % 10,
        n % 10
    );
    exchange(stream, &message)
}

/// Sends one message and waits for its ACK, which must accept it; how long that took.
fn exchange(stream: &mut TcpStream, message: &str) -> Duration {
    let started = Instant::now();
    let reply = switchboard_testkit::mllp_exchange(stream, message.as_bytes());
    assert!(reply.contains("MSA|AA|") && !reply.contains("held"), "not applied: {reply}");
    started.elapsed()
}

/// A FHIR endpoint on loopback that takes every transaction at once: the receiver's delivery runs in
/// full (each message's Bundle sent, its answer recorded, the rules run on it) without a server's own
/// work on these two cores. A double, since the only FHIR server installed here is Helios, which the
/// third run measures.
fn instant_target() -> String {
    let port = switchboard_testkit::loopback::serve(|request| match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/metadata") => {
            let capabilities = json!({"resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1",
                "format": ["json"], "rest": [{"mode": "server", "interaction": [{"code": "transaction"}]}]});
            ("200 OK", capabilities.to_string())
        }
        ("POST", "") => ("200 OK", taken(&request.body).to_string()),
        _ => ("404 Not Found", json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}).to_string()),
    });
    format!("http://127.0.0.1:{port}/")
}

/// A transaction's answer: every entry's resource as stored, a POST under a new id, at version 1.
fn taken(body: &[u8]) -> Value {
    let bundle: Value = serde_json::from_slice(body).unwrap_or_default();
    let entries: Vec<Value> = bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            let mut resource = entry["resource"].clone();
            if entry["request"]["method"] == "POST" {
                resource["id"] = json!(format!("{:016x}", fastrand::u64(..)));
            }
            resource["meta"] = json!({"versionId": "1", "lastUpdated": chrono::Utc::now().to_rfc3339()});
            json!({"resource": resource, "response": {"status": "201 Created"}})
        })
        .collect();
    json!({"resourceType": "Bundle", "type": "transaction-response", "entry": entries})
}
