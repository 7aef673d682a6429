//! How `mirai zwave include` and `exclude` show their steps: with `--json` each step's JSON
//! line as it comes; in a terminal one status line redrawn in place, a spinner, the step, and
//! the seconds gone and left; piped without `--json`, one plain line per step.

use std::io::{IsTerminal as _, Write as _};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How often the status line is redrawn.
const TICK: Duration = Duration::from_millis(120);
/// Braille spinner frames.
const FRAMES: [char; 8] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧'];

/// Which mode the steps belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Inclusion.
    Include,
    /// Exclusion.
    Exclude,
}

/// Where the steps go.
enum Style {
    Json,
    Plain,
    Terminal {
        text: Arc<Mutex<String>>,
        stop: mpsc::Sender<()>,
        ticker: JoinHandle<()>,
    },
}

/// Shows the steps of one inclusion or exclusion and judges how it ended.
pub(super) struct Progress {
    mode: Mode,
    style: Style,
    last: Option<Value>,
}

impl Progress {
    /// A printer for `mode` listening `within`: JSON lines with `json`, else a status line
    /// when stdout is a terminal, else plain lines.
    pub(super) fn new(mode: Mode, within: Duration, json: bool) -> Progress {
        let style = if json {
            Style::Json
        } else if std::io::stdout().is_terminal() {
            let text = Arc::new(Mutex::new(String::from("asking the stick")));
            let (stop, stopped) = mpsc::channel();
            let shown = text.clone();
            let started = Instant::now();
            let ticker = std::thread::spawn(move || tick(&shown, &stopped, started, within));
            Style::Terminal { text, stop, ticker }
        } else {
            Style::Plain
        };
        Progress {
            mode,
            style,
            last: None,
        }
    }

    /// Shows one step.
    pub(super) fn step(&mut self, step: &Value) {
        match &self.style {
            Style::Json => println!("{step}"),
            Style::Plain => println!("{}", words(self.mode, step)),
            Style::Terminal { text, .. } => {
                *text.lock().unwrap_or_else(|p| p.into_inner()) = words(self.mode, step);
            }
        }
        self.last = Some(step.clone());
    }

    /// Ends the display; `Ok` when the last step was `done`, else why not.
    pub(super) fn finish(self) -> anyhow::Result<()> {
        let last = self.last.unwrap_or(Value::Null);
        if let Style::Terminal { stop, ticker, .. } = self.style {
            let _ = stop.send(());
            let _ = ticker.join();
            print!("\r\x1b[2K");
            println!("{}", words(self.mode, &last));
        }
        match last["step"].as_str() {
            Some("done") => Ok(()),
            Some("timeout") => anyhow::bail!(
                "no node {} within {} s",
                if self.mode == Mode::Include {
                    "joined"
                } else {
                    "left"
                },
                last["seconds"]
            ),
            Some("failed") => anyhow::bail!("{}", last["error"].as_str().unwrap_or("failed")),
            _ => anyhow::bail!("the stick stopped answering before the end"),
        }
    }
}

/// Redraws the status line until told to stop.
fn tick(text: &Mutex<String>, stopped: &mpsc::Receiver<()>, started: Instant, within: Duration) {
    let mut frame = 0;
    loop {
        let gone = started.elapsed();
        let left = within.saturating_sub(gone);
        let now = text.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut out = std::io::stdout().lock();
        let _ = write!(
            out,
            "\r\x1b[2K{} {now}  {} s, {} s left",
            FRAMES[frame % FRAMES.len()],
            gone.as_secs(),
            left.as_secs()
        );
        let _ = out.flush();
        drop(out);
        frame += 1;
        if !matches!(
            stopped.recv_timeout(TICK),
            Err(mpsc::RecvTimeoutError::Timeout)
        ) {
            return;
        }
    }
}

/// A step in words.
pub(super) fn words(mode: Mode, step: &Value) -> String {
    let node = &step["node"];
    let verb = if mode == Mode::Include {
        "inclusion"
    } else {
        "exclusion"
    };
    match step["step"].as_str().unwrap_or("") {
        "ready" => format!(
            "waiting for the node for {} s: press its {verb} button",
            step["seconds"]
        ),
        "node_found" => "node found".into(),
        "adding" => format!("adding it as node {node}"),
        "removing" => format!("removing node {node}"),
        "protocol_done" => "network part done".into(),
        "done" if mode == Mode::Include => {
            format!("done: node {node} included (not secure: S0/S2 inclusion is a later step)")
        }
        "done" => format!("done: node {node} excluded"),
        "timeout" => format!(
            "no node came within {} s; the stick left {verb} mode",
            step["seconds"]
        ),
        "failed" => format!("failed: {}", step["error"].as_str().unwrap_or("")),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn steps_read_as_words() {
        let ready = json!({"step": "ready", "seconds": 30});
        assert!(words(Mode::Exclude, &ready).contains("press its exclusion button"));
        assert_eq!(
            words(Mode::Exclude, &json!({"step": "removing", "node": 3})),
            "removing node 3"
        );
        assert!(
            words(Mode::Include, &json!({"step": "done", "node": 5})).contains("node 5 included")
        );
    }
}
