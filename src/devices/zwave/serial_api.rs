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
pub(crate) enum Failure {
    /// No ACK after [`MAX_ATTEMPTS`] transmissions; the last one ended with this.
    NotAcked(Refusal),
    /// ACKed, but no response within [`RESPONSE_TIMEOUT`].
    NoResponse,
    /// The response's first byte was 0: the chip will not carry the command out (and sends no
    /// callback). Holds the response payload.
    Refused(Vec<u8>),
    /// No callback within [`CALLBACK_TIMEOUT`].
    NoCallback,
}

/// How a transmission failed at the link level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The chip answered NAK.
    Nak,
    /// The chip answered CAN (it was sending a frame itself).
    Can,
    /// Nothing within [`ACK_TIMEOUT`].
    Timeout,
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
}

impl Default for SerialApi {
    fn default() -> Self {
        SerialApi::new()
    }
}

impl SerialApi {
    /// An idle machine; the first callback id handed out is 1.
    pub(crate) fn new() -> Self {
        SerialApi {
            in_flight: None,
            last_callback_id: 0,
            out: VecDeque::new(),
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
            deadline: now + ACK_TIMEOUT,
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
                flight.deadline = now + ACK_TIMEOUT;
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
            flight.deadline = now + RESPONSE_TIMEOUT;
        } else if flight.command.callback {
            flight.wait = Wait::Callback;
            flight.deadline = now + CALLBACK_TIMEOUT;
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
        flight.deadline = now + CALLBACK_TIMEOUT;
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
mod tests {
    use super::*;
    use crate::devices::zwave::receiver::FrameBuffer;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The scripted peer's bytes go through the real receive buffer into the machine.
    fn feed(api: &mut SerialApi, bytes: &[u8], now: Instant) -> Vec<Output> {
        let mut rx = FrameBuffer::new();
        rx.push(bytes);
        while let Some(event) = rx.next(now) {
            api.on_event(event, now);
        }
        outputs(api)
    }

    fn outputs(api: &mut SerialApi) -> Vec<Output> {
        std::iter::from_fn(|| api.poll_output()).collect()
    }

    fn write(s: &str) -> Output {
        Output::Write(hex(s))
    }

    /// SendData to node 3, NoOp (00 00), txOptions 25: as in zwave-js Message.test.ts, whose
    /// frame `01 09 00 13 03 02 00 00 25 0B CA` carries callback id 0B; ours is 01.
    fn send_data() -> Command {
        Command {
            function: 0x13,
            payload: hex("03 02 00 00 25"),
            response: true,
            callback: true,
        }
    }
    // 01 SOF · 09 LEN · 00 REQ · 13 SendData · 03 02 00 00 25 · 01 callback id · C0 checksum
    const SEND_DATA_CB1: &str = "01 09 00 13 03 02 00 00 25 01 C0";
    // zwave.md: response `01 04 01 13 01 E8`, RetVal 01 = accepted.
    const ACCEPTED: &str = "01 04 01 13 01 E8";
    // Callback for id 01: 01 07 00 13 · 01 id · 00 status OK · 00 02 tx ticks · checksum.
    const CALLBACK_OK: &str = "01 07 00 13 01 00 00 02 E8";

    fn started(t0: Instant) -> SerialApi {
        let mut api = SerialApi::new();
        api.send(send_data(), t0).unwrap();
        assert_eq!(outputs(&mut api), vec![write(SEND_DATA_CB1)]);
        api
    }

    #[test]
    fn send_data_ack_response_callback() {
        let t0 = Instant::now();
        let mut api = started(t0);
        assert_eq!(api.deadline(), Some(t0 + ACK_TIMEOUT));
        assert_eq!(feed(&mut api, &[ACK], t0 + ms(5)), vec![]);
        assert_eq!(api.deadline(), Some(t0 + ms(5) + RESPONSE_TIMEOUT));
        assert_eq!(
            feed(&mut api, &hex(ACCEPTED), t0 + ms(10)),
            vec![write("06")]
        );
        assert_eq!(api.deadline(), Some(t0 + ms(10) + CALLBACK_TIMEOUT));
        let done = Output::Done(Ok(Reply {
            response: Some(vec![0x01]),
            callback: Some(hex("01 00 00 02")),
        }));
        let got = feed(&mut api, &hex(CALLBACK_OK), t0 + ms(40));
        assert_eq!(got, vec![write("06"), done]);
        assert!(api.is_idle());
        assert_eq!(api.deadline(), None);
    }

    #[test]
    fn a_function_with_a_response_only() {
        // GetControllerVersion 0x15: request 01 03 00 15 E9; the response is the zwave-js mock
        // capture from zwave.md ("Z-Wave 7.17.99", 00, library type 01).
        let t0 = Instant::now();
        let mut api = SerialApi::new();
        let version = Command {
            function: 0x15,
            payload: vec![],
            response: true,
            callback: false,
        };
        api.send(version, t0).unwrap();
        assert_eq!(outputs(&mut api), vec![write("01 03 00 15 E9")]);
        let response = "01 13 01 15 5A 2D 57 61 76 65 20 37 2E 31 37 2E 39 39 00 01 BA";
        let got = feed(&mut api, &[&[ACK][..], &hex(response)].concat(), t0);
        let Output::Done(Ok(Reply {
            response: Some(p),
            callback: None,
        })) = &got[1]
        else {
            panic!("{got:?}");
        };
        assert_eq!(&p[..14], b"Z-Wave 7.17.99");
    }

    #[test]
    fn nak_can_and_silence_retransmit_three_times_then_fail() {
        let t0 = Instant::now();
        let mut api = started(t0);
        // NAK: wait 100 ms (n = 0), then the same bytes again.
        assert_eq!(feed(&mut api, &[NAK], t0), vec![]);
        assert_eq!(api.deadline(), Some(t0 + ms(100)));
        api.on_timer(t0 + ms(99));
        assert_eq!(outputs(&mut api), vec![]);
        api.on_timer(t0 + ms(100));
        assert_eq!(outputs(&mut api), vec![write(SEND_DATA_CB1)]);
        // CAN after the second transmission: wait 1100 ms (n = 1).
        let t1 = t0 + ms(200);
        assert_eq!(feed(&mut api, &[0x18], t1), vec![]);
        assert_eq!(api.deadline(), Some(t1 + ms(1100)));
        api.on_timer(t1 + ms(1100));
        assert_eq!(outputs(&mut api), vec![write(SEND_DATA_CB1)]);
        // No ACK to the third: give up.
        let t2 = t1 + ms(1100);
        api.on_timer(t2 + ACK_TIMEOUT - ms(1));
        assert_eq!(outputs(&mut api), vec![]);
        api.on_timer(t2 + ACK_TIMEOUT);
        let failed = Output::Done(Err(Failure::NotAcked(Refusal::Timeout)));
        assert_eq!(outputs(&mut api), vec![failed]);
        assert!(api.is_idle());
    }

    #[test]
    fn can_then_the_chips_own_frame_is_acked_and_handed_up_before_the_retry() {
        let t0 = Instant::now();
        let mut api = started(t0);
        // zwave.md: 21.5 °C from node 3 (ApplicationCommandHandler, Sensor Multilevel report).
        let report = "01 0C 00 04 00 03 06 31 05 01 22 00 D7 32";
        let got = feed(&mut api, &[&[0x18][..], &hex(report)].concat(), t0 + ms(3));
        let frame = Frame::Data {
            kind: Kind::Request,
            function: 0x04,
            payload: hex("00 03 06 31 05 01 22 00 D7"),
        };
        assert_eq!(got, vec![write("06"), Output::Unsolicited(frame)]);
        api.on_timer(t0 + ms(103));
        assert_eq!(outputs(&mut api), vec![write(SEND_DATA_CB1)]);
        assert_eq!(feed(&mut api, &[ACK], t0 + ms(110)), vec![]);
        assert!(!api.is_idle());
    }

    #[test]
    fn unsolicited_frames_mid_command_and_a_foreign_callback_id() {
        let t0 = Instant::now();
        let mut api = started(t0);
        feed(&mut api, &[&[ACK][..], &hex(ACCEPTED)].concat(), t0);
        // zwave.md: BridgeApplicationCommandHandler 0xA8 without RSSI (zwave-js
        // BridgeApplicationCommandRequest.test.ts), then a SendData callback for id 0F
        // (receiveMessages.test.ts) that is not ours.
        let bridge = "01 12 00 A8 00 01 02 0A 32 02 21 34 00 00 00 00 00 00 00 69";
        let foreign = "01 07 00 13 0F 00 00 02 E6";
        let got = feed(&mut api, &hex(&format!("{bridge} {foreign}")), t0 + ms(50));
        assert_eq!(got.len(), 4);
        assert!(matches!(
            &got[1],
            Output::Unsolicited(Frame::Data { function: 0xA8, .. })
        ));
        assert!(matches!(
            &got[3],
            Output::Unsolicited(Frame::Data { function: 0x13, .. })
        ));
        assert!(!api.is_idle());
        let got = feed(&mut api, &hex(CALLBACK_OK), t0 + ms(60));
        assert!(matches!(got[1], Output::Done(Ok(_))));
    }

    #[test]
    fn refused_response_ends_without_callback() {
        // 01 04 01 13 · 00 RetVal false · E9 checksum.
        let t0 = Instant::now();
        let mut api = started(t0);
        let got = feed(&mut api, &hex("06 01 04 01 13 00 E9"), t0);
        let refused = Output::Done(Err(Failure::Refused(vec![0])));
        assert_eq!(got, vec![write("06"), refused]);
    }

    #[test]
    fn response_and_callback_timeouts() {
        let t0 = Instant::now();
        let mut api = started(t0);
        feed(&mut api, &[ACK], t0);
        api.on_timer(t0 + RESPONSE_TIMEOUT);
        assert_eq!(
            outputs(&mut api),
            vec![Output::Done(Err(Failure::NoResponse))]
        );

        let mut api = started(t0);
        feed(&mut api, &[&[ACK][..], &hex(ACCEPTED)].concat(), t0);
        api.on_timer(t0 + CALLBACK_TIMEOUT - ms(1));
        assert_eq!(outputs(&mut api), vec![]);
        api.on_timer(t0 + CALLBACK_TIMEOUT);
        assert_eq!(
            outputs(&mut api),
            vec![Output::Done(Err(Failure::NoCallback))]
        );
    }

    #[test]
    fn a_response_stands_in_for_a_lost_ack() {
        let t0 = Instant::now();
        let mut api = started(t0);
        assert_eq!(feed(&mut api, &hex(ACCEPTED), t0), vec![write("06")]);
        assert_eq!(api.deadline(), Some(t0 + CALLBACK_TIMEOUT));
    }

    #[test]
    fn one_command_in_flight() {
        let t0 = Instant::now();
        let mut api = started(t0);
        assert_eq!(api.send(send_data(), t0), Err(SendError::Busy));
    }

    #[test]
    fn bad_checksum_is_naked_and_stray_control_bytes_handed_up() {
        // zwave.md: 01 05 00 47 04 20 98 has a bad checksum (zwave-js Message.test.ts).
        let mut api = SerialApi::new();
        let got = feed(&mut api, &hex("01 05 00 47 04 20 98 06"), Instant::now());
        assert_eq!(got[0], write("15"));
        assert!(matches!(
            got[1],
            Output::Dropped(Reject::BadChecksum { .. })
        ));
        assert_eq!(got[2], Output::Unsolicited(Frame::Ack));
    }

    #[test]
    fn callback_ids_run_1_to_255_and_wrap_past_0() {
        let mut api = SerialApi::new();
        let ids: Vec<u8> = (0..256).map(|_| api.next_callback_id()).collect();
        assert_eq!(ids[0], 1);
        assert_eq!(ids[254], 255);
        assert_eq!(ids[255], 1);
        assert!(!ids.contains(&0));
    }

    #[test]
    fn retransmit_delays() {
        assert_eq!(retransmit_delay(1), ms(100));
        assert_eq!(retransmit_delay(2), ms(1100));
    }
}
