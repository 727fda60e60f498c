// Language models and voice notes, the editor side without an editor: the voice add-on
// installer's progress (and a cancel stopping it), which repository a commit message is
// for, what is said about what the model did not see, and when the API keys go to the hub.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { cutNotice, repositoryFor } from "../../extension/src/commitMessage";
import { keyedProviders, LLM_KEY_PREFIX, LlmKeys, type SecretStore } from "../../extension/src/llmKeys";
import type { ConnectionState, LlmKeysParams, StatusResult } from "../../extension/src/protocol";
import type { ViewState } from "../../extension/src/statusText";
import { InstallProgress, parseInstallLine, runVoiceInstall, type InstallLaunch } from "../../extension/src/voiceInstall";

describe("the voice add-on installer's progress", () => {
  it("reads its JSON lines and nothing else", () => {
    assert.deepEqual(parseInstallLine('{"step": "Getting numpy", "percent": 40}'), { step: "Getting numpy", percent: 40 });
    assert.deepEqual(parseInstallLine('  {"step": "Installing", "percent": 85}\r'), { step: "Installing", percent: 85 });
    assert.deepEqual(parseInstallLine('{"step": "Could not install the voice add-on", "percent": 100, "error": "ERROR: no wheel"}'), {
      step: "Could not install the voice add-on",
      percent: 100,
      error: "ERROR: no wheel",
    });
    assert.deepEqual(parseInstallLine('{"step": "Odd", "percent": 250}'), { step: "Odd", percent: 100 });
    assert.deepEqual(parseInstallLine('{"step": "No percent"}'), { step: "No percent" });
    for (const line of ["", "Collecting numpy", "{not json", '["step"]', '{"percent": 5}', "null", '{"step": 3}']) {
      assert.equal(parseInstallLine(line), undefined, line);
    }
  });

  it("turns chunks into steps that never move the bar backwards", () => {
    const progress = new InstallProgress();
    assert.deepEqual(progress.feed('{"step": "Preparing", "percent": 0}\n{"step": "Getting a'), [{ message: "Preparing", increment: 0 }]);
    assert.deepEqual(progress.feed('v", "percent": 20}\nnoise\n'), [{ message: "Getting av", increment: 20 }]);
    assert.deepEqual(progress.feed('{"step": "Again", "percent": 10}\r\n{"step": "Installing", "percent": 85}\n'), [
      { message: "Again", increment: 0 },
      { message: "Installing", increment: 65 },
    ]);
    assert.deepEqual(progress.feed('{"step": "Where", "percent": 90}'), []);
    assert.deepEqual(progress.end(), [{ message: "Where", increment: 5 }]);
    assert.equal(progress.error, undefined);
    progress.feed('{"step": "Could not install the voice add-on", "percent": 100, "error": "ERROR: disk full"}\n');
    assert.equal(progress.error, "ERROR: disk full");
  });
});

