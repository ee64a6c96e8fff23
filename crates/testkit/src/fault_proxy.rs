//! A fault-injecting HTTP proxy on loopback, in front of the real FHIR server. It is a double only for
//! the misbehaviour a healthy server never shows (proxy error pages, cut-off bodies, rate limits); every
//! other request goes through to the real server. It can also act as a restrictive vendor API
//! (`act_as_vendor`, see `vendor`).

use crate::vendor::Vendor;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 502 with a proxy's HTML page.
    HtmlPage,
    /// 200 with a body that is not JSON.
    InvalidJson,
    /// 200 whose body stops half-way (Content-Length promises more).
    Truncated,
    /// 400 with an OperationOutcome.
    OperationOutcome,
    /// 429 with `Retry-After: 1`.
    RateLimited,
    /// Reads the request and never answers.
    Stall,
    /// Forwards the request to the server, then drops the connection: the server committed, the
    /// client never hears of it.
    LostResponse,
    /// 500 with an OperationOutcome.
    ServerError,
    /// Closes the connection without an answer, before the server sees the request.
    Reset,
    /// Forwards the request, then holds the server's answer for two seconds before relaying it: a
    /// process killed meanwhile dies after the server committed (`held` counts these answers).
    HeldAnswer,
}

/// Faults drawn at random for every request: a seeded rng, the chance of a fault, and the kinds.
struct Chaos {
    rng: fastrand::Rng,
    probability: f64,
    faults: Vec<Fault>,
}

struct Rule {
    path_contains: Vec<String>,
    fault: Fault,
    /// How many more requests to hit; `None` for all of them.
    remaining: Option<u32>,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub port: u16,
    rules: Arc<Mutex<Vec<Rule>>>,
    injected: Arc<Mutex<u32>>,
    accept_encodings: Arc<Mutex<Vec<String>>>,
    chaos: Arc<Mutex<Option<Chaos>>>,
    held: Arc<Mutex<u32>>,
    requests: Arc<Mutex<Vec<String>>>,
    vendor: Arc<Mutex<Option<Vendor>>>,
}

