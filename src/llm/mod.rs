//! The OpenAI client: how MIRAI talks to OpenAI and OpenAI-compatible servers.

pub mod breaker;
pub mod budget;
pub mod retry;
