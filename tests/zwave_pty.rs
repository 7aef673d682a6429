//! The Z-Wave driver against a misbehaving stick of our own on a pseudo-terminal: the driver
//! opens the pty's slave path as `zwave.port`, and a thread on the master side plays the chip
//! (`support/zwave_stick.rs`). Each scenario switches node 2 on with Binary Switch Set through
//! SendData while the stick NAKs, CANs, stays silent, calls back late, sends garbage, breaks a
//! checksum or slips in a node's report. The stick acts on the bytes it reads and notes when
//! it read them, so the retransmission delays are checked as the stick saw them.

mod support {
    pub mod zwave_stick;
}

use std::time::{Duration, Instant};

use mirai::devices::zwave::command_class::Report;
use mirai::devices::zwave::frame::{ACK, CAN, Frame, Kind, NAK, encode_data};
use mirai::devices::zwave::{Ended, Failure, Refusal, Target, Zwave, ZwaveError, ZwaveSettings};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use support::zwave_stick::{SEND_DATA, Stick};

/// The longest any call may take in these scenarios.
const WAIT: Duration = Duration::from_secs(15);
/// How late the stick may read a frame under load (see the silent-stick test).
const SLACK: Duration = Duration::from_millis(50);
/// Binary Switch Set on (25 01 FF) to node 2, as SendData lays it out before the callback id.
const SWITCH_ON: [u8; 6] = [0x02, 0x03, 0x25, 0x01, 0xFF, 0x25];

struct Running<T> {
    zwave: Zwave,
    task: JoinHandle<Ended>,
    stop: watch::Sender<bool>,
    stick: JoinHandle<(Stick, T)>,
}

/// Starts the driver on a fresh pty stick that plays start-up and then `script`.
async fn start<T: Send + 'static>(
    tweak: impl FnOnce(&mut ZwaveSettings),
    script: impl FnOnce(&mut Stick) -> T + Send + 'static,
) -> Running<T> {
    let mut stick = Stick::open();
    let mut settings = ZwaveSettings::new(stick.path());
    tweak(&mut settings);
    let stick = tokio::task::spawn_blocking(move || {
        stick.start_up();
        let out = script(&mut stick);
        (stick, out)
    });
    let (stop, shutdown) = watch::channel(false);
    let started = tokio::time::timeout(WAIT, Zwave::start(settings, shutdown)).await;
    let (zwave, network, task) = started.expect("start-up hung").expect("start-up failed");
    assert_eq!(network.own_node, 1);
    Running {
        zwave,
        task,
        stop,
        stick,
    }
}

impl<T> Running<T> {
    async fn switch_on(&self) -> Result<(), ZwaveError> {
        let set = self.zwave.set(2, Target::Switch(true));
        tokio::time::timeout(WAIT, set).await.expect("set hung")
    }

    /// Stops the driver and returns what the stick's script returned. The pty stays open
    /// until the driver has stopped: closing it first would end the driver as `Closed`.
    async fn finish(self) -> T {
        let (stick, out) = self.stick.await.expect("the stick's script failed");
        self.stop.send(true).unwrap();
        let ended = self.task.await.unwrap();
        assert!(matches!(ended, Ended::Shutdown), "{ended:?}");
        drop(stick);
        out
    }
}

/// Reads a SendData request, checks it is Switch On to node 2 and returns its callback id.
fn switch_request(stick: &mut Stick) -> (u8, Instant) {
    let (payload, seen) = stick.request(SEND_DATA);
    let (callback_id, command) = payload.split_last().expect("empty SendData");
    assert_eq!(command, SWITCH_ON);
    assert_ne!(*callback_id, 0, "callback id 0 means no callback");
    (*callback_id, seen.at)
}

/// The chip's happy answer: ACK, response "queued", callback "delivered" (status 00 and a
/// 2-byte transmit time), each data frame ACKed by the host.
fn complete(stick: &mut Stick, callback_id: u8) {
    stick.write(&[ACK]);
    respond(stick);
    callback(stick, callback_id);
}

