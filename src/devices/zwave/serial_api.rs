//! The host side of the Serial API as a sans-IO state machine.
//!
//! Owns the rules of one exchange with the controller chip (INS13954 "Z-Wave Host API
//! Specification", frame flow; zwave-js `serialAPICommandMachine` for the same states): one
//! command in flight; the chip ACKs it within 1600 ms, then answers with a response frame (for
//! functions that have one), then with a callback request carrying our callback id (for
//! functions that take one). NAK, CAN or no ACK: retransmit after 100 ms + n·1000 ms, at most
//! 3 transmissions. Every valid data frame from the chip is ACKed, a broken checksum NAKed;
//! frames that are not the answer we wait for (ApplicationCommandHandler 0x04,
//! BridgeApplicationCommandHandler 0xA8, ApplicationUpdate 0x49, late callbacks…) are handed up
//! as they come, mid-command too.
//!
//! Inputs: [`SerialApi::send`], [`SerialApi::on_event`] (from the receive buffer) and
//! [`SerialApi::on_timer`], each with an explicit `now`. Outputs: [`SerialApi::poll_output`]
//! and [`SerialApi::deadline`]. The port task owns the port and the clock.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use super::frame::{ACK, EncodeError, Frame, Kind, NAK, Reject, encode_data};
use super::receiver::Event;

/// How long the chip has to ACK a frame (issue #7; INS13954 says at least 1600 ms).
pub(crate) const ACK_TIMEOUT: Duration = Duration::from_millis(1600);
/// How long the chip has to send the response after its ACK (zwave-js default).
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a node has to answer before the chip's callback (INS13954: 65 s for SendData;
/// zwave-js uses 30 s).
pub(crate) const CALLBACK_TIMEOUT: Duration = Duration::from_secs(65);
/// How long the chip has for each step of a command. The defaults are the constants above;
/// tests shorten them so a missed callback does not take a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For the ACK of each transmission; 1600 ms.
    pub ack: Duration,
    /// For the response after the ACK; 10 s.
    pub response: Duration,
    /// For the callback after the response (or the ACK, for functions without one); 65 s.
    pub callback: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            ack: ACK_TIMEOUT,
            response: RESPONSE_TIMEOUT,
            callback: CALLBACK_TIMEOUT,
        }
    }
}

/// Transmissions of one frame before giving up (INS13954: 3).
pub(crate) const MAX_ATTEMPTS: u8 = 3;

/// The wait before retransmitting after `failed` transmissions: 100 ms + n·1000 ms with n = 0
/// before the first retransmission (INS13954).
pub(crate) fn retransmit_delay(failed: u8) -> Duration {
    let n = u64::from(failed.saturating_sub(1));
    Duration::from_millis(100 + n * 1000)
}

/// One Serial API function call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The function id (0x13 SendData…).
    pub(crate) function: u8,
    /// The request payload, without the callback id (which the machine appends).
    pub(crate) payload: Vec<u8>,
    /// The chip answers with a response frame.
    pub(crate) response: bool,
    /// The function takes a callback id as its last payload byte and calls back with it.
    pub(crate) callback: bool,
}

/// What the chip answered to a completed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// The response payload, for functions with a response.
    pub(crate) response: Option<Vec<u8>>,
    /// The callback payload (callback id first), for functions with a callback.
    pub(crate) callback: Option<Vec<u8>>,
}

/// Why a command ended without its reply: the chip said no, or said nothing in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No ACK after [`MAX_ATTEMPTS`] transmissions (3); the last one ended with this.
    NotAcked(Refusal),
    /// ACKed, but no response within [`Timeouts::response`].
    NoResponse,
    /// The response's first byte was 0: the chip will not carry the command out (and sends no
    /// callback). Holds the response payload.
    Refused(Vec<u8>),
    /// No callback within [`Timeouts::callback`].
    NoCallback,
}

