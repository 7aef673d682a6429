//! The Z-Wave driver against the zwave-js mock controller over TCP (`shared/zwave-mock/`),
//! one network file from `tests/zwave/` per scenario: start-up and the node list, node
//! information, switching a binary switch and a dimmer and reading them back, reading a
//! temperature, a node's unsolicited report, a command to a missing node, inclusion, exclusion,
//! a node the memory knows not asked again, and
//! (`devices.js`) a multisensor, a metering plug and a thermostat read into entities.
//! Every wait is for a frame, bounded by the driver's own timeouts and [`WAIT`].

mod support {
    pub mod zwave_mock;
}

use std::collections::BTreeMap;
use std::time::Duration;

use mirai::devices::zwave::command_class::Report;
use mirai::devices::zwave::entities::Nodes;
use mirai::devices::zwave::reading::read_node;
use mirai::devices::zwave::{
    Ended, Exclusion, Inclusion, Network, Node, Query, Target, TxStatus, Zwave, ZwaveError,
    ZwaveSettings,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use support::zwave_mock::ZwaveMock;

/// The longest any scenario may take.
const WAIT: Duration = Duration::from_secs(60);

struct Running {
    zwave: Zwave,
    network: Network,
    task: JoinHandle<Ended>,
    stop: watch::Sender<bool>,
    _mock: ZwaveMock,
}

async fn start(network_file: &str) -> Running {
    let mock = ZwaveMock::start(network_file);
    let (stop, shutdown) = watch::channel(false);
    let started = Zwave::start(ZwaveSettings::new(mock.url()), shutdown).await;
    let (zwave, network, task) = started.unwrap_or_else(|e| panic!("{e}\n{}", mock.log()));
    Running {
        zwave,
        network,
        task,
        stop,
        _mock: mock,
    }
}

impl Running {
    async fn shut_down(self) {
        self.stop.send(true).unwrap();
        assert!(matches!(self.task.await.unwrap(), Ended::Shutdown));
    }
}

fn level(report: &Report) -> u8 {
    match report {
        Report::BinarySwitch(l) | Report::MultilevelSwitch(l) | Report::Basic(l) => l.current,
        other => panic!("not a level report: {other:?}"),
    }
}

fn sensor(report: &Report) -> (u8, f64) {
    match report {
        Report::SensorMultilevel { sensor_type, value } => (*sensor_type, value.value),
        other => panic!("not a sensor report: {other:?}"),
    }
}

#[tokio::test]
async fn start_up_reads_the_controller_and_the_node_list() {
    tokio::time::timeout(WAIT, async {
        let z = start("house.js").await;
        let net = &z.network;
        assert_eq!(net.home_id, 0xC0FF_EE07);
        assert_eq!(net.own_node, 1);
        assert!(net.version.starts_with("Z-Wave "), "{}", net.version);
        let ids: Vec<u8> = net.nodes.iter().map(|n| n.id).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn node_information_gives_device_and_command_classes() {
    tokio::time::timeout(WAIT, async {
        let z = start("house.js").await;
        let switch = z.network.node(2).unwrap();
        assert!(switch.listening);
        assert_eq!((switch.generic, switch.specific), (0x10, 0x01));
        assert!(switch.supports(0x25), "{switch:?}");
        let dimmer = z.network.node(3).unwrap();
        assert_eq!(dimmer.generic, 0x11);
        assert!(dimmer.supports(0x26), "{dimmer:?}");
        assert!(z.network.node(4).unwrap().supports(0x31));
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_binary_switch_and_a_dimmer_switch_and_read_back() {
    tokio::time::timeout(WAIT, async {
        let z = start("house.js").await;
        z.zwave.set(2, Target::Switch(true)).await.unwrap();
        assert_eq!(level(&z.zwave.get(2, Query::Switch).await.unwrap()), 0xFF);
        z.zwave.set(2, Target::Switch(false)).await.unwrap();
        assert_eq!(level(&z.zwave.get(2, Query::Switch).await.unwrap()), 0x00);
        z.zwave.set(3, Target::Level(42)).await.unwrap();
        assert_eq!(level(&z.zwave.get(3, Query::Level).await.unwrap()), 42);
        z.zwave.set(3, Target::Level(0)).await.unwrap();
        assert_eq!(level(&z.zwave.get(3, Query::Level).await.unwrap()), 0);
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_temperature_in_both_scales() {
    tokio::time::timeout(WAIT, async {
        let z = start("house.js").await;
        let celsius = Query::Sensor {
            sensor_type: 1,
            scale: 0,
        };
        assert_eq!(sensor(&z.zwave.get(4, celsius).await.unwrap()), (1, 21.5));
        let fahrenheit = Query::Sensor {
            sensor_type: 1,
            scale: 1,
        };
        assert_eq!(
            sensor(&z.zwave.get(4, fahrenheit).await.unwrap()),
            (1, 70.7)
        );
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_command_to_a_missing_node_is_not_delivered() {
    tokio::time::timeout(WAIT, async {
        let z = start("house.js").await;
        let err = z.zwave.set(9, Target::Switch(true)).await.unwrap_err();
        assert!(
            matches!(
                err,
                ZwaveError::NotDelivered {
                    node: 9,
                    status: TxStatus::NoAck
                }
            ),
            "{err:?}"
        );
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn an_unsolicited_report_reaches_the_report_stream() {
    tokio::time::timeout(WAIT, async {
        let z = start("unsolicited.js").await;
        let mut reports = z.zwave.reports();
        // The network file's node answers a Basic Set with a report nobody asked for.
        z.zwave.set(4, Target::Basic(0xFF)).await.unwrap();
        let got = reports.next().await.unwrap();
        assert_eq!(got.node, 4);
        assert_eq!(sensor(&got.report), (1, 23.5));
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn inclusion_reports_progress_and_returns_the_new_node() {
    tokio::time::timeout(WAIT, async {
        let z = start("inclusion.js").await;
        assert_eq!(z.network.nodes.len(), 1, "{:?}", z.network.nodes);
        let (progress, mut steps) = mpsc::channel(16);
        let node = z.zwave.include(Duration::from_secs(30), progress).await;
        let node = node.unwrap().expect("a node joined");
        assert_eq!(node.id, 5);
        assert!(node.supports(0x25), "{node:?}");
        let mut seen = Vec::new();
        while let Some(step) = steps.recv().await {
            seen.push(step);
        }
        assert_eq!(seen.first(), Some(&Inclusion::Ready));
        assert!(seen.contains(&Inclusion::NodeFound), "{seen:?}");
        assert!(
            seen.iter()
                .any(|s| matches!(s, Inclusion::Adding(n) if n.id == 5))
        );
        assert_eq!(seen.last(), Some(&Inclusion::Done(5)), "{seen:?}");
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn exclusion_reports_progress_and_the_node_leaves_the_node_list() {
    tokio::time::timeout(WAIT, async {
        let z = start("exclusion.js").await;
        let (progress, mut steps) = mpsc::channel(16);
        let left = z.zwave.exclude(Duration::from_secs(30), progress).await;
        assert_eq!(left.unwrap(), Some(3));
        let mut seen = Vec::new();
        while let Some(step) = steps.recv().await {
            seen.push(step);
        }
        assert_eq!(
            seen,
            [
                Exclusion::Ready,
                Exclusion::NodeFound,
                Exclusion::Removing(3),
                Exclusion::Done(3)
            ]
        );
        // The mode is over: a second exclusion starts (Ready) and times out quietly.
        let (progress, _steps) = mpsc::channel(16);
        let again = z.zwave.exclude(Duration::from_millis(500), progress).await;
        assert_eq!(again.unwrap(), None);
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_node_the_memory_knows_is_not_asked_for_its_information_again() {
    tokio::time::timeout(WAIT, async {
        let mock = ZwaveMock::start("house.js");
        let (stop, shutdown) = watch::channel(false);
        // Node 2 as kept, with a marker class the mock would never report; node 3 kept with
        // other device classes (it was replaced), so it is asked again.
        let kept = |id, generic, ccs: &[u8]| Node {
            id,
            basic: 4,
            generic,
            specific: 1,
            listening: true,
            command_classes: ccs.to_vec(),
        };
        let known = [kept(2, 0x10, &[0x25, 0x99]), kept(3, 0x10, &[0x25])];
        let settings = ZwaveSettings::new(mock.url());
        let started = Zwave::start_knowing(settings, &known, shutdown).await;
        let (_zwave, network, task) = started.unwrap_or_else(|e| panic!("{e}\n{}", mock.log()));
        assert_eq!(network.node(2).unwrap().command_classes, [0x25, 0x99]);
        assert_eq!(network.node(3).unwrap().command_classes, [0x26, 0x86]);
        stop.send(true).unwrap();
        assert!(matches!(task.await.unwrap(), Ended::Shutdown));
    })
    .await
    .unwrap();
}

/// `devices.js`'s nodes read as start-up reads them, into the registry's entities.
async fn read_all(z: &Running) -> Nodes {
    let mut nodes = Nodes::new(BTreeMap::new());
    nodes.set_network(&z.network);
    for node in z
        .network
        .nodes
        .iter()
        .filter(|n| n.id != z.network.own_node)
    {
        read_node(&z.zwave, node, |report| {
            nodes.apply(&report);
        })
        .await;
    }
    nodes
}

fn state(nodes: &Nodes, id: &str) -> String {
    let all = || {
        nodes
            .entities()
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    let e = nodes
        .entity(id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", all()));
    e.state
}

#[tokio::test]
async fn a_multisensor_lists_its_types_and_reports_motion() {
    tokio::time::timeout(WAIT, async {
        let z = start("devices.js").await;
        let mut nodes = read_all(&z).await;
        assert_eq!(state(&nodes, "sensor.zwave_5_temperature"), "21.5");
        assert_eq!(state(&nodes, "sensor.zwave_5_humidity"), "45");
        let humidity = nodes.entity("sensor.zwave_5_humidity").unwrap();
        assert_eq!(humidity.device_class.as_deref(), Some("humidity"));
        assert_eq!(humidity.attributes["unit_of_measurement"], "%");
        // Motion is not a state anyone can read; it comes when it happens.
        assert!(nodes.entity("binary_sensor.zwave_5_motion").is_none());
        let mut reports = z.zwave.reports();
        z.zwave.set(5, Target::Basic(0xFF)).await.unwrap();
        let got = reports.next().await.unwrap();
        assert!(nodes.apply(&got), "{got:?}");
        assert_eq!(state(&nodes, "binary_sensor.zwave_5_motion"), "on");
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_metering_plug_reports_energy_and_its_power_when_switched() {
    tokio::time::timeout(WAIT, async {
        let z = start("devices.js").await;
        let mut nodes = read_all(&z).await;
        assert_eq!(state(&nodes, "switch.zwave_6"), "off");
        assert_eq!(state(&nodes, "sensor.zwave_6_energy"), "12.34");
        assert_eq!(state(&nodes, "sensor.zwave_6_power"), "0");
        let energy = nodes.entity("sensor.zwave_6_energy").unwrap();
        assert_eq!(energy.attributes["unit_of_measurement"], "kWh");
        assert_eq!(energy.attributes["state_class"], "total_increasing");
        let mut reports = z.zwave.reports();
        z.zwave.set(6, Target::Switch(true)).await.unwrap();
        let got = reports.next().await.unwrap();
        assert!(nodes.apply(&got), "{got:?}");
        assert_eq!(state(&nodes, "sensor.zwave_6_power"), "60");
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_thermostat_takes_a_mode_and_a_setpoint() {
    tokio::time::timeout(WAIT, async {
        let z = start("devices.js").await;
        let nodes = read_all(&z).await;
        let climate = nodes.entity("climate.zwave_7").unwrap();
        assert_eq!(climate.attributes["temperature"], 20.0);
        assert_eq!(climate.attributes["current_temperature"], 19.5);
        z.zwave.set(7, Target::Mode(1)).await.unwrap();
        let mode = z.zwave.get(7, Query::Mode).await.unwrap();
        assert_eq!(mode, Report::ThermostatMode { mode: 1 });
        let warmer = Target::Setpoint {
            setpoint_type: 1,
            value: 22.5,
            scale: 0,
        };
        z.zwave.set(7, warmer).await.unwrap();
        match z.zwave.get(7, Query::Setpoint(1)).await.unwrap() {
            Report::ThermostatSetpoint { value, .. } => assert_eq!(value.value, 22.5),
            other => panic!("not a setpoint: {other:?}"),
        }
        z.shut_down().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_scene_paddle_sends_a_central_scene_notification() {
    tokio::time::timeout(WAIT, async {
        let z = start("devices.js").await;
        let mut reports = z.zwave.reports();
        z.zwave.set(8, Target::Switch(true)).await.unwrap();
        let got = reports.next().await.unwrap();
        assert_eq!(got.node, 8);
        assert!(
            matches!(
                got.report,
                Report::CentralScene {
                    scene: 1,
                    key_attribute: 0,
                    ..
                }
            ),
            "{got:?}"
        );
        z.shut_down().await;
    })
    .await
    .unwrap();
}
