// The Chat view's page: keeps the model, turns the host's messages and the user's actions
// into model changes, renders once per frame, and posts what the host must do.
// The view is not kept alive while hidden (no retainContextWhenHidden): the light UI
// state lives in vscode.setState, and on every load the page posts `ready` and the host
// sends the rest (state, chats, the chosen chat's newest page, the outbox).
import type { FromWebview, ToWebview } from "../src/webviewProtocol";
import { composerKey } from "./keys";
import {
  fromSaved,
  initialModel,
  reduce,
  toSaved,
  type Action,
  type Model,
  type PendingSend,
  type Saved,
} from "./model";
import { ChatView, type Intent } from "./view";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// Marks for the editor benchmark's breakdown of the first paint (tests/e2e/bench.ts).
performance.mark("tgbridge-script");
const NOTICE_MS = 6000;
const REFRESH_DELAY_MS = 300;
const SAVE_DELAY_MS = 250;

const api = acquireVsCodeApi();
const saved = fromSaved(api.getState());
let model: Model = initialModel(saved);
/** Where the list was scrolled when the page was hidden; used for the first page only. */
let restore: Saved["anchor"] = saved?.anchor ?? null;
let anchor: Saved["anchor"] = restore;
let painted = false;
let frame: number | undefined;
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** The host's unread counts arrived: from then on this page reports its own. */
let unreadSynced = false;
let reportedUnread = "";

// What the host read ahead, written into the page (read before the view replaces the
// page's body): painted before any round trip.
const initial = document.getElementById("tgbridge-initial")?.textContent;
const view = new ChatView(document.body, onIntent);

function post(message: FromWebview): void {
  api.postMessage(message);
}

function dispatch(action: Action): void {
  const before = model;
  model = reduce(model, action);
  if (model === before) return;
  if (model.refresh !== before.refresh) scheduleRefresh();
  if (model.notice !== before.notice && model.notice) {
    const id = model.notice.id;
    setTimeout(() => dispatch({ kind: "clearNotice", id }), NOTICE_MS);
  }
  scheduleRender();
  scheduleSave();
  reportUnread();
}

function scheduleRender(): void {
  if (frame !== undefined) return;
  frame = requestAnimationFrame(() => {
    frame = undefined;
    render();
  });
}

function render(): void {
  const result = view.update(model, Date.now(), restore);
  if (result.firstPaint !== null) {
    restore = null;
    if (!painted) {
      painted = true;
      performance.mark("tgbridge-rendered");
      const count = result.firstPaint;
      // The next frame is the first that shows the messages.
      requestAnimationFrame(() => post({ type: "painted", count, ms: Math.round(performance.now() * 10) / 10 }));
    }
  }
  if (result.revealed) dispatch({ kind: "revealed" });
  afterScroll();
}

function scheduleSave(): void {
  if (saveTimer !== undefined) return;
  saveTimer = setTimeout(saveNow, SAVE_DELAY_MS);
}

/** Saves at once: for a choice the next load must know even if the view is hidden (and
 * this page gone) before the delayed save. */
function saveNow(): void {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  api.setState(toSaved(model, anchor));
}

/** The chat's newest page again (a send was delivered, one came from elsewhere). */
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    if (model.chatId !== null && model.history === "loaded") post({ type: "loadHistory", chatId: model.chatId, before: null });
  }, REFRESH_DELAY_MS);
}

function reportUnread(): void {
  if (!unreadSynced) return;
  const counts = JSON.stringify(model.unread);
  if (counts === reportedUnread) return;
  reportedUnread = counts;
  post({ type: "unread", byChat: { ...model.unread } });
}

function visible(): boolean {
  return document.visibilityState === "visible";
}

/** After a scroll or a render: mark what is seen, fetch older messages near the top,
 * remember where the list is. */
function afterScroll(): void {
  if (visible() && view.isAtBottom()) dispatch({ kind: "seen" });
  if (model.history === "loaded" && model.chatId !== null && model.nextCursor !== null && !model.olderLoading && model.messages.length > 0 && view.wantsOlder()) {
    loadOlder();
  }
  const now = view.anchor();
  if (JSON.stringify(now) !== JSON.stringify(anchor)) {
    anchor = now;
    scheduleSave();
  }
}

