//! The HTTP/1.1 the stand-in server speaks: bounded request parsing and response heads.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// The longest request head (request line and headers) the server reads.
pub const MAX_HEAD: usize = 64 * 1024;

/// The largest request body the server reads.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request as read off the socket.
pub(super) struct Request {
    pub method: String,
    pub path: String,
    /// Names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client may send another request on this connection.
    pub keep_alive: bool,
}

/// Why no request was read.
pub(super) enum ReadError {
    /// The client closed the connection between requests: the normal end of keep-alive.
    Closed,
    /// The socket failed or closed mid-request.
    Io(io::Error),
    /// The request is refused with this status, and the connection closed.
    Reject(u16),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads one request; answers `Expect: 100-continue` so curl-like clients send the body.
pub(super) fn read_request(
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
) -> Result<Request, ReadError> {
    let head = read_head(reader)?.ok_or(ReadError::Closed)?;
    let mut request = parse_head(&head).ok_or(ReadError::Reject(400))?;
    // Chunked request bodies are not needed by any client MIRAI uses; 411 says "send a length".
    if header(&request.headers, "transfer-encoding").is_some() {
        return Err(ReadError::Reject(411));
    }
    let length = match header(&request.headers, "content-length") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| ReadError::Reject(400))?,
    };
    if length > MAX_BODY {
        return Err(ReadError::Reject(413));
    }
    if header(&request.headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(request)
}

/// Reads up to and including the blank line; `None` on a clean close before any byte.
fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Option<Vec<u8>>, ReadError> {
    let mut head = Vec::new();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return match head.is_empty() {
                true => Ok(None),
                false => Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            };
        }
        let (seen, taken) = (head.len(), buf.len());
        head.extend_from_slice(buf);
        let from = seen.saturating_sub(3);
        if let Some(at) = head[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = from + at + 4;
            reader.consume(taken - (head.len() - end));
            head.truncate(end);
            return Ok(Some(head));
        }
        reader.consume(taken);
        if head.len() > MAX_HEAD {
            return Err(ReadError::Reject(431));
        }
    }
}

fn parse_head(head: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let connection = header(&headers, "connection").map(str::to_ascii_lowercase);
    let keep_alive = match version {
        "HTTP/1.1" => connection.as_deref() != Some("close"),
        "HTTP/1.0" => connection.as_deref() == Some("keep-alive"),
        _ => return None,
    };
    Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: Vec::new(),
        keep_alive,
    })
}

/// The value of the first header named `name` (given in lowercase).
pub(super) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Answers a refused request with an empty body and closes.
pub(super) fn reject(out: &mut TcpStream, status: u16) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        reason(status)
    );
    out.write_all(head.as_bytes())?;
    out.shutdown(std::net::Shutdown::Write)
}

/// The reason phrase of the statuses tests use.
pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
