//! `switchboard hl7`: the HL7 v2 feed receiver (MLLP over TCP), and the list IT reads of the messages
//! refused or held, with their replay.

use crate::args::Hl7Command;
use std::sync::mpsc;
use std::time::Duration;
use switchboard_app::{App, AppError};
use switchboard_hl7::mllp::{frame, Deframer, Frame};
use switchboard_hl7::{refusal_ack, Refusal};
use switchboard_store::Store;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;

mod tls;

/// How often the receiver delivers while the target answers.
const ROUND: Duration = Duration::from_secs(2);
/// How often the message log is pruned (`App::hl7_prune`).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The writer connection's page cache.
const WRITER_CACHE_MIB: u32 = 4;
/// At most this many waiting messages share one sync of the cache.
const GROUP_COMMIT: usize = 64;
/// How long an engine has to finish the TLS handshake before its connection is dropped.
const HANDSHAKE: Duration = Duration::from_secs(10);

pub fn run(ctx: &App, command: Hl7Command) -> Result<(), AppError> {
    match command {
        Hl7Command::Serve => serve(ctx),
        Hl7Command::Errors { limit, json } => {
            let store = ctx.open_store()?;
            let problems = store.hl7_problems(limit)?;
            if json {
                let rows: Vec<serde_json::Value> = problems
                    .iter()
                    .map(|m| serde_json::json!({"id": m.seq, "received": m.received_at, "sender": m.sender, "controlId": m.control_id, "type": m.kind, "state": m.state, "ack": m.ack_code, "error": m.error_code, "reason": m.reason}))
                    .collect();
                return super::print_json(&rows);
            }
            if problems.is_empty() {
                println!("no refused or held messages");
            }
            for m in problems {
                println!(
                    "{:>6}  {}  {}  {}  {}  {} {}: {}",
                    m.seq,
                    m.received_at,
                    m.sender,
                    m.control_id,
                    m.kind,
                    m.state,
                    m.ack_code,
                    m.reason.unwrap_or_default()
                );
            }
            Ok(())
        }
        Hl7Command::Replay { id } => {
            let mut store = ctx.open_store()?;
            let logged = ctx.hl7_replay(&mut store, id)?;
            println!("message {id}: {}{}", logged.state, logged.reason.map(|r| format!(": {r}")).unwrap_or_default());
            Ok(())
        }
    }
}

/// One message handed from a connection to the writer, and where its ACK goes back.
struct Job {
    bytes: Vec<u8>,
    reply: oneshot::Sender<Option<Vec<u8>>>,
}

/// Listens until killed. Connections read and frame messages side by side; one writer thread takes
/// them in arrival order (the cache has one writer), and a delivery thread sends what they queued.
fn serve(ctx: &App) -> Result<(), AppError> {
    let target = ctx.hl7_target()?;
    let config = &ctx.config.hl7;
    let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let mut store = ctx.open_store()?;
    // The writer appends; a small cache holds what it touches. A large one costs a scan of its whole
    // hash table at each commit (SQLite drops the pages a B-tree rebalance parked past the end).
    store.limit_page_cache(WRITER_CACHE_MIB)?;
    let (jobs, inbox) = mpsc::channel::<Job>();
    let runtime = switchboard_app::runtime()?;
    // Bound before the threads start: a port in use ends the command with the error.
    let listener =
        runtime.block_on(tokio::net::TcpListener::bind(config.listen)).map_err(|e| AppError::Invalid(format!("cannot listen on {}: {e}", config.listen)))?;
    let over = if tls.is_some() { "MLLP over TLS" } else { "MLLP" };
    eprintln!("listening for HL7 v2 over {over} on {}; writing to `{target}`", listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
    std::thread::scope(|threads| {
        threads.spawn(move || write_in_order(ctx, &mut store, inbox));
        threads.spawn(|| deliver_forever(ctx));
        runtime.block_on(async move {
            let max = config.max_message_mb * 1024 * 1024;
            loop {
                let (socket, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting an HL7 connection failed");
                        continue;
                    }
                };
                if !config.allows(peer.ip()) {
                    tracing::warn!(peer = %peer.ip(), "HL7 connection refused: the address is not in [hl7] allowed_peers");
                    continue;
                }
                let jobs = jobs.clone();
                match &tls {
                    None => drop(tokio::spawn(connection(socket, jobs, max))),
                    Some(tls) => {
                        let handshake = tls.accept(socket);
                        tokio::spawn(async move {
                            match tokio::time::timeout(HANDSHAKE, handshake).await {
                                Ok(Ok(stream)) => connection(stream, jobs, max).await,
                                Ok(Err(error)) => tracing::warn!(peer = %peer.ip(), %error, "HL7 TLS handshake refused"),
                                Err(_) => tracing::warn!(peer = %peer.ip(), "HL7 TLS handshake timed out"),
                            }
                        });
                    }
                }
            }
        });
    });
    Ok(())
}

