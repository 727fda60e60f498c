// The extension tier: drives the real sidecar over stdio with vscode-jsonrpc, the same
// library vscode-languageclient is built on, using the generated protocol types.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { ErrorData, Requests } from "../../extension/src/protocol";
import { repoRoot, venvPython } from "./paths";

const workspace = path.join(repoRoot, "tests", "sidecar", "workspace");

class Sidecar {
  readonly process: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  readonly logs: string[] = [];
  stderr = "";

  constructor(settings: Record<string, unknown>) {
    this.process = spawn(venvPython, ["-m", "tgbridge", "serve", "--stdio"], { cwd: repoRoot });
    this.process.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.connection = createMessageConnection(
      new StreamMessageReader(this.process.stdout),
      new StreamMessageWriter(this.process.stdin),
    );
    this.connection.onNotification("window/logMessage", (params: { message: string }) => {
      this.logs.push(params.message);
    });
    this.connection.listen();
    this.settings = settings;
  }

  private readonly settings: Record<string, unknown>;

  async initialize(): Promise<{ capabilities: Record<string, unknown>; serverInfo: { name: string } }> {
    const result = await this.connection.sendRequest<{ capabilities: Record<string, unknown>; serverInfo: { name: string } }>(
      "initialize",
      {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions: { settings: this.settings },
        workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: "workspace" }],
      },
    );
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  status(): Promise<Requests["tgbridge/status"]["result"]> {
    const params: Requests["tgbridge/status"]["params"] = {};
    return this.connection.sendRequest("tgbridge/status", params);
  }

  async stop(): Promise<number | null> {
    await this.connection.sendRequest("shutdown");
    const exited = once(this.process, "exit");
    await this.connection.sendNotification("exit");
    const [code] = (await exited) as [number | null];
    this.connection.dispose();
    return code;
  }
}

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
    assert.equal(actions.length, 1);
    const [action] = actions;
    assert.equal(action!.title, "Send selection to Telegram");
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
