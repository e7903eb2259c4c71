// The pure parts of the extension: where the server binary is, what settings
// the server gets, and how the migration report reads. Nothing here imports
// `vscode`, so `node --test` can exercise all of it; `extension.ts` feeds it
// the real environment, settings and file system.

import * as path from "node:path";

/** The environment variable that overrides every other way to find the server. */
export const SERVER_PATH_ENV = "SSOT_LSP_PATH";

/** The oldest server this extension works with (`ssot-lsp --version`). */
export const MIN_SERVER_VERSION = "0.1.0";

/** How to get a server, said wherever one is missing. */
export const INSTALL_HINT =
  "Install it into the workspace's Python environment (`pip install ssot_lsp-*.whl` in `.venv`), " +
  "or with `cargo install --locked --path server` from the ssot-lsp repository (so `ssot-lsp` is on PATH), " +
  "or set the `ssot.server.path` setting (or the SSOT_LSP_PATH environment variable) to the binary.";

export type ServerSource = "SSOT_LSP_PATH" | "ssot.server.path" | "Python environment" | "bundled" | "PATH";

export type ServerResolution =
  | { kind: "found"; path: string; source: ServerSource }
  | { kind: "missing"; message: string };

/** Everything the lookup reads from the outside world, so tests can fake it. */
export interface ServerLookup {
  env: Record<string, string | undefined>;
  /** The `ssot.server.path` setting, possibly empty. */
  settingPath: string | undefined;
  /** Where the extension is installed; its `bin/` may hold a bundled server. */
  extensionPath: string;
  workspaceFolder: string | undefined;
  homeDir: string;
  platform: NodeJS.Platform;
  isExecutable: (file: string) => boolean;
  /** The Python interpreter selected for the workspace, when known. */
  pythonInterpreter?: string;
}

/**
 * Where a workspace's Python environment keeps its scripts: `.venv` and
 * `venv` in the workspace folder, then the folder of the selected
 * interpreter (its `bin/` or `Scripts\`).
 */
export function pythonScriptFolders(lookup: ServerLookup): string[] {
  const scripts = lookup.platform === "win32" ? "Scripts" : "bin";
  const folders: string[] = [];
  if (lookup.workspaceFolder !== undefined) {
    for (const venv of [".venv", "venv"]) {
      folders.push(path.join(lookup.workspaceFolder, venv, scripts));
    }
  }
  const interpreter = lookup.pythonInterpreter?.trim();
  if (interpreter) {
    // `python` sits in the scripts folder of a venv (and of most installs).
    folders.push(path.dirname(expandPath(interpreter, lookup.workspaceFolder, lookup.homeDir)));
  }
  return [...new Set(folders)];
}

/** Expands `~` and `${workspaceFolder}` and makes a relative path absolute. */
export function expandPath(raw: string, workspaceFolder: string | undefined, homeDir: string): string {
  let expanded = raw.trim();
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = homeDir + expanded.slice(1);
  }
  if (workspaceFolder !== undefined) {
    expanded = expanded.split("${workspaceFolder}").join(workspaceFolder);
  }
  if (!path.isAbsolute(expanded) && workspaceFolder !== undefined) {
    expanded = path.join(workspaceFolder, expanded);
  }
  return expanded;
}

/** The binary's file name on this platform. */
export function binaryName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "ssot-lsp.exe" : "ssot-lsp";
}

/**
 * Finds the server: `SSOT_LSP_PATH`, then the `ssot.server.path` setting, then
 * the workspace's Python environment (the version the project pinned), then
 * the binary bundled with the extension, then `PATH`. An explicit path that
 * does not point at an executable is an error rather than a silent fallback.
 */
export function resolveServerPath(lookup: ServerLookup): ServerResolution {
  const explicit: Array<[ServerSource, string | undefined]> = [
    [SERVER_PATH_ENV, lookup.env[SERVER_PATH_ENV]],
    ["ssot.server.path", lookup.settingPath],
  ];
  for (const [source, raw] of explicit) {
    if (raw === undefined || raw.trim() === "") {
      continue;
    }
    const candidate = expandPath(raw, lookup.workspaceFolder, lookup.homeDir);
    if (!lookup.isExecutable(candidate)) {
      return { kind: "missing", message: `ssot-lsp: ${source} is ${candidate}, which is not an executable file. ${INSTALL_HINT}` };
    }
    return { kind: "found", path: candidate, source };
  }
  const name = binaryName(lookup.platform);
  for (const folder of pythonScriptFolders(lookup)) {
    const candidate = path.join(folder, name);
    if (lookup.isExecutable(candidate)) {
      return { kind: "found", path: candidate, source: "Python environment" };
    }
  }
  const bundled = path.join(lookup.extensionPath, "bin", name);
  if (lookup.isExecutable(bundled)) {
    return { kind: "found", path: bundled, source: "bundled" };
  }
  const separator = lookup.platform === "win32" ? ";" : ":";
  const pathVariable = lookup.env.PATH ?? lookup.env.Path ?? "";
  for (const folder of pathVariable.split(separator)) {
    if (folder === "") {
      continue;
    }
    const candidate = path.join(folder, name);
    if (lookup.isExecutable(candidate)) {
      return { kind: "found", path: candidate, source: "PATH" };
    }
  }
  return { kind: "missing", message: `ssot-lsp: the language server binary was not found. ${INSTALL_HINT}` };
}

