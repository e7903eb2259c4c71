// Unit tests of the extension's pure parts: server path resolution, the
// settings mapping and the migration report's text.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { vsceTarget } from "../scripts/vsce-target.mjs";
import {
  type MigrationReport,
  type ServerLookup,
  parseServerVersion,
  pythonScriptFolders,
  versionAtLeast,
  versionProblem,
  expandPath,
  reportMarkdown,
  resolveServerPath,
  serverArgs,
  serverSettings,
  statusText,
} from "../src/settings";

function lookup(overrides: Partial<ServerLookup> & { executables?: string[] }): ServerLookup {
  const executables = new Set(overrides.executables ?? []);
  return {
    env: {},
    settingPath: "",
    extensionPath: "/ext",
    workspaceFolder: "/ws",
    homeDir: "/home/me",
    platform: "linux",
    isExecutable: (file) => executables.has(file),
    ...overrides,
  };
}

describe("resolveServerPath", () => {
  const everywhere = ["/env/ssot-lsp", "/setting/ssot-lsp", "/ext/bin/ssot-lsp", "/usr/bin/ssot-lsp"];

  it("prefers SSOT_LSP_PATH over everything", () => {
    const found = resolveServerPath(
      lookup({ env: { SSOT_LSP_PATH: "/env/ssot-lsp", PATH: "/usr/bin" }, settingPath: "/setting/ssot-lsp", executables: everywhere }),
    );
    assert.deepEqual(found, { kind: "found", path: "/env/ssot-lsp", source: "SSOT_LSP_PATH" });
  });

  it("then the ssot.server.path setting", () => {
    const found = resolveServerPath(lookup({ env: { PATH: "/usr/bin" }, settingPath: "/setting/ssot-lsp", executables: everywhere }));
    assert.deepEqual(found, { kind: "found", path: "/setting/ssot-lsp", source: "ssot.server.path" });
  });

  it("then the binary bundled in the extension", () => {
    const found = resolveServerPath(lookup({ env: { PATH: "/usr/bin" }, executables: everywhere }));
    assert.deepEqual(found, { kind: "found", path: "/ext/bin/ssot-lsp", source: "bundled" });
  });

  it("then the first PATH entry that holds it", () => {
    const found = resolveServerPath(lookup({ env: { PATH: "/nothing::/usr/bin:/later" }, executables: ["/usr/bin/ssot-lsp", "/later/ssot-lsp"] }));
    assert.deepEqual(found, { kind: "found", path: "/usr/bin/ssot-lsp", source: "PATH" });
  });

  it("uses ssot-lsp.exe and ; on Windows", () => {
    const found = resolveServerPath(lookup({ platform: "win32", env: { Path: "C:\\a;C:\\tools" }, executables: ["C:\\tools/ssot-lsp.exe"] }));
    assert.equal(found.kind, "found");
  });

  it("expands ~ and ${workspaceFolder} and resolves relative setting paths", () => {
    assert.equal(expandPath("~/bin/ssot-lsp", "/ws", "/home/me"), "/home/me/bin/ssot-lsp");
    assert.equal(expandPath("${workspaceFolder}/target/debug/ssot-lsp", "/ws", "/home/me"), "/ws/target/debug/ssot-lsp");
    assert.equal(expandPath("target/debug/ssot-lsp", "/ws", "/home/me"), "/ws/target/debug/ssot-lsp");
    assert.equal(expandPath(" /abs/ssot-lsp ", undefined, "/home/me"), "/abs/ssot-lsp");
    const found = resolveServerPath(lookup({ settingPath: "target/debug/ssot-lsp", executables: ["/ws/target/debug/ssot-lsp"] }));
    assert.deepEqual(found, { kind: "found", path: "/ws/target/debug/ssot-lsp", source: "ssot.server.path" });
  });

  it("does not fall back silently when an explicit path is wrong", () => {
    const found = resolveServerPath(lookup({ env: { SSOT_LSP_PATH: "/typo/ssot-lsp", PATH: "/usr/bin" }, executables: everywhere }));
    assert.equal(found.kind, "missing");
    assert.match(found.kind === "missing" ? found.message : "", /SSOT_LSP_PATH is \/typo\/ssot-lsp, which is not an executable file/);
  });

  it("says how to fix it when nothing is found", () => {
    const found = resolveServerPath(lookup({ env: { PATH: "/usr/bin" } }));
    assert.equal(found.kind, "missing");
    const message = found.kind === "missing" ? found.message : "";
    assert.match(message, /not found/);
    assert.match(message, /cargo install --locked --path server/);
    assert.match(message, /pip install ssot_lsp-\*\.whl/);
    assert.match(message, /ssot\.server\.path/);
  });

  it("ignores blank settings", () => {
    const found = resolveServerPath(lookup({ env: { SSOT_LSP_PATH: "  ", PATH: "/usr/bin" }, settingPath: "", executables: ["/usr/bin/ssot-lsp"] }));
    assert.deepEqual(found, { kind: "found", path: "/usr/bin/ssot-lsp", source: "PATH" });
  });
});

