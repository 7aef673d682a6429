//! What the benches share: timing a closure into sorted samples, percentiles, markdown rows,
//! and the floor of a model call — a bare HTTP/1.1 client sending one prepared request to the
//! stand-in server on a kept-alive socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Runs `f(i)` `warmup` times, then `rounds` times timed; the samples come back sorted.
pub fn time(warmup: usize, rounds: usize, mut f: impl FnMut(usize)) -> Vec<Duration> {
    for i in 0..warmup {
        f(i);
    }
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples
}

/// The `p`th percentile of sorted samples.
pub fn pct(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A markdown row: name, p50, p99, target.
pub fn row(name: &str, samples: &[Duration], target: &str) {
    println!(
        "| {name} | {:.3} ms | {:.3} ms | {target} |",
        ms(pct(samples, 50)),
        ms(pct(samples, 99))
    );
}

/// The server's own time for a chat completion, as seen by a client that does nothing else.
pub fn bare_chat(addr: SocketAddr, text: &str, warmup: usize, rounds: usize) -> Vec<Duration> {
    let body = format!(r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":"{text}"}}]}}"#);
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    time(warmup, rounds, |_| {
        writer.write_all(request.as_bytes()).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; length];
        reader.read_exact(&mut buf).unwrap();
    })
}