/// The writer: the messages waiting are stored in arrival order, each in its own transaction, then
/// made durable together by one sync, and only then answered (a group commit).
fn write_in_order(app: &App, store: &mut Store, inbox: mpsc::Receiver<Job>) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        batch.extend(inbox.try_iter().take(GROUP_COMMIT - 1));
        let mut replies: Vec<Option<Vec<u8>>> = batch.iter().map(|job| take_one(app, store, &job.bytes)).collect();
        if let Err(error) = store.sync_commits() {
            tracing::error!(%error, "HL7 messages could not be made durable; no ACK sent, so the senders will send them again");
            replies.iter_mut().for_each(|reply| *reply = None);
        }
        for (job, reply) in batch.into_iter().zip(replies) {
            let _ = job.reply.send(reply);
        }
    }
}

/// One message stored; its ACK, or None when it must not be answered (the sender then resends it).
fn take_one(app: &App, store: &mut Store, bytes: &[u8]) -> Option<Vec<u8>> {
    // A panic in one message's mapping must not take the receiver down: that message gets no ACK
    // (the engine resends it) and is not logged twice.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.hl7_take(store, bytes))) {
        Ok(Ok(reply)) => Some(reply),
        Ok(Err(error)) => {
            tracing::error!(%error, "an HL7 message could not be stored; no ACK sent, so the sender will send it again");
            None
        }
        Err(_) => {
            tracing::error!("reading an HL7 message failed inside the receiver; no ACK sent");
            None
        }
    }
}

/// One interface engine's connection: messages in, one ACK each, in order.
async fn connection(mut socket: impl AsyncRead + AsyncWrite + Unpin, jobs: mpsc::Sender<Job>, max: usize) {
    let mut deframer = Deframer::new(max);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        deframer.push(&buffer[..read]);
        while let Some(next) = deframer.next_frame() {
            let ack = match next {
                Frame::Message(bytes) => {
                    let (reply, answer) = oneshot::channel();
                    if jobs.send(Job { bytes, reply }).is_err() {
                        return;
                    }
                    match answer.await {
                        Ok(Some(ack)) => ack,
                        // Not stored: close, so the sender sends it again.
                        _ => return,
                    }
                }
                Frame::TooLarge => {
                    let words = format!("the message is larger than [hl7] max_message_mb ({} MB)", max / (1024 * 1024));
                    refusal_ack(None, &Refusal::reject(207, words), chrono::Local::now().fixed_offset())
                }
            };
            if socket.write_all(&frame(&ack)).await.is_err() {
                return;
            }
        }
    }
}

/// Sends what the feed queued, and runs the rules on what came back (a critical result becomes its
/// callback task here, even with no workstation open), every two seconds. While the target cannot be
/// reached, rounds come less often (up to a minute apart), so the receiver's cache is not kept busy
/// with failed attempts.
fn deliver_forever(app: &App) {
    let run = || -> Result<(), AppError> {
        let mut store = app.open_store()?;
        let runtime = switchboard_app::runtime()?;
        let mut pause = ROUND;
        let mut pruned: Option<std::time::Instant> = None;
        loop {
            if pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                app.hl7_prune(&mut store, app.clock.now())?;
                pruned = Some(std::time::Instant::now());
            }
            let rounds = app.deliver(&mut store, &runtime)?;
            app.run_rules(&mut store, false, app.clock.now())?;
            app.deliver(&mut store, &runtime)?;
            let unreachable = rounds.iter().any(|r| r.actions.waiting > 0 && r.actions.sent == 0);
            pause = if unreachable { (pause * 2).min(Duration::from_secs(60)) } else { ROUND };
            std::thread::sleep(pause);
        }
    };
    loop {
        if let Err(error) = run() {
            tracing::warn!(%error, "HL7 delivery round failed; trying again");
            std::thread::sleep(Duration::from_secs(5));
        }
    }
}
