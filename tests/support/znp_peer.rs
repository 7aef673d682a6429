//! A TI Z-Stack coordinator chip of our own on a pseudo-terminal, speaking MT: the host opens
//! the pty's slave path as `zigbee.port`, and a thread on the master side answers like a
//! CC2652 running Z-Stack 3: NV items, resets, forming and resuming, endpoint registration,
//! permit join, AF data requests with their confirms, and ZDO requests answered by the
//! devices it plays (a bulb, a temperature sensor, a motion sensor). Tests script the rest:
//! joins, device reports (`send_af_incoming`), leaves, silence, garbage, an unprompted reset.
//! It reads with MIRAI's own MT receive buffer and logs every frame the host wrote.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mirai::devices::zigbee::mt::frame::{Frame, Kind};
use mirai::devices::zigbee::mt::receiver::{Event, FrameBuffer};

pub mod devices;
mod pty;
pub mod zcl;

pub use devices::Device;
use devices::device_answer;
use pty::open_pty;

/// The chip's IEEE address.
pub const CHIP_IEEE: u64 = 0x00124B0022446688;
/// How long `wait_for` waits for the host before the test fails.
pub const HOST_WAIT: Duration = Duration::from_secs(15);

const SYS: u8 = 0x01;
const AF: u8 = 0x04;
const ZDO: u8 = 0x05;
const UTIL: u8 = 0x07;
const APP_CNF: u8 = 0x0F;

/// What the chip holds and how it behaves; tests read and change it through [`ZnpPeer`].
#[derive(Debug, Default)]
pub struct Chip {
    /// NV items.
    pub nv: BTreeMap<u16, Vec<u8>>,
    /// The device state (0x09 coordinator).
    pub state: u8,
    /// Endpoints registered since the last reset.
    pub registered: Vec<u8>,
    /// Devices in the network.
    pub devices: Vec<Device>,
    /// How many times a network was formed.
    pub formed: u32,
    /// Soft resets asked by the host.
    pub resets: u32,
    /// Answer nothing at all.
    pub silent: bool,
    /// The AF_DATA_CONFIRM status to send (the devices answer only when it is 0).
    pub delivery_status: u8,
    /// The ZCL status devices answer cluster commands with instead of carrying them out.
    pub refuse_commands: Option<u8>,
    /// An AREQ to send between the next SREQ and its SRSP.
    pub before_next_srsp: Option<Frame>,
    /// The last permit join duration asked.
    pub permit_join: Option<u8>,
    /// Every frame the host wrote, in order.
    pub log: Vec<Frame>,
}

/// The chip and a signal for each frame the host writes.
#[derive(Default)]
struct Shared {
    chip: Mutex<Chip>,
    logged: Condvar,
}

/// The chip on the master side of a pty, answering on its own thread.
pub struct ZnpPeer {
    path: String,
    chip: Arc<Shared>,
    writer: Arc<Mutex<File>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    _slave: OwnedFd,
}

