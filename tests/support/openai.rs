//! A stand-in OpenAI-compatible HTTP server on a real socket, for tests and benchmarks:
//! it answers with scripted [`Reply`]s, including every fault the client must survive,
//! and records every request for assertions.
//!
//! Std only: one accept thread, one thread per connection, HTTP/1.1 with keep-alive.
//!
//! Stopping: `accept()` blocks, so [`Drop`] sets a flag and connects to the server itself
//! to wake it. A nonblocking accept would need a polling sleep, which adds latency to
//! every connection and burns wake-ups in long benchmarks; the self-connection costs
//! one handshake at the end. Connection threads are woken by shutting their sockets down
//! (which ends a blocked read or write) and scripted waits by a condition variable, so
//! every thread is joined and none outlives the server.
//!
//! # Layout
//!
//! - this file: the server, its threads, the script and the record.
//! - `http`: bounded request parsing and response heads.
//! - `reply`: [`Reply`] and its builders.
//! - `send`: writing a reply, faults included.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

// Explicit paths, so the module loads the same from `tests/*.rs` and `tests/cli/main.rs`.
#[path = "openai/http.rs"]
mod http;
#[path = "openai/reply.rs"]
mod reply;
#[path = "openai/send.rs"]
mod send;

pub use reply::{MODEL, Reply};

use std::collections::{HashMap, VecDeque};
use std::io::BufReader;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

/// Connections served at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 64;

/// Requests kept for [`OpenAiServer::requests`]; older ones are dropped (hits still count).
pub const MAX_RECORDED: usize = 10_000;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`…
    pub method: String,
    /// The path with its query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Header names in lowercase, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body as JSON; `Null` if empty, a JSON string of the text if not JSON.
    pub body: Value,
}

impl Recorded {
    /// The first header named `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, &name.to_ascii_lowercase())
    }
}

/// The running server; it stops when dropped.
pub struct OpenAiServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    script: Mutex<Script>,
    recorded: Mutex<VecDeque<Recorded>>,
    hits: AtomicUsize,
    conns: Mutex<Conns>,
    stopping: AtomicBool,
    /// Scripted delays wait on this so that a stop ends them at once.
    wake: (Mutex<()>, Condvar),
}

/// Answers a request from its content, or passes (`None`) to the queue.
pub type Responder = Arc<dyn Fn(&Recorded) -> Option<Reply> + Send + Sync>;

struct Script {
    queue: VecDeque<Reply>,
    default: Reply,
    responder: Option<Responder>,
}

#[derive(Default)]
struct Conns {
    closed: bool,
    next_id: u64,
    /// A handle on each live connection, to shut it down on stop.
    live: HashMap<u64, TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl OpenAiServer {
    /// Binds 127.0.0.1 on a free port and starts serving; the default reply is
    /// `Reply::chat_text("ok")`.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            script: Mutex::new(Script {
                queue: VecDeque::new(),
                default: Reply::chat_text("ok"),
                responder: None,
            }),
            recorded: Mutex::new(VecDeque::new()),
            hits: AtomicUsize::new(0),
            conns: Mutex::new(Conns::default()),
            stopping: AtomicBool::new(false),
            wake: (Mutex::new(()), Condvar::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("openai-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))
            .expect("spawn accept thread");
        OpenAiServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The base URL a client is configured with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The socket address, for raw clients.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply; each request takes the oldest one.
    pub fn push(&self, reply: Reply) {
        lock(&self.shared.script).queue.push_back(reply);
    }

    /// The reply for requests that find the queue empty.
    pub fn set_default(&self, reply: Reply) {
        lock(&self.shared.script).default = reply;
    }

    /// Answers requests from their content first (an embedding computed from the text, a
    /// reply chosen by what was asked); requests it passes on take the queue as before.
    pub fn set_responder(
        &self,
        responder: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static,
    ) {
        lock(&self.shared.script).responder = Some(Arc::new(responder));
    }

    /// The requests received so far (the last [`MAX_RECORDED`]), oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.recorded).iter().cloned().collect()
    }

    /// How many requests were received in full.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }
}

