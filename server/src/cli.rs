//! The `dcclink` command line. The Python package's `dcclink` script and
//! `python -m dcclink` parse their arguments with these definitions, so the
//! CLI is the same wherever it is started.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::limits::ClientLimits;

/// dcclink: an MCP server inside your DCC application.
#[derive(Debug, Parser)]
#[command(
    name = "dcclink",
    version,
    about = "dcclink: an MCP server inside your DCC application"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the standalone host: import the tool files and serve MCP.
    Serve(ServeArgs),
    /// Open a running instance's panel in a window of its own process.
    Panel(PanelArgs),
    /// Show the running instances (in DCCs and `dcclink serve --http`).
    List(ListArgs),
    /// The command an IDE launches: MCP on stdio, relayed to a running
    /// instance (the only one, or the one --dcc or --instance names).
    Connect(ConnectArgs),
    /// Print the MCP config an IDE needs to reach dcclink (`dcclink
    /// connect`), or merge it into the IDE's config file with --write.
    Config(ConfigArgs),
    /// Write the Blender add-on as a zip, with dcclink inside it, to
    /// install from Blender's preferences: a 4.2+ extension carrying a
    /// dcclink wheel (--wheel), or a legacy add-on for Blender 3.x.
    BlenderAddon(BlenderAddonArgs),
}

/// `dcclink blender-addon`.
#[derive(Debug, Args)]
pub struct BlenderAddonArgs {
    /// Where to write the zip.
    #[arg(long, default_value = "dcclink_blender.zip", value_name = "FILE")]
    pub out: PathBuf,

    /// Make a Blender 4.2+ extension that installs this dcclink wheel, for
    /// the wheel's platform; without it, the legacy add-on for 3.x, with
    /// this installation inside.
    #[arg(long, value_name = "WHEEL")]
    pub wheel: Option<PathBuf>,
}

/// `dcclink panel`: which instance's panel to open. With none of the
/// options, the only running instance; with several running, say which.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct PanelArgs {
    /// The instance's id, as `dcclink list` shows it.
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,

    /// The only running instance of this DCC (blender, maya, …).
    #[arg(long, value_name = "NAME")]
    pub dcc: Option<String>,

    /// A panel link instead (the "panel" an instance printed, or
    /// `dcclink.start().panel`), for an instance the registry does not list.
    #[arg(long, env = "DCCLINK_PANEL_URL", hide_env_values = true)]
    pub url: Option<String>,
}

/// `dcclink connect`: which instance to relay to. With no option, the
/// only running instance; with several running, say which. `--url` names
/// one on another machine instead.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The instance's id, as `dcclink list` shows it.
    #[arg(long, value_name = "ID", conflicts_with_all = ["dcc", "url"])]
    pub instance: Option<String>,

    /// The only running instance of this DCC (blender, maya, houdini, …).
    #[arg(long, value_name = "NAME", conflicts_with = "url")]
    pub dcc: Option<String>,

    /// An instance on another machine: its `remote_url` as `dcclink list
    /// --json` shows it there, e.g. https://dcc-box:8765/mcp.
    #[arg(long, value_name = "URL", requires = "token")]
    pub url: Option<String>,

    /// The token that instance was started with.
    #[arg(long, env = "DCCLINK_TOKEN", hide_env_values = true, requires = "url")]
    pub token: Option<String>,

    /// Trust the instance's certificate by its SHA-256 fingerprint (its
    /// `fingerprint` in `dcclink list --json` there), as a self-signed one
    /// needs; without it, the system's certificate authorities decide.
    #[arg(long, value_name = "SHA256", requires = "url")]
    pub fingerprint: Option<crate::tls::Fingerprint>,
}

/// The IDEs `dcclink config` knows.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Ide {
    /// Claude Desktop (its claude_desktop_config.json).
    ClaudeDesktop,
    /// Claude Code (the project's .mcp.json).
    ClaudeCode,
    /// Cursor (~/.cursor/mcp.json).
    Cursor,
    /// VS Code (the project's .vscode/mcp.json).
    Vscode,
    /// Windsurf (~/.codeium/windsurf/mcp_config.json).
    Windsurf,
}

/// `dcclink config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The IDE.
    #[arg(value_enum)]
    pub ide: Ide,

    /// Merge the config into the IDE's file, keeping every other server.
    #[arg(long)]
    pub write: bool,

    /// The config file to write, instead of the IDE's usual one.
    #[arg(long, value_name = "FILE", requires = "write")]
    pub path: Option<PathBuf>,

    /// Relay to the only running instance of this DCC (blender, maya, …).
    #[arg(long, value_name = "NAME", conflicts_with = "url")]
    pub dcc: Option<String>,

    /// Relay to an instance on another machine, as `dcclink connect --url`
    /// does.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// The token of the instance at --url, written into the entry's `env`
    /// (the file becomes private to you). Without it the relay reads
    /// DCCLINK_TOKEN from the environment the IDE starts it in.
    #[arg(long, requires = "url")]
    pub token: Option<String>,

    /// The fingerprint of the certificate at --url, to pin it.
    #[arg(long, value_name = "SHA256", requires = "url")]
    pub fingerprint: Option<crate::tls::Fingerprint>,

    /// How the IDE starts dcclink: this installation's own `dcclink`, or
    /// `uvx` (for dcclink installed from a package index).
    #[arg(long, value_enum, default_value_t = Launcher::Path)]
    pub launcher: Launcher,

    /// With `--launcher uvx`, what uvx installs: a requirement such as
    /// `dcclink` or `dcclink==0.1.0`, or a wheel's path.
    #[arg(long = "from", value_name = "SPEC", default_value = "dcclink")]
    pub source: String,
}

