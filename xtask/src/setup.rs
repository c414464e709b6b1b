//! `cargo xtask setup`: everything dcclink needs, installed when missing.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

use crate::sh::{self, Env};

/// Which build of the Python extension to install.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Debug build: quick to compile, for tests.
    Dev,
    /// Optimised build, for benchmarks.
    Release,
}

/// Debian packages and the command that shows each is present.
const APT: &[(&str, &[&str], &str)] = &[
    (
        "python3",
        &["-c", "import venv, ensurepip"],
        "python3 python3-venv",
    ),
    ("cc", &["--version"], "build-essential"),
    // npm, for the MCP conformance suite and the MCPB manifest validator.
    ("npm", &["--version"], "nodejs npm"),
    // Headless Chromium for the browser-panel tests (driven by Playwright).
    ("chromium", &["--version"], "chromium"),
    // The embedded panel: WebKitGTK to build against, Xvfb to test under.
    (
        "pkg-config",
        &["--exists", "webkit2gtk-4.1"],
        "pkg-config libwebkit2gtk-4.1-dev",
    ),
    ("xvfb-run", &["--help"], "xvfb xauth"),
    // Blender with its UI, for the Blender add-on's tests under Xvfb.
    ("blender", &["--version"], "blender"),
    // Remote access is tested across two network namespaces.
    ("ip", &["netns", "list"], "iproute2"),
    ("openssl", &["version"], "openssl"),
    // The Qt host's tests: the libraries PySide6's wheel does not bundle.
    (
        "sh",
        &[
            "-c",
            "for l in libEGL.so.1 libGL.so.1 libfontconfig.so.1 libxkbcommon.so.0 libdbus-1.so.3; \
             do /sbin/ldconfig -p | grep -q \"$l\" || exit 1; done",
        ],
        "libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3",
    ),
];

/// Installs what is missing; returns the environment for later commands.
pub(crate) fn run(profile: Profile) -> Result<Env> {
    let root = sh::root();
    let python = root.join(".venv/bin/python");
    let env = Env {
        vars: vec![
            ("PYO3_PYTHON".into(), python.display().to_string()),
            (
                "VIRTUAL_ENV".into(),
                root.join(".venv").display().to_string(),
            ),
            ("DEBIAN_FRONTEND".into(), "noninteractive".into()),
        ],
        root,
    };
    sh::step("system packages");
    install_apt_packages(&env)?;
    sh::step("project .venv");
    if !python.exists() {
        sh::run("python3".as_ref(), &["-m", "venv", ".venv"], &env)?;
    }
    let pip = env.venv_bin("pip");
    sh::run(
        pip.as_os_str(),
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "python/requirements-dev.txt",
        ],
        &env,
    )?;
    sh::step("dcclink Python package (maturin develop)");
    let maturin = env.venv_bin("maturin");
    let mut args = vec!["develop", "--manifest-path", "python/Cargo.toml"];
    if profile == Profile::Release {
        args.push("--release");
    }
    sh::run(maturin.as_os_str(), &args, &env)?;
    if !Path::new(&env.venv_bin("dcclink")).exists() {
        bail!("maturin ran but .venv/bin/dcclink is missing");
    }
    install_panel_plugin(&env, profile)?;
    install_blender_worker(&env)?;
    install_npm_tools(&env)?;
    Ok(env)
}

/// The npm packages the tests run, pinned: the official MCP conformance
/// suite (it needs Node 22, which comes as the `node` package) and the MCPB
/// manifest validator.
const NPM_TOOLS: &[&str] = &[
    "node@22.23.3",
    "@modelcontextprotocol/conformance@0.1.16",
    "@anthropic-ai/mcpb@2.1.2",
];

/// Installs [`NPM_TOOLS`] into `.tools/` (not the system's Node).
fn install_npm_tools(env: &Env) -> Result<()> {
    sh::step("npm tools in .tools (conformance suite, mcpb)");
    let bin = env.root.join(".tools/node_modules/.bin");
    if ["node", "conformance", "mcpb"]
        .iter()
        .all(|tool| bin.join(tool).exists())
    {
        return Ok(());
    }
    let mut args = vec![
        "install",
        "--prefix",
        ".tools",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ];
    args.extend_from_slice(NPM_TOOLS);
    sh::run("npm".as_ref(), &args, env)
}

/// Makes `.venv-blender`: Python 3.11 with Blender's `bpy` module from PyPI,
/// and this checkout's `dcclink` on its path, for the headless Blender tests.
fn install_blender_worker(env: &Env) -> Result<()> {
    sh::step("headless Blender worker (.venv-blender with bpy)");
    let venv = env.root.join(".venv-blender");
    let python = venv.join("bin/python");
    if !python.exists() {
        if !sh::succeeds(
            "python3",
            &[
                "-c",
                "import sys; sys.exit(sys.version_info[:2] != (3, 11))",
            ],
        ) {
            bail!("the bpy module needs Python 3.11, and python3 is another version");
        }
        sh::run("python3".as_ref(), &["-m", "venv", ".venv-blender"], env)?;
    }
    sh::run(
        venv.join("bin/pip").as_os_str(),
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "python/requirements-blender.txt",
        ],
        env,
    )?;
    // The extension is abi3, so the checkout's package works on this Python too.
    let site = venv.join("lib/python3.11/site-packages/dcclink-dev.pth");
    std::fs::write(&site, format!("{}\n", env.root.join("python").display()))
        .with_context(|| format!("cannot write {}", site.display()))?;
    Ok(())
}

/// Builds the panel window plugin and puts it beside the extension, where
/// `dcclink.open_panel()` loads it on first use.
fn install_panel_plugin(env: &Env, profile: Profile) -> Result<()> {
    sh::step("panel window plugin (libdcclink_webview.so)");
    let mut args = vec!["build", "-q", "-p", "dcclink-webview"];
    if profile == Profile::Release {
        args.push("--release");
    }
    sh::cargo(env, &args)?;
    let folder = if profile == Profile::Release {
        "release"
    } else {
        "debug"
    };
    let built = env
        .root
        .join("target")
        .join(folder)
        .join("libdcclink_webview.so");
    sh::install(
        &built,
        &env.root.join("python/dcclink/libdcclink_webview.so"),
    )
}

fn install_apt_packages(env: &Env) -> Result<()> {
    let missing: Vec<&str> = APT
        .iter()
        .filter(|(program, check, _)| !sh::succeeds(program, check))
        .flat_map(|(_, _, packages)| packages.split(' '))
        .collect();
    if missing.is_empty() {
        eprintln!("all present");
        return Ok(());
    }
    let root = sh::succeeds("sh", &["-c", "[ \"$(id -u)\" = 0 ]"]);
    let prefix: &[&str] = if root {
        &[]
    } else if sh::succeeds("sudo", &["-n", "true"]) {
        &["sudo"]
    } else {
        bail!(
            "missing Debian packages: {}. Install them (as root: apt-get install {}) and run again",
            missing.join(" "),
            missing.join(" ")
        );
    };
    let apt = |args: &[&str]| -> Result<()> {
        let mut full: Vec<&str> = prefix.to_vec();
        full.push("apt-get");
        full.extend_from_slice(args);
        let (program, rest) = full
            .split_first()
            .map_or(("apt-get", &[][..]), |(p, r)| (*p, r));
        sh::run(program.as_ref(), rest, env)
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
}
