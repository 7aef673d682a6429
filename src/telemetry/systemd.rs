//! systemd's notify protocol (sd_notify(3)): "READY=1" when every service is up,
//! "WATCHDOG=1" while the runtime is healthy, "STOPPING=1" on the way out.
//!
//! A datagram to the socket named by `NOTIFY_SOCKET`; a path, or an abstract name written
//! with a leading `@`. Without the variable (not under systemd) every call does nothing.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// The variable systemd sets for `Type=notify` services.
const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// The variable that carries the watchdog period, in microseconds.
const WATCHDOG_USEC: &str = "WATCHDOG_USEC";

/// Sends `state` (e.g. `READY=1`) to systemd, if it is listening.
pub fn notify(state: &str) -> std::io::Result<()> {
    let Some(path) = std::env::var_os(NOTIFY_SOCKET) else {
        return Ok(());
    };
    let socket = UnixDatagram::unbound()?;
    let path = path.to_string_lossy();
    match path.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            socket.send_to_addr(state.as_bytes(), &addr)?;
        }
        None => {
            socket.send_to(state.as_bytes(), path.as_ref())?;
        }
    }
    Ok(())
}

/// How often to send `WATCHDOG=1`: half the period systemd asked for, if it asked.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var(WATCHDOG_USEC).ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_reaches_a_listening_socket_and_nothing_happens_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        // SAFETY: tests in this binary do not read NOTIFY_SOCKET concurrently except here.
        unsafe { std::env::set_var(NOTIFY_SOCKET, &path) };
        notify("READY=1").unwrap();
        unsafe { std::env::remove_var(NOTIFY_SOCKET) };
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        notify("READY=1").unwrap();
    }
}
