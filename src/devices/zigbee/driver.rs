//! The task that owns the link to the Zigbee stick, and [`Driver`], the handle that reaches it.
//!
//! One task per stick (STYLE 9–12): it reads the port into the receive buffer, feeds frames to
//! the [`Znp`] machine, writes what the machine returns and sleeps until the earlier of the
//! two deadlines. Calls arrive on a bounded channel and are taken while the machine's queue
//! has room; each is answered on its `oneshot`. AREQs become [`Event`]s on a bounded
//! broadcast. The task ends on the shutdown signal, when the link closes or fails, when it
//! sends only garbage, or when every handle is gone, and says which.

use std::collections::HashMap;
use std::time::Instant as StdInstant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::ZigbeeError;
use super::interview::Interview;
use super::mt::parse::{Incoming, Indication};
use super::mt::receiver::FrameBuffer;
use super::znp::{Answer, Call, CallId, Output, Znp};

/// Calls waiting to enter the machine's own queue.
pub(crate) const REQUEST_QUEUE: usize = 16;
/// Events a slow subscriber may fall behind by before it misses some.
pub(crate) const EVENT_QUEUE: usize = 256;
/// Bytes read from the port at a time (a frame is at most 255).
const READ_CHUNK: usize = 1024;

/// Why the driver task ended.
#[derive(Debug)]
pub enum Ended {
    /// The shutdown signal fired (or its sender was dropped).
    Shutdown,
    /// Every handle was dropped.
    Unused,
    /// The peer closed the link.
    Closed,
    /// The line sent only garbage (wrong baud rate, a chip stuck in its bootloader).
    Garbage,
    /// Reading or writing the link failed.
    Io(std::io::Error),
}

/// What happens on the network, for whoever listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A device joined (ZDO_TC_DEV_IND); its interview follows.
    Joined {
        /// Network address.
        nwk: u16,
        /// IEEE address.
        ieee: u64,
    },
    /// A device announced itself (after joining, rejoining or a new network address).
    Announced {
        /// Network address.
        nwk: u16,
        /// IEEE address.
        ieee: u64,
    },
    /// A device left.
    Left {
        /// Network address.
        nwk: u16,
        /// IEEE address.
        ieee: u64,
    },
    /// An application message from a device (a ZCL frame).
    Message(Incoming),
    /// The chip's device state changed (0x09: coordinator started).
    State(u8),
    /// The chip restarted unprompted; the network is being resumed.
    ChipReset,
    /// The network is up again after a chip reset.
    Recovered,
    /// A joined device's interview finished.
    Interviewed(Interview),
    /// A joined device's interview failed; it may be asked again later.
    InterviewFailed {
        /// Network address.
        nwk: u16,
        /// IEEE address.
        ieee: u64,
        /// Why.
        error: String,
    },
}

impl Event {
    fn from_indication(indication: Indication) -> Option<Event> {
        Some(match indication {
            Indication::Joined { nwk, ieee, .. } => Event::Joined { nwk, ieee },
            Indication::Announced { nwk, ieee, .. } => Event::Announced { nwk, ieee },
            Indication::Left { nwk, ieee, .. } => Event::Left { nwk, ieee },
            Indication::Incoming(message) => Event::Message(message),
            Indication::StateChange(state) => Event::State(state),
            Indication::Reset { .. }
            | Indication::DataConfirm { .. }
            | Indication::Commissioning { .. } => return None,
        })
    }
}

struct Request {
    call: Call,
    reply: oneshot::Sender<Result<Answer, ZigbeeError>>,
}

/// A cloneable handle to the driver task.
#[derive(Debug, Clone)]
pub(crate) struct Driver {
    requests: mpsc::Sender<Request>,
    events: broadcast::Sender<Event>,
}

