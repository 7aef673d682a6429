//! `mirai board`: detection from a model file written like the kernel's (a NUL at the end),
//! the profile and pins it gives, a board named in the config, and GPIO reported unavailable
//! on a machine without it (these tests run on one).

use super::Hub;

fn model_file(hub: &Hub, model: &str) -> String {
    let path = hub.path().join("model");
    let mut bytes = model.as_bytes().to_vec();
    bytes.push(0);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn a_pi_4_is_detected_with_its_pins_and_serial_paths() {
    let hub = Hub::scratch();
    let model = model_file(&hub, "Raspberry Pi 4 Model B Rev 1.4");
    let config = hub.write_config(
        "gpio:\n  enabled: true\n  button: {action: morning briefing}\n  relays:\n    \
         - {pin: 22, name: Garden pump, area: garden}\n",
    );
    let config = config.to_str().unwrap();
    let args = ["--config", config, "board", "--model-file", &model];
    let json = hub.run(&[&args[..], &["--json"]].concat()).expect(0).json();
    assert_eq!(json["detected"]["model"], "Raspberry Pi 4 Model B Rev 1.4");
    assert_eq!(json["detected"]["source"], model.as_str());
    assert_eq!(json["choice"], "detected");
    assert_eq!(json["profile"]["name"], "rpi4b");
    assert_eq!(json["profile"]["target"], "aarch64-unknown-linux-gnu");
    let plan = &json["gpio"]["plan"];
    assert_eq!(plan["led"]["pin"], 17);
    assert_eq!(plan["button"]["pin"], 27);
    assert_eq!(plan["button"]["active_low"], true);
    assert_eq!(plan["button"]["debounce_ms"], 30);
    assert_eq!(plan["button"]["action"]["ask"], "morning briefing");
    assert_eq!(json["gpio"]["relays"][0][1], "Garden pump");
    // This machine is no Pi: rppal cannot open the header, and says so.
    assert_eq!(json["gpio"]["available"], false);
    assert!(
        json["gpio"]["error"]
            .as_str()
            .unwrap()
            .contains("Raspberry Pi")
    );
    let zwave = json["zwave"]["patterns"].as_array().unwrap();
    assert!(zwave.iter().any(|p| p == "/dev/serial0"), "{zwave:?}");

    let text = hub.run(&args).expect(0).stdout();
    assert!(
        text.contains("model:   Raspberry Pi 4 Model B Rev 1.4"),
        "{text}"
    );
    assert!(text.contains("profile: rpi4b (detected"), "{text}");
    assert!(text.contains("gpio:    unavailable"), "{text}");
    assert!(
        text.contains("GPIO22 (active low) \"Garden pump\" (switch.gpio_22)"),
        "{text}"
    );
    assert!(text.contains("asks \"morning briefing\""), "{text}");
}

#[test]
fn an_unknown_machine_gets_the_generic_profile_and_a_named_board_wins() {
    let hub = Hub::scratch();
    let model = model_file(&hub, "Some Other Board v2");
    let json = hub
        .run(&["board", "--model-file", &model, "--json"])
        .expect(0)
        .json();
    assert_eq!(json["profile"]["name"], "generic-linux");
    assert_eq!(json["choice"], "unknown");
    assert!(
        json["note"]
            .as_str()
            .unwrap()
            .contains("Some Other Board v2")
    );
    assert_eq!(json["gpio"]["plan"]["led"], serde_json::Value::Null);

    let config = hub.write_config("board: rpi5\n");
    let config = config.to_str().unwrap();
    let json = hub
        .run(&[
            "--config",
            config,
            "board",
            "--model-file",
            &model,
            "--json",
        ])
        .expect(0)
        .json();
    assert_eq!(
        (json["profile"]["name"].as_str(), json["choice"].as_str()),
        (Some("rpi5"), Some("named"))
    );

    let config = hub.write_config("board: rpi9\n");
    let err = hub
        .run(&["--config", config.to_str().unwrap(), "board"])
        .expect(2)
        .stderr();
    assert!(
        err.contains("mirai.yaml:1:1: board: unknown board \"rpi9\""),
        "{err}"
    );
}

#[test]
fn health_warns_when_gpio_is_enabled_but_unavailable() {
    let hub = Hub::scratch();
    let config = hub.write_config("gpio:\n  enabled: true\n");
    let json = hub
        .run(&["--config", config.to_str().unwrap(), "health", "--json"])
        .json();
    let checks = json["checks"].as_array().unwrap();
    let gpio = checks
        .iter()
        .find(|c| c["name"] == "gpio")
        .expect("a gpio check");
    assert_eq!(gpio["status"], "warn", "{gpio}");
    assert!(
        gpio["detail"]
            .as_str()
            .unwrap()
            .contains("works without it"),
        "{gpio}"
    );
}
