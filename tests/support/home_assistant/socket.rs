//! A blocking WebSocket client for Home Assistant's `/api/websocket`, just enough for tests:
//! the upgrade, the auth exchange, masked text frames out, text/ping/close frames in.
//! (No WebSocket crate is in the dependency tree; the bridge under test has its own client.)

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};

use serde_json::{Value, json};

use super::WAIT;

/// An authenticated connection; commands get increasing ids.
pub struct Socket {
    stream: TcpStream,
    next_id: u64,
}

impl Socket {
    /// Connects to HA on 127.0.0.1:`port` and authenticates with `token`; panics unless
    /// HA answers `auth_ok`. [`Socket::try_connect`] returns HA's answer instead.
    pub fn connect(port: u16, token: &str) -> Socket {
        let (socket, answer) = Socket::try_connect(port, token);
        assert_eq!(answer["type"], "auth_ok", "websocket auth: {answer}");
        socket
    }

    /// Connects and authenticates; the socket and HA's reply to the auth message.
    pub fn try_connect(port: u16, token: &str) -> (Socket, Value) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let upgrade = format!(
            "GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: bWlyYWktdGVzdHMtMTIzNA==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(upgrade.as_bytes()).unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8];
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(
            head.starts_with("HTTP/1.1 101"),
            "websocket upgrade: {head}"
        );
        let mut socket = Socket { stream, next_id: 1 };
        assert_eq!(socket.receive()["type"], "auth_required");
        socket.send(&json!({"type": "auth", "access_token": token}));
        let answer = socket.receive();
        (socket, answer)
    }

    /// Sends `command` (an object without `id`) and returns HA's `result` message for it;
    /// events and other messages in between are skipped.
    pub fn command(&mut self, mut command: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        command["id"] = json!(id);
        self.send(&command);
        loop {
            let message = self.receive();
            if message["id"] == id && message["type"] == "result" {
                return message;
            }
        }
    }

    /// The `result` of a command that must succeed.
    pub fn ok(&mut self, command: Value) -> Value {
        let reply = self.command(command.clone());
        assert_eq!(reply["success"], true, "{command} → {reply}");
        reply["result"].clone()
    }

    /// Sends one JSON message as a masked text frame.
    pub fn send(&mut self, message: &Value) {
        let payload = message.to_string().into_bytes();
        let mut frame = vec![0x81u8]; // FIN, text
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask: [u8; 4] = fastrand::u32(..).to_be_bytes();
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).unwrap();
    }

    /// The next JSON message (pings answered on the way); panics after [`WAIT`] or on close.
    pub fn receive(&mut self) -> Value {
        let mut message = Vec::new();
        loop {
            let (fin, opcode, payload) = self.frame();
            match opcode {
                0x9 => self.pong(&payload),
                0x8 => panic!(
                    "HA closed the websocket: {}",
                    String::from_utf8_lossy(&payload)
                ),
                0xA => {}
                _ => {
                    message.extend_from_slice(&payload);
                    if fin {
                        return serde_json::from_slice(&message).unwrap();
                    }
                }
            }
        }
    }

    /// One frame from the server (servers never mask): FIN, opcode, payload.
    fn frame(&mut self) -> (bool, u8, Vec<u8>) {
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head).expect("websocket read");
        let len = match head[1] & 0x7f {
            126 => {
                let mut n = [0u8; 2];
                self.stream.read_exact(&mut n).unwrap();
                u16::from_be_bytes(n) as usize
            }
            127 => {
                let mut n = [0u8; 8];
                self.stream.read_exact(&mut n).unwrap();
                u64::from_be_bytes(n) as usize
            }
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        self.stream.read_exact(&mut payload).unwrap();
        (head[0] & 0x80 != 0, head[0] & 0x0f, payload)
    }

    fn pong(&mut self, payload: &[u8]) {
        let mut frame = vec![0x8A, 0x80 | payload.len() as u8, 0, 0, 0, 0];
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame).unwrap();
    }
}
