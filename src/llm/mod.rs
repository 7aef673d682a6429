//! The OpenAI client: how MIRAI talks to OpenAI and OpenAI-compatible servers.

pub mod sse;
pub mod wire;
