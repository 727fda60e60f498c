// The Chat view's state and how each event changes it: pure data, no DOM, so node:test
// drives it. `reduce` never mutates the model it is given; a field that did not change
// keeps its identity, which is what the view compares to skip work.
import type { ChatMessage, ChatSummary, MessageStatusParams, OutboxItem, Person } from "../src/protocol";
import type { ViewState } from "../src/statusText";
import type { CodeAttachment, Pairing } from "../src/webviewProtocol";
import { firstLine } from "./markup";

/** A send from this view, shown at once and until it is delivered or dropped. */
export interface PendingSend {
  /** Picked once per send: posting it again (after a reload, or Retry before the host
   * answered) never sends it twice. */
  clientKey: string;
  chatId: number | null;
  text: string | null;
  code: CodeAttachment | null;
  replyTo: number | null;
  createdAt: number;
  /** The outbox's id once the host queued it; null while asked, or when the request failed. */
  sendId: number | null;
  /** The host's order number of the answer, against which outbox snapshots are compared. */
  acceptedSeq: number;
  state: "sending" | "queued" | "failed";
  error: string | null;
  /** Why a queued send is not moving ("waiting for @ann to log in"). */
  detail: string | null;
}

/** An outbox item, with when its wait ends (ms since the epoch) counted from its arrival. */
export interface OutboxEntry extends OutboxItem {
  until: number | null;
}

export interface SearchState {
  query: string;
  open: boolean;
  loading: boolean;
  results: readonly ChatMessage[];
  nextCursor: number | null;
  error: string | null;
}

export interface Notice {
  id: number;
  text: string;
  level: "info" | "error";
}

export interface Model {
  sidecar: ViewState;
  chats: readonly ChatSummary[];
  people: ReadonlyMap<number, string>;
  chatId: number | null;
  /** The chosen chat's loaded messages, oldest first (message ids grow within a chat). */
  messages: readonly ChatMessage[];
  nextCursor: number | null;
  history: "none" | "loading" | "loaded";
  olderLoading: boolean;
  /** A message to bring into view after the next render. */
  reveal: number | null;
  pending: readonly PendingSend[];
  /** Statuses of sends this view has not heard the id of yet (the notification can
   * overtake the answer to `send`), by send id. */
  early: ReadonlyMap<number, MessageStatusParams>;
  outbox: readonly OutboxEntry[];
  outboxSeq: number;
  /** Unread messages per chat (the chat id as a string key). */
  unread: Readonly<Record<string, number>>;
  /** The chosen chat's unread messages, oldest first. */
  unreadIds: readonly number[];
  /** Messages of other chats already counted (chat:id), so an edit is not counted again. */
  counted: ReadonlySet<string>;
  draft: string;
  replyTo: number | null;
  attachment: CodeAttachment | null;
  search: SearchState;
  pairing: Pairing | null;
  /** The pairing code the user closed: the host offers it again each time the view is
   * shown (until it expires), and it stays closed. A new Pair Phone has a new code. */
  closedPairing: string | null;
  /** Bumped when the chosen chat's newest page should be fetched again. */
  refresh: number;
  notice: Notice | null;
}

/** What the webview keeps with vscode.setState, so hiding the view loses nothing. */
export interface Saved {
  v: 1;
  chatId: number | null;
  draft: string;
  replyTo: number | null;
  attachment: CodeAttachment | null;
  pending: PendingSend[];
  query: string;
  /** The message at the top of the list and how far it was scrolled past; null: the bottom. */
  anchor: { messageId: number; offset: number } | null;
  /** Absent in states saved before it was kept. */
  closedPairing?: string | null;
}

