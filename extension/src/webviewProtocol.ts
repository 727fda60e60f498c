// The messages between the Chat view's webview and the extension, shared by both bundles
// (type imports only on the webview side, so no vscode or node code reaches it).
// The webview is a page that renders text from strangers: the host treats whatever it
// posts as untrusted and accepts only the messages below, checked field by field by
// `parseFromWebview`; anything else is dropped (and logged by the caller).
import type {
  ChatMessage,
  ChatSummary,
  MessageStatusParams,
  OutboxItem,
  Person,
  Range,
} from "./protocol";
import type { ViewState } from "./statusText";

/** The only commands the webview may ask the host to run. */
export const WEBVIEW_COMMANDS = ["tgbridge.restartSidecar", "tgbridge.showLogs", "tgbridge.logIn"] as const;
export type WebviewCommand = (typeof WEBVIEW_COMMANDS)[number];

/** The active editor's selection, as the composer attaches it and `tgbridge/send` takes it. */
export interface CodeAttachment {
  path: string;
  language: string;
  range: Range | null;
  text: string;
}

/** Every message the webview may post; `parseFromWebview` accepts exactly these. */
export type FromWebview =
  /** The page's script runs (first load, or shown again): the host sends everything. */
  | { type: "ready"; chatId: number | null }
  | { type: "command"; command: WebviewCommand }
  | { type: "selectChat"; chatId: number }
  /** A page of history: the newest (`before` null) or the one older than `before`. */
  | { type: "loadHistory"; chatId: number; before: number | null }
  /** Load older pages until `messageId` is in view (a search result, a quoted message). */
  | { type: "reveal"; chatId: number; messageId: number }
  | { type: "search"; query: string; before: number | null }
  /** Exactly one of `text` and `code`; `clientKey` makes a repeated post one send. */
  | {
      type: "send";
      clientKey: string;
      chatId: number | null;
      text: string | null;
      code: CodeAttachment | null;
      replyTo: number | null;
    }
  | { type: "retry"; sendId: number }
  | { type: "cancel"; sendId: number }
  | { type: "openFile"; path: string }
  | { type: "requestSelection" }
  /** The first page of history is on screen, `ms` after the page started loading. */
  | { type: "painted"; count: number; ms: number }
  /** Unread messages per chat (chat id as a string key), for the view's badge. */
  | { type: "unread"; byChat: Record<string, number> };

export interface Pairing {
  code: string;
  link: string | null;
  expiresAt: number;
  botName: string | null;
  detail: string;
}

/** Everything the host posts to the webview (trusted: the host builds it). */
export type ToWebview =
  | { type: "state"; state: ViewState }
  /** `chatId`: the chat the host chose when the webview's is unknown (or none). */
  | { type: "chats"; chats: ChatSummary[]; people: Person[]; chatId: number | null }
  | {
      type: "history";
      chatId: number;
      /** Newest first, as `tgbridge/history` answers. */
      messages: ChatMessage[];
      nextCursor: number | null;
      /** latest: the chat's newest page, replacing what is shown; older: prepended;
       * refresh: merged into what is shown (the newest page again, after a send). */
      mode: "latest" | "older" | "refresh";
      /** A message to scroll to once the page is shown. */
      reveal: number | null;
    }
  | { type: "message"; message: ChatMessage }
  | { type: "status"; status: MessageStatusParams }
  /** The answer to a `send`: its id, or why it was not queued. `seq` orders it among
   * outbox snapshots (an outbox taken before the answer may not list it yet). */
  | { type: "sendResult"; clientKey: string; sendId: number | null; error: string | null; seq: number }
  | { type: "outbox"; items: OutboxItem[]; seq: number }
  | {
      type: "searchResults";
      query: string;
      messages: ChatMessage[];
      nextCursor: number | null;
      append: boolean;
      error: string | null;
    }
  | { type: "selection"; selection: CodeAttachment | null; error: string | null }
  | ({ type: "pairing" } & Pairing)
  | { type: "paired"; name: string; role: string }
  | { type: "unread"; byChat: Record<string, number> }
  | { type: "notice"; text: string; level: "info" | "error" }
  | { type: "selectChat"; chatId: number }
  /** Show one message (loading what is needed): the palette's Search History. */
  | { type: "reveal"; chatId: number; messageId: number }
  | { type: "focus"; target: "composer" | "search"; query: string | null };