/// How an IDE starts dcclink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Launcher {
    /// This installation's `dcclink`, by its absolute path.
    Path,
    /// `uvx --from SPEC dcclink`: uv installs it on first use and keeps it
    /// cached.
    Uvx,
}

/// Where a farm's workers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Child processes of the farm.
    Local,
    /// Ray actors on the cluster at --address.
    Ray,
}

/// `dcclink list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// One JSON object per line, tokens included, instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `dcclink serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Speak MCP on stdin/stdout (how IDEs launch a server).
    #[arg(long)]
    pub stdio: bool,

    /// Serve Streamable HTTP at http://ADDR/mcp; port 0 picks a free port.
    /// An address other machines reach (0.0.0.0, a LAN address) needs
    /// --token and is served over TLS, /mcp only; the panel then gets a
    /// loopback port of its own.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,

    /// Another name clients may reach a non-loopback --http by (its
    /// address always works); repeatable.
    #[arg(long = "allow-host", value_name = "NAME", requires = "http")]
    pub allow_hosts: Vec<String>,

    /// The certificate (PEM, with any intermediates) for a non-loopback
    /// --http, instead of a self-signed one.
    #[arg(long, value_name = "FILE", requires_all = ["http", "tls_key"])]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Serve the panel to other machines too, at https://ADDR/panel (with
    /// the token), on a non-loopback --http; it is loopback-only otherwise.
    #[arg(long, requires = "http")]
    pub remote_panel: bool,

    /// The bearer token HTTP clients must send (random when not given).
    #[arg(long, env = "DCCLINK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// A Python file, or a module such as dcclink.packs.blender, whose
    /// @dcclink.tool functions to serve (repeatable).
    #[arg(long = "tools", value_name = "FILE|MODULE")]
    pub tools: Vec<PathBuf>,

    /// Serve as a farm: start N headless workers (the --tools in each, on
    /// --worker-python) and run each tool call on a free one, N at once;
    /// this process runs no tool itself.
    #[arg(long, value_name = "N", conflicts_with = "worker")]
    pub workers: Option<usize>,

    /// Where a farm's workers run: child processes of this one, or actors
    /// on a Ray cluster (--address).
    #[arg(long, value_enum, default_value_t = Engine::Local, requires = "workers")]
    pub engine: Engine,

    /// The Ray cluster of `--engine ray`, as `ray.init` takes it (such as
    /// `ray://head:10001` or `auto`); a new local one when not given.
    #[arg(long, value_name = "ADDRESS", requires = "workers")]
    pub address: Option<String>,

    /// The Python a farm's local workers run: the DCC's headless one (a
    /// venv with bpy, hython, mayapy); this one when not given.
    #[arg(long, value_name = "PATH", requires = "workers")]
    pub worker_python: Option<PathBuf>,

    /// Serve as one of a worker pool's workers (`dcclink.workers` starts
    /// them so): tool calls push no undo step, and an HTTP worker stays
    /// out of the instance registry, where IDEs look for DCCs.
    #[arg(long)]
    pub worker: bool,

    /// How many calls may wait for the host's main thread.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub queue_capacity: usize,

    /// How long a call may wait in the queue before it is refused.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub queue_timeout: f64,

    /// How long a tool may run unless it sets its own timeout.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub timeout: f64,

    /// The largest request accepted, in bytes.
    #[arg(long, default_value_t = 8 * 1024 * 1024, value_name = "BYTES")]
    pub max_request_bytes: usize,

    /// The most HTTP sessions (clients) served at once.
    #[arg(long, default_value_t = ClientLimits::default().max_sessions, value_name = "N")]
    pub max_sessions: usize,

    /// The most requests one session may have in flight at once.
    #[arg(long, default_value_t = ClientLimits::default().max_in_flight, value_name = "N")]
    pub max_in_flight: usize,

    /// The most calls one client may have queued or running at once (a
    /// client without a session, on MCP 2026-07-28, is known by its name).
    #[arg(long, default_value_t = ClientLimits::default().max_calls_per_client, value_name = "N")]
    pub max_calls_per_client: usize,

    /// More logging on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Sends dcclink's logs to stderr, and its warnings and errors to the panel:
/// dcclink's own at `info` and other crates' warnings by default, more with
/// `verbose`, or whatever `DCCLINK_LOG` says (an `EnvFilter` directive).
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn,dcclink=info,dcclink_bridge=info,dcclink_server=info",
        1 => "info,dcclink=debug,dcclink_bridge=debug,dcclink_server=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DCCLINK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // When stderr is a closed pipe (the launcher died), reporting the
        // failed write would itself panic and take the task that logged with
        // it — such as the one that handles SIGTERM.
        .log_internal_errors(false);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(crate::panel::server_log::PanelLogLayer)
        .try_init();
}
