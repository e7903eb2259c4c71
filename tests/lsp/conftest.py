"""Fixtures for the pytest-lsp end-to-end tests of `ssot-lsp serve`.

Each test gets a fresh server process (the binary named by SSOT_LSP_BIN,
default target/debug/ssot-lsp) whose only workspace folder is a temporary copy
of demo/, initialized twice over through the `client` fixture's parameters:

- `push`: Visual Studio Code 1.65 capabilities as pytest-lsp ships them (no
  `textDocument.diagnostic`, so diagnostics are pushed; no position encodings,
  so UTF-16; dynamic file-watcher registration; versioned `documentChanges`);
- `pull`: Neovim 0.11 capabilities (`textDocument.diagnostic`, so diagnostics
  are pulled; UTF-8 offered first; plain `changes` in workspace edits).

The client records every `textDocument/publishDiagnostics` (with its version)
and answers `client/registerCapability`, which the server sends for its file
watchers to clients that allow dynamic registration.
"""

from __future__ import annotations

import asyncio
import functools
import os
import pathlib
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any, Callable

import attrs
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol
from pygls.protocol import default_converter

REPO = pathlib.Path(__file__).resolve().parents[2]
SERVER_BIN = os.environ.get("SSOT_LSP_BIN") or str(REPO / "target" / "debug" / "ssot-lsp")
DEMO = REPO / "demo"
WORK_ROOT = REPO / "target" / "pytest-lsp-work"
AGENT_ROUTE = "netra_backend/app/routes/agent_route.py"

# How long any wait for the server may take before the test fails.
TIMEOUT = 10.0


@dataclass(frozen=True)
class ClientKind:
    name: str
    capabilities_spec: str
    pull: bool
    encoding: str


CLIENT_KINDS = {
    "push": ClientKind("push", "visual-studio-code@v1.65.2", pull=False, encoding="utf-16"),
    "pull": ClientKind("pull", "neovim@v0.11.0", pull=True, encoding="utf-8"),
}


@attrs.define
class RawResponseMessage:
    """A response whose result stays plain JSON (pygls turns the results of
    methods it does not know into namedtuples, mangling keys like
    `netra_backend.app...` in the migration report's `byName`)."""

    id: Any
    jsonrpc: str
    result: Any


class SsotClientProtocol(LanguageClientProtocol):
    def get_result_type(self, method: str):
        if method.startswith("ssot/"):
            return RawResponseMessage
        return super().get_result_type(method)


@functools.cache
def capabilities_of(spec: str) -> types.ClientCapabilities:
    """pytest-lsp's recorded capabilities of a real client (read-only; decoding
    them takes a few hundred milliseconds, so once per session)."""
    return client_capabilities(spec)


def _record_publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def _register_capability(client: LanguageClient, params: types.RegistrationParams):
    client.registrations.extend(params.registrations)
    return None


def _unregister_capability(client: LanguageClient, params: types.UnregistrationParams):
    client.unregistrations.extend(params.unregisterations)
    return None


def _apply_edit(client: LanguageClient, params: types.ApplyWorkspaceEditParams):
    # The tests never run commands; refuse rather than pretend.
    client.apply_edits.append(params)
    return types.ApplyWorkspaceEditResult(applied=False, failure_reason="test client does not apply edits")


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter, protocol_cls=SsotClientProtocol)
    client.published = []
    client.registrations = []
    client.unregistrations = []
    client.apply_edits = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _register_capability
    features[types.CLIENT_UNREGISTER_CAPABILITY] = _unregister_capability
    features[types.WORKSPACE_APPLY_EDIT] = _apply_edit
    register_lsp_features(client, features)
    return client


@pytest.fixture
def workspace() -> pathlib.Path:
    """A throw-away copy of demo/ (the server never writes, but be safe).

    It lives under target/, not the system temporary folder: config discovery
    walks up from the workspace folder, and a stray /tmp/pyproject.toml or
    /tmp/ssot.toml would otherwise pick the rules."""
    WORK_ROOT.mkdir(parents=True, exist_ok=True)
    parent = pathlib.Path(tempfile.mkdtemp(prefix="ws-", dir=WORK_ROOT))
    root = parent / "demo"
    shutil.copytree(DEMO, root)
    yield root
    shutil.rmtree(parent, ignore_errors=True)


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[SERVER_BIN, "serve"], client_factory=make_client),
    params=list(CLIENT_KINDS),
)
async def client(lsp_client: LanguageClient, request, workspace: pathlib.Path):
    kind = CLIENT_KINDS[request.param]
    lsp_client.kind = kind
    lsp_client.workspace = workspace
    lsp_client.init_result = await asyncio.wait_for(
        lsp_client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities_of(kind.capabilities_spec),
                root_uri=workspace.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="demo")],
                client_info=types.ClientInfo(name=f"pytest-lsp ({kind.name})"),
            )
        ),
        TIMEOUT,
    )
    yield
    # Every test ends with a clean shutdown + exit (test_shutdown_and_exit
    # does it itself).
    server = lsp_client._server
    if server is not None and server.returncode is None:
        await asyncio.wait_for(lsp_client.shutdown_session(), TIMEOUT)
    assert server is None or server.returncode == 0, f"server exited with {server.returncode}"


async def wait_until(predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Polls `predicate` until it returns something truthy; fails after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.01)