describe("running the voice add-on installer", { skip: process.platform === "win32" }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tgbridge-voice-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in for the interpreter: a shell script that ignores `-m tgbridge voice install`. */
  function fakePython(name: string, body: string): InstallLaunch {
    const executable = path.join(dir, name);
    writeFileSync(executable, `#!/bin/sh\n${body}\n`);
    chmodSync(executable, 0o755);
    return { executable, env: { ...process.env, TGBRIDGE_STATE_DIR: dir }, cwd: dir };
  }

  it("reports each step and succeeds, with the environment it was given", async () => {
    const launch = fakePython(
      "ok",
      [
        'test "$*" = "-m tgbridge voice install" || exit 9',
        `test "$TGBRIDGE_STATE_DIR" = "${dir}" || exit 8`,
        `echo '{"step": "Preparing the voice add-on", "percent": 0}'`,
        "echo 'pip says hello' >&2",
        `echo '{"step": "Getting numpy", "percent": 50}'`,
        `printf '{"step": "Voice notes are ready", "percent": 100}'`,
      ].join("\n"),
    );
    const steps: Array<[string, number]> = [];
    const output: string[] = [];
    const outcome = await runVoiceInstall(launch, { onStep: (m, i) => steps.push([m, i]), onOutput: (text) => output.push(text) });
    assert.deepEqual(outcome, { kind: "installed" });
    assert.deepEqual(steps, [
      ["Preparing the voice add-on", 0],
      ["Getting numpy", 50],
      ["Voice notes are ready", 50],
    ]);
    assert.match(output.join(""), /pip says hello/);
  });

  it("fails with the error of its last line", async () => {
    const launch = fakePython(
      "fails",
      `echo '{"step": "Could not install the voice add-on", "percent": 100, "error": "ERROR: No matching distribution for av"}'; exit 1`,
    );
    assert.deepEqual(await runVoiceInstall(launch, { onStep: () => undefined }), {
      kind: "failed",
      error: "ERROR: No matching distribution for av",
    });
  });

  it("fails with what it wrote on stderr when it gave no error line", async () => {
    const launch = fakePython("crashes", "echo 'Traceback' >&2; echo 'ModuleNotFoundError: No module named tgbridge' >&2; exit 1");
    assert.deepEqual(await runVoiceInstall(launch, { onStep: () => undefined }), {
      kind: "failed",
      error: "ModuleNotFoundError: No module named tgbridge",
    });
    const missing = { executable: path.join(dir, "missing"), env: process.env, cwd: dir };
    const outcome = await runVoiceInstall(missing, { onStep: () => undefined });
    assert.equal(outcome.kind, "failed");
  });

  it("stops the installer and what it started on cancel", async () => {
    const marker = path.join(dir, "pip-finished");
    const pidFile = path.join(dir, "pip-pid");
    // The installer's own child (pip) would write the marker if it were left running.
    const launch = fakePython(
      "slow",
      `(sleep 30; touch '${marker}') &\necho $! > '${pidFile}'\necho '{"step": "Getting av", "percent": 10}'\nwait`,
    );
    const abort = new AbortController();
    const outcome = await runVoiceInstall(launch, {
      signal: abort.signal,
      onStep: () => abort.abort(),
    });
    assert.deepEqual(outcome, { kind: "cancelled" });
    // Waits for the child to be gone (a child left running would outlive this bound by far).
    const pid = Number(readFileSync(pidFile, "utf8"));
    const deadline = Date.now() + 10_000;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(isRunning(pid), false, "the installer's child still runs");
    assert.equal(existsSync(marker), false);
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the repository a commit message is for", () => {
  const repo = (root: string) => ({ rootUri: { toString: () => root, fsPath: root.replace("file://", "") }, inputBox: { value: "" } });
  const app = repo("file:///w/app");
  const lib = repo("file:///w/lib");

  it("is the Source Control view's own when its title bar asks", () => {
    const sourceControl = { id: "git", label: "Git", rootUri: { toString: () => "file:///w/lib" } };
    assert.deepEqual(repositoryFor(sourceControl, [app, lib]), { repository: lib });
  });

  it("is the only one from the palette, else the user chooses", () => {
    assert.deepEqual(repositoryFor(undefined, [app]), { repository: app });
    assert.deepEqual(repositoryFor(undefined, [app, lib]), { choose: [app, lib] });
    assert.deepEqual(repositoryFor({ rootUri: { toString: () => "file:///elsewhere" } }, [app, lib]), { choose: [app, lib] });
    assert.deepEqual(repositoryFor("not a SourceControl", [app]), { repository: app });
    assert.equal(repositoryFor(undefined, []), undefined);
  });

  it("says what the model's context left out", () => {
    assert.match(cutNotice(["package-lock.json"]), /without package-lock\.json: left out of the model's context/);
    const many = cutNotice(["a", "b", "c", "d", "e", "f", "g"]);
    assert.match(many, /without a, b, c, d, e and 2 more:/);
  });
});

describe("the language models' API keys", () => {
  function running(state: ConnectionState["state"]): ViewState {
    const status: StatusResult = {
      version: "0.1.0",
      workspaceFolders: [],
      connection: { state, detail: state, waitSeconds: null },
      python: { executable: "/usr/bin/python3", version: "3.11.0" },
      settingsError: null,
      hubPid: null,
    };
    return { kind: "running", status };
  }

  function setup(providers: unknown, stored: Record<string, string> = {}) {
    const secrets = new Map(Object.entries(stored));
    const store: SecretStore = {
      get: async (key) => secrets.get(key),
      store: async (key, value) => void secrets.set(key, value),
      delete: async (key) => void secrets.delete(key),
    };
    const sent: LlmKeysParams[] = [];
    const keys = new LlmKeys(store, () => providers, async (params) => void sent.push(params));
    return { keys, secrets, sent };
  }

  const flush = () => new Promise((resolve) => setImmediate(resolve));
  const providers = [
    { name: "gpt", kind: "openai", model: "gpt-4o-mini" },
    { kind: "anthropic", model: "claude-sonnet-4-5" },
    { name: "local", kind: "ollama", model: "qwen2.5-coder" },
    { name: "lms", kind: "openai", model: "qwen", baseUrl: "http://127.0.0.1:1234/v1" },
  ];

  it("are asked for the openai and anthropic providers, by the name the hub knows", () => {
    assert.deepEqual(
      keyedProviders(providers).map((p) => [p.name, p.kind, p.baseUrl]),
      [
        ["gpt", "openai", undefined],
        ["anthropic", "anthropic", undefined],
        ["lms", "openai", "http://127.0.0.1:1234/v1"],
      ],
    );
    assert.deepEqual(keyedProviders(undefined), []);
    assert.deepEqual(keyedProviders([null, "x", { kind: "other" }, { name: "gpt", kind: "openai" }, { name: "gpt", kind: "anthropic" }]).length, 1);
  });

  it("go to the hub each time the window comes online, and only then", async () => {
    const { keys, sent } = setup(providers, { [`${LLM_KEY_PREFIX}gpt`]: "sk-1", [`${LLM_KEY_PREFIX}local`]: "unused", [`${LLM_KEY_PREFIX}gone`]: "x" });
    keys.onState({ kind: "starting" });
    keys.onState(running("not configured"));
    keys.onState(running("connecting"));
    await flush();
    assert.deepEqual(sent, []);
    keys.onState(running("online"));
    keys.onState(running("online")); // the same state told again
    await flush();
    assert.deepEqual(sent, [{ keys: { gpt: "sk-1" } }]);
    keys.onState(running("offline")); // the hub went away; the next one knows no keys
    keys.onState(running("online"));
    keys.onState({ kind: "starting" }); // a restarted sidecar
    keys.onState(running("online"));
    await flush();
    assert.equal(sent.length, 3);
  });

  it("are not sent when there is none", async () => {
    const { keys, sent } = setup(providers);
    keys.onState(running("online"));
    await flush();
    assert.deepEqual(sent, []);
  });

  it("are kept, forgotten and sent again when one changes", async () => {
    const { keys, secrets, sent } = setup(providers, { [`${LLM_KEY_PREFIX}gpt`]: "sk-1" });
    await keys.set("anthropic", " sk-ant "); // not online yet: kept, sent later
    assert.equal(secrets.get(`${LLM_KEY_PREFIX}anthropic`), "sk-ant");
    assert.deepEqual(sent, []);
    keys.onState(running("online"));
    await flush();
    assert.deepEqual(sent, [{ keys: { gpt: "sk-1", anthropic: "sk-ant" } }]);
    await keys.set("gpt", "");
    assert.equal(secrets.has(`${LLM_KEY_PREFIX}gpt`), false);
    await keys.set("anthropic", "");
    assert.deepEqual(sent.slice(1), [{ keys: { anthropic: "sk-ant" } }, { keys: {} }]);
  });
});
