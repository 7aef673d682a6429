//! A real Mosquitto broker for tests: its own config on a free 127.0.0.1 port, anonymous,
//! persistence off (so a restart forgets every session, as a broker that lost its disk
//! would), killed on drop; and [`Probe`], a client that subscribes and collects messages.
//!
//! The binary comes from the Debian package `mosquitto`, which `tests/run` installs. A missing
//! binary fails the test: skipping would pass CI without testing MQTT at all.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Where the Debian package puts the broker.
const MOSQUITTO: &str = "/usr/sbin/mosquitto";
/// How long a starting broker may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How often to try the port while it starts.
const START_POLL: Duration = Duration::from_millis(20);
/// The longest any test waits for one message.
pub const WAIT: Duration = Duration::from_secs(10);
/// Messages the probe holds before the test reads them.
const PROBE_QUEUE: usize = 256;
/// The probe's wait before reconnecting to a restarting broker.
const PROBE_RETRY: Duration = Duration::from_millis(50);

/// A running broker.
pub struct Mosquitto {
    child: Child,
    port: u16,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    /// Starts a broker on a free port and waits until it accepts connections.
    pub fn start() -> Mosquitto {
        Mosquitto::start_with("")
    }

    /// The same with more lines for its listener (e.g. `certfile …` for TLS).
    pub fn start_with(listener_lines: &str) -> Mosquitto {
        assert!(
            Path::new(MOSQUITTO).is_file(),
            "{MOSQUITTO} is missing: run tests/run (it installs the Debian package mosquitto), \
             or apt-get install -y mosquitto"
        );
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("mosquitto.conf");
        let text = format!(
            "listener {port} 127.0.0.1\n{listener_lines}allow_anonymous true\npersistence false\n\
             set_tcp_nodelay true\nlog_dest stderr\nlog_type error\nlog_type warning\n"
        );
        std::fs::write(&config, text).unwrap();
        let child = spawn(&config, port);
        Mosquitto {
            child,
            port,
            config,
            _dir: dir,
        }
    }

    /// The broker's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's process id (for its CPU time in the benches).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker and starts a fresh one on the same port (sessions and retained
    /// messages lost).
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(&self.config, self.port);
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts the broker and waits, bounded, until `port` accepts.
fn spawn(config: &Path, port: u16) -> Child {
    let mut child = Command::new(MOSQUITTO)
        .arg("-c")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {MOSQUITTO}: {e}"));
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("mosquitto exited at start ({status}): {err}");
        }
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return child;
        }
        assert!(
            Instant::now() < deadline,
            "mosquitto did not listen on {port} within {START_DEADLINE:?}"
        );
        std::thread::sleep(START_POLL);
    }
}

/// A test client subscribed to some topics, with what arrived on them in order.
pub struct Probe {
    client: AsyncClient,
    inbox: mpsc::Receiver<(String, Vec<u8>)>,
    task: JoinHandle<()>,
}

impl Probe {
    /// Connects, subscribes to `topics` (again after every reconnect) and waits for the
    /// first subscription to be acknowledged.
    pub async fn connect(broker: &Mosquitto, name: &str, topics: &[&str]) -> Probe {
        let opts = MqttOptions::new(name, "127.0.0.1", broker.port());
        let (client, mut events) = AsyncClient::new(opts, PROBE_QUEUE);
        // Like the daemon, no Nagle delay on small publishes (timings in the voice bench).
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        events.set_network_options(network);
        let (tx, mut inbox) = mpsc::channel(PROBE_QUEUE);
        let (subscriber, topics) = (client.clone(), topics.iter().map(|t| t.to_string()));
        let topics: Vec<String> = topics.collect();
        let task = tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        for t in &topics {
                            subscriber.subscribe(t, QoS::AtLeastOnce).await.unwrap();
                        }
                    }
                    Ok(Event::Incoming(Incoming::SubAck(_))) => {
                        let _ = tx.send((String::new(), Vec::new())).await;
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        let _ = tx.send((p.topic, p.payload.to_vec())).await;
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(PROBE_RETRY).await,
                }
            }
        });
        let (topic, _) = tokio::time::timeout(WAIT, inbox.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(topic, "", "the first event is the subscription's ack");
        Probe {
            client,
            inbox,
            task,
        }
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        let payload: Vec<u8> = payload.into();
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }

    /// The next message on `topic`; others are skipped. Fails after [`WAIT`].
    pub async fn next_on(&mut self, topic: &str) -> Vec<u8> {
        self.next_within(topic, WAIT).await
    }

    /// The next message on `topic`; others are skipped. Fails after `wait`.
    pub async fn next_within(&mut self, topic: &str, wait_for: Duration) -> Vec<u8> {
        let wait = async {
            loop {
                let (t, payload) = self.inbox.recv().await.expect("probe stopped");
                if t == topic {
                    return payload;
                }
            }
        };
        tokio::time::timeout(wait_for, wait)
            .await
            .unwrap_or_else(|_| panic!("nothing on {topic} within {wait_for:?}"))
    }

    pub async fn json_on(&mut self, topic: &str) -> serde_json::Value {
        serde_json::from_slice(&self.next_on(topic).await).unwrap()
    }

    /// Waits until `topic` says `want` (retained or live).
    pub async fn status_is(&mut self, topic: &str, want: &str) {
        while self.next_on(topic).await != want.as_bytes() {}
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.task.abort();
    }
}
