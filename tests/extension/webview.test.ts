// The Chat view's logic without an editor: the messages the host accepts from the page,
// the page's model (history, live messages, replies, sends and their statuses, the
// outbox, unread counts), the composer's keys, code fences, countdowns, highlighting,
// the QR code, which received files may be opened, and the DOM the view builds
// (on linkedom: every text from Telegram lands as text).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseHTML } from "linkedom";
import { chatPageHtml } from "../../extension/src/chatPage";
import type { ChatMessage, MessageStatusParams, OutboxItem, StatusResult } from "../../extension/src/protocol";
import { fileKind, ReceivedFiles } from "../../extension/src/receivedFiles";
import { parseFromWebview, WEBVIEW_COMMANDS, type FromWebview } from "../../extension/src/webviewProtocol";
import { highlight } from "../../extension/webview/highlight";
import { composerKey, type KeyPress } from "../../extension/webview/keys";
import { firstLine, markWords, splitFences, splitInline } from "../../extension/webview/markup";
import {
  fromSaved,
  initialModel,
  outboxRows,
  outboxSummary,
  reduce,
  rowsHere,
  threads,
  toSaved,
  totalUnread,
  type Action,
  type Model,
  type PendingSend,
} from "../../extension/webview/model";
import { qrPath } from "../../extension/webview/qr";
import { ChatView } from "../../extension/webview/view";
import { formatWait, secondsLeft } from "../../extension/webview/time";

const CHAT = 42;
const OTHER = 7;

function msg(messageId: number, fields: Partial<ChatMessage> = {}): ChatMessage {
  return {
    chatId: CHAT,
    messageId,
    senderId: 1001,
    text: `message ${messageId}`,
    date: 1_700_000_000 + messageId,
    replyTo: null,
    edited: false,
    outgoing: false,
    filePath: null,
    filePending: false,
    fileNote: null,
    ...fields,
  };
}

function run(model: Model, ...actions: Action[]): Model {
  return actions.reduce(reduce, model);
}

/** A model showing CHAT with messages 1..n loaded. */
function loaded(n = 3, nextCursor: number | null = null): Model {
  const messages = Array.from({ length: n }, (_, i) => msg(n - i)); // newest first, as the host sends
  return run(initialModel(), { kind: "selectChat", chatId: CHAT }, { kind: "history", chatId: CHAT, messages, nextCursor, mode: "latest", reveal: null });
}

function pending(clientKey: string, fields: Partial<PendingSend> = {}): PendingSend {
  return {
    clientKey,
    chatId: CHAT,
    text: "hello",
    code: null,
    replyTo: null,
    createdAt: 1000,
    sendId: null,
    acceptedSeq: 0,
    state: "sending",
    error: null,
    detail: null,
    ...fields,
  };
}

function status(sendId: number, state: MessageStatusParams["state"], fields: Partial<MessageStatusParams> = {}): MessageStatusParams {
  return { sendId, chatId: CHAT, state, telegramIds: state === "sent" ? [500] : [], error: null, detail: null, ...fields };
}

const ids = (model: Model): number[] => model.messages.map((m) => m.messageId);

/** An extension folder holding a page script and a style, for chatPageHtml. */
function extensionWithScript(script: string): string {
  const root = mkdtempSync(path.join(tmpdir(), "tgbridge-page-"));
  mkdirSync(path.join(root, "dist"));
  mkdirSync(path.join(root, "extension", "media"), { recursive: true });
  writeFileSync(path.join(root, "dist", "webview.js"), script);
  writeFileSync(path.join(root, "extension", "media", "chat.css"), "body { color: red; }");
  return root;
}