/// How a transmission failed at the link level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The chip answered NAK.
    Nak,
    /// The chip answered CAN (it was sending a frame itself).
    Can,
    /// Nothing within [`Timeouts::ack`].
    Timeout,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotAcked(how) => {
                write!(f, "no ACK after {MAX_ATTEMPTS} transmissions (last: {how})")
            }
            Failure::NoResponse => f.write_str("ACKed, but no response in time"),
            Failure::Refused(payload) => {
                f.write_str("refused; response")?;
                payload.iter().try_for_each(|b| write!(f, " {b:02X}"))
            }
            Failure::NoCallback => f.write_str("no callback in time"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Nak => "NAK",
            Refusal::Can => "CAN",
            Refusal::Timeout => "nothing within the ACK timeout",
        })
    }
}

/// What the machine asks the port task to do or know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Output {
    /// Write these bytes to the port.
    Write(Vec<u8>),
    /// The command in flight ended.
    Done(Result<Reply, Failure>),
    /// A frame that does not answer the command in flight (already ACKed if it is data).
    Unsolicited(Frame),
    /// Bytes the receive buffer dropped, to log (already NAKed when due).
    Dropped(Reject),
}

/// Why [`SerialApi::send`] did not take a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendError {
    /// A command is in flight; the caller queues and tries again after `Done`.
    #[error("a Serial API command is already in flight")]
    Busy,
    /// The payload does not fit a frame.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Ack,
    Retransmit,
    Response,
    Callback,
}

#[derive(Debug)]
struct InFlight {
    command: Command,
    /// The encoded frame, retransmitted as is (same callback id).
    bytes: Vec<u8>,
    callback_id: Option<u8>,
    transmissions: u8,
    wait: Wait,
    deadline: Instant,
    response: Option<Vec<u8>>,
}

/// The Serial API host state machine. See the module docs.
#[derive(Debug)]
pub(crate) struct SerialApi {
    in_flight: Option<InFlight>,
    last_callback_id: u8,
    out: VecDeque<Output>,
    timeouts: Timeouts,
}

impl Default for SerialApi {
    fn default() -> Self {
        SerialApi::new()
    }
}

impl SerialApi {
    /// An idle machine with the default timeouts; the first callback id handed out is 1.
    pub(crate) fn new() -> Self {
        SerialApi::with_timeouts(Timeouts::default())
    }

    /// An idle machine that waits `timeouts` for each step.
    pub(crate) fn with_timeouts(timeouts: Timeouts) -> Self {
        SerialApi {
            in_flight: None,
            last_callback_id: 0,
            out: VecDeque::new(),
            timeouts,
        }
    }

