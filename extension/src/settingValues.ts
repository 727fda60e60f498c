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

// The phone side's settings (tasks, deny globs, notification rules, language models,
// voice notes) are the owner's: a repository cannot add a task the phone could run, loosen
// what it may read, nor send the code to a model of its choosing.
const PHONE_SETTINGS = [
  "tasks",
  "denyGlobs",
  "notify",
  "agentRules",
  "llm.providers",
  "llm.localOnly",
  "llm.maxContextTokens",
  "voice.provider",
  "voice.openaiBaseUrl",
  "voice.openaiModel",
  "voice.maxSeconds",
] as const;

export const USER_ONLY_SETTINGS: ReadonlySet<string> = new Set([
  "python",
  "stateDir",
  "defaultChat",
  "dataCenter",
  "maxStoredMb",
  ...PHONE_SETTINGS,
]);

/** The settings the sidecar receives in initializationOptions. A dotted one travels
 * inside its group: `llm.localOnly` as `{llm: {localOnly}}`. */
export const SERVER_SETTINGS = [
  "logLevel",
  "stateDir",
  "defaultChat",
  "documentAbove",
  "maxDownloadMb",
  "maxStoredMb",
  "hubLingerMinutes",
  "dataCenter",
  ...PHONE_SETTINGS,
] as const;

/** The value that counts for `key`; undefined when none does. */
export function chosenValue<T>(key: string, inspected: InspectedSetting<T> | undefined): T | undefined {
  if (!inspected) return undefined;
  if (USER_ONLY_SETTINGS.has(key)) return inspected.globalValue;
  return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
}

/** The settings for the sidecar: only those set (and not empty), so TGBRIDGE_*
 * environment variables still apply underneath; a dotted setting goes inside its group,
 * without the empty fields of its objects (an unset `baseUrl` is left out, not ""). */
export function serverSettingsFrom(inspect: (key: string) => InspectedSetting | undefined): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = chosenValue(key, inspect(key));
    if (isEmpty(value)) continue;
    const [group, name] = key.split(".", 2);
    if (!name) {
      settings[key] = value;
      continue;
    }
    const fields = (settings[group!] ??= {}) as Record<string, unknown>;
    fields[name] = withoutEmpty(value);
  }
  return settings;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

/** `value` with the empty fields of its objects left out, in arrays too. */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => !isEmpty(field))
      .map(([name, field]) => [name, withoutEmpty(field)]),
  );
}

/** Environment for a `python -m tgbridge …` command run beside the sidecar: the CLI reads
 * its settings from TGBRIDGE_* variables, so the state folder the user set goes there. */
export function cliEnvFrom(settings: Record<string, unknown>): Record<string, string> {
  return typeof settings.stateDir === "string" ? { TGBRIDGE_STATE_DIR: settings.stateDir } : {};
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
