// Copies what the .vsix ships but the repository keeps elsewhere: the rule
// file's JSON schema and the `# ssot: ignore[...]` grammar from the
// repository's `syntaxes/`, the repository's LICENSE, and, when SSOT_BUNDLE_SERVER names a binary,
// that binary as `bin/ssot-lsp` (the extension's fallback before PATH).
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const extension = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repositorySyntaxes = resolve(extension, "../../syntaxes");
const files = ["ssot.schema.json", "ssot-ignore.injection.tmLanguage.json"];

mkdirSync(join(extension, "syntaxes"), { recursive: true });
for (const file of files) {
  const source = join(repositorySyntaxes, file);
  if (!existsSync(source)) {
    console.error(`prepare-package: ${source} is missing`);
    process.exit(1);
  }
  copyFileSync(source, join(extension, "syntaxes", file));
}

copyFileSync(resolve(extension, "../../LICENSE"), join(extension, "LICENSE"));

rmSync(join(extension, "bin"), { recursive: true, force: true });
const server = process.env.SSOT_BUNDLE_SERVER;
if (server) {
  const name = process.platform === "win32" ? "ssot-lsp.exe" : "ssot-lsp";
  mkdirSync(join(extension, "bin"));
  copyFileSync(resolve(server), join(extension, "bin", name));
  chmodSync(join(extension, "bin", name), 0o755);
  console.log(`prepare-package: bundled ${server} as bin/${name}`);
}
console.log(`prepare-package: copied ${files.join(", ")} from ${repositorySyntaxes}`);
