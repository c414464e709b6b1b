//! A file descriptor that is readable while the FIFO has work, for hosts
//! whose event loop watches descriptors (Qt's `QSocketNotifier`, GLib's
//! `g_unix_fd_add`). The host's loop then calls [`Pump::pump`] the moment a
//! message arrives: no timer, no polling, and no server thread ever enters
//! the host's code or takes its interpreter lock.
//!
//! Unix: an `eventfd` on Linux, a non-blocking pipe on other Unixes. A
//! flag keeps a burst of messages to one write.
//!
//! [`Pump::pump`]: crate::Pump::pump

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// What a host's loop watches: a file descriptor.
pub type WakeHandle = RawFd;

/// The readable-when-there-is-work descriptor of a [`Bridge`](crate::Bridge).
#[derive(Debug)]
pub struct WakeFd {
    /// The end the host watches.
    read: OwnedFd,
    /// The end [`WakeFd::signal`] writes (the same descriptor for an eventfd).
    write: Option<OwnedFd>,
    /// True from a signal until the next clear.
    signalled: AtomicBool,
}

impl WakeFd {
    /// A new descriptor, not readable yet.
    pub fn new() -> io::Result<Self> {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: eventfd has no memory preconditions; the result is checked.
            let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: a fresh descriptor we own.
            let read = unsafe { OwnedFd::from_raw_fd(fd) };
            Ok(Self {
                read,
                write: None,
                signalled: AtomicBool::new(false),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let mut fds = [0; 2];
            // SAFETY: `fds` has room for the two descriptors.
            if unsafe { libc::pipe(fds.as_mut_ptr()) } < 0 {
                return Err(io::Error::last_os_error());
            }
            for fd in fds {
                // SAFETY: descriptors we just made.
                unsafe {
                    libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
                    libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
            // SAFETY: fresh descriptors we own.
            let (read, write) =
                unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            Ok(Self {
                read,
                write: Some(write),
                signalled: AtomicBool::new(false),
            })
        }
    }

    /// The descriptor to watch for reading.
    pub fn raw_fd(&self) -> WakeHandle {
        self.read.as_raw_fd()
    }

    /// Makes the descriptor readable (once per burst).
    pub fn signal(&self) {
        if self.signalled.swap(true, Ordering::AcqRel) {
            return;
        }
        let fd = self.write.as_ref().unwrap_or(&self.read).as_raw_fd();
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64. A full pipe or counter
        // means it is readable already, which is all a signal is for.
        let _ = unsafe { libc::write(fd, (&raw const one).cast(), size_of::<u64>()) };
    }

    /// Makes the descriptor unreadable again. Called before the queue is
    /// drained, so a message pushed during the drain signals anew.
    pub fn clear(&self) {
        self.signalled.store(false, Ordering::Release);
        let mut buffer = [0u8; 64];
        loop {
            // SAFETY: reads into a live buffer of the given length.
            let read = unsafe {
                libc::read(
                    self.read.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                )
            };
            // An eventfd empties in one read; a pipe may need more.
            if read <= 0 || self.write.is_none() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd; zero timeout.
        unsafe { libc::poll(&raw mut poll, 1, 0) == 1 }
    }

    #[test]
    fn readable_from_a_signal_until_cleared() {
        let wake = WakeFd::new().unwrap();
        assert!(!readable(wake.raw_fd()));
        wake.signal();
        wake.signal();
        assert!(readable(wake.raw_fd()));
        wake.clear();
        assert!(!readable(wake.raw_fd()));
        wake.signal();
        assert!(
            readable(wake.raw_fd()),
            "a signal after a clear counts again"
        );
    }
}