impl Drop for OpenAiServer {
    fn drop(&mut self) {
        lock(&self.shared.conns).closed = true;
        self.shared.stopping.store(true, Ordering::SeqCst);
        {
            let _guard = lock(&self.shared.wake.0);
            self.shared.wake.1.notify_all();
        }
        // If even this connection fails the accept thread stays blocked; it is left
        // behind rather than joined, which would hang the test.
        if TcpStream::connect(self.addr).is_ok() {
            if let Some(accept) = self.accept.take() {
                let _ = accept.join();
            }
        }
        let (live, threads) = {
            let mut conns = lock(&self.shared.conns);
            (
                std::mem::take(&mut conns.live),
                std::mem::take(&mut conns.threads),
            )
        };
        for stream in live.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let mut conns = lock(&shared.conns);
        if conns.closed {
            return;
        }
        conns.threads.retain(|t| !t.is_finished());
        let handle = match stream.try_clone() {
            Ok(handle) if conns.live.len() < MAX_CONNECTIONS => handle,
            _ => {
                let mut stream = stream;
                let _ = http::reject(&mut stream, 503);
                continue;
            }
        };
        let id = conns.next_id;
        conns.next_id += 1;
        conns.live.insert(id, handle);
        let conn_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("openai-conn-{id}"))
            .spawn(move || connection(conn_shared, id, stream));
        match spawned {
            Ok(thread) => conns.threads.push(thread),
            Err(_) => drop(conns.live.remove(&id)),
        }
    }
}

fn connection(shared: Arc<Shared>, id: u64, stream: TcpStream) {
    let _ = serve(&shared, stream);
    // Dropping the last handle closes the socket (with RST if a reply asked for one).
    lock(&shared.conns).live.remove(&id);
}

/// Serves requests on one connection until either side closes it.
fn serve(shared: &Shared, stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let request = match http::read_request(&mut reader, &mut out) {
            Ok(request) => request,
            Err(http::ReadError::Reject(status)) => return http::reject(&mut out, status),
            Err(http::ReadError::Closed | http::ReadError::Io(_)) => return Ok(()),
        };
        let keep_alive = request.keep_alive;
        let (hit, recorded) = shared.record(request);
        let reply = shared.next_reply(&recorded);
        if !shared.wait(reply.delay) {
            return Ok(());
        }
        if !reply.send(&mut out, keep_alive, hit, &|pause| shared.wait(pause))? {
            return Ok(());
        }
    }
}

impl Shared {
    /// Records a request and returns its number, counting from 1, and the record.
    fn record(&self, request: http::Request) -> (usize, Recorded) {
        let body = match request.body.as_slice() {
            [] => Value::Null,
            bytes => serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
        };
        let mut recorded = lock(&self.recorded);
        if recorded.len() == MAX_RECORDED {
            recorded.pop_front();
        }
        let record = Recorded {
            method: request.method,
            path: request.path,
            headers: request.headers,
            body,
        };
        recorded.push_back(record.clone());
        (self.hits.fetch_add(1, Ordering::SeqCst) + 1, record)
    }

    fn next_reply(&self, request: &Recorded) -> Reply {
        let responder = lock(&self.script).responder.clone();
        if let Some(reply) = responder.and_then(|r| r(request)) {
            return reply;
        }
        let mut script = lock(&self.script);
        script
            .queue
            .pop_front()
            .unwrap_or_else(|| script.default.clone())
    }

    /// Waits `delay` unless the server stops first; returns whether it is still running.
    fn wait(&self, delay: Duration) -> bool {
        if !delay.is_zero() {
            let guard = lock(&self.wake.0);
            let stopping = |_: &mut ()| !self.stopping.load(Ordering::SeqCst);
            let _ = self.wake.1.wait_timeout_while(guard, delay, stopping);
        }
        !self.stopping.load(Ordering::SeqCst)
    }
}

/// Locks a mutex; a panicking test thread must not turn every later lock into a panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
