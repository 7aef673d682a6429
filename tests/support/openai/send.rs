//! Writing a [`Reply`] on the socket: the head, the body framing, and the faults (pauses,
//! cuts, resets) at the byte where the script puts them.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::http::reason;
use super::reply::{Body, Reply, Stream};

impl Reply {
    /// Writes the reply; returns whether the connection may serve another request.
    /// `wait` sleeps for a scripted pause and returns `false` if the server is stopping.
    pub(super) fn send(
        self,
        out: &mut TcpStream,
        keep_alive: bool,
        id: usize,
        wait: &dyn Fn(Duration) -> bool,
    ) -> io::Result<bool> {
        if matches!(self.body, Body::Nothing) {
            return close(out, false);
        }
        // A close-delimited stream can only end by closing.
        let keep_alive = keep_alive && !matches!(&self.body, Body::Stream(s) if !s.chunked);
        out.write_all(self.head(keep_alive, id).as_bytes())?;
        match self.body {
            Body::Full(body) => out.write_all(&body)?,
            Body::Cut { body, sent, reset } => {
                out.write_all(&body[..sent])?;
                return close(out, reset);
            }
            Body::Stream(stream) => return send_stream(out, stream, keep_alive, wait),
            Body::Nothing => unreachable!("answered above"),
        }
        if !keep_alive {
            out.shutdown(Shutdown::Write)?;
        }
        Ok(keep_alive)
    }

    /// The status line and headers, framing included, up to the blank line.
    fn head(&self, keep_alive: bool, id: usize) -> String {
        let (status, reason) = (self.status, reason(self.status));
        let mut head = format!("HTTP/1.1 {status} {reason}\r\nx-request-id: req_test_{id}\r\n");
        if !self.headers.iter().any(|(n, _)| n == "content-type") {
            head.push_str(match self.body {
                Body::Stream(_) => "content-type: text/event-stream; charset=utf-8\r\n",
                _ => "content-type: application/json\r\n",
            });
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        match &self.body {
            Body::Full(body) | Body::Cut { body, .. } => {
                head.push_str(&format!("content-length: {}\r\n", body.len()));
            }
            Body::Stream(s) if s.chunked => head.push_str("transfer-encoding: chunked\r\n"),
            Body::Stream(_) | Body::Nothing => {}
        }
        let connection = if keep_alive { "keep-alive" } else { "close" };
        head + &format!("connection: {connection}\r\n\r\n")
    }
}

fn send_stream(
    out: &mut TcpStream,
    s: Stream,
    keep_alive: bool,
    wait: &dyn Fn(Duration) -> bool,
) -> io::Result<bool> {
    for i in 0..=s.pieces.len() {
        if let Some((_, pause)) = s.pause.filter(|(n, _)| *n == i) {
            if !wait(pause) {
                return close(out, false);
            }
        }
        if s.reset_after == Some(i) {
            return close(out, true);
        }
        // An empty HTTP chunk would end the body, so empty pieces are skipped.
        match s.pieces.get(i).filter(|p| !p.is_empty()) {
            Some(piece) if s.chunked => {
                let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                framed.extend_from_slice(piece);
                framed.extend_from_slice(b"\r\n");
                out.write_all(&framed)?;
            }
            Some(piece) => out.write_all(piece)?,
            None => {}
        }
    }
    if s.chunked {
        out.write_all(b"0\r\n\r\n")?;
        return Ok(keep_alive);
    }
    close(out, false)
}

/// Ends the connection: a clean FIN now, or a reset once the last handle is dropped
/// (`SO_LINGER` zero makes the kernel send RST on close instead of FIN).
fn close(out: &mut TcpStream, reset: bool) -> io::Result<bool> {
    if !reset {
        out.shutdown(Shutdown::Write)?;
        return Ok(false);
    }
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is open (we hold `out`), and the option value is a valid
    // `linger` whose exact size is passed.
    let rc = unsafe {
        libc::setsockopt(
            out.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(false)
}