function loadOlder(): void {
  if (model.chatId === null || model.nextCursor === null || model.olderLoading) return;
  const before = model.nextCursor;
  dispatch({ kind: "olderLoading" });
  post({ type: "loadHistory", chatId: model.chatId, before });
}

function selectChat(chatId: number): void {
  const before = model.chatId;
  dispatch({ kind: "selectChat", chatId });
  if (model.chatId !== before || model.history === "loading") post({ type: "selectChat", chatId });
}

/** Shows a message: at once when loaded, else the host loads the pages up to it. */
function showMessage(chatId: number, messageId: number): void {
  if (chatId === model.chatId && model.messages.some((m) => m.messageId === messageId)) {
    view.reveal(messageId);
    return;
  }
  if (chatId !== model.chatId) dispatch({ kind: "selectChat", chatId });
  post({ type: "reveal", chatId, messageId });
}

function newClientKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function postSend(send: PendingSend): void {
  post({ type: "send", clientKey: send.clientKey, chatId: send.chatId, text: send.text, code: send.code, replyTo: send.replyTo });
}

/** The draft and the attached selection as sends: the text first, then the code (the
 * sidecar takes one of them per send), each with a key of its own. */
function send(): void {
  const text = model.draft.replace(/\s+$/, "");
  const code = model.attachment;
  if (!text.trim() && !code) return;
  if (model.sidecar.kind !== "running") {
    dispatch({ kind: "notice", text: "tgbridge is not running: the message was not sent.", level: "error" });
    return;
  }
  const base = { chatId: model.chatId, replyTo: model.replyTo, createdAt: Date.now(), sendId: null, acceptedSeq: 0, state: "sending" as const, error: null, detail: null };
  const sends: PendingSend[] = [];
  if (text.trim()) sends.push({ ...base, clientKey: newClientKey(), text, code: null });
  if (code) sends.push({ ...base, clientKey: newClientKey(), text: null, code, replyTo: text.trim() ? null : model.replyTo, createdAt: base.createdAt + 1 });
  dispatch({ kind: "queueSends", sends });
  for (const each of sends) postSend(each);
  requestAnimationFrame(() => view.scrollToBottom());
}

function onIntent(intent: Intent): void {
  switch (intent.kind) {
    case "command":
      return post({ type: "command", command: intent.command });
    case "selectChat":
      return selectChat(intent.chatId);
    case "search": {
      dispatch({ kind: "search", query: intent.query, more: false });
      const query = intent.query.trim();
      if (query) post({ type: "search", query, before: null });
      return;
    }
    case "searchMore": {
      const { query, nextCursor } = model.search;
      if (nextCursor === null || !query.trim()) return;
      dispatch({ kind: "search", query, more: true });
      return post({ type: "search", query: query.trim(), before: nextCursor });
    }
    case "closeSearch":
      return dispatch({ kind: "closeSearch" });
    case "openResult":
      dispatch({ kind: "closeSearch" });
      return showMessage(intent.message.chatId, intent.message.messageId);
    case "reply":
      dispatch({ kind: "replyTo", messageId: intent.messageId });
      return view.focusComposer();
    case "cancelReply":
      dispatch({ kind: "replyTo", messageId: null });
      return view.focusComposer();
    case "jumpTo":
      if (model.chatId !== null) showMessage(model.chatId, intent.messageId);
      return;
    case "send":
      return send();
    case "draft":
      return dispatch({ kind: "draft", text: intent.text });
    case "composerKey": {
      const event = intent.event;
      const action = composerKey(event, { replying: model.replyTo !== null, attached: model.attachment !== null });
      if (action === "send") {
        event.preventDefault();
        send();
      } else if (action === "cancelReply") {
        event.preventDefault();
        dispatch({ kind: "replyTo", messageId: null });
      } else if (action === "dropAttachment") {
        event.preventDefault();
        dispatch({ kind: "attach", attachment: null });
      }
      return;
    }
    case "attach":
      return post({ type: "requestSelection" });
    case "dropAttachment":
      dispatch({ kind: "attach", attachment: null });
      return view.focusComposer();
    case "retry": {
      const { row } = intent;
      if (row.state === "failed" && row.sendId !== null) return post({ type: "retry", sendId: row.sendId });
      const pending = model.pending.find((each) => each.clientKey === row.clientKey);
      if (!pending) return;
      dispatch({ kind: "resend", clientKey: pending.clientKey });
      return postSend(pending);
    }
    case "cancel": {
      const { row } = intent;
      if (row.sendId !== null) return post({ type: "cancel", sendId: row.sendId });
      if (row.clientKey !== null) dispatch({ kind: "discard", clientKey: row.clientKey });
      return;
    }
    case "openFile":
      return post({ type: "openFile", path: intent.path });
    case "loadOlder":
      return loadOlder();
    case "scrolled":
      return afterScroll();
    case "closePairing":
      dispatch({ kind: "pairing", pairing: null });
      return saveNow();
    case "copy":
      navigator.clipboard.writeText(intent.text).then(
        () => dispatch({ kind: "notice", text: `${intent.what} is on the clipboard.`, level: "info" }),
        () => dispatch({ kind: "notice", text: `Could not copy ${intent.what.toLowerCase()}.`, level: "error" }),
      );
      return;
    case "jumpToUnread":
      return view.scrollToUnread();
  }
}

