//! Requests on worker threads: the session hands one over and waits on one channel for
//! either its reply or a Ctrl-C. A cancelled request's thread runs on (the host cannot be
//! stopped mid-call) and its late reply is recognised by its number and dropped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::TerminalHost;
use crate::agent::{Reply, Request};

/// Room in the session's channel: replies of cancelled requests and Ctrl-Cs wait here until
/// the session drains them before its next request.
pub(crate) const EVENT_QUEUE: usize = 16;
/// The most requests whose threads may still be running (the current one and cancelled
/// ones); past that the person is asked to wait, so Ctrl-C cannot pile up threads.
pub(crate) const MAX_WORKERS: usize = 4;

/// What arrives on the session's channel.
#[derive(Debug)]
pub(crate) enum Event {
    /// A worker finished request number `seq`.
    Reply {
        /// Which request.
        seq: u64,
        /// Its reply, or why the host failed.
        reply: Result<Reply, String>,
    },
    /// The person pressed Ctrl-C.
    Interrupt,
}

/// How a request ended, as far as the person is concerned.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The host answered.
    Replied(Reply),
    /// Ctrl-C came first.
    Cancelled,
    /// Too many earlier requests are still running.
    Busy,
    /// The host panicked, or no thread could be started.
    Failed(String),
}

/// Runs requests on threads and waits for them.
pub(crate) struct Workers {
    host: Arc<dyn TerminalHost>,
    tx: SyncSender<Event>,
    rx: Receiver<Event>,
    seq: u64,
    running: Arc<AtomicUsize>,
    busy: Arc<AtomicBool>,
}

impl Workers {
    /// Workers for `host`, with an empty channel.
    pub(crate) fn new(host: Arc<dyn TerminalHost>) -> Self {
        let (tx, rx) = sync_channel(EVENT_QUEUE);
        Workers {
            host,
            tx,
            rx,
            seq: 0,
            running: Arc::new(AtomicUsize::new(0)),
            busy: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A sender for Ctrl-C events.
    pub(crate) fn sender(&self) -> SyncSender<Event> {
        self.tx.clone()
    }

    /// True while a request is being waited for: Ctrl-C means "cancel" only then.
    pub(crate) fn busy_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.busy)
    }

    /// Runs `request` on a thread and waits for its reply or a Ctrl-C.
    pub(crate) fn ask(&mut self, request: Request) -> Outcome {
        // Stale replies and Ctrl-Cs pressed between requests must not answer this one.
        while self.rx.try_recv().is_ok() {}
        if self.running.load(Ordering::SeqCst) >= MAX_WORKERS {
            return Outcome::Busy;
        }
        self.seq += 1;
        // Busy before the worker starts: a Ctrl-C from then on cancels this request.
        self.busy.store(true, Ordering::SeqCst);
        let outcome = match self.spawn(self.seq, request) {
            Ok(()) => self.wait(self.seq),
            Err(e) => Outcome::Failed(format!("cannot start a worker thread: {e}")),
        };
        self.busy.store(false, Ordering::SeqCst);
        outcome
    }

    fn spawn(&self, seq: u64, request: Request) -> std::io::Result<()> {
        let host = Arc::clone(&self.host);
        let tx = self.tx.clone();
        let running = Arc::clone(&self.running);
        running.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new()
            .name(format!("terminal-request-{seq}"))
            .spawn(move || {
                let reply = catch_unwind(AssertUnwindSafe(|| host.respond(request)))
                    .map_err(|_| "the agent failed while answering (a panic)".to_owned());
                running.fetch_sub(1, Ordering::SeqCst);
                // The session may be gone, or may have stopped waiting: either way the
                // reply has nowhere to go, and dropping it is right.
                let _ = tx.send(Event::Reply { seq, reply });
            });
        spawned.map(drop).inspect_err(|_| {
            self.running.fetch_sub(1, Ordering::SeqCst);
        })
    }

    fn wait(&self, seq: u64) -> Outcome {
        loop {
            // `self.tx` is alive, so the channel never disconnects while we wait.
            match self.rx.recv() {
                Ok(Event::Reply { seq: s, reply }) if s == seq => {
                    return reply.map_or_else(Outcome::Failed, Outcome::Replied);
                }
                Ok(Event::Reply { .. }) => continue,
                Ok(Event::Interrupt) => return Outcome::Cancelled,
                Err(_) => return Outcome::Failed("the request channel closed".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc::{Sender, channel};

    use super::*;
    use crate::agent::Source;
    use crate::llm::wire::Usage;

    /// Answers at once, except "hold", which says it started and waits until released.
    struct Host {
        started: Mutex<Sender<()>>,
        release: Mutex<Receiver<()>>,
    }

    /// The host, a receiver told when "hold" starts, and a sender that releases it.
    fn host() -> (Arc<Host>, Receiver<()>, Sender<()>) {
        let (started_tx, started_rx) = channel();
        let (release_tx, release_rx) = channel();
        let host = Host {
            started: Mutex::new(started_tx),
            release: Mutex::new(release_rx),
        };
        (Arc::new(host), started_rx, release_tx)
    }

    impl TerminalHost for Host {
        fn respond(&self, request: Request) -> Reply {
            if request.text == "hold" {
                self.started.lock().unwrap().send(()).unwrap();
                let _ = self.release.lock().unwrap().recv();
            }
            if request.text == "panic" {
                panic!("boom");
            }
            Reply {
                text: format!("re: {}", request.text),
                actions: vec![],
                blocked: None,
                pending_confirmation: vec![],
                usage: Usage::default(),
                session: request.session,
                via: "test".into(),
            }
        }
        fn history(&self, _: &str, _: usize) -> Vec<(String, String)> {
            vec![]
        }
        fn remember(&self, _: &str, _: &str, _: &str) -> Result<(), String> {
            Ok(())
        }
        fn forget(&self, _: &str, _: &str) -> Result<bool, String> {
            Ok(false)
        }
        fn prefs(&self, _: &str) -> Vec<(String, String)> {
            vec![]
        }
        fn status(&self) -> Vec<(String, String)> {
            vec![]
        }
    }

    fn req(text: &str) -> Request {
        Request::new(text, Source::Terminal, "u", "s")
    }

    fn text(outcome: Outcome) -> String {
        match outcome {
            Outcome::Replied(r) => r.text,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn a_request_gets_its_reply() {
        let (host, _started, _release) = host();
        let mut workers = Workers::new(host);
        assert_eq!(text(workers.ask(req("hi"))), "re: hi");
        assert!(!workers.busy.load(Ordering::SeqCst));
    }

    #[test]
    fn ctrl_c_cancels_and_the_late_reply_is_dropped() {
        let (host, started, release) = host();
        let mut workers = Workers::new(host);
        let tx = workers.sender();
        // Ctrl-C once the request is really running, as a person would press it.
        let presser = std::thread::spawn(move || {
            started.recv().unwrap();
            tx.send(Event::Interrupt).unwrap();
        });
        assert!(matches!(workers.ask(req("hold")), Outcome::Cancelled));
        presser.join().unwrap();
        // The cancelled worker now answers late; the next request must get its own reply.
        release.send(()).unwrap();
        assert_eq!(text(workers.ask(req("next"))), "re: next");
    }

    #[test]
    fn a_panicking_host_is_a_failure_not_a_crash() {
        let (host, _started, _release) = host();
        let mut workers = Workers::new(host);
        assert!(matches!(workers.ask(req("panic")), Outcome::Failed(_)));
        assert_eq!(text(workers.ask(req("after"))), "re: after");
    }
}
