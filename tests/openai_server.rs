//! The stand-in OpenAI server does what it says: checked with a bare `TcpStream` client,
//! so a bug in MIRAI's own client cannot hide one in the server.

mod support {
    pub mod openai;
}

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mirai::llm::sse::{SseParser, StreamAssembler};
use mirai::llm::wire;
use serde_json::json;
use support::openai::{MODEL, OpenAiServer, Reply};

fn connect(server: &OpenAiServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

fn send(stream: &mut TcpStream, method: &str, path: &str, body: &str) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer sk-test\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
}

/// Reads bytes until `buf` contains `needle`.
fn read_until(stream: &mut TcpStream, buf: &mut Vec<u8>, needle: &[u8]) {
    while !buf.windows(needle.len()).any(|w| w == needle) {
        let mut chunk = [0; 4096];
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(needle));
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads one Content-Length response; returns (status, head, body).
fn response(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    read_until(stream, &mut buf, b"\r\n\r\n");
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8(buf[..end].to_vec()).unwrap();
    let mut body = buf[end..].to_vec();
    let length: usize = field(&head, "content-length").unwrap().parse().unwrap();
    while body.len() < length {
        let mut chunk = vec![0; length - body.len()];
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed mid-body");
        body.extend_from_slice(&chunk[..n]);
    }
    (head[9..12].parse().unwrap(), head, body)
}

fn field<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Decodes a complete chunked body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

#[test]
fn keep_alive_serves_two_requests_on_one_connection_and_records_them() {
    let server = OpenAiServer::start();
    server.push(Reply::chat_text("hi there"));
    server.push(Reply::models(&["gpt-4o", "text-embedding-3-small"]));
    let mut client = connect(&server);
    send(
        &mut client,
        "POST",
        "/v1/chat/completions",
        r#"{"model":"gpt-4o","messages":[]}"#,
    );
    let (status, head, body) = response(&mut client);
    assert_eq!(status, 200);
    assert_eq!(field(&head, "connection"), Some("keep-alive"));
    let chat = wire::parse_chat(&body).unwrap();
    assert_eq!(chat.text.as_deref(), Some("hi there"));
    assert_eq!(chat.model, MODEL);
    send(&mut client, "GET", "/v1/models", "");
    let (_, _, body) = response(&mut client);
    assert_eq!(
        wire::parse_models(&body).unwrap(),
        ["gpt-4o", "text-embedding-3-small"]
    );

    let requests = server.requests();
    assert_eq!((server.hits(), requests.len()), (2, 2));
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(requests[0].header("AUTHORIZATION"), Some("Bearer sk-test"));
    assert_eq!(requests[0].body, json!({"model": "gpt-4o", "messages": []}));
    assert_eq!(
        (requests[1].method.as_str(), &requests[1].body),
        ("GET", &serde_json::Value::Null)
    );
    assert!(
        server.base_url().starts_with("http://127.0.0.1:") && server.base_url().ends_with("/v1")
    );
}

#[test]
fn errors_carry_their_body_and_headers_and_the_default_reply_repeats() {
    let server = OpenAiServer::start();
    server.push(
        Reply::error(429, "insufficient_quota", "insufficient_quota", "quota")
            .header("Retry-After", "2"),
    );
    server.set_default(Reply::status(503));
    let mut client = connect(&server);
    send(&mut client, "POST", "/v1/chat/completions", "{}");
    let (status, head, body) = response(&mut client);
    assert_eq!((status, field(&head, "retry-after")), (429, Some("2")));
    assert_eq!(
        wire::parse_api_error(&body).unwrap().kind.as_deref(),
        Some("insufficient_quota")
    );
    for _ in 0..2 {
        send(&mut client, "POST", "/v1/chat/completions", "{}");
        assert_eq!(response(&mut client).0, 503);
    }
}

#[test]
fn scripted_delay_holds_the_response_past_a_client_timeout() {
    let server = OpenAiServer::start();
    server.push(Reply::chat_text("late").delay(Duration::from_millis(300)));
    let mut client = connect(&server);
    let started = Instant::now();
    send(&mut client, "POST", "/v1/chat/completions", "{}");
    client
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let err = client.read(&mut [0; 16]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(response(&mut client).0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn stream_arrives_in_pieces_stalls_when_told_and_assembles() {
    let server = OpenAiServer::start();
    server.push(Reply::stream_text(&["Hel", "lo"]).pause_after(2, Duration::from_millis(300)));
    let mut client = connect(&server);
    send(&mut client, "POST", "/v1/chat/completions", "{}");
    let mut buf = Vec::new();
    read_until(&mut client, &mut buf, br#""content":"Hel""#);
    client
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert!(
        client.read(&mut [0; 16]).is_err(),
        "the stream should be stalled"
    );
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    read_until(&mut client, &mut buf, b"\r\n0\r\n\r\n");

    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    assert_eq!(field(&head, "transfer-encoding"), Some("chunked"));
    assert!(
        field(&head, "content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (mut parser, mut asm) = (SseParser::new(), StreamAssembler::new());
    for event in parser.push(&dechunk(&buf[end..])).unwrap() {
        asm.push(&event.data).unwrap();
    }
    let reply = asm.finish().unwrap();
    assert_eq!(reply.text.as_deref(), Some("Hello"));
    assert_eq!(reply.usage.total_tokens, 12);
}

#[test]
fn streamed_tool_calls_assemble_and_close_delimited_streams_close() {
    let server = OpenAiServer::start();
    server.push(
        Reply::stream_tool_calls(&[
            ("call_a", "lights", r#"{"on":true}"#),
            ("call_b", "tv", "{}"),
        ])
        .close_delimited(),
    );
    let mut client = connect(&server);
    send(&mut client, "POST", "/v1/chat/completions", "{}");
    let mut buf = Vec::new();
    client.read_to_end(&mut buf).unwrap();
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(
        field(&String::from_utf8_lossy(&buf[..end]), "connection"),
        Some("close")
    );
    let (mut parser, mut asm) = (SseParser::new(), StreamAssembler::new());
    for event in parser.push(&buf[end..]).unwrap() {
        asm.push(&event.data).unwrap();
    }
    let calls = asm.finish().unwrap().tool_calls;
    assert_eq!(
        calls,
        [
            wire::ToolCall::function("call_a", "lights", r#"{"on":true}"#),
            wire::ToolCall::function("call_b", "tv", "{}")
        ]
    );
}

/// Reads one response head, then whatever body comes before the connection ends.
fn head_then_rest(server: &OpenAiServer, reply: Reply) -> (usize, std::io::Result<Vec<u8>>) {
    server.push(reply);
    let mut client = connect(server);
    send(&mut client, "POST", "/v1/chat/completions", "{}");
    let mut buf = Vec::new();
    read_until(&mut client, &mut buf, b"\r\n\r\n");
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let length = field(&String::from_utf8_lossy(&buf[..end]), "content-length")
        .unwrap()
        .parse()
        .unwrap();
    let mut rest = buf[end..].to_vec();
    (length, client.read_to_end(&mut rest).map(|_| rest))
}

#[test]
fn reset_truncated_and_malformed_bodies_arrive_as_scripted() {
    let server = OpenAiServer::start();
    match head_then_rest(&server, Reply::reset_mid_body()) {
        (length, Ok(body)) => assert!(body.len() < length),
        (_, Err(e)) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
    }
    let (length, body) = head_then_rest(&server, Reply::truncated_json());
    assert!(body.unwrap().len() < length);
    server.push(Reply::malformed_json());
    let mut client = connect(&server);
    send(&mut client, "POST", "/v1/chat/completions", "{}");
    let (status, _, body) = response(&mut client);
    assert_eq!(status, 200);
    assert!(
        wire::parse_chat(&body)
            .unwrap_err()
            .to_string()
            .contains("EOF")
    );
}

#[test]
fn close_without_response_reads_the_request_and_closes() {
    let server = OpenAiServer::start();
    server.push(Reply::close_without_response());
    let mut client = connect(&server);
    send(&mut client, "POST", "/v1/embeddings", r#"{"input":["a"]}"#);
    let mut buf = Vec::new();
    assert_eq!(client.read_to_end(&mut buf).unwrap(), 0);
    assert_eq!(server.requests()[0].body["input"], json!(["a"]));
}

#[test]
fn chunked_request_is_refused_with_411() {
    let server = OpenAiServer::start();
    let mut client = connect(&server);
    client.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    client.read_to_end(&mut buf).unwrap();
    assert!(
        buf.starts_with(b"HTTP/1.1 411 "),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    assert_eq!(server.hits(), 0);
}

#[test]
fn drop_stops_at_once_despite_idle_connections_and_long_delays() {
    let server = OpenAiServer::start();
    server.push(Reply::chat_text("never").delay(Duration::from_secs(60)));
    let mut waiting = connect(&server);
    send(&mut waiting, "POST", "/v1/chat/completions", "{}");
    let _idle = connect(&server);
    while server.hits() == 0 {
        std::thread::yield_now();
    }
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut buf = Vec::new();
    assert_eq!(
        waiting
            .read_to_end(&mut buf)
            .map(|_| buf.len())
            .unwrap_or(0),
        0
    );
}
