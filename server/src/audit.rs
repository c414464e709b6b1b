//! The audit log: one JSON line per tool call and resource read, for the
//! user to see afterwards what agents did in the DCC.
//!
//! It lives beside the instance registry, in `<runtime dir>/audit/<instance
//! id>.jsonl` (mode 0600, appended, kept after the instance stops; the
//! runtime dir is `$DCCLINK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/dcclink`). A line holds the
//! time, the client, the tool or URI, a SHA-256 digest of the arguments
//! (never the arguments themselves, which may hold anything), the outcome
//! and the duration:
//!
//! ```json
//! {"time":1795190400.123,"client":"claude-code (http)","kind":"tool","name":"create_object","arguments_sha256":"9f2c…","outcome":"ok","ms":4.2}
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::Sender;
use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::model::JsonObject;
use serde::{Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use dcclink_bridge::Outcome;

use crate::job::{Job, JobKind};
use crate::runtime_dir::{self, RuntimeDirError};

/// Where the audit lines go; nowhere until [`AuditLog::open`].
///
/// A thread of its own appends them, so that a call's answer never waits
/// for the disk: recording formats a line and hands it over.
pub struct AuditLog {
    writer: OrderedMutex<Option<Sender<Vec<u8>>>>,
}

/// How many lines may wait for the writer before new ones are dropped
/// (with a warning) rather than slow a call down.
const BACKLOG: usize = 4096;

impl Default for AuditLog {
    fn default() -> Self {
        Self {
            writer: OrderedMutex::new(LockLevel::Audit, None),
        }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    time: f64,
    client: &'a str,
    kind: &'static str,
    name: &'a str,
    arguments_sha256: String,
    outcome: &'static str,
    ms: f64,
}

/// A JSON value that serializes with each object's keys in sorted order,
/// without being copied.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => serialize_sorted(map, serializer),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Sorted)),
            other => other.serialize(serializer),
        }
    }
}

/// Serializes `map` with its keys, and those of every object in it, sorted.
fn serialize_sorted<S: Serializer>(map: &JsonObject, serializer: S) -> Result<S::Ok, S::Error> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by_key(|(key, _)| *key);
    serializer.collect_map(entries.into_iter().map(|(key, value)| (key, Sorted(value))))
}

/// The audit log's file for the instance `id`, in the private `audit/`
/// folder (made when missing; refused when another user could reach it).
pub(crate) fn path_for(id: &str) -> Result<PathBuf, RuntimeDirError> {
    Ok(runtime_dir::private_folder("audit")?.join(format!("{id}.jsonl")))
}

/// The audit file's id for a server outside the registry (stdio): its pid
/// and its start in milliseconds. A pid alone is reused, and a later
/// server would append to the file of one that was killed.
pub(crate) fn unregistered_id() -> String {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    format!("stdio-{}-{started}", std::process::id())
}

/// The SHA-256 of the arguments' JSON with its keys sorted (so the same
/// arguments give the same digest in any order), in hex.
pub(crate) fn digest(arguments: &JsonObject) -> String {
    let mut hasher = Sha256::new();
    // Written straight into the hash; writing to it cannot fail.
    let _ = serialize_sorted(arguments, &mut serde_json::Serializer::new(&mut hasher));
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl AuditLog {
    /// Appends from now on to `path` (made 0600; never through a symlink,
    /// and only to a regular file of this user's).
    pub fn open(&self, path: &Path) -> std::io::Result<()> {
        let mut file = runtime_dir::append_private(path)?;
        let (lines, pending) = crossbeam_channel::bounded::<Vec<u8>>(BACKLOG);
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("dcclink-audit".into())
            .spawn(move || {
                // Until close() drops the sender, and what it left is written.
                let mut failing = false;
                for line in pending {
                    failing = append(&mut file, &line, failing, &path);
                }
            })?;
        *self.writer.lock() = Some(lines);
        Ok(())
    }

    /// Stops recording (the instance stopped); the writer finishes the
    /// lines it was given, then ends.
    pub fn close(&self) {
        *self.writer.lock() = None;
    }

    /// Records one finished call. A failed write is logged, never raised:
    /// the call's answer matters more than its record.
    pub fn record(
        &self,
        client: &str,
        kind: JobKind,
        name: &str,
        arguments_sha256: String,
        outcome: Outcome,
        took: Duration,
    ) {
        let Some(writer) = self.writer.lock().clone() else {
            return;
        };
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0);
        let line = Line {
            time,
            client,
            kind: match kind {
                JobKind::Tool => "tool",
                JobKind::Resource => "resource",
                JobKind::Prompt => "prompt",
                JobKind::Completion => "completion",
            },
            name,
            arguments_sha256,
            outcome: match outcome {
                Outcome::Done => "ok",
                Outcome::Failed => "error",
                Outcome::Cancelled => "cancelled",
                Outcome::TimedOut => "timed out",
                Outcome::Refused => "refused",
            },
            ms: (took.as_secs_f64() * 1e5).round() / 100.0,
        };
        let mut text = serde_json::to_vec(&line).unwrap_or_default();
        text.push(b'\n');
        if writer.try_send(text).is_err() {
            tracing::warn!("the audit log is behind; a line was dropped");
        }
    }
}

