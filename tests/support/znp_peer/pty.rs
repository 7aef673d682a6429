//! The pseudo-terminal the played chip sits behind.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A pty in raw mode: the master, the slave (held open), the slave's path.
pub(super) fn open_pty() -> (File, OwnedFd, String) {
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
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
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
    (
        File::from(master),
        slave,
        path.to_string_lossy().into_owned(),
    )
}
