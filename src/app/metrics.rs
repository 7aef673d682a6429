//! The daemon's `/metrics`: one prometheus-client registry, built with the hub. The hub moves
//! the request counters as it answers; [`Live`] reads everything else (models, broker,
//! database, process) at each scrape, so nothing has to be kept in step.
//!
//! Encoded in the Prometheus text format 0.0.4, which `/metrics` announces, rather than
//! OpenMetrics: counters are then typed under their `_total` name, as Prometheus expects.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeGaugeValue, EncodeMetric, prometheus_text,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::frontends::mqtt::MqttState;
use crate::llm::Llm;
use crate::llm::breaker::BreakerState;

/// Upper bounds of the reply-latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 8] = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0, 60.0];

/// `source` and `path` of a request.
type RequestLabels = Vec<(&'static str, String)>;

/// The registry and the metrics the hub moves itself.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    reply_seconds: Histogram,
    mqtt: Arc<OnceLock<Arc<MqttState>>>,
}

impl Metrics {
    /// The registry over `llm` and the database at `database`, counting uptime from `started`.
    pub(crate) fn new(llm: Llm, database: PathBuf, started: Instant) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "mirai_requests",
            "Requests answered, by front end and path",
            requests.clone(),
        );
        let reply_seconds = Histogram::new(LATENCY_BUCKETS);
        registry.register(
            "mirai_reply_seconds",
            "Time to answer a request",
            reply_seconds.clone(),
        );
        let mqtt = Arc::new(OnceLock::new());
        registry.register_collector(Box::new(Live {
            llm,
            database,
            started,
            mqtt: mqtt.clone(),
        }));
        Metrics {
            registry,
            requests,
            reply_seconds,
            mqtt,
        }
    }

    /// Counts one answered request from `source` that took `path`.
    pub(crate) fn record(&self, source: &str, path: &str, took: Duration) {
        let labels = vec![("source", source.to_owned()), ("path", path.to_owned())];
        self.requests.get_or_create(&labels).inc();
        self.reply_seconds.observe(took.as_secs_f64());
    }

    /// Adds the MQTT front end's counters; the first call wins, as there is one front end.
    pub(crate) fn set_mqtt(&self, state: Arc<MqttState>) {
        let _ = self.mqtt.set(state);
    }

    /// Every family in the Prometheus text format.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(err) = prometheus_text::encode(&mut out, &self.registry) {
            tracing::error!(cause = %err, "metrics not encoded");
        }
        out
    }
}

/// What is read at scrape time.
#[derive(Debug)]
struct Live {
    llm: Llm,
    database: PathBuf,
    started: Instant,
    mqtt: Arc<OnceLock<Arc<MqttState>>>,
}

impl Collector for Live {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        self.encode_attempts(&mut enc)?;
        self.encode_model(&mut enc)?;
        if let Some(state) = self.mqtt.get() {
            encode_mqtt(&mut enc, state)?;
        }
        let db = file_bytes(&self.database) + file_bytes(&wal_path(&self.database));
        gauge(
            &mut enc,
            "mirai_database_bytes",
            "Memory database size, file and WAL",
            db,
        )?;
        if let Some(rss) = resident_bytes() {
            gauge(
                &mut enc,
                "process_resident_memory_bytes",
                "Resident memory",
                rss,
            )?;
        }
        let uptime = self.started.elapsed().as_secs();
        gauge(
            &mut enc,
            "mirai_uptime_seconds",
            "Seconds since the daemon started",
            uptime,
        )
    }
}