export type Action =
  | { kind: "state"; state: ViewState }
  | { kind: "chats"; chats: ChatSummary[]; people: Person[]; chatId: number | null }
  | { kind: "selectChat"; chatId: number }
  | {
      kind: "history";
      chatId: number;
      messages: ChatMessage[];
      nextCursor: number | null;
      mode: "latest" | "older" | "refresh";
      reveal: number | null;
    }
  | { kind: "olderLoading" }
  | { kind: "revealed" }
  /** `seen`: the view is visible and at the bottom, so a new message is read at once. */
  | { kind: "message"; message: ChatMessage; seen: boolean }
  | { kind: "status"; status: MessageStatusParams }
  | { kind: "queueSends"; sends: PendingSend[] }
  | { kind: "sendResult"; clientKey: string; sendId: number | null; error: string | null; seq: number }
  /** A send the host never queued, posted again (same clientKey). */
  | { kind: "resend"; clientKey: string }
  /** A send the host never queued, dropped. */
  | { kind: "discard"; clientKey: string }
  | { kind: "outbox"; items: OutboxItem[]; seq: number; now: number }
  | { kind: "unread"; byChat: Record<string, number> }
  | { kind: "seen" }
  | { kind: "draft"; text: string }
  | { kind: "replyTo"; messageId: number | null }
  | { kind: "attach"; attachment: CodeAttachment | null }
  | { kind: "search"; query: string; more: boolean }
  | { kind: "searchResults"; query: string; messages: ChatMessage[]; nextCursor: number | null; append: boolean; error: string | null }
  | { kind: "closeSearch" }
  | { kind: "pairing"; pairing: Pairing | null }
  | { kind: "notice"; text: string; level: "info" | "error" }
  | { kind: "clearNotice"; id: number };

/** Statuses kept for sends not matched yet, at most. */
const EARLY_MAX = 100;
/** Other chats' message keys remembered for counting, at most. */
const COUNTED_MAX = 2000;

export function initialModel(saved?: Saved): Model {
  return {
    sidecar: { kind: "starting" },
    chats: [],
    people: new Map(),
    chatId: saved?.chatId ?? null,
    messages: [],
    nextCursor: null,
    history: "none",
    olderLoading: false,
    reveal: null,
    pending: saved?.pending ?? [],
    early: new Map(),
    outbox: [],
    outboxSeq: 0,
    unread: {},
    unreadIds: [],
    counted: new Set(),
    draft: saved?.draft ?? "",
    replyTo: saved?.replyTo ?? null,
    attachment: saved?.attachment ?? null,
    search: { query: saved?.query ?? "", open: false, loading: false, results: [], nextCursor: null, error: null },
    pairing: null,
    closedPairing: saved?.closedPairing ?? null,
    refresh: 0,
    notice: null,
  };
}

export function reduce(model: Model, action: Action): Model {
  switch (action.kind) {
    case "state":
      return { ...model, sidecar: action.state };
    case "chats": {
      const next: Model = { ...model, chats: action.chats, people: peopleMap(action.people, model.people) };
      // The host's choice, or (none chosen yet) the chat that spoke last.
      const chatId = action.chatId ?? (model.chatId === null ? (action.chats[0]?.chatId ?? null) : null);
      return chatId !== null && chatId !== model.chatId ? selectChat(next, chatId) : next;
    }
    case "selectChat":
      return action.chatId === model.chatId && model.history !== "none" ? model : selectChat(model, action.chatId);
    case "history":
      return history(model, action);
    case "olderLoading":
      return { ...model, olderLoading: true };
    case "revealed":
      return model.reveal === null ? model : { ...model, reveal: null };
    case "message":
      return message(model, action.message, action.seen);
    case "status":
      return status(model, action.status);
    case "queueSends":
      return { ...model, pending: [...model.pending, ...action.sends], draft: "", replyTo: null, attachment: null };
    case "sendResult":
      return sendResult(model, action);
    case "resend":
      return updatePending(model, action.clientKey, (send) => ({ ...send, state: "sending", error: null }));
    case "discard":
      return { ...model, pending: model.pending.filter((send) => send.clientKey !== action.clientKey) };
    case "outbox":
      return outbox(model, action.items, action.seq, action.now);
    case "unread": {
      const unread = cleanCounts(action.byChat);
      return { ...model, unread, unreadIds: model.chatId === null ? [] : lastIncoming(model.messages, unread[String(model.chatId)] ?? 0) };
    }
    case "seen":
      return seen(model);
    case "draft":
      return model.draft === action.text ? model : { ...model, draft: action.text };
    case "replyTo":
      return { ...model, replyTo: action.messageId };
    case "attach":
      return { ...model, attachment: action.attachment };
    case "search": {
      const query = action.query.trim();
      if (!query) return { ...model, search: { ...model.search, query: action.query, open: false, results: [], loading: false } };
      return { ...model, search: { ...model.search, query: action.query, open: true, loading: true, error: null, ...(action.more ? {} : { results: [], nextCursor: null }) } };
    }
    case "searchResults": {
      if (action.query.trim() !== model.search.query.trim()) return model; // an answer to an older query
      const results = action.append ? mergeResults(model.search.results, action.messages) : action.messages;
      return { ...model, search: { ...model.search, open: true, loading: false, results, nextCursor: action.nextCursor, error: action.error } };
    }
    case "closeSearch":
      return { ...model, search: { ...model.search, open: false, loading: false } };
    case "pairing":
      if (action.pairing === null) return { ...model, pairing: null, closedPairing: model.pairing?.code ?? model.closedPairing };
      return action.pairing.code === model.closedPairing ? model : { ...model, pairing: action.pairing };
    case "notice":
      return { ...model, notice: { id: (model.notice?.id ?? 0) + 1, text: action.text, level: action.level } };
    case "clearNotice":
      return model.notice?.id === action.id ? { ...model, notice: null } : model;
  }
}

