//! The Zigbee2MQTT back end against a real Mosquitto and a fake Zigbee2MQTT that publishes and
//! answers in Zigbee2MQTT's documented formats (`support/fake_z2m.rs`): discovery of a bulb, a
//! plug, an Aqara temperature / humidity sensor, a motion sensor, a contact sensor and a
//! 2-gang switch; state updates; calls that end as `/set` with the state coming back;
//! availability; rename and removal; bad payloads; a broker restart; permit join. The daemon
//! half (`mirai serve` and the CLI) is in `z2m/daemon.rs`'s scenario below.

mod support {
    pub mod fake_z2m;
    pub mod mosquitto;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use mirai::devices::zigbee2mqtt::{Settings, Z2mError, Zigbee2Mqtt};
use mirai::devices::{Backend, DeviceError, Entity, Outcome, ServiceCall};
use serde_json::{Value, json};

use support::fake_z2m::{DEVICES, FakeZ2m};
use support::mosquitto::{Mosquitto, WAIT};

#[path = "z2m/daemon.rs"]
mod daemon;

/// The back end on `broker` as client `id`, its device list loaded (a blocking wait, off the
/// test's async workers).
async fn backend(broker: &Mosquitto, id: &str) -> Arc<Zigbee2Mqtt> {
    let mut settings = Settings::new("127.0.0.1", broker.port(), id);
    settings.reply_timeout = Duration::from_secs(2);
    tokio::task::spawn_blocking(move || {
        let z = Arc::new(Zigbee2Mqtt::start(settings).unwrap());
        assert!(z.wait_listed(WAIT), "no device list: {:?}", z.status());
        z
    })
    .await
    .unwrap()
}

/// Waits (bounded) until entity `id` satisfies `want`; the entity then.
async fn until(z: &Zigbee2Mqtt, id: &str, want: impl Fn(&Entity) -> bool) -> Entity {
    let deadline = Instant::now() + WAIT;
    loop {
        let e = z.entity(id);
        match e {
            Some(e) if want(&e) => return e,
            _ if Instant::now() > deadline => panic!("{id} never got there: {e:?}"),
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

fn state(s: &'static str) -> impl Fn(&Entity) -> bool {
    move |e| e.state == s
}

/// Runs a blocking call (it waits for the device) off the test's async workers.
async fn call(z: &Arc<Zigbee2Mqtt>, c: ServiceCall) -> Result<Outcome, DeviceError> {
    let z = z.clone();
    tokio::task::spawn_blocking(move || z.call(&c))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_become_entities_and_states_follow() {
    let broker = Mosquitto::start();
    let fake = FakeZ2m::start(&broker).await;
    let z = backend(&broker, "mirai-z2m-a").await;
    let ids: Vec<String> = z.entities().into_iter().map(|e| e.id).collect();
    assert_eq!(z.status().devices, 8, "the coordinator is not a device");
    for id in [
        "light.kitchen_ceiling",
        "switch.desk_plug",
        "sensor.bedroom_climate_temperature",
        "binary_sensor.hall_motion_occupancy",
        "binary_sensor.front_door_contact",
        "switch.hall_switch_l1",
        "switch.hall_switch_l2",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} not in {ids:?}");
    }
    assert!(z.areas().iter().any(|a| a.id == "kitchen"));
    // Payloads from "MQTT Topics and Messages": the sensor, the motion sensor, the bulb.
    fake.publish(
        "bedroom/climate",
        r#"{"temperature":27.34,"humidity":44.72}"#,
        false,
    )
    .await;
    fake.publish("hall/motion", r#"{"occupancy":true}"#, false)
        .await;
    fake.publish(
        "kitchen/ceiling",
        r#"{"state":"ON","brightness":215,"color_temp":325}"#,
        false,
    )
    .await;
    fake.publish("front door", r#"{"contact":true,"battery":100}"#, false)
        .await;
    let t = until(&z, "sensor.bedroom_climate_temperature", state("27.34")).await;
    assert_eq!(t.attributes["unit_of_measurement"], "°C");
    assert_eq!(t.device_class.as_deref(), Some("temperature"));
    assert_eq!(t.backend, "");
    until(&z, "sensor.bedroom_climate_humidity", state("44.72")).await;
    until(&z, "binary_sensor.hall_motion_occupancy", state("on")).await;
    until(&z, "binary_sensor.front_door_contact", state("off")).await;
    let light = until(&z, "light.kitchen_ceiling", state("on")).await;
    assert_eq!(light.attributes["brightness"], json!(216.0));
    // A partial update keeps the rest.
    fake.publish("kitchen/ceiling", r#"{"brightness":100}"#, false)
        .await;
    let light = until(&z, "light.kitchen_ceiling", |e| {
        e.attributes["brightness"] == json!(100.0)
    })
    .await;
    assert_eq!(
        (light.state.as_str(), &light.attributes["color_temp"]),
        ("on", &json!(325.0))
    );
    assert_eq!(z.status().applied, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_end_as_set_and_return_the_reported_state() {
    let broker = Mosquitto::start();
    let mut fake = FakeZ2m::start(&broker).await;
    let z = backend(&broker, "mirai-z2m-b").await;
    let on = ServiceCall::new("light.kitchen_ceiling", "turn_on").with("brightness_pct", 50);
    let done = call(&z, on).await.unwrap();
    assert_eq!(done, Outcome::Done { state: "on".into() });
    assert_eq!(
        fake.next_set().await,
        (
            "kitchen/ceiling".into(),
            json!({"state": "ON", "brightness": 127})
        )
    );
    assert_eq!(
        z.entity("light.kitchen_ceiling").unwrap().attributes["brightness"],
        json!(128.0)
    );
    let l2 = call(&z, ServiceCall::new("switch.hall_switch_l2", "turn_on"))
        .await
        .unwrap();
    assert_eq!(l2, Outcome::Done { state: "on".into() });
    assert_eq!(
        fake.next_set().await,
        ("hall switch".into(), json!({"state_l2": "ON"}))
    );
    assert_eq!(
        z.entity("switch.hall_switch_l1").unwrap().state,
        "unknown",
        "l1 untouched"
    );
    let toggled = call(&z, ServiceCall::new("switch.hall_switch_l2", "toggle"))
        .await
        .unwrap();
    assert_eq!(
        toggled,
        Outcome::Done {
            state: "off".into()
        }
    );
    fake.next_set().await;
    // A device that does not report back: no pretend success.
    fake.silent.store(true, std::sync::atomic::Ordering::SeqCst);
    let started = Instant::now();
    let quiet = call(&z, ServiceCall::new("switch.desk_plug", "turn_on"))
        .await
        .unwrap();
    let Outcome::Refused { reason } = quiet else {
        panic!("{quiet:?}")
    };
    assert!(
        reason.contains("did not report back within 2 s"),
        "{reason}"
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(
        fake.next_set().await,
        ("desk plug".into(), json!({"state": "ON"}))
    );
    // Bad data is refused before anything is sent.
    let bad = ServiceCall::new("light.kitchen_ceiling", "turn_on").with("brightness_pct", 300);
    assert!(matches!(call(&z, bad).await, Err(DeviceError::BadData(_))));
    let sensor = ServiceCall::new("sensor.bedroom_climate_temperature", "turn_on");
    assert!(matches!(
        call(&z, sensor).await,
        Err(DeviceError::UnknownService { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_bridge_state_and_permit_join() {
    let broker = Mosquitto::start();
    let mut fake = FakeZ2m::start(&broker).await;
    let z = backend(&broker, "mirai-z2m-c").await;
    fake.publish("hall/motion", r#"{"occupancy":false}"#, false)
        .await;
    until(&z, "binary_sensor.hall_motion_occupancy", state("off")).await;
    fake.publish("hall/motion/availability", r#"{"state":"offline"}"#, true)
        .await;
    until(
        &z,
        "binary_sensor.hall_motion_occupancy",
        state("unavailable"),
    )
    .await;
    fake.publish("hall/motion/availability", "online", true)
        .await; // the legacy payload
    until(&z, "binary_sensor.hall_motion_occupancy", state("off")).await;
    let data = tokio::task::spawn_blocking({
        let z = z.clone();
        move || z.permit_join(60)
    });
    let asked = tokio::time::timeout(WAIT, fake.permits.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(asked["time"], 60);
    assert_eq!(data.await.unwrap().unwrap(), json!({"time": 60}));
    fake.refuse_permit
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let refused = tokio::task::spawn_blocking({
        let z = z.clone();
        move || z.permit_join(0)
    });
    let err = refused.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Z2mError::Refused(why) if why == "Adapter is busy"),
        "{err}"
    );
    fake.publish("bridge/state", r#"{"state":"offline"}"#, true)
        .await;
    until(&z, "switch.desk_plug", state("unavailable")).await;
    until(
        &z,
        "sensor.bedroom_climate_temperature",
        state("unavailable"),
    )
    .await;
    let err = call(&z, ServiceCall::new("switch.desk_plug", "turn_on"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("offline"), "{err}");
    fake.publish("bridge/state", "online", true).await;
    until(&z, "switch.desk_plug", state("unknown")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_removals_bad_payloads_and_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let fake = FakeZ2m::start(&broker).await;
    let z = backend(&broker, "mirai-z2m-d").await;
    fake.publish("desk plug", r#"{"state":"ON","power":12.5}"#, false)
        .await;
    until(&z, "sensor.desk_plug_power", state("12.5")).await;
    // Bad payloads: logged and counted, the last good state kept.
    fake.publish("desk plug", "not json", false).await;
    fake.publish("desk plug", "[1,2,3]", false).await;
    fake.publish(
        "desk plug",
        format!("{{\"power\":1,\"pad\":\"{}\"}}", "x".repeat(100_000)),
        false,
    )
    .await;
    fake.publish("hall/motion/availability", "maybe", false)
        .await;
    fake.publish("bridge/devices", r#"{"not":"a list"}"#, false)
        .await;
    let deadline = Instant::now() + WAIT;
    while z.status().rejected < 5 {
        assert!(Instant::now() < deadline, "{:?}", z.status());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(z.entity("sensor.desk_plug_power").unwrap().state, "12.5");
    assert_eq!(z.status().devices, 8, "a bad list keeps the devices");
    // Rename the plug, remove the contact sensor.
    let mut list: Value = serde_json::from_str(DEVICES).unwrap();
    let devices = list.as_array_mut().unwrap();
    devices.retain(|d| d["friendly_name"] != "front door");
    for d in devices
        .iter_mut()
        .filter(|d| d["friendly_name"] == "desk plug")
    {
        d["friendly_name"] = json!("office/plug");
    }
    fake.set_devices(list.to_string()).await;
    until(&z, "sensor.office_plug_power", state("12.5")).await;
    assert!(z.entity("switch.desk_plug").is_none());
    assert!(z.entity("binary_sensor.front_door_contact").is_none());
    assert!(z.areas().iter().any(|a| a.id == "office"));
    // The broker restarts (sessions and retained messages lost): the link comes back,
    // subscribes again, and states flow.
    broker.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        fake.publish("office/plug", r#"{"power":40}"#, false).await;
        if z.entity("sensor.office_plug_power").unwrap().state == "40" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no state after the restart: {:?}",
            z.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(z.status().connected);
}
