//! The Zigbee coordinator against a Z-Stack chip of our own on a pseudo-terminal
//! (`support/znp_peer.rs`): forming and resuming, permit join, joins and interviews of a
//! bulb, a sleepy temperature sensor and a motion sensor, ZCL out with its confirm, device
//! messages in, bind, leave, a silent chip, an AREQ between an SREQ and its SRSP, an
//! unprompted chip reset, garbage on the line, and backup and restore.

mod support {
    pub mod znp_peer;
}

use std::time::Duration;

use mirai::devices::zigbee::{
    Backup, Ended, Event, Failure, Interview, LogicalType, NetworkInfo, PowerSource, ResetLine,
    Zigbee, ZigbeeError, ZigbeeSettings,
};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use support::znp_peer::{CHIP_IEEE, Device, ZnpPeer, areq};

/// The longest any step may take here.
const WAIT: Duration = Duration::from_secs(15);
const BULB: (u16, u64) = (0x1A2B, 0x0017_8801_0203_0405);
const THERMO: (u16, u64) = (0x3C4D, 0x0015_8D00_0001_AABB);
const MOTION: (u16, u64) = (0x5E6F, 0x000D_6F00_0011_2233);

struct Hub {
    zigbee: Zigbee,
    info: NetworkInfo,
    task: JoinHandle<Ended>,
    stop: watch::Sender<bool>,
}

fn settings(peer: &ZnpPeer) -> ZigbeeSettings {
    let mut s = ZigbeeSettings::new(peer.path());
    s.reset = ResetLine::None;
    s.channel = 20;
    s.timeouts.sreq = Duration::from_millis(500);
    s.timeouts.zdo = Duration::from_millis(500);
    s.timeouts.data_confirm = Duration::from_millis(500);
    s
}

async fn start(peer: &ZnpPeer) -> Hub {
    start_with(settings(peer), None).await
}

async fn start_with(settings: ZigbeeSettings, backup: Option<&Backup>) -> Hub {
    let (stop, shutdown) = watch::channel(false);
    let started = match backup {
        Some(b) => tokio::time::timeout(WAIT, Zigbee::restore(settings, b, shutdown)).await,
        None => tokio::time::timeout(WAIT, Zigbee::start(settings, shutdown)).await,
    };
    let (zigbee, info, task) = started.expect("start-up hung").expect("start-up failed");
    Hub {
        zigbee,
        info,
        task,
        stop,
    }
}

impl Hub {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        let ended = tokio::time::timeout(WAIT, self.task)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(ended, Ended::Shutdown), "{ended:?}");
    }
}

/// The first event `pick` accepts, within [`WAIT`].
async fn event<T>(rx: &mut broadcast::Receiver<Event>, pick: impl Fn(Event) -> Option<T>) -> T {
    let search = async {
        loop {
            if let Some(found) = pick(rx.recv().await.expect("the event stream ended")) {
                return found;
            }
        }
    };
    tokio::time::timeout(WAIT, search)
        .await
        .expect("no such event in time")
}

