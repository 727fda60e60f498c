// Which value of each `tgbridge.*` setting counts, from what `config.inspect()` returns.
// No vscode imports, so node:test can drive it.
//
// The settings that decide where data and secrets go (the interpreter, the state folder,
// the chat sends go to, the data centre the login goes to) count only as the user set
// them: a cloned repository's `.vscode/settings.json` must not redirect them. Their
// `machine`/`application` scope already makes VS Code drop a workspace's value (seen in
// code-server 4.139); reading only `globalValue` holds in forks that do not. The others
// follow VS Code's usual order: folder, then workspace, then user.
import * as path from "node:path";

/** The part of `WorkspaceConfiguration.inspect()` tgbridge reads. */
export interface InspectedSetting<T = unknown> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

// The phone side's settings (tasks, deny globs, notification rules) are the owner's: a
// repository cannot add a task the phone could run, nor loosen what it may read.
export const USER_ONLY_SETTINGS: ReadonlySet<string> = new Set([
  "python",
  "stateDir",
  "defaultChat",
  "dataCenter",
  "maxStoredMb",
  "tasks",
  "denyGlobs",
  "notify",
  "agentRules",
]);

/** The settings the sidecar receives in initializationOptions. */
export const SERVER_SETTINGS = [
  "logLevel",
  "stateDir",
  "defaultChat",
  "documentAbove",
  "maxDownloadMb",
  "maxStoredMb",
  "hubLingerMinutes",
  "dataCenter",
  "tasks",
  "denyGlobs",
  "notify",
  "agentRules",
] as const;

/** The value that counts for `key`; undefined when none does. */
export function chosenValue<T>(key: string, inspected: InspectedSetting<T> | undefined): T | undefined {
  if (!inspected) return undefined;
  if (USER_ONLY_SETTINGS.has(key)) return inspected.globalValue;
  return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
}

/** The settings for the sidecar: only those set (and not empty), so TGBRIDGE_*
 * environment variables still apply underneath. */
export function serverSettingsFrom(inspect: (key: string) => InspectedSetting | undefined): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = chosenValue(key, inspect(key));
    if (value !== undefined && value !== null && value !== "") settings[key] = value;
  }
  return settings;
}

export type PythonSetting = { ok: true; command: string } | { ok: false; message: string };

/** `tgbridge.python` as a command to run: empty (find one), a command name looked up on
 * PATH, or a path; `~` is expanded, and a relative path is refused, since relative to
 * what would be a guess. */
export function pythonCommand(value: string | undefined, home: string, platform: NodeJS.Platform = process.platform): PythonSetting {
  const setting = (value ?? "").trim();
  const paths = platform === "win32" ? path.win32 : path.posix;
  const separators = platform === "win32" ? /[\\/]/ : /\//;
  let command = setting;
  if (setting === "~" || /^~[\\/]/.test(setting)) command = paths.join(home, setting.slice(1));
  if (separators.test(command) && !paths.isAbsolute(command)) {
    return {
      ok: false,
      message: `The tgbridge.python setting is a relative path (${setting}): set an absolute path, one that starts with ~, or a command name on PATH.`,
    };
  }
  return { ok: true, command };
}
