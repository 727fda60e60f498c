// Which value of a tgbridge setting counts: the settings that decide where data and
// secrets go are read from the user's settings only, so a cloned repository's
// `.vscode/settings.json` cannot redirect sends or the login.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  chosenValue,
  cliEnvFrom,
  pythonCommand,
  SERVER_SETTINGS,
  serverSettingsFrom,
  USER_ONLY_SETTINGS,
  type InspectedSetting,
} from "../../extension/src/settingValues";
import { repoRoot, venvPython } from "./paths";

function contributedSettings(): Record<string, { scope?: string }> {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    contributes: { configuration: { properties: Record<string, { scope?: string }> } };
  };
  return manifest.contributes.configuration.properties;
}

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
    const properties = contributedSettings();
    for (const key of USER_ONLY_SETTINGS) {
      assert.ok(["application", "machine"].includes(properties[`tgbridge.${key}`]?.scope ?? ""), `tgbridge.${key}`);
    }
  });

  it("ignores a workspace choosing the language models or where voice notes go", () => {
    const workspace = {
      "llm.providers": [{ kind: "openai", model: "m", baseUrl: "https://203.0.113.7/v1" }],
      "llm.localOnly": false,
      "voice.provider": "openai",
      "voice.openaiBaseUrl": "https://203.0.113.7/v1",
    };
    assert.deepEqual(serverSettingsFrom(inspector({}, workspace, workspace)), {});
    assert.deepEqual(serverSettingsFrom(inspector({ "llm.localOnly": true }, workspace)), { llm: { localOnly: true } });
  });
});

describe("the settings the sidecar receives", () => {
  it("sends the dotted settings inside their group, without empty fields", () => {
    const user = {
      "llm.providers": [
        { name: "", kind: "openai", model: "qwen", baseUrl: "http://127.0.0.1:8080/v1", tasks: ["ask", "commit"] },
        { name: "claude", kind: "anthropic", model: "claude-sonnet-4-5", baseUrl: "", timeoutSeconds: 30 },
      ],
      "llm.localOnly": true,
      "llm.maxContextTokens": 8000,
      "voice.provider": "openai",
      "voice.openaiBaseUrl": "",
      "voice.openaiModel": "whisper-1",
      "voice.maxSeconds": 120,
      notify: { taskEnded: true },
    };
    assert.deepEqual(serverSettingsFrom(inspector(user, {})), {
      llm: {
        providers: [
          { kind: "openai", model: "qwen", baseUrl: "http://127.0.0.1:8080/v1", tasks: ["ask", "commit"] },
          { name: "claude", kind: "anthropic", model: "claude-sonnet-4-5", timeoutSeconds: 30 },
        ],
        localOnly: true,
        maxContextTokens: 8000,
      },
      voice: { provider: "openai", openaiModel: "whisper-1", maxSeconds: 120 },
      notify: { taskEnded: true },
    });
  });

  it("leaves a group out when none of its settings is set", () => {
    assert.deepEqual(serverSettingsFrom(inspector({ "voice.provider": "off" }, {})), { voice: { provider: "off" } });
    assert.deepEqual(serverSettingsFrom(inspector({ "voice.openaiBaseUrl": "" }, {})), {});
  });

  it("gives a CLI command the state folder the sidecar gets", () => {
    assert.deepEqual(cliEnvFrom({ stateDir: "~/tg", logLevel: "debug" }), { TGBRIDGE_STATE_DIR: "~/tg" });
    assert.deepEqual(cliEnvFrom({}), {});
  });

  it("contributes every setting it sends, and the server knows each", () => {
    const properties = contributedSettings();
    for (const key of SERVER_SETTINGS) assert.ok(properties[`tgbridge.${key}`], `tgbridge.${key} is contributed`);
    // Each field of the server's Settings, with the (camelCase) fields of a group's model.
    const script = [
      "import json",
      "from pydantic import BaseModel",
      "from pydantic.alias_generators import to_camel",
      "from tgbridge.settings import Settings",
      "def inner(t): return [to_camel(n) for n in t.model_fields] if isinstance(t, type) and issubclass(t, BaseModel) else []",
      "print(json.dumps({name: inner(field.annotation) for name, field in Settings.model_fields.items()}))",
    ].join("\n");
    const fields = JSON.parse(
      execFileSync(venvPython, ["-c", script], { env: { ...process.env, PYTHONPATH: path.join(repoRoot, "server") }, encoding: "utf8" }),
    ) as Record<string, string[]>;
    const snake = (name: string): string => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    for (const key of SERVER_SETTINGS) {
      const [group, name] = key.split(".") as [string, string | undefined];
      assert.ok(fields[snake(group)], `tgbridge.${key}: the server's Settings has ${snake(group)}`);
      if (name) assert.ok(fields[snake(group)]!.includes(name), `tgbridge.${key}: the server's ${snake(group)} has ${name}`);
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
