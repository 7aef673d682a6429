//! Detection against fixture model files written the way the kernel writes them (a NUL at the
//! end), profile choice by name and by file, and serial path globs in a temporary folder.

use std::path::PathBuf;

use super::*;

/// Writes `bytes` as a model file and resolves `board: auto` against it.
fn auto_with(bytes: &[u8]) -> Board {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model");
    std::fs::write(&path, bytes).unwrap();
    resolve(AUTO, &[dir.path().join("missing"), path]).unwrap()
}

#[test]
fn every_built_in_profile_parses_and_names_itself() {
    for name in names() {
        let p = builtin(name).unwrap();
        assert_eq!(p.name, name);
        assert_eq!(p.gpio.is_some(), name != GENERIC, "{name}");
        assert!(
            !p.serial.zwave.is_empty() && !p.serial.zigbee.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn real_model_strings_find_their_profile() {
    let cases = [
        ("Raspberry Pi 4 Model B Rev 1.4", "rpi4b"),
        ("Raspberry Pi 5 Model B Rev 1.0", "rpi5"),
        ("Raspberry Pi 3 Model B Plus Rev 1.3", "rpi3b"),
        ("Raspberry Pi 3 Model B Rev 1.2", "rpi3b"),
        ("Raspberry Pi Zero 2 W Rev 1.0", "rpi-zero2w"),
    ];
    for (model, name) in cases {
        let mut bytes = model.as_bytes().to_vec();
        bytes.push(0);
        let board = auto_with(&bytes);
        assert_eq!(board.profile.name, name, "{model}");
        assert_eq!(board.choice, Choice::Detected);
        assert_eq!(board.detected.model.as_deref(), Some(model));
        assert!(board.detected.source.unwrap().ends_with("model"));
        assert_eq!(board.note, None);
    }
}

#[test]
fn an_unknown_model_or_none_gets_the_generic_profile_with_a_note() {
    let board = auto_with(b"Raspberry Pi Compute Module 4 Rev 1.0\0");
    assert_eq!(board.profile.name, GENERIC);
    assert_eq!(board.choice, Choice::Unknown);
    let note = board.note.unwrap();
    assert!(
        note.contains("Compute Module 4") && note.contains(GENERIC),
        "{note}"
    );

    let none = resolve(AUTO, &[PathBuf::from("/nonexistent/model")]).unwrap();
    assert_eq!(none.profile.name, GENERIC);
    assert_eq!(none.detected, Detected::default());
    assert!(none.note.unwrap().contains("no device-tree model"));
    let empty = auto_with(b"\0");
    assert_eq!(empty.detected.model, None);
}

#[test]
fn a_named_board_wins_over_detection_and_a_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::write(&model, b"Raspberry Pi 4 Model B Rev 1.4\0").unwrap();
    let named = resolve("rpi5", std::slice::from_ref(&model)).unwrap();
    assert_eq!(
        (named.profile.name.as_str(), named.choice),
        ("rpi5", Choice::Named)
    );
    assert_eq!(
        named.detected.model.as_deref(),
        Some("Raspberry Pi 4 Model B Rev 1.4")
    );

    let own = dir.path().join("my-board.yaml");
    let text = builtin("rpi4b")
        .map(|p| serde_yaml::to_string(&p).unwrap())
        .unwrap();
    std::fs::write(&own, text.replace("name: rpi4b", "name: my-board")).unwrap();
    let file = resolve(own.to_str().unwrap(), &[model]).unwrap();
    assert_eq!(
        (file.profile.name.as_str(), file.choice),
        ("my-board", Choice::File)
    );

    let err = resolve("rpi9", &[]).unwrap_err().to_string();
    assert!(
        err.contains("unknown board \"rpi9\"") && err.contains("rpi4b"),
        "{err}"
    );
    let missing = resolve("/nonexistent/board.yaml", &[])
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("cannot read board profile /nonexistent/board.yaml"),
        "{missing}"
    );
}

#[test]
fn a_bad_profile_file_says_what_and_where() {
    let bad = "name: x\ntarget: t\nserial: {}\ngpio:\n  chip: /dev/gpiochip0\n  status_led: {pin: 40, active_low: false}\n  button: null\n";
    let err = Profile::parse(bad, "x.yaml").unwrap_err().to_string();
    assert!(
        err.contains("x.yaml") && err.contains("gpio.status_led: pin 40"),
        "{err}"
    );
    let twice = bad.replace("pin: 40", "pin: 5").replace(
        "button: null",
        "button: {pin: 5, active_low: true, pull: up, debounce_ms: 30}",
    );
    let err = Profile::parse(&twice, "x.yaml").unwrap_err().to_string();
    assert!(err.contains("pin 5 is used twice"), "{err}");
    let unknown = Profile::parse(
        "name: x\ntarget: t\nserial: {}\ngpio: null\nleds: 3\n",
        "x.yaml",
    );
    let err = unknown.unwrap_err().to_string();
    assert!(
        err.contains("unknown field `leds`") && err.contains("line 5"),
        "{err}"
    );
}

#[test]
fn serial_paths_match_by_glob_in_pattern_order() {
    let dir = tempfile::tempdir().unwrap();
    let by_id = dir.path().join("by-id");
    std::fs::create_dir(&by_id).unwrap();
    for name in [
        "usb-0658_0200-if00",
        "usb-Zooz_800_Z-Wave_Stick_123-if00",
        "other",
    ] {
        std::fs::write(by_id.join(name), b"").unwrap();
    }
    let tty = dir.path().join("ttyACM0");
    std::fs::write(&tty, b"").unwrap();
    let at = |s: &str| format!("{}/{s}", dir.path().display());
    let patterns = [
        at("by-id/usb-Zooz_800_Z-Wave_Stick*"),
        at("by-id/usb-0658_0200*"),
        at("ttyACM0"),
        at("ttyUSB0"),
        at("by-id/usb-0658_0200*"),
    ];
    let found = existing(&patterns);
    assert_eq!(
        found,
        [
            by_id.join("usb-Zooz_800_Z-Wave_Stick_123-if00"),
            by_id.join("usb-0658_0200-if00"),
            tty,
        ]
    );
    assert!(existing(&[at("nowhere/usb-*")]).is_empty());
}
