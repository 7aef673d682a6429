//! The Serial API machine against scripted chip bytes, through the real receive buffer.

use super::*;
use crate::devices::zwave::receiver::FrameBuffer;

use crate::devices::zwave::hex;

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
