// The extension's logic that needs no editor: restart back-off, interpreter checks,
// where the sidecar's libraries come from, what the status bar says.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { probePython, pythonProblem } from "../../extension/src/pythonVersion";
import { RestartPolicy } from "../../extension/src/restartPolicy";
import { sidecarEnv, sidecarPaths } from "../../extension/src/sidecarEnv";
import { statusBarText } from "../../extension/src/statusText";
import { debugEvent, isTestTask, taskEvent } from "../../extension/src/editorEventParams";
import type { StatusResult } from "../../extension/src/protocol";
import { venvPython } from "./paths";

function fakePython(version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tgbridge-python-"));
  const file = path.join(dir, "python");
  writeFileSync(file, `#!/bin/sh\necho ${file}\necho ${version}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("restart policy", () => {
  it("backs off exponentially and gives up after five crashes in the window", () => {
    const policy = new RestartPolicy({ maxCrashes: 5, windowMs: 60000, baseDelayMs: 500, maxDelayMs: 4000 });
    const delays = [0, 1, 2, 3, 4].map((i) => policy.onCrash(1000 + i));
    assert.deepEqual(
      delays.map((d) => (d.restart ? d.delayMs : -1)),
      [500, 1000, 2000, 4000, 4000],
    );
    assert.deepEqual(policy.onCrash(1010), { restart: false });
  });

  it("forgets crashes older than the window", () => {
    const policy = new RestartPolicy({ maxCrashes: 2, windowMs: 1000, baseDelayMs: 100, maxDelayMs: 1000 });
    policy.onCrash(0);
    policy.onCrash(10);
    assert.deepEqual(policy.onCrash(5000), { restart: true, delayMs: 100, attempt: 1 });
  });
});

describe("python interpreter check", () => {
  it("accepts the development interpreter", async () => {
    const probe = await probePython(venvPython);
    assert.ok(probe.ok);
    assert.equal(pythonProblem("venv", probe), undefined);
  });

  it("says clearly when the interpreter is too old", async () => {
    const probe = await probePython(fakePython("3.10.12"));
    assert.match(pythonProblem("python3 (from PATH)", probe) ?? "", /needs Python 3\.11 or newer, but python3 \(from PATH\) is Python 3\.10\.12/);
  });

  it("says clearly when the interpreter cannot run", async () => {
    const probe = await probePython("/nonexistent/python3");
    assert.equal(probe.ok, false);
    assert.match(pythonProblem("/nonexistent/python3 (from the tgbridge.python setting)", probe) ?? "", /could not be run/);
  });
});

describe("sidecar libraries", () => {
  it("uses the bundle for the interpreter's version and refuses a missing one", () => {
    const ext = mkdtempSync(path.join(tmpdir(), "tgbridge-ext-"));
    mkdirSync(path.join(ext, "bundled", "libs", "py3.11"), { recursive: true });
    mkdirSync(path.join(ext, "bundled", "libs", "py3.12"), { recursive: true });
    const found = sidecarPaths(ext, "3.12.1");
    assert.deepEqual(found, {
      ok: true,
      pythonPath: [path.join(ext, "server"), path.join(ext, "bundled", "libs", "py3.12")],
      bundled: true,
    });
    // Pure-Python libraries are kept once, after the version's own.
    mkdirSync(path.join(ext, "bundled", "libs", "common"));
    assert.deepEqual(sidecarPaths(ext, "3.12.1"), {
      ok: true,
      pythonPath: [path.join(ext, "server"), path.join(ext, "bundled", "libs", "py3.12"), path.join(ext, "bundled", "libs", "common")],
      bundled: true,
    });
    const missing = sidecarPaths(ext, "3.14.0");
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? "" : missing.message, /Python 3\.11, 3\.12, not 3\.14/);
  });

  it("puts its paths before any PYTHONPATH the user has", () => {
    const env = sidecarEnv(["/ext/server", "/ext/libs"], { PYTHONPATH: "/mine" });
    assert.equal(env.PYTHONPATH, ["/ext/server", "/ext/libs", "/mine"].join(path.delimiter));
  });
});

describe("status bar text", () => {
  const status = (connection: StatusResult["connection"], settingsError: string | null = null): StatusResult => ({
    version: "0.1.0",
    workspaceFolders: [],
    connection,
    python: { executable: "/usr/bin/python3", version: "3.11.7" },
    hubPid: null,
    settingsError,
  });

  it("says the connection state, with the wait when waiting", () => {
    assert.equal(
      statusBarText({ kind: "running", status: status({ state: "not configured", detail: "", waitSeconds: null }) }),
      "$(circle-slash) tgbridge: not logged in",
    );
    assert.equal(
      statusBarText({ kind: "running", status: status({ state: "waiting", detail: "", waitSeconds: 12 }) }),
      "$(watch) tgbridge: waiting 12 s",
    );
  });

  it("says when the sidecar is stopped or misconfigured", () => {
    assert.equal(statusBarText({ kind: "stopped", reason: "crashed" }), "$(error) tgbridge: stopped");
    assert.equal(
      statusBarText({ kind: "running", status: status({ state: "not configured", detail: "", waitSeconds: null }, "bad") }),
      "$(warning) tgbridge: settings error",
    );
  });
});

describe("editor events for the phone", () => {
  it("reports a task's exit code and duration, and knows a test task", () => {
    const event = taskEvent({
      name: "npm: test",
      exitCode: 1,
      startedAt: 1_000,
      endedAt: 13_500,
      test: isTestTask(undefined, "npm: test"),
      workspace: "shop",
    });
    assert.deepEqual(event, { kind: "task", name: "npm: test", exitCode: 1, durationSeconds: 12.5, test: true, workspace: "shop" });
    assert.equal(isTestTask("build", "tsc -w"), false);
    assert.equal(isTestTask("test", "verify"), true);
  });

  it("says nothing about a duration it did not see start", () => {
    assert.equal(debugEvent("Launch", undefined, 5_000, "").durationSeconds, 0);
    assert.equal(taskEvent({ name: "x", exitCode: undefined, startedAt: undefined, endedAt: 1, test: false, workspace: "" }).exitCode, null);
  });
});
