//! `mirai zwave …` and a Z-Wave node through `mirai ask --local`, against the zwave-js mock
//! controller (`tests/zwave/house.js`: node 2 a binary switch, 3 a dimmer, 4 a thermometer).

use crate::Hub;
use crate::zwave_mock::ZwaveMock;

/// A hub whose config points `zwave.port` at `mock`, node 2 named "Hall lamp" (a light).
fn hub_on(port: &str) -> Hub {
    let hub = Hub::scratch();
    hub.write_config(&format!(
        "zwave:\n  enabled: true\n  port: {port}\n  report_timeout_s: 3\n  nodes:\n    \
         2: {{name: Hall lamp, area: hall, kind: light}}\n"
    ));
    hub
}

fn run(hub: &Hub, args: &[&str]) -> crate::Run {
    let mut all = vec!["--config", "mirai.yaml"];
    all.extend_from_slice(args);
    hub.run(&all)
}

#[test]
fn nodes_set_and_get_against_the_mock() {
    let mock = ZwaveMock::start("house.js");
    let hub = hub_on(&mock.url());
    let nodes = run(&hub, &["zwave", "nodes", "--json"]).expect(0).json();
    let ids: Vec<u64> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [2, 3, 4]);
    assert_eq!(nodes[0]["name"], "Hall lamp");
    assert_eq!(nodes[0]["entities"][0], "light.zwave_2");
    // A sensor's entities come with its types, read by `get` (and by the daemon at start).
    assert_eq!(nodes[2]["command_classes"][0], 0x31);

    let set = run(&hub, &["zwave", "set", "2", "on", "--json"])
        .expect(0)
        .json();
    assert_eq!(set["entities"][0]["state"], "on");
    let got = run(&hub, &["zwave", "get", "2"]).expect(0).stdout();
    assert!(
        got.contains("light.zwave_2") && got.contains(" on"),
        "{got}"
    );
    let dim = run(&hub, &["zwave", "set", "3", "40", "--json"])
        .expect(0)
        .json();
    assert_eq!(dim["entities"][0]["attributes"]["level"], 40);
    let temp = run(&hub, &["zwave", "get", "4", "--json"]).expect(0).json();
    assert_eq!(temp["entities"][0]["state"], "21.5");
    let info = run(&hub, &["zwave", "info", "--json"]).expect(0).json();
    assert_eq!(info["home_id"], "C0FFEE07");

    let err = run(&hub, &["zwave", "set", "9", "on"]).expect(1).stderr();
    assert!(
        err.contains("node 9 is not in the network (nodes: 2, 3, 4)"),
        "{err}"
    );
    let err = run(&hub, &["zwave", "set", "2", "bright"])
        .expect(2)
        .stderr();
    assert!(err.contains("on, off or a level 0–99"), "{err}");
}

#[test]
fn ask_local_turns_on_a_named_node_through_the_intents() {
    let mock = ZwaveMock::start("house.js");
    let hub = hub_on(&mock.url());
    let v = run(&hub, &["ask", "--local", "--json", "turn on the hall lamp"])
        .expect(0)
        .json();
    assert_eq!(v["actions"][0]["entity"], "light.zwave_2", "{v}");
    assert_eq!(v["actions"][0]["outcome"], "done", "{v}");
    let got = run(&hub, &["zwave", "get", "2", "--json"]).expect(0).json();
    assert_eq!(got["entities"][0]["state"], "on");
}

#[test]
fn inclusion_prints_its_steps_as_json_lines() {
    let mock = ZwaveMock::start("inclusion.js");
    let hub = hub_on(&mock.url());
    let out = run(&hub, &["zwave", "include", "--timeout", "30", "--json"])
        .expect(0)
        .stdout();
    let steps: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps[0]["step"], "ready");
    assert_eq!(steps.last().unwrap()["step"], "done");
    assert_eq!(steps.last().unwrap()["node"], 5);
}

#[test]
fn no_port_or_an_unreachable_one_is_a_clear_error() {
    let hub = Hub::scratch();
    let err = hub.run(&["zwave", "nodes"]).expect(1).stderr();
    assert!(err.contains("no zwave.port configured"), "{err}");
    let hub = hub_on("tcp://127.0.0.1:9");
    let err = run(&hub, &["zwave", "nodes"]).expect(1).stderr();
    assert!(
        err.contains("cannot reach the Z-Wave stick at tcp://127.0.0.1:9"),
        "{err}"
    );
    hub.write_config("zwave:\n  port: tcp://stick\n");
    let err = run(&hub, &["zwave", "nodes"]).expect(2).stderr();
    assert!(err.contains("mirai.yaml:2:3: zwave.port"), "{err}");
}
