//! Round trip of a no-op tool over stdio, from a Rust JSON-RPC client, for
//! three servers measured in the same run: dcclink (a Python tool run by the
//! host pump), a plain rmcp server answering inline in Rust, and the official
//! Python SDK's `MCPServer`. Also dcclink's `ctx.progress` cost and its idle
//! memory.
//!
//! Run with `cargo xtask bench` (it installs a release build first).
#![allow(
    clippy::print_stdout,
    reason = "a benchmark prints its table for BENCHMARKS.md"
)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use dcclink_tests::spawn::{dcclink_bin, fixture, workspace};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const WARMUP: usize = 300;
const SEQUENTIAL: usize = 3_000;
const PIPELINED: usize = 20_000;
const IN_FLIGHT: usize = 64;

struct Server {
    name: &'static str,
    child: Child,
    write: BufWriter<ChildStdin>,
    read: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl Server {
    async fn start(name: &'static str, program: PathBuf, args: &[&str]) -> Self {
        let mut child = Command::new(&program)
            .args(args)
            .current_dir(workspace())
            .env("DCCLINK_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let write = BufWriter::new(child.stdin.take().expect("stdin"));
        let read = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut server = Self {
            name,
            child,
            write,
            read,
            next_id: 1,
        };
        server
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                                          "clientInfo": {"name": "bench", "version": "0"}}),
            )
            .await;
        server
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        server.flush().await;
        server
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.write.write_all(line.as_bytes()).await.expect("write");
    }

    async fn flush(&mut self) {
        self.write.flush().await.expect("flush");
    }

    async fn send_call(&mut self, tool: &str, arguments: Value, meta: Option<Value>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut params = json!({"name": tool, "arguments": arguments});
        if let Some(meta) = meta {
            params["_meta"] = meta;
        }
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}))
            .await;
        id
    }

    /// The next response (notifications are skipped).
    async fn next_response(&mut self) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(60), self.read.next_line())
                .await
                .expect("the server hung")
                .expect("read")
                .unwrap_or_else(|| panic!("{} closed stdout", self.name));
            let message: Value = serde_json::from_str(&line).expect("JSON");
            if message.get("id").is_some() && message.get("method").is_none() {
                return message;
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.flush().await;
        self.next_response().await
    }

    async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.send_call(tool, arguments, None).await;
        self.flush().await;
        self.next_result().await
    }

    /// The next response, which must be a result.
    async fn next_result(&mut self) -> Value {
        let response = self.next_response().await;
        assert!(
            response.get("result").is_some(),
            "{}: {response}",
            self.name
        );
        response
    }

    /// Sequential round trips: (p50, p99) in microseconds.
    async fn sequential(&mut self) -> (f64, f64) {
        for _ in 0..WARMUP {
            self.call("noop", json!({})).await;
        }
        let mut samples = Vec::with_capacity(SEQUENTIAL);
        for _ in 0..SEQUENTIAL {
            let start = Instant::now();
            self.call("noop", json!({})).await;
            samples.push(start.elapsed().as_secs_f64() * 1e6);
        }
        samples.sort_by(f64::total_cmp);
        (percentile(&samples, 0.50), percentile(&samples, 0.99))
    }

    /// Calls per second with `IN_FLIGHT` calls outstanding.
    async fn pipelined(&mut self) -> f64 {
        let start = Instant::now();
        let (mut sent, mut received) = (0, 0);
        while received < PIPELINED {
            while sent < PIPELINED && sent - received < IN_FLIGHT {
                self.send_call("noop", json!({}), None).await;
                sent += 1;
            }
            self.flush().await;
            self.next_result().await;
            received += 1;
        }
        PIPELINED as f64 / start.elapsed().as_secs_f64()
    }

    fn rss_mib(&self) -> f64 {
        let pid = self.child.id().unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let tools = fixture("tools.py");
    let tools = tools.to_string_lossy();
    let python = workspace().join(".venv/bin/python");
    let sdk = fixture("sdk_server.py");

    let mut dcclink = Server::start(
        "dcclink",
        dcclink_bin(),
        &["serve", "--stdio", "--tools", &tools],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = dcclink.rss_mib();

    let mut rows = Vec::new();
    // Another build's dcclink (an older release, say), in the same run.
    let baseline = std::env::var_os("DCCLINK_BASELINE").map(|path| {
        let args = ["serve", "--stdio", "--tools", &tools].map(str::to_owned);
        (
            "dcclink, baseline build (DCCLINK_BASELINE)",
            Some(PathBuf::from(path)),
            args.to_vec(),
        )
    });
    for (name, program, args) in [
        ("dcclink (Python tool on the host pump)", None, vec![]),
        (
            "plain rmcp, tool inline in Rust",
            Some(PathBuf::from(env!("CARGO_BIN_EXE_plain-rmcp-server"))),
            vec![],
        ),
        (
            "official Python SDK MCPServer",
            Some(python.clone()),
            vec![sdk.to_string_lossy().into_owned()],
        ),
    ]
    .into_iter()
    .chain(baseline)
    {
        let (p50, p99, rate) = match program {
            None => {
                let (p50, p99) = dcclink.sequential().await;
                (p50, p99, dcclink.pipelined().await)
            }
            Some(program) => {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let label = match name {
                    _ if name.starts_with("plain") => "plain rmcp",
                    _ if name.starts_with("dcclink") => "baseline",
                    _ => "python sdk",
                };
                let mut server = Server::start(label, program, &args).await;
                let (p50, p99) = server.sequential().await;
                (p50, p99, server.pipelined().await)
            }
        };
        rows.push((name, p50, p99, rate));
    }

    let progress = dcclink.call("progress_cost", json!({"n": 100_000})).await;
    let id = dcclink
        .send_call(
            "progress_cost",
            json!({"n": 100_000}),
            Some(json!({"progressToken": "bench"})),
        )
        .await;
    dcclink.flush().await;
    let with_token = dcclink.next_response().await;
    assert_eq!(with_token["id"], json!(id));
    let ns = |v: &Value| {
        v["result"]["structuredContent"]["ns_per_call"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };

    println!("| server | sequential p50 | sequential p99 | pipelined ({IN_FLIGHT} in flight) |");
    println!("|---|---|---|---|");
    for (name, p50, p99, rate) in &rows {
        println!("| {name} | {p50:.0} µs | {p99:.0} µs | {rate:.0} calls/s |");
    }
    let (d, r, s) = (&rows[0], &rows[1], &rows[2]);
    println!();
    println!("- dcclink p50 / plain rmcp p50: {:.2}×", d.1 / r.1);
    if let Some(b) = rows.get(3) {
        println!("- dcclink p50 / baseline build p50: {:.2}×", d.1 / b.1);
    }
    println!(
        "- dcclink throughput / Python SDK throughput: {:.1}×",
        d.3 / s.3
    );
    println!(
        "- ctx.progress: {:.2} µs per call without a progress token, {:.2} µs with one (100,000 calls)",
        ns(&progress) / 1000.0,
        ns(&with_token) / 1000.0
    );
    println!("- idle RSS of `dcclink serve --stdio` with the fixture tools: {idle_rss:.1} MiB");
}
