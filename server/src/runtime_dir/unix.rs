//! Unix: ownership by uid, permission bits, and `O_NOFOLLOW`.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io::Write as _;
use std::io::{self, Read as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// Why a folder of dcclink's was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeDirError {
    /// Another user owns it: they could read tokens or plant entries.
    #[error(
        "refusing dcclink's runtime folder {path}: it belongs to uid {owner}, not to you (uid {me}), so that user could read your tokens or plant instances — remove it, or set DCCLINK_RUNTIME_DIR to a folder of your own"
    )]
    NotYours {
        /// The folder.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's user.
        me: u32,
    },
    /// Others may read or write it.
    #[error(
        "refusing dcclink's runtime folder {path}: its mode is {mode:04o}, so other users can use it — run `chmod 700 {path}`, or set DCCLINK_RUNTIME_DIR to a private folder"
    )]
    NotPrivate {
        /// The folder.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// It is a symlink or a file, not a directory.
    #[error(
        "refusing dcclink's runtime folder {path}: it is not a directory (a symlink or a file is never followed) — remove it, or set DCCLINK_RUNTIME_DIR"
    )]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// It could not be made or inspected.
    #[error("cannot use dcclink's runtime folder {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// This process's user id.
pub(crate) fn my_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Where dcclink's folder is, before any check.
pub(crate) fn location() -> PathBuf {
    match std::env::var_os("DCCLINK_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => match std::env::var_os("XDG_RUNTIME_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("dcclink"),
            _ => std::env::temp_dir().join(format!("dcclink-{}", my_uid())),
        },
    }
}

/// The folder `name` inside dcclink's folder (`""` for the folder itself),
/// made private when missing and checked when present.
pub(crate) fn private_folder(name: &str) -> Result<PathBuf, RuntimeDirError> {
    let root = location();
    if let Some(parent) = root.parent().filter(|p| !p.exists()) {
        std::fs::create_dir_all(parent).map_err(|source| RuntimeDirError::Io {
            path: parent.to_owned(),
            source,
        })?;
    }
    make_private(&root)?;
    if name.is_empty() {
        return Ok(root);
    }
    let folder = root.join(name);
    make_private(&folder)?;
    Ok(folder)
}

/// Makes `path` a 0700 directory if it is missing, then checks it.
fn make_private(path: &Path) -> Result<(), RuntimeDirError> {
    match DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(source) => {
            return Err(RuntimeDirError::Io {
                path: path.to_owned(),
                source,
            });
        }
    }
    check_private(path)
}

/// Checks that `path` is a directory, not a symlink, owned by this user
/// and closed to everyone else.
fn check_private(path: &Path) -> Result<(), RuntimeDirError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| RuntimeDirError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(RuntimeDirError::NotADirectory {
            path: path.to_owned(),
        });
    }
    let me = my_uid();
    if meta.uid() != me {
        return Err(RuntimeDirError::NotYours {
            path: path.to_owned(),
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(RuntimeDirError::NotPrivate {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Why a file in dcclink's folder was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UntrustedFileError {
    /// Not a regular file: a symlink, a FIFO, a device or a folder.
    #[error(
        "{0} is not a regular file (dcclink never follows a symlink, or reads a FIFO or a device)"
    )]
    NotRegular(PathBuf),
    /// Another user owns it.
    #[error("{path} belongs to uid {owner}, not to you")]
    NotYours {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
    },
    /// It is larger than the bound.
    #[error("{path} is larger than {max} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound.
        max: u64,
    },
    /// Opening or reading failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// Opens `path` with `options` as an untrusted file: never through a
/// symlink, never blocking on a FIFO, and only a regular file of this
/// user's. Both ways dcclink opens files in its folder go through here.
fn open_untrusted(
    options: &mut OpenOptions,
    path: &Path,
) -> Result<(File, Metadata), UntrustedFileError> {
    let io_error = |source| UntrustedFileError::Io {
        path: path.to_owned(),
        source,
    };
    let file = options
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::ELOOP) => UntrustedFileError::NotRegular(path.to_owned()),
            _ => io_error(source),
        })?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(UntrustedFileError::NotRegular(path.to_owned()));
    }
    if meta.uid() != my_uid() {
        return Err(UntrustedFileError::NotYours {
            path: path.to_owned(),
            owner: meta.uid(),
        });
    }
    Ok((file, meta))
}

/// Reads the file at `path` if it is a regular file of this user's of at
/// most `max` bytes. Never follows a symlink and never blocks on a FIFO.
pub(crate) fn read_untrusted(path: &Path, max: u64) -> Result<Vec<u8>, UntrustedFileError> {
    let (file, meta) = open_untrusted(OpenOptions::new().read(true), path)?;
    let too_large = || UntrustedFileError::TooLarge {
        path: path.to_owned(),
        max,
    };
    if meta.len() > max {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Bounded again while reading: the file may grow after the check.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| UntrustedFileError::Io {
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Makes the folder `path` and its missing parents; the ones made are
/// private to this user (0700).
pub(crate) fn create_private_dirs(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// The user's config dir: `$XDG_CONFIG_HOME`, else `~/.config`.
pub(crate) fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))
}

/// Replaces `path` with a file of `bytes`, private to this user (0600):
/// written whole to a temporary file beside it, then renamed, so a reader
/// sees the old file or the new one, never half of either.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// Opens `path` to append to, creating it 0600; refuses a symlink or any
/// file that is not a regular file of this user's.
pub(crate) fn append_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true).mode(0o600);
    match open_untrusted(&mut options, path) {
        Ok((file, _)) => Ok(file),
        Err(UntrustedFileError::Io { source, .. }) => Err(source),
        Err(refused) => Err(io::Error::other(format!("refusing it: {refused}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dcclink-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        DirBuilder::new().mode(0o700).create(&dir).unwrap();
        dir
    }

    #[test]
    fn only_a_private_directory_of_ours_is_used() {
        let dir = scratch("private-check");
        let open = dir.join("open");
        make_private(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = make_private(&open).unwrap_err();
        assert!(matches!(
            refused,
            RuntimeDirError::NotPrivate { mode: 0o777, .. }
        ));
        assert!(refused.to_string().contains("chmod 700"), "{refused}");
        let link = dir.join("link");
        std::os::unix::fs::symlink(&open, &link).unwrap();
        assert!(matches!(
            make_private(&link),
            Err(RuntimeDirError::NotADirectory { .. })
        ));
        let made = dir.join("made");
        make_private(&made).unwrap();
        let mode = std::fs::metadata(&made).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn untrusted_reads_refuse_links_fifos_and_large_files() {
        let dir = scratch("untrusted-read");
        let fine = dir.join("fine.json");
        std::fs::write(&fine, b"{}").unwrap();
        assert_eq!(read_untrusted(&fine, 16).unwrap(), b"{}");
        let zero = dir.join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(
            read_untrusted(&zero, 16),
            Err(UntrustedFileError::NotRegular(_))
        ));
        let fifo = dir.join("fifo.json");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_untrusted(&fifo, 16),
            Err(UntrustedFileError::NotRegular(_))
        ));
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; 17]).unwrap();
        assert!(matches!(
            read_untrusted(&big, 16),
            Err(UntrustedFileError::TooLarge { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn appending_never_follows_a_planted_symlink() {
        let dir = scratch("append");
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, b"mine\n").unwrap();
        let log = dir.join("audit.jsonl");
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        let refused = append_private(&log).unwrap_err();
        assert!(refused.to_string().contains("symlink"), "{refused}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"mine\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
