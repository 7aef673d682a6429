//! MIRAI: a home agent that lives on a Raspberry Pi-class hub.
//!
//! One binary, `mirai`, hears requests, thinks with OpenAI models, remembers in a local
//! SQLite file and acts on the devices of the house. See `ARCHITECTURE.md` in the shared
//! folder for the whole map; this crate is built up issue by issue along it.
//!
//! # Layout
//!
//! - [`cli`]: the command line: flags, subcommands, output, exit codes.
//! - [`app`]: wiring: turns the command line and the config into the parts a command uses.
//! - [`board`]: board profiles (built in) and detection from the device-tree model.
//! - [`agent`]: the agent: safety gates, local intents, the cognitive loop, persona.
//! - [`config`]: the one YAML file: defaults, validation with line and column, env overrides, secrets.
//! - [`telemetry`]: JSON logs with rotation and redaction, health checks, build info, identity.
//! - [`devices`]: the device registry and its back ends (the demo house).
//! - [`llm`]: the OpenAI client: wire format, streaming, retries, circuit breaker, routing, budget.
//! - [`memory`]: the SQLite file: schema, migrations, the memory API, search, backup and export.
//! - [`clock`]: wall-clock time as Unix milliseconds and its RFC 3339 spelling.
//! - [`frontends`]: the ways people reach the agent: the terminal.

pub mod agent;
pub mod app;
pub mod autonomous;
pub mod board;
pub mod cli;
pub mod clock;
pub mod config;
pub mod devices;
pub mod frontends;
pub mod llm;
pub mod memory;
pub mod telemetry;
