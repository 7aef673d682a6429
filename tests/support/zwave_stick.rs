//! A scripted Z-Wave stick on a pseudo-terminal: the driver opens the pty's slave path as its
//! serial port, and a test thread plays the chip on the master side, frame by frame. It reads
//! with MIRAI's own receive buffer, notes when each unit arrived, and answers only what it has
//! read (no timing guesses): the script decides whether that is ACK, NAK, CAN, silence, a late
//! callback or garbage.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mirai::devices::zwave::frame::{ACK, Frame, Kind, encode_data};
use mirai::devices::zwave::receiver::{Event, FrameBuffer};

/// The longest the stick waits for the host to say anything before the script fails.
pub const HOST_WAIT: Duration = Duration::from_secs(10);

/// SendData, the command the scripts play with.
pub const SEND_DATA: u8 = 0x13;

/// One unit the host wrote, and when the stick read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The frame (data, ACK, NAK or CAN).
    pub frame: Frame,
    /// When it was decoded on the stick's side.
    pub at: Instant,
}

/// The master side of a pty whose slave plays the serial port.
pub struct Stick {
    master: File,
    /// Held so the pty stays up until the driver opens the slave by path.
    _slave: OwnedFd,
    path: String,
    rx: FrameBuffer,
    /// Everything the host wrote, in order.
    pub log: Vec<Seen>,
}

impl Stick {
    /// A fresh pty in raw mode (no echo, no line editing).
    pub fn open() -> Stick {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: out-pointers to two ints; no name buffer, default termios and window size.
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
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        // SAFETY: a zeroed termios is filled by tcgetattr before use; the fd is open.
        unsafe {
            let mut tio: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(slave.as_raw_fd(), &mut tio), 0);
            libc::cfmakeraw(&mut tio);
            assert_eq!(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &tio), 0);
        }
        let mut name = [0 as libc::c_char; 128];
        // SAFETY: the buffer and its length match; the fd is the open slave.
        let rc = unsafe { libc::ttyname_r(slave.as_raw_fd(), name.as_mut_ptr(), name.len()) };
        assert_eq!(rc, 0, "ttyname_r failed");
        // SAFETY: ttyname_r wrote a NUL-terminated path into `name`.
        let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
        Stick {
            master: File::from(master),
            _slave: slave,
            path: path.to_string_lossy().into_owned(),
            rx: FrameBuffer::new(),
            log: Vec::new(),
        }
    }

    /// The slave's path, for `zwave.port`.
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// The next unit the host writes (a rejected byte run fails the script: MIRAI writes
    /// whole frames). `None` when nothing comes within `within`.
    pub fn next_within(&mut self, within: Duration) -> Option<Seen> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(event) = self.rx.next(Instant::now()) {
                let frame = match event {
                    Event::Frame(frame) => frame,
                    Event::Rejected(reject) => panic!("the host wrote a broken frame: {reject}"),
                };
                let seen = Seen {
                    frame,
                    at: Instant::now(),
                };
                self.log.push(seen.clone());
                return Some(seen);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.readable(left) {
                return None;
            }
            let mut chunk = [0u8; 512];
            let n = self.master.read(&mut chunk).expect("pty read");
            assert!(n > 0, "the host closed the pty");
            self.rx.push(&chunk[..n]);
        }
    }

    /// Whether the master has bytes to read within `within`.
    fn readable(&self, within: Duration) -> bool {
        let mut fd = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = within.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one pollfd, counted as one.
        let rc = unsafe { libc::poll(&mut fd, 1, ms) };
        rc > 0
    }

    /// The next unit the host writes; fails the script after [`HOST_WAIT`].
    pub fn next(&mut self) -> Seen {
        self.next_within(HOST_WAIT)
            .expect("the host wrote nothing within HOST_WAIT")
    }

    /// Reads the next unit and checks that it is `want`.
    pub fn expect(&mut self, want: Frame) -> Seen {
        let seen = self.next();
        assert_eq!(seen.frame, want, "the host wrote something else");
        seen
    }

    /// Reads the next data request and checks its function.
    pub fn request(&mut self, function: u8) -> (Vec<u8>, Seen) {
        let seen = self.next();
        match &seen.frame {
            Frame::Data {
                kind: Kind::Request,
                function: f,
                payload,
            } if *f == function => (payload.clone(), seen),
            other => panic!("wanted request {function:#04x}, the host wrote {other:?}"),
        }
    }

    /// Writes raw bytes to the host.
    pub fn write(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    /// Writes a data frame and waits for the host's ACK of it.
    pub fn send_acked(&mut self, kind: Kind, function: u8, payload: &[u8]) {
        self.write(&encode_data(kind, function, payload).unwrap());
        self.expect(Frame::Ack);
    }

    /// Plays the start-up of a controller whose network holds only itself (node 1): the
    /// host's opening NAK, soft reset and SerialApiStarted, then one response per query.
    pub fn start_up(&mut self) {
        self.expect(Frame::Nak);
        self.request(0x08); // SoftReset: ACK, no response.
        self.write(&[ACK]);
        // SerialApiStarted: wake-up reason 0 (reset), then device classes and no CCs.
        self.send_acked(Kind::Request, 0x0A, &[0x00, 0x02, 0x01, 0x00, 0x00]);
        let answers: [(u8, Vec<u8>); 6] = [
            // GetSerialApiCapabilities: version 7.17, manufacturer 0x0086 (Aeotec), type
            // 0x0101, product 0x005A, then the 32-byte function mask.
            (
                0x07,
                [
                    &[7, 17, 0x00, 0x86, 0x01, 0x01, 0x00, 0x5A][..],
                    &[0xFF; 32],
                ]
                .concat(),
            ),
            (0x15, b"Z-Wave 7.17\0\x01".to_vec()), // GetControllerVersion
            (0x20, vec![0xC0, 0xFF, 0xEE, 0x01, 0x01]), // MemoryGetId: home id, node 1
            // GetSerialApiInitData: API 9, capabilities, a 29-byte node mask holding node 1.
            (0x02, [&[0x09, 0x08, 29, 0x01][..], &[0; 28]].concat()),
            (0x05, vec![0x08]), // GetControllerCapabilities: SUC
            // GetNodeProtocolInfo of node 1: listening, static controller.
            (0x41, vec![0x80, 0x00, 0x00, 0x02, 0x02, 0x01]),
        ];
        for (function, response) in answers {
            self.request(function);
            self.write(&[ACK]);
            self.send_acked(Kind::Response, function, &response);
        }
    }
}
