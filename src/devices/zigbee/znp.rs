//! The host side of MT as a sans-IO state machine.
//!
//! Rules (TI SWRA198; timeouts from zigbee-herdsman `src/adapter/z-stack/znp/znp.ts`): one SREQ
//! in flight, answered by the SRSP with the same CMD0 subsystem and CMD1; others wait in a
//! bounded queue. AREQs come at any moment, also between an SREQ and its SRSP. A call may
//! also await one AREQ after its SRSP (AF_DATA_CONFIRM with its trans id, a ZDO response from
//! the device asked, STATE_CHANGE_IND 09): the next SREQ goes out meanwhile. An unknown
//! command gets an RPC error SRSP (`60 00 err cmd0 cmd1`). An unprompted SYS_RESET_IND means
//! the chip restarted: every call in flight or awaiting fails with [`Failure::ChipReset`].
//!
//! Inputs: [`Znp::call`], [`Znp::on_event`], [`Znp::on_timer`], each with `now`. Outputs:
//! [`Znp::poll_output`] and [`Znp::deadline`]. The driver task owns the port and the clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::mt::SYS;
use super::mt::commands::SYS_RESET_IND;
use super::mt::frame::{EncodeError, Frame, Kind, Reject};
use super::mt::receiver::Event;

/// How long the chip has to answer an SREQ (herdsman: 6 s).
pub const SREQ_TIMEOUT: Duration = Duration::from_secs(6);
/// Calls queued behind the one in flight.
pub const CALL_QUEUE: usize = 16;
/// Calls awaiting their AREQ at once (each AF_DATA_REQUEST holds a chip buffer until its
/// confirm); past this, queued calls wait.
pub const MAX_AWAITING: usize = 16;

/// The AREQ a call waits for after its SRSP: subsystem, id, and bytes at given offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaited {
    /// The AREQ's subsystem.
    pub subsystem: u8,
    /// Its CMD1.
    pub id: u8,
    /// `(offset, byte)` pairs its data must hold (a trans id, a network address).
    pub fields: Vec<(usize, u8)>,
    /// How long it may take after the SRSP (or after sending, for an AREQ request).
    pub timeout: Duration,
    /// Await only when the SRSP's first byte (its status) is 0: a refused request brings no AREQ.
    pub only_on_success: bool,
}

impl Awaited {
    fn matches(&self, frame: &Frame) -> bool {
        frame.kind == Kind::Areq
            && frame.subsystem == self.subsystem
            && frame.id == self.id
            && self
                .fields
                .iter()
                .all(|&(at, byte)| frame.data.get(at) == Some(&byte))
    }
}

/// One request to the chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The SREQ (or an AREQ such as SYS_RESET_REQ, which has no SRSP).
    pub frame: Frame,
    /// How long the SRSP may take.
    pub timeout: Duration,
    /// The AREQ to wait for afterwards, if any.
    pub awaits: Option<Awaited>,
}

impl Call {
    /// A call of `frame`: an SREQ ends with its SRSP, which may take `timeout`; an AREQ
    /// request ends once written.
    pub fn new(frame: Frame, timeout: Duration) -> Call {
        Call {
            frame,
            timeout,
            awaits: None,
        }
    }

    /// The same call, awaiting `awaited` afterwards.
    pub fn awaiting(mut self, awaited: Awaited) -> Call {
        self.awaits = Some(awaited);
        self
    }
}

/// What a completed call got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// The SRSP's data (none for an AREQ request).
    pub srsp: Option<Vec<u8>>,
    /// The awaited AREQ's data, when one was awaited and came.
    pub areq: Option<Vec<u8>>,
}

impl Answer {
    /// The SRSP's first byte: the status of most commands (0 success).
    pub fn status(&self) -> Option<u8> {
        self.srsp.as_ref().and_then(|d| d.first().copied())
    }
}