impl ZnpPeer {
    /// A fresh chip that holds no network.
    pub fn start() -> ZnpPeer {
        let (master, slave, path) = open_pty();
        let reader = master.try_clone().unwrap();
        let writer = Arc::new(Mutex::new(master));
        let chip = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (chip, writer, stop) = (chip.clone(), writer.clone(), stop.clone());
            std::thread::spawn(move || serve(reader, &chip, &writer, &stop))
        };
        ZnpPeer {
            path,
            chip,
            writer,
            stop,
            thread: Some(thread),
            _slave: slave,
        }
    }

    /// The slave's path, for `zigbee.port`.
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// The chip's state, to read or change.
    pub fn chip(&self) -> MutexGuard<'_, Chip> {
        self.chip.chip.lock().unwrap()
    }

    /// Writes raw bytes to the host.
    pub fn write(&self, bytes: &[u8]) {
        self.writer.lock().unwrap().write_all(bytes).unwrap();
    }

    /// Sends a frame to the host.
    pub fn send(&self, frame: &Frame) {
        self.write(&frame.encode().unwrap());
    }

    /// Adds `device` to the network and sends TC_DEV_IND and END_DEVICE_ANNCE_IND for it.
    pub fn join(&self, device: Device) {
        let (nwk, ieee) = (device.nwk, device.ieee);
        self.chip().devices.push(device);
        let mut joined = le16(nwk);
        joined.extend(ieee.to_le_bytes());
        joined.extend(le16(0x0000));
        self.send(&areq(ZDO, 0xCA, joined));
        let mut annce = le16(nwk);
        annce.extend(le16(nwk));
        annce.extend(ieee.to_le_bytes());
        annce.push(0x80);
        self.send(&areq(ZDO, 0xC1, annce));
    }

    /// A device's application message (AF_INCOMING_MSG) to the coordinator's endpoint 1.
    pub fn send_af_incoming(&self, nwk: u16, ep: u8, cluster: u16, zcl: &[u8]) {
        self.send(&zcl::af_incoming(nwk, ep, cluster, zcl));
    }

    /// The ZCL frames the host sent to device `nwk`: (endpoint, cluster, frame bytes).
    pub fn zcl_to(&self, nwk: u16) -> Vec<(u8, u16, Vec<u8>)> {
        let sent = self.requests(AF, 0x01);
        (sent.iter())
            .map(|f| &f.data)
            .filter(|d| u16::from_le_bytes([d[0], d[1]]) == nwk)
            .map(|d| {
                let cluster = u16::from_le_bytes([d[4], d[5]]);
                (d[2], cluster, d[10..10 + d[9] as usize].to_vec())
            })
            .collect()
    }

    /// Waits until the host has sent device `nwk` a ZCL frame that `pick` accepts (endpoint,
    /// cluster, frame bytes); returns it.
    pub fn wait_zcl(&self, nwk: u16, what: &str, pick: impl Fn(u8, u16, &[u8]) -> bool) -> Vec<u8> {
        let frame = self.wait_for(what, |f| {
            let d = &f.data;
            f.subsystem == AF
                && f.id == 0x01
                && u16::from_le_bytes([d[0], d[1]]) == nwk
                && pick(
                    d[2],
                    u16::from_le_bytes([d[4], d[5]]),
                    &d[10..10 + d[9] as usize],
                )
        });
        frame.data[10..].to_vec()
    }

    /// The value device `ieee` holds for an attribute, if it has it.
    pub fn attribute(&self, ieee: u64, ep: u8, cluster: u16, attribute: u16) -> Option<Vec<u8>> {
        let chip = self.chip();
        let dev = chip.devices.iter().find(|d| d.ieee == ieee)?;
        dev.attributes
            .get(&(ep, cluster, attribute))
            .map(|(_, v)| v.clone())
    }

    /// The chip restarts on its own: state and registrations lost, RESET_IND sent.
    pub fn reset_unprompted(&self) {
        {
            let mut chip = self.chip();
            chip.state = 0;
            chip.registered.clear();
        }
        self.send(&areq(SYS, 0x80, vec![0x00, 0x02, 0x01, 0x02, 0x07, 0x01]));
    }

    /// Waits until the host has written a frame that `pick` accepts; returns it.
    pub fn wait_for(&self, what: &str, pick: impl Fn(&Frame) -> bool) -> Frame {
        let deadline = Instant::now() + HOST_WAIT;
        let mut chip = self.chip();
        loop {
            if let Some(f) = chip.log.iter().find(|f| pick(f)) {
                return f.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the host never sent {what}");
            chip = self.chip.logged.wait_timeout(chip, left).unwrap().0;
        }
    }

    /// Waits up to `limit` for the host to write another frame.
    pub fn wait_next_frame(&self, limit: Duration) {
        let chip = self.chip();
        let seen = chip.log.len();
        let _ = (self.chip.logged)
            .wait_timeout_while(chip, limit, |c| c.log.len() == seen)
            .unwrap();
    }

    /// The frames the host wrote of `subsystem` / `id`.
    pub fn requests(&self, subsystem: u8, id: u8) -> Vec<Frame> {
        let chip = self.chip();
        let mine = |f: &&Frame| f.subsystem == subsystem && f.id == id;
        chip.log.iter().filter(mine).cloned().collect()
    }
}

impl Drop for ZnpPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A little-endian u16.
pub fn le16(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// An AREQ frame.
pub fn areq(subsystem: u8, id: u8, data: Vec<u8>) -> Frame {
    Frame::new(Kind::Areq, subsystem, id, data)
}

fn srsp(subsystem: u8, id: u8, data: Vec<u8>) -> Frame {
    Frame::new(Kind::Srsp, subsystem, id, data)
}

fn serve(mut reader: File, shared: &Shared, writer: &Mutex<File>, stop: &AtomicBool) {
    let mut rx = FrameBuffer::new();
    let mut chunk = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        if !readable(&reader, Duration::from_millis(20)) {
            continue;
        }
        let n = match reader.read(&mut chunk) {
            Ok(n) if n > 0 => n,
            _ => continue, // no slave open yet, or between hosts
        };
        rx.push(&chunk[..n]);
        while let Some(event) = rx.next(Instant::now()) {
            let Event::Frame(frame) = event else {
                panic!("the host wrote a broken frame: {event:?}");
            };
            let answers = {
                let mut chip = shared.chip.lock().unwrap();
                chip.log.push(frame.clone());
                shared.logged.notify_all();
                if chip.silent {
                    continue;
                }
                answer(&mut chip, &frame)
            };
            let mut out = Vec::new();
            answers.iter().for_each(|f| out.extend(f.encode().unwrap()));
            writer.lock().unwrap().write_all(&out).unwrap();
        }
    }
}