describe("serverSettings", () => {
  const reader = (values: Record<string, unknown>) => (key: string) => values[key];

  it("gives the server's defaults for an empty section", () => {
    assert.deepEqual(serverSettings(reader({}), "/ws", "/home/me"), { workspaceScan: true, unsafeFixes: false, logLevel: "info" });
  });

  it("maps every key", () => {
    const settings = serverSettings(
      reader({ configPath: "config/ssot.toml", workspaceScan: false, unsafeFixes: true, logLevel: "debug" }),
      "/ws",
      "/home/me",
    );
    assert.deepEqual(settings, { configPath: "/ws/config/ssot.toml", workspaceScan: false, unsafeFixes: true, logLevel: "debug" });
  });

  it("falls back to defaults on values of the wrong type", () => {
    const settings = serverSettings(reader({ configPath: "  ", workspaceScan: "no", unsafeFixes: "yes", logLevel: "loud" }), "/ws", "/home/me");
    assert.deepEqual(settings, { workspaceScan: true, unsafeFixes: false, logLevel: "info" });
  });

  it("puts the extra arguments after serve", () => {
    assert.deepEqual(serverArgs(reader({})), ["serve"]);
    assert.deepEqual(serverArgs(reader({ "server.extraArgs": ["--verbose", 3, "-x"] })), ["serve", "--verbose", "-x"]);
  });
});

describe("migration report", () => {
  const report: MigrationReport = {
    total: 5,
    byRule: { SSOT001: 3, SSOT002: 2 },
    byName: { create_websocket_manager: 4, WebSocketManagerFactory: 1 },
    byFile: [
      { uri: "file:///ws/a.py", count: 2 },
      { uri: "file:///ws/b.py", count: 3 },
    ],
  };

  it("shows what is left in the status bar", () => {
    assert.equal(statusText(report), "SSOT: 5 left");
    assert.equal(statusText({ ...report, total: 0 }), "SSOT: done");
    assert.equal(statusText(undefined), "SSOT: …");
  });

  it("renders files by count, most first", () => {
    const text = reportMarkdown(report, (uri) => uri.replace("file:///ws/", ""));
    assert.match(text, /\*\*5\*\* deprecated uses left/);
    assert.match(text, /\| `SSOT001` \| 3 \|/);
    assert.ok(text.indexOf("[b.py]") < text.indexOf("[a.py]"));
    assert.match(text, /\[a\.py\]\(file:\/\/\/ws\/a\.py\) \| 2 \|/);
  });

  it("says when nothing is left", () => {
    const text = reportMarkdown({ total: 0, byRule: {}, byName: {}, byFile: [] }, (uri) => uri);
    assert.match(text, /Nothing left to migrate/);
  });
});

