// Finds the Python interpreter that runs the sidecar.
//
// Lookup order:
//   1. the `tgbridge.python` setting;
//   2. the Python extension's active interpreter, when that extension is installed;
//   3. `python3` on PATH (`python` on Windows).
// The first that is found is used; it must be Python 3.11 or newer.
import * as vscode from "vscode";
import { probePython, pythonProblem, type PythonProbe } from "./pythonVersion";
import { traceInfo } from "./log";

export type PythonSource =
  | { kind: "setting"; command: string }
  | { kind: "pythonExtension"; command: string }
  | { kind: "path"; command: string };

export type PythonResolution =
  | { ok: true; source: PythonSource; executable: string; version: string }
  | { ok: false; message: string };

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

async function fromPythonExtension(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    if (!environments) return undefined;
    const active = environments.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}

async function findSource(setting: string): Promise<PythonSource> {
  if (setting.trim()) return { kind: "setting", command: setting.trim() };
  const fromExtension = await fromPythonExtension();
  if (fromExtension) return { kind: "pythonExtension", command: fromExtension };
  return { kind: "path", command: process.platform === "win32" ? "python" : "python3" };
}

const SOURCE_NAMES: Record<PythonSource["kind"], string> = {
  setting: "the tgbridge.python setting",
  pythonExtension: "the Python extension's active interpreter",
  path: "PATH",
};

export async function resolvePython(setting: string): Promise<PythonResolution> {
  const source = await findSource(setting);
  const probe: PythonProbe = await probePython(source.command);
  const where = `${source.command} (from ${SOURCE_NAMES[source.kind]})`;
  const problem = pythonProblem(where, probe);
  if (problem || !probe.ok) return { ok: false, message: problem ?? "unreachable" };
  traceInfo(`Python ${probe.version} at ${probe.executable}, from ${SOURCE_NAMES[source.kind]}`);
  return { ok: true, source, executable: probe.executable, version: probe.version };
}
