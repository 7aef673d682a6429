//! `mirai serve` as systemd runs it: READY when up, a clean stop on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::process::Stdio;
use std::time::Duration;

use super::Hub;

/// How long the daemon may take to become ready or to stop, at most.
const DEADLINE: Duration = Duration::from_secs(20);

fn recv(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 256];
    let n = socket
        .recv(&mut buf)
        .expect("a notification before the deadline");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn serve_notifies_ready_and_stops_cleanly_on_sigterm() {
    let hub = Hub::scratch();
    let path = hub.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut child = hub
        .cmd(&["serve", "--demo"])
        .env("NOTIFY_SOCKET", &path)
        .env("MIRAI_SERVICES__DASHBOARD__PORT", "0")
        .env("MIRAI_MQTT__URL", "mqtt://127.0.0.1:9")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(recv(&socket), "READY=1");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    assert_eq!(recv(&socket), "STOPPING=1");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