describe("the workspace's Python environment", () => {
  it("comes before the bundled binary and PATH", () => {
    const found = resolveServerPath(
      lookup({ env: { PATH: "/usr/bin" }, executables: ["/ws/.venv/bin/ssot-lsp", "/ext/bin/ssot-lsp", "/usr/bin/ssot-lsp"] }),
    );
    assert.deepEqual(found, { kind: "found", path: "/ws/.venv/bin/ssot-lsp", source: "Python environment" });
  });

  it("looks in .venv, then venv, then the selected interpreter's folder", () => {
    assert.deepEqual(pythonScriptFolders(lookup({ pythonInterpreter: "/opt/envs/team/bin/python3" })), [
      "/ws/.venv/bin",
      "/ws/venv/bin",
      "/opt/envs/team/bin",
    ]);
    const found = resolveServerPath(
      lookup({ pythonInterpreter: "/opt/envs/team/bin/python3", executables: ["/opt/envs/team/bin/ssot-lsp", "/ext/bin/ssot-lsp"] }),
    );
    assert.deepEqual(found, { kind: "found", path: "/opt/envs/team/bin/ssot-lsp", source: "Python environment" });
  });

  it("uses Scripts and ssot-lsp.exe on Windows", () => {
    const found = resolveServerPath(
      lookup({ platform: "win32", workspaceFolder: "C:\\ws", executables: ["C:\\ws/venv/Scripts/ssot-lsp.exe"] }),
    );
    assert.equal(found.kind, "found");
    assert.match(found.kind === "found" ? found.path : "", /venv.Scripts.ssot-lsp\.exe$/);
  });

  it("still loses to an explicit setting", () => {
    const found = resolveServerPath(lookup({ settingPath: "/setting/ssot-lsp", executables: ["/setting/ssot-lsp", "/ws/.venv/bin/ssot-lsp"] }));
    assert.equal(found.kind === "found" && found.source, "ssot.server.path");
  });
});

describe("server version check", () => {
  it("reads `ssot-lsp --version`", () => {
    assert.equal(parseServerVersion("ssot-lsp 0.1.0\n"), "0.1.0");
    assert.equal(parseServerVersion("ruff 0.6.0\n"), undefined);
  });

  it("compares numerically, part by part", () => {
    assert.ok(versionAtLeast("0.10.0", "0.9.3"));
    assert.ok(versionAtLeast("1.0.0", "1.0.0"));
    assert.ok(!versionAtLeast("0.1.9", "0.2.0"));
  });

  it("says what is wrong with a found binary", () => {
    assert.equal(versionProblem("/x/ssot-lsp", "ssot-lsp 0.1.0\n", "0.1.0"), undefined);
    assert.match(versionProblem("/x/ssot-lsp", "ssot-lsp 0.0.9\n", "0.1.0") ?? "", /version 0\.0\.9; this extension needs 0\.1\.0 or newer/);
    assert.match(versionProblem("/x/ssot-lsp", undefined) ?? "", /did not answer `--version`/);
    assert.match(versionProblem("/x/python", "Python 3.11\n") ?? "", /not an ssot-lsp version/);
  });
});

describe("bundled packages", () => {
  it("name VS Code's platforms", () => {
    assert.equal(vsceTarget("linux", "x64"), "linux-x64");
    assert.equal(vsceTarget("darwin", "arm64"), "darwin-arm64");
    assert.equal(vsceTarget("win32", "x64"), "win32-x64");
    assert.equal(vsceTarget("aix", "ppc64"), undefined);
  });
});

describe("report with a baseline", () => {
  it("says how many are recorded in the baseline", () => {
    const report: MigrationReport = { total: 3, baselined: 2, byRule: { SSOT001: 3 }, byName: {}, byFile: [] };
    assert.match(reportMarkdown(report, (uri) => uri), /2 of them are recorded in the baseline \(shown as hints\); 1 are new\./);
  });
});
