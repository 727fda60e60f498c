// Reads the `tgbridge.*` settings; only what the user set travels to the sidecar, so
// TGBRIDGE_* environment variables still apply underneath. Which value counts (user-only
// for the settings that decide where data and secrets go) is in settingValues.ts.
import * as os from "node:os";
import * as vscode from "vscode";
import { chosenValue, cliEnvFrom, pythonCommand, SERVER_SETTINGS, serverSettingsFrom, type PythonSetting } from "./settingValues";

export const SECTION = "tgbridge";
const CLIENT_ONLY = ["python"] as const;

/** `tgbridge.python` from the user's settings, `~` expanded; an error for a relative path. */
export function pythonSetting(): PythonSetting {
  const config = vscode.workspace.getConfiguration(SECTION);
  return pythonCommand(chosenValue<string>("python", config.inspect<string>("python")), os.homedir());
}

export function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return serverSettingsFrom((key) => config.inspect(key));
}

/** `tgbridge.llm.providers` as the user set it (a repository cannot); unchecked. */
export function llmProviders(): unknown {
  const config = vscode.workspace.getConfiguration(SECTION);
  return chosenValue("llm.providers", config.inspect("llm.providers"));
}

/** The TGBRIDGE_* variables a `python -m tgbridge …` command needs to see what the
 * sidecar sees (the state folder). */
export function cliEnv(): Record<string, string> {
  return cliEnvFrom(serverSettings());
}

/** True when a change needs a sidecar restart (every tgbridge setting does). */
export function affectsSidecar(event: vscode.ConfigurationChangeEvent): boolean {
  return [...SERVER_SETTINGS, ...CLIENT_ONLY].some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}