fn respond(stick: &mut Stick) {
    stick.send_acked(Kind::Response, SEND_DATA, &[0x01]);
}

fn callback(stick: &mut Stick, callback_id: u8) {
    stick.send_acked(Kind::Request, SEND_DATA, &[callback_id, 0x00, 0x00, 0x02]);
}

#[tokio::test]
async fn naks_are_retransmitted_after_100_ms_then_1100_ms_with_the_same_frame() {
    let run = start(
        |_| {},
        |stick| {
            let (first_id, first) = switch_request(stick);
            stick.write(&[NAK]);
            let (second_id, second) = switch_request(stick);
            stick.write(&[NAK]);
            let (third_id, third) = switch_request(stick);
            complete(stick, third_id);
            (
                [first_id, second_id, third_id],
                second - first,
                third - second,
            )
        },
    )
    .await;
    run.switch_on()
        .await
        .expect("the third transmission was ACKed");
    let (ids, first_wait, second_wait) = run.finish().await;
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "retransmitted as is: {ids:?}"
    );
    // 100 ms + n·1000 ms: n = 0 before the first retransmission, 1 before the second.
    assert!(first_wait >= Duration::from_millis(100), "{first_wait:?}");
    assert!(
        second_wait >= Duration::from_millis(1100),
        "{second_wait:?}"
    );
    assert!(
        first_wait < second_wait,
        "{first_wait:?} then {second_wait:?}"
    );
}

#[tokio::test]
async fn a_can_is_retransmitted_and_the_command_succeeds() {
    let run = start(
        |_| {},
        |stick| {
            let (first_id, first) = switch_request(stick);
            stick.write(&[CAN]);
            let (second_id, second) = switch_request(stick);
            complete(stick, second_id);
            (first_id == second_id, second - first)
        },
    )
    .await;
    run.switch_on().await.expect("the retransmission was ACKed");
    let (same_id, wait) = run.finish().await;
    assert!(same_id);
    assert!(wait >= Duration::from_millis(100), "{wait:?}");
}

#[tokio::test]
async fn silence_is_retransmitted_after_the_default_ack_timeout_then_fails_clearly() {
    let run = start(
        |settings| assert_eq!(settings.timeouts.ack, Duration::from_millis(1600)),
        |stick| {
            let (id, first) = switch_request(stick);
            let (_, second) = switch_request(stick);
            let (_, third) = switch_request(stick);
            // The next command, after the host gave up, is answered.
            let (next_id, _) = switch_request(stick);
            complete(stick, next_id);
            (id, next_id, [first, second, third])
        },
    )
    .await;
    let err = run
        .switch_on()
        .await
        .expect_err("three silent transmissions");
    let failed_at = Instant::now();
    assert!(
        matches!(err, ZwaveError::Chip(Failure::NotAcked(Refusal::Timeout))),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("no ACK after 3 transmissions"), "{text}");
    run.switch_on()
        .await
        .expect("the next command goes through");
    let (id, next_id, [first, second, third]) = run.finish().await;
    assert_ne!(id, next_id, "a new command takes a new callback id");
    // 1600 ms ACK timeout, then 100 ms; then 1600 ms and 1100 ms; then 1600 ms to give up.
    // The host's ACK clock starts when it writes, the stick's when it reads: a stick thread
    // that runs late under load sees a gap shortened by its own delay, hence the slack
    // (smaller than the 100 ms the first wait adds to the timeout).
    let at_least = |gap: Duration, ms: u64| {
        assert!(
            gap + SLACK >= Duration::from_millis(ms),
            "{gap:?} < {ms} ms"
        );
    };
    at_least(second - first, 1700);
    at_least(third - second, 2700);
    at_least(failed_at - third, 1600);
}

