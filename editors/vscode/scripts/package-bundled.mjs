// `npm run package:bundled`: a .vsix for the current platform (or
// VSCE_TARGET) with the server inside, as `bin/ssot-lsp`, so nothing else
// needs installing. The server is SSOT_BUNDLE_SERVER when set (the release
// workflow passes the binary of its wheel; tests pass target/debug/ssot-lsp),
// else the repository's target/release/ssot-lsp, built with
// `cargo build --release --locked` when missing (a cold build takes several
// minutes). Writes ssot-lsp-<target>.vsix.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { vsceTarget } from "./vsce-target.mjs";

const extension = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repository = resolve(extension, "../..");
const exe = process.platform === "win32" ? "ssot-lsp.exe" : "ssot-lsp";
const target = process.env.VSCE_TARGET || vsceTarget(process.platform, process.arch);
if (!target) {
  console.error(`package:bundled: VS Code has no platform for ${process.platform}-${process.arch}; set VSCE_TARGET`);
  process.exit(1);
}

let server = process.env.SSOT_BUNDLE_SERVER;
if (!server) {
  server = join(repository, "target", "release", exe);
  if (!existsSync(server)) {
    console.log(`package:bundled: ${server} is missing; building it (cargo build --release --locked)`);
    execFileSync("cargo", ["build", "--release", "--locked", "--bin", "ssot-lsp"], { cwd: repository, stdio: "inherit" });
  }
}
if (!existsSync(server)) {
  console.error(`package:bundled: no server at ${server}`);
  process.exit(1);
}

const run = (command, args, env = {}) =>
  execFileSync(command, args, { cwd: extension, stdio: "inherit", env: { ...process.env, ...env }, shell: process.platform === "win32" });
run("npm", ["run", "-s", "typecheck"]);
run("npm", ["run", "-s", "bundle"]);
run("node", ["scripts/prepare-package.mjs"], { SSOT_BUNDLE_SERVER: server });
const out = `ssot-lsp-${target}.vsix`;
run("npx", ["vsce", "package", "--no-dependencies", "--allow-missing-repository", "--target", target, "--out", out]);
console.log(`package:bundled: ${out} (server from ${server})`);