impl Live {
    /// Model attempts and retries per endpoint.
    fn encode_attempts(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let counts = self.llm.metrics().snapshot();
        let help = "Model attempts, by endpoint and outcome";
        let mut family =
            enc.encode_descriptor("mirai_llm_attempts", help, None, MetricType::Counter)?;
        for (endpoint, c) in &counts {
            for (outcome, n) in c.attempts() {
                let labels = [("endpoint", endpoint.as_str()), ("outcome", outcome)];
                ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
            }
        }
        let help = "Model attempts followed by a retry, by endpoint";
        let mut family =
            enc.encode_descriptor("mirai_llm_retries", help, None, MetricType::Counter)?;
        for (endpoint, c) in &counts {
            let labels = [("endpoint", endpoint.as_str())];
            ConstCounter::new(c.retries()).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }

    /// Breakers, and today's tokens and cost.
    fn encode_model(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let help = "Whether a model endpoint's circuit breaker is open (1) or half-open (0.5)";
        let mut family =
            enc.encode_descriptor("mirai_llm_breaker_open", help, None, MetricType::Gauge)?;
        for (endpoint, state) in self.llm.breakers() {
            let open = match state {
                BreakerState::Closed { .. } => 0.0,
                BreakerState::HalfOpen { .. } => 0.5,
                BreakerState::Open { .. } => 1.0,
            };
            let labels = [("endpoint", endpoint.as_str())];
            ConstGauge::new(open).encode(family.encode_family(&labels)?)?;
        }
        // A ledger that cannot be read leaves the two out rather than reporting a false 0.
        let Ok(today) = self.llm.usage_today() else {
            return Ok(());
        };
        gauge(
            enc,
            "mirai_llm_tokens_today",
            "Model tokens used today (UTC)",
            today.tokens,
        )?;
        gauge(
            enc,
            "mirai_llm_cost_usd_today",
            "Estimated model cost today (UTC)",
            today.cost_usd,
        )
    }
}

/// Messages in, out, rejected and dropped as duplicates, and whether the broker has us.
fn encode_mqtt(enc: &mut DescriptorEncoder, state: &MqttState) -> fmt::Result {
    let help = "MQTT messages, by direction";
    let mut family =
        enc.encode_descriptor("mirai_mqtt_messages", help, None, MetricType::Counter)?;
    let directions = [
        ("in", state.messages_in()),
        ("out", state.messages_out()),
        ("rejected", state.rejected()),
        ("duplicate", state.duplicates()),
    ];
    for (direction, n) in directions {
        let labels = [("direction", direction)];
        ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
    }
    let up = u64::from(state.connected());
    gauge(
        enc,
        "mirai_mqtt_connected",
        "Whether the MQTT broker has accepted us",
        up,
    )
}

/// One gauge without labels.
fn gauge<N: EncodeGaugeValue + fmt::Debug>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: N,
) -> fmt::Result {
    ConstGauge::new(value).encode(enc.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// SQLite's write-ahead log beside the database: `<path>-wal`.
fn wal_path(database: &Path) -> PathBuf {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// A file's size; 0 when it is absent (no WAL after a clean checkpoint).
fn file_bytes(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Resident memory of this process, from `/proc/self/statm`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Env, Origin};
    use crate::llm::Environment;
    use crate::llm::budget::MemoryLedger;

    /// Families every scrape has, MQTT on, whatever happened before.
    const FAMILIES: [(&str, &str); 11] = [
        ("mirai_requests_total", "counter"),
        ("mirai_reply_seconds", "histogram"),
        ("mirai_llm_attempts_total", "counter"),
        ("mirai_llm_retries_total", "counter"),
        ("mirai_llm_breaker_open", "gauge"),
        ("mirai_llm_tokens_today", "gauge"),
        ("mirai_llm_cost_usd_today", "gauge"),
        ("mirai_mqtt_messages_total", "counter"),
        ("mirai_mqtt_connected", "gauge"),
        ("mirai_database_bytes", "gauge"),
        ("mirai_uptime_seconds", "gauge"),
    ];

    fn metrics(dir: &Path) -> Metrics {
        let cfg = Config::from_text("", Origin::Defaults, Some(dir), &Env::default()).unwrap();
        let llm = Llm::new(&cfg, Arc::new(MemoryLedger::new()), Environment::real());
        std::fs::write(dir.join("mirai.db"), [0u8; 4096]).unwrap();
        std::fs::write(dir.join("mirai.db-wal"), [0u8; 100]).unwrap();
        Metrics::new(llm, dir.join("mirai.db"), Instant::now())
    }

    /// Each sample line's name with labels, and its value.
    fn samples(text: &str) -> Vec<(&str, f64)> {
        let lines = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty());
        lines.map(sample).collect()
    }

    /// A sample line, `name{labels} value`, checked and split.
    fn sample(l: &str) -> (&str, f64) {
        let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("{l:?}"));
        let bare = name.split('{').next().unwrap();
        assert!(
            bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{l:?}"
        );
        assert!(
            !name.contains('{') || name.ends_with('}'),
            "labels not closed: {l:?}"
        );
        let value = value.parse::<f64>().unwrap_or_else(|_| panic!("{l:?}"));
        (name, value)
    }

    fn value(text: &str, name: &str) -> Option<f64> {
        samples(text)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|s| s.1)
    }

    #[test]
    fn every_family_is_typed_and_every_line_parses() {
        let tmp = tempfile::tempdir().unwrap();
        let m = metrics(tmp.path());
        m.set_mqtt(Arc::new(MqttState::default()));
        m.record("mqtt", "local_intent", Duration::from_millis(3));
        let text = m.encode();
        for (name, kind) in FAMILIES {
            assert!(
                text.contains(&format!("# TYPE {name} {kind}\n")),
                "{name}\n{text}"
            );
        }
        assert!(!samples(&text).is_empty());
        assert_eq!(value(&text, "mirai_database_bytes"), Some(4196.0));
        assert_eq!(
            value(&text, "mirai_mqtt_messages_total{direction=\"in\"}"),
            Some(0.0)
        );
        assert_eq!(value(&text, "mirai_mqtt_connected"), Some(0.0));
        assert_eq!(value(&text, "mirai_llm_tokens_today"), Some(0.0));
        assert!(value(&text, "process_resident_memory_bytes").unwrap() > 0.0);
    }

    #[test]
    fn recorded_requests_move_the_counter_and_the_histogram() {
        let tmp = tempfile::tempdir().unwrap();
        let m = metrics(tmp.path());
        m.record("http", "model", Duration::from_millis(300));
        m.record("http", "model", Duration::from_millis(2));
        m.record("mqtt", "safety", Duration::from_secs(90));
        let text = m.encode();
        let http = "mirai_requests_total{source=\"http\",path=\"model\"}";
        assert_eq!(value(&text, http), Some(2.0));
        assert_eq!(
            value(
                &text,
                "mirai_requests_total{source=\"mqtt\",path=\"safety\"}"
            ),
            Some(1.0)
        );
        assert_eq!(value(&text, "mirai_reply_seconds_count"), Some(3.0));
        assert_eq!(
            value(&text, "mirai_reply_seconds_bucket{le=\"0.005\"}"),
            Some(1.0)
        );
        assert_eq!(
            value(&text, "mirai_reply_seconds_bucket{le=\"0.5\"}"),
            Some(2.0)
        );
        assert_eq!(
            value(&text, "mirai_reply_seconds_bucket{le=\"+Inf\"}"),
            Some(3.0)
        );
    }

    #[test]
    fn without_mqtt_its_families_are_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        let text = metrics(tmp.path()).encode();
        assert!(!text.contains("mirai_mqtt"), "{text}");
        assert!(text.contains("# TYPE mirai_uptime_seconds gauge"));
    }
}
