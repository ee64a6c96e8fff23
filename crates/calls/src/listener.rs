//! The local listener: HTTP on 127.0.0.1, every call event behind the shared token.
//!
//! `POST /calls` takes a call event; `POST /focus` raises the running window (a second launch uses it,
//! so there is one app instance); `GET /health` says a Switchboard is listening. Rejections get a
//! status and a sentence, and are logged without the body: it holds phone numbers.

use crate::event::{parse_event, CallEvent, EventError};
use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{oneshot, Semaphore};

/// A call event is a few hundred bytes; anything far larger is not one. A larger `Content-Length` is
/// refused before any of the body is read, and the connection is closed rather than drained.
const MAX_BODY: usize = 16 * 1024;
/// The request line and headers together; a longer head is refused (431) without buffering the rest.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; one more is closed at once. Each is a small task, not a thread.
const MAX_CONNECTIONS: usize = 1024;
/// A client must have sent its whole head by then...
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// ...and be done with the whole exchange by then.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);
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

type Handler = dyn Fn(Inbound) + Send + Sync;

pub struct Listener {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub port: u16,
}

impl Listener {
    /// Listens on 127.0.0.1:`port` (0 picks a free port) until dropped, on a thread with its own
    /// runtime. The app's handler runs on a blocking thread, so a slow cache never holds up answers,
    /// and a client that stalls holds up nobody else.
    pub fn start(port: u16, token: String, on: impl Fn(Inbound) + Send + Sync + 'static) -> std::io::Result<Listener> {
        let socket = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
        socket.set_nonblocking(true)?;
        let port = socket.local_addr()?.port();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, stopped) = oneshot::channel();
        let (token, on): (Arc<str>, Arc<Handler>) = (Arc::from(token), Arc::new(on));
        let thread = std::thread::Builder::new().name("call-listener".into()).spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(socket) {
                    Ok(socket) => serve(socket, token, on, stopped).await,
                    Err(error) => tracing::error!(%error, "the call listener could not start"),
                }
            })
        })?;
        Ok(Listener { stop: Some(stop), thread: Some(thread), port })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(socket: tokio::net::TcpListener, token: Arc<str>, on: Arc<Handler>, mut stopped: oneshot::Receiver<()>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = socket.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors, say: wait a moment instead of spinning.
                tracing::warn!(%error, "the call listener could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(limit = MAX_CONNECTIONS, "too many connections to the call listener; one closed");
            continue;
        };
        let (token, on) = (Arc::clone(&token), Arc::clone(&on));
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| respond(Arc::clone(&token), Arc::clone(&on), request));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_DEADLINE)
                .max_buf_size(MAX_HEAD)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_DEADLINE, connection).await;
            drop(slot);
        });
    }
}

/// Milliseconds since the epoch: when an event arrived, on the clock the window's paint times use too.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Compares without stopping at the first differing byte, so timing does not reveal the token.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// `Authorization: Bearer <token>`, or Basic with the token as the password (Twilio sends the
/// credentials of its webhook URL that way).
fn authorized(request: &Request<Incoming>, token: &str) -> bool {
    let Some(value) = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim) else { return false };
    if let Some(given) = value.strip_prefix("Bearer ") {
        return same_secret(given.trim(), token);
    }
    let Some(encoded) = value.strip_prefix("Basic ") else { return false };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
    let decoded = String::from_utf8_lossy(&decoded);
    decoded.split_once(':').is_some_and(|(_, password)| same_secret(password, token))
}

fn reply(status: u16, words: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(words)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if status == 401 {
        response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"switchboard\""));
    }
    response
}

async fn respond(token: Arc<str>, on: Arc<Handler>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let received_ms = now_ms();
    let path = request.uri().path().to_string();
    Ok(match read(&token, request, &path, received_ms).await {
        Ok((status, words, inbound)) => {
            if let Some(inbound) = inbound {
                // The answer goes out now; the app applies the event on a blocking thread.
                tokio::task::spawn_blocking(move || on(inbound));
            }
            reply(status, words)
        }
        Err((status, words)) => {
            // The status and the sentence name the problem; the body (phone numbers) is not logged.
            tracing::warn!(status, path = %path, problem = %words, "call event refused");
            reply(status, words)
        }
    })
}

type Answer = (u16, String, Option<Inbound>);

