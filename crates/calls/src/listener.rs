//! The local listener: HTTP on 127.0.0.1, every call event behind the shared token.
//!
//! `POST /calls` takes a call event; `POST /focus` raises the running window (a second launch uses it,
//! so there is one app instance); `GET /health` says a Switchboard is listening. Rejections get a
//! status and a sentence, and are logged without the body: it holds phone numbers.

use crate::event::{parse_event, CallEvent, EventError};
use base64::Engine;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Method, Request, Response, Server};

/// A call event is a few hundred bytes; anything far larger is not one.
const MAX_BODY: u64 = 16 * 1024;
/// What `GET /health` answers, so a second launch knows the port holds a Switchboard.
const HEALTH: &str = "switchboard";

/// What the listener hands to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A call event and when it arrived (milliseconds since the epoch), for latency figures.
    Call { event: CallEvent, received_ms: u64 },
    /// Another launch asks the running window to come forward.
    Focus,
}

pub struct Listener {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    pub port: u16,
}

impl Listener {
    /// Listens on 127.0.0.1:`port` (0 picks a free port) until dropped. Each request is read on its
    /// own thread, so a client that stalls mid-body holds up nobody else.
    pub fn start(port: u16, token: String, on: impl Fn(Inbound) + Send + Sync + 'static) -> std::io::Result<Listener> {
        let server = Server::http(SocketAddr::from(([127, 0, 0, 1], port))).map_err(std::io::Error::other)?;
        let port = server.server_addr().to_ip().map_or(port, |a| a.port());
        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let (token, on) = (Arc::new(token), Arc::new(on));
        let thread = std::thread::Builder::new().name("call-listener".into()).spawn(move || {
            for request in serving.incoming_requests() {
                let (token, on) = (Arc::clone(&token), Arc::clone(&on));
                let _ = std::thread::Builder::new().name("call-request".into()).spawn(move || handle(&token, request, &*on));
            }
        })?;
        Ok(Listener { server, thread: Some(thread), port })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Milliseconds since the epoch: when an event arrived, on the clock the window's paint times use too.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn header<'r>(request: &'r Request, name: &'static str) -> Option<&'r str> {
    request.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str())
}

/// Compares without stopping at the first differing byte, so timing does not reveal the token.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// `Authorization: Bearer <token>`, or Basic with the token as the password (Twilio sends the
/// credentials of its webhook URL that way).
fn authorized(request: &Request, token: &str) -> bool {
    let Some(value) = header(request, "Authorization").map(str::trim) else { return false };
    if let Some(given) = value.strip_prefix("Bearer ") {
        return same_secret(given.trim(), token);
    }
    let Some(encoded) = value.strip_prefix("Basic ") else { return false };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
    let decoded = String::from_utf8_lossy(&decoded);
    decoded.split_once(':').is_some_and(|(_, password)| same_secret(password, token))
}

fn reply(request: Request, status: u16, words: &str) {
    let response = Response::from_string(words)
        .with_status_code(status)
        .with_header(Header::from_bytes("Content-Type", "text/plain; charset=utf-8").expect("a valid header"));
    let response = match status {
        401 => response.with_header(Header::from_bytes("WWW-Authenticate", "Bearer realm=\"switchboard\"").expect("a valid header")),
        _ => response,
    };
    let _ = request.respond(response);
}

fn handle(token: &str, mut request: Request, on: &(impl Fn(Inbound) + ?Sized)) {
    let received_ms = now_ms();
    let path = request.url().split('?').next().unwrap_or_default().to_string();
    match read(token, &mut request, &path, received_ms) {
        Ok((status, words, inbound)) => {
            reply(request, status, &words);
            if let Some(inbound) = inbound {
                on(inbound);
            }
        }
        Err((status, words)) => {
            // The status and the sentence name the problem; the body (phone numbers) is not logged.
            tracing::warn!(status, path = %path, problem = %words, "call event refused");
            reply(request, status, &words);
        }
    }
}

type Answer = (u16, String, Option<Inbound>);

fn read(token: &str, request: &mut Request, path: &str, received_ms: u64) -> Result<Answer, (u16, String)> {
    match (request.method(), path) {
        (Method::Get, "/health") => return Ok((200, HEALTH.to_string(), None)),
        (Method::Post, "/calls" | "/focus") => {}
        (_, "/calls" | "/focus" | "/health") => return Err((405, "this path does not take that method".into())),
        _ => return Err((404, "no such path: use POST /calls".into())),
    }
    if !authorized(request, token) {
        return Err((401, "missing or wrong token: send `Authorization: Bearer <token>` (see `switchboard phone token`)".into()));
    }
    if path == "/focus" {
        return Ok((204, String::new(), Some(Inbound::Focus)));
    }
    let too_large = || (413, "the body is too large for a call event".to_string());
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    request.as_reader().take(MAX_BODY + 1).read_to_end(&mut body).map_err(|_| (400, "the body could not be read".to_string()))?;
    if body.len() as u64 > MAX_BODY {
        return Err(too_large());
    }
    let event = parse_event(header(request, "Content-Type").unwrap_or_default(), &body)
        .map_err(|e| (if e == EventError::ContentType { 415 } else { 400 }, e.to_string()))?;
    tracing::info!(state = ?event.state, "call event accepted");
    Ok((204, String::new(), Some(Inbound::Call { event, received_ms })))
}

