// Where the sidecar's Python code comes from: the extension's own `server/` folder and,
// in a packaged .vsix, the libraries bundled for the interpreter's Python version, then
// those the same for every version (bundled/libs/common: pure Python, kept once).
import * as fs from "node:fs";
import * as path from "node:path";

export type SidecarPaths =
  | { ok: true; pythonPath: string[]; bundled: boolean }
  | { ok: false; message: string };

export function sidecarPaths(extensionPath: string, pythonVersion: string): SidecarPaths {
  const server = path.join(extensionPath, "server");
  const libsRoot = path.join(extensionPath, "bundled", "libs");
  if (!fs.existsSync(libsRoot)) return { ok: true, pythonPath: [server], bundled: false };
  const [major, minor] = pythonVersion.split(".");
  const libs = path.join(libsRoot, `py${major}.${minor}`);
  const common = path.join(libsRoot, "common");
  if (fs.existsSync(libs)) return { ok: true, pythonPath: [server, libs, ...(fs.existsSync(common) ? [common] : [])], bundled: true };
  const available = fs
    .readdirSync(libsRoot)
    .filter((name) => /^py\d/.test(name))
    .map((name) => name.slice(2))
    .sort();
  return {
    ok: false,
    message: `This tgbridge build carries libraries for Python ${available.join(", ")}, not ${major}.${minor}. Set tgbridge.python to one of those.`,
  };
}

export function sidecarEnv(pythonPath: string[], base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    PYTHONPATH: [...pythonPath, base.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: "1",
    PYTHONIOENCODING: "utf-8",
  };
}
