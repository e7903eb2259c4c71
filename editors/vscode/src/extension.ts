// The VS Code client of ssot-lsp: starts `ssot-lsp serve`, passes the
// settings, and wires a few commands and a status bar item. Every feature
// (diagnostics, quick fixes, fix-all, hover, the report) lives in the server.
// `restart()` is the single way a server gets started.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  RequestType,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  type MigrationReport,
  RESTART_SETTINGS,
  reportMarkdown,
  resolveServerPath,
  serverArgs,
  serverSettings,
  statusText,
  versionProblem,
} from "./settings";

const MIGRATION_REPORT = new RequestType<Record<string, never>, MigrationReport, void>("ssot/migrationReport");

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let statusItem: vscode.StatusBarItem;
let statusTimer: NodeJS.Timeout | undefined;

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `ssot-lsp --version` of a binary; `undefined` when it does not answer. */
function serverVersion(binary: string): string | undefined {
  try {
    return execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
  } catch {
    return undefined;
  }
}

/** The workspace's Python interpreter: the Python extension's choice, else `python.defaultInterpreterPath`. */
async function selectedInterpreter(): Promise<string | undefined> {
  try {
    const python = vscode.extensions.getExtension("ms-python.python");
    if (python !== undefined) {
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000));
      const api = python.isActive ? python.exports : await Promise.race([python.activate(), timeout]);
      const active = api?.environments?.getActiveEnvironmentPath?.(vscode.workspace.workspaceFolders?.[0]?.uri);
      if (typeof active?.path === "string" && active.path !== "") {
        return active.path;
      }
    }
  } catch {
    // The Python extension is optional; fall back to the setting.
  }
  const configured = vscode.workspace.getConfiguration("python").get<string>("defaultInterpreterPath");
  return configured && configured !== "python" ? configured : undefined;
}

function currentSettings() {
  const section = vscode.workspace.getConfiguration("ssot");
  return serverSettings((key) => section.get(key), workspaceFolder(), os.homedir());
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("SSOT");
  statusItem = vscode.window.createStatusBarItem("ssot.status", vscode.StatusBarAlignment.Left, 0);
  statusItem.name = "SSOT migration";
  statusItem.command = "ssot.showMigrationReport";
  statusItem.tooltip = "Deprecated WebSocket paths left in the workspace (click for the report)";
  context.subscriptions.push(
    output,
    statusItem,
    vscode.commands.registerCommand("ssot.restart", () => restart(context)),
    vscode.commands.registerCommand("ssot.fixAllInFile", fixAllInFile),
    vscode.commands.registerCommand("ssot.fixAllInWorkspace", () => executeServerCommand("ssot.fixWorkspace", [])),
    vscode.commands.registerCommand("ssot.showMigrationReport", showMigrationReport),
    vscode.commands.registerCommand("ssot.showLogs", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => onConfigurationChanged(event, context)),
    vscode.languages.onDidChangeDiagnostics(() => scheduleStatusRefresh()),
    { dispose: () => void client?.stop().catch(() => undefined) },
  );
  await restart(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** Stops the running server, if any, and starts a new one with the current settings. */
async function restart(context: vscode.ExtensionContext): Promise<void> {
  const previous = client;
  client = undefined;
  if (previous !== undefined) {
    await previous.stop().catch((error) => output.appendLine(`ssot: stopping the server failed: ${error}`));
  }
  const section = vscode.workspace.getConfiguration("ssot");
  const resolution = resolveServerPath({
    env: process.env,
    settingPath: section.get<string>("server.path"),
    extensionPath: context.extensionPath,
    workspaceFolder: workspaceFolder(),
    homeDir: os.homedir(),
    platform: process.platform,
    isExecutable,
    pythonInterpreter: await selectedInterpreter(),
  });
  const problem = resolution.kind === "missing" ? resolution.message : versionProblem(resolution.path, serverVersion(resolution.path));
  if (problem !== undefined) {
    output.appendLine(problem);
    statusItem.text = "SSOT: no server";
    statusItem.show();
    const choice = await vscode.window.showErrorMessage(problem, "Open Settings", "Show Logs");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "ssot.server.path");
    } else if (choice === "Show Logs") {
      output.show(true);
    }
    return;
  }
  if (resolution.kind === "missing") {
    return;
  }
  output.appendLine(`ssot: starting ${resolution.path} (from ${resolution.source})`);
  const serverOptions: ServerOptions = {
    command: resolution.path,
    args: serverArgs((key) => section.get(key)),
    options: { cwd: workspaceFolder() },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ],
    initializationOptions: currentSettings(),
    outputChannel: output,
    traceOutputChannel: output,
    middleware: {
      workspace: {
        // The server may pull its section: answer with the same mapping as the push.
        configuration: (params, token, next) =>
          params.items.some((item) => item.section === "ssot") ? params.items.map(() => currentSettings()) : next(params, token),
      },
    },
  };
  const started = new LanguageClient("ssot", "SSOT", serverOptions, clientOptions);
  client = started;
  try {
    await started.start();
  } catch (error) {
    output.appendLine(`ssot: the server did not start: ${error}`);
    statusItem.text = "SSOT: server failed";
    statusItem.show();
    void vscode.window.showErrorMessage(`ssot-lsp did not start: ${error}`, "Show Logs").then((choice) => {
      if (choice === "Show Logs") output.show(true);
    });
    return;
  }
  scheduleStatusRefresh(0);
}

async function onConfigurationChanged(event: vscode.ConfigurationChangeEvent, context: vscode.ExtensionContext) {
  if (RESTART_SETTINGS.some((setting) => event.affectsConfiguration(setting))) {
    await restart(context);
  } else if (event.affectsConfiguration("ssot") && client?.isRunning()) {
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { ssot: currentSettings() } });
    scheduleStatusRefresh();
  }
}

/** Asks the server how many deprecated uses are left, at most twice a second. */
function scheduleStatusRefresh(delay = 500): void {
  if (statusTimer !== undefined) return; // a refresh is already due
  statusTimer = setTimeout(async () => {
    statusTimer = undefined;
    const report = await migrationReport();
    if (report !== undefined) {
      statusItem.text = statusText(report);
      statusItem.show();
    }
  }, delay);
}

async function migrationReport(): Promise<MigrationReport | undefined> {
  if (!client?.isRunning()) return undefined;
  try {
    return await client.sendRequest(MIGRATION_REPORT, {});
  } catch (error) {
    output.appendLine(`ssot: ssot/migrationReport failed: ${error}`);
    return undefined;
  }
}

async function showMigrationReport(): Promise<void> {
  const report = await migrationReport();
  if (report === undefined) {
    void vscode.window.showWarningMessage("SSOT: the server is not running (see SSOT: Show Logs).");
    return;
  }
  const relative = (uri: string) => vscode.workspace.asRelativePath(vscode.Uri.parse(uri));
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: reportMarkdown(report, relative) });
  await vscode.window.showTextDocument(document, { preview: true });
}

async function fixAllInFile(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || client === undefined) return;
  await executeServerCommand("ssot.fixAll", [client.code2ProtocolConverter.asUri(editor.document.uri)]);
}

/** Runs one of the server's commands; the server answers with `workspace/applyEdit`. */
async function executeServerCommand(command: string, args: unknown[]): Promise<void> {
  if (!client?.isRunning()) {
    void vscode.window.showWarningMessage("SSOT: the server is not running (see SSOT: Show Logs).");
    return;
  }
  try {
    await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  } catch (error) {
    void vscode.window.showErrorMessage(`SSOT: ${command} failed: ${error}`);
  }
  scheduleStatusRefresh();
}
