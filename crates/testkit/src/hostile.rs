//! A hostile FHIR server on loopback: a double for what no healthy server does (Helios cannot be made
//! to loop its paging, mix types into a search, redirect away, or send endless or bomb bodies). It
//! answers `metadata` (Patient search only), the count, and the Patient search with its misbehaviour.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hostile {
    /// Every page's `next` link is the page itself.
    PagingLoop,
    /// The Patient search also holds an Observation (potassium 9.9, critical) and an AuditEvent.
    WrongTypes,
    /// The Patient search answers 302 to this URL, on another origin.
    RedirectTo(String),
    /// A well-formed page of this many MB.
    Huge { mb: usize },
    /// A body that never ends.
    Endless,
    /// 1 MB of gzip that unpacks to 1 GB.
    GzipBomb,
    /// Two patients, nothing odd: the other origin a redirect points to.
    Plain,
}

pub struct HostileServer {
    pub port: u16,
}

impl HostileServer {
    /// Serves until the process ends (each test's server is on its own port).
    pub fn start(behaviour: Hostile) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let behaviour = behaviour.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, port, &behaviour);
                });
            }
        });
        HostileServer { port }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/fhir/", self.port)
    }
}

const METADATA: &str = r#"{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1","format":["json"],
"software":{"name":"hostile"},"rest":[{"mode":"server","resource":[{"type":"Patient","interaction":[{"code":"search-type"},{"code":"read"}]}]}]}"#;

fn patient(id: &str) -> String {
    format!(
        r#"{{"fullUrl":"urn:p:{id}","resource":{{"resourceType":"Patient","id":"{id}","meta":{{"versionId":"1","lastUpdated":"2026-01-01T00:00:00Z"}},"name":[{{"family":"Hostile","given":["{id}"]}}]}},"search":{{"mode":"match"}}}}"#
    )
}

fn bundle(entries: &[String], next: Option<&str>) -> String {
    let link = next.map(|n| format!(r#","link":[{{"relation":"next","url":"{n}"}}]"#)).unwrap_or_default();
    format!(r#"{{"resourceType":"Bundle","type":"searchset"{link},"entry":[{}]}}"#, entries.join(","))
}

fn serve(mut stream: TcpStream, port: u16, behaviour: &Hostile) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    let json = |stream: &mut TcpStream, body: &str| {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())
    };
    if target.starts_with("/fhir/metadata") {
        return json(&mut stream, METADATA);
    }
    if !target.starts_with("/fhir/Patient") {
        return stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    if target.contains("_summary=count") {
        return json(&mut stream, r#"{"resourceType":"Bundle","type":"searchset","total":2}"#);
    }
    match behaviour {
        Hostile::Plain => json(&mut stream, &bundle(&[patient("elsewhere-1"), patient("elsewhere-2")], None)),
        Hostile::PagingLoop => {
            let here = format!("http://127.0.0.1:{port}{target}");
            json(&mut stream, &bundle(&[patient("p1")], Some(&here)))
        }
        Hostile::WrongTypes => {
            let observation = r#"{"resource":{"resourceType":"Observation","id":"k1","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00Z"},"status":"final",
"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
"code":{"coding":[{"system":"http://loinc.org","code":"2823-3"}],"text":"Potassium"},"subject":{"reference":"Patient/p1"},
"valueQuantity":{"value":9.9,"unit":"mmol/L"},"interpretation":[{"coding":[{"code":"HH"}]}]},"search":{"mode":"match"}}"#;
            let audit = r#"{"resource":{"resourceType":"AuditEvent","id":"a1","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00Z"}},"search":{"mode":"match"}}"#;
            json(&mut stream, &bundle(&[patient("p1"), observation.to_string(), audit.to_string()], None))
        }
        Hostile::RedirectTo(url) => {
            stream.write_all(format!("HTTP/1.1 302 Found\r\nLocation: {url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes())
        }
        Hostile::Huge { mb } => {
            let (start, end) = (r#"{"resourceType":"Bundle","type":"searchset","entry":[],"padding":""#, r#""}"#);
            let length = start.len() + mb * 1024 * 1024 + end.len();
            stream.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{start}").as_bytes(),
            )?;
            let chunk = vec![b'a'; 1024 * 1024];
            for _ in 0..*mb {
                stream.write_all(&chunk)?;
            }
            stream.write_all(end.as_bytes())
        }
        Hostile::Endless => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n\r\n{\"resourceType\":\"Bundle\",\"padding\":\"")?;
            let chunk = vec![b'a'; 256 * 1024];
            // Until the client hangs up (or 8 GB, so a test that never does still ends).
            for _ in 0..32 * 1024 {
                stream.write_all(&chunk)?;
            }
            Ok(())
        }
        Hostile::GzipBomb => {
            let bomb = gzip_bomb();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bomb.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(bomb)
        }
    }
}

/// A Bundle whose padding unpacks to 1 GB, gzipped once per process (about 1 MB).
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(br#"{"resourceType":"Bundle","type":"searchset","padding":""#).unwrap();
        let chunk = vec![b'a'; 1024 * 1024];
        for _ in 0..1024 {
            encoder.write_all(&chunk).unwrap();
        }
        encoder.write_all(br#""}"#).unwrap();
        encoder.finish().unwrap()
    })
}
