//! dcclink's private folder: the instance registry and the audit logs live
//! in it, and another user on the machine must be able neither to read it
//! nor to plant anything in it.
//!
//! The folder is `$DCCLINK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/dcclink`,
//! else `<temp dir>/dcclink-<uid>`. The last lives in a shared, sticky
//! `/tmp`, where another user can make a folder of that name first. So a
//! folder is used only when it is a real directory (not a symlink), owned
//! by this user and closed to everyone else (no group or other bits); it is
//! made 0700 when missing, and refused otherwise, with an error that says
//! who owns it and what to do.
//!
//! Files inside are opened as untrusted: without following symlinks,
//! without blocking (a FIFO named like an entry must not hang a reader),
//! regular files owned by this user only, and read up to a bound.
//!
//! What "private" means is the system's: on Unix the owner's uid and the
//! permission bits (`unix.rs`). A port adds a module beside it with the
//! same items (on Windows: the user's SID and an ACL; docs/PLATFORMS.md).

#[cfg(unix)]
mod unix;

#[cfg(all(unix, test))]
pub(crate) use unix::my_uid;
#[cfg(unix)]
pub(crate) use unix::{
    RuntimeDirError, append_private, config_dir, create_private_dirs, private_folder,
    read_untrusted, write_private,
};