describe("the Chat view's page", () => {
  it("runs only its own nonce'd script and style, and loads nothing from elsewhere", () => {
    const html = chatPageHtml(extensionWithScript("window.ran = 1;"), []);
    const { document } = parseHTML(html);
    const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute("content")!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    assert.equal(csp, `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:;`);
    const scripts = Array.from(document.querySelectorAll("script:not([type])"));
    assert.deepEqual(scripts.map((s) => [s.getAttribute("nonce"), s.getAttribute("src"), s.textContent]), [[nonce, null, "window.ran = 1;"]]);
    assert.equal(document.querySelector("style")!.getAttribute("nonce"), nonce);
    assert.equal(document.querySelector("link"), null);
    assert.notEqual(nonce, /nonce-([^']+)/.exec(chatPageHtml(extensionWithScript(""), []))![1], "a new nonce per page");
  });

  it("keeps text from Telegram and the script's own strings inside their elements", () => {
    const hostile = { type: "message", text: "</script><script>alert(1)</script>" };
    const html = chatPageHtml(extensionWithScript('const end = "</script><b>";'), [hostile]);
    const { document } = parseHTML(html);
    assert.equal(document.querySelectorAll("script").length, 2);
    assert.equal(document.querySelector("b"), null);
    assert.deepEqual(JSON.parse(document.getElementById("tgbridge-initial")!.textContent!), [hostile]);
  });
});

describe("the messages the host accepts from the webview", () => {
  const valid: FromWebview[] = [
    { type: "ready", chatId: null },
    { type: "ready", chatId: -1001234567890 },
    { type: "command", command: "tgbridge.restartSidecar" },
    { type: "command", command: "tgbridge.showLogs" },
    { type: "command", command: "tgbridge.logIn" },
    { type: "selectChat", chatId: CHAT },
    { type: "loadHistory", chatId: CHAT, before: null },
    { type: "loadHistory", chatId: CHAT, before: 120 },
    { type: "reveal", chatId: CHAT, messageId: 9 },
    { type: "search", query: "deploy failed", before: null },
    { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: CHAT, text: "hi", code: null, replyTo: 3 },
    {
      type: "send",
      clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e11",
      chatId: null,
      text: null,
      code: { path: "src/a.py", language: "python", range: { start: { line: 0, character: 0 }, end: { line: 2, character: 4 } }, text: "x = 1" },
      replyTo: null,
    },
    { type: "retry", sendId: 5 },
    { type: "cancel", sendId: 5 },
    { type: "openFile", path: "/home/u/.local/state/tgbridge/files/a.txt" },
    { type: "requestSelection" },
    { type: "painted", count: 100, ms: 87.5 },
    { type: "unread", byChat: { "42": 2, "-1001234567890": 1 } },
  ];

  it("accepts each allowlisted message as it is", () => {
    for (const message of valid) assert.deepEqual(parseFromWebview(JSON.parse(JSON.stringify(message))), message, message.type);
  });

  it("allows exactly three commands", () => {
    assert.deepEqual([...WEBVIEW_COMMANDS].sort(), ["tgbridge.logIn", "tgbridge.restartSidecar", "tgbridge.showLogs"]);
    for (const command of ["tgbridge.logOut", "workbench.action.terminal.new", "vscode.open", "tgbridge.restartHub", "", 1]) {
      assert.equal(parseFromWebview({ type: "command", command }), undefined, String(command));
    }
  });

  it("rejects unknown types and values that are not plain objects", () => {
    for (const value of [null, undefined, "ready", 1, [], [{ type: "ready", chatId: null }], { type: "eval", code: "1" }, { type: "toString" }, { type: "__proto__" }, { chatId: null }, Object.assign(Object.create(null), { type: "ready", chatId: null })]) {
      assert.equal(parseFromWebview(value), undefined, JSON.stringify(value) ?? String(value));
    }
  });

  it("rejects wrong field types", () => {
    const wrong: unknown[] = [
      { type: "ready", chatId: "42" },
      { type: "ready", chatId: 1.5 },
      { type: "ready", chatId: Number.NaN },
      { type: "selectChat", chatId: null },
      { type: "loadHistory", chatId: CHAT, before: "10" },
      { type: "reveal", chatId: CHAT, messageId: 2 ** 60 },
      { type: "search", query: 5, before: null },
      { type: "search", query: "x".repeat(501), before: null },
      { type: "retry", sendId: "5" },
      { type: "openFile", path: ["/etc/passwd"] },
      { type: "painted", count: -1, ms: 5 },
      { type: "painted", count: 1, ms: Number.POSITIVE_INFINITY },
      { type: "unread", byChat: { "42": -1 } },
      { type: "unread", byChat: { chat: 1 } },
      { type: "unread", byChat: [1] },
      { type: "send", clientKey: "short", chatId: CHAT, text: "hi", code: null, replyTo: null },
      { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: "42", text: "hi", code: null, replyTo: null },
      { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: CHAT, text: "hi", code: { text: "x" }, replyTo: null },
      { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: CHAT, text: null, code: { path: "a", language: "py", range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } }, text: "x" }, replyTo: null },
    ];
    for (const value of wrong) assert.equal(parseFromWebview(value), undefined, JSON.stringify(value));
  });

  it("rejects missing and extra fields", () => {
    for (const value of [
      { type: "ready" },
      { type: "ready", chatId: null, extra: 1 },
      { type: "requestSelection", path: "/etc/passwd" },
      { type: "command", command: "tgbridge.showLogs", args: ["x"] },
      JSON.parse('{"type":"ready","chatId":null,"__proto__":{"polluted":true}}'),
      { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: CHAT, text: "hi", code: null },
      { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: CHAT, text: "hi", code: null, replyTo: null, file: { path: "/etc/passwd" } },
    ]) {
      assert.equal(parseFromWebview(value), undefined, JSON.stringify(value));
    }
  });

  it("takes exactly one of text and code in a send", () => {
    const code = { path: "a.py", language: "python", range: null, text: "x" };
    const base = { type: "send", clientKey: "0b6f1c1e-8a52-4c1e-9f55-2b3f7c1d9e10", chatId: CHAT, replyTo: null };
    assert.equal(parseFromWebview({ ...base, text: "hi", code }), undefined);
    assert.equal(parseFromWebview({ ...base, text: null, code: null }), undefined);
    assert.ok(parseFromWebview({ ...base, text: null, code }));
  });
});

describe("the chat model", () => {
  it("shows the newest page oldest first", () => {
    assert.deepEqual(ids(loaded(3)), [1, 2, 3]);
  });

  it("prepends older pages without duplicates and keeps their cursor", () => {
    const model = run(loaded(3, 90), { kind: "olderLoading" }, {
      kind: "history",
      chatId: CHAT,
      messages: [msg(2), msg(1), msg(0), msg(-1)],
      nextCursor: 40,
      mode: "older",
      reveal: null,
    });
    assert.deepEqual(ids(model), [-1, 0, 1, 2, 3]);
    assert.equal(model.nextCursor, 40);
    assert.equal(model.olderLoading, false);
  });

  it("merges a refresh, and starts over when the refresh leaves a hole", () => {
    const merged = run(loaded(3, 90), { kind: "history", chatId: CHAT, messages: [msg(5), msg(4), msg(3)], nextCursor: 80, mode: "refresh", reveal: null });
    assert.deepEqual(ids(merged), [1, 2, 3, 4, 5]);
    assert.equal(merged.nextCursor, 90, "a refresh keeps the cursor of the oldest page");
    const gap = run(loaded(3, 90), { kind: "history", chatId: CHAT, messages: [msg(9), msg(8)], nextCursor: 70, mode: "refresh", reveal: null });
    assert.deepEqual(ids(gap), [8, 9]);
    assert.equal(gap.nextCursor, 70);
  });

  it("ignores a page for a chat no longer shown", () => {
    const model = run(loaded(2), { kind: "history", chatId: OTHER, messages: [msg(50, { chatId: OTHER })], nextCursor: null, mode: "latest", reveal: null });
    assert.deepEqual(ids(model), [1, 2]);
  });

  it("adds a new message and replaces an edited one", () => {
    const model = run(loaded(2), { kind: "message", message: msg(3), seen: true }, { kind: "message", message: msg(2, { text: "fixed typo", edited: true }), seen: true });
    assert.deepEqual(ids(model), [1, 2, 3]);
    const edited = model.messages.find((m) => m.messageId === 2)!;
    assert.equal(edited.text, "fixed typo");
    assert.equal(edited.edited, true);
  });

  it("threads replies under the message they answer", () => {
    const model = run(loaded(2), { kind: "message", message: msg(3, { replyTo: 1 }), seen: true }, { kind: "message", message: msg(4, { replyTo: 1 }), seen: true }, { kind: "message", message: msg(5, { replyTo: 3 }), seen: true });
    const replies = threads(model.messages);
    assert.deepEqual(replies.get(1), [3, 4]);
    assert.deepEqual(replies.get(3), [5]);
    assert.equal(replies.get(2), undefined);
  });

  it("counts unread messages: not when seen, not outgoing, an edit never twice", () => {
    let model = run(loaded(2), { kind: "unread", byChat: {} });
    model = run(model, { kind: "message", message: msg(3), seen: false });
    model = run(model, { kind: "message", message: msg(4, { outgoing: true }), seen: false });
    model = run(model, { kind: "message", message: msg(3, { text: "edited", edited: true }), seen: false });
    model = run(model, { kind: "message", message: msg(5), seen: true });
    assert.deepEqual(model.unread, { [CHAT]: 1 });
    assert.deepEqual(model.unreadIds, [3]);
    model = run(model, { kind: "message", message: msg(9, { chatId: OTHER }), seen: false }, { kind: "message", message: msg(9, { chatId: OTHER, edited: true }), seen: false });
    assert.deepEqual(model.unread, { [CHAT]: 1, [OTHER]: 1 });
    assert.equal(totalUnread(model), 2);
    model = run(model, { kind: "seen" });
    assert.deepEqual(model.unread, { [OTHER]: 1 });
    assert.deepEqual(model.unreadIds, []);
  });

  it("marks the newest incoming messages unread when a chat opens with the host's count", () => {
    const model = run(initialModel(), { kind: "unread", byChat: { [CHAT]: 2 } }, { kind: "selectChat", chatId: CHAT }, {
      kind: "history",
      chatId: CHAT,
      messages: [msg(4, { outgoing: true }), msg(3), msg(2), msg(1)],
      nextCursor: null,
      mode: "latest",
      reveal: null,
    });
    assert.deepEqual(model.unreadIds, [2, 3]);
  });

  it("moves a send from queued to sent, shown as the message it became", () => {
    let model = run(loaded(2), { kind: "queueSends", sends: [pending("key-aaaaaaaa", { replyTo: 1 })] });
    assert.equal(model.draft, "");
    assert.deepEqual(outboxRows(model).map((row) => [row.state, row.sending]), [["queued", true]]);
    model = run(model, { kind: "sendResult", clientKey: "key-aaaaaaaa", sendId: 77, error: null, seq: 3 });
    assert.equal(model.pending[0]!.sendId, 77);
    assert.equal(model.pending[0]!.state, "queued");
    model = run(model, { kind: "status", status: status(77, "sent", { telegramIds: [500] }) });
    assert.equal(model.pending.length, 0);
    const sent = model.messages.at(-1)!;
    assert.deepEqual([sent.messageId, sent.text, sent.outgoing, sent.replyTo], [500, "hello", true, 1]);
  });

  it("applies a status that overtook the answer to its send", () => {
    const model = run(loaded(2), { kind: "queueSends", sends: [pending("key-bbbbbbbb")] }, { kind: "status", status: status(78, "failed", { error: "CHAT_WRITE_FORBIDDEN" }) }, { kind: "sendResult", clientKey: "key-bbbbbbbb", sendId: 78, error: null, seq: 1 });
    assert.equal(model.pending[0]!.state, "failed");
    assert.equal(model.pending[0]!.error, "CHAT_WRITE_FORBIDDEN");
    assert.equal(model.early.size, 0);
    assert.deepEqual(outboxRows(model).map((row) => row.state), ["failed"]);
  });

  it("drops a cancelled send and keeps one the host could not queue for Retry", () => {
    let model = run(loaded(1), { kind: "queueSends", sends: [pending("key-cccccccc"), pending("key-dddddddd")] });
    model = run(model, { kind: "sendResult", clientKey: "key-cccccccc", sendId: 80, error: null, seq: 1 }, { kind: "status", status: status(80, "failed", { error: "cancelled" }) });
    model = run(model, { kind: "sendResult", clientKey: "key-dddddddd", sendId: null, error: "tgbridge could not queue it.", seq: 2 });
    assert.deepEqual(model.pending.map((send) => [send.clientKey, send.state, send.sendId]), [["key-dddddddd", "failed", null]]);
    model = run(model, { kind: "resend", clientKey: "key-dddddddd" });
    assert.equal(model.pending[0]!.state, "sending");
    model = run(model, { kind: "discard", clientKey: "key-dddddddd" });
    assert.equal(model.pending.length, 0);
  });

  it("keeps what a queued status says it waits for", () => {
    const model = run(loaded(1), { kind: "queueSends", sends: [pending("key-eeeeeeee", { chatId: null })] }, { kind: "sendResult", clientKey: "key-eeeeeeee", sendId: 81, error: null, seq: 1 }, { kind: "status", status: status(81, "queued", { chatId: 0, detail: "waiting for @ann to log in" }) });
    assert.equal(model.pending[0]!.detail, "waiting for @ann to log in");
    assert.deepEqual(rowsHere(model, outboxRows(model)).map((row) => row.detail), ["waiting for @ann to log in"]);
  });

  it("counts a flood wait down from the outbox and drops a send the outbox no longer has", () => {
    const items: OutboxItem[] = [
      { sendId: 90, chatId: CHAT, state: "waiting", preview: "first", error: null, waitSeconds: 30, createdAt: 1 },
      { sendId: 91, chatId: OTHER, state: "failed", preview: "second", error: "PEER_FLOOD", waitSeconds: null, createdAt: 2 },
    ];
    let model = run(loaded(1), { kind: "queueSends", sends: [pending("key-ffffffff")] }, { kind: "sendResult", clientKey: "key-ffffffff", sendId: 90, error: null, seq: 5 });
    model = run(model, { kind: "outbox", items, seq: 6, now: 10_000 });
    const rows = outboxRows(model);
    assert.deepEqual(rows.map((row) => [row.sendId, row.state, row.until]), [[90, "waiting", 40_000], [91, "failed", null]]);
    assert.deepEqual(rowsHere(model, rows).map((row) => row.text), ["hello"], "the send's own text, in its chat");
    assert.equal(outboxSummary(rows, 25_000, formatWait), "1 waiting (15 s) · 1 failed");
    // A snapshot asked for before the send was answered does not drop it...
    const stale = run(model, { kind: "outbox", items: [], seq: 4, now: 11_000 });
    assert.equal(stale.pending.length, 1);
    // ...a later one does: delivered (or cancelled elsewhere), and the chat is fetched again.
    const later = run(model, { kind: "outbox", items: [], seq: 7, now: 11_000 });
    assert.equal(later.pending.length, 0);
    assert.equal(later.refresh, model.refresh + 1);
  });

  it("asks for the chat again when a send from elsewhere reaches it", () => {
    const model = run(loaded(1), { kind: "status", status: status(95, "sent") });
    assert.equal(model.refresh, 1);
    assert.deepEqual(ids(model), [1]);
  });

  it("follows the chat the host chose, and the first message when none is chosen", () => {
    const chats = [{ chatId: OTHER, title: "Ann", last: msg(3, { chatId: OTHER }) }];
    const chosen = run(initialModel(), { kind: "chats", chats, people: [{ id: 1001, name: "Ann" }], chatId: OTHER });
    assert.equal(chosen.chatId, OTHER);
    assert.equal(chosen.people.get(1001), "Ann");
    const first = run(initialModel(), { kind: "message", message: msg(1), seen: false });
    assert.equal(first.chatId, CHAT);
    assert.deepEqual(ids(first), [1]);
  });

  it("keeps the draft, reply target and unsent sends across a reload", () => {
    const model = run(loaded(2), { kind: "draft", text: "half a thought" }, { kind: "replyTo", messageId: 2 }, { kind: "queueSends", sends: [pending("key-gggggggg")] }, { kind: "draft", text: "and more" }, { kind: "replyTo", messageId: 1 });
    const saved = fromSaved(JSON.parse(JSON.stringify(toSaved(model, { messageId: 2, offset: 14 }))))!;
    const restored = initialModel(saved);
    assert.equal(restored.chatId, CHAT);
    assert.equal(restored.draft, "and more");
    assert.equal(restored.replyTo, 1);
    assert.deepEqual(restored.pending.map((send) => send.clientKey), ["key-gggggggg"]);
    assert.deepEqual(saved.anchor, { messageId: 2, offset: 14 });
    assert.equal(fromSaved({ v: 2 }), undefined);
    assert.equal(fromSaved(undefined), undefined);
  });

  it("keeps a closed pairing code closed when the host offers it again after a reload", () => {
    const pairing = (code: string) => ({ code, link: null, expiresAt: 1_700_000_700, botName: null, detail: "Send the code." });
    const closed = run(initialModel(), { kind: "pairing", pairing: pairing("K7Q2M9") }, { kind: "pairing", pairing: null });
    const restored = initialModel(fromSaved(JSON.parse(JSON.stringify(toSaved(closed, null))))!);
    assert.equal(run(restored, { kind: "pairing", pairing: pairing("K7Q2M9") }).pairing, null);
    assert.equal(run(restored, { kind: "pairing", pairing: pairing("P3X8L4") }).pairing?.code, "P3X8L4");
  });

  it("ignores search results for a query that was replaced", () => {
    let model = run(loaded(1), { kind: "search", query: "deploy", more: false });
    model = run(model, { kind: "search", query: "rollback", more: false });
    model = run(model, { kind: "searchResults", query: "deploy", messages: [msg(1)], nextCursor: null, append: false, error: null });
    assert.equal(model.search.results.length, 0);
    model = run(model, { kind: "searchResults", query: "rollback", messages: [msg(1)], nextCursor: 12, append: false, error: null });
    assert.equal(model.search.results.length, 1);
    model = run(model, { kind: "search", query: "rollback", more: true }, { kind: "searchResults", query: "rollback", messages: [msg(1), msg(0)], nextCursor: null, append: true, error: null });
    assert.deepEqual(model.search.results.map((m) => m.messageId), [1, 0]);
  });
});

describe("the composer's keys", () => {
  const press = (key: string, fields: Partial<KeyPress> = {}): KeyPress => ({
    key,
    shiftKey: false,
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    isComposing: false,
    keyCode: key === "Enter" ? 13 : 0,
    ...fields,
  });
  const idle = { replying: false, attached: false };

  it("sends on Enter and makes a new line on Shift+Enter", () => {
    assert.equal(composerKey(press("Enter"), idle), "send");
    assert.equal(composerKey(press("Enter", { shiftKey: true }), idle), "newline");
    assert.equal(composerKey(press("Enter", { altKey: true }), idle), "newline");
    assert.equal(composerKey(press("Enter", { ctrlKey: true }), idle), "send");
    assert.equal(composerKey(press("Enter", { metaKey: true }), idle), "send");
  });

  it("leaves Enter to an input method that is composing", () => {
    assert.equal(composerKey(press("Enter", { isComposing: true }), idle), "none");
    assert.equal(composerKey(press("Enter", { keyCode: 229 }), idle), "none");
    assert.equal(composerKey(press("Escape", { isComposing: true }), { replying: true, attached: false }), "none");
  });

  it("cancels the reply on Escape, then drops the attachment", () => {
    assert.equal(composerKey(press("Escape"), { replying: true, attached: true }), "cancelReply");
    assert.equal(composerKey(press("Escape"), { replying: false, attached: true }), "dropAttachment");
    assert.equal(composerKey(press("Escape"), idle), "none");
    assert.equal(composerKey(press("a"), idle), "none");
  });
});

describe("code fences and inline marks", () => {
  it("finds fenced blocks with their language", () => {
    assert.deepEqual(splitFences("Look:\n```Python\ndef f():\n    return 1\n```\nthanks"), [
      { kind: "text", text: "Look:" },
      { kind: "code", language: "python", code: "def f():\n    return 1" },
      { kind: "text", text: "thanks" },
    ]);
  });

  it("finds a block without a language, and one on a single line", () => {
    assert.deepEqual(splitFences("```\nls -la\n```"), [{ kind: "code", language: "", code: "ls -la" }]);
    assert.deepEqual(splitFences("run ```npm test``` now"), [
      { kind: "text", text: "run " },
      { kind: "code", language: "", code: "npm test" },
      { kind: "text", text: " now" },
    ]);
  });

  it("takes a fence left open (a message cut in parts) to the end", () => {
    assert.deepEqual(splitFences("part 2\n```go\nfunc main() {"), [
      { kind: "text", text: "part 2" },
      { kind: "code", language: "go", code: "func main() {" },
    ]);
  });

  it("leaves plain text alone", () => {
    assert.deepEqual(splitFences("just `a` word"), [{ kind: "text", text: "just `a` word" }]);
    assert.deepEqual(splitFences(""), []);
    assert.deepEqual(splitFences("``````"), [{ kind: "text", text: "``````" }]);
  });

  it("marks inline code and http(s) links only", () => {
    assert.deepEqual(splitInline("see `x()` at https://example.com/a?b=1. Or javascript:alert(1)"), [
      { kind: "text", text: "see " },
      { kind: "code", text: "x()" },
      { kind: "text", text: " at " },
      { kind: "link", text: "https://example.com/a?b=1", url: "https://example.com/a?b=1" },
      { kind: "text", text: ". Or javascript:alert(1)" },
    ]);
  });

  it("makes quotes and search marks", () => {
    assert.equal(firstLine("```py\nprint(1)\n```"), "print(1)");
    assert.equal(firstLine("a".repeat(200), 10), "aaaaaaaaa…");
    assert.deepEqual(markWords("Deploy failed: deploy again", "deploy"), [
      { text: "Deploy", hit: true },
      { text: " failed: ", hit: false },
      { text: "deploy", hit: true },
      { text: " again", hit: false },
    ]);
    assert.deepEqual(markWords("a (b) c", "(b)"), [
      { text: "a ", hit: false },
      { text: "(b)", hit: true },
      { text: " c", hit: false },
    ]);
  });
});

describe("countdowns", () => {
  it("formats seconds left", () => {
    assert.deepEqual([0, 1, 59, 60, 65, 599, 3600, 3725].map(formatWait), ["a moment", "1 s", "59 s", "1 min 00 s", "1 min 05 s", "9 min 59 s", "1 h 00 min", "1 h 02 min"]);
    assert.equal(formatWait(4.2), "5 s");
  });

  it("counts down from the moment the wait was heard of", () => {
    assert.equal(secondsLeft(40_000, 10_000), 30);
    assert.equal(secondsLeft(40_000, 39_001), 1);
    assert.equal(secondsLeft(40_000, 50_000), 0);
  });
});

describe("highlighting and the QR code", () => {
  it("colours a named language and escapes what it is given", () => {
    const python = highlight("def f():\n    return 'x'", "py")!;
    assert.equal(python.language, "python");
    assert.match(python.html, /<span class="hljs-keyword">def<\/span>/);
    const hostile = highlight('const a = "<img src=x onerror=alert(1)>";', "typescript")!;
    assert.doesNotMatch(hostile.html, /<img/);
    assert.match(hostile.html, /&lt;img/);
    assert.equal(highlight("x", "brainfuck"), undefined);
    assert.equal(highlight("hello there", ""), undefined, "plain words are not guessed as code");
  });

  it("draws the pairing link as a QR code with its quiet zone", () => {
    const { size, path: drawn } = qrPath("https://t.me/tgbridge_bot?start=ABCD1234");
    assert.ok(size >= 21 + 8 && (size - 8 - 17) % 4 === 0, `size ${size}`);
    assert.match(drawn, /^M4 4h1v1h-1z/, "the finder pattern starts at the quiet zone's corner");
  });
});

describe("received files", () => {
  it("opens only paths the host showed the page", () => {
    const files = new ReceivedFiles();
    files.remember("/state/files/a.txt");
    files.remember("relative/b.txt");
    files.remember(null);
    assert.equal(files.allows("/state/files/a.txt"), true);
    assert.equal(files.allows("relative/b.txt"), false);
    assert.equal(files.allows("/etc/passwd"), false);
    assert.equal(files.allows("/state/files/../../etc/passwd"), false);
  });

  it("tells text from binary by a NUL in the first 8 KB, and refuses symlinks", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tgbridge-files-"));
    const text = path.join(dir, "notes.txt");
    const binary = path.join(dir, "image.png");
    const late = path.join(dir, "late.bin");
    const link = path.join(dir, "link.txt");
    writeFileSync(text, "hello\n".repeat(5000));
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    writeFileSync(late, Buffer.concat([Buffer.alloc(9000, 0x41), Buffer.from([0])]));
    symlinkSync(text, link);
    assert.equal(await fileKind(text), "text");
    assert.equal(await fileKind(binary), "binary");
    assert.equal(await fileKind(late), "text", "only the first 8 KB are read");
    assert.equal(await fileKind(link), "missing");
    assert.equal(await fileKind(dir), "missing");
    assert.equal(await fileKind(path.join(dir, "gone")), "missing");
  });
});