function selectChat(model: Model, chatId: number): Model {
  return {
    ...model,
    chatId,
    messages: [],
    nextCursor: null,
    history: "loading",
    olderLoading: false,
    reveal: null,
    unreadIds: [],
    replyTo: model.chatId === chatId ? model.replyTo : null,
  };
}

function history(model: Model, page: Extract<Action, { kind: "history" }>): Model {
  if (page.chatId !== model.chatId) return model; // the answer for a chat no longer shown
  const reveal = page.reveal ?? model.reveal;
  if (page.mode === "older") {
    return {
      ...model,
      messages: merge(model.messages, page.messages),
      nextCursor: page.nextCursor,
      olderLoading: false,
      history: "loaded",
      reveal,
    };
  }
  const newestShown = model.messages.at(-1)?.messageId;
  const oldestInPage = Math.min(...page.messages.map((m) => m.messageId));
  // A refresh that does not reach back to what is shown would leave a hole: start over
  // from the newest page instead.
  const gap = page.mode === "refresh" && page.nextCursor !== null && newestShown !== undefined && oldestInPage > newestShown;
  if (page.mode === "latest" || gap || model.history !== "loaded") {
    const messages = merge([], page.messages);
    const unread = model.unread[String(page.chatId)] ?? 0;
    return {
      ...model,
      messages,
      nextCursor: page.nextCursor,
      history: "loaded",
      olderLoading: false,
      reveal,
      unreadIds: lastIncoming(messages, unread),
    };
  }
  return { ...model, messages: merge(model.messages, page.messages), reveal };
}

function message(model: Model, incoming: ChatMessage, seen: boolean): Model {
  let next: Model = { ...model, chats: withLast(model.chats, incoming) };
  const key = String(incoming.chatId);
  if (next.chatId === null) next = selectChat(next, incoming.chatId);
  if (incoming.chatId === next.chatId) {
    const known = next.messages.some((m) => m.messageId === incoming.messageId);
    next = { ...next, messages: merge(next.messages, [incoming]) };
    if (!known && !incoming.outgoing && !seen) {
      next = {
        ...next,
        unread: { ...next.unread, [key]: (next.unread[key] ?? 0) + 1 },
        unreadIds: [...next.unreadIds, incoming.messageId],
      };
    }
    return next;
  }
  const id = `${key}:${incoming.messageId}`;
  if (incoming.outgoing || next.counted.has(id)) return next;
  const counted = new Set(next.counted).add(id);
  if (counted.size > COUNTED_MAX) counted.delete(counted.values().next().value!);
  return { ...next, counted, unread: { ...next.unread, [key]: (next.unread[key] ?? 0) + 1 } };
}

function status(model: Model, update: MessageStatusParams): Model {
  const outbox = outboxAfter(model.outbox, update);
  const send = model.pending.find((candidate) => candidate.sendId === update.sendId);
  if (!send) {
    const early = new Map(model.early).set(update.sendId, update);
    if (early.size > EARLY_MAX) early.delete(early.keys().next().value!);
    // A send from elsewhere (a code action, another window) reached this chat: show it.
    const refresh = update.state === "sent" && update.chatId === model.chatId ? model.refresh + 1 : model.refresh;
    return { ...model, outbox, early, refresh };
  }
  return applyStatus({ ...model, outbox }, send, update);
}

