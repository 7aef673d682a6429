//! `mirai zwave …` and a Z-Wave node through `mirai ask --local`, against the zwave-js mock
//! controller (`tests/zwave/house.js`: node 2 a binary switch, 3 a dimmer, 4 a thermometer;
//! `exclusion.js`: node 3 leaves when asked; `devices.js`: a multisensor, a metering plug, a
//! thermostat), in this process; through a running daemon in
//! `zwave_daemon.rs`.

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

pub(crate) fn run(hub: &Hub, args: &[&str]) -> crate::Run {
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
fn get_shows_every_entity_of_a_node() {
    let mock = ZwaveMock::start("devices.js");
    let hub = hub_on(&mock.url());
    let ids = |v: &serde_json::Value| -> Vec<String> {
        (v["entities"].as_array().unwrap().iter())
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The multisensor lists its types: each is an entity, read now.
    let sensor = run(&hub, &["zwave", "get", "5", "--json"]).expect(0).json();
    let all = ids(&sensor);
    assert!(
        all.contains(&"sensor.zwave_5_temperature".into())
            && all.contains(&"sensor.zwave_5_humidity".into()),
        "{sensor}"
    );
    let thermostat = run(&hub, &["zwave", "get", "7"]).expect(0).stdout();
    assert!(
        thermostat.contains("climate.zwave_7") && thermostat.contains("19.5°C"),
        "{thermostat}"
    );
    let plug = run(&hub, &["zwave", "get", "6", "--json"]).expect(0).json();
    assert!(
        ids(&plug).contains(&"sensor.zwave_6_energy".into()),
        "{plug}"
    );
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
    assert!(err.contains("zwave.port is not set"), "{err}");
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

#[test]
fn exclusion_prints_its_steps_and_the_node_leaves() {
    let mock = ZwaveMock::start("exclusion.js");
    let hub = hub_on(&mock.url());
    let out = run(&hub, &["zwave", "exclude", "--timeout", "30", "--json"])
        .expect(0)
        .stdout();
    let steps: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(names, ["ready", "node_found", "removing", "done"], "{out}");
    assert_eq!(steps[0]["seconds"], 30);
    assert_eq!(steps[3]["node"], 3);
    let nodes = run(&hub, &["zwave", "nodes", "--json"]).expect(0).json();
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    assert_eq!(nodes[0]["id"], 2);

    // Nobody else leaves: piped without --json, plain lines, then the timeout as the error.
    let quiet = run(&hub, &["zwave", "exclude", "--timeout", "2"]).expect(1);
    let lines = quiet.stdout();
    assert!(lines.contains("press its exclusion button"), "{lines}");
    assert!(lines.contains("no node came within 2 s"), "{lines}");
    assert!(
        !lines.contains('\r'),
        "no status line when piped: {lines:?}"
    );
    assert!(quiet.stderr().contains("no node left within 2 s"));
}

#[test]
fn in_a_terminal_the_steps_are_one_status_line_with_the_time_left() {
    use std::io::Read as _;
    use std::os::fd::{FromRawFd as _, OwnedFd};
    use std::time::{Duration, Instant};

    let mock = ZwaveMock::start("house.js");
    let hub = hub_on(&mock.url());
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: out-pointers to two ints; no name, default termios and size.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fresh descriptors that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = hub
        .cmd(&[
            "--config",
            "mirai.yaml",
            "zwave",
            "exclude",
            "--timeout",
            "1",
        ])
        .stdout(std::process::Stdio::from(slave))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The reader ends when the child's side of the pty closes (EIO on Linux).
    let reader = std::thread::spawn(move || {
        let mut master = std::fs::File::from(master);
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&raw).into_owned()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "mirai zwave exclude did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(1),
        "nobody left: the timeout is the error"
    );
    let screen = reader.join().unwrap();
    assert!(screen.contains("\r\x1b[2K"), "redrawn in place: {screen:?}");
    assert!(
        screen.contains("press its exclusion button") && screen.contains("s left"),
        "the step and the time left: {screen:?}"
    );
    assert!(screen.contains('⠋'), "a spinner: {screen:?}");
    assert!(screen.contains("no node came within 1 s"), "{screen:?}");
}
