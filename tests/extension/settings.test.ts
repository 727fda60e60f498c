// Which value of a tgbridge setting counts: the settings that decide where data and
// secrets go are read from the user's settings only, so a cloned repository's
// `.vscode/settings.json` cannot redirect sends or the login.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  chosenValue,
  pythonCommand,
  serverSettingsFrom,
  USER_ONLY_SETTINGS,
  type InspectedSetting,
} from "../../extension/src/settingValues";
import { repoRoot } from "./paths";

/** What `config.inspect(key)` returns with these user settings and a workspace whose
 * `.vscode/settings.json` holds `workspace`. */
function inspector(user: Record<string, unknown>, workspace: Record<string, unknown>, folder: Record<string, unknown> = {}) {
  return (key: string): InspectedSetting => ({
    globalValue: user[key],
    workspaceValue: workspace[key],
    workspaceFolderValue: folder[key],
  });
}

const loopback = { id: 2, host: "127.0.0.1", port: 4430, publicKeyFile: "/home/me/dc.pem" };
const attacker = { id: 2, host: "203.0.113.7", port: 443, publicKeyFile: "/tmp/evil.pem" };

describe("settings a repository cannot set", () => {
  it("ignores a workspace .vscode/settings.json setting defaultChat and dataCenter", () => {
    const settings = serverSettingsFrom(
      inspector({}, { defaultChat: "@attacker", dataCenter: attacker, stateDir: "/tmp/x", logLevel: "debug" }),
    );
    assert.deepEqual(settings, { logLevel: "debug" });
  });

  it("keeps the user's value when a workspace sets another", () => {
    const settings = serverSettingsFrom(
      inspector(
        { defaultChat: "me", dataCenter: loopback, stateDir: "~/tg" },
        { defaultChat: "@attacker", dataCenter: attacker, stateDir: "/tmp/x" },
        { defaultChat: "@attacker2" },
      ),
    );
    assert.deepEqual(settings, { defaultChat: "me", dataCenter: loopback, stateDir: "~/tg" });
  });

  it("lets the other settings come from the folder, then the workspace, then the user", () => {
    const settings = serverSettingsFrom(
      inspector({ logLevel: "error", documentAbove: 100 }, { logLevel: "info", maxDownloadMb: 5 }, { logLevel: "debug" }),
    );
    assert.deepEqual(settings, { logLevel: "debug", documentAbove: 100, maxDownloadMb: 5 });
  });

  it("leaves out what nobody set, and empty values", () => {
    assert.deepEqual(serverSettingsFrom(inspector({ defaultChat: "", dataCenter: null }, {})), {});
    assert.deepEqual(serverSettingsFrom(() => undefined), {});
  });

  it("reads the interpreter from the user's settings only", () => {
    assert.equal(chosenValue("python", { workspaceValue: "/tmp/evil/python" }), undefined);
    assert.equal(chosenValue("python", { globalValue: "/usr/bin/python3", workspaceFolderValue: "/x" }), "/usr/bin/python3");
  });

  it("contributes each user-only setting with a scope a workspace cannot set", () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
    };
    const properties = manifest.contributes.configuration.properties;
    for (const key of USER_ONLY_SETTINGS) {
      assert.ok(["application", "machine"].includes(properties[`tgbridge.${key}`]?.scope ?? ""), `tgbridge.${key}`);
    }
  });
});

describe("the tgbridge.python setting", () => {
  it("expands ~ and keeps absolute paths and command names", () => {
    assert.deepEqual(pythonCommand("~/venv/bin/python", "/home/me", "linux"), { ok: true, command: "/home/me/venv/bin/python" });
    assert.deepEqual(pythonCommand(" /usr/bin/python3 ", "/home/me", "linux"), { ok: true, command: "/usr/bin/python3" });
    assert.deepEqual(pythonCommand("python3.12", "/home/me", "linux"), { ok: true, command: "python3.12" });
    assert.deepEqual(pythonCommand("", "/home/me", "linux"), { ok: true, command: "" });
    assert.deepEqual(pythonCommand(undefined, "/home/me", "linux"), { ok: true, command: "" });
  });

  it("refuses a relative path, naming the setting", () => {
    for (const value of [".venv/bin/python", "./python3", "../env/bin/python"]) {
      const result = pythonCommand(value, "/home/me", "linux");
      assert.equal(result.ok, false, value);
      assert.match(result.ok ? "" : result.message, /tgbridge\.python setting is a relative path/);
    }
  });

  it("knows Windows paths", () => {
    assert.deepEqual(pythonCommand("C:\\Python312\\python.exe", "C:\\Users\\me", "win32"), {
      ok: true,
      command: "C:\\Python312\\python.exe",
    });
    assert.deepEqual(pythonCommand("~\\py\\python.exe", "C:\\Users\\me", "win32"), { ok: true, command: "C:\\Users\\me\\py\\python.exe" });
    assert.equal(pythonCommand("venv\\python.exe", "C:\\Users\\me", "win32").ok, false);
  });
});
