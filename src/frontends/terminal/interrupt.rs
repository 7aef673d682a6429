//! Ctrl-C as a message: a SIGINT handler that writes one byte to a socket pair, and a
//! watcher thread that turns each byte into [`Event::Interrupt`] on the session's channel.
//!
//! A signal handler may do almost nothing (no locks, no allocation, no channel sends), so it
//! only writes a byte; everything else happens on the watcher, and the session waits on its
//! channel instead of polling a flag. While the line editor reads, the terminal is in raw
//! mode and Ctrl-C arrives as a key, not a signal; this handler covers the time a request
//! runs, when the terminal is back in its normal mode.

use std::io::{self, Read as _};
use std::os::fd::{FromRawFd as _, IntoRawFd as _, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;

use super::worker::Event;

/// The write end of the pipe the handler writes to; -1 when no handler is installed. A
/// handler cannot be given arguments, so it has to be a static.
static PIPE: AtomicI32 = AtomicI32::new(-1);

/// What Ctrl-C does while no request runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenIdle {
    /// Nothing: the line editor sees Ctrl-C as a key, and a stray one is dropped.
    Ignore,
    /// End the process as if no handler were installed: piped input behaves like any filter.
    Exit,
}

/// The installed handler; dropping it puts back the previous one.
pub(crate) struct Interrupts {
    previous: libc::sigaction,
    watcher: Option<JoinHandle<()>>,
}

extern "C" fn on_sigint(_: libc::c_int) {
    // SAFETY: only async-signal-safe calls: errno is saved and restored around write(2) so
    // the interrupted code never sees it change.
    unsafe {
        let errno = *libc::__errno_location();
        let fd = PIPE.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = 1u8;
            libc::write(fd, (&raw const byte).cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

impl Interrupts {
    /// Installs the handler; each Ctrl-C while `busy` becomes an [`Event::Interrupt`] on `events`.
    pub(crate) fn install(
        events: SyncSender<Event>,
        busy: Arc<AtomicBool>,
        idle: WhenIdle,
    ) -> io::Result<Interrupts> {
        let (reader, writer) = UnixStream::pair()?;
        // A handler must never block: when the pipe is full, Ctrl-C is already pending.
        writer.set_nonblocking(true)?;
        let fd = writer.into_raw_fd();
        if PIPE
            .compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            // SAFETY: `fd` came from `into_raw_fd` above and is owned by nobody else.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
            return Err(io::Error::other("a Ctrl-C handler is already installed"));
        }
        let previous = match set_handler() {
            Ok(previous) => previous,
            Err(e) => {
                close_pipe();
                return Err(e);
            }
        };
        let watcher = std::thread::Builder::new()
            .name("terminal-sigint".into())
            .spawn(move || watch(reader, &events, &busy, idle));
        match watcher {
            Ok(handle) => Ok(Interrupts {
                previous,
                watcher: Some(handle),
            }),
            Err(e) => {
                restore(&previous);
                close_pipe();
                Err(e)
            }
        }
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        restore(&self.previous);
        // Closing the write end ends the watcher's read with end-of-file.
        close_pipe();
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
    }
}

fn set_handler() -> io::Result<libc::sigaction> {
    // SAFETY: plain C structs filled before use; `on_sigint` is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SA_RESTART: a blocking read elsewhere carries on instead of failing with EINTR.
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGINT, &action, &mut previous) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(previous)
    }
}

fn restore(previous: &libc::sigaction) {
    // SAFETY: `previous` is what sigaction returned for SIGINT.
    unsafe {
        libc::sigaction(libc::SIGINT, previous, std::ptr::null_mut());
    }
}

fn close_pipe() {
    let fd = PIPE.swap(-1, Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: the fd was put there by `install`, and the swap makes this its only owner.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

/// Turns bytes from the handler into events until the pipe closes.
fn watch(mut pipe: UnixStream, events: &SyncSender<Event>, busy: &AtomicBool, idle: WhenIdle) {
    let mut byte = [0u8; 1];
    while matches!(pipe.read(&mut byte), Ok(1)) {
        if busy.load(Ordering::SeqCst) {
            // One pending interrupt is enough; a full queue already holds one.
            let _ = events.try_send(Event::Interrupt);
        } else if idle == WhenIdle::Exit {
            exit_by_sigint();
        }
    }
}

/// Dies of SIGINT, as the shell expects from a program interrupted by Ctrl-C.
fn exit_by_sigint() {
    // SAFETY: resetting to the default action and raising the signal ends the process.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::raise(libc::SIGINT);
    }
}