/** The error of a send cancelled with tgbridge/cancel (it is "failed" in the store). */
export const CANCELLED = "cancelled";

/** The outbox as a status leaves it until the next snapshot: a failed send shown failed,
 * a delivered or cancelled one gone. */
function outboxAfter(outbox: readonly OutboxEntry[], update: MessageStatusParams): readonly OutboxEntry[] {
  if (update.state === "queued" || !outbox.some((entry) => entry.sendId === update.sendId)) return outbox;
  if (update.state === "failed" && update.error !== CANCELLED) {
    return outbox.map((entry) => (entry.sendId === update.sendId ? { ...entry, state: "failed", error: update.error, until: null } : entry));
  }
  return outbox.filter((entry) => entry.sendId !== update.sendId);
}

function applyStatus(model: Model, send: PendingSend, update: MessageStatusParams): Model {
  if (update.state === "queued") {
    return updatePending(model, send.clientKey, (old) => ({ ...old, chatId: old.chatId ?? (update.chatId || null), state: "queued", error: null, detail: update.detail }));
  }
  if (update.state === "failed" && update.error !== CANCELLED) {
    return updatePending(model, send.clientKey, (old) => ({ ...old, state: "failed", error: update.error ?? "not sent", detail: null }));
  }
  const pending = model.pending.filter((candidate) => candidate.clientKey !== send.clientKey);
  if (update.state !== "sent" || update.chatId !== model.chatId || model.chatId === null) return { ...model, pending };
  if (update.telegramIds.length !== 1) return { ...model, pending, refresh: model.refresh + 1 };
  // Shown at once as the message it became; the next page of history brings the stored one.
  const sent: ChatMessage = {
    chatId: update.chatId,
    messageId: update.telegramIds[0]!,
    senderId: null,
    text: sendText(send),
    date: Date.now() / 1000,
    replyTo: send.replyTo,
    edited: false,
    outgoing: true,
    filePath: null,
    filePending: false,
    fileNote: null,
  };
  return { ...model, pending, messages: merge(model.messages, [sent]) };
}

function sendResult(model: Model, answer: Extract<Action, { kind: "sendResult" }>): Model {
  const send = model.pending.find((candidate) => candidate.clientKey === answer.clientKey);
  if (!send) return model;
  if (answer.sendId === null) {
    return updatePending(model, send.clientKey, (old) => ({ ...old, state: "failed", error: answer.error ?? "not sent", sendId: null }));
  }
  const accepted: PendingSend = { ...send, sendId: answer.sendId, acceptedSeq: answer.seq, state: send.state === "sending" ? "queued" : send.state };
  const next = updatePending(model, send.clientKey, () => accepted);
  const early = model.early.get(answer.sendId);
  if (!early) return next;
  const rest = new Map(model.early);
  rest.delete(answer.sendId);
  return applyStatus({ ...next, early: rest }, accepted, early);
}

function outbox(model: Model, items: OutboxItem[], seq: number, now: number): Model {
  if (seq < model.outboxSeq) return model; // an older snapshot answered late
  const entries = items.map((item) => ({ ...item, until: item.state === "waiting" && item.waitSeconds != null ? now + item.waitSeconds * 1000 : null }));
  const bySendId = new Map(entries.map((entry) => [entry.sendId, entry]));
  let refresh = model.refresh;
  const pending: PendingSend[] = [];
  for (const send of model.pending) {
    const entry = send.sendId === null ? undefined : bySendId.get(send.sendId);
    if (entry) {
      pending.push(entry.state === "failed" ? { ...send, state: "failed", error: entry.error } : { ...send, state: "queued", error: null });
    } else if (send.sendId !== null && send.acceptedSeq < seq) {
      // Gone from an outbox asked for after it was queued: delivered (or cancelled).
      if (send.chatId === null || send.chatId === model.chatId) refresh += 1;
    } else {
      pending.push(send);
    }
  }
  return { ...model, outbox: entries, outboxSeq: seq, pending: samePending(pending, model.pending) ? model.pending : pending, refresh };
}