#[tokio::test]
async fn a_slow_callback_in_time_succeeds_a_missed_one_fails_and_the_next_command_works() {
    const SLOW: Duration = Duration::from_millis(400);
    let run = start(
        |settings| settings.timeouts.callback = Duration::from_millis(1000),
        |stick| {
            let (id, _) = switch_request(stick);
            stick.write(&[ACK]);
            respond(stick);
            // The node takes its time; the chip calls back within the timeout.
            std::thread::sleep(SLOW);
            callback(stick, id);
            // The second command's callback never comes in time ...
            let (missed_id, _) = switch_request(stick);
            stick.write(&[ACK]);
            respond(stick);
            // ... and arrives once the host has moved on to the third command.
            let (third_id, _) = switch_request(stick);
            callback(stick, missed_id);
            complete(stick, third_id);
            [id, missed_id, third_id]
        },
    )
    .await;
    let started = Instant::now();
    run.switch_on()
        .await
        .expect("a slow callback within the timeout");
    assert!(started.elapsed() >= SLOW, "{:?}", started.elapsed());
    let started = Instant::now();
    let err = run.switch_on().await.expect_err("no callback in time");
    assert!(started.elapsed() >= Duration::from_millis(1000));
    assert!(
        matches!(err, ZwaveError::Chip(Failure::NoCallback)),
        "{err:?}"
    );
    assert!(err.to_string().contains("no callback in time"), "{err}");
    run.switch_on()
        .await
        .expect("the late callback is not taken for the next one's");
    let ids = run.finish().await;
    assert!(ids[0] != ids[1] && ids[1] != ids[2], "{ids:?}");
}

#[tokio::test]
async fn garbage_before_a_valid_frame_is_skipped_without_a_nak() {
    let run = start(
        |_| {},
        |stick| {
            let (id, _) = switch_request(stick);
            stick.write(&[ACK]);
            // A stray byte, an SOF with an impossible length, more noise; then the response.
            stick.write(&[0xAA, 0x01, 0x02, 0x55, 0xFE]);
            respond(stick); // fails if the host NAKed instead of ACKing the response
            callback(stick, id);
        },
    )
    .await;
    run.switch_on()
        .await
        .expect("the response after the garbage counts");
    run.finish().await;
}

#[tokio::test]
async fn a_bad_checksum_from_the_stick_is_naked_and_the_resent_frame_taken() {
    let run = start(
        |_| {},
        |stick| {
            let (id, _) = switch_request(stick);
            stick.write(&[ACK]);
            let mut broken = encode_data(Kind::Response, SEND_DATA, &[0x01]).unwrap();
            *broken.last_mut().unwrap() ^= 0xFF;
            stick.write(&broken);
            stick.expect(Frame::Nak);
            respond(stick);
            callback(stick, id);
        },
    )
    .await;
    run.switch_on().await.expect("the resent response counts");
    run.finish().await;
}

#[tokio::test]
async fn a_report_arriving_while_a_command_is_in_flight_is_handled_too() {
    let run = start(
        |_| {},
        |stick| {
            let (id, _) = switch_request(stick);
            stick.write(&[ACK]);
            respond(stick);
            // ApplicationCommandHandler: rxStatus 00, node 3, 3 bytes: Binary Switch Report FF.
            stick.send_acked(Kind::Request, 0x04, &[0x00, 0x03, 0x03, 0x25, 0x03, 0xFF]);
            callback(stick, id);
        },
    )
    .await;
    let mut reports = run.zwave.reports();
    run.switch_on()
        .await
        .expect("the callback after the report counts");
    let report = tokio::time::timeout(WAIT, reports.next())
        .await
        .expect("no report")
        .expect("driver gone");
    assert_eq!(report.node, 3);
    let Report::BinarySwitch(level) = report.report else {
        panic!("{report:?}");
    };
    assert_eq!(level.current, 0xFF);
    run.finish().await;
}