fn answer(chip: &mut Chip, req: &Frame) -> Vec<Frame> {
    let mut out = Vec::new();
    if req.kind == Kind::Sreq {
        out.extend(chip.before_next_srsp.take());
    }
    let d = &req.data;
    let nwk_at = |i: usize| u16::from_le_bytes([d[i], d[i + 1]]);
    match (req.kind, req.subsystem, req.id) {
        (Kind::Sreq, SYS, 0x01) => out.push(srsp(SYS, 0x01, vec![0x79, 0x01])),
        (Kind::Sreq, SYS, 0x02) => {
            // Z-Stack 3.x.0 2.7.1, build 20221226.
            let mut v = vec![2, 2, 2, 7, 1];
            v.extend(20221226u32.to_le_bytes());
            out.push(srsp(SYS, 0x02, v));
        }
        (Kind::Sreq, UTIL, 0x00) => {
            let mut v = vec![0];
            v.extend(CHIP_IEEE.to_le_bytes());
            v.extend(le16(if chip.state == 9 { 0 } else { 0xFFFE }));
            v.extend([0x07, chip.state, 0]);
            out.push(srsp(UTIL, 0x00, v));
        }
        (Kind::Sreq, SYS, 0x08) => {
            let v = match chip.nv.get(&nwk_at(0)) {
                Some(value) => [&[0, value.len() as u8][..], value].concat(),
                None => vec![0x0A],
            };
            out.push(srsp(SYS, 0x08, v));
        }
        (Kind::Sreq, SYS, 0x09) => {
            chip.nv.insert(nwk_at(0), d[4..].to_vec());
            out.push(srsp(SYS, 0x09, vec![0]));
        }
        (Kind::Sreq, SYS, 0x07) => {
            let id = nwk_at(0);
            let status = if chip.nv.contains_key(&id) {
                0x00
            } else {
                0x09
            };
            chip.nv.entry(id).or_insert_with(|| d[5..].to_vec());
            out.push(srsp(SYS, 0x07, vec![status]));
        }
        (Kind::Areq, SYS, 0x00) => {
            chip.resets += 1;
            if chip.nv.get(&0x0003) == Some(&vec![3]) {
                chip.nv
                    .retain(|id, _| ![0x0021, 0x0060, 0x0003].contains(id));
            }
            chip.state = 0;
            chip.registered.clear();
            out.push(areq(SYS, 0x80, vec![0x02, 0x02, 0x01, 0x02, 0x07, 0x01]));
        }
        (Kind::Sreq, APP_CNF, 0x08) => out.push(srsp(APP_CNF, 0x08, vec![0])),
        (Kind::Sreq, APP_CNF, 0x05) => {
            out.push(srsp(APP_CNF, 0x05, vec![0]));
            chip.formed += 1;
            chip.state = 9;
            chip.nv.insert(0x0021, vec![0xAB; 16]);
            out.push(areq(ZDO, 0xC0, vec![0x08]));
            out.push(areq(ZDO, 0xC0, vec![0x09]));
            out.push(areq(APP_CNF, 0x80, vec![0x00, 0x04, 0x00]));
        }
        (Kind::Sreq, ZDO, 0x40) => {
            let status = u8::from(!chip.nv.contains_key(&0x0021));
            out.push(srsp(ZDO, 0x40, vec![status]));
            chip.state = 9;
            out.push(areq(ZDO, 0xC0, vec![0x09]));
        }
        (Kind::Sreq, AF, 0x00) => {
            let status = if chip.registered.contains(&d[0]) {
                0xB8
            } else {
                0
            };
            chip.registered.push(d[0]);
            out.push(srsp(AF, 0x00, vec![status]));
        }
        (Kind::Sreq, AF, 0x01) => {
            out.push(srsp(AF, 0x01, vec![0]));
            out.push(areq(AF, 0x80, vec![chip.delivery_status, d[3], d[6]]));
            if chip.delivery_status == 0 {
                out.extend(zcl::zcl_answer(chip, d));
            }
        }
        (Kind::Sreq, ZDO, 0x36) => {
            chip.permit_join = Some(d[3]);
            out.push(srsp(ZDO, 0x36, vec![0]));
            out.push(areq(ZDO, 0xB6, vec![0, 0, 0]));
        }
        (Kind::Sreq, ZDO, id @ (0x02 | 0x04 | 0x05 | 0x21 | 0x34)) => {
            out.push(srsp(ZDO, id, vec![0]));
            out.extend(device_answer(chip, id, d));
        }
        _ => out.push(srsp(0, 0, vec![0x02, req.cmd0(), req.id])),
    }
    out
}

fn readable(file: &File, within: Duration) -> bool {
    let mut fd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = within.as_millis().clamp(1, i32::MAX as u128) as i32;
    // SAFETY: one pollfd, counted as one.
    let rc = unsafe { libc::poll(&mut fd, 1, ms) };
    rc > 0 && fd.revents & libc::POLLIN != 0
}