impl FaultProxy {
    /// Listens on `port` and forwards to the server on `upstream_port`. Runs on the current runtime.
    pub async fn start(port: u16, upstream_port: u16) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let proxy = FaultProxy {
            port,
            rules: Arc::default(),
            injected: Arc::default(),
            accept_encodings: Arc::default(),
            chaos: Arc::default(),
            held: Arc::default(),
            requests: Arc::default(),
            vendor: Arc::default(),
        };
        let http = reqwest::Client::new();
        let serving = proxy.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (proxy, http) = (serving.clone(), http.clone());
                tokio::spawn(async move {
                    let _ = proxy.handle(stream, &http, upstream_port).await;
                });
            }
        });
        proxy
    }

    /// Requests whose path and query contain every one of `path_contains` get `fault`, `times` times
    /// (or always).
    pub fn inject(&self, path_contains: &[&str], fault: Fault, times: Option<u32>) {
        let path_contains = path_contains.iter().map(|s| s.to_string()).collect();
        self.rules.lock().unwrap().push(Rule { path_contains, fault, remaining: times });
    }

    /// From now on every request gets one of `faults` with chance `probability`, drawn from `seed`.
    pub fn chaos(&self, seed: u64, probability: f64, faults: &[Fault]) {
        *self.chaos.lock().unwrap() = Some(Chaos { rng: fastrand::Rng::with_seed(seed), probability, faults: faults.to_vec() });
    }

    /// From now on the proxy answers as a restrictive vendor API would (`vendor`): export files go
    /// missing `files_expire_after` the manifest was first served.
    pub fn act_as_vendor(&self, files_expire_after: Option<std::time::Duration>) {
        *self.vendor.lock().unwrap() = Some(Vendor::new(files_expire_after));
    }

    /// The requests the vendor refused so far, as "METHOD target".
    pub fn vendor_refused(&self) -> Vec<String> {
        self.vendor.lock().unwrap().as_ref().map(|v| v.refused.clone()).unwrap_or_default()
    }

    /// Runs `f` with the vendor's limits lifted: a test's own look at everything the server holds.
    pub fn unrestricted<T>(&self, f: impl FnOnce() -> T) -> T {
        let vendor = self.vendor.lock().unwrap().take();
        let result = f();
        *self.vendor.lock().unwrap() = vendor;
        result
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
        *self.chaos.lock().unwrap() = None;
    }

    /// How many faults were served.
    pub fn injected(&self) -> u32 {
        *self.injected.lock().unwrap()
    }

    /// How many answers `HeldAnswer` has held so far (each after the server committed).
    pub fn held(&self) -> u32 {
        *self.held.lock().unwrap()
    }

    /// How many requests so far had `method` and a path and query containing `path_contains`.
    pub fn requests(&self, method: &str, path_contains: &str) -> usize {
        let prefix = format!("{method} ");
        self.requests.lock().unwrap().iter().filter(|r| r.starts_with(&prefix) && r.contains(path_contains)).count()
    }

    /// The `Accept-Encoding` header of every request seen so far.
    pub fn accept_encodings(&self) -> Vec<String> {
        self.accept_encodings.lock().unwrap().clone()
    }

    fn fault_for(&self, target: &str) -> Option<Fault> {
        let fault = self.scripted_fault(target).or_else(|| {
            let mut chaos = self.chaos.lock().unwrap();
            let chaos = chaos.as_mut()?;
            (chaos.rng.f64() < chaos.probability).then(|| chaos.faults[chaos.rng.usize(..chaos.faults.len())])
        })?;
        *self.injected.lock().unwrap() += 1;
        Some(fault)
    }

    fn scripted_fault(&self, target: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap();
        let rule = rules.iter_mut().find(|r| r.path_contains.iter().all(|p| target.contains(p.as_str())) && r.remaining != Some(0))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.fault)
    }

    async fn handle(&self, mut stream: TcpStream, http: &reqwest::Client, upstream_port: u16) -> std::io::Result<()> {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let (method, target) = (request_line.next().unwrap_or("GET").to_string(), request_line.next().unwrap_or("/").to_string());
        let headers: Vec<(String, String)> =
            lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
        let encoding = headers.iter().find(|(k, _)| k == "accept-encoding").map(|(_, v)| v.clone()).unwrap_or_default();
        self.accept_encodings.lock().unwrap().push(encoding);
        self.requests.lock().unwrap().push(format!("{method} {target}"));
        let length: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        while buffer.len() < head_end + length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body = buffer[head_end..].to_vec();

        let refusal = self.vendor.lock().unwrap().as_mut().and_then(|v| v.refuse(&method, &target));
        if let Some((status, outcome)) = refusal {
            stream.write_all(&respond(status, "application/fhir+json", outcome.to_string().as_bytes(), &[])).await?;
            return stream.shutdown().await;
        }
        let fault = self.fault_for(&target);
        if let Some(fault) = fault.filter(|f| !matches!(f, Fault::LostResponse | Fault::HeldAnswer)) {
            if fault == Fault::Stall {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
            if fault == Fault::Reset {
                // Linger 0: closing sends a TCP reset rather than an orderly end (and, being zero,
                // never blocks the thread, which is what the deprecation warns of).
                #[allow(deprecated)]
                stream.set_linger(Some(std::time::Duration::ZERO))?;
                return Ok(());
            }
            let reply: Vec<u8> = match fault {
                Fault::HtmlPage => respond(502, "text/html", b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", &[]),
                Fault::InvalidJson => respond(200, "application/fhir+json", b"{\"resourceType\": \"Bundle\", \"entry\": [}", &[]),
                Fault::OperationOutcome => respond(
                    400,
                    "application/fhir+json",
                    br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"Search is temporarily restricted for this client"}]}"#,
                    &[],
                ),
                Fault::RateLimited => respond(429, "application/fhir+json", b"{}", &[("Retry-After", "1")]),
                Fault::ServerError => respond(
                    500,
                    "application/fhir+json",
                    br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"Internal error"}]}"#,
                    &[],
                ),
                Fault::Stall | Fault::LostResponse | Fault::Reset | Fault::HeldAnswer => Vec::new(),
                Fault::Truncated => {
                    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n".to_vec();
                    reply.extend_from_slice(b"{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":");
                    reply
                }
            };
            stream.write_all(&reply).await?;
            return stream.shutdown().await;
        }

        let url = format!("http://127.0.0.1:{upstream_port}{target}");
        let mut request = http.request(method.parse().unwrap(), url).body(body);
        for (name, value) in &headers {
            if matches!(name.as_str(), "accept" | "prefer" | "content-type" | "authorization" | "if-match" | "if-none-exist") {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let reply = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                let content_type = header("content-type").unwrap_or_else(|| "application/fhir+json".into());
                // What a Bulk Data export's kick-off and polls say besides their body.
                let passed: Vec<(&str, String)> =
                    ["content-location", "x-progress", "retry-after"].into_iter().filter_map(|name| header(name).map(|v| (name, v))).collect();
                let location = header("content-location");
                let mut bytes = response.bytes().await.unwrap_or_default().to_vec();
                if let Some(vendor) = self.vendor.lock().unwrap().as_mut() {
                    vendor.observe(&method, &target, status, location.as_deref(), &mut bytes);
                }
                let extra: Vec<(&str, &str)> = passed.iter().map(|(k, v)| (*k, v.as_str())).collect();
                respond(status, &content_type, &bytes, &extra)
            }
            Err(_) => respond(502, "text/plain", b"upstream unreachable", &[]),
        };
        if fault == Some(Fault::LostResponse) {
            return stream.shutdown().await;
        }
        if fault == Some(Fault::HeldAnswer) {
            *self.held.lock().unwrap() += 1;
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        stream.write_all(&reply).await?;
        stream.shutdown().await
    }
}

fn respond(status: u16, content_type: &str, body: &[u8], extra: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut reply = head.into_bytes();
    reply.extend_from_slice(body);
    reply
}
