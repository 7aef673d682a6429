//! Front ends: the ways people reach the agent. Each turns what it hears into a
//! [`Request`](crate::agent::Request) and shows the [`Reply`](crate::agent::Reply).

pub mod terminal;