impl Driver {
    /// Starts the task on `link`; it ends when `shutdown` turns true.
    pub(crate) fn spawn<L>(link: L, shutdown: watch::Receiver<bool>) -> (Driver, JoinHandle<Ended>)
    where
        L: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (requests, queue) = mpsc::channel(REQUEST_QUEUE);
        let (events, _) = broadcast::channel(EVENT_QUEUE);
        let task = Task {
            znp: Znp::new(),
            rx: FrameBuffer::new(),
            queue,
            events: events.clone(),
            pending: HashMap::new(),
            next_id: 0,
        };
        let handle = tokio::spawn(task.run(link, shutdown));
        (Driver { requests, events }, handle)
    }

    /// Runs `call` to its end.
    pub(crate) async fn call(&self, call: Call) -> Result<Answer, ZigbeeError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { call, reply })
            .await
            .map_err(|_| ZigbeeError::Stopped)?;
        answer.await.map_err(|_| ZigbeeError::Stopped)?
    }

    /// Events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Resolves when the driver task has ended.
    pub(crate) async fn closed(&self) {
        self.requests.closed().await;
    }

    /// Tells every subscriber `event` (the coordinator's own: interviews, recovery).
    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }
}

struct Task {
    znp: Znp,
    rx: FrameBuffer,
    queue: mpsc::Receiver<Request>,
    events: broadcast::Sender<Event>,
    pending: HashMap<CallId, oneshot::Sender<Result<Answer, ZigbeeError>>>,
    next_id: CallId,
}

fn now() -> StdInstant {
    // tokio's clock, so tests can pause and advance it.
    Instant::now().into_std()
}

impl Task {
    async fn run<L>(mut self, mut link: L, mut shutdown: watch::Receiver<bool>) -> Ended
    where
        L: AsyncRead + AsyncWrite + Unpin,
    {
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            match self.flush(&mut link).await {
                Ok(false) => {}
                Ok(true) => return Ended::Garbage,
                Err(err) => return Ended::Io(err),
            }
            if *shutdown.borrow_and_update() {
                return Ended::Shutdown;
            }
            let deadline = [self.znp.deadline(), self.rx.deadline()]
                .into_iter()
                .flatten()
                .min();
            let room = self.znp.has_room();
            tokio::select! {
                changed = shutdown.changed() => if changed.is_err() {
                    return Ended::Shutdown;
                },
                read = link.read(&mut chunk) => match read {
                    Ok(0) => return Ended::Closed,
                    Ok(n) => {
                        self.rx.push(&chunk[..n]);
                        self.drain_frames();
                    }
                    Err(err) => return Ended::Io(err),
                },
                request = self.queue.recv(), if room => match request {
                    Some(request) => self.start(request),
                    None => return Ended::Unused,
                },
                () = sleep_until(deadline) => {
                    self.znp.on_timer(now());
                    self.drain_frames();
                }
            }
        }
    }

    fn drain_frames(&mut self) {
        let now = now();
        while let Some(event) = self.rx.next(now) {
            self.znp.on_event(event, now);
        }
    }

    fn start(&mut self, request: Request) {
        if request.reply.is_closed() {
            return; // the caller gave up while queued
        }
        self.next_id += 1;
        match self.znp.call(self.next_id, request.call, now()) {
            Ok(()) => {
                self.pending.insert(self.next_id, request.reply);
            }
            Err(failure) => {
                let _ = request.reply.send(Err(ZigbeeError::Chip(failure)));
            }
        }
    }

    /// Carries out the machine's outputs; true when the line is flooded with garbage.
    async fn flush<L: AsyncWrite + Unpin>(&mut self, link: &mut L) -> std::io::Result<bool> {
        let mut wrote = false;
        while let Some(output) = self.znp.poll_output() {
            match output {
                Output::Write(bytes) => {
                    link.write_all(&bytes).await?;
                    wrote = true;
                }
                Output::Done(id, result) => {
                    if let Some(reply) = self.pending.remove(&id) {
                        let _ = reply.send(result.map_err(ZigbeeError::Chip));
                    }
                }
                Output::Indication(frame) => match Indication::parse(&frame) {
                    Ok(Some(indication)) => {
                        if let Some(event) = Event::from_indication(indication) {
                            let _ = self.events.send(event);
                        }
                    }
                    Ok(None) => debug!(frame = ?frame, "AREQ"),
                    Err(err) => warn!(cause = %err, "malformed AREQ from the Zigbee stick"),
                },
                Output::ChipReset => {
                    warn!("the Zigbee stick restarted");
                    let _ = self.events.send(Event::ChipReset);
                }
                Output::Dropped(what) => warn!(what, "dropped bytes from the Zigbee stick"),
                Output::Flooded => return Ok(true),
            }
        }
        if wrote {
            link.flush().await?;
        }
        Ok(false)
    }
}

async fn sleep_until(deadline: Option<StdInstant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}
