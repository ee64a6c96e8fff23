//! Shared fixtures for the app-level tests and the benchmark: a real Helios FHIR Server per test,
//! isolated homes, and the real OS keyring.

pub mod audit_repository;
pub mod authz;
pub mod fault_proxy;
pub mod hostile;
pub mod loopback;
mod vendor;
pub mod webdriver;

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::Child;
use std::time::Duration;
use switchboard_core::config::parse_fhir_url;
use switchboard_core::Home;
use switchboard_demo::helios::{self, Helios};
use switchboard_fhir::{ClientOptions, FhirClient, RetryPolicy};
use switchboard_store::Store;

/// A Helios FHIR Server on 127.0.0.1 with its own temporary database. Killed on drop.
pub struct FhirServer {
    pub port: u16,
    /// The origin the server writes into its links (itself, or a proxy in front of it).
    pub public_base: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

/// The demo clinic as of the real today: its free slots lie ahead of the clock that booking checks
/// them against, whatever day the tests run on (`scripts/test.sh` also runs them with the clock moved).
pub fn demo_today(patients: u32, seed: u64) -> switchboard_demo::DemoOptions {
    switchboard_demo::DemoOptions { patients, seed, today: chrono::Utc::now().date_naive() }
}

/// A Helios behind the fault proxy: its links name the proxy, so every request (export files too)
/// goes through it.
pub fn server_behind_proxy(rt: &tokio::runtime::Runtime) -> (FhirServer, fault_proxy::FaultProxy) {
    let proxy_port = free_port();
    let server = FhirServer::start_with_public_base(free_port(), format!("http://127.0.0.1:{proxy_port}"));
    let proxy = rt.block_on(fault_proxy::FaultProxy::start(proxy_port, server.port));
    (server, proxy)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl FhirServer {
    pub fn start() -> FhirServer {
        let port = free_port();
        FhirServer::start_with_public_base(port, format!("http://127.0.0.1:{port}"))
    }

    /// Starts the server on `port`, advertising `public_base` in its links (for a proxy in front).
    pub fn start_with_public_base(port: u16, public_base: String) -> FhirServer {
        let dir = tempfile::tempdir().unwrap();
        let mut server = FhirServer { port, public_base, dir, child: None, env: Vec::new() };
        server.launch();
        server
    }

    /// A server that takes only JWT access tokens from `issuer` (checked against its JWKS, for its own
    /// base URL as audience), and names the issuer's endpoints in its SMART configuration.
    pub fn start_with_auth_on(port: u16, issuer: &str) -> FhirServer {
        let base = format!("http://127.0.0.1:{port}");
        let env = [
            ("HFS_AUTH_ENABLED", "true".to_string()),
            ("HFS_AUTH_ISSUER", issuer.to_string()),
            ("HFS_AUTH_JWKS_URL", format!("{issuer}/jwks")),
            ("HFS_AUTH_AUDIENCE", format!("{base}/")),
            ("HFS_SMART_AUTHORIZE_ENDPOINT", format!("{issuer}/auth")),
            ("HFS_SMART_TOKEN_ENDPOINT", format!("{issuer}/token")),
            ("HFS_SMART_JWKS_URL", format!("{issuer}/jwks")),
        ];
        let mut server =
            FhirServer { port, public_base: base, dir: tempfile::tempdir().unwrap(), child: None, env: env.map(|(k, v)| (k.to_string(), v)).to_vec() };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let helios = Helios::configured();
        let child = helios
            .spawn_with(self.dir.path(), self.port, &self.public_base, false, &self.env)
            .unwrap_or_else(|e| panic!("cannot start the FHIR server {} ({e}); run scripts/install-fhir-server.sh", helios.binary.display()));
        let child = self.child.insert(child);
        if let Err(why) = helios::wait_healthy(self.port, child, Duration::from_secs(90)) {
            panic!("{why}: {}", self.log());
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The base URL clients use (the public base).
    pub fn base(&self) -> String {
        format!("{}/", self.public_base)
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn client(base: &str) -> FhirClient {
    let retry = RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(50), ..RetryPolicy::default() };
    let options = ClientOptions { strict: true, retry, timeout: Duration::from_secs(30), ..ClientOptions::default() };
    FhirClient::new(parse_fhir_url(base).unwrap(), options).unwrap()
}

/// An isolated `SWITCHBOARD_HOME`.
pub struct TestHome {
    pub dir: tempfile::TempDir,
    pub home: Home,
}

impl Default for TestHome {
    fn default() -> Self {
        TestHome::new()
    }
}

impl TestHome {
    pub fn new() -> TestHome {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::under(dir.path());
        TestHome { dir, home }
    }

    /// Opens the cache with its key in the real OS keyring (tests run under scripts/with-keyring.sh).
    pub fn store(&self) -> Store {
        Store::open(&self.home, "US").unwrap_or_else(|e| panic!("{e} (run the tests through scripts/test.sh)"))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestHome {
    fn drop(&mut self) {
        if let Ok(entry) = keyring::Entry::new(switchboard_store::KEYRING_SERVICE, &self.home.cache_key_account()) {
            let _ = entry.delete_credential();
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Every resource of a type on the server, by id, read page by page.
pub async fn server_resources(client: &FhirClient, resource_type: &str) -> BTreeMap<String, Value> {
    let mut params: Vec<(&str, &str)> = switchboard_core::resource_types::sync_filter(resource_type).to_vec();
    params.push(("_count", "500"));
    let mut next = Some(client.search_url(resource_type, &params).unwrap());
    let mut all = BTreeMap::new();
    while let Some(url) = next.take() {
        let page = client.get_page(&url).await.unwrap();
        for raw in page.resources {
            let value: Value = serde_json::from_str(raw.get()).unwrap();
            all.insert(value["id"].as_str().unwrap().to_string(), value);
        }
        next = page.next;
    }
    all
}

/// Every cached resource of a type, by id.
pub fn cached_resources(store: &Store, source: &str, resource_type: &str) -> BTreeMap<String, Value> {
    store.resources_of(source, resource_type).unwrap().into_iter().map(|(id, json)| (id, serde_json::from_str(&json).unwrap())).collect()
}

/// Asserts the cache holds exactly the server's content: every type, every resource, the same JSON.
/// Resources created here and not yet delivered (a rule's callback task, `local-` ids) are not the
/// server's, so they are left out.
pub async fn assert_cache_equals_server(client: &FhirClient, store: &Store, source: &str) {
    for resource_type in switchboard_core::resource_types::SYNCED {
        let server = server_resources(client, resource_type).await;
        let mut cached = cached_resources(store, source, resource_type);
        cached.retain(|id, _| !id.starts_with("local-"));
        let missing: Vec<_> = server.keys().filter(|id| !cached.contains_key(*id)).take(5).collect();
        let extra: Vec<_> = cached.keys().filter(|id| !server.contains_key(*id)).take(5).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{resource_type}: missing {missing:?}, extra {extra:?}");
        for (id, value) in &server {
            assert_eq!(&cached[id], value, "{resource_type}/{id} differs");
        }
    }
}

/// In the demo clinic, a phone number that is one patient's alone and one a household shares (among
/// the first `patients` patients).
pub fn demo_phone_numbers(store: &Store, now: chrono::DateTime<chrono::Utc>, patients: u32) -> (String, String) {
    let (mut single, mut household) = (None, None);
    for n in 0..patients {
        let Some(view) = store.patient_view("demo", &format!("pat-{n:06}"), now).unwrap() else { continue };
        for phone in view.patient.banner.phones {
            match store.callers(&phone, now.date_naive()).unwrap().unwrap_or_default().len() {
                1 if single.is_none() => single = Some(phone),
                2.. if household.is_none() => household = Some(phone),
                _ => {}
            }
        }
        if single.is_some() && household.is_some() {
            break;
        }
    }
    (single.expect("a number with one patient"), household.expect("a household number"))
}

/// Posts a call event to the app's listener as a phone system would: `token` as Bearer, the body as
/// `content_type`. Returns the status and the answer's text.
pub fn post_call(port: u16, token: Option<&str>, content_type: &str, body: &str) -> (u16, String) {
    let rt = runtime();
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap();
        let mut request = client.post(format!("http://127.0.0.1:{port}/calls")).header("Content-Type", content_type).body(body.to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the listener answers");
        (response.status().as_u16(), response.text().await.unwrap_or_default())
    })
}

/// Seeded mutations of a valid input, for property tests of parsers: bytes flipped, cut, repeated,
/// spliced with structure characters and long runs. The same seed gives the same inputs.
pub fn mutations(seed: u64, valid: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    const NOISE: &[&[u8]] = &[b"{", b"}", b"[", b"]", b"\"", b",", b":", b"&", b"=", b"%", b"\\u0000", b"\xff\xfe", b"null", b"-1e999", b"\n"];
    let mut rng = fastrand::Rng::with_seed(seed);
    std::iter::repeat_with(move || {
        let mut input = valid.to_vec();
        for _ in 0..rng.usize(1..6) {
            let at = rng.usize(..=input.len());
            match rng.u8(..5) {
                0 => input.truncate(at),
                1 if at < input.len() => input[at] = rng.u8(..),
                2 => input.splice(at..at, NOISE[rng.usize(..NOISE.len())].iter().copied()).for_each(drop),
                3 => input.splice(at..at, std::iter::repeat_n(rng.u8(32..127), rng.usize(1..70_000))).for_each(drop),
                _ => {
                    let end = rng.usize(at..=input.len());
                    let copy = input[at..end].to_vec();
                    input.splice(at..at, copy).for_each(drop);
                }
            }
        }
        input
    })
}

/// Sends one HL7 v2 message over MLLP and returns its ACK, unframed, as text.
pub fn mllp_exchange(stream: &mut std::net::TcpStream, message: &[u8]) -> String {
    use std::io::{Read, Write};
    stream.write_all(&switchboard_hl7::mllp::frame(message)).unwrap();
    let mut reply = Vec::new();
    let mut buffer = [0u8; 4096];
    while !reply.ends_with(&[switchboard_hl7::mllp::END, switchboard_hl7::mllp::CR]) {
        let read = stream.read(&mut buffer).unwrap();
        assert!(read > 0, "the receiver closed the connection without an ACK");
        reply.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&reply[1..reply.len() - 2]).into_owned()
}
