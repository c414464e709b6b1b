//! The instance registry: every running dcclink that serves HTTP, in a DCC or
//! as `dcclink serve`, keeps one JSON file in the user's runtime dir so that
//! `dcclink list` and `dcclink panel --instance` can find it (and, later,
//! the `dcclink connect` relay).
//!
//! - The folder is `instances/` in dcclink's private [`runtime_dir`], and is
//!   refused, like it, when another user could have planted entries there.
//! - Each entry is `<id>.json`, mode 0600: it holds the bearer token. It is
//!   written to a temporary file and renamed, so readers never see half of
//!   one, and removed when its [`Registration`] drops.
//! - An entry whose process has died (a crash skips the removal) is ignored
//!   by [`running`] and deleted.
//!
//! ```no_run
//! use dcclink_server::instances::{self, Instance};
//!
//! # fn main() -> Result<(), instances::RegistryError> {
//! let host = instances::HostInfo { dcc: "blender".into(), dcc_version: Some("4.2.0".into()), scene: None };
//! let instance = Instance::new(&host, "http://127.0.0.1:8765/mcp", "secret");
//! let registration = instances::Registration::create(instance)?;
//! assert!(instances::running()?.iter().any(|i| i.id == registration.id()));
//! # Ok(()) }
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::runtime_dir::{self, RuntimeDirError};

/// One running instance, as its registry entry records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// Unique among running instances: `<dcc>-<pid>`, plus `-<n>` for the
    /// second and later servers one process starts.
    pub id: String,
    /// The process that serves it.
    pub pid: u32,
    /// The host: `blender`, `maya`, `houdini`, `standalone`, …
    pub dcc: String,
    /// The host's version, when known.
    pub dcc_version: Option<String>,
    /// The scene or file open in the host, when known.
    pub scene: Option<String>,
    /// The MCP endpoint, e.g. `http://127.0.0.1:8765/mcp`.
    pub url: String,
    /// The bearer token the endpoint and the panel require.
    pub token: String,
    /// Where other machines reach it over TLS, when it serves them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
    /// The SHA-256 fingerprint (hex) of the certificate at `remote_url`,
    /// which a client there pins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// When it started, in seconds since the Unix epoch.
    pub started: u64,
}

/// What a host says about itself for its registry entry.
#[derive(Debug, Clone, Default)]
pub struct HostInfo {
    /// The host: `blender`, `maya`, `standalone`, …
    pub dcc: String,
    /// Its version, when known.
    pub dcc_version: Option<String>,
    /// The scene or file open in it, when known.
    pub scene: Option<String>,
}

/// Servers started by this process so far, for unique ids.
static STARTED_HERE: AtomicU32 = AtomicU32::new(0);

impl Instance {
    /// The entry for a server this process has just started.
    pub fn new(host: &HostInfo, url: &str, token: &str) -> Self {
        let pid = std::process::id();
        let dcc: String = host
            .dcc
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let id = match STARTED_HERE.fetch_add(1, Ordering::Relaxed) {
            0 => format!("{dcc}-{pid}"),
            n => format!("{dcc}-{pid}-{}", n + 1),
        };
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            id,
            pid,
            dcc,
            dcc_version: host.dcc_version.clone(),
            scene: host.scene.clone(),
            url: url.to_owned(),
            token: token.to_owned(),
            remote_url: None,
            fingerprint: None,
            started,
        }
    }

    /// The panel's address, with the token for the first load.
    pub fn panel_url(&self) -> String {
        panel_link(&self.url, &self.token)
    }
}

/// The panel's address for the MCP endpoint `mcp_url`, with `token` for the
/// first load (the page then keeps it in a cookie).
pub fn panel_link(mcp_url: &str, token: &str) -> String {
    let base = mcp_url.strip_suffix("/mcp").unwrap_or(mcp_url);
    format!("{base}/panel?token={token}")
}

