// Sends a request again when the sidecar went away before answering it (it crashed, or
// was restarted): waits until a sidecar runs again and sends the very same params, a
// bounded number of times. Only for requests the sidecar deduplicates: `tgbridge/send`
// carries a clientKey picked once per user action, so a send the old sidecar had already
// stored answers with its first send id instead of going out twice.
// No vscode imports, so node:test drives it against the real sidecar.
import { randomUUID } from "node:crypto";

export interface RetryOptions<C> {
  /** How many times to send again; after that the last error is thrown. */
  retries: number;
  /** Resolves with a running client other than `failed` once there is one, or with
   * undefined when none comes (the sidecar gave up, or it took too long). */
  nextClient(failed: C): Promise<C | undefined>;
  onRetry?(attempt: number, error: unknown): void;
}

export async function requestWithRetry<C, R>(client: C, send: (client: C) => Promise<R>, options: RetryOptions<C>): Promise<R> {
  let current = client;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(current);
    } catch (error) {
      if (!connectionLost(error) || attempt > options.retries) throw error;
      const next = await options.nextClient(current);
      if (next === undefined) throw error;
      options.onRetry?.(attempt, error);
      current = next;
    }
  }
}

/** The client that is ready now, and a way to wait for the next one after one failed. */
export class ReadyClient<C extends { isRunning(): boolean }> {
  private current: C | undefined;
  private readonly waiters = new Set<(client: C | undefined) => boolean>();

  /** `client` is ready: requests waiting for one go on with it. */
  ready(client: C): void {
    this.current = client;
    for (const waiter of [...this.waiters]) waiter(client);
  }

  /** The current client stopped; another may come. */
  lost(): void {
    this.current = undefined;
  }

  /** None is coming (the sidecar gave up, or the extension is going away). */
  giveUp(): void {
    this.current = undefined;
    for (const waiter of [...this.waiters]) waiter(undefined);
  }

  /** A ready client other than `failed`, waiting for one up to `timeoutMs`; undefined
   * when none comes. */
  next(failed: C, timeoutMs: number): Promise<C | undefined> {
    const usable = (client: C | undefined): client is C => client !== undefined && client !== failed && client.isRunning();
    if (usable(this.current)) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const waiter = (client: C | undefined): boolean => {
        if (client !== undefined && !usable(client)) return false;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(client);
        return true;
      };
      const timer = setTimeout(() => waiter(undefined), timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

// vscode-jsonrpc's codes for "no answer, the connection went away": PendingResponseRejected,
// ConnectionInactive, MessageWriteError (a ResponseError's code).
const LOST_CODES = new Set([-32097, -32096, -32099]);
// A ConnectionError's: Closed (1) and Disposed (2), with vscode-jsonrpc's own messages.
const CLOSED = /^Connection is (closed|disposed)\.$/;

/** True when the request got no answer because the connection to the sidecar ended:
 * vscode-jsonrpc rejects what was pending when the connection is disposed, and refuses
 * to send on a closed one; vscode-languageclient refuses while the client is not running.
 * Recognised by code, not class: the language client is bundled apart
 * (dist/languageclient.js) with its own copy of vscode-jsonrpc, whose errors are not
 * instances of any class this file could import. */
export function connectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "number") return false;
  if (LOST_CODES.has(code)) return true;
  return (code === 1 || code === 2) && !("data" in error) && CLOSED.test(error.message);
}

/** One key per user action, kept across retries of that action. */
export function newClientKey(): string {
  return randomUUID();
}