/** The version in `ssot-lsp --version` output (`ssot-lsp 0.1.0`), if any. */
export function parseServerVersion(output: string): string | undefined {
  const match = /^ssot-lsp (\d+\.\d+\.\d+)/m.exec(output.trim());
  return match?.[1];
}

/** Whether dotted version `version` is at least `minimum` (numeric, part by part). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (text: string) => text.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const [have, need] = [parts(version), parts(minimum)];
  for (let index = 0; index < Math.max(have.length, need.length); index++) {
    const difference = (have[index] ?? 0) - (need[index] ?? 0);
    if (difference !== 0) {
      return difference > 0;
    }
  }
  return true;
}

/** What is wrong with a found server, from its `--version` output; `undefined` when it will do. */
export function versionProblem(serverPath: string, output: string | undefined, minimum = MIN_SERVER_VERSION): string | undefined {
  if (output === undefined) {
    return `ssot-lsp: ${serverPath} did not answer \`--version\`; is it the ssot-lsp binary? ${INSTALL_HINT}`;
  }
  const version = parseServerVersion(output);
  if (version === undefined) {
    return `ssot-lsp: ${serverPath} printed \`${output.trim()}\` for \`--version\`, not an ssot-lsp version. ${INSTALL_HINT}`;
  }
  if (!versionAtLeast(version, minimum)) {
    return `ssot-lsp: ${serverPath} is version ${version}; this extension needs ${minimum} or newer. Upgrade it (pip install -U, or cargo install --locked --path server).`;
  }
  return undefined;
}

export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";
const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug", "trace"];

/** What the server reads from `initializationOptions` and `workspace/didChangeConfiguration`. */
export interface ServerSettings {
  configPath?: string;
  workspaceScan: boolean;
  unsafeFixes: boolean;
  logLevel: LogLevel;
}

/** Reads one setting of the `ssot` section (`get("workspaceScan")`). */
export type SettingReader = (key: string) => unknown;

/** Maps the `ssot.*` settings to the server's settings, with the server's defaults for bad values. */
export function serverSettings(get: SettingReader, workspaceFolder: string | undefined, homeDir: string): ServerSettings {
  const settings: ServerSettings = {
    workspaceScan: typeof get("workspaceScan") === "boolean" ? (get("workspaceScan") as boolean) : true,
    unsafeFixes: get("unsafeFixes") === true,
    logLevel: LOG_LEVELS.includes(get("logLevel") as LogLevel) ? (get("logLevel") as LogLevel) : "info",
  };
  const configPath = get("configPath");
  if (typeof configPath === "string" && configPath.trim() !== "") {
    settings.configPath = expandPath(configPath, workspaceFolder, homeDir);
  }
  return settings;
}

/** The server's command line: `serve` and the user's extra arguments. */
export function serverArgs(get: SettingReader): string[] {
  const extra = get("server.extraArgs");
  const strings = Array.isArray(extra) ? extra.filter((arg): arg is string => typeof arg === "string") : [];
  return ["serve", ...strings];
}

/** Settings whose change needs a new server process rather than a notification. */
export const RESTART_SETTINGS = ["ssot.server.path", "ssot.server.extraArgs"];

/** The answer to `ssot/migrationReport`. */
export interface MigrationReport {
  total: number;
  /** Of `total`, findings recorded in the baseline (shown as hints). */
  baselined?: number;
  byRule: Record<string, number>;
  byName: Record<string, number>;
  byFile: Array<{ uri: string; count: number }>;
}

/** The status bar text. */
export function statusText(report: MigrationReport | undefined): string {
  if (report === undefined) {
    return "SSOT: …";
  }
  return report.total === 0 ? "SSOT: done" : `SSOT: ${report.total} left`;
}

function countRows(counts: Record<string, number>): string[] {
  return Object.entries(counts)
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))
    .map(([key, count]) => `| \`${key}\` | ${count} |`);
}

/** The report as a Markdown document; `relative` turns a file URI into a label. */
export function reportMarkdown(report: MigrationReport, relative: (uri: string) => string): string {
  const lines = [`# SSOT migration report`, "", `**${report.total}** deprecated uses left.`, ""];
  if (report.baselined) {
    lines.splice(3, 0, "", `${report.baselined} of them are recorded in the baseline (shown as hints); ${report.total - report.baselined} are new.`);
  }
  if (report.total === 0) {
    return lines.concat(["Nothing left to migrate.", ""]).join("\n");
  }
  lines.push("## By rule", "", "| rule | left |", "|---|---|", ...countRows(report.byRule), "");
  lines.push("## By name", "", "| name | left |", "|---|---|", ...countRows(report.byName), "");
  lines.push("## By file", "", "| file | left |", "|---|---|");
  const files = [...report.byFile].sort((a, b) => b.count - a.count || a.uri.localeCompare(b.uri));
  for (const file of files) {
    lines.push(`| [${relative(file.uri)}](${file.uri}) | ${file.count} |`);
  }
  lines.push("");
  return lines.join("\n");
}
