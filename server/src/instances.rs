//! The instance registry: every running dcclink that serves HTTP, in a DCC or
//! as `dcclink serve`, keeps one JSON file in the user's runtime dir so that
//! `dcclink list` and `dcclink panel --instance` can find it (and, later,
//! the `dcclink connect` relay).
//!
//! - The folder is `$DCCLINK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/dcclink`,
//!   else `<temp dir>/dcclink-<uid>`, with `instances/` inside; mode 0700.
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
//! assert!(instances::running().iter().any(|i| i.id == registration.id()));
//! # Ok(()) }
//! ```

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

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
}

/// Why no single instance matches what the user asked for.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
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

/// dcclink's folder for this user: `$DCCLINK_RUNTIME_DIR`, else
/// `$XDG_RUNTIME_DIR/dcclink`, else `<temp>/dcclink-<uid>`. The registry and
/// the audit logs live in it.
pub fn runtime_dir() -> PathBuf {
    match std::env::var_os("DCCLINK_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => match std::env::var_os("XDG_RUNTIME_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("dcclink"),
            // SAFETY: getuid has no preconditions and cannot fail.
            _ => std::env::temp_dir().join(format!("dcclink-{}", unsafe { libc::getuid() })),
        },
    }
}

/// The registry's folder (created on first registration).
pub fn dir() -> PathBuf {
    runtime_dir().join("instances")
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
        Self::create_in(&dir(), instance)
    }

    fn create_in(folder: &Path, instance: Instance) -> Result<Self, RegistryError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|source| RegistryError::Write {
                path: folder.to_owned(),
                source,
            })?;
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
        let temporary = self.path.with_extension("json.tmp");
        let failed = |source| RegistryError::Write {
            path: self.path.clone(),
            source,
        };
        let _ = fs::remove_file(&temporary);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(failed)?;
        file.write_all(&json).map_err(failed)?;
        drop(file);
        fs::rename(&temporary, &self.path).map_err(failed)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The running instances, oldest first. Entries of processes that have died
/// are deleted; unreadable entries are skipped.
pub fn running() -> Vec<Instance> {
    running_in(&dir())
}

fn running_in(folder: &Path) -> Vec<Instance> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut found: Vec<Instance> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| {
            let instance: Instance = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
            if is_alive(instance.pid) {
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

fn is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    // Alive but another user's: not ours, yet not dead either.
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
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

    fn instance(id: &str, dcc: &str, pid: u32) -> Instance {
        Instance {
            id: id.into(),
            pid,
            dcc: dcc.into(),
            dcc_version: None,
            scene: None,
            url: "http://127.0.0.1:1/mcp".into(),
            token: "t".into(),
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
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(
            mode(&folder.join(format!("{}.json", registration.id()))),
            0o600
        );
        drop(registration);
        assert!(running_in(&folder).is_empty());
        fs::remove_dir_all(folder.parent().unwrap()).unwrap();
    }
}