function seen(model: Model): Model {
  const key = String(model.chatId);
  if (model.chatId === null || (!model.unread[key] && model.unreadIds.length === 0)) return model;
  const unread = { ...model.unread };
  delete unread[key];
  return { ...model, unread, unreadIds: [] };
}

function updatePending(model: Model, clientKey: string, change: (send: PendingSend) => PendingSend): Model {
  return { ...model, pending: model.pending.map((send) => (send.clientKey === clientKey ? change(send) : send)) };
}

function samePending(a: readonly PendingSend[], b: readonly PendingSend[]): boolean {
  return a.length === b.length && a.every((send, index) => send === b[index]);
}

/** `older` and `newer` by message id, oldest first; a message in `newer` replaces its
 * namesake (an edit, a file saved, the stored copy of a message just sent). */
export function merge(older: readonly ChatMessage[], newer: readonly ChatMessage[]): ChatMessage[] {
  if (newer.length === 0) return older as ChatMessage[];
  const byId = new Map(older.map((m) => [m.messageId, m]));
  for (const m of newer) byId.set(m.messageId, m);
  return [...byId.values()].sort((a, b) => a.messageId - b.messageId);
}

function mergeResults(shown: readonly ChatMessage[], more: readonly ChatMessage[]): ChatMessage[] {
  const seenKeys = new Set(shown.map((m) => `${m.chatId}:${m.messageId}`));
  return [...shown, ...more.filter((m) => !seenKeys.has(`${m.chatId}:${m.messageId}`))];
}

function lastIncoming(messages: readonly ChatMessage[], count: number): number[] {
  if (count <= 0) return [];
  return messages
    .filter((m) => !m.outgoing)
    .slice(-count)
    .map((m) => m.messageId);
}

function withLast(chats: readonly ChatSummary[], last: ChatMessage): ChatSummary[] {
  const known = chats.find((chat) => chat.chatId === last.chatId);
  if (known && known.last.messageId > last.messageId) return chats as ChatSummary[];
  const chat: ChatSummary = { chatId: last.chatId, title: known?.title ?? String(last.chatId), last };
  return [chat, ...chats.filter((other) => other.chatId !== last.chatId)];
}

function peopleMap(people: Person[], known: ReadonlyMap<number, string>): Map<number, string> {
  const map = new Map(known);
  for (const person of people) map.set(person.id, person.name);
  return map;
}

function cleanCounts(byChat: Record<string, number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [chat, count] of Object.entries(byChat)) if (count > 0) counts[chat] = count;
  return counts;
}

/** The text a send shows (a code attachment as a fenced block under its path and lines). */
export function sendText(send: Pick<PendingSend, "text" | "code">): string {
  if (send.text !== null) return send.text;
  const code = send.code!;
  const lines = code.range ? `:${code.range.start.line + 1}-${code.range.end.line + 1}` : "";
  const header = code.path ? `${code.path}${lines}\n` : "";
  return code.text.includes("```") ? header + code.text : `${header}\`\`\`${code.language}\n${code.text}\n\`\`\``;
}

// ---- What the view shows, derived from the model ----

export function totalUnread(model: Model): number {
  return Object.values(model.unread).reduce((sum, count) => sum + count, 0);
}

export function senderName(model: Model, message: ChatMessage): string {
  if (message.outgoing) return "You";
  if (message.senderId === null) return chatTitle(model, message.chatId);
  return model.people.get(message.senderId) ?? `User ${message.senderId}`;
}

export function chatTitle(model: Model, chatId: number | null): string {
  if (chatId === null) return "the default chat";
  return model.chats.find((chat) => chat.chatId === chatId)?.title ?? String(chatId);
}

/** Replies by the message they answer, for the threads: parent id -> reply ids, oldest first. */
export function threads(messages: readonly ChatMessage[]): Map<number, number[]> {
  const replies = new Map<number, number[]>();
  for (const m of messages) {
    if (m.replyTo === null) continue;
    const list = replies.get(m.replyTo);
    if (list) list.push(m.messageId);
    else replies.set(m.replyTo, [m.messageId]);
  }
  return replies;
}

export function findMessage(model: Model, messageId: number): ChatMessage | undefined {
  return model.messages.find((m) => m.messageId === messageId);
}

/** A line for the reply target, a quote, a search result. */
export function preview(message: ChatMessage): string {
  return firstLine(message.text) || (message.filePath ? "a file" : "a message");
}

