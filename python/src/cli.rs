//! The command line, parsed with the server crate's clap definitions so that
//! `dcclink`, `python -m dcclink` and the Rust side agree on every flag.

use clap::Parser;
use dcclink_server::cli::{Cli, Command};
use dcclink_server::relay::{Choice, Remote, Target};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Parses `argv` (without the program name). Returns the `serve` options as
/// a dict, or an exit code when clap has already answered (help, version,
/// or a usage error it printed).
#[pyfunction]
pub(crate) fn parse_args<'py>(py: Python<'py>, argv: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
    let cli = match Cli::try_parse_from(std::iter::once("dcclink".to_owned()).chain(argv)) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return Ok(error.exit_code().into_pyobject(py)?.into_any());
        }
    };
    let options = PyDict::new(py);
    let args = match cli.command {
        Command::Serve(args) => args,
        Command::Panel(args) => {
            options.set_item("command", "panel")?;
            options.set_item("instance", args.instance)?;
            options.set_item("dcc", args.dcc)?;
            options.set_item("url", args.url)?;
            return Ok(options.into_any());
        }
        Command::List(args) => {
            options.set_item("command", "list")?;
            options.set_item("json", args.json)?;
            return Ok(options.into_any());
        }
        Command::Connect(args) => {
            options.set_item("command", "connect")?;
            options.set_item("instance", args.instance)?;
            options.set_item("dcc", args.dcc)?;
            options.set_item("url", args.url)?;
            options.set_item("token", args.token)?;
            options.set_item("fingerprint", args.fingerprint.map(|pin| pin.to_string()))?;
            return Ok(options.into_any());
        }
        Command::Config(args) => {
            let ide = clap::ValueEnum::to_possible_value(&args.ide)
                .map(|value| value.get_name().to_owned());
            options.set_item("command", "config")?;
            options.set_item("ide", ide)?;
            options.set_item("write", args.write)?;
            options.set_item("path", args.path)?;
            options.set_item("dcc", args.dcc)?;
            options.set_item("url", args.url)?;
            options.set_item("token", args.token)?;
            options.set_item("fingerprint", args.fingerprint.map(|pin| pin.to_string()))?;
            let launcher = clap::ValueEnum::to_possible_value(&args.launcher)
                .map(|value| value.get_name().to_owned());
            options.set_item("launcher", launcher)?;
            options.set_item("source", args.source)?;
            return Ok(options.into_any());
        }
        Command::BlenderAddon(args) => {
            options.set_item("command", "blender-addon")?;
            options.set_item("out", args.out)?;
            options.set_item("wheel", args.wheel)?;
            return Ok(options.into_any());
        }
    };
    options.set_item("command", "serve")?;
    options.set_item("stdio", args.stdio)?;
    options.set_item("http", args.http.map(|a| a.to_string()))?;
    options.set_item("token", args.token)?;
    options.set_item("allow_hosts", args.allow_hosts)?;
    options.set_item("tls_cert", args.tls_cert)?;
    options.set_item("tls_key", args.tls_key)?;
    options.set_item("remote_panel", args.remote_panel)?;
    options.set_item("tools", args.tools)?;
    options.set_item("worker", args.worker)?;
    options.set_item("workers", args.workers)?;
    let engine =
        clap::ValueEnum::to_possible_value(&args.engine).map(|value| value.get_name().to_owned());
    options.set_item("engine", engine)?;
    options.set_item("address", args.address)?;
    options.set_item("worker_python", args.worker_python)?;
    options.set_item("queue_capacity", args.queue_capacity)?;
    options.set_item("queue_timeout", args.queue_timeout)?;
    options.set_item("timeout", args.timeout)?;
    options.set_item("max_request_bytes", args.max_request_bytes)?;
    options.set_item("max_sessions", args.max_sessions)?;
    options.set_item("max_in_flight", args.max_in_flight)?;
    options.set_item("max_calls_per_client", args.max_calls_per_client)?;
    options.set_item("verbose", args.verbose)?;
    Ok(options.into_any())
}

/// Sends dcclink's logs to stderr (`DCCLINK_LOG` overrides the level).
#[pyfunction]
#[pyo3(signature = (verbose = 0))]
pub(crate) fn init_logging(verbose: u8) {
    dcclink_server::cli::init_logging(verbose);
}

/// Reserves stdout for the MCP stdio transport: from now on fd 1 is stderr,
/// so prints from tools cannot corrupt the protocol.
#[pyfunction]
pub(crate) fn protect_stdout() -> PyResult<()> {
    dcclink_server::protect_stdout().map_err(|e| PyOSError::new_err(e.to_string()))
}

/// Runs `dcclink connect`: the relay on stdin and stdout, until the IDE
/// closes stdin. Holds no Python lock meanwhile. `url` (with `token`, and
/// `fingerprint` to pin) names an instance on another machine instead of
/// one in the registry.
#[pyfunction]
#[pyo3(signature = (instance = None, dcc = None, url = None, token = None, fingerprint = None))]
pub(crate) fn connect(
    py: Python<'_>,
    instance: Option<String>,
    dcc: Option<String>,
    url: Option<String>,
    token: Option<String>,
    fingerprint: Option<String>,
) -> PyResult<()> {
    let target = match url {
        Some(url) => {
            let fingerprint = fingerprint.as_deref().map(str::parse).transpose().map_err(
                |e: dcclink_server::tls::FingerprintError| PyValueError::new_err(e.to_string()),
            )?;
            Target::Remote(Remote {
                url,
                token: token.ok_or_else(|| {
                    PyValueError::new_err("an instance on another machine needs its token")
                })?,
                fingerprint,
            })
        }
        None => Target::Registry(Choice { instance, dcc }),
    };
    py.detach(|| dcclink_server::relay::run_stdio(target))
        .map_err(|e| PyOSError::new_err(e.to_string()))
}