#[derive(Debug, thiserror::Error)]
pub enum HandOverError {
    #[error("no Switchboard app is listening on port {0}")]
    NotRunning(u16),
    #[error("the running app refused the event ({status}): {words}")]
    Refused { status: u16, words: String },
}

/// Sends an event (or, with `None`, a request to come forward) to the app listening on `port`.
pub async fn hand_over(port: u16, token: &str, event: Option<&CallEvent>) -> Result<(), HandOverError> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().map_err(|_| HandOverError::NotRunning(port))?;
    let base = format!("http://127.0.0.1:{port}");
    let health = client.get(format!("{base}/health")).send().await.map_err(|_| HandOverError::NotRunning(port))?;
    if health.text().await.ok().as_deref() != Some(HEALTH) {
        return Err(HandOverError::NotRunning(port));
    }
    let request = match event {
        Some(event) => client.post(format!("{base}/calls")).json(&serde_json::json!({
            "from": event.from, "to": event.to, "call_id": event.call_id, "state": event.state,
        })),
        None => client.post(format!("{base}/focus")),
    };
    let response = request.bearer_auth(token).send().await.map_err(|_| HandOverError::NotRunning(port))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Ok(());
    }
    Err(HandOverError::Refused { status, words: response.text().await.unwrap_or_default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    const TOKEN: &str = "s3cret-token-for-tests";

    fn started() -> (Listener, mpsc::Receiver<Inbound>) {
        let (tx, rx) = mpsc::channel();
        let listener = Listener::start(0, TOKEN.into(), move |inbound| tx.send(inbound).unwrap()).unwrap();
        (listener, rx)
    }

    #[tokio::test]
    async fn events_need_the_token_and_bad_ones_get_a_clear_status() {
        let (listener, rx) = started();
        let url = format!("http://127.0.0.1:{}/calls", listener.port);
        let client = reqwest::Client::new();
        let form = "CallSid=CA9&From=%2B15551230001&CallStatus=ringing";
        let post = |body: &'static str, content_type: &'static str| client.post(&url).header("Content-Type", content_type).body(body);

        let no_token = post(form, "application/x-www-form-urlencoded").send().await.unwrap();
        assert_eq!(no_token.status(), 401);
        assert!(no_token.text().await.unwrap().contains("missing or wrong token"));
        let wrong = post(form, "application/x-www-form-urlencoded").bearer_auth("s3cret-token-for-tesTS").send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let bad = post("CallSid=CA9&CallStatus=ringing", "application/x-www-form-urlencoded").bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(bad.status(), 400);
        assert!(bad.text().await.unwrap().contains("no `From`"));
        let odd_type = post("hello", "text/plain").bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(odd_type.status(), 415);
        let huge = client.post(&url).bearer_auth(TOKEN).header("Content-Type", "application/json").body(vec![b' '; 40_000]).send().await.unwrap();
        assert_eq!(huge.status(), 413);
        let elsewhere = client.post(format!("http://127.0.0.1:{}/admin", listener.port)).send().await.unwrap();
        assert_eq!(elsewhere.status(), 404);
        assert!(rx.try_recv().is_err(), "a refused event reached the app");

        // Twilio's webhook credentials arrive as Basic auth, the token as the password.
        let twilio = post(form, "application/x-www-form-urlencoded").basic_auth("twilio", Some(TOKEN)).send().await.unwrap();
        assert_eq!(twilio.status(), 204);
        let Inbound::Call { event, received_ms } = rx.recv_timeout(Duration::from_secs(2)).unwrap() else { panic!("not a call") };
        assert_eq!((event.call_id.as_str(), event.from.as_str(), event.state), ("CA9", "+15551230001", crate::CallState::Ringing));
        assert!(received_ms > 0);
    }

    #[tokio::test]
    async fn a_client_stalled_mid_body_does_not_hold_up_other_events() {
        use tokio::io::AsyncWriteExt;
        let (listener, rx) = started();
        let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", listener.port)).await.unwrap();
        let head =
            format!("POST /calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{{");
        stalled.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let event = CallEvent { call_id: "CA-after".into(), from: "+15551230001".into(), to: None, state: crate::CallState::Ringing };
        tokio::time::timeout(Duration::from_secs(3), hand_over(listener.port, TOKEN, Some(&event)))
            .await
            .expect("answered while another client stalls")
            .unwrap();
        assert!(matches!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), Inbound::Call { event: e, .. } if e.call_id == "CA-after"));
        drop(stalled);
    }

    #[tokio::test]
    async fn hand_over_reaches_a_running_listener_and_says_when_none_runs() {
        let (listener, rx) = started();
        let event = CallEvent { call_id: "tel-1".into(), from: "555 123 0001".into(), to: None, state: crate::CallState::Ringing };
        hand_over(listener.port, TOKEN, Some(&event)).await.unwrap();
        assert!(matches!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), Inbound::Call { event: e, .. } if e == event));
        hand_over(listener.port, TOKEN, None).await.unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), Inbound::Focus);
        let refused = hand_over(listener.port, "not-the-token", None).await.unwrap_err();
        assert!(matches!(refused, HandOverError::Refused { status: 401, .. }), "{refused}");
        let port = listener.port;
        drop(listener);
        assert!(matches!(hand_over(port, TOKEN, None).await.unwrap_err(), HandOverError::NotRunning(p) if p == port));
    }
}