function onHost(message: ToWebview): void {
  switch (message.type) {
    case "state":
      return dispatch({ kind: "state", state: message.state });
    case "chats": {
      const before = model.chatId;
      dispatch({ kind: "chats", chats: message.chats, people: message.people, chatId: message.chatId });
      // A first chat appeared (the first send went out): its history comes from the host.
      if (message.chatId === null && model.chatId !== before && model.chatId !== null) post({ type: "selectChat", chatId: model.chatId });
      return;
    }
    case "history":
      return dispatch({ kind: "history", ...message });
    case "message": {
      const before = model.chatId;
      dispatch({ kind: "message", message: message.message, seen: visible() && view.isAtBottom() && model.chatId === message.message.chatId });
      // The first message of all picks the chat: its history comes from the host.
      if (before === null && model.chatId !== null) post({ type: "selectChat", chatId: model.chatId });
      return;
    }
    case "status":
      return dispatch({ kind: "status", status: message.status });
    case "sendResult":
      return dispatch({ kind: "sendResult", clientKey: message.clientKey, sendId: message.sendId, error: message.error, seq: message.seq });
    case "outbox":
      return dispatch({ kind: "outbox", items: message.items, seq: message.seq, now: Date.now() });
    case "searchResults":
      return dispatch({ kind: "searchResults", ...message });
    case "selection":
      if (message.selection) {
        dispatch({ kind: "attach", attachment: message.selection });
        view.focusComposer();
      } else {
        dispatch({ kind: "notice", text: message.error ?? "Select some code in an editor first.", level: "error" });
      }
      return;
    case "pairing": {
      const { type: _type, ...pairing } = message;
      return dispatch({ kind: "pairing", pairing });
    }
    case "paired":
      dispatch({ kind: "pairing", pairing: null });
      return dispatch({ kind: "notice", text: `${message.name}'s phone is paired (${message.role}).`, level: "info" });
    case "unread":
      unreadSynced = true;
      reportedUnread = JSON.stringify(message.byChat);
      return dispatch({ kind: "unread", byChat: message.byChat });
    case "notice":
      return dispatch({ kind: "notice", text: message.text, level: message.level });
    case "selectChat":
      return selectChat(message.chatId);
    case "reveal":
      return showMessage(message.chatId, message.messageId);
    case "focus":
      if (message.target === "composer") return view.focusComposer();
      view.focusSearch(message.query);
      if (message.query) onIntent({ kind: "search", query: message.query });
      return;
  }
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  if (event.data && typeof event.data === "object" && typeof event.data.type === "string") onHost(event.data);
});
document.addEventListener("visibilitychange", () => afterScroll());
setInterval(() => view.tick(Date.now()), 1000);

if (initial) for (const message of JSON.parse(initial) as ToWebview[]) onHost(message);
// Built now, not at the next animation frame: the browser's first paint shows it.
if (frame !== undefined) cancelAnimationFrame(frame);
frame = undefined;
render();
post({ type: "ready", chatId: model.chatId });
// Sends the host never answered before the page went away: asked again with the same
// key, which the sidecar answers with the send it already has (never a second send).
for (const pending of model.pending) if (pending.state === "sending") postSend(pending);
