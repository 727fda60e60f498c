// The Chat view's DOM: built once, then brought up to date from the model section by
// section (a section whose inputs kept their identity is left alone). Messages are keyed
// by id and reused, so a new message or an older page touches only what changed, and the
// first page is built in a DocumentFragment before it meets the document.
// Every text from Telegram goes in as text (dom.ts); the only markup inserted is
// highlight.js's output for code blocks (see highlight.ts).
import type { ChatMessage, StatusResult } from "../src/protocol";
import type { ViewState } from "../src/statusText";
import type { WebviewCommand } from "../src/webviewProtocol";
import { button, h, type Child } from "./dom";
import { highlight } from "./highlight";
import { markWords, splitFences, splitInline } from "./markup";
import {
  chatTitle,
  findMessage,
  outboxCounts,
  outboxRows,
  preview,
  rowsHere,
  senderName,
  threads,
  totalUnread,
  type Model,
  type OutboxRow,
  type SearchState,
} from "./model";
import { qrSvg } from "./qr";
import { dayKey, dayLabel, formatClock, formatFull, formatWait, isoTime, secondsLeft } from "./time";

export type Intent =
  | { kind: "command"; command: WebviewCommand }
  | { kind: "selectChat"; chatId: number }
  | { kind: "search"; query: string }
  | { kind: "searchMore" }
  | { kind: "closeSearch" }
  | { kind: "openResult"; message: ChatMessage }
  | { kind: "reply"; messageId: number }
  | { kind: "cancelReply" }
  | { kind: "jumpTo"; messageId: number }
  | { kind: "send" }
  | { kind: "draft"; text: string }
  | { kind: "composerKey"; event: KeyboardEvent }
  | { kind: "attach" }
  | { kind: "dropAttachment" }
  | { kind: "retry"; row: OutboxRow }
  | { kind: "cancel"; row: OutboxRow }
  | { kind: "openFile"; path: string }
  | { kind: "loadOlder" }
  | { kind: "scrolled" }
  | { kind: "closePairing" }
  | { kind: "copy"; text: string; what: string }
  | { kind: "jumpToUnread" };

/** What a render did that the caller acts on. */
export interface Rendered {
  /** The message the model asked to reveal is on screen now. */
  revealed: boolean;
  /** The chat's first page was put on screen by this render (how many messages). */
  firstPaint: number | null;
}

const BOTTOM_SLACK = 32;
const HIGHLIGHT_BUDGET_MS = 8;

/** The children worth adding (conditional ones may be false or null). */
function nodes(...children: Child[]): (Node | string)[] {
  return children.filter((child): child is Node | string => Boolean(child));
}

const NO_REPLIES: readonly number[] = [];

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

interface CachedMessage {
  el: HTMLElement;
  message: ChatMessage;
  parent: ChatMessage | undefined;
  replies: readonly number[];
  people: ReadonlyMap<number, string>;
}

export class ChatView {
  private readonly status = h("header", { class: "status", "aria-label": "tgbridge status" });
  private readonly pairing = h("section", { class: "pairing", hidden: true, "aria-label": "Pair your phone", "data-testid": "pairing" });
  private readonly chatSlot = h("div", { class: "chat-picker" });
  private readonly search = h("input", {
    type: "search",
    class: "search",
    placeholder: "Search history",
    "aria-label": "Search the chat history",
    "data-testid": "chat-search",
    spellcheck: "false",
  });
  private readonly results = h("section", { class: "results", hidden: true, "aria-label": "Search results", "data-testid": "search-results" });
  private readonly notice = h("div", { class: "notice", role: "status", "data-testid": "notice" });
  private readonly log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0", "data-testid": "chat-messages" });
  private readonly older = h("div", { class: "older" });
  private readonly list = h("div", { class: "list" });
  private readonly pendingList = h("div", { class: "pending" });
  private readonly empty = h("p", { class: "empty muted", hidden: true, "data-testid": "chat-empty" });
  private readonly unreadButton = h("button", { type: "button", class: "unread-jump", hidden: true, "data-testid": "unread" });
  private readonly outbox = h("div", { class: "outbox" });
  private readonly outboxToggle = h("button", { type: "button", class: "outbox-summary link", "data-testid": "outbox-summary", hidden: true });
  private readonly outboxPanel = h("div", { class: "outbox-panel", role: "region", hidden: true, "aria-label": "Messages waiting in other chats" });
  private readonly replyBar = h("div", { class: "composer-bar", hidden: true, "data-testid": "reply-target" });
  private readonly attachBar = h("div", { class: "composer-bar", hidden: true, "data-testid": "attachment" });
  private readonly composer = h("textarea", {
    class: "composer",
    rows: "1",
    placeholder: "Message (Enter to send, Shift+Enter for a new line)",
    "aria-label": "Message",
    "data-testid": "chat-composer",
  });
  private readonly sendButton = h("button", { type: "submit", class: "primary", "data-testid": "chat-send", "aria-label": "Send message" }, "Send");

