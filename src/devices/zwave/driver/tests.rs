//! The driver task against a scripted peer on an in-memory duplex pipe.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

use super::*;
use crate::devices::zwave::frame::{ACK, Kind, encode_data};
use crate::devices::zwave::serial_api::{Failure, Refusal};

fn version_command() -> Command {
    Command {
        function: 0x15,
        payload: vec![],
        response: true,
        callback: false,
    }
}

/// Reads exactly `n` bytes the driver wrote.
async fn expect(peer: &mut DuplexStream, want: &[u8]) {
    let mut got = vec![0; want.len()];
    peer.read_exact(&mut got).await.unwrap();
    assert_eq!(got, want);
}

fn started() -> (Driver, JoinHandle<Ended>, DuplexStream, watch::Sender<bool>) {
    let (ours, peer) = duplex(1024);
    let (stop, shutdown) = watch::channel(false);
    let (driver, task) = Driver::spawn(ours, Timeouts::default(), shutdown);
    (driver, task, peer, stop)
}

#[tokio::test]
async fn a_command_gets_its_response_and_unsolicited_frames_go_to_subscribers() {
    let (driver, task, mut peer, stop) = started();
    expect(&mut peer, &[NAK]).await;
    let mut unsolicited = driver.subscribe();
    let call = tokio::spawn({
        let driver = driver.clone();
        async move { driver.call(version_command()).await }
    });
    // 01 03 00 15 E9: GetControllerVersion request.
    expect(&mut peer, &[0x01, 0x03, 0x00, 0x15, 0xE9]).await;
    let response = encode_data(Kind::Response, 0x15, b"Z-Wave 7.17.99\0\x01").unwrap();
    // A node report arrives between the ACK and the response.
    let report = encode_data(Kind::Request, 0x04, &[0x00, 0x02, 0x03, 0x25, 0x03, 0xFF]).unwrap();
    peer.write_all(&[ACK]).await.unwrap();
    peer.write_all(&report).await.unwrap();
    peer.write_all(&response).await.unwrap();
    let reply = call.await.unwrap().unwrap();
    assert_eq!(reply.response.unwrap(), b"Z-Wave 7.17.99\0\x01");
    // Both data frames were ACKed.
    expect(&mut peer, &[ACK, ACK]).await;
    let frame = unsolicited.recv().await.unwrap();
    assert!(matches!(frame, Frame::Data { function: 0x04, .. }));
    stop.send(true).unwrap();
    assert!(matches!(task.await.unwrap(), Ended::Shutdown));
}

#[tokio::test(start_paused = true)]
async fn silence_is_retransmitted_then_reported_as_not_acked() {
    let (driver, _task, mut peer, _stop) = started();
    expect(&mut peer, &[NAK]).await;
    let call = tokio::spawn(async move { driver.call(version_command()).await });
    for _ in 0..3 {
        expect(&mut peer, &[0x01, 0x03, 0x00, 0x15, 0xE9]).await;
    }
    let err = call.await.unwrap().unwrap_err();
    assert!(matches!(
        err,
        ZwaveError::Chip(Failure::NotAcked(Refusal::Timeout))
    ));
}

#[tokio::test]
async fn the_task_ends_when_the_peer_closes_and_calls_then_fail() {
    let (driver, task, mut peer, _stop) = started();
    expect(&mut peer, &[NAK]).await;
    drop(peer);
    assert!(matches!(task.await.unwrap(), Ended::Closed));
    let err = driver.call(version_command()).await.unwrap_err();
    assert!(matches!(err, ZwaveError::Stopped));
}

#[tokio::test(start_paused = true)]
async fn the_task_ends_when_every_handle_is_gone() {
    let (driver, task, _peer, _stop) = started();
    drop(driver);
    let ended = tokio::time::timeout(Duration::from_secs(1), task).await;
    assert!(matches!(ended.unwrap().unwrap(), Ended::Unused));
}