/// Why a call ended without its answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// No SRSP in time.
    #[error("no response to {0} within its timeout")]
    NoResponse(CommandName),
    /// The SRSP came, the awaited AREQ did not.
    #[error("{0} was taken, but its result did not come in time")]
    NoIndication(CommandName),
    /// The chip does not know the command (RPC error SRSP; the code: 1 bad subsystem,
    /// 2 bad command id, 3 bad parameter, 4 bad length).
    #[error("the chip does not know {command} (RPC error {code})")]
    Unsupported {
        /// The command.
        command: CommandName,
        /// The RPC error code.
        code: u8,
    },
    /// The chip restarted before answering.
    #[error("the chip restarted")]
    ChipReset,
    /// Too many calls queued.
    #[error("too many Zigbee calls queued")]
    QueueFull,
    /// The request does not fit a frame.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// A command as `CMD0 CMD1` for messages, e.g. `21 08`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandName(pub u8, pub u8);

impl std::fmt::Display for CommandName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MT command {:02X} {:02X}", self.0, self.1)
    }
}

/// A caller's token for one call, echoed in [`Output::Done`].
pub type CallId = u64;

/// What the machine asks the driver to do or know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the port.
    Write(Vec<u8>),
    /// A call ended.
    Done(CallId, Result<Answer, Failure>),
    /// An AREQ (also the ones a call awaited): for the event stream.
    Indication(Frame),
    /// The chip restarted unprompted.
    ChipReset,
    /// Bytes the receive buffer dropped, or a frame nobody waited for: to log.
    Dropped(String),
    /// The line sent only garbage for a long while.
    Flooded,
}

#[derive(Debug)]
struct Queued {
    id: CallId,
    bytes: Vec<u8>,
    call: Call,
}

#[derive(Debug)]
struct Waiting {
    id: CallId,
    awaited: Awaited,
    srsp: Option<Vec<u8>>,
    deadline: Instant,
}

/// The MT host machine. See the module docs.
#[derive(Debug, Default)]
pub struct Znp {
    queue: VecDeque<Queued>,
    in_flight: Option<(Queued, Instant)>,
    waiting: Vec<Waiting>,
    out: VecDeque<Output>,
}

impl Znp {
    /// An idle machine.
    pub fn new() -> Self {
        Znp::default()
    }

    /// Whether another call fits the queue.
    pub fn has_room(&self) -> bool {
        self.queue.len() < CALL_QUEUE
    }

    /// Takes `call`: it goes out now, or when the calls before it have their SRSP.
    pub fn call(&mut self, id: CallId, call: Call, now: Instant) -> Result<(), Failure> {
        if !self.has_room() {
            return Err(Failure::QueueFull);
        }
        let bytes = call.frame.encode()?;
        self.queue.push_back(Queued { id, bytes, call });
        self.start_next(now);
        Ok(())
    }

    /// Takes what the receive buffer produced.
    pub fn on_event(&mut self, event: Event, now: Instant) {
        match event {
            Event::Frame(frame) => self.on_frame(frame, now),
            Event::Rejected(reject) => self.dropped(&reject),
            Event::Flooded => self.out.push_back(Output::Flooded),
        }
    }

    /// Lets time pass: fails calls whose deadline `now` has reached.
    pub fn on_timer(&mut self, now: Instant) {
        if let Some((q, deadline)) = &self.in_flight
            && now >= *deadline
        {
            let name = name_of(&q.call.frame);
            let id = q.id;
            self.in_flight = None;
            self.out
                .push_back(Output::Done(id, Err(Failure::NoResponse(name))));
        }
        let (late, keep): (Vec<_>, Vec<_>) =
            self.waiting.drain(..).partition(|w| now >= w.deadline);
        self.waiting = keep;
        for w in late {
            let name = CommandName(0x40 | w.awaited.subsystem, w.awaited.id);
            self.out
                .push_back(Output::Done(w.id, Err(Failure::NoIndication(name))));
        }
        self.start_next(now);
    }