describe("the view's DOM", () => {
  const { document, window } = parseHTML("<!DOCTYPE html><html><body></body></html>");
  // Code is coloured after the next frame.
  const requestAnimationFrame = (callback: (time: number) => void) => setTimeout(() => callback(performance.now()), 0);
  Object.assign(globalThis, { document, window, requestAnimationFrame });
  const running: StatusResult = {
    connection: { state: "waiting", detail: "Telegram asked to wait 30 s before sending more.", waitSeconds: 30 },
    hubPid: 1,
    python: { executable: "/usr/bin/python3", version: "3.12.1" },
    settingsError: null,
    version: "0.1.0",
    workspaceFolders: [{ name: "repo", uri: "file:///repo" }],
  };

  function render(model: Model): HTMLElement {
    const root = document.createElement("main");
    const view = new ChatView(root as unknown as HTMLElement, () => undefined);
    view.update(model, 1_700_000_100_000, null);
    return root as unknown as HTMLElement;
  }

  it("inserts every text from Telegram as text", () => {
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    let model = run(loaded(1), { kind: "state", state: { kind: "running", status: running } });
    model = run(
      model,
      { kind: "chats", chats: [{ chatId: CHAT, title: hostile, last: msg(1) }], people: [{ id: 1001, name: `<b>${hostile}</b>` }], chatId: null },
      { kind: "message", message: msg(2, { text: `${hostile}\n\`\`\`html\n${hostile}\n\`\`\``, replyTo: 1, filePath: `/state/files/${hostile}.txt` }), seen: true },
      { kind: "message", message: msg(3, { text: "quoting", replyTo: 2 }), seen: true },
    );
    const root = render(model);
    assert.equal(root.querySelectorAll("img, script, b").length, 0);
    assert.ok(root.textContent!.includes(hostile));
  });

  it("has the hooks the editor test uses", () => {
    let model = run(loaded(3), { kind: "state", state: { kind: "running", status: running } });
    model = run(
      model,
      { kind: "message", message: msg(4, { replyTo: 1, edited: true }), seen: false },
      { kind: "queueSends", sends: [pending("key-hhhhhhhh"), pending("key-iiiiiiii", { text: "second" })] },
      { kind: "sendResult", clientKey: "key-hhhhhhhh", sendId: 90, error: null, seq: 1 },
      { kind: "sendResult", clientKey: "key-iiiiiiii", sendId: 91, error: null, seq: 1 },
      { kind: "outbox", items: [{ sendId: 90, chatId: CHAT, state: "waiting", preview: "hello", error: null, waitSeconds: 12, createdAt: 1 }, { sendId: 91, chatId: CHAT, state: "failed", preview: "second", error: "PEER_FLOOD", waitSeconds: null, createdAt: 2 }], seq: 2, now: 1_700_000_100_000 },
      { kind: "pairing", pairing: { code: "K7Q2M9", link: "https://t.me/tgbridge_bot?start=K7Q2M9", expiresAt: 1_700_000_700, botName: "tgbridge_bot", detail: "Send the code to the bot." } },
    );
    const root = render(model);
    const one = (selector: string): Element => {
      const found = root.querySelector(selector);
      assert.ok(found, selector);
      return found;
    };
    assert.equal(one('[data-testid="connection-state"]').textContent, "waiting");
    assert.match(one('[data-testid="workspace-folders"]').textContent!, /repo/);
    assert.deepEqual(Array.from(root.querySelectorAll('[data-testid="chat-message"]')).map((el) => el.getAttribute("data-message-id")), ["1", "2", "3", "4"]);
    assert.equal(root.querySelectorAll('[data-testid="chat-reply"]').length, 4);
    assert.match(one('[data-message-id="4"] [data-testid="reply-quote"]').textContent!, /message 1/);
    assert.ok(one('[data-message-id="4"] [data-testid="chat-edited"]'));
    assert.match(one('[data-message-id="1"] [data-testid="chat-thread"]').textContent!, /1 reply/);
    assert.ok(one('[data-message-id="4"] time[datetime]'));
    assert.equal(one('[data-testid="chat-messages"]').getAttribute("role"), "log");
    assert.equal(one('[data-testid="chat-messages"]').getAttribute("aria-live"), "polite");
    for (const id of ["chat-composer", "chat-send", "chat-search", "chat-attach", "unread", "outbox-summary"]) one(`[data-testid="${id}"]`);
    assert.deepEqual(Array.from(root.querySelectorAll('[data-testid="outbox-item"]')).map((el) => el.getAttribute("data-state")), ["waiting", "failed"]);
    assert.match(one('[data-testid="outbox-item"][data-state="waiting"]').textContent!, /12 s/);
    assert.equal(root.querySelectorAll('[data-testid="outbox-retry"]').length, 1);
    assert.equal(root.querySelectorAll('[data-testid="outbox-cancel"]').length, 2);
    assert.equal(one('[data-testid="pairing-code"]').textContent, "K7Q2M9");
    assert.ok(one('[data-testid="pairing-qr"] svg path'));
    assert.equal(one('[data-testid="unread"]').getAttribute("data-count"), "1");
    for (const button of Array.from(root.querySelectorAll("button"))) {
      assert.ok(button.textContent!.trim() || button.getAttribute("aria-label"), `a button without a label: ${button.outerHTML}`);
    }
  });

  it("keeps the status page for a sidecar that stopped", () => {
    const root = render(run(initialModel(), { kind: "state", state: { kind: "stopped", reason: "restarting in 2 s" } }));
    assert.match(root.querySelector('[data-testid="sidecar-state"]')!.textContent!, /not running: restarting in 2 s/);
    assert.ok(root.querySelector('[data-testid="restart-sidecar"]'));
    assert.ok(root.querySelector('[data-testid="show-logs"]'));
  });
});

