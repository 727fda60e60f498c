// A send retried from the editor after the sidecar died between storing it and answering
// it is stored once and reaches the phone once: the extension's own retry code
// (extension/src/retry.ts) resends the same params, clientKey included, to a new sidecar
// on the same state dir, as the extension does after a crash. The real sidecar, logged in
// to the loopback Telegram server; the sidecar is held after storing the send by
// TGBRIDGE_TEST_HOLD_SEND_ANSWER and killed there.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ConnectionError, ConnectionErrors, ErrorCodes, ResponseError } from "vscode-jsonrpc/node";
import type { SendParams } from "../../extension/src/protocol";
import { connectionLost, newClientKey, ReadyClient, requestWithRetry } from "../../extension/src/retry";
import { startLoopbackServer, type LoopbackServer, type PhoneMessage } from "../e2e/telegramServer";
import { repoRoot } from "./paths";
import { Sidecar } from "./sidecarProcess";

const API = { apiId: 12345, apiHash: "0123456789abcdef0123456789abcdef" };

/** Polls for the file the held sidecar writes (no event to wait on across processes). */
async function fileText(file: string, sidecar: Sidecar, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline || !sidecar.isRunning()) {
      throw new Error(`the sidecar did not hold its answer in ${file}:\n${sidecar.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return readFileSync(file, "utf8");
}

describe("a send the sidecar stored but died before answering", () => {
  let telegram: LoopbackServer;
  let folder: string;
  const sidecars: Sidecar[] = [];

  before(async () => {
    telegram = await startLoopbackServer(repoRoot);
    folder = mkdtempSync(path.join(tmpdir(), "tgbridge-client-key-"));
  });

  after(async () => {
    for (const sidecar of sidecars) if (sidecar.isRunning()) await sidecar.stop();
    await telegram?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it("is sent again with the same clientKey, stored once and delivered once", { timeout: 120_000 }, async () => {
    const { info } = telegram;
    const settings = {
      logLevel: "debug",
      hubLingerMinutes: 0, // the hub ends with the last window, as the test does
      stateDir: path.join(folder, "state"),
      dataCenter: { id: info.dcId, host: "127.0.0.1", port: info.port, publicKeyFile: info.publicKeyFile },
    };
    const held = path.join(folder, "held-send-id");
    const first = new Sidecar(settings, { TGBRIDGE_TEST_HOLD_SEND_ANSWER: held });
    sidecars.push(first);
    await first.initialize();
    const { session } = await first.request("tgbridge/login", { mode: "bot", ...API, botToken: info.botToken });

    // What the extension's Sidecar does around a crash: the dead client is lost, a new
    // sidecar starts on the same state dir and connects with the kept session, and only
    // then is it ready for the requests waiting to be sent again.
    const ready = new ReadyClient<Sidecar>();
    ready.ready(first);
    void first.exited.then(async () => {
      ready.lost();
      const next = new Sidecar(settings);
      sidecars.push(next);
      await next.initialize();
      await next.request("tgbridge/connect", { ...API, session });
      await next.waitForNotification("tgbridge/connectionChanged", ({ connection }) => connection.state === "online");
      ready.ready(next);
    });

    const chat = String(info.userId);
    const text = `exactly once ${randomUUID()}`;
    const params: SendParams = { chat, text, clientKey: newClientKey() };
    const retried: unknown[] = [];
    const sending = requestWithRetry(first, (sidecar) => sidecar.request("tgbridge/send", params), {
      retries: 2,
      nextClient: (failed) => ready.next(failed, 60_000),
      onRetry: (_attempt, error) => retried.push(error),
    });

    const storedId = Number(await fileText(held, first));
    await first.kill();
    const result = await sending;

    assert.equal(retried.length, 1, "sent again exactly once");
    assert.ok(retried[0] instanceof ResponseError && retried[0].code === ErrorCodes.PendingResponseRejected, String(retried[0]));
    assert.equal(result.sendId, storedId, "the retry answers the send the dead sidecar stored, not a new one");

    // One chat's sends go out in order, so once a later marker arrives, every copy of
    // the retried send that was ever queued has arrived before it.
    const second = sidecars[1]!;
    const marker = `marker ${randomUUID()}`;
    await second.request("tgbridge/send", { chat, text: marker, clientKey: newClientKey() });
    const seen: PhoneMessage[] = [];
    await telegram.waitForMessage(0, (message) => (seen.push(message), message.text === marker), 60_000);
    assert.deepEqual(
      seen.filter((message) => message.text === text).length,
      1,
      `the phone got the send once; it got ${JSON.stringify(seen.map((m) => m.text))}`,
    );
    assert.doesNotMatch(first.stderr + second.stderr, /Traceback/);
  });
});

describe("which failures are sent again", () => {
  it("only those where the connection to the sidecar ended", () => {
    assert.ok(connectionLost(new ResponseError(ErrorCodes.PendingResponseRejected, "Pending response rejected")));
    assert.ok(connectionLost(new ResponseError(ErrorCodes.ConnectionInactive, "Client is not running")));
    assert.equal(connectionLost(new ResponseError(-32001, "Not connected to Telegram", { code: "not_connected" })), false);
    assert.equal(connectionLost(new Error("boom")), false);
  });

  it("also when the error comes from the language client's own copy of vscode-jsonrpc", () => {
    assert.ok(connectionLost(new ConnectionError(ConnectionErrors.Closed, "Connection is closed.")));
    assert.ok(connectionLost(new ConnectionError(ConnectionErrors.Disposed, "Connection is disposed.")));
    // dist/languageclient.js bundles vscode-jsonrpc again: its classes are other classes.
    class OtherResponseError extends Error {
      constructor(
        readonly code: number,
        message: string,
        readonly data?: unknown,
      ) {
        super(message);
      }
    }
    class OtherConnectionError extends Error {
      constructor(
        readonly code: number,
        message: string,
      ) {
        super(message);
      }
    }
    assert.ok(connectionLost(new OtherResponseError(ErrorCodes.PendingResponseRejected, "Pending response rejected")));
    assert.ok(connectionLost(new OtherConnectionError(ConnectionErrors.Closed, "Connection is closed.")));
    assert.equal(connectionLost(new OtherResponseError(1, "Connection is closed.", { code: "x" })), false);
    assert.equal(connectionLost(new OtherResponseError(-32001, "Not connected to Telegram")), false);
  });

  it("gives up after the bounded number of retries, or when no sidecar comes", async () => {
    const lost = new ResponseError(ErrorCodes.PendingResponseRejected, "gone");
    const clients = [1, 2, 3, 4, 5].map((n) => ({ n, isRunning: () => true }));
    let sent = 0;
    await assert.rejects(
      requestWithRetry(clients[0]!, async () => {
        sent++;
        throw lost;
      }, { retries: 2, nextClient: async (failed) => clients[failed.n] }),
      lost,
    );
    assert.equal(sent, 3);

    await assert.rejects(requestWithRetry(clients[0]!, () => Promise.reject(lost), { retries: 5, nextClient: async () => undefined }), lost);
  });

  it("waits for a ready sidecar other than the one that failed, until none is coming", async () => {
    const [failed, restarted] = [1, 2].map((n) => ({ n, isRunning: () => true }));
    const ready = new ReadyClient<{ n: number; isRunning(): boolean }>();
    ready.ready(failed!);
    const next = ready.next(failed!, 60_000);
    ready.lost();
    ready.ready(restarted!);
    assert.equal(await next, restarted);
    assert.equal(await ready.next(failed!, 60_000), restarted);

    const waiting = ready.next(restarted!, 60_000);
    ready.giveUp();
    assert.equal(await waiting, undefined);
    assert.equal(await ready.next(restarted!, 10), undefined);
  });
});