async fn read(token: &str, request: Request<Incoming>, path: &str, received_ms: u64) -> Result<Answer, (u16, String)> {
    match (request.method(), path) {
        (&Method::GET, "/health") => return Ok((200, HEALTH.to_string(), None)),
        (&Method::POST, "/calls" | "/focus") => {}
        (_, "/calls" | "/focus" | "/health") => return Err((405, "this path does not take that method".into())),
        _ => return Err((404, "no such path: use POST /calls".into())),
    }
    if !authorized(&request, token) {
        return Err((401, "missing or wrong token: send `Authorization: Bearer <token>` (see `switchboard phone token`)".into()));
    }
    if path == "/focus" {
        return Ok((204, String::new(), Some(Inbound::Focus)));
    }
    let too_large = || (413, "the body is too large for a call event".to_string());
    let claimed = request.headers().get(CONTENT_LENGTH).map(|v| v.to_str().ok().and_then(|n| n.trim().parse::<u64>().ok()));
    match claimed {
        Some(None) => return Err((400, "the Content-Length is not a number".into())),
        Some(Some(n)) if n > MAX_BODY as u64 => return Err(too_large()),
        _ => {}
    }
    let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Err(_) => return Err((400, "the body could not be read".to_string())),
    };
    let event = parse_event(&content_type, &body).map_err(|e| (if e == EventError::ContentType { 415 } else { 400 }, e.to_string()))?;
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

    /// Sends `head` (and nothing more) and returns what the listener answers before it closes.
    async fn answer_to(port: u16, head: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut answer)).await.expect("the listener closes the connection").unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// How long one real event takes to be answered, and that it reached the app.
    async fn real_event_answered(port: u16, rx: &mpsc::Receiver<Inbound>, id: &str) -> Duration {
        let client = reqwest::Client::new();
        let started = std::time::Instant::now();
        let response = client
            .post(format!("http://127.0.0.1:{port}/calls"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"call_id": id, "from": "+15551230001", "state": "ringing"}))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .expect("a real event is answered");
        let took = started.elapsed();
        assert_eq!(response.status(), 204);
        assert!(matches!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), Inbound::Call { event, .. } if event.call_id == id));
        took
    }

    #[tokio::test]
    async fn a_huge_content_length_is_refused_before_anything_is_read_with_or_without_the_token() {
        let (listener, rx) = started();
        let huge = "Content-Type: application/json\r\nContent-Length: 40000000000\r\n\r\n";
        let without = answer_to(listener.port, &format!("POST /calls HTTP/1.1\r\nHost: x\r\n{huge}")).await;
        assert!(without.starts_with("HTTP/1.1 401"), "{without}");
        let with = answer_to(listener.port, &format!("POST /calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n{huge}")).await;
        assert!(with.starts_with("HTTP/1.1 413"), "{with}");
        let nonsense =
            answer_to(listener.port, &format!("POST /calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: lots\r\n\r\n")).await;
        assert!(nonsense.starts_with("HTTP/1.1 400"), "{nonsense}");
        real_event_answered(listener.port, &rx, "CA-after-huge").await;
    }

    #[tokio::test]
    async fn an_endless_header_is_cut_off_and_real_events_are_answered_meanwhile() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (listener, rx) = started();
        let port = listener.port;
        let flood = tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            stream.write_all(b"POST /calls HTTP/1.1\r\nX-Endless: ").await.unwrap();
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0usize;
            // 200 MB offered; the listener stops reading long before.
            while sent < 200 * 1024 * 1024 && stream.write_all(&chunk).await.is_ok() {
                sent += chunk.len();
            }
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut answer)).await;
            (sent, String::from_utf8_lossy(&answer).into_owned())
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        real_event_answered(port, &rx, "CA-during-flood").await;
        let (sent, answer) = flood.await.unwrap();
        assert!(sent < 200 * 1024 * 1024, "the listener read a 200 MB header");
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer}");
    }

    #[tokio::test]
    async fn hundreds_of_silent_or_huge_claiming_senders_leave_real_events_answered() {
        use tokio::io::AsyncWriteExt;
        let (listener, rx) = started();
        let mut held = Vec::new();
        for n in 0..300 {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", listener.port)).await.unwrap();
            if n % 2 == 1 {
                let head = format!("POST /calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 10000000000\r\n\r\n{{");
                stream.write_all(head.as_bytes()).await.unwrap();
            }
            held.push(stream);
        }
        let mut slowest = Duration::ZERO;
        for n in 0..5 {
            slowest = slowest.max(real_event_answered(listener.port, &rx, &format!("CA-real-{n}")).await);
        }
        println!("real events answered beside 300 hostile connections: slowest {} ms", slowest.as_millis());
        assert!(slowest < Duration::from_secs(1), "answered, if slowly: {slowest:?}");
        drop(held);
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