    /// When [`Znp::on_timer`] must run next, if anything waits.
    pub fn deadline(&self) -> Option<Instant> {
        let flight = self.in_flight.as_ref().map(|(_, d)| *d);
        let waits = self.waiting.iter().map(|w| w.deadline);
        flight.into_iter().chain(waits).min()
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn start_next(&mut self, now: Instant) {
        while self.in_flight.is_none() && self.waiting.len() < MAX_AWAITING {
            let Some(q) = self.queue.pop_front() else {
                return;
            };
            self.out.push_back(Output::Write(q.bytes.clone()));
            if q.call.frame.kind == Kind::Sreq {
                let deadline = now + q.call.timeout;
                self.in_flight = Some((q, deadline));
            } else {
                self.answered(q, None, now);
            }
        }
    }

    /// The SRSP came (or an AREQ request went out): finish, or await the AREQ.
    fn answered(&mut self, q: Queued, srsp: Option<Vec<u8>>, now: Instant) {
        let refused = srsp
            .as_ref()
            .and_then(|d| d.first())
            .is_some_and(|s| *s != 0);
        match q.call.awaits {
            Some(awaited) if !(awaited.only_on_success && refused) => {
                let deadline = now + awaited.timeout;
                self.waiting.push(Waiting {
                    id: q.id,
                    awaited,
                    srsp,
                    deadline,
                });
            }
            _ => {
                let answer = Answer { srsp, areq: None };
                self.out.push_back(Output::Done(q.id, Ok(answer)));
            }
        }
    }

    fn on_frame(&mut self, frame: Frame, now: Instant) {
        match frame.kind {
            Kind::Srsp => self.on_srsp(frame, now),
            Kind::Areq => self.on_areq(frame),
            Kind::Sreq | Kind::Poll => self.out.push_back(Output::Dropped(format!(
                "unexpected request from the chip: {frame:?}"
            ))),
        }
        self.start_next(now);
    }

    fn on_srsp(&mut self, frame: Frame, now: Instant) {
        let Some((q, _)) = &self.in_flight else {
            return self.unexpected(frame);
        };
        let sent = &q.call.frame;
        let rpc_error = frame.subsystem == 0 && frame.id == 0;
        if rpc_error && frame.data.get(1..3) == Some(&[sent.cmd0(), sent.id][..]) {
            let command = name_of(sent);
            let code = frame.data[0];
            let id = q.id;
            self.in_flight = None;
            let failure = Failure::Unsupported { command, code };
            self.out.push_back(Output::Done(id, Err(failure)));
            return;
        }
        if frame.subsystem != sent.subsystem || frame.id != sent.id {
            return self.unexpected(frame);
        }
        let Some((q, _)) = self.in_flight.take() else {
            return;
        };
        self.answered(q, Some(frame.data), now);
    }

    fn on_areq(&mut self, frame: Frame) {
        if let Some(at) = self.waiting.iter().position(|w| w.awaited.matches(&frame)) {
            let w = self.waiting.remove(at);
            let answer = Answer {
                srsp: w.srsp,
                areq: Some(frame.data.clone()),
            };
            self.out.push_back(Output::Done(w.id, Ok(answer)));
        } else if frame.subsystem == SYS && frame.id == SYS_RESET_IND {
            self.chip_reset();
        }
        self.out.push_back(Output::Indication(frame));
    }

    fn chip_reset(&mut self) {
        let failed = self.in_flight.take().map(|(q, _)| q.id);
        let waiting = self.waiting.drain(..).map(|w| w.id);
        for id in failed.into_iter().chain(waiting).collect::<Vec<_>>() {
            self.out
                .push_back(Output::Done(id, Err(Failure::ChipReset)));
        }
        self.out.push_back(Output::ChipReset);
    }

    fn unexpected(&mut self, frame: Frame) {
        let text = format!("a response nobody waits for: {frame:?}");
        self.out.push_back(Output::Dropped(text));
    }

    fn dropped(&mut self, reject: &Reject) {
        self.out.push_back(Output::Dropped(reject.to_string()));
    }
}

fn name_of(frame: &Frame) -> CommandName {
    CommandName(frame.cmd0(), frame.id)
}

#[cfg(test)]
mod tests;
