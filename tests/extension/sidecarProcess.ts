// The real sidecar (`python -m tgbridge serve --stdio`) as a child process, spoken to over
// vscode-jsonrpc, the library vscode-languageclient is built on.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { Notifications, Requests } from "../../extension/src/protocol";
import { repoRoot, venvPython } from "./paths";

export const workspace = path.join(repoRoot, "tests", "sidecar", "workspace");

export class Sidecar {
  readonly process: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  readonly logs: string[] = [];
  readonly notifications: Array<{ method: string; params: unknown }> = [];
  readonly exited: Promise<unknown[]>;
  stderr = "";
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly settings: Record<string, unknown>,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.process = spawn(venvPython, ["-m", "tgbridge", "serve", "--stdio"], { cwd: repoRoot, env: { ...process.env, ...env } });
    this.exited = once(this.process, "exit");
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
    this.connection.onNotification((method, params) => {
      this.notifications.push({ method, params });
      for (const listener of [...this.listeners]) listener();
    });
    // As vscode-languageclient does: a closed connection is disposed, which rejects the
    // requests still waiting for an answer.
    this.connection.onClose(() => {
      this.closed = true;
      this.connection.dispose();
    });
    this.connection.listen();
  }

  isRunning(): boolean {
    return !this.closed && this.process.exitCode === null && this.process.signalCode === null;
  }

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

  request<M extends keyof Requests>(method: M, params: Requests[M]["params"]): Promise<Requests[M]["result"]> {
    return this.connection.sendRequest(method, params);
  }

  status(): Promise<Requests["tgbridge/status"]["result"]> {
    return this.request("tgbridge/status", {});
  }

  of<M extends keyof Notifications>(method: M): Array<Notifications[M]> {
    return this.notifications.filter((n) => n.method === method).map((n) => n.params as Notifications[M]);
  }

  /** The first notification `method` whose params satisfy `match`, sent so far or later. */
  waitForNotification<M extends keyof Notifications>(
    method: M,
    match: (params: Notifications[M]) => boolean,
    timeoutMs = 30_000,
  ): Promise<Notifications[M]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.of(method).find(match);
        if (found === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`no ${method} as expected within ${timeoutMs} ms; got ${JSON.stringify(this.of(method))}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<number | null> {
    await this.connection.sendRequest("shutdown");
    await this.connection.sendNotification("exit");
    const [code] = (await this.exited) as [number | null];
    this.connection.dispose();
    return code;
  }

  /** SIGKILL, as a crash: no shutdown, no goodbye. */
  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.exited;
  }
}
