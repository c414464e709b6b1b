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

use std::io::Write as _;
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
        std::thread::Builder::new()
            .name("dcclink-audit".into())
            .spawn(move || {
                // Until close() drops the sender, and what it left is written.
                for line in pending {
                    if let Err(error) = file.write_all(&line) {
                        tracing::warn!(%error, "cannot write the audit log");
                    }
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
