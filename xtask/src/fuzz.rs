//! The coverage-guided fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer):
//! a smoke of each in `cargo xtask test`, and `cargo xtask fuzz
//! [SECONDS]`, the long run of each whose figures `docs/RELIABILITY.md`
//! gives.
//!
//! cargo-fuzz needs nightly flags, so these commands alone set
//! `RUSTC_BOOTSTRAP=1`; the product's build never does. Each run reads the
//! target's corpus in `fuzz/corpus/` and writes what it finds to a scratch
//! folder, so the checkout stays as it was; a crash is kept in
//! `fuzz/artifacts/<target>/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use anyhow::{Context, Result, bail};

use crate::sh::{self, Env};

/// The targets, as `fuzz/Cargo.toml` names them.
const TARGETS: [&str; 7] = [
    "stdio_framing",
    "tool_arguments",
    "uri_template",
    "panel_answer",
    "registry_entry",
    "list_cursor",
    "task_ids",
];

/// How long the smoke in `cargo xtask test` runs each target.
const SMOKE_SECONDS: u32 = 60;

/// `cargo xtask fuzz [SECONDS [TARGET...]]`: each target (or those named)
/// for SECONDS (600 by default), two at a time (a core each, on the 2-core
/// machines this runs on), built with AddressSanitizer.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let seconds = match args.first() {
        Some(seconds) => seconds
            .parse()
            .with_context(|| format!("SECONDS must be a whole number, not {seconds:?}"))?,
        None => 600,
    };
    let named = args.get(1..).unwrap_or_default();
    if let Some(unknown) = named.iter().find(|t| !TARGETS.contains(&t.as_str())) {
        bail!(
            "no fuzz target {unknown:?}; the targets: {}",
            TARGETS.join(", ")
        );
    }
    let targets: Vec<&str> = match named {
        [] => TARGETS.to_vec(),
        named => named.iter().map(String::as_str).collect(),
    };
    let env = Env {
        root: sh::root(),
        vars: Vec::new(),
    };
    campaign(&env, &targets, "address", seconds, 2)
}

/// The smoke of `cargo xtask test`: every target at once for
/// [`SMOKE_SECONDS`], built without a sanitizer (dcclink's code has no
/// `unsafe`, and the build is minutes shorter).
pub(crate) fn smoke(env: &Env) -> Result<()> {
    campaign(env, &TARGETS, "none", SMOKE_SECONDS, TARGETS.len())
}

/// Builds the targets with `sanitizer`, then runs each of `targets` for
/// `seconds`, `together` at a time; fails, naming the input, when one
/// crashes.
fn campaign(
    env: &Env,
    targets: &[&str],
    sanitizer: &str,
    seconds: u32,
    together: usize,
) -> Result<()> {
    let fuzz = env.root.join("fuzz");
    let nightly = env.with_vars(&[("RUSTC_BOOTSTRAP", "1")]);
    if !sh::succeeds("cargo", &["fuzz", "--version"]) {
        sh::step("cargo-fuzz");
        sh::cargo(
            env,
            &["install", "cargo-fuzz", "--version", "0.13.2", "--locked"],
        )?;
    }
    sh::step(&format!("fuzz targets (libFuzzer, sanitizer {sanitizer})"));
    // The targets fuzz the crates the product ships: the workspace's lock,
    // which cargo then trims to what the fuzz crate uses.
    std::fs::copy(env.root.join("Cargo.lock"), fuzz.join("Cargo.lock"))?;
    let in_fuzz = Env {
        root: fuzz.clone(),
        vars: nightly.vars.clone(),
    };
    sh::cargo(&in_fuzz, &["fuzz", "build", "-O", "--sanitizer", sanitizer])?;
    sh::step(&format!(
        "each fuzz target for {seconds} s, {together} at a time"
    ));
    let scratch = std::env::temp_dir().join(format!("dcclink-fuzz-{}", std::process::id()));
    let mut crashed = Vec::new();
    for targets in targets.chunks(together) {
        let running = targets
            .iter()
            .map(|target| start(&fuzz, &scratch, target, seconds))
            .collect::<Result<Vec<_>>>()?;
        for (target, mut child) in targets.iter().zip(running) {
            let status = child.wait()?;
            let log = scratch.join(format!("{target}.log"));
            let summary = summary(&log);
            eprintln!("{target}: {summary}");
            if !status.success() {
                crashed.push(format!("{target} ({status}; its log: {})", log.display()));
            }
        }
    }
    if !crashed.is_empty() {
        bail!(
            "fuzz targets crashed: {}. The input that did it is in fuzz/artifacts/<target>/; \
             replay it with the target's binary to debug, and keep it as a regression test",
            crashed.join(", ")
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Starts `target` for `seconds` on its corpus, its output to a log.
fn start(fuzz: &Path, scratch: &Path, target: &str, seconds: u32) -> Result<Child> {
    let binary = fuzz
        .join("target/x86_64-unknown-linux-gnu/release")
        .join(target);
    let found = scratch.join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    for folder in [&found, &artifacts] {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot make {}", folder.display()))?;
    }
    let log = File::create(scratch.join(format!("{target}.log")))?;
    let corpus: PathBuf = fuzz.join("corpus").join(target);
    Command::new(&binary)
        .arg(&found)
        .arg(&corpus)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot run {}", binary.display()))
}

/// What a run's log says of it: executions, their rate, and the coverage
/// (edges and features) at its end.
fn summary(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let stat = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("stat::{name}:")))
            .map_or("?", str::trim)
            .to_owned()
    };
    let coverage = text
        .lines()
        .rev()
        .find_map(|line| line.split_once(" cov: ").map(|(_, rest)| rest))
        .and_then(|rest| {
            let mut words = rest.split_whitespace();
            let edges = words.next()?;
            let features = words.nth(1)?;
            Some(format!("{edges} edges, {features} features"))
        })
        .unwrap_or_else(|| "coverage unknown".to_owned());
    format!(
        "{} executions, {}/s, {coverage}",
        stat("number_of_executed_units"),
        stat("average_exec_per_sec")
    )
}
