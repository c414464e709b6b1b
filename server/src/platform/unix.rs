//! Unix: signals, descriptors, `/proc`.

use std::fs;
use std::io;

use crate::transports::stdio::{BoxReader, BoxWriter};

/// Waits for SIGINT, SIGTERM or SIGHUP (the terminal or launcher went away).
pub(crate) async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let on = |kind: SignalKind| async move {
        match signal(kind) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = on(SignalKind::interrupt()) => {}
        () = on(SignalKind::terminate()) => {}
        () = on(SignalKind::hangup()) => {}
    }
}

/// The soft limit on open descriptors, when the OS says.
pub(crate) fn descriptor_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    Some(usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

/// True while the process `pid` runs: it exists and is not a zombie (a
/// process killed but not yet reaped by its parent still answers
/// `kill(pid, 0)`).
pub(crate) fn is_alive(pid: u32) -> bool {
    // 0 names no process: `kill(0, 0)` asks about the caller's own process
    // group, which always exists (found by the registry_entry fuzz target).
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid == 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        // Alive but another user's: not ours, yet not dead either.
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !is_zombie(pid)
}

/// True when `/proc` says `pid` has exited and waits to be reaped.
fn is_zombie(pid: libc::pid_t) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may
    // itself hold spaces and parentheses.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| matches!(state, "Z" | "X"))
}

static PROTOCOL_STDOUT: std::sync::OnceLock<std::os::fd::OwnedFd> = std::sync::OnceLock::new();

/// Reserves stdout for the protocol: moves it to a private descriptor and
/// points fd 1 at stderr, so that anything else that prints, in Python or in
/// C, lands on stderr. Call it before importing user code. Idempotent.
pub fn protect_stdout() -> io::Result<()> {
    use std::os::fd::AsFd;
    if PROTOCOL_STDOUT.get().is_some() {
        return Ok(());
    }
    let stdout = io::stdout().as_fd().try_clone_to_owned()?;
    // SAFETY: dup2 on two descriptors this process owns; it only changes
    // what fd 1 refers to.
    if unsafe { libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let _ = PROTOCOL_STDOUT.set(stdout);
    Ok(())
}

/// Takes the process's stdin and (protected) stdout for the protocol. Pipes,
/// which is what IDEs use, are driven by tokio's non-blocking pipe driver;
/// anything else falls back to tokio's blocking stdio handles. Must be called
/// inside a tokio runtime.
pub(crate) fn take_process_stdio() -> io::Result<(BoxReader, BoxWriter)> {
    use std::os::fd::AsRawFd;
    protect_stdout()?;
    let stdout = PROTOCOL_STDOUT
        .get()
        .ok_or_else(|| io::Error::other("stdout was not reserved"))?
        .try_clone()?;
    let reader: BoxReader = match reopen_fifo(libc::STDIN_FILENO, false) {
        Some(file) => Box::pin(tokio::net::unix::pipe::Receiver::from_file(file)?),
        None => Box::pin(tokio::io::stdin()),
    };
    let writer: BoxWriter = match reopen_fifo(stdout.as_raw_fd(), true) {
        Some(file) => Box::pin(tokio::net::unix::pipe::Sender::from_file(file)?),
        None => Box::pin(tokio::fs::File::from_std(std::fs::File::from(stdout))),
    };
    Ok((reader, writer))
}

/// Opens a FIFO descriptor afresh, so that making it non-blocking does not
/// change the descriptor the parent process shares.
fn reopen_fifo(fd: i32, write: bool) -> Option<std::fs::File> {
    use std::os::unix::fs::FileTypeExt;
    let path = format!("/proc/self/fd/{fd}");
    let is_fifo = std::fs::metadata(&path).ok()?.file_type().is_fifo();
    if !is_fifo {
        return None;
    }
    std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .open(path)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_that_name_no_process_are_not_alive() {
        assert!(
            !is_alive(0),
            "0 is the caller's process group, not a process"
        );
        assert!(!is_alive(u32::MAX), "past pid_t");
    }

    #[test]
    fn a_zombie_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        assert!(is_alive(std::process::id()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        // It exits at once, but is not reaped until `wait` below.
        while !is_zombie(pid as libc::pid_t) {
            assert!(std::time::Instant::now() < deadline, "`true` did not exit");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!is_alive(pid));
        child.wait().unwrap();
    }
}
