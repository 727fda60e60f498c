// The loopback Telegram server (`python -m tests.telegram_server`) as a child process, and
// its HTTP control, which acts as the phone user (tests/telegram_server/README.md).
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { stopProcess } from "./processes";

export interface LoopbackInfo {
  port: number;
  publicKeyFile: string;
  dcId: number;
  botToken: string;
  botUsername: string;
  userId: number;
  userPhone: string;
  control: string;
}

/** A message as the phone user sees it (the control's /messages and /wait). */
export interface PhoneMessage {
  id: number;
  text: string;
  reply_to: number | null;
  edited: boolean;
  /** Formatting: "pre" is a code block (offsets in UTF-16 code units). */
  entities: { type: string; offset: number; length: number; language?: string }[];
}

export interface LoopbackServer {
  info: LoopbackInfo;
  /** Everything the server wrote to stderr so far, for failure messages. */
  stderr(): string;
  /** The phone user sends `text` to the bot (as a reply to `replyTo`); the message's id. */
  send(text: string, replyTo?: number): Promise<number>;
  /** What the bot sent the phone user after message `after`. */
  messages(after?: number): Promise<PhoneMessage[]>;
  /** Long-polls until a message after `after` satisfies `match`; fails after `timeoutMs`. */
  waitForMessage(after: number, match: (message: PhoneMessage) => boolean, timeoutMs?: number): Promise<PhoneMessage>;
  /** The id of the newest message the phone user has got, 0 if none. */
  lastMessageId(): Promise<number>;
  /** The next sendMessage/sendMedia is answered FLOOD_WAIT_`seconds`. */
  floodWait(seconds: number): Promise<void>;
  /** The next `times` requests of `method` ("messages.SendMessage") get the rpc_error. */
  fail(method: string, error: string, code: number, times?: number): Promise<void>;
  /** Drops every MTProto connection; how many it dropped. With `holdReconnectSeconds`,
   * the next connection's first request is held that long (the client stays offline). */
  drop(holdReconnectSeconds?: number): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the server with the repository's venv and resolves once it prints `ready`. */
export async function startLoopbackServer(repoRoot: string, timeoutMs = 60_000): Promise<LoopbackServer> {
  const python = path.join(repoRoot, ".venv", "bin", "python");
  const child = spawn(python, ["-m", "tests.telegram_server"], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const info = await readInfo(child, () => stderr, timeoutMs);
    return {
      info,
      stderr: () => stderr,
      send: async (text, replyTo) =>
        ((await control(info, "POST", "/send", replyTo === undefined ? { text } : { text, reply_to: replyTo })) as { id: number }).id,
      messages: async (after = 0) => (await control(info, "GET", `/messages?after=${after}`)) as PhoneMessage[],
      waitForMessage: (after, match, timeout) => waitForMessage(info, after, match, timeout ?? timeoutMs),
      lastMessageId: async () => {
        const messages = (await control(info, "GET", "/messages?after=0")) as PhoneMessage[];
        return Math.max(0, ...messages.map((message) => message.id));
      },
      floodWait: async (seconds) => void (await control(info, "POST", "/flood_wait", { seconds })),
      fail: async (method, error, code, times = 1) => void (await control(info, "POST", "/fail", { method, error, code, times })),
      drop: async (hold) =>
        ((await control(info, "POST", "/drop", hold === undefined ? {} : { hold_reconnect: hold })) as { dropped: number }).dropped,
      stop: () => stopProcess(child),
    };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

/** Reads the `key: value` lines up to `ready`, event by event. */
function readInfo(child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<LoopbackInfo> {
  return new Promise((resolve, reject) => {
    const values = new Map<string, string>();
    const lines = createInterface({ input: child.stdout! });
    const fail = (why: string): void => {
      clearTimeout(timer);
      lines.close();
      reject(new Error(`the loopback Telegram server ${why}:\n${stderr()}`));
    };
    const timer = setTimeout(() => fail(`did not print ready within ${timeoutMs} ms`), timeoutMs);
    child.once("error", (error) => fail(`did not start: ${error.message}`));
    child.once("exit", (code, signal) => fail(`exited with ${code ?? signal}`));
    lines.on("line", (line) => {
      if (line.trim() !== "ready") {
        const match = /^(\w+): (.*)$/.exec(line);
        if (match) values.set(match[1]!, match[2]!);
        return;
      }
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      const get = (key: string): string => {
        const value = values.get(key);
        if (value === undefined) throw new Error(`the loopback server did not print ${key}`);
        return value;
      };
      try {
        resolve({
          port: Number(get("port")),
          publicKeyFile: get("public_key_file"),
          dcId: Number(get("dc_id")),
          botToken: get("bot_token"),
          botUsername: get("bot_username"),
          userId: Number(get("user_id")),
          userPhone: get("user_phone"),
          control: get("control"),
        });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

async function control(info: LoopbackInfo, method: "GET" | "POST", route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(route.replace(/^\//, ""), info.control.replace(/\/?$/, "/")), {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}

async function waitForMessage(
  info: LoopbackInfo,
  after: number,
  match: (message: PhoneMessage) => boolean,
  timeoutMs: number,
): Promise<PhoneMessage> {
  const deadline = Date.now() + timeoutMs;
  const seen: PhoneMessage[] = [];
  let cursor = after;
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) break;
    const messages = (await control(info, "GET", `/wait?after=${cursor}&timeout=${Math.min(left, 25)}`)) as PhoneMessage[];
    for (const message of messages) {
      if (match(message)) return message;
      seen.push(message);
      cursor = Math.max(cursor, message.id);
    }
  }
  throw new Error(
    `the phone user got no matching message within ${timeoutMs} ms; got ${JSON.stringify(seen.map((m) => m.text))}`,
  );
}
