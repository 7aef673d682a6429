//! The `zwave` section: the Z-Wave USB stick MIRAI drives over its Serial API, and the names
//! and areas of its nodes (Z-Wave nodes carry no names of their own).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bounds;

/// The Z-Wave controller.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Zwave {
    /// Drive the stick (`mirai serve`, and the in-process agent of `ask`/`terminal`).
    pub enabled: bool,
    /// A device path (`/dev/serial/by-id/…` survives re-plugging) or `tcp://host:port`.
    pub port: Option<String>,
    /// How long to wait for SerialApiStarted after the soft reset.
    #[serde(
        rename = "started_wait_ms",
        deserialize_with = "bounds::millis::<_, 0, 10000>",
        serialize_with = "bounds::ser_millis"
    )]
    pub started_wait: Duration,
    /// How long a listening node has to answer RequestNodeInfo at start-up.
    #[serde(
        rename = "node_info_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 60>",
        serialize_with = "bounds::ser_secs"
    )]
    pub node_info_timeout: Duration,
    /// How long a node has to answer a Get.
    #[serde(
        rename = "report_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 60>",
        serialize_with = "bounds::ser_secs"
    )]
    pub report_timeout: Duration,
    /// How long a one-shot command (`mirai ask`) waits for start-up before going on without.
    #[serde(
        rename = "ready_timeout_s",
        deserialize_with = "bounds::secs::<_, 1, 600>",
        serialize_with = "bounds::ser_secs"
    )]
    pub ready_timeout: Duration,
    /// Names, areas and kinds of nodes, by node id.
    pub nodes: BTreeMap<u8, ZwaveNode>,
}

impl Default for Zwave {
    fn default() -> Self {
        Zwave {
            enabled: false,
            port: None,
            started_wait: Duration::from_millis(1500),
            node_info_timeout: Duration::from_secs(10),
            report_timeout: Duration::from_secs(10),
            ready_timeout: Duration::from_secs(60),
            nodes: BTreeMap::new(),
        }
    }
}

/// What people call one node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZwaveNode {
    /// Its name ("Kitchen light"); "Z-Wave node N" when absent.
    pub name: Option<String>,
    /// Other names, in any language.
    pub aliases: Vec<String>,
    /// The area id (`kitchen`).
    pub area: Option<String>,
    /// What a switch drives: `light` or `switch` (by its command classes when absent).
    pub kind: Option<ZwaveKind>,
}

/// The entity a switching node becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZwaveKind {
    /// `light.zwave_N`.
    Light,
    /// `switch.zwave_N`.
    Switch,
}

/// `zwave.port` and `zwave.nodes`: a port that can be opened, node ids in range.
pub(super) fn check(z: &Zwave) -> Result<(), (&'static str, String)> {
    // No port is fine: the board profile's Z-Wave paths are tried at start.
    if let Some(port) = z.port.as_deref() {
        check_port(port).map_err(|m| ("zwave.port", m))?;
    }
    if let Some(id) = z.nodes.keys().find(|id| !(1..=232).contains(*id)) {
        return Err(("zwave.nodes", format!("node id {id} is not within 1..=232")));
    }
    let blank = |s: &Option<String>| s.as_deref().is_some_and(|s| s.trim().is_empty());
    if let Some((id, _)) = z
        .nodes
        .iter()
        .find(|(_, n)| blank(&n.name) || blank(&n.area))
    {
        return Err((
            "zwave.nodes",
            format!("node {id}: name and area must not be empty"),
        ));
    }
    Ok(())
}

pub(super) fn check_port(port: &str) -> Result<(), String> {
    if port.trim().is_empty() {
        return Err("must not be empty: a /dev/serial/by-id/… path or tcp://host:port".into());
    }
    if let Some(addr) = port.strip_prefix("tcp://") {
        let ok = addr
            .rsplit_once(':')
            .is_some_and(|(host, p)| !host.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !ok {
            return Err(format!("expected tcp://host:port, got {port:?}"));
        }
    } else if port.contains("://") {
        return Err(format!(
            "expected a device path or tcp://host:port, got {port:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert!(check_port("/dev/serial/by-id/usb-0658_0200-if00").is_ok());
        assert!(check_port("tcp://127.0.0.1:5555").is_ok());
        assert!(check_port("tcp://stick.lan:3333").is_ok());
        for bad in [
            "",
            "  ",
            "tcp://",
            "tcp://host",
            "tcp://:5555",
            "tcp://h:0",
            "udp://h:1",
        ] {
            assert!(check_port(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_port_is_left_to_the_board_and_node_ids_are_in_range() {
        let on = Zwave {
            enabled: true,
            ..Zwave::default()
        };
        assert!(check(&on).is_ok());
        assert!(check(&Zwave::default()).is_ok());
        let mut nodes = Zwave::default();
        nodes.nodes.insert(0, ZwaveNode::default());
        assert_eq!(check(&nodes).unwrap_err().0, "zwave.nodes");
    }
}

#[cfg(test)]
mod loading {
    use std::path::PathBuf;

    use crate::config::{Config, Env, Origin, ZwaveKind};

    fn load(text: &str) -> Result<Config, String> {
        let origin = Origin::File(PathBuf::from("mirai.yaml"));
        Config::from_text(text, origin, None, &Env::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn nodes_by_id_with_names_areas_and_kinds() {
        let text = "zwave:\n  enabled: true\n  port: tcp://127.0.0.1:5555\n  nodes:\n    \
                    5: {name: Kitchen light, area: kitchen, kind: light}\n";
        let config = load(text).unwrap();
        let node = &config.settings().zwave.nodes[&5];
        assert_eq!(node.name.as_deref(), Some("Kitchen light"));
        assert_eq!(node.kind, Some(ZwaveKind::Light));
    }

    #[test]
    fn a_bad_port_or_kind_names_the_key_and_its_place() {
        let e = load("zwave:\n  port: tcp://stick\n").unwrap_err();
        assert!(
            e.starts_with("mirai.yaml:2:3: zwave.port: expected tcp://"),
            "{e}"
        );
        let e = load("zwave:\n  nodes:\n    5: {kind: lamp}\n").unwrap_err();
        assert!(e.starts_with("mirai.yaml:3:"), "{e}");
    }
}
