//! `mirai memory …`: read and manage the memory database from a shell.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::emit;
use crate::app::App;
use crate::clock::rfc3339_ms;

/// Sub-folder of the data folder for automatic backups.
const BACKUP_DIR: &str = "backups";

#[derive(Debug, Subcommand)]
pub(super) enum MemoryCommand {
    /// List conversation sessions, newest first
    Sessions {
        /// How many
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Show a session's recent messages: the context the agent would use (short_term limits)
    History {
        /// Session id
        session: String,
        /// How many messages [default: memory.short_term.max_messages]
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Show a user's preferences, or change them
    Prefs {
        /// User name
        user: String,
        /// Set a preference (repeatable)
        #[arg(long, value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Remove a preference (repeatable)
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
    },
    /// Show the facts remembered about a user, or correct or forget them
    Facts(super::facts::FactsArgs),
    /// Add to or search the knowledge base
    #[command(subcommand)]
    Knowledge(KnowledgeCommand),
    /// Write an online backup of the database to a new file
    Backup {
        /// Destination (must not exist)
        path: PathBuf,
    },
    /// Replace the database with a backup (the current one is backed up first)
    Restore {
        /// A backup made by `mirai memory backup`
        path: PathBuf,
    },
    /// Export everything as JSON Lines (one record per line)
    Export {
        /// Destination file [default: standard output]
        path: Option<PathBuf>,
    },
    /// Import JSON Lines written by `export`; each record is committed as it is read
    Import(ImportArgs),
    /// Counts and sizes
    Stats,
    /// Delete conversations and finished tasks older than memory.long_term.retention_days
    Cleanup,
}

#[derive(Debug, Subcommand)]
pub(super) enum KnowledgeCommand {
    /// Remember a fact
    Add {
        /// The fact, or `-` to read it from standard input
        text: String,
        /// What it is about
        #[arg(long, default_value = "")]
        topic: String,
        /// Where it came from
        #[arg(long, default_value = "cli")]
        source: String,
    },
    /// Full-text search, best match first
    Search {
        /// Words to look for
        query: String,
        /// How many hits
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
}

#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// File to read, or `-` for standard input
    path: PathBuf,
    /// Print a line as each record is committed, for scripts that must know what is durable
    #[arg(long)]
    ack: bool,
}

pub(super) fn run(app: &App, cmd: MemoryCommand, json: bool) -> anyhow::Result<ExitCode> {
    let mut memory = app.memory()?;
    match cmd {
        MemoryCommand::Sessions { limit } => {
            let sessions = memory.sessions(limit)?;
            emit(json, &sessions, || {
                sessions
                    .iter()
                    .map(|s| {
                        let state = s
                            .ended_at
                            .map_or("open".to_owned(), |t| format!("ended {}", rfc3339_ms(t)));
                        format!(
                            "{}  {}  user={} source={} messages={} {state}\n",
                            s.id,
                            rfc3339_ms(s.started_at),
                            s.user,
                            s.source,
                            s.message_count
                        )
                    })
                    .collect()
            })?;
        }
        MemoryCommand::History { session, limit } => {
            let messages = memory.get_session_history(&session, limit)?;
            emit(json, &messages, || {
                messages
                    .iter()
                    .map(|m| {
                        format!(
                            "[{}] {}: {}\n",
                            rfc3339_ms(m.created_at),
                            m.role.as_str(),
                            m.content
                        )
                    })
                    .collect()
            })?;
        }
        MemoryCommand::Prefs { user, set, unset } => {
            for pair in &set {
                let (k, v) = pair
                    .split_once('=')
                    .with_context(|| format!("--set {pair:?}: expected KEY=VALUE"))?;
                memory.save_preference(&user, k.trim(), v.trim())?;
            }
            for key in &unset {
                memory.delete_preference(&user, key)?;
            }
            let prefs = memory.get_preferences(&user)?;
            emit(json, &prefs, || {
                prefs.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
            })?;
        }
        MemoryCommand::Knowledge(k) => knowledge(&mut memory, k, json)?,
        MemoryCommand::Facts(args) => super::facts::run(&mut memory, args, json)?,
        MemoryCommand::Backup { path } => {
            let report = memory.backup_to(&path)?;
            emit(json, &report, || {
                format!("backed up {} bytes to {}\n", report.bytes, path.display())
            })?;
        }
        MemoryCommand::Restore { path } => {
            let safety = backup_before(app, &memory, "pre-restore")?;
            let report = memory.restore_from(&path)?;
            #[derive(Serialize)]
            struct Restored<'a, T> {
                restored: T,
                previous_saved_to: &'a std::path::Path,
            }
            let out = Restored {
                restored: &report,
                previous_saved_to: &safety,
            };
            emit(json, &out, || {
                format!(
                    "restored {} bytes from {}; the previous database was saved to {}\n",
                    report.bytes,
                    path.display(),
                    safety.display()
                )
            })?;
        }
        MemoryCommand::Export { path } => export(&memory, path, json)?,
        MemoryCommand::Import(args) => import(&mut memory, args, json)?,
        MemoryCommand::Stats => {
            let stats = memory.stats()?;
            emit(json, &stats, || {
                format!(
                    "{}\nschema v{}, {} KiB (+{} KiB WAL)\nsessions {}  messages {}  tasks {}  thoughts {}  knowledge {}  preferences {}\n",
                    memory.path().display(),
                    stats.schema_version,
                    stats.file_bytes >> 10,
                    stats.wal_bytes >> 10,
                    stats.sessions,
                    stats.messages,
                    stats.tasks,
                    stats.thoughts,
                    stats.knowledge,
                    stats.preferences
                )
            })?;
        }
        MemoryCommand::Cleanup => {
            let backup = if app.config().settings().memory.long_term.backup_enabled {
                Some(backup_before(app, &memory, "pre-cleanup")?)
            } else {
                None
            };
            let report = memory.cleanup(crate::clock::now_ms())?;
            #[derive(Serialize)]
            struct Cleaned<'a, T> {
                deleted: T,
                backup: Option<&'a std::path::Path>,
            }
            emit(
                json,
                &Cleaned {
                    deleted: &report,
                    backup: backup.as_deref(),
                },
                || format!("deleted {report:?}\n"),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn knowledge(
    memory: &mut crate::memory::Memory,
    cmd: KnowledgeCommand,
    json: bool,
) -> anyhow::Result<()> {
    match cmd {
        KnowledgeCommand::Add {
            text,
            topic,
            source,
        } => {
            let text = if text == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
            } else {
                text
            };
            let id = memory.add_knowledge(&topic, text.trim(), &source, None)?;
            emit(json, &serde_json::json!({ "id": id }), || {
                format!("remembered as knowledge #{id}\n")
            })
        }
        KnowledgeCommand::Search { query, limit } => {
            let hits = memory.search_knowledge(&query, limit)?;
            emit(json, &hits, || {
                if hits.is_empty() {
                    return "no knowledge matches\n".into();
                }
                hits.iter()
                    .map(|h| format!("#{} [{}] {}\n", h.id, h.topic, h.content))
                    .collect()
            })
        }
    }
}

/// Backs the database up into `<data_dir>/backups/<label>-<time>.db` and returns the path.
fn backup_before(
    app: &App,
    memory: &crate::memory::Memory,
    label: &str,
) -> anyhow::Result<PathBuf> {
    let dir = app.config().data_dir().join(BACKUP_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = rfc3339_ms(crate::clock::now_ms()).replace(':', "-");
    let path = dir.join(format!("{label}-{stamp}.db"));
    memory
        .backup_to(&path)
        .with_context(|| format!("cannot write the safety backup {}", path.display()))?;
    Ok(path)
}

fn export(memory: &crate::memory::Memory, path: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let Some(path) = path else {
        // The records are the output: no summary may follow them on standard output.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        memory.export(&mut out)?;
        return Ok(out.flush()?);
    };
    let file = std::fs::File::create_new(&path)
        .with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let counts = memory.export(&mut out)?;
    out.flush()?;
    emit(json, &counts, || {
        format!("exported to {}: {counts:?}\n", path.display())
    })
}

fn import(memory: &mut crate::memory::Memory, args: ImportArgs, json: bool) -> anyhow::Result<()> {
    let reader: Box<dyn BufRead> = if args.path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.path)
            .with_context(|| format!("cannot open {}", args.path.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let stdout = std::io::stdout();
    let counts = memory.import(reader, |progress| {
        if args.ack {
            let mut out = stdout.lock();
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&progress).unwrap_or_default()
            );
            let _ = out.flush();
        }
    })?;
    emit(json, &counts, || {
        format!(
            "imported {}; {} already present\n",
            describe(&counts.imported),
            counts.skipped
        )
    })
}

fn describe(c: &crate::memory::RecordCounts) -> String {
    format!(
        "{} sessions, {} messages, {} preferences, {} tasks, {} thoughts, {} knowledge, {} facts",
        c.sessions, c.messages, c.preferences, c.tasks, c.thoughts, c.knowledge, c.facts
    )
}