async fn interviewed(rx: &mut broadcast::Receiver<Event>, nwk: u16) -> Interview {
    event(rx, |e| match e {
        Event::Interviewed(i) if i.nwk == nwk => Some(i),
        Event::InterviewFailed { nwk: n, error, .. } if n == nwk => panic!("{error}"),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn forms_a_network_then_resumes_it_without_forming_again() {
    let peer = ZnpPeer::start();
    let hub = start(&peer).await;
    let info = hub.info.clone();
    assert!(info.formed);
    assert_eq!((info.ieee, info.params.channel), (CHIP_IEEE, 20));
    assert_eq!(info.version.release, (2, 7, 1));
    {
        let chip = peer.chip();
        assert_eq!(chip.formed, 1);
        assert_eq!(chip.nv[&0x0060], [0x55], "HAS_CONFIGURED");
        assert_eq!(chip.nv[&0x0087], [0x00], "LOGICAL_TYPE coordinator");
        assert_eq!(chip.nv[&0x0083], info.params.pan_id.to_le_bytes(), "PANID");
        let ext = info.params.extended_pan_id.to_le_bytes();
        assert_eq!(chip.nv[&0x002D], ext, "EXTENDED_PAN_ID");
        assert_eq!(chip.nv[&0x0084], (1u32 << 20).to_le_bytes(), "CHANLIST");
        assert_eq!(chip.nv[&0x0062], info.params.network_key, "PRECFGKEY");
        assert_eq!((chip.nv[&0x0063][0], chip.nv[&0x008F][0]), (1, 1));
        assert_eq!(chip.registered, [1]);
    }
    // Endpoint 1, Home Automation, with IAS Zone (0x0500) among its client clusters.
    let register = peer.requests(0x04, 0x00).pop().unwrap();
    assert_eq!(&register.data[..3], &[0x01, 0x04, 0x01]);
    assert!(register.data.windows(2).any(|w| w == [0x00, 0x05]));
    hub.stop().await;

    // The chip loses power: state and endpoints gone, NV kept.
    peer.chip().state = 0;
    peer.chip().registered.clear();
    let again = start(&peer).await;
    assert!(!again.info.formed);
    assert_eq!(again.info.params, info.params);
    assert_eq!(peer.chip().formed, 1, "formed a second time");
    assert_eq!(peer.requests(0x05, 0x40).len(), 1, "no STARTUP_FROM_APP");
    assert_eq!(peer.chip().registered, [1]);
    again.stop().await;
}

#[tokio::test]
async fn permit_join_then_three_devices_join_and_are_interviewed() {
    let peer = ZnpPeer::start();
    let hub = start(&peer).await;
    let mut events = hub.zigbee.events();
    let status = hub.zigbee.permit_join(Some(Duration::from_secs(60))).await;
    assert_eq!(status.unwrap(), 0);
    assert_eq!(peer.chip().permit_join, Some(60));

    peer.join(Device::bulb(BULB.0, BULB.1));
    let joined = event(&mut events, |e| {
        matches!(e, Event::Joined { .. }).then_some(e)
    })
    .await;
    assert_eq!(
        joined,
        Event::Joined {
            nwk: BULB.0,
            ieee: BULB.1
        }
    );
    let bulb = interviewed(&mut events, BULB.0).await;
    assert_eq!(
        (bulb.ieee, bulb.logical_type),
        (BULB.1, LogicalType::Router)
    );
    assert_eq!(
        (bulb.manufacturer, bulb.power),
        (0x100B, PowerSource::Mains)
    );
    assert_eq!(bulb.endpoints.len(), 1);
    let ep = &bulb.endpoints[0];
    assert_eq!((ep.id, ep.profile, ep.device_id), (11, 0x0104, 0x010D));
    assert!(ep.in_clusters.contains(&0x0300) && ep.out_clusters == [0x0019]);

    // Sleeps through the first node descriptor request: asked again, then answers.
    peer.join(Device::temperature_sensor(THERMO.0, THERMO.1));
    let thermo = interviewed(&mut events, THERMO.0).await;
    assert_eq!(
        (thermo.logical_type, thermo.power),
        (LogicalType::EndDevice, PowerSource::Battery)
    );
    assert_eq!(
        thermo.endpoints[0].in_clusters,
        [0x0000, 0x0001, 0x0402, 0x0405]
    );
    let asked = peer.requests(0x05, 0x02);
    let asked_thermo = asked
        .iter()
        .filter(|f| f.data[..2] == THERMO.0.to_le_bytes());
    assert_eq!(asked_thermo.count(), 2);

    peer.join(Device::motion_sensor(MOTION.0, MOTION.1));
    let motion = interviewed(&mut events, MOTION.0).await;
    let ids: Vec<_> = motion
        .endpoints
        .iter()
        .map(|e| (e.id, e.device_id))
        .collect();
    assert_eq!(ids, [(1, 0x0402), (2, 0x0107)]);
    assert!(motion.endpoints[0].in_clusters.contains(&0x0500));

    assert_eq!(hub.zigbee.stop_join().await.unwrap(), 0);
    assert_eq!(peer.chip().permit_join, Some(0));
    hub.stop().await;
}

#[tokio::test]
async fn zcl_out_with_its_confirm_messages_in_bind_and_leave() {
    let peer = ZnpPeer::start();
    let hub = start(&peer).await;
    let mut events = hub.zigbee.events();
    peer.join(Device::bulb(BULB.0, BULB.1));
    interviewed(&mut events, BULB.0).await;

    // On/Off "On": 01 (cluster-specific, client → server) · TSN 07 · 01 On.
    let status = hub
        .zigbee
        .send_zcl(BULB.0, 11, 0x0006, &[0x01, 0x07, 0x01])
        .await;
    assert_eq!(status.unwrap(), 0);
    let sent = peer.requests(0x04, 0x01).pop().unwrap();
    assert_eq!(&sent.data[..6], &[0x2B, 0x1A, 11, 1, 0x06, 0x00]);
    assert_eq!(&sent.data[sent.data.len() - 4..], &[3, 0x01, 0x07, 0x01]);
    // The network could not deliver (MAC no ACK): a value, not an error.
    peer.chip().delivery_status = 0xE9;
    let status = hub
        .zigbee
        .send_zcl(BULB.0, 11, 0x0006, &[0x01, 0x08, 0x00])
        .await;
    assert_eq!(status.unwrap(), 0xE9);
    let too_long = hub.zigbee.send_zcl(BULB.0, 11, 6, &[0; 241]).await;
    assert!(matches!(too_long, Err(ZigbeeError::TooLong(241))));
    let longest = hub.zigbee.send_zcl(BULB.0, 11, 6, &[0; 240]).await;
    assert_eq!(longest.unwrap(), 0xE9, "the longest frame fits");

    // A Level Control report from the bulb (herdsman's vector): 08 7A 0A 0000 20 F3.
    let report = [0x08, 0x7A, 0x0A, 0x00, 0x00, 0x20, 0xF3];
    peer.send_af_incoming(BULB.0, 11, 0x0008, &report);
    // (The bulb's Default Response to the On/Off command above comes first, on cluster 6.)
    let msg = event(&mut events, |e| match e {
        Event::Message(m) if m.cluster == 0x0008 => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(
        (msg.src_nwk, msg.src_ep, msg.dst_ep, msg.cluster),
        (BULB.0, 11, 1, 8)
    );
    assert_eq!((msg.payload.as_slice(), msg.lqi), (&report[..], 0x9C));

    assert_eq!(
        hub.zigbee.bind(BULB.0, BULB.1, 11, 0x0006).await.unwrap(),
        0
    );
    let bind = peer.requests(0x05, 0x21).pop().unwrap();
    assert_eq!(
        &bind.data[14..22],
        &CHIP_IEEE.to_le_bytes(),
        "bound to the coordinator"
    );
    assert_eq!(bind.data[22], 1, "endpoint 1");

    assert_eq!(hub.zigbee.leave(BULB.0, BULB.1).await.unwrap(), 0);
    let left = event(&mut events, |e| {
        matches!(e, Event::Left { .. }).then_some(e)
    })
    .await;
    assert_eq!(
        left,
        Event::Left {
            nwk: BULB.0,
            ieee: BULB.1
        }
    );
    // Gone: the next request to it goes unanswered, three times, and says so.
    let gone = hub.zigbee.bind(BULB.0, BULB.1, 11, 0x0006).await;
    assert!(
        matches!(gone, Err(ZigbeeError::Chip(Failure::NoIndication(_)))),
        "{gone:?}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_silent_chip_times_out_and_an_areq_before_the_srsp_is_delivered() {
    let peer = ZnpPeer::start();
    let hub = start(&peer).await;
    let mut events = hub.zigbee.events();
    peer.chip().silent = true;
    let silent = hub
        .zigbee
        .send_zcl(BULB.0, 11, 6, &[0x01, 0x01, 0x02])
        .await;
    assert!(
        matches!(silent, Err(ZigbeeError::Chip(Failure::NoResponse(_)))),
        "{silent:?}"
    );
    peer.chip().silent = false;

    // TC_DEV_IND slipped in between the permit join SREQ and its SRSP.
    let mut joined = 0x4242u16.to_le_bytes().to_vec();
    joined.extend(0x1122_3344_5566_7788u64.to_le_bytes());
    joined.extend([0, 0]);
    peer.chip().before_next_srsp = Some(areq(0x05, 0xCA, joined));
    assert_eq!(hub.zigbee.permit_join(None).await.unwrap(), 0);
    assert_eq!(peer.chip().permit_join, Some(254));
    let ev = event(&mut events, |e| {
        matches!(e, Event::Joined { .. }).then_some(e)
    })
    .await;
    assert_eq!(
        ev,
        Event::Joined {
            nwk: 0x4242,
            ieee: 0x1122_3344_5566_7788
        }
    );
    hub.stop().await;
}

#[tokio::test]
async fn an_unprompted_reset_is_recovered_and_garbage_is_skipped() {
    let peer = ZnpPeer::start();
    let hub = start(&peer).await;
    let mut events = hub.zigbee.events();
    let startups = peer.requests(0x05, 0x40).len();
    peer.reset_unprompted();
    event(&mut events, |e| (e == Event::ChipReset).then_some(())).await;
    event(&mut events, |e| (e == Event::Recovered).then_some(())).await;
    assert_eq!(
        peer.requests(0x05, 0x40).len(),
        startups + 1,
        "STARTUP_FROM_APP"
    );
    assert_eq!(peer.chip().registered, [1], "endpoint 1 registered again");
    assert_eq!(peer.chip().state, 9);

    // Noise, a frame with a broken FCS (the notes' NV read, 3F for 3E), noise: then a message.
    peer.write(&[
        0x00, 0x13, 0x37, 0xFE, 0x03, 0x61, 0x08, 0x00, 0x01, 0x55, 0x3F, 0xAA,
    ]);
    peer.send_af_incoming(
        0x0102,
        1,
        0x0406,
        &[0x18, 0xA9, 0x0A, 0x00, 0x00, 0x18, 0x01],
    );
    let msg = event(&mut events, |e| match e {
        Event::Message(m) => Some(m),
        _ => None,
    })
    .await;
    assert_eq!((msg.src_nwk, msg.cluster), (0x0102, 0x0406));
    assert_eq!(
        hub.zigbee.send_zcl(0x0102, 1, 6, &[1, 2, 2]).await.unwrap(),
        0
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_backup_restores_the_network_on_a_new_stick() {
    let peer = ZnpPeer::start();
    let hub = start(&peer).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zigbee-backup.json");
    let backup = hub.zigbee.backup_to(&path).await.unwrap();
    assert_eq!(backup.channel, 20);
    assert_eq!(backup.coordinator_ieee, format!("{CHIP_IEEE:016x}"));
    assert_eq!(Backup::load(&path).unwrap(), backup);
    let original = hub.info.params.clone();
    hub.stop().await;

    let fresh = ZnpPeer::start();
    let loaded = Backup::load(&path).unwrap();
    let restored = start_with(settings(&fresh), Some(&loaded)).await;
    assert!(restored.info.formed);
    assert_eq!(restored.info.params, original);
    {
        let chip = fresh.chip();
        assert_eq!(chip.nv[&0x0083], original.pan_id.to_le_bytes());
        assert_eq!(chip.nv[&0x0062], original.network_key);
        assert_eq!(chip.nv[&0x0001], CHIP_IEEE.to_le_bytes(), "EXTADDR");
    }
    restored.stop().await;
}
