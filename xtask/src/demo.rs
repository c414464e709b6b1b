//! `cargo xtask demo [--port N]`: serves the example tools over HTTP and
//! prints what to paste into an IDE.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::setup;
use crate::sh;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let port = match args {
        [] => "8765".to_owned(),
        [flag, port] if flag == "--port" => port.clone(),
        _ => bail!("usage: cargo xtask demo [--port N]"),
    };
    let env = setup::run(setup::Profile::Dev)?;
    let dcclink = env.venv_bin("dcclink");
    let tools = env.root.join("examples/tools.py");
    sh::step("serving the example tools (Ctrl-C stops)");
    let mut child = Command::new(&dcclink)
        .args(["serve", "--http", &format!("127.0.0.1:{port}"), "--tools"])
        .arg(&tools)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", dcclink.display()))?;
    let stderr = child.stderr.take().context("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let mut announced = false;
    for line in lines.by_ref() {
        let line = line?;
        if !announced && let Some((url, token)) = parse_announcement(&line) {
            announced = true;
            print_config(
                &url,
                &token,
                &dcclink.display().to_string(),
                &tools.display().to_string(),
            );
        } else {
            eprintln!("{line}");
        }
    }
    let status = child.wait()?;
    if !announced {
        bail!("dcclink exited before it listened ({status}); see the messages above");
    }
    Ok(())
}

/// Reads `{"url": "...", "token": "..."}` without a JSON library: the line
/// is dcclink's own, with no escapes in either value.
fn parse_announcement(line: &str) -> Option<(String, String)> {
    let field = |name: &str| -> Option<String> {
        let start = line.find(&format!("\"{name}\": \""))? + name.len() + 5;
        let end = start + line[start..].find('"')?;
        Some(line[start..end].to_owned())
    };
    Some((field("url")?, field("token")?))
}

#[allow(
    clippy::print_stdout,
    reason = "the demo prints its setup for the developer"
)]
fn print_config(url: &str, token: &str, dcclink: &str, tools: &str) {
    let panel = format!("{}/panel?token={token}", url.trim_end_matches("/mcp"));
    println!(
        r#"
dcclink is serving the example tools at {url}

Configure your IDE once; it reaches whichever DCC runs dcclink (this demo
too) through `dcclink connect`:
  {dcclink} config claude-code --write     # or claude-desktop, cursor, vscode, windsurf

Or point it at this instance directly, over HTTP.
Claude Code (.mcp.json) or Cursor (.cursor/mcp.json):
  {{"mcpServers": {{"dcclink": {{"type": "http", "url": "{url}",
    "headers": {{"Authorization": "Bearer {token}"}}}}}}}}

VS Code (.vscode/mcp.json):
  {{"servers": {{"dcclink": {{"type": "http", "url": "{url}",
    "headers": {{"Authorization": "Bearer {token}"}}}}}}}}

Or let the IDE start its own dcclink over stdio:
  command: {dcclink}
  args:    ["serve", "--stdio", "--tools", "{tools}"]

Watch every call live in the panel:
  {panel}
  (in a browser, or in a window of its own: .venv/bin/dcclink panel)

Try it now:
  curl -s -H "Authorization: Bearer {token}" -H "Content-Type: application/json" \
    -H "Accept: application/json, text/event-stream" {url} \
    -d '{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"2025-11-25","capabilities":{{}},"clientInfo":{{"name":"curl","version":"0"}}}}}}'
"#
    );
}
