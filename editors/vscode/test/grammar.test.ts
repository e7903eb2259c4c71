// The `# ssot: ignore[...]` grammar injection, tokenized by the same
// TextMate engine VS Code uses (vscode-textmate + Oniguruma), injected into a
// stand-in Python grammar that scopes comments like VS Code's (MagicPython).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const repository = join(__dirname, "../../../..");
const injectionPath = join(repository, "syntaxes/ssot-ignore.injection.tmLanguage.json");

const pythonStandIn = {
  scopeName: "source.python",
  patterns: [
    {
      begin: "(#)",
      beginCaptures: { "1": { name: "punctuation.definition.comment.python" } },
      end: "($)",
      name: "comment.line.number-sign.python",
    },
    { match: "\\b(import|from)\\b", name: "keyword.control.import.python" },
  ],
};

async function registry(): Promise<textmate.Registry> {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  return new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName === "source.python") return textmate.parseRawGrammar(JSON.stringify(pythonStandIn), "python.json");
      if (scopeName === "ssot-ignore.injection") return textmate.parseRawGrammar(readFileSync(injectionPath, "utf8"), injectionPath);
      return null;
    },
    getInjections: (scopeName: string) => (scopeName === "source.python" ? ["ssot-ignore.injection"] : undefined),
  });
}

/** The tokens of one line as `[text, innermost scope]`. */
async function tokens(line: string): Promise<Array<[string, string]>> {
  const grammar = await (await registry()).loadGrammar("source.python");
  assert.ok(grammar);
  const result = grammar.tokenizeLine(line, textmate.INITIAL);
  return result.tokens.map((token) => [line.slice(token.startIndex, token.endIndex), token.scopes[token.scopes.length - 1]]);
}

describe("ssot ignore grammar injection", () => {
  it("highlights the directive and each rule code", async () => {
    const scopes = await tokens("from a import b  # ssot: ignore[SSOT001, SSOT003]");
    const find = (text: string) => scopes.find(([token]) => token === text)?.[1];
    assert.equal(find("ssot"), "keyword.control.directive.ssot");
    assert.equal(find("ignore"), "keyword.control.directive.ignore.ssot");
    assert.equal(find("SSOT001"), "constant.language.rule-code.ssot");
    assert.equal(find("SSOT003"), "constant.language.rule-code.ssot");
    assert.equal(find("["), "punctuation.definition.list.begin.ssot");
  });

  it("highlights a bare ignore and one after another directive", async () => {
    const scopes = await tokens("import x  # noqa  # ssot:ignore");
    assert.ok(scopes.some(([text, scope]) => text === "ignore" && scope === "keyword.control.directive.ignore.ssot"));
  });

  it("leaves other comments and code alone", async () => {
    for (const line of ["# ignore this ssot", "x = 'ssot: ignore'", "# not-ssot: ignorelist"]) {
      const scopes = await tokens(line);
      assert.ok(!scopes.some(([, scope]) => scope.endsWith(".ssot")), `${line}: ${JSON.stringify(scopes)}`);
    }
  });
});