/// Why the registry could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Creating the folder or writing the entry failed.
    #[error(
        "cannot write the instance registry entry {path}: {source} — `dcclink list` and `dcclink panel` will not find this instance (set DCCLINK_RUNTIME_DIR to a writable folder)"
    )]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Encoding the entry failed.
    #[error("cannot encode the instance registry entry: {0}")]
    Encode(#[from] serde_json::Error),
    /// The runtime folder is not safe to use.
    #[error("{0} — `dcclink list` and `dcclink connect` will not find this instance")]
    Folder(#[from] RuntimeDirError),
}

/// Why no single instance matches what the user asked for.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    /// The registry's folder was refused (see [`RuntimeDirError`]).
    #[error("{0}")]
    Registry(String),
    /// Nothing is running (of that DCC).
    #[error(
        "no {what} instance is running — {advice}, then try again",
        advice = advice_to_start(.what)
    )]
    NoneRunning {
        /// "dcclink", or the DCC asked for.
        what: String,
    },
    /// The id matches no running instance.
    #[error("no running instance has the id {id:?}; running: {running} (see `dcclink list`)")]
    NoSuchId {
        /// The id asked for.
        id: String,
        /// The ids that are running.
        running: String,
    },
    /// More than one matches: dcclink never guesses.
    #[error(
        "{count} instances are running ({ids}); choose one with --instance ID (see `dcclink list`)"
    )]
    Ambiguous {
        /// How many match.
        count: usize,
        /// Their ids.
        ids: String,
    },
}

/// What to do when no instance of `dcc` runs.
fn advice_to_start(dcc: &str) -> String {
    match dcc {
        "dcclink" => "start dcclink in your DCC, or run `dcclink serve --http 127.0.0.1:0`".into(),
        "standalone" => "run `dcclink serve --http 127.0.0.1:0`".into(),
        _ => {
            let mut letters = dcc.chars();
            let app: String = letters.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(letters).collect()
            });
            format!("open {app} and start dcclink there")
        }
    }
}

/// The registry's folder, made private when missing; refused when another
/// user could have planted entries in it.
pub fn dir() -> Result<PathBuf, RuntimeDirError> {
    runtime_dir::private_folder("instances")
}

/// A registry entry that exists while this value lives. Dropping it removes
/// the entry.
#[derive(Debug)]
pub struct Registration {
    instance: Instance,
    path: PathBuf,
}

impl Registration {
    /// Writes the entry for `instance` into [`dir`].
    pub fn create(instance: Instance) -> Result<Self, RegistryError> {
        Self::create_in(&dir()?, instance)
    }

    fn create_in(folder: &Path, instance: Instance) -> Result<Self, RegistryError> {
        let path = folder.join(format!("{}.json", instance.id));
        let registration = Self { instance, path };
        registration.write()?;
        Ok(registration)
    }

    /// The instance's id.
    pub fn id(&self) -> &str {
        &self.instance.id
    }

    /// Records the scene or file now open in the host.
    pub fn set_scene(&mut self, scene: Option<String>) -> Result<(), RegistryError> {
        self.instance.scene = scene;
        self.write()
    }

