use super::*;

use crate::devices::zwave::hex;

#[test]
fn sensor_multilevel_temperature() {
    // zwave.md, captured from the zwave-js mock: 31 Sensor Multilevel · 05 Report ·
    // 01 air temperature · 22 = precision 1, scale 0 (°C), size 2 · 00 D7 = 215 → 21.5
    let Report::SensorMultilevel { sensor_type, value } =
        decode(&hex("31 05 01 22 00 D7")).unwrap()
    else {
        panic!("not a sensor report");
    };
    assert_eq!((sensor_type, value.value, value.scale), (1, 21.5, 0));
}

#[test]
fn meter_v2_water_with_previous_value() {
    // zwave-js MeterCC.test.ts: 32 · 02 Report · 43 = rate 2 (export) · type 3 (water) ·
    // 31 = precision 1, scale 2, size 1 · 37 = 5.5 · 00 05 Δt 5 s · 36 previous 5.4
    let report = decode(&hex("32 02 43 31 37 00 05 36")).unwrap();
    let Report::Meter {
        meter_type,
        rate,
        value,
        delta_seconds,
        previous,
    } = report
    else {
        panic!("not a meter report");
    };
    assert_eq!((meter_type, rate, value.scale, value.value), (3, 2, 2, 5.5));
    assert_eq!((delta_seconds, previous), (5, Some(5.4)));
    // zwave-js BridgeApplicationCommandRequest.test.ts: electric (1), import (1),
    // 34 = precision 1, scale 2 (W), size 4; 0 W; Δt 0 so no previous value.
    let report = decode(&hex("32 02 21 34 00 00 00 00 00 00")).unwrap();
    let Report::Meter {
        meter_type,
        rate,
        value,
        previous,
        ..
    } = report
    else {
        panic!("not a meter report");
    };
    assert_eq!(
        (meter_type, rate, value.scale, value.value, previous),
        (1, 1, 2, 0.0, None)
    );
}

#[test]
fn central_scene_key_pressed_4x() {
    // zwave-js CentralSceneCC.test.ts: 5B · 03 Notification · 07 sequence ·
    // 85 = slow refresh (bit 7) · key attribute 5 (KeyPressed4x) · 08 scene
    let report = decode(&hex("5B 03 07 85 08")).unwrap();
    let expected = Report::CentralScene {
        sequence: 7,
        key_attribute: 5,
        slow_refresh: true,
        scene: 8,
    };
    assert_eq!(report, expected);
}

#[test]
fn door_lock_v4() {
    // zwave-js DoorLockCC.test.ts: 62 · 03 Operation Report · 20 mode · 4F handles
    // (outside 4, inside F) · 05 condition · 00 FE timeout · FF target · 01 duration 1 s
    let report = decode(&hex("62 03 20 4F 05 00 FE FF 01")).unwrap();
    let expected = Report::DoorLock {
        mode: 0x20,
        outside_handles: 0x4,
        inside_handles: 0xF,
        condition: 0x05,
        timeout: (0x00, 0xFE),
        target: Some(0xFF),
        duration: Some(Transition::Seconds(1)),
    };
    assert_eq!(report, expected);
}

#[test]
fn switches_and_basic() {
    // 25 · 03 Report · FF on (v1: no target or duration)
    let on = LevelReport {
        current: 0xFF,
        target: None,
        duration: None,
    };
    assert_eq!(decode(&hex("25 03 FF")), Ok(Report::BinarySwitch(on)));
    // 26 · 03 Report · 20 current 32 % · 63 target 99 % · 05 five seconds left
    let moving = LevelReport {
        current: 0x20,
        target: Some(0x63),
        duration: Some(Transition::Seconds(5)),
    };
    assert_eq!(
        decode(&hex("26 03 20 63 05")),
        Ok(Report::MultilevelSwitch(moving))
    );
    // 20 · 03 Report · 00 off · 00 target · FE duration unknown
    let off = LevelReport {
        current: 0,
        target: Some(0),
        duration: None,
    };
    assert_eq!(decode(&hex("20 03 00 00 FE")), Ok(Report::Basic(off)));
}

#[test]
fn notification_v1_and_v3() {
    // 71 · 05 Report · 00 00 v1 fields · 00 reserved · FF status on · 07 home security ·
    // 08 motion detected · 00 no parameters
    let report = decode(&hex("71 05 00 00 00 FF 07 08 00")).unwrap();
    let Report::Notification {
        notification: Some(n),
        ..
    } = report
    else {
        panic!("no v2+ fields");
    };
    assert_eq!((n.status, n.notification_type, n.event), (0xFF, 7, 8));
    // v1 Alarm Report: 71 · 05 · 01 type · FF level
    let report = decode(&hex("71 05 01 FF")).unwrap();
    let v1 = Report::Notification {
        v1_type: 1,
        v1_level: 0xFF,
        notification: None,
    };
    assert_eq!(report, v1);
}

#[test]
fn battery_and_thermostat() {
    // 80 · 03 Report · 5A = 90 %; FF = low-battery warning
    assert_eq!(
        decode(&hex("80 03 5A")),
        Ok(Report::Battery { percent: Some(90) })
    );
    assert_eq!(
        decode(&hex("80 03 FF")),
        Ok(Report::Battery { percent: None })
    );
    // 40 · 03 Report · 01 heat
    assert_eq!(
        decode(&hex("40 03 01")),
        Ok(Report::ThermostatMode { mode: 1 })
    );
    // 43 · 03 Report · 01 heating · 22 = precision 1, °C, size 2 · 00 D7 = 21.5
    let Report::ThermostatSetpoint {
        setpoint_type,
        value,
    } = decode(&hex("43 03 01 22 00 D7")).unwrap()
    else {
        panic!("not a setpoint report");
    };
    assert_eq!((setpoint_type, value.value), (1, 21.5));
}

#[test]
fn truncated_unsupported_and_empty() {
    let short = CcError::Truncated {
        cc: 0x31,
        command: 0x05,
    };
    assert_eq!(decode(&hex("31 05 01 22 00")), Err(short));
    assert_eq!(
        decode(&hex("31 05 01 23 00 00 00")),
        Err(CcError::BadSize(3))
    );
    let unsupported = CcError::Unsupported {
        cc: 0x72,
        command: 0x05,
    };
    assert_eq!(decode(&hex("72 05 00 86")), Err(unsupported));
    assert_eq!(decode(&[0x20]), Err(CcError::Empty));
    assert_eq!(
        decode(&hex("5B 03 07")),
        Err(CcError::Truncated {
            cc: 0x5B,
            command: 3
        })
    );
}

#[test]
fn sensor_types_from_the_supported_report() {
    // CC spec 4.38.2 layout: 31 · 02 Supported Sensor Report ·
    // 05 = bits 0 and 2: air temperature (01) and illuminance (03) · 01 = bit 8: type 09
    let report = decode(&hex("31 02 05 01")).unwrap();
    let types = vec![0x01, 0x03, 0x09];
    assert_eq!(report, Report::SensorTypes { types });
    assert_eq!(
        decode(&hex("31 02")),
        Ok(Report::SensorTypes { types: Vec::new() })
    );
}
