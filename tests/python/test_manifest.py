"""``mcp-manifest.json`` follows the MCP Bundle manifest spec (v0.3), as the
official validator (``mcpb validate`` from ``@anthropic-ai/mcpb``) checks,
and lists what the bundle really offers; ``server.json``, the MCP
registry's entry, validates against the registry's schema."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from importlib import resources

import dcclink
import jsonschema
import pytest
from conftest import ROOT
from dcclink import _native

MANIFEST = ROOT / "mcp-manifest.json"
MCPB = ROOT / ".tools" / "node_modules" / ".bin" / "mcpb"
PACKS = ("blender", "maya", "houdini")


def pack_tools(pack: str) -> set[str]:
    """The names of the functions a pack decorates with ``@dcclink.tool``."""
    tree = ast.parse((ROOT / "python" / "dcclink" / "packs" / f"{pack}.py").read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("dcclink.tool" in ast.unparse(d) for d in node.decorator_list)
    }


@pytest.mark.skipif(
    not MCPB.exists() and not os.environ.get("DCCLINK_REQUIRE_NPM_TOOLS"),
    reason="needs .tools with @anthropic-ai/mcpb (cargo xtask setup installs it)",
)
def test_the_official_validator_accepts_the_manifest() -> None:
    checked = subprocess.run(
        [str(MCPB), "validate", str(MANIFEST)], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "validation passes" in checked.stdout


def test_the_manifest_lists_the_tools_every_pack_has() -> None:
    manifest = json.loads(MANIFEST.read_text())
    listed = {tool["name"] for tool in manifest["tools"]}
    common = set.intersection(*(pack_tools(pack) for pack in PACKS))
    assert listed == common | {"dcclink_status"}
    assert manifest["version"] == dcclink.__version__
    assert manifest["server"]["mcp_config"]["args"] == ["connect"]


SERVER_JSON = ROOT / "server.json"


def test_server_json_is_valid_for_the_mcp_registry() -> None:
    """``server.json`` (the MCP registry's entry: the PyPI package, run by
    uvx, speaking stdio) validates against the schema it declares, as the
    registry publishes it, and says what the package really is."""
    server = json.loads(SERVER_JSON.read_text())
    release = server["$schema"].split("/schemas/")[1].split("/")[0].replace("-", "_")
    published = resources.files(f"skillsaw.schemas.mcp_registry.v{release}")
    schema = json.loads(published.joinpath("server.schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)
    errors = [e.message for e in validator(schema).iter_errors(server)]
    assert errors == []

    (package,) = server["packages"]
    version = _native.__version__
    assert (server["version"], package["version"]) == (version, version)
    assert (package["registryType"], package["identifier"]) == ("pypi", "dcclink")
    # The registry checks ownership by this marker in the PyPI description.
    assert f"mcp-name: {server['name']}" in (ROOT / "python" / "README.md").read_text()
    # The arguments are the relay's own.
    first, *named = package["packageArguments"]
    assert first == {**first, "type": "positional", "value": "connect"}
    usage = subprocess.run(
        [sys.executable, "-m", "dcclink", "connect", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for argument in named:
        assert f"{argument['name']} " in usage, argument["name"]
    (token,) = package["environmentVariables"]
    assert token["name"] == "DCCLINK_TOKEN" and token["isSecret"]
    assert "[env: DCCLINK_TOKEN" in usage