describe("the page, driven as the host drives it", () => {
  it("posts only what the host accepts: ready, the first paint, a send, a file to open", async () => {
    // The host writes what it read ahead into the page (chatPage.ts): the page shows it
    // before any message from the host.
    const history = Array.from({ length: 100 }, (_, i) => msg(1000 - i, i === 10 ? { filePath: "/state/files/report.txt" } : {}));
    const readAhead = [
      { type: "state", state: { kind: "running", status: { connection: { state: "online", detail: "Online", waitSeconds: null }, hubPid: 1, python: { executable: "python3", version: "3.12" }, settingsError: null, version: "0.1.0", workspaceFolders: [] } } },
      { type: "chats", chats: [{ chatId: CHAT, title: "Ann", last: history[0] }], people: [{ id: 1001, name: "Ann" }], chatId: CHAT },
      { type: "history", chatId: CHAT, messages: history, nextCursor: 5000, mode: "latest", reveal: null },
    ];
    const page = chatPageHtml(extensionWithScript(""), readAhead);
    const { document, Event } = parseHTML(page.replace(/<script nonce[^>]*>.*?<\/script>/s, ""));
    Object.defineProperty(document, "visibilityState", { value: "visible" });
    const posted: unknown[] = [];
    let saved: unknown;
    const listeners = new Map<string, (event: { data: unknown }) => void>();
    const realInterval = globalThis.setInterval;
    Object.assign(globalThis, {
      document,
      window: { addEventListener: (type: string, listener: (event: { data: unknown }) => void) => listeners.set(type, listener) },
      acquireVsCodeApi: () => ({ postMessage: (message: unknown) => posted.push(message), getState: () => undefined, setState: (state: unknown) => (saved = state) }),
      requestAnimationFrame: (callback: (time: number) => void) => setTimeout(() => callback(performance.now()), 0),
      cancelAnimationFrame: (handle: ReturnType<typeof setTimeout>) => clearTimeout(handle),
      // The page's one-second countdown tick would keep this process alive.
      setInterval: () => 0,
    });
    /** Waits (a few frames at least, two seconds at most) for what the page renders. */
    const until = async (done: () => boolean): Promise<void> => {
      const deadline = Date.now() + 2000;
      do await new Promise((resolve) => setTimeout(resolve, 20));
      while (!done() && Date.now() < deadline);
    };
    const host = (data: unknown): void => listeners.get("message")!({ data });
    try {
      await import("../../extension/webview/main");
    } finally {
      globalThis.setInterval = realInterval;
    }
    // Rendered while the script ran: before the first frame, before any answer.
    assert.equal(document.querySelectorAll('[data-testid="chat-message"]').length, 100);
    assert.deepEqual(posted, [{ type: "ready", chatId: CHAT }]);
    host({ type: "unread", byChat: {} });
    await until(() => posted.some((message) => (message as FromWebview).type === "painted"));
    assert.ok(posted.some((message) => (message as FromWebview).type === "painted" && (message as { count?: number }).count === 100));

    const composer = document.querySelector('[data-testid="chat-composer"]') as unknown as HTMLTextAreaElement;
    (document.querySelector('[data-message-id="995"] [data-testid="chat-reply"]') as unknown as HTMLElement).click();
    composer.value = "on my way";
    composer.dispatchEvent(new Event("input"));
    const enter = Object.assign(new Event("keydown"), { key: "Enter", shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, isComposing: false, keyCode: 13 });
    composer.dispatchEvent(enter);
    await until(() => document.querySelector('[data-testid="outbox-item"]') !== null);
    const send = posted.find((message) => (message as FromWebview).type === "send") as Extract<FromWebview, { type: "send" }>;
    assert.equal(send.text, "on my way");
    assert.equal(send.replyTo, 995);
    assert.equal(send.chatId, CHAT);
    assert.match(send.clientKey, /^[0-9a-f-]{36}$/);
    assert.equal(composer.value, "");
    assert.equal(document.querySelector('[data-testid="outbox-item"]')!.getAttribute("data-state"), "queued");
    // The page saves its state at most every 250 ms.
    await until(() => ((saved as { pending?: PendingSend[] } | undefined)?.pending?.length ?? 0) > 0);
    assert.deepEqual((saved as { pending: PendingSend[] }).pending.map((each) => each.clientKey), [send.clientKey]);

    host({ type: "sendResult", clientKey: send.clientKey, sendId: 7, error: null, seq: 1 });
    host({ type: "status", status: status(7, "sent", { telegramIds: [1001] }) });
    await until(() => document.querySelector('[data-message-id="1001"]') !== null);
    assert.equal(document.querySelectorAll('[data-testid="outbox-item"]').length, 0);
    assert.match(document.querySelector('[data-message-id="1001"]')!.textContent!, /You.*on my way/s);
    assert.match(document.querySelector('[data-message-id="1001"] [data-testid="reply-quote"]')!.textContent!, /message 995/);

    (document.querySelector('[data-testid="chat-file"]') as unknown as HTMLElement).click();
    assert.deepEqual(posted.at(-1), { type: "openFile", path: "/state/files/report.txt" });

    // A pairing code shows until a phone got in with it; then the view says who.
    const pairingPanel = document.querySelector('[data-testid="pairing"]') as unknown as HTMLElement;
    host({ type: "pairing", code: "ABCD2345", link: null, expiresAt: Date.now() / 1000 + 600, botName: null, detail: "Send /start ABCD2345" });
    await until(() => !pairingPanel.hidden);
    assert.equal(pairingPanel.hidden, false);
    host({ type: "paired", name: "@ann", role: "owner" });
    await until(() => pairingPanel.hidden);
    assert.equal(pairingPanel.hidden, true);
    assert.match(document.querySelector('[data-testid="notice"]')!.textContent!, /@ann's phone is paired \(owner\)/);

    for (const message of posted) assert.deepEqual(parseFromWebview(JSON.parse(JSON.stringify(message))), message, JSON.stringify(message));
  });
});
