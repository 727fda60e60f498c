// Reads the `tgbridge.*` settings; only what the user set travels to the sidecar, so
// TGBRIDGE_* environment variables still apply underneath.
import * as vscode from "vscode";

export const SECTION = "tgbridge";
const CLIENT_ONLY = new Set(["python"]);
const SERVER_SETTINGS = [
  "logLevel",
  "stateDir",
  "defaultChat",
  "documentAbove",
  "maxDownloadMb",
  "dataCenter",
] as const;

export function pythonSetting(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>("python", "");
}

export function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const inspected = config.inspect(key);
    const value =
      inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (value !== undefined && value !== "") settings[key] = value;
  }
  return settings;
}

/** True when a change needs a sidecar restart (every tgbridge setting does). */
export function affectsSidecar(event: vscode.ConfigurationChangeEvent): boolean {
  return (
    SERVER_SETTINGS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`)) ||
    [...CLIENT_ONLY].some((key) => event.affectsConfiguration(`${SECTION}.${key}`))
  );
}
