//! Zigbee as MIRAI's own coordinator (issue #10).
//!
//! # Layout
//!
//! - [`zcl`]: the Zigbee Cluster Library: frames, data types, global commands, the clusters
//!   MIRAI knows, and what to configure on a device that joined. Pure: no I/O.
//! - [`device`]: a joined device as the hub keeps it: addresses, endpoints, clusters, readings.
//! - [`entities`]: a device as registry entities, its state from reports, and what a service
//!   call asks of it as ZCL commands. Pure: no I/O.

pub mod device;
pub mod entities;
pub mod zcl;