    fn write(&self) -> Result<(), RegistryError> {
        let json = serde_json::to_vec_pretty(&self.instance)?;
        runtime_dir::write_private(&self.path, &json).map_err(|source| RegistryError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The largest registry entry read: a real one is a few hundred bytes.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// The running instances, oldest first. Entries of processes that have died
/// are deleted; entries that are not regular files of this user's, are too
/// large or do not parse are skipped (with a warning). An error when the
/// registry's folder itself is not safe to read.
pub fn running() -> Result<Vec<Instance>, RuntimeDirError> {
    Ok(running_in(&dir()?))
}

pub(crate) fn running_in(folder: &Path) -> Vec<Instance> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut found: Vec<Instance> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| {
            let bytes = runtime_dir::read_untrusted(&path, MAX_ENTRY_BYTES)
                .inspect_err(|error| tracing::warn!("skipping a registry entry: {error}"))
                .ok()?;
            let instance: Instance = serde_json::from_slice(&bytes)
                .inspect_err(|error| {
                    tracing::warn!(path = %path.display(), %error, "skipping a registry entry that does not parse");
                })
                .ok()?;
            if crate::platform::is_alive(instance.pid) {
                Some(instance)
            } else {
                tracing::debug!(id = %instance.id, "removing the entry of a process that has exited");
                let _ = fs::remove_file(&path);
                None
            }
        })
        .collect();
    found.sort_by(|a, b| (a.started, &a.id).cmp(&(b.started, &b.id)));
    found
}

/// Picks among the instances running now, as [`select`] does.
pub fn select_running(id: Option<&str>, dcc: Option<&str>) -> Result<Instance, SelectError> {
    let running = running().map_err(|error| SelectError::Registry(error.to_string()))?;
    select(&running, id, dcc)
}

/// Picks the one instance the user means: the one with `id`, else the only
/// one of `dcc`, else the only one running. Never guesses between several.
pub fn select(
    running: &[Instance],
    id: Option<&str>,
    dcc: Option<&str>,
) -> Result<Instance, SelectError> {
    let ids = |list: &[&Instance]| {
        list.iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(id) = id {
        return running
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .ok_or_else(|| SelectError::NoSuchId {
                id: id.to_owned(),
                running: match ids(&running.iter().collect::<Vec<_>>()) {
                    none if none.is_empty() => "none".to_owned(),
                    some => some,
                },
            });
    }
    let matching: Vec<&Instance> = running
        .iter()
        .filter(|i| dcc.is_none_or(|dcc| i.dcc.eq_ignore_ascii_case(dcc)))
        .collect();
    match matching.as_slice() {
        [] => Err(SelectError::NoneRunning {
            what: dcc.unwrap_or("dcclink").to_owned(),
        }),
        [only] => Ok((*only).clone()),
        several => Err(SelectError::Ambiguous {
            count: several.len(),
            ids: ids(several),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt as _;

    fn instance(id: &str, dcc: &str, pid: u32) -> Instance {
        Instance {
            id: id.into(),
            pid,
            dcc: dcc.into(),
            dcc_version: None,
            scene: None,
            url: "http://127.0.0.1:1/mcp".into(),
            token: "t".into(),
            remote_url: None,
            fingerprint: None,
            started: 0,
        }
    }

    #[test]
    fn select_never_guesses_between_several() {
        let list = [
            instance("blender-1", "blender", 1),
            instance("maya-2", "maya", 2),
        ];
        assert_eq!(
            select(&list, None, Some("Maya")).map(|i| i.id),
            Ok("maya-2".into())
        );
        assert_eq!(
            select(&list, Some("blender-1"), None).map(|i| i.id),
            Ok("blender-1".into())
        );
        assert!(matches!(
            select(&list, None, None),
            Err(SelectError::Ambiguous { count: 2, .. })
        ));
        assert!(matches!(
            select(&list, None, Some("houdini")),
            Err(SelectError::NoneRunning { .. })
        ));
        let missing = select(&list, Some("nuke-3"), None).unwrap_err().to_string();
        assert!(missing.contains("blender-1, maya-2"), "{missing}");
        assert_eq!(
            select(&list[..1], None, None).map(|i| i.id),
            Ok("blender-1".into())
        );
    }

    #[test]
    fn entries_of_dead_processes_are_removed() {
        let folder =
            std::env::temp_dir().join(format!("dcclink-registry-test-{}", std::process::id()));
        fs::create_dir_all(&folder).unwrap();
        // pid_t's maximum is never a live process on Linux (pid_max ≤ 2^22).
        let dead = instance("dead-1", "maya", i32::MAX as u32);
        let alive = instance("alive-1", "maya", std::process::id());
        for i in [&dead, &alive] {
            fs::write(
                folder.join(format!("{}.json", i.id)),
                serde_json::to_vec(i).unwrap(),
            )
            .unwrap();
        }
        fs::write(folder.join("garbage.json"), b"{").unwrap();
        // What another user or a hostile process could plant: a link to an
        // endless device, a FIFO no one writes to, another user's entry.
        std::os::unix::fs::symlink("/dev/zero", folder.join("zero.json")).unwrap();
        let fifo =
            std::ffi::CString::new(folder.join("fifo.json").into_os_string().into_vec()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        if runtime_dir::my_uid() == 0 {
            let planted = folder.join("planted.json");
            let theirs = instance("planted-1", "maya", std::process::id());
            fs::write(&planted, serde_json::to_vec(&theirs).unwrap()).unwrap();
            std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
        }
        assert_eq!(running_in(&folder), vec![alive]);
        assert!(!folder.join("dead-1.json").exists());
        fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn an_entry_is_private_and_goes_with_its_registration() {
        use std::os::unix::fs::PermissionsExt as _;
        let folder = std::env::temp_dir()
            .join(format!("dcclink-registration-test-{}", std::process::id()))
            .join("instances");
        // The folder's own privacy is runtime_dir's (tested there).
        fs::create_dir_all(&folder).unwrap();
        let host = HostInfo {
            dcc: "Maya 2025".into(),
            ..HostInfo::default()
        };
        let mut registration =
            Registration::create_in(&folder, Instance::new(&host, "http://127.0.0.1:1/mcp", "t"))
                .unwrap();
        assert!(registration.id().starts_with("maya-2025-"));
        registration.set_scene(Some("/shots/a.ma".into())).unwrap();
        let listed = running_in(&folder);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].scene.as_deref(), Some("/shots/a.ma"));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&folder.join(format!("{}.json", registration.id()))),
            0o600
        );
        drop(registration);
        assert!(running_in(&folder).is_empty());
        fs::remove_dir_all(folder.parent().unwrap()).unwrap();
    }
}
