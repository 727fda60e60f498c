// The extension tier: drives the real sidecar over stdio with vscode-jsonrpc, the same
// library vscode-languageclient is built on, using the generated protocol types.
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { ResponseError } from "vscode-jsonrpc/node";
import type { ErrorData } from "../../extension/src/protocol";
import { Sidecar, workspace } from "./sidecarProcess";

describe("the sidecar over vscode-jsonrpc", () => {
  let sidecar: Sidecar;

  before(async () => {
    sidecar = new Sidecar({ logLevel: "info" });
    const result = await sidecar.initialize();
    assert.equal(result.serverInfo.name, "tgbridge");
  });

  after(async () => {
    assert.equal(await sidecar.stop(), 0);
  });

  it("answers tgbridge/status in the generated shape", async () => {
    const status = await sidecar.status();
    assert.equal(status.connection.state, "not configured");
    assert.deepEqual(status.workspaceFolders, [{ name: "workspace", uri: pathToFileURL(workspace).href }]);
    assert.match(status.version, /^\d+\.\d+\.\d+/);
    assert.equal(status.settingsError, null);
    assert.ok(sidecar.logs.some((line) => line.includes("sidecar ready")));
  });

  it("answers a request sent without params", async () => {
    const status = await sidecar.connection.sendRequest<{ version: string }>("tgbridge/status");
    assert.match(status.version, /^\d+\.\d+\.\d+/);
  });

  it("offers a code action whose command VS Code can run", async () => {
    const uri = pathToFileURL(path.join(workspace, "hello.py")).href;
    const range = { start: { line: 0, character: 4 }, end: { line: 0, character: 9 } };
    const actions = await sidecar.connection.sendRequest<Array<{ title: string; command: { command: string; arguments: unknown[] } }>>(
      "textDocument/codeAction",
      { textDocument: { uri }, range, context: { diagnostics: [] } },
    );
    const action = actions.find((candidate) => candidate.title === "Send selection to Telegram");
    assert.ok(action, `no "Send selection to Telegram" among ${actions.map((a) => a.title).join(", ")}`);
    assert.equal(action!.command.command, "tgbridge.sendSelection");

    await assert.rejects(
      sidecar.connection.sendRequest("workspace/executeCommand", action!.command),
      (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.match(error.message, /Not connected to Telegram/);
        assert.equal((error.data as ErrorData).code, "not_connected");
        return true;
      },
    );
    // An expected refusal is an answer, not a crash: no traceback in the logs.
    const status = await sidecar.status(); // everything before it has been logged by now
    assert.equal(status.connection.state, "not configured");
    assert.doesNotMatch(sidecar.stderr, /Traceback/);
  });
});

describe("the sidecar with a bad setting", () => {
  it("keeps serving and names the setting", async () => {
    const sidecar = new Sidecar({ logLevel: 42 });
    await sidecar.initialize();
    const status = await sidecar.status();
    assert.match(status.settingsError ?? "", /tgbridge\.logLevel/);
    assert.equal(await sidecar.stop(), 0);
  });
});
