// Bundles the extension (dist/extension.js), the Chat view's script (dist/webview.js)
// and the TypeScript test suites (out/tests).
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const production = process.argv.includes("--production");
const common = { bundle: true, platform: "node", target: "node20", format: "cjs", logLevel: "warning" };

await build({
  ...common,
  entryPoints: ["extension/src/extension.ts"],
  outfile: "dist/extension.js",
  // vscode-languageclient is its own file, loaded when the sidecar starts (languageClient.ts):
  // activation parses and runs only what it needs.
  external: ["vscode", "./languageclient.js"],
  minify: production,
  sourcemap: !production,
});

await build({
  ...common,
  entryPoints: ["vscode-languageclient/node"],
  outfile: "dist/languageclient.js",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
});

// The Chat view's page script: runs in the webview (a browser), not in Node.
await build({
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2022",
  logLevel: "warning",
  entryPoints: ["extension/webview/main.ts"],
  outfile: "dist/webview.js",
  minify: production,
  sourcemap: !production,
});

if (process.argv.includes("--tests")) {
  const suites = ["tests/extension", "tests/e2e"].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith(".test.ts"))
      .map((name) => join(dir, name)),
  );
  // Not a test suite: the editor's bench figures (tests/bench/editor.py runs it).
  suites.push("tests/e2e/bench.ts");
  await build({ ...common, entryPoints: suites, outdir: "out/tests", outbase: "tests", sourcemap: true, packages: "external" });
}
