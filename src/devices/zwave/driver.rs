//! The task that owns the link to the controller, and [`Driver`], the handle that reaches it.
//!
//! One task per stick (STYLE 9–11): it reads the port into the receive buffer, feeds frames to
//! the [`SerialApi`] machine, writes what the machine returns and sleeps until the earlier of
//! the two components' deadlines. Commands arrive on a bounded channel and are taken only while
//! the machine is idle, so the channel is the queue; each is answered on its `oneshot`. Frames
//! that answer no command (node reports, ApplicationUpdate, later inclusion callbacks) go out
//! on a bounded broadcast. The task ends on the shutdown signal, when the link closes or fails,
//! or when every handle is gone, and says which.

use std::time::Instant as StdInstant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::ZwaveError;
use super::frame::{Frame, NAK};
use super::receiver::FrameBuffer;
use super::serial_api::{Command, Output, Reply, SendError, SerialApi, Timeouts};

/// Commands waiting for the one slot in flight.
pub(crate) const REQUEST_QUEUE: usize = 16;
/// Unsolicited frames a slow subscriber may fall behind by before it misses some.
pub(crate) const UNSOLICITED_QUEUE: usize = 64;
/// Bytes read from the port at a time (a frame is at most 257 bytes; more simply waits).
const READ_CHUNK: usize = 512;

/// Why the driver task ended.
#[derive(Debug)]
pub enum Ended {
    /// The shutdown signal fired (or its sender was dropped).
    Shutdown,
    /// Every [`Driver`] handle was dropped.
    Unused,
    /// The peer closed the link.
    Closed,
    /// Reading or writing the link failed.
    Io(std::io::Error),
}

struct Request {
    command: Command,
    reply: oneshot::Sender<Result<Reply, ZwaveError>>,
}

/// A cloneable handle to the driver task.
#[derive(Debug, Clone)]
pub(crate) struct Driver {
    requests: mpsc::Sender<Request>,
    unsolicited: broadcast::Sender<Frame>,
}

impl Driver {
    /// Starts the task on `link`, waiting `timeouts` for the chip; it ends when `shutdown`
    /// turns true.
    pub(crate) fn spawn<L>(
        link: L,
        timeouts: Timeouts,
        shutdown: watch::Receiver<bool>,
    ) -> (Driver, JoinHandle<Ended>)
    where
        L: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (requests, queue) = mpsc::channel(REQUEST_QUEUE);
        let (unsolicited, _) = broadcast::channel(UNSOLICITED_QUEUE);
        let task = Task {
            api: SerialApi::with_timeouts(timeouts),
            rx: FrameBuffer::new(),
            queue,
            unsolicited: unsolicited.clone(),
            pending: None,
        };
        let handle = tokio::spawn(task.run(link, shutdown));
        let driver = Driver {
            requests,
            unsolicited,
        };
        (driver, handle)
    }

    /// Runs `command` to its end: the reply, or why the chip did not give one.
    pub(crate) async fn call(&self, command: Command) -> Result<Reply, ZwaveError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { command, reply })
            .await
            .map_err(|_| ZwaveError::Stopped)?;
        answer.await.map_err(|_| ZwaveError::Stopped)?
    }

    /// Frames that answer no command, from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.unsolicited.subscribe()
    }
}

struct Task {
    api: SerialApi,
    rx: FrameBuffer,
    queue: mpsc::Receiver<Request>,
    unsolicited: broadcast::Sender<Frame>,
    pending: Option<oneshot::Sender<Result<Reply, ZwaveError>>>,
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
        // A NAK first makes the chip drop whatever half frame it holds from before (INS13954).
        if let Err(err) = link.write_all(&[NAK]).await {
            return Ended::Io(err);
        }
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            if let Err(err) = self.flush(&mut link).await {
                return Ended::Io(err);
            }
            if *shutdown.borrow_and_update() {
                return Ended::Shutdown;
            }
            let deadline = [self.api.deadline(), self.rx.deadline()]
                .into_iter()
                .flatten()
                .min();
            let idle = self.api.is_idle();
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
                request = self.queue.recv(), if idle => match request {
                    Some(request) => self.start(request),
                    None => return Ended::Unused,
                },
                () = sleep_until(deadline) => {
                    self.api.on_timer(now());
                    self.drain_frames();
                }
            }
        }
    }

    fn drain_frames(&mut self) {
        let now = now();
        while let Some(event) = self.rx.next(now) {
            self.api.on_event(event, now);
        }
    }

    fn start(&mut self, request: Request) {
        if request.reply.is_closed() {
            return; // the caller gave up while queued
        }
        match self.api.send(request.command, now()) {
            Ok(()) => self.pending = Some(request.reply),
            Err(SendError::Encode(err)) => {
                let _ = request.reply.send(Err(ZwaveError::Encode(err)));
            }
            Err(SendError::Busy) => unreachable!("requests are taken only while idle"),
        }
    }

    async fn flush<L: AsyncWrite + Unpin>(&mut self, link: &mut L) -> std::io::Result<()> {
        while let Some(output) = self.api.poll_output() {
            match output {
                Output::Write(bytes) => link.write_all(&bytes).await?,
                Output::Done(result) => {
                    if let Some(reply) = self.pending.take() {
                        let _ = reply.send(result.map_err(ZwaveError::Chip));
                    }
                }
                Output::Unsolicited(frame) => {
                    debug!(frame = ?frame, "unsolicited frame");
                    // No subscriber is fine: nobody asked for these yet.
                    let _ = self.unsolicited.send(frame);
                }
                Output::Dropped(reject) => warn!(reject = ?reject, "dropped bytes from the stick"),
            }
        }
        link.flush().await
    }
}

/// The first frame from `frames` that `pick` accepts within `within`; `None` on timeout or when
/// the driver is gone. Frames missed by falling behind are skipped (a warning is logged).
pub(crate) async fn next_matching<T>(
    frames: &mut broadcast::Receiver<Frame>,
    within: std::time::Duration,
    mut pick: impl FnMut(&Frame) -> Option<T>,
) -> Option<T> {
    let search = async {
        loop {
            match frames.recv().await {
                Ok(frame) => {
                    if let Some(found) = pick(&frame) {
                        return Some(found);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    warn!(missed, "fell behind on unsolicited Z-Wave frames");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    };
    tokio::time::timeout(within, search).await.ok().flatten()
}

async fn sleep_until(deadline: Option<StdInstant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