    /// Whether a command can be sent now.
    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight.is_none()
    }

    /// Starts `command`: its frame goes out at once.
    pub(crate) fn send(&mut self, command: Command, now: Instant) -> Result<(), SendError> {
        if self.in_flight.is_some() {
            return Err(SendError::Busy);
        }
        let mut payload = command.payload.clone();
        let callback_id = command.callback.then(|| self.next_callback_id());
        payload.extend(callback_id);
        let bytes = encode_data(Kind::Request, command.function, &payload)?;
        self.out.push_back(Output::Write(bytes.clone()));
        self.in_flight = Some(InFlight {
            command,
            bytes,
            callback_id,
            transmissions: 1,
            wait: Wait::Ack,
            deadline: now + self.timeouts.ack,
            response: None,
        });
        Ok(())
    }

    /// Takes what the receive buffer produced.
    pub(crate) fn on_event(&mut self, event: Event, now: Instant) {
        match event {
            Event::Rejected(reject) => {
                if reject.wants_nak() {
                    self.out.push_back(Output::Write(vec![NAK]));
                }
                self.out.push_back(Output::Dropped(reject));
            }
            Event::Frame(Frame::Ack) if self.waits(Wait::Ack) => self.acked(now),
            Event::Frame(Frame::Nak) if self.waits(Wait::Ack) => self.refused(Refusal::Nak, now),
            Event::Frame(Frame::Can) if self.waits(Wait::Ack) => self.refused(Refusal::Can, now),
            Event::Frame(frame @ Frame::Data { .. }) => {
                self.out.push_back(Output::Write(vec![ACK]));
                self.on_data(frame, now);
            }
            Event::Frame(frame) => self.out.push_back(Output::Unsolicited(frame)),
        }
    }

    /// Lets time pass: acts on a deadline that `now` has reached.
    pub(crate) fn on_timer(&mut self, now: Instant) {
        let Some(flight) = &mut self.in_flight else {
            return;
        };
        if now < flight.deadline {
            return;
        }
        match flight.wait {
            Wait::Ack => self.refused(Refusal::Timeout, now),
            Wait::Retransmit => {
                flight.transmissions += 1;
                flight.wait = Wait::Ack;
                flight.deadline = now + self.timeouts.ack;
                let bytes = flight.bytes.clone();
                self.out.push_back(Output::Write(bytes));
            }
            Wait::Response => self.finish(Err(Failure::NoResponse)),
            Wait::Callback => self.finish(Err(Failure::NoCallback)),
        }
    }

    /// When [`SerialApi::on_timer`] must run next, if anything waits.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.in_flight.as_ref().map(|f| f.deadline)
    }

    /// The next thing to do, in order.
    pub(crate) fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn next_callback_id(&mut self) -> u8 {
        // 1..=255 wrapping: 0 means "no callback" to the chip.
        self.last_callback_id = self.last_callback_id.checked_add(1).unwrap_or(1);
        self.last_callback_id
    }

    fn waits(&self, wait: Wait) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.wait == wait)
    }

    fn acked(&mut self, now: Instant) {
        let Some(flight) = &mut self.in_flight else {
            return;
        };
        if flight.command.response {
            flight.wait = Wait::Response;
            flight.deadline = now + self.timeouts.response;
        } else if flight.command.callback {
            flight.wait = Wait::Callback;
            flight.deadline = now + self.timeouts.callback;
        } else {
            self.finish(Ok(Reply {
                response: None,
                callback: None,
            }));
        }
    }

    fn refused(&mut self, how: Refusal, now: Instant) {
        let Some(flight) = &mut self.in_flight else {
            return;
        };
        if flight.transmissions >= MAX_ATTEMPTS {
            self.finish(Err(Failure::NotAcked(how)));
            return;
        }
        flight.wait = Wait::Retransmit;
        flight.deadline = now + retransmit_delay(flight.transmissions);
    }

    fn on_data(&mut self, frame: Frame, now: Instant) {
        let Frame::Data {
            kind,
            function,
            payload,
        } = frame
        else {
            return;
        };
        let Some(flight) = &mut self.in_flight else {
            return self.unsolicited(kind, function, payload);
        };
        let ours = function == flight.command.function;
        match (flight.wait, kind) {
            // A response proves the frame arrived even if its ACK was lost.
            (Wait::Ack | Wait::Response, Kind::Response) if ours => self.responded(payload, now),
            (Wait::Callback, Kind::Request)
                if ours && payload.first().copied() == flight.callback_id =>
            {
                let response = flight.response.take();
                self.finish(Ok(Reply {
                    response,
                    callback: Some(payload),
                }));
            }
            _ => self.unsolicited(kind, function, payload),
        }
    }

    fn responded(&mut self, payload: Vec<u8>, now: Instant) {
        let Some(flight) = &mut self.in_flight else {
            return;
        };
        if !flight.command.callback {
            return self.finish(Ok(Reply {
                response: Some(payload),
                callback: None,
            }));
        }
        // For functions with a callback the response's first byte says whether the chip took
        // the job (SendData RetVal, INS13954); a refusal means no callback will come.
        if payload.first() == Some(&0) {
            return self.finish(Err(Failure::Refused(payload)));
        }
        flight.response = Some(payload);
        flight.wait = Wait::Callback;
        flight.deadline = now + self.timeouts.callback;
    }

    fn unsolicited(&mut self, kind: Kind, function: u8, payload: Vec<u8>) {
        let frame = Frame::Data {
            kind,
            function,
            payload,
        };
        self.out.push_back(Output::Unsolicited(frame));
    }

    fn finish(&mut self, result: Result<Reply, Failure>) {
        self.in_flight = None;
        self.out.push_back(Output::Done(result));
    }
}

#[cfg(test)]
mod tests;