  private readonly cache = new Map<number, CachedMessage>();
  private readonly dividers = new Map<string, HTMLElement>();
  private readonly unreadDivider = h("div", { class: "divider unread-divider", role: "separator" }, "New messages");
  private readonly highlightQueue: { code: HTMLElement; text: string; language: string; label: HTMLElement }[] = [];
  private highlightPending = false;
  private last: Partial<Record<string, unknown>> = {};
  private renderedChat: number | null | undefined;
  private positioned = false;
  private outboxOpen = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly emit: (intent: Intent) => void,
  ) {
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.emit({ kind: "search", query: this.search.value });
      } else if (event.key === "Escape" && this.search.value) {
        event.preventDefault();
        this.search.value = "";
        this.emit({ kind: "closeSearch" });
      }
    });
    this.search.addEventListener("search", () => {
      if (!this.search.value) this.emit({ kind: "closeSearch" });
    });
    this.log.addEventListener("scroll", () => this.emit({ kind: "scrolled" }), { passive: true });
    this.unreadButton.addEventListener("click", () => this.emit({ kind: "jumpToUnread" }));
    this.outboxToggle.addEventListener("click", () => {
      // Sends waiting in other chats open below; those of this chat are at its bottom.
      if (this.outboxPanel.childElementCount === 0) {
        this.scrollToBottom();
        return;
      }
      this.outboxOpen = !this.outboxOpen;
      this.outboxToggle.setAttribute("aria-expanded", String(this.outboxOpen));
      this.outboxPanel.hidden = !this.outboxOpen;
    });
    this.composer.addEventListener("input", () => {
      this.fitComposer();
      this.emit({ kind: "draft", text: this.composer.value });
    });
    this.composer.addEventListener("keydown", (event) => this.emit({ kind: "composerKey", event }));
    const form = h(
      "form",
      { class: "composer-form", "aria-label": "Write a message" },
      this.replyBar,
      this.attachBar,
      this.composer,
      h(
        "div",
        { class: "composer-actions" },
        button("Attach selection", () => this.emit({ kind: "attach" }), {
          class: "secondary",
          "data-testid": "chat-attach",
          title: "Attach the active editor's selection as a code block",
        }),
        this.sendButton,
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.emit({ kind: "send" });
    });
    this.log.append(this.older, this.list, this.pendingList, this.empty);
    this.outbox.append(this.outboxToggle, this.outboxPanel);
    root.replaceChildren(
      this.status,
      this.pairing,
      h("div", { class: "toolbar" }, this.chatSlot, this.search),
      this.results,
      this.notice,
      h("div", { class: "log-wrap" }, this.log, this.unreadButton),
      this.outbox,
      form,
    );
  }

  /** Brings the DOM up to date with `model`; `restore` is the scroll position saved
   * before the view was hidden, used for the chat's first page. */
  update(model: Model, now: number, restore: { messageId: number; offset: number } | null): Rendered {
    const changed = (key: string, ...values: unknown[]): boolean => {
      const previous = this.last[key] as unknown[] | undefined;
      if (previous && previous.length === values.length && previous.every((value, index) => value === values[index])) return false;
      this.last[key] = values;
      return true;
    };
    // Where the list stands before anything in it changes: kept at the bottom if it was
    // there, else on the same message.
    const keepBottom = this.positioned && this.isAtBottom();
    const keepAnchor = this.positioned && !keepBottom ? this.anchor() : null;
    if (changed("status", model.sidecar)) this.renderStatus(model.sidecar);
    if (changed("pairing", model.pairing)) this.renderPairing(model, now);
    if (changed("chats", model.chats, model.chatId, model.unread)) this.renderChatPicker(model);
    if (changed("search", model.search, model.chats)) this.renderResults(model, model.search, now);
    if (changed("notice", model.notice)) this.renderNotice(model);
    const rows = outboxRows(model);
    const rowsKey = rows.map((row) => `${row.key}:${row.state}:${row.sending}:${row.error}:${row.detail}:${row.until}:${row.chatId}`).join("|");
    if (changed("outbox", rowsKey, model.chatId, model.chats)) this.renderOutbox(model, rows, now);
    if (changed("composer", model.replyTo, model.attachment, model.messages, model.sidecar, model.chatId, model.chats)) this.renderComposer(model);
    if (this.composer.value !== model.draft) {
      this.composer.value = model.draft;
      this.fitComposer();
    }
    const result: Rendered = { revealed: false, firstPaint: null };
    if (changed("messages", model.messages, model.people, model.unreadIds, model.chatId, model.history, model.nextCursor, model.olderLoading, model.sidecar)) {
      result.firstPaint = this.renderMessages(model, now, restore);
    }
    if (this.positioned && result.firstPaint === null) {
      if (keepBottom) this.scrollToBottom();
      else if (keepAnchor) this.restoreAnchor(keepAnchor);
    }
    if (model.reveal !== null && this.positioned) result.revealed = this.reveal(model.reveal);
    this.renderUnreadButton(model);
    return result;
  }

  /** The countdowns (waits, the pairing code) one second on. */
  tick(now: number): void {
    for (const node of Array.from(this.root.querySelectorAll<HTMLElement>("[data-until]"))) {
      const left = secondsLeft(Number(node.dataset.until), now);
      node.textContent = node.dataset.format === "expiry" ? (left > 0 ? formatWait(left) : "expired") : formatWait(left);
    }
  }

  isAtBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight <= BOTTOM_SLACK;
  }

  /** Near the top, or the messages do not fill the view: time for an older page. */
  wantsOlder(): boolean {
    return this.log.scrollTop < 120 || this.log.scrollHeight <= this.log.clientHeight;
  }

  /** The first message in view and how far it is scrolled past; null at the bottom. */
  anchor(): { messageId: number; offset: number } | null {
    if (this.isAtBottom()) return null;
    const top = this.log.getBoundingClientRect().top;
    for (const node of Array.from(this.list.children)) {
      const el = node as HTMLElement;
      if (!el.dataset.messageId) continue;
      const rect = el.getBoundingClientRect();
      if (rect.bottom > top) return { messageId: Number(el.dataset.messageId), offset: top - rect.top };
    }
    return null;
  }

  scrollToBottom(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Scrolls to the first unread message (or the bottom). */
  scrollToUnread(): void {
    if (this.unreadDivider.isConnected) this.unreadDivider.scrollIntoView({ block: "start" });
    else this.scrollToBottom();
  }

  /** Brings a loaded message into view, marks it for a moment and moves focus to it. */
  reveal(messageId: number): boolean {
    const cached = this.cache.get(messageId);
    if (!cached) return false;
    cached.el.scrollIntoView({ block: "center" });
    cached.el.classList.remove("flash");
    void cached.el.offsetWidth; // restart the animation
    cached.el.classList.add("flash");
    cached.el.focus({ preventScroll: true });
    return true;
  }

  focusComposer(): void {
    this.composer.focus();
  }

  focusSearch(query: string | null): void {
    if (query !== null) this.search.value = query;
    this.search.focus();
    this.search.select();
  }

  // ---- sections ----

  private renderStatus(state: ViewState): void {
    if (state.kind === "starting") {
      this.status.replaceChildren(h("p", { class: "muted", "data-testid": "sidecar-state" }, "Starting tgbridge…"));
      return;
    }
    if (state.kind === "stopped") {
      this.status.replaceChildren(
        h("p", { class: "error", "data-testid": "sidecar-state" }, `The sidecar is not running: ${state.reason}`),
        h(
          "div",
          { class: "actions" },
          button("Restart sidecar", () => this.emit({ kind: "command", command: "tgbridge.restartSidecar" }), { "data-testid": "restart-sidecar" }),
          button("Show logs", () => this.emit({ kind: "command", command: "tgbridge.showLogs" }), { class: "secondary", "data-testid": "show-logs" }),
        ),
      );
      return;
    }
    const status: StatusResult = state.status;
    const connection = status.connection;
    const folders = status.workspaceFolders.map((folder) => folder.name).join(", ") || "none";
    const needsLogIn = connection.state === "not configured" || connection.state === "unauthorized";
    const row = (label: string, value: string, testId: string): HTMLElement =>
      h("div", { class: "row" }, h("dt", {}, label), h("dd", { "data-testid": testId }, value));
    this.status.replaceChildren(
      ...nodes(
      h(
        "div",
        { class: "status-line" },
        h("span", { class: `dot ${connection.state.replace(" ", "-")}`, "aria-hidden": "true" }),
        h("span", { class: "muted" }, "Telegram: "),
        h("span", { class: "connection", "data-testid": "connection-state" }, connection.state),
        needsLogIn && button("Log in", () => this.emit({ kind: "command", command: "tgbridge.logIn" }), { class: "small", "data-testid": "log-in" }),
      ),
      h("p", { class: "muted detail", "data-testid": "connection-detail" }, connection.detail),
      status.settingsError && h("p", { class: "error", "data-testid": "settings-error" }, status.settingsError),
      h(
        "details",
        { class: "status-details" },
        h("summary", {}, "Details"),
        h(
          "dl",
          { "data-testid": "status" },
          row("Workspace", folders, "workspace-folders"),
          row("Sidecar", `tgbridge ${status.version}`, "sidecar-version"),
          row("Python", `${status.python.version} — ${status.python.executable}`, "python"),
        ),
      ),
      ),
    );
  }

  private renderPairing(model: Model, now: number): void {
    const pairing = model.pairing;
    this.pairing.hidden = pairing === null;
    if (!pairing) {
      this.pairing.replaceChildren();
      return;
    }
    const until = pairing.expiresAt * 1000;
    const link = pairing.link && /^https:\/\//.test(pairing.link) ? pairing.link : null;
    this.pairing.replaceChildren(
      ...nodes(
      h(
        "div",
        { class: "pairing-head" },
        h("h2", {}, "Pair your phone"),
        button("×", () => this.emit({ kind: "closePairing" }), { class: "icon", "aria-label": "Close pairing", "data-testid": "pairing-close" }),
      ),
      h("p", {}, pairing.detail),
      h("div", { class: "pairing-code", "data-testid": "pairing-code", "aria-label": `Pairing code ${pairing.code.split("").join(" ")}` }, pairing.code),
      h(
        "div",
        { class: "actions" },
        button("Copy code", () => this.emit({ kind: "copy", text: pairing.code, what: "The pairing code" }), { class: "secondary small" }),
        link && button("Copy link", () => this.emit({ kind: "copy", text: link, what: "The pairing link" }), { class: "secondary small" }),
      ),
      link && h("a", { href: link, class: "pairing-link", "data-testid": "pairing-link" }, link),
      link && h("div", { class: "qr-box", "data-testid": "pairing-qr" }, qrSvg(document, link, `QR code of ${link}`)),
      h(
        "p",
        { class: "muted" },
        "Expires in ",
        h("span", { "data-until": String(until), "data-format": "expiry", "data-testid": "pairing-expires" }, formatWait(secondsLeft(until, now))),
      ),
      ),
    );
  }

  private renderChatPicker(model: Model): void {
    const unread = (chatId: number): string => {
      const count = model.unread[String(chatId)] ?? 0;
      return count ? ` (${count} unread)` : "";
    };
    if (model.chats.length > 1) {
      const select = h("select", { "aria-label": "Chat", "data-testid": "chat-picker" });
      if (model.chatId === null || !model.chats.some((chat) => chat.chatId === model.chatId)) {
        select.append(h("option", { value: "", selected: true, disabled: true }, model.chatId === null ? "Choose a chat" : chatTitle(model, model.chatId)));
      }
      for (const chat of model.chats) {
        select.append(h("option", { value: String(chat.chatId), selected: chat.chatId === model.chatId }, chat.title + unread(chat.chatId)));
      }
      select.addEventListener("change", () => {
        if (select.value) this.emit({ kind: "selectChat", chatId: Number(select.value) });
      });
      const focused = this.chatSlot.contains(document.activeElement);
      this.chatSlot.replaceChildren(select);
      if (focused) select.focus();
    } else if (model.chats.length === 1) {
      this.chatSlot.replaceChildren(h("span", { class: "chat-title", "data-testid": "chat-title" }, model.chats[0]!.title));
    } else {
      this.chatSlot.replaceChildren(h("span", { class: "chat-title muted", "data-testid": "chat-title" }, "No chats yet"));
    }
  }

  private renderResults(model: Model, search: SearchState, now: number): void {
    this.results.hidden = !search.open;
    if (!search.open) {
      this.results.replaceChildren();
      return;
    }
    const head = h(
      "div",
      { class: "results-head" },
      h("span", { role: "status" }, search.loading ? "Searching…" : search.error ? search.error : `${search.results.length}${search.nextCursor !== null ? "+" : ""} found`),
      button("×", () => this.emit({ kind: "closeSearch" }), { class: "icon", "aria-label": "Close search results" }),
    );
    const list = h("ul", { class: "result-list" });
    const manyChats = new Set(search.results.map((m) => m.chatId)).size > 1 || search.results.some((m) => m.chatId !== model.chatId);
    for (const message of search.results) {
      const snippet = h("span", { class: "result-text" });
      for (const piece of markWords(preview(message), search.query)) snippet.append(piece.hit ? h("mark", {}, piece.text) : piece.text);
      const item = button("", () => this.emit({ kind: "openResult", message }), {
        class: "result",
        "data-testid": "search-result",
        "data-message-id": String(message.messageId),
        "data-chat-id": String(message.chatId),
      });
      item.append(
        h(
          "span",
          { class: "result-meta muted" },
          `${senderName(model, message)}${manyChats ? ` in ${chatTitle(model, message.chatId)}` : ""} · `,
          h("time", { datetime: isoTime(message.date) }, formatClock(message.date, now)),
        ),
        snippet,
      );
      list.append(h("li", {}, item));
    }
    this.results.replaceChildren(head, list);
    if (search.nextCursor !== null && !search.loading) {
      this.results.append(button("More results", () => this.emit({ kind: "searchMore" }), { class: "secondary small" }));
    }
  }

  private renderNotice(model: Model): void {
    const notice = model.notice;
    this.notice.className = `notice ${notice?.level ?? ""}`;
    this.notice.textContent = notice?.text ?? "";
  }

  private renderComposer(model: Model): void {
    const target = model.replyTo === null ? undefined : findMessage(model, model.replyTo);
    this.replyBar.hidden = model.replyTo === null;
    if (model.replyTo !== null) {
      this.replyBar.replaceChildren(
        h(
          "span",
          { class: "bar-text" },
          "Replying to ",
          h("strong", {}, target ? senderName(model, target) : "a message"),
          target ? `: ${preview(target)}` : "",
        ),
        button("×", () => this.emit({ kind: "cancelReply" }), { class: "icon", "aria-label": "Cancel reply", "data-testid": "reply-cancel" }),
      );
    }
    const attachment = model.attachment;
    this.attachBar.hidden = attachment === null;
    if (attachment) {
      const lines = attachment.range ? `:${attachment.range.start.line + 1}-${attachment.range.end.line + 1}` : "";
      this.attachBar.replaceChildren(
        h("span", { class: "bar-text" }, "Code: ", h("strong", {}, `${attachment.path || "selection"}${lines}`), attachment.language ? ` (${attachment.language})` : ""),
        button("×", () => this.emit({ kind: "dropAttachment" }), { class: "icon", "aria-label": "Remove the attached selection", "data-testid": "attachment-remove" }),
      );
    }
    const running = model.sidecar.kind === "running";
    this.sendButton.disabled = !running;
    this.sendButton.title = running ? `Send to ${chatTitle(model, model.chatId)}` : "The tgbridge sidecar is not running";
  }

  private renderOutbox(model: Model, rows: OutboxRow[], now: number): void {
    this.pendingList.replaceChildren(...rowsHere(model, rows).map((row) => this.outboxRow(model, row, now, false)));
    const here = new Set(rowsHere(model, rows));
    const elsewhere = rows.filter((row) => !here.has(row));
    const counts = outboxCounts(rows);
    const parts: (string | Node)[] = [];
    const add = (...pieces: (string | Node)[]): void => {
      if (parts.length) parts.push(" · ");
      parts.push(...pieces);
    };
    if (counts.queued) add(`${counts.queued} queued`);
    if (counts.waiting) {
      add(`${counts.waiting} waiting`);
      if (counts.until !== null) parts.push(" (", h("span", { "data-until": String(counts.until) }, formatWait(secondsLeft(counts.until, now))), ")");
    }
    if (counts.failed) add(`${counts.failed} failed`);
    this.outboxToggle.hidden = parts.length === 0;
    this.outboxToggle.replaceChildren(...parts);
    this.outboxToggle.title = elsewhere.length ? "Show the messages waiting in other chats" : "Show the messages waiting in this chat";
    this.outboxPanel.replaceChildren(...elsewhere.map((row) => this.outboxRow(model, row, now, true)));
    if (elsewhere.length) {
      this.outboxToggle.setAttribute("aria-expanded", String(this.outboxOpen));
    } else {
      this.outboxPanel.hidden = true;
      this.outboxOpen = false;
      this.outboxToggle.removeAttribute("aria-expanded");
    }
  }

  private outboxRow(model: Model, row: OutboxRow, now: number, withChat: boolean): HTMLElement {
    const state =
      row.state === "failed"
        ? h("span", { class: "state error" }, `Not sent${row.error ? `: ${row.error}` : ""}`)
        : row.state === "waiting" && row.until !== null
          ? h("span", { class: "state waiting" }, "Waiting: Telegram allows the next send in ", h("span", { "data-until": String(row.until) }, formatWait(secondsLeft(row.until, now))))
          : h("span", { class: "state" }, row.sending ? "Queued (handing over…)" : "Queued", row.detail ? ` — ${row.detail}` : "");
    const actions = h("div", { class: "actions" });
    if (row.state === "failed") {
      actions.append(button("Retry", () => this.emit({ kind: "retry", row }), { class: "small", "data-testid": "outbox-retry", "aria-label": "Retry sending this message" }));
    }
    if (row.sendId !== null || row.state === "failed") {
      actions.append(button("Cancel", () => this.emit({ kind: "cancel", row }), { class: "secondary small", "data-testid": "outbox-cancel", "aria-label": "Cancel this message" }));
    }
    return h(
      "div",
      { class: `msg out pending ${row.state}`, "data-testid": "outbox-item", "data-state": row.state, "data-send-id": row.sendId === null ? null : String(row.sendId) },
      h("div", { class: "meta" }, h("span", { class: "sender" }, withChat ? `You → ${chatTitle(model, row.chatId)}` : "You"), state),
      this.body(row.text),
      actions,
    );
  }

  private renderUnreadButton(model: Model): void {
    const count = model.unreadIds.length;
    const show = count > 0 && !this.isAtBottom();
    this.unreadButton.hidden = !show;
    const total = totalUnread(model);
    this.unreadButton.textContent = `↓ ${count} new`;
    this.unreadButton.setAttribute("aria-label", `${count} new messages below; ${total} unread in all chats. Go to the first.`);
    this.unreadButton.dataset.count = String(count);
  }

  // ---- messages ----

  private renderMessages(model: Model, now: number, restore: { messageId: number; offset: number } | null): number | null {
    if (this.renderedChat !== model.chatId) {
      this.renderedChat = model.chatId;
      this.cache.clear();
      this.list.replaceChildren();
      this.positioned = false;
    }
    this.log.setAttribute("aria-label", `Messages in ${chatTitle(model, model.chatId)}`);
    this.renderOlder(model);
    const loaded = model.history === "loaded";
    this.empty.hidden = !(model.messages.length === 0 && (loaded || model.chatId === null));
    this.empty.textContent =
      model.sidecar.kind !== "running"
        ? "Messages show here once tgbridge is running."
        : model.chatId === null
          ? "No messages yet. Write one below (it goes to the tgbridge.defaultChat setting), or pair your phone with “tgbridge: Pair Phone”."
          : "No messages in this chat yet.";

    const bulk = !this.positioned || this.list.childElementCount === 0;
    if (bulk) this.log.setAttribute("aria-busy", "true");

    const byId = new Map(model.messages.map((m) => [m.messageId, m]));
    const replies = threads(model.messages);
    const unread = new Set(model.unreadIds);
    const nodes: Node[] = [];
    const wanted = new Set<number>();
    let lastDay = "";
    for (const message of model.messages) {
      const day = dayKey(message.date);
      if (day !== lastDay) {
        nodes.push(this.dayDivider(day, message.date, now));
        lastDay = day;
      }
      if (message.messageId === model.unreadIds[0]) nodes.push(this.unreadDivider);
      wanted.add(message.messageId);
      nodes.push(this.messageNode(model, message, byId, replies.get(message.messageId) ?? NO_REPLIES, now, unread.has(message.messageId)));
    }
    for (const id of this.cache.keys()) if (!wanted.has(id)) this.cache.delete(id);
    this.place(nodes);
    this.scheduleHighlight();

    let firstPaint: number | null = null;
    if (!this.positioned && loaded && model.messages.length > 0) {
      this.position(model, restore);
      this.positioned = true;
      firstPaint = model.messages.length;
    }
    if (bulk) this.log.removeAttribute("aria-busy");
    if (loaded && model.messages.length === 0) this.positioned = true;
    return firstPaint;
  }

  private renderOlder(model: Model): void {
    if (model.history !== "loaded" || model.messages.length === 0) {
      this.older.replaceChildren(model.history === "loading" ? h("p", { class: "muted" }, "Loading…") : "");
    } else if (model.olderLoading) {
      this.older.replaceChildren(h("p", { class: "muted" }, "Loading older messages…"));
    } else if (model.nextCursor !== null) {
      this.older.replaceChildren(button("Load older messages", () => this.emit({ kind: "loadOlder" }), { class: "link", "data-testid": "load-older" }));
    } else {
      this.older.replaceChildren(h("p", { class: "muted" }, "The beginning of the history."));
    }
  }

  /** Puts `nodes` in the list in order, moving only what is out of place; a first page is
   * built off the document in a fragment and added at once. */
  private place(nodes: Node[]): void {
    if (this.list.childElementCount === 0) {
      const fragment = document.createDocumentFragment();
      fragment.append(...nodes);
      this.list.append(fragment);
      return;
    }
    let cursor = this.list.firstChild;
    for (const node of nodes) {
      if (node === cursor) {
        cursor = cursor.nextSibling;
        continue;
      }
      this.list.insertBefore(node, cursor);
    }
    while (cursor) {
      const next: ChildNode | null = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
  }

  private position(model: Model, restore: { messageId: number; offset: number } | null): void {
    if (model.reveal !== null && this.cache.has(model.reveal)) return; // reveal() places it
    const anchored = restore ? this.cache.get(restore.messageId) : undefined;
    if (restore && anchored) {
      this.restoreAnchor({ messageId: restore.messageId, offset: restore.offset });
    } else if (model.unreadIds.length > 0) {
      this.scrollToUnread();
    } else {
      this.scrollToBottom();
    }
  }

  private restoreAnchor(anchor: { messageId: number; offset: number }): void {
    const cached = this.cache.get(anchor.messageId);
    if (!cached) return;
    const top = this.log.getBoundingClientRect().top;
    const delta = cached.el.getBoundingClientRect().top - top + anchor.offset;
    this.log.scrollTop += delta;
  }

  private dayDivider(key: string, date: number, now: number): HTMLElement {
    const label = dayLabel(date, now);
    let divider = this.dividers.get(key);
    if (!divider) {
      divider = h("div", { class: "divider", role: "separator" }, h("time", { datetime: isoTime(date).slice(0, 10) }, label));
      this.dividers.set(key, divider);
    } else if (divider.textContent !== label) {
      divider.firstElementChild!.textContent = label;
    }
    return divider;
  }

  private messageNode(model: Model, message: ChatMessage, byId: Map<number, ChatMessage>, replies: readonly number[], now: number, unread: boolean): HTMLElement {
    const parent = message.replyTo === null ? undefined : byId.get(message.replyTo);
    const cached = this.cache.get(message.messageId);
    if (cached && cached.message === message && cached.parent === parent && sameIds(cached.replies, replies) && cached.people === model.people) {
      cached.el.classList.toggle("unread", unread);
      return cached.el;
    }
    const el = this.buildMessage(model, message, parent, replies, now);
    el.classList.toggle("unread", unread);
    if (cached) cached.el.replaceWith(el);
    this.cache.set(message.messageId, { el, message, parent, replies, people: model.people });
    return el;
  }

  private buildMessage(model: Model, message: ChatMessage, parent: ChatMessage | undefined, replies: readonly number[], now: number): HTMLElement {
    const sender = senderName(model, message);
    const el = h("article", {
      class: `msg${message.outgoing ? " out" : ""}`,
      "data-testid": "chat-message",
      "data-message-id": String(message.messageId),
      tabindex: "-1",
    });
    if (message.replyTo !== null) {
      const replyTo = message.replyTo;
      const quote = parent
        ? button("", () => this.emit({ kind: "jumpTo", messageId: replyTo }), {
            class: "quote",
            "data-testid": "reply-quote",
            "aria-label": `In reply to ${senderName(model, parent)}: ${preview(parent)}. Go to that message.`,
          })
        : button("", () => this.emit({ kind: "jumpTo", messageId: replyTo }), {
            class: "quote",
            "data-testid": "reply-quote",
            "aria-label": "In reply to an earlier message. Load and show it.",
          });
      if (parent) quote.append(h("span", { class: "quote-sender" }, senderName(model, parent)), h("span", { class: "quote-text" }, preview(parent)));
      else quote.append(h("span", { class: "quote-text muted" }, "In reply to an earlier message"));
      el.append(quote);
    }
    el.append(
      h(
        "div",
        { class: "meta" },
        h("span", { class: "sender" }, sender),
        h("time", { datetime: isoTime(message.date), title: formatFull(message.date) }, formatClock(message.date, now)),
        message.edited && h("span", { class: "edited muted", "data-testid": "chat-edited" }, "edited"),
      ),
    );
    if (message.text) el.append(this.body(message.text));
    if (message.filePath) {
      const filePath = message.filePath;
      const name = filePath.split(/[\\/]/).pop() || filePath;
      el.append(
        h(
          "div",
          { class: "file" },
          button(`📎 ${name}`, () => this.emit({ kind: "openFile", path: filePath }), {
            class: "link",
            "data-testid": "chat-file",
            title: filePath,
            "aria-label": `Open the received file ${name}`,
          }),
        ),
      );
    } else if (message.filePending) {
      el.append(h("div", { class: "file muted" }, "Receiving a file…"));
    } else if (message.fileNote) {
      el.append(h("div", { class: "file muted" }, `File not kept: ${message.fileNote}`));
    }
    const actions = h(
      "div",
      { class: "msg-actions" },
      button("Reply", () => this.emit({ kind: "reply", messageId: message.messageId }), {
        class: "link",
        "data-testid": "chat-reply",
        "aria-label": `Reply to ${sender}: ${preview(message)}`,
      }),
    );
    const first = replies[0];
    if (first !== undefined) {
      const count = `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`;
      actions.append(
        button(count, () => this.emit({ kind: "jumpTo", messageId: first }), {
          class: "link",
          "data-testid": "chat-thread",
          "aria-label": `${count} to this message. Go to the first.`,
        }),
      );
    }
    el.append(actions);
    return el;
  }

  /** A message's text: paragraphs with inline code and links, and code blocks. */
  private body(text: string): HTMLElement {
    const body = h("div", { class: "body" });
    for (const segment of splitFences(text)) {
      if (segment.kind === "text") {
        const paragraph = h("p", { class: "text" });
        for (const piece of splitInline(segment.text)) {
          if (piece.kind === "text") paragraph.append(piece.text);
          else if (piece.kind === "code") paragraph.append(h("code", { class: "inline" }, piece.text));
          else paragraph.append(h("a", { href: piece.url, title: piece.url }, piece.text));
        }
        body.append(paragraph);
        continue;
      }
      const code = h("code", { class: "hljs" }, segment.code);
      const label = h("span", { class: "lang muted" }, segment.language);
      const codeText = segment.code;
      body.append(
        h(
          "div",
          { class: "code-block" },
          h(
            "div",
            { class: "code-head" },
            label,
            button("Copy", () => this.emit({ kind: "copy", text: codeText, what: "The code" }), { class: "link small", "aria-label": "Copy this code" }),
          ),
          h("pre", { tabindex: "0", "aria-label": `Code${segment.language ? ` (${segment.language})` : ""}` }, code),
        ),
      );
      this.highlightQueue.push({ code, text: segment.code, language: segment.language, label });
    }
    return body;
  }

  /** Colours waiting code blocks a few at a time, each batch after the next frame is
   * drawn: the messages show first (the first page before any grammar is compiled), their
   * colours a moment later, and the page stays responsive. */
  private scheduleHighlight(): void {
    if (this.highlightPending || this.highlightQueue.length === 0) return;
    this.highlightPending = true;
    requestAnimationFrame(() =>
      setTimeout(() => {
        this.highlightPending = false;
        this.highlightSome();
      }, 0),
    );
  }

  private highlightSome(): void {
    const start = performance.now();
    while (this.highlightQueue.length && performance.now() - start < HIGHLIGHT_BUDGET_MS) {
      const job = this.highlightQueue.shift()!;
      if (!job.code.isConnected) continue;
      const result = highlight(job.text, job.language);
      if (!result) continue;
      // highlight.js escapes the code: its output is safe markup (see highlight.ts).
      job.code.innerHTML = result.html;
      job.code.classList.add(`language-${result.language}`);
      job.label.textContent = result.language;
    }
    this.scheduleHighlight();
  }

  private fitComposer(): void {
    this.composer.style.height = "auto";
    this.composer.style.height = `${Math.min(this.composer.scrollHeight + 2, 200)}px`;
  }
}
