//! Running commands, loudly.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Where things are, and the environment every command gets.
pub(crate) struct Env {
    /// The workspace root.
    pub root: PathBuf,
    /// Extra environment variables.
    pub vars: Vec<(String, String)>,
}

impl Env {
    /// The same environment with more variables.
    pub(crate) fn with_vars(&self, extra: &[(&str, &str)]) -> Env {
        let mut vars = self.vars.clone();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Env {
            root: self.root.clone(),
            vars,
        }
    }

    /// A program in the project's `.venv`.
    pub(crate) fn venv_bin(&self, name: &str) -> PathBuf {
        self.root.join(".venv/bin").join(name)
    }
}

/// The workspace root (xtask lives one level below it).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Prints a step heading on stderr.
pub(crate) fn step(what: &str) {
    eprintln!("\n==> {what}");
}

fn command(program: &OsStr, args: &[&str], env: &Env) -> Command {
    let mut command = Command::new(program);
    command.args(args).current_dir(&env.root);
    for (key, value) in &env.vars {
        command.env(key, value);
    }
    command
}

/// Runs a command in the workspace root; fails when it fails.
pub(crate) fn run(program: &OsStr, args: &[&str], env: &Env) -> Result<()> {
    eprintln!("$ {} {}", program.to_string_lossy(), args.join(" "));
    let status = command(program, args, env)
        .status()
        .with_context(|| format!("cannot run {}", program.to_string_lossy()))?;
    if !status.success() {
        bail!(
            "{} {} failed ({status})",
            program.to_string_lossy(),
            args.join(" ")
        );
    }
    Ok(())
}

/// Runs a command under a virtual X display (for the WebView).
pub(crate) fn run_under_xvfb(program: &str, args: &[&str], env: &Env) -> Result<()> {
    let mut all = vec!["-a", "-s", "-screen 0 1280x800x24", program];
    all.extend_from_slice(args);
    run("xvfb-run".as_ref(), &all, env)
}

/// Runs `cargo` with the project's environment.
pub(crate) fn cargo(env: &Env, args: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(&cargo, args, env)
}

/// True when the command runs and succeeds (output hidden).
pub(crate) fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Copies `built` to `installed` by way of a rename: replaced, not
/// overwritten, so that a process that has the old file mapped keeps it.
pub(crate) fn install(built: &Path, installed: &Path) -> Result<()> {
    let staged = installed.with_extension("so.new");
    std::fs::copy(built, &staged)
        .and_then(|_| std::fs::rename(&staged, installed))
        .with_context(|| {
            format!(
                "cannot install {} as {}",
                built.display(),
                installed.display()
            )
        })
}