/// Appends `line`; returns whether the log is failing now. A write that
/// fails may leave part of a line (a full disk), so the first line after
/// a failure starts on a line of its own: every whole line stays valid
/// JSON, and a torn one is never glued to the next. The failure is said
/// once, and so is the recovery, not once per call.
fn append(file: &mut impl std::io::Write, line: &[u8], failing: bool, path: &Path) -> bool {
    let written = if failing {
        file.write_all(b"\n").and_then(|()| file.write_all(line))
    } else {
        file.write_all(line)
    };
    match (written, failing) {
        (Ok(()), true) => {
            tracing::warn!(path = %path.display(), "the audit log is written again");
            false
        }
        (Ok(()), false) => false,
        (Err(error), false) => {
            tracing::warn!(
                %error,
                path = %path.display(),
                "cannot write the audit log, so calls are not recorded until it can (is the disk \
                 full?); dcclink serves on"
            );
            true
        }
        (Err(_), true) => true,
    }
}

/// A call's audit record, begun when the request arrives.
pub struct Record {
    client: String,
    kind: JobKind,
    name: String,
    digest: String,
    started: Instant,
}

impl Record {
    /// The job's name: the tool, the URI, the prompt.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Begins the record of `job` with `arguments`, for `client`.
    pub fn begin(client: String, job: &Job, arguments: &JsonObject) -> Self {
        Self {
            client,
            kind: job.kind,
            name: job.name.clone(),
            digest: digest(arguments),
            started: Instant::now(),
        }
    }

    /// Ends the record: writes it to `log`, with the job's verdict.
    pub fn end(self, log: &AuditLog, outcome: Outcome) {
        let took = self.started.elapsed();
        log.record(
            &self.client,
            self.kind,
            &self.name,
            self.digest,
            outcome,
            took,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A file on a disk that fills up part-way through a write, then has
    /// room again.
    #[derive(Default)]
    struct FillingDisk {
        written: Vec<u8>,
        room: Option<usize>,
    }

    impl std::io::Write for FillingDisk {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let fits = self.room.map_or(bytes.len(), |room| room.min(bytes.len()));
            if fits == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.written.extend_from_slice(&bytes[..fits]);
            self.room = self.room.map(|room| room - fits);
            Ok(fits)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_torn_by_a_full_disk_is_never_glued_to_the_next() {
        let path = Path::new("audit.jsonl");
        let mut disk = FillingDisk::default();
        assert!(!append(&mut disk, b"{\"n\":1}\n", false, path));
        disk.room = Some(4);
        assert!(
            append(&mut disk, b"{\"n\":2}\n", false, path),
            "a failed write"
        );
        assert!(append(&mut disk, b"{\"n\":3}\n", true, path), "still full");
        disk.room = None;
        assert!(!append(&mut disk, b"{\"n\":4}\n", true, path), "room again");
        let text = String::from_utf8(disk.written).expect("text");
        let whole: Vec<Value> = text
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        assert_eq!(whole, [json!({"n": 1}), json!({"n": 4})], "{text:?}");
        assert_eq!(
            text.lines().count(),
            3,
            "the torn line stands alone: {text:?}"
        );
    }

    fn object(value: Value) -> JsonObject {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_same_arguments_in_another_order_give_the_same_digest() {
        let one = object(json!({"b": 1, "a": {"d": [{"f": 1, "e": 2}], "c": 2}}));
        let two = object(json!({"a": {"c": 2, "d": [{"e": 2, "f": 1}]}, "b": 1}));
        assert_eq!(digest(&one), digest(&two));
        assert_ne!(digest(&one), digest(&object(json!({"a": 1, "b": 1}))));
    }
}
