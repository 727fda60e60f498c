// Asks an interpreter for its version; no vscode imports, so node:test can drive it.
import { execFile } from "node:child_process";

export const MIN_PYTHON: readonly [number, number] = [3, 11];

export type PythonProbe =
  | { ok: true; executable: string; version: string; major: number; minor: number }
  | { ok: false; reason: string };

const PROBE = "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])";

export function probePython(command: string, timeoutMs = 15000): Promise<PythonProbe> {
  return new Promise((resolve) => {
    execFile(command, ["-c", PROBE], { timeout: timeoutMs }, (error, stdout) => {
      if (error) {
        resolve({ ok: false, reason: `could not run ${command}: ${error.message}` });
        return;
      }
      const [executable, version] = stdout.trim().split(/\r?\n/);
      const [major, minor] = (version ?? "").split(".").map(Number);
      if (!executable || major === undefined || minor === undefined || Number.isNaN(minor)) {
        resolve({ ok: false, reason: `${command} did not report a version` });
        return;
      }
      resolve({ ok: true, executable, version: version!, major, minor });
    });
  });
}

export function isSupported(probe: PythonProbe): boolean {
  if (!probe.ok) return false;
  const [wantMajor, wantMinor] = MIN_PYTHON;
  return probe.major > wantMajor || (probe.major === wantMajor && probe.minor >= wantMinor);
}

/** Why `probe` cannot run the sidecar, in words for the user; undefined when it can. */
export function pythonProblem(where: string, probe: PythonProbe): string | undefined {
  const need = `Python ${MIN_PYTHON.join(".")} or newer`;
  if (!probe.ok) {
    return `tgbridge needs ${need}, but ${where} could not be run. Set tgbridge.python to a ${need.replace(" or newer", "+")} interpreter.`;
  }
  if (!isSupported(probe)) {
    return `tgbridge needs ${need}, but ${where} is Python ${probe.version}. Set tgbridge.python to a newer interpreter.`;
  }
  return undefined;
}
