"""End-to-end tests of `ssot-lsp serve`, driven through pytest-lsp.

Every test runs once per client kind (see conftest.py): `push` (VS Code-like
capabilities, diagnostics pushed) and `pull` (Neovim 0.11-like capabilities,
diagnostics pulled). The workspace is a temporary copy of demo/, and the
document under test is netra_backend/app/routes/agent_route.py, whose line

    from netra_backend.app.websocket_core import create_websocket_manager

is an SSOT002 finding (the deprecated creator imported from the package) with a
safe fix to `...websocket_core.websocket_manager import get_websocket_manager`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from conftest import AGENT_ROUTE, SERVER_BIN, TIMEOUT, wait_until

# LSP's ServerCancelled: the server asks the client to send the request again.
SERVER_CANCELLED = -32802

pytestmark = pytest.mark.asyncio

OLD_IMPORT = "from netra_backend.app.websocket_core import create_websocket_manager"
NEW_IMPORT = "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager"
LEGACY_IMPORT = "from netra_backend.app.websocket.connection_manager import ConnectionManager"
DEPRECATED_NAME = "create_websocket_manager"


# --- helpers -----------------------------------------------------------------


def position_to_offset(text: str, position: types.Position, encoding: str) -> int:
    """The string index of an LSP position in `text` (lines end at \\n here)."""
    lines = text.split("\n")
    assert position.line < len(lines), f"position {position} past the end of the document"
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line]
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            assert units == position.character, f"position {position} splits a character"
            return start + index
        units += len(char.encode("utf-8")) if encoding == "utf-8" else len(char.encode("utf-16-le")) // 2
    assert units >= position.character, f"position {position} past the end of its line"
    return start + len(line)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """Applies LSP text edits (all relative to `text`) the way a client does."""
    spans = [
        (position_to_offset(text, e.range.start, encoding), position_to_offset(text, e.range.end, encoding), e.new_text)
        for e in edits
    ]
    spans.sort(key=lambda span: (span[0], span[1]))
    for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
        assert end <= start, f"overlapping edits: {edits}"
    for start, end, new_text in reversed(spans):
        text = text[:start] + new_text + text[end:]
    return text


def edits_for(edit: types.WorkspaceEdit, uri: str, version: int, pull: bool) -> list[types.TextEdit]:
    """The text edits of one document in a workspace edit, checking its shape:
    versioned `documentChanges` for the VS Code-like client, which supports
    them, plain `changes` for the Neovim-like one, which does not."""
    if pull:
        assert edit.document_changes is None, "Neovim-like client did not announce documentChanges"
        assert edit.changes is not None and set(edit.changes) == {uri}, f"edit should touch only {uri}: {edit}"
        return list(edit.changes[uri])
    assert edit.changes is None, "VS Code-like client announced documentChanges: expected them instead of changes"
    assert edit.document_changes is not None and len(edit.document_changes) == 1, edit
    change = edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit), change
    assert change.text_document.uri == uri
    assert change.text_document.version == version, "documentChanges should carry the document version"
    return list(change.edits)


class Document:
    """An open document as the test client sees it."""

    def __init__(self, client: LanguageClient, relative: str):
        self.client = client
        self.path = client.workspace / relative
        self.uri = self.path.as_uri()
        self.text = self.path.read_text(encoding="utf-8")
        self.version = 1

    def open(self) -> "Document":
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri, language_id="python", version=self.version, text=self.text
                )
            )
        )
        return self

    def insert_line_at_top(self, line: str) -> None:
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
                        text=line + "\n",
                    )
                ],
            )
        )
        self.text = line + "\n" + self.text

    def expected_range(self) -> types.Range:
        """Where SSOT002 must be: `create_websocket_manager` on its import line."""
        lines = self.text.split("\n")
        line = lines.index(OLD_IMPORT)
        start = OLD_IMPORT.index(DEPRECATED_NAME)  # ASCII: same in UTF-8 and UTF-16
        return types.Range(
            start=types.Position(line=line, character=start),
            end=types.Position(line=line, character=start + len(DEPRECATED_NAME)),
        )

    async def pull(self, previous_result_id: str | None = None):
        """`textDocument/diagnostic` for this document (pull client only).
        Sent again when the server ends it `ServerCancelled` asking for that
        (`retriggerRequest`), as Neovim does: it holds a client without
        refresh until its workspace scan is done."""
        params = types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            identifier="ssot",
            previous_result_id=previous_result_id,
        )
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                return await asyncio.wait_for(self.client.text_document_diagnostic_async(params), remaining)
            except JsonRpcException as error:
                data = error.data if isinstance(error.data, dict) else {}
                if error.code != SERVER_CANCELLED or data.get("retriggerRequest") is False:
                    raise

    async def diagnostics(self) -> list[types.Diagnostic]:
        """The diagnostics of the document's current version: pulled with
        `textDocument/diagnostic` by the pull client, awaited as a
        `publishDiagnostics` for this version by the push client."""
        client = self.client
        if client.kind.pull:
            report = await self.pull()
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport), (
                f"a pull without previous result id should be a full report, got {report!r}"
            )
            assert report.result_id, "pull report should have a result id"
            return list(report.items)
        version = self.version
        published = await wait_until(
            lambda: [p for p in client.published if p.uri == self.uri and p.version == version],
            f"publishDiagnostics for {self.uri} version {version}",
        )
        return list(published[-1].diagnostics)

    async def ssot002(self) -> types.Diagnostic:
        """The SSOT002 finding once the workspace scan is done: before it,
        the server withholds a fix that moves a module-level name (who
        imports it from this module is not known yet) and says so."""
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            diagnostics = await self.diagnostics()
            found = [d for d in diagnostics if d.code == "SSOT002"]
            assert len(found) == 1, f"expected one SSOT002, got {[(d.code, d.range) for d in diagnostics]}"
            if PENDING not in found[0].message:
                return found[0]
            assert asyncio.get_running_loop().time() < deadline, f"still pending: {found[0].message}"
            await asyncio.sleep(0.05)


# What a finding says while the server waits for its workspace scan.
PENDING = "is not known until the workspace scan is done"


def open_agent_route(client: LanguageClient) -> Document:
    return Document(client, AGENT_ROUTE).open()


async def wait_for_scan_end(client: LanguageClient) -> None:
    """Waits for the workspace scan's `$/progress` end (both client kinds
    announce `window.workDoneProgress`)."""
    await wait_until(
        lambda: any(
            isinstance(report, types.WorkDoneProgressEnd)
            for reports in client.progress_reports.values()
            for report in reports
        ),
        "the workspace scan's $/progress end",
    )


def cli_finding_count(workspace) -> int:
    """How many findings the CLI reports on the same tree (the report must agree)."""
    out = subprocess.run(
        [SERVER_BIN, "check", str(workspace), "--format", "json", "--exit-zero", "--no-color"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    ).stdout
    data = json.loads(out)
    findings = data if isinstance(data, list) else data.get("findings", data.get("diagnostics"))
    return len(findings)


# --- tests -------------------------------------------------------------------


async def test_initialize_negotiates_encoding_and_capabilities(client: LanguageClient):
    result = client.init_result
    caps = result.capabilities
    assert result.server_info is not None and result.server_info.name == "ssot-lsp"
    assert caps.position_encoding == client.kind.encoding, (
        f"{client.kind.name} client: expected {client.kind.encoding}, got {caps.position_encoding}"
    )

    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions), sync
    assert sync.open_close is True
    assert sync.change == types.TextDocumentSyncKind.Incremental

    assert caps.hover_provider is True
    assert isinstance(caps.code_action_provider, types.CodeActionOptions), caps.code_action_provider
    kinds = set(caps.code_action_provider.code_action_kinds or [])
    assert {"quickfix", "source.fixAll.ssot"} <= kinds, kinds
    assert caps.execute_command_provider is not None
    assert {"ssot.fixAll", "ssot.fixWorkspace"} <= set(caps.execute_command_provider.commands)

    if client.kind.pull:
        provider = caps.diagnostic_provider
        assert isinstance(provider, types.DiagnosticOptions), f"pull client needs a diagnosticProvider, got {provider!r}"
        assert provider.identifier == "ssot"
        assert provider.workspace_diagnostics is True
        assert provider.inter_file_dependencies is False
    else:
        assert caps.diagnostic_provider is None, "push client must not be offered pull diagnostics"

    # The demo has no rule file: the built-in pack must be in force (a stray
    # ssot.toml or pyproject.toml above the workspace would change that).
    using = await wait_until(
        lambda: [m.message for m in client.log_messages if " using " in m.message],
        "the server's 'using <rules>' log message",
    )
    assert using[0].endswith("using built-in rules"), using[0]


async def test_file_watchers_registered_only_when_dynamic(client: LanguageClient):
    # A round trip after `initialized`, so the registration (sent while
    # handling `initialized`) has had time to arrive.
    open_agent_route(client)
    await wait_for_scan_end(client)
    watchers = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    if client.kind.pull:
        assert watchers == [], "Neovim 0.11-like client has no dynamic didChangeWatchedFiles registration"
        return
    assert len(watchers) == 1, client.registrations
    options = watchers[0].register_options
    globs = {w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in options["watchers"]}
    assert {"**/*.py", "**/ssot.toml", "**/.ssot.toml", "**/pyproject.toml"} <= globs, globs


async def test_open_document_reports_ssot002(client: LanguageClient):
    document = open_agent_route(client)
    diagnostic = await document.ssot002()

    assert diagnostic.range == document.expected_range(), (
        f"SSOT002 should cover `{DEPRECATED_NAME}` on its import line: got {diagnostic.range}"
    )
    assert diagnostic.source == "ssot"
    assert diagnostic.tags == [types.DiagnosticTag.Deprecated]
    assert diagnostic.code_description is not None and diagnostic.code_description.href.startswith("http"), (
        diagnostic.code_description
    )
    assert "SSOT002" in diagnostic.code_description.href
    assert diagnostic.severity is not None
    assert "get_websocket_manager" in diagnostic.message
    assert isinstance(diagnostic.data, dict) and diagnostic.data.get("version") == 1, diagnostic.data

    # The other finding of the file (legacy ConnectionManager) is there too.
    codes = sorted(d.code for d in await document.diagnostics())
    assert codes == ["SSOT002", "SSOT004"], codes


async def test_pull_client_never_gets_pushed_diagnostics(client: LanguageClient):
    document = open_agent_route(client)
    await document.ssot002()
    await wait_for_scan_end(client)
    # One more round trip after the scan: anything pushed has arrived by now.
    await document.diagnostics()
    pushed_here = [p for p in client.published if p.uri == document.uri]
    if client.kind.pull:
        assert pushed_here == [], f"pull client got publishDiagnostics for {document.uri}: {pushed_here}"
        assert client.published == [], (
            f"pull client got publishDiagnostics for {sorted({p.uri for p in client.published})}"
        )
    else:
        # The push client got the open document (version 1) and, from the
        # scan, other files of the workspace with findings (version null).
        assert any(p.version == 1 and p.diagnostics for p in pushed_here), pushed_here
        closed = {p.uri for p in client.published if p.version is None and p.diagnostics}
        assert any(uri.endswith("websocket_route.py") for uri in closed), closed


async def test_quickfix_rewrites_import(client: LanguageClient):
    document = open_agent_route(client)
    diagnostic = await document.ssot002()

    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=document.uri),
                range=diagnostic.range,
                context=types.CodeActionContext(
                    diagnostics=[diagnostic], trigger_kind=types.CodeActionTriggerKind.Invoked
                ),
            )
        ),
        TIMEOUT,
    )
    assert actions, "no code actions at the SSOT002 finding"
    quickfixes = [a for a in actions if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix]
    fixes = [a for a in quickfixes if "get_websocket_manager" in a.title]
    assert len(fixes) == 1, [a.title for a in quickfixes]
    fix = fixes[0]
    assert fix.is_preferred is True, "a safe fix should be the preferred action"
    assert fix.diagnostics and fix.diagnostics[0].code == "SSOT002"
    assert any(a.title == "Ignore SSOT002 for this line" for a in quickfixes), [a.title for a in quickfixes]

    assert fix.edit is not None
    edits = edits_for(fix.edit, document.uri, document.version, client.kind.pull)
    fixed = apply_text_edits(document.text, edits, client.kind.encoding)
    lines = fixed.split("\n")
    import_line = lines[document.expected_range().start.line]
    assert import_line == NEW_IMPORT, f"import line after the quick fix: {import_line!r}"
    assert OLD_IMPORT not in lines
    assert "    manager = await get_websocket_manager(ctx)" in lines, "call site should be renamed too"
    assert LEGACY_IMPORT in lines, "the quick fix of SSOT002 must not touch other findings"


async def test_fix_all_source_action(client: LanguageClient):
    document = open_agent_route(client)
    await document.ssot002()

    actions = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=document.uri),
                range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
                context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
            )
        ),
        TIMEOUT,
    )
    assert actions, "no action for only=['source.fixAll']"
    kinds = [a.kind for a in actions if isinstance(a, types.CodeAction)]
    assert "source.fixAll.ssot" in kinds, kinds
    assert all(kind.startswith("source.fixAll") for kind in kinds), f"only=['source.fixAll'] returned {kinds}"

    fix_all = next(a for a in actions if a.kind == "source.fixAll.ssot")
    if fix_all.edit is None:
        # Clients that resolve code actions get the edit from codeAction/resolve.
        assert fix_all.data is not None, fix_all
        fix_all = await asyncio.wait_for(client.code_action_resolve_async(fix_all), TIMEOUT)
    assert fix_all.edit is not None
    edits = edits_for(fix_all.edit, document.uri, document.version, client.kind.pull)
    fixed = apply_text_edits(document.text, edits, client.kind.encoding)
    lines = fixed.split("\n")
    assert lines[document.expected_range().start.line] == NEW_IMPORT
    assert LEGACY_IMPORT in lines, "fix-all applies safe fixes only (unsafeFixes is off)"


async def test_hover_on_finding(client: LanguageClient):
    document = open_agent_route(client)
    diagnostic = await document.ssot002()
    inside = types.Position(line=diagnostic.range.start.line, character=diagnostic.range.start.character + 3)

    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=document.uri), position=inside)
        ),
        TIMEOUT,
    )
    assert hover is not None, "no hover on the SSOT002 finding"
    assert isinstance(hover.contents, types.MarkupContent), hover.contents
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "SSOT002" in hover.contents.value
    assert "get_websocket_manager" in hover.contents.value
    assert hover.range == diagnostic.range


async def test_migration_report(client: LanguageClient):
    document = open_agent_route(client)
    await document.ssot002()
    await wait_for_scan_end(client)

    report = await asyncio.wait_for(client.protocol.send_request_async("ssot/migrationReport", {}), TIMEOUT)
    assert isinstance(report, dict), report
    assert report["total"] > 0, report
    assert report["byRule"].get("SSOT002", 0) >= 1, report["byRule"]
    assert sum(report["byRule"].values()) == report["total"]
    by_file = {entry["uri"]: entry["count"] for entry in report["byFile"]}
    assert by_file.get(document.uri) == 2, f"{document.uri} should count its 2 findings: {report['byFile']}"
    assert sum(by_file.values()) == report["total"]
    assert report["total"] == cli_finding_count(client.workspace), (
        "after the scan the report should count what `ssot-lsp check` finds on the same tree"
    )
    assert report["byName"].get("netra_backend.app.websocket_core.create_websocket_manager", 0) >= 1, report["byName"]

    # params are required: a missing params is InvalidParams (-32602).
    with pytest.raises(JsonRpcInvalidParams):
        await asyncio.wait_for(client.protocol.send_request_async("ssot/migrationReport", None), TIMEOUT)


async def test_did_change_moves_diagnostic(client: LanguageClient):
    document = open_agent_route(client)
    before = await document.ssot002()

    document.insert_line_at_top("import os")
    after = await document.ssot002()

    assert after.range.start.line == before.range.start.line + 1, (before.range, after.range)
    assert after.range.end.line == before.range.end.line + 1
    assert after.range.start.character == before.range.start.character
    assert after.range.end.character == before.range.end.character
    assert after.range == document.expected_range()
    assert after.data["version"] == 2, after.data


@pytest.mark.parametrize("client", ["pull"], indirect=True)
async def test_pull_result_ids(client: LanguageClient):
    """Pull only: an unchanged document answers `unchanged` to its result id;
    after an edit the same id gets a full report with the moved finding."""
    document = open_agent_route(client)
    # Once the workspace scan is done (the analysis before it differs).
    await document.ssot002()
    first = await document.pull()
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport), first
    assert [d.code for d in first.items if d.code == "SSOT002"] == ["SSOT002"]

    again = await document.pull(first.result_id)
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport), (
        f"same text, same result id: expected kind 'unchanged', got {again!r}"
    )
    assert again.result_id == first.result_id

    document.insert_line_at_top("import os")
    changed = await document.pull(first.result_id)
    assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport), (
        f"after didChange the old result id must get a full report, got {changed!r}"
    )
    assert changed.result_id != first.result_id
    moved = [d for d in changed.items if d.code == "SSOT002"]
    assert [d.range for d in moved] == [document.expected_range()], [d.range for d in moved]


async def test_shutdown_and_exit(client: LanguageClient):
    open_agent_route(client)
    server = client._server
    result = await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
    assert result is None
    client.exit(None)
    returncode = await asyncio.wait_for(server.wait(), TIMEOUT)
    assert returncode == 0, f"server exited with {returncode} after shutdown + exit"