const MAX_TEXT = 1_000_000;
const MAX_PATH = 4096;
const MAX_QUERY = 500;
const MAX_CHATS = 10_000;
const CLIENT_KEY = /^[A-Za-z0-9-]{8,64}$/;

type Fields = Record<string, unknown>;
type Check = (value: unknown) => boolean;

const isId: Check = (value) => Number.isSafeInteger(value);
const isCount: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const orNull = (check: Check): Check => (value) => value === null || check(value);
const isString = (max: number): Check => (value) => typeof value === "string" && value.length <= max;
const isCommand: Check = (value) => (WEBVIEW_COMMANDS as readonly unknown[]).includes(value);
const isClientKey: Check = (value) => typeof value === "string" && CLIENT_KEY.test(value);
const isMs: Check = (value) => typeof value === "number" && Number.isFinite(value) && value >= 0;

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** An object with exactly these keys, each passing its check. */
const shape =
  (fields: Record<string, Check>): Check =>
  (value) => {
    if (!isRecord(value)) return false;
    const keys = Object.keys(value);
    return keys.length === Object.keys(fields).length && keys.every((key) => Object.hasOwn(fields, key) && fields[key]!(value[key]));
  };

const isPosition = shape({ line: isCount, character: isCount });
const isRange = shape({ start: isPosition, end: isPosition });
const isCode = shape({
  path: isString(MAX_PATH),
  language: isString(64),
  range: orNull(isRange),
  text: isString(MAX_TEXT),
});
const isUnread: Check = (value) =>
  isRecord(value) &&
  Object.keys(value).length <= MAX_CHATS &&
  Object.entries(value).every(([key, count]) => /^-?\d{1,20}$/.test(key) && isCount(count));

/** The fields of each message type, `type` aside. */
const MESSAGES: Record<FromWebview["type"], Record<string, Check>> = {
  ready: { chatId: orNull(isId) },
  command: { command: isCommand },
  selectChat: { chatId: isId },
  loadHistory: { chatId: isId, before: orNull(isId) },
  reveal: { chatId: isId, messageId: isId },
  search: { query: isString(MAX_QUERY), before: orNull(isId) },
  send: {
    clientKey: isClientKey,
    chatId: orNull(isId),
    text: orNull(isString(MAX_TEXT)),
    code: orNull(isCode),
    replyTo: orNull(isId),
  },
  retry: { sendId: isId },
  cancel: { sendId: isId },
  openFile: { path: isString(MAX_PATH) },
  requestSelection: {},
  painted: { count: isCount, ms: isMs },
  unread: { byChat: isUnread },
};

/** `value` as a message the webview may post, or undefined: an unknown type, a missing,
 * extra or mistyped field, a command outside the allowlist, a send with both (or
 * neither) of text and code. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  if (!isRecord(value) || typeof value.type !== "string" || !Object.hasOwn(MESSAGES, value.type)) return undefined;
  const { type, ...rest } = value;
  if (!shape(MESSAGES[type as FromWebview["type"]])(rest)) return undefined;
  const message = value as FromWebview;
  if (message.type === "send" && (message.text === null) === (message.code === null)) return undefined;
  return message;
}

/** What a rejected message was, for the log: its type if it had one, never its content. */
export function describeRejected(value: unknown): string {
  const type = isRecord(value) ? value.type : undefined;
  return typeof type === "string" ? `a "${type.slice(0, 40)}" message that is not allowed or malformed` : "a malformed message";
}
