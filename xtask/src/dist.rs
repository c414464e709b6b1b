//! `cargo xtask dist`: the release artefacts, in `dist/`.
//!
//! * An abi3 (cp39) wheel tagged `manylinux_2_28`: the extension and the
//!   panel plugin are linked by zig against glibc 2.28 (maturin's zig mode,
//!   and `cargo-zigbuild` for the plugin), in the `dist` profile (no debug
//!   info). auditwheel then checks the wheel against the manylinux_2_28
//!   policy and tags it; it refuses a wheel that needs more.
//! * The panel plugin is the one part outside the policy, by design: it
//!   links WebKitGTK, which no manylinux wheel may carry. auditwheel is told
//!   to leave those libraries out ([`PANEL_SYSTEM_LIBS`]) rather than copy
//!   them in, and the extension loads the plugin only when a window opens.
//!   A repaired wheel that gained a copied library fails the build.
//! * abi3audit checks that the extension uses the limited API only.
//! * An sdist.
//! * The Blender 4.2+ extension for Linux (`dist/blender/`), which carries
//!   the wheel (`dcclink blender-addon --wheel`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::setup;
use crate::sh::{self, Env};

/// The libraries the panel plugin takes from the system (WebKitGTK and the
/// GTK stack under it): the user's package manager installs them, never the
/// wheel.
const PANEL_SYSTEM_LIBS: &[&str] = &[
    "libwebkit2gtk-4.1.so.0",
    "libjavascriptcoregtk-4.1.so.0",
    "libsoup-3.0.so.0",
    "libgtk-3.so.0",
    "libgdk-3.so.0",
    "libgdk_pixbuf-2.0.so.0",
    "libcairo.so.2",
    "libgio-2.0.so.0",
    "libgobject-2.0.so.0",
    "libglib-2.0.so.0",
];
/// The oldest glibc the wheel supports, as zig and auditwheel name it.
const TARGET: &str = "x86_64-unknown-linux-gnu.2.28";
const PLATFORM: &str = "manylinux_2_28_x86_64";

pub(crate) fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask dist");
    }
    let env = setup::run(setup::Profile::Dev)?;
    build(&env).map(drop)
}

/// Builds the artefacts into `dist/` (which it returns), with the project's
/// venv already set up.
pub(crate) fn build(env: &Env) -> Result<PathBuf> {
    sh::step("release tools (zig, auditwheel, abi3audit)");
    let pip = env.venv_bin("pip");
    let quiet = ["install", "--quiet", "--disable-pip-version-check"];
    sh::run(
        pip.as_os_str(),
        &[&quiet[..], &["-r", "python/requirements-dist.txt"]].concat(),
        env,
    )?;
    let venv_bin = env.root.join(".venv/bin");
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = &env.with_vars(&[("PATH", &path)]);

    sh::step("panel plugin, linked against glibc 2.28");
    let multiarch = "-L native=/usr/lib/x86_64-linux-gnu";
    let zig_env = env.with_vars(&[("RUSTFLAGS", multiarch)]);
    let zigbuild = venv_bin.join("cargo-zigbuild");
    let plugin_args = [
        "build",
        "-q",
        "-p",
        "dcclink-webview",
        "--profile",
        "dist",
        "--target",
        TARGET,
    ];
    sh::run(zigbuild.as_os_str(), &plugin_args, &zig_env)?;
    let built = env
        .root
        .join("target/x86_64-unknown-linux-gnu/dist/libdcclink_webview.so");
    sh::install(
        &built,
        &env.root.join("python/dcclink/libdcclink_webview.so"),
    )?;

    sh::step("wheel and sdist (maturin, zig)");
    let dist = env.root.join("dist");
    let raw = env.root.join("target/dist-raw");
    for folder in [&dist, &raw] {
        if folder.exists() {
            std::fs::remove_dir_all(folder)
                .with_context(|| format!("cannot empty {}", folder.display()))?;
        }
    }
    let maturin = env.venv_bin("maturin");
    let raw_arg = raw.display().to_string();
    let manifest = ["--manifest-path", "python/Cargo.toml"];
    let build = [
        "build",
        "--profile",
        "dist",
        "--zig",
        "--compatibility",
        "manylinux_2_28",
        "--auditwheel",
        "skip",
        "-o",
        &raw_arg,
    ];
    sh::run(
        maturin.as_os_str(),
        &[&build[..], &manifest[..]].concat(),
        env,
    )?;
    let dist_arg = dist.display().to_string();
    sh::run(
        maturin.as_os_str(),
        &[&["sdist", "-o", &dist_arg][..], &manifest[..]].concat(),
        env,
    )?;

    sh::step("manylinux policy (auditwheel) and the limited API (abi3audit)");
    let wheel = only_wheel(&raw)?;
    let wheel_arg = wheel.display().to_string();
    let mut repair = vec!["repair", "--plat", PLATFORM, "-w", &dist_arg];
    for library in PANEL_SYSTEM_LIBS {
        repair.extend(["--exclude", library]);
    }
    repair.push(&wheel_arg);
    sh::run(env.venv_bin("auditwheel").as_os_str(), &repair, env)?;
    let shipped = only_wheel(&dist)?;
    let shipped_arg = shipped.display().to_string();
    sh::run(
        env.venv_bin("abi3audit").as_os_str(),
        &["--strict", &shipped_arg],
        env,
    )?;
    let python = env.venv_bin("python");
    sh::run(
        python.as_os_str(),
        &["-c", NOTHING_GRAFTED, &shipped_arg],
        env,
    )?;
    sh::step("Blender 4.2+ extension, carrying the wheel");
    let version = shipped
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.split('-').nth(1))
        .context("the wheel's name has no version")?;
    let extension = dist.join(format!("blender/dcclink-{version}-linux_x64.zip"));
    let extension_arg = extension.display().to_string();
    sh::run(
        env.venv_bin("dcclink").as_os_str(),
        &[
            "blender-addon",
            "--wheel",
            &shipped_arg,
            "--out",
            &extension_arg,
        ],
        env,
    )?;
    eprintln!("\nbuilt into {}:", dist.display());
    for folder in [dist.clone(), dist.join("blender")] {
        for entry in std::fs::read_dir(folder)? {
            let path = entry?.path();
            if path.is_file() {
                let size = std::fs::metadata(&path)?.len() / 1024;
                eprintln!("  {} ({size} kB)", path.display());
            }
        }
    }
    Ok(dist)
}

/// Fails when auditwheel copied a library into the wheel (a `.libs`
/// folder): the only libraries outside the policy are the plugin's, and
/// those must come from the system.
const NOTHING_GRAFTED: &str = r#"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
grafted = [n for n in names if n.split("/")[0].endswith(".libs")]
if grafted:
    sys.exit(f"auditwheel copied libraries into the wheel: {grafted}")
"#;

/// The one wheel in `folder`.
fn only_wheel(folder: &Path) -> Result<std::path::PathBuf> {
    let mut wheels = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read {}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"));
    match (wheels.next(), wheels.next()) {
        (Some(wheel), None) => Ok(wheel),
        _ => bail!("expected exactly one wheel in {}", folder.display()),
    }
}