/** One row under the chat (or in the outbox list): a send not delivered yet. */
export interface OutboxRow {
  key: string;
  chatId: number | null;
  sendId: number | null;
  clientKey: string | null;
  state: "queued" | "waiting" | "failed";
  /** Asked of the host and not answered yet. */
  sending: boolean;
  text: string;
  error: string | null;
  detail: string | null;
  until: number | null;
  createdAt: number;
}

/** Every undelivered send, oldest first: this view's own (with their full text) and the
 * outbox's others (their preview). `chatId` null: not known yet (the default chat). */
export function outboxRows(model: Model): OutboxRow[] {
  const rows: OutboxRow[] = [];
  const mine = new Set<number>();
  const entries = new Map(model.outbox.map((entry) => [entry.sendId, entry]));
  for (const send of model.pending) {
    const entry = send.sendId === null ? undefined : entries.get(send.sendId);
    if (send.sendId !== null) mine.add(send.sendId);
    rows.push({
      key: `send-${send.clientKey}`,
      chatId: entry?.chatId || send.chatId || null,
      sendId: send.sendId,
      clientKey: send.clientKey,
      state: send.state === "failed" ? "failed" : entry?.state === "waiting" ? "waiting" : "queued",
      sending: send.state === "sending",
      text: sendText(send),
      error: send.state === "failed" ? send.error : null,
      detail: send.detail,
      until: entry?.until ?? null,
      createdAt: send.createdAt,
    });
  }
  for (const entry of model.outbox) {
    if (mine.has(entry.sendId)) continue;
    rows.push({
      key: `outbox-${entry.sendId}`,
      chatId: entry.chatId || null,
      sendId: entry.sendId,
      clientKey: null,
      state: entry.state,
      sending: false,
      text: entry.preview,
      error: entry.error,
      detail: null,
      until: entry.until,
      createdAt: entry.createdAt * 1000,
    });
  }
  return rows.sort((a, b) => a.createdAt - b.createdAt);
}

/** The rows shown under the chosen chat (its own, and those whose chat is not known yet). */
export function rowsHere(model: Model, rows: readonly OutboxRow[]): OutboxRow[] {
  return rows.filter((row) => row.chatId === null || row.chatId === model.chatId);
}

export interface OutboxCounts {
  queued: number;
  waiting: number;
  failed: number;
  /** When the longest wait ends (ms since the epoch), if a send waits. */
  until: number | null;
}

export function outboxCounts(rows: readonly OutboxRow[]): OutboxCounts {
  const count = (state: OutboxRow["state"]): number => rows.filter((row) => row.state === state).length;
  const waits = rows.filter((row) => row.state === "waiting" && row.until !== null).map((row) => row.until!);
  return { queued: count("queued"), waiting: count("waiting"), failed: count("failed"), until: waits.length ? Math.max(...waits) : null };
}

/** "2 queued · 1 waiting (45 s) · 1 failed", over every chat; "" when nothing waits. */
export function outboxSummary(rows: readonly OutboxRow[], now: number, formatWait: (seconds: number) => string): string {
  const counts = outboxCounts(rows);
  const parts: string[] = [];
  if (counts.queued) parts.push(`${counts.queued} queued`);
  if (counts.waiting) {
    const left = counts.until === null ? "" : ` (${formatWait(Math.max(0, Math.ceil((counts.until - now) / 1000)))})`;
    parts.push(`${counts.waiting} waiting${left}`);
  }
  if (counts.failed) parts.push(`${counts.failed} failed`);
  return parts.join(" · ");
}

export function toSaved(model: Model, anchor: Saved["anchor"]): Saved {
  return {
    v: 1,
    chatId: model.chatId,
    draft: model.draft,
    replyTo: model.replyTo,
    attachment: model.attachment,
    pending: [...model.pending],
    query: model.search.query,
    anchor,
    closedPairing: model.closedPairing,
  };
}

/** What getState handed back, if it is a state this version wrote. */
export function fromSaved(value: unknown): Saved | undefined {
  const saved = value as Partial<Saved> | undefined;
  if (!saved || saved.v !== 1 || !Array.isArray(saved.pending)) return undefined;
  return saved as Saved;
}
