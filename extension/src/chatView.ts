// The "Chat" webview view, host side. The page (extension/webview, bundled to
// dist/webview.js) draws everything; this side answers what it asks through the sidecar,
// forwards messages and send statuses, keeps the unread badge, and opens received files.
// The page is untrusted: its messages pass `parseFromWebview` (an allowlist of typed
// messages, three commands at most) and a file is opened only if this side showed it.
// Without retainContextWhenHidden the page is gone while hidden: it posts `ready` when
// it loads again, and this side sends it everything it needs then.
import * as path from "node:path";
import * as vscode from "vscode";
import { errorMessage, traceDebug, traceInfo, traceWarn } from "./log";
import type {
  ChatMessage,
  ChatsResult,
  HistoryResult,
  MessageStatusParams,
  PairPhoneResult,
  Requests,
  SendParams,
} from "./protocol";
import { chatPageHtml } from "./chatPage";
import { fileKind, ReceivedFiles } from "./receivedFiles";
import type { ViewState } from "./statusText";
import {
  describeRejected,
  parseFromWebview,
  type CodeAttachment,
  type FromWebview,
  type Pairing,
  type ToWebview,
} from "./webviewProtocol";

/** What the Chat view needs of the sidecar (the Sidecar class is one). */
export interface ChatSidecar {
  readonly state: ViewState;
  readonly onDidReceiveMessage: vscode.Event<ChatMessage>;
  readonly onDidChangeMessageStatus: vscode.Event<MessageStatusParams>;
  /** Undefined when it failed; `quiet`: the failure is logged, not shown (background reads). */
  call<M extends keyof Requests>(
    method: M,
    params: Requests[M]["params"],
    options?: { quiet?: boolean },
  ): Promise<Requests[M]["result"] | undefined>;
}

/** Messages in the first page of a chat (what must paint fast: a screenful and some),
 * and in later ones; older ones load on scroll. */
const PAGE = 40;
/** Reading ahead for the next opening waits this long after the last news. */
const WARM_AFTER_MS = 500;
/** The newest messages fetched again after a send, to show what was stored. */
const REFRESH_PAGE = 30;
const SEARCH_PAGE = 50;
/** Finding an older message (a search result, a quoted message): pages and their size. */
const REVEAL_PAGE = 200;
const REVEAL_PAGES = 25;
const OUTBOX_DELAY_MS = 250;
const CHATS_DELAY_MS = 500;
const COUNTED_MAX = 5000;
const MAX_SELECTION = 1_000_000;

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = "tgbridge.chat";
  /** Shows one message: `{chatId, messageId}` (the palette's Search History uses it). */
  static readonly revealCommand = "tgbridge.chat.reveal";

  private view: vscode.WebviewView | undefined;
  /** The page's script runs and said `ready`: it can take messages. */
  private ready = false;
  private state: ViewState;
  private chatId: number | null = null;
  private pairing: Pairing | null = null;
  private readonly files = new ReceivedFiles();
  /** Unread messages per chat: counted here while the page is away, by the page while shown. */
  private readonly unread = new Map<number, number>();
  private readonly counted = new Set<string>();
  private readonly knownChats = new Set<number>();
  /** Orders send answers and outbox snapshots (see ToWebview "sendResult"). */
  private seq = 0;
  /** Sends go to the sidecar one after another, in the order they were written. */
  private sends: Promise<void> = Promise.resolve();
  private outboxTimer: NodeJS.Timeout | undefined;
  private chatsTimer: NodeJS.Timeout | undefined;
  private warmTimer: NodeJS.Timeout | undefined;
  private warmed: ToWebview[] = [];
  /** Messages for the page once it is ready (a reveal or focus asked while it loads). */
  private afterReady: ToWebview[] = [];
  private readonly paintEmitter = new vscode.EventEmitter<{ count: number; ms: number }>();
  /** The page's first history paint (for the bench): messages shown, ms since the page began. */
  readonly onDidPaint = this.paintEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sidecar: ChatSidecar,
  ) {
    this.state = sidecar.state;
    this.disposables.push(
      sidecar.onDidReceiveMessage((message) => this.onMessage(message)),
      sidecar.onDidChangeMessageStatus((status) => this.onStatus(status)),
      vscode.commands.registerCommand(ChatViewProvider.revealCommand, (args: unknown) => {
        const target = args as { chatId?: unknown; messageId?: unknown } | undefined;
        if (Number.isSafeInteger(target?.chatId) && Number.isSafeInteger(target?.messageId)) {
          return this.reveal(target!.chatId as number, target!.messageId as number);
        }
        return undefined;
      }),
      this.paintEmitter,
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const asked = performance.timeOrigin + performance.now();
    for (const disposable of this.viewDisposables) disposable.dispose();
    this.view = view;
    this.ready = false;
    view.webview.options = { enableScripts: true, localResourceRoots: [] };
    view.webview.html = chatPageHtml(this.extensionUri.fsPath, [{ type: "state", state: this.state }, ...this.warmed]);
    // The editor bench reads this line to place our part of the first paint.
    const took = performance.timeOrigin + performance.now() - asked;
    traceInfo(`Chat view page written in ${took.toFixed(1)} ms (${this.warmed.length} read ahead; asked at ${asked.toFixed(1)})`);
    this.viewDisposables = [
      view.webview.onDidReceiveMessage((value: unknown) => void this.onWebviewMessage(value)),
      view.onDidChangeVisibility(() => {
        // A hidden page is unloaded; it says `ready` again when shown.
        if (!view.visible) this.ready = false;
        this.updateBadge();
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.ready = false;
        }
      }),
    ];
    this.updateBadge();
  }

  /** The Chat view is on screen (a new message is seen there, not notified). */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  /** The sidecar's state changed: shown, and what depends on it fetched again. */
  show(state: ViewState): void {
    const before = this.state;
    this.state = state;
    this.post({ type: "state", state });
    if (state.kind !== "running") return;
    const connection = state.status.connection;
    const was = before.kind === "running" ? before.status.connection : undefined;
    if (connection.state === "online" && was?.state !== "online") this.scheduleWarm();
    if (!was || (was.state !== "online" && connection.state === "online")) {
      if (this.ready) void this.sync(this.chatId, "refresh");
    } else if (was.state !== connection.state || was.waitSeconds !== connection.waitSeconds) {
      this.scheduleOutbox();
    }
  }

  /** Shows a pairing code (the Pair Phone command): the code, its link and QR code. */
  async showPairing(result: PairPhoneResult): Promise<void> {
    this.pairing = { code: result.code, link: result.link, expiresAt: result.expiresAt, botName: result.botName, detail: result.detail };
    await this.focus();
    this.post({ type: "pairing", ...this.pairing });
  }

  /** A phone got in: the code is spent, so its panel closes, and the view says who. */
  paired(name: string, role: string): void {
    this.pairing = null;
    this.postWhenReady({ type: "paired", name, role });
  }

  /** Opens the view at one message of a chat, loading older pages as needed. */
  async reveal(chatId: number, messageId: number): Promise<void> {
    await this.focus();
    this.postWhenReady({ type: "reveal", chatId, messageId });
  }

  /** Opens the view on a chat. */
  async openChat(chatId: number): Promise<void> {
    await this.focus();
    this.postWhenReady({ type: "selectChat", chatId });
  }

  /** Opens the view with the cursor in the composer, or in the search box (with words). */
  async focusInput(target: "composer" | "search", query: string | null = null): Promise<void> {
    await this.focus();
    this.postWhenReady({ type: "focus", target, query });
  }

  private async focus(): Promise<void> {
    if (this.view) this.view.show(false);
    else await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  }

  private post(message: ToWebview): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  private postWhenReady(message: ToWebview): void {
    if (this.view && this.ready) this.post(message);
    else this.afterReady.push(message);
  }

  // ---- the page's requests ----

  private async onWebviewMessage(value: unknown): Promise<void> {
    const message = parseFromWebview(value);
    if (!message) {
      traceWarn(`Chat view: dropped ${describeRejected(value)}`);
      return;
    }
    try {
      await this.handle(message);
    } catch (error) {
      traceWarn(`Chat view: ${message.type} failed: ${errorMessage(error)}`);
    }
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        this.ready = true;
        return this.sync(message.chatId, "latest");
      case "command":
        await vscode.commands.executeCommand(message.command);
        return;
      case "selectChat": {
        this.chatId = message.chatId;
        const page = await this.read("tgbridge/history", { chatId: message.chatId, limit: PAGE });
        if (page && this.chatId === message.chatId) this.postHistory(message.chatId, page, "latest", null);
        return;
      }
      case "loadHistory": {
        const older = message.before !== null;
        const page = await this.read("tgbridge/history", { chatId: message.chatId, before: message.before, limit: older ? PAGE : REFRESH_PAGE });
        if (page) this.postHistory(message.chatId, page, older ? "older" : "refresh", null);
        return;
      }
      case "reveal":
        return this.loadUntil(message.chatId, message.messageId);
      case "search": {
        const page = await this.read("tgbridge/history", { search: message.query, before: message.before, limit: SEARCH_PAGE });
        for (const found of page?.messages ?? []) this.files.remember(found.filePath);
        this.post({
          type: "searchResults",
          query: message.query,
          messages: page?.messages ?? [],
          nextCursor: page?.nextCursor ?? null,
          append: message.before !== null,
          error: page ? null : "The search did not work: see the tgbridge log.",
        });
        return;
      }
      case "send":
        return this.send(message);
      case "retry":
        await this.sidecar.call("tgbridge/retry", { sendId: message.sendId });
        this.scheduleOutbox();
        return;
      case "cancel": {
        const result = await this.sidecar.call("tgbridge/cancel", { sendId: message.sendId });
        if (result) this.post({ type: "notice", text: result.detail, level: result.cancelled ? "info" : "error" });
        this.scheduleOutbox();
        return;
      }
      case "openFile":
        return this.openFile(message.path);
      case "requestSelection":
        this.post({ type: "selection", ...selection() });
        return;
      case "painted":
        traceDebug(`Chat view: ${message.count} messages painted ${message.ms} ms after the page began loading`);
        this.paintEmitter.fire({ count: message.count, ms: message.ms });
        return;
      case "unread":
        if (!this.visible) return; // a page going away; the counting is this side's now
        this.unread.clear();
        for (const [chat, count] of Object.entries(message.byChat)) if (count > 0) this.unread.set(Number(chat), count);
        this.updateBadge();
        return;
    }
  }

  /** Everything the page shows: the state, a pairing code, the unread counts, the
   * chats, the chosen chat's newest page (`requested` if it still has one), the outbox. */
  private async sync(requested: number | null, mode: "latest" | "refresh"): Promise<void> {
    this.post({ type: "state", state: this.state });
    if (mode === "latest") {
      if (this.pairing && this.pairing.expiresAt * 1000 > Date.now()) this.post({ type: "pairing", ...this.pairing });
      this.post({ type: "unread", byChat: Object.fromEntries([...this.unread].map(([chat, count]) => [String(chat), count])) });
    }
    const queued = this.afterReady.splice(0);
    const revealing = queued.find((message) => message.type === "reveal" || message.type === "selectChat");
    const wanted = revealing && "chatId" in revealing ? revealing.chatId : requested;
    if (this.state.kind === "running") {
      const chatsAsked = this.read("tgbridge/chats", {});
      const pageAsked = wanted !== null ? this.read("tgbridge/history", { chatId: wanted, limit: PAGE }) : undefined;
      this.scheduleOutbox(0);
      const chats = await chatsAsked;
      const page = await pageAsked;
      let chosen = wanted;
      if (chosen === null || (chats && !chats.chats.some((chat) => chat.chatId === chosen) && !page?.messages.length)) {
        chosen = chats?.chats[0]?.chatId ?? null;
      }
      this.chatId = chosen;
      if (chats) this.postChats(chats, mode === "latest" ? chosen : null);
      if (chosen !== null && !revealing) {
        const shown = chosen === wanted ? page : await this.read("tgbridge/history", { chatId: chosen, limit: PAGE });
        if (shown) this.postHistory(chosen, shown, mode, null);
      }
    }
    for (const message of queued) this.post(message);
  }

  /** Pages of `chatId` from the newest until one holds `messageId`; shown as the chat's
   * history with that message in view (or the newest page, and why not, if it is older). */
  private async loadUntil(chatId: number, messageId: number): Promise<void> {
    this.chatId = chatId;
    const messages: ChatMessage[] = [];
    let before: number | null = null;
    let found = false;
    for (let pages = 0; pages < REVEAL_PAGES && !found; pages++) {
      const page: HistoryResult | undefined = await this.read("tgbridge/history", { chatId, before, limit: REVEAL_PAGE });
      if (!page) break;
      messages.push(...page.messages);
      found = page.messages.some((m) => m.messageId === messageId);
      before = page.nextCursor;
      if (before === null) break;
    }
    if (this.chatId !== chatId) return;
    this.postHistory(chatId, { messages, nextCursor: before }, "latest", found ? messageId : null);
    if (!found) this.post({ type: "notice", text: "That message is not in the stored history.", level: "error" });
  }

  private async send(message: Extract<FromWebview, { type: "send" }>): Promise<void> {
    const params: SendParams = {
      chat: message.chatId === null ? null : String(message.chatId),
      text: message.text,
      code: message.code ? { text: message.code.text, language: message.code.language, path: message.code.path, range: message.code.range } : null,
      replyTo: message.replyTo,
      clientKey: message.clientKey,
    };
    const done = this.sends.then(async () => {
      // Not quiet: a send that could not be queued is the user's business.
      const result = await this.sidecar.call("tgbridge/send", params);
      this.seq += 1;
      this.post({
        type: "sendResult",
        clientKey: message.clientKey,
        sendId: result?.sendId ?? null,
        error: result ? null : "tgbridge could not queue it.",
        seq: this.seq,
      });
      this.scheduleOutbox();
    });
    this.sends = done.catch(() => undefined);
    await done;
  }

  /** A file the page was shown (a received file): text opens read-only in the editor,
   * anything else is only revealed in the file manager. Nothing is ever run. */
  private async openFile(filePath: string): Promise<void> {
    if (!this.files.allows(filePath)) {
      traceWarn("Chat view: refused to open a file it did not show");
      this.post({ type: "notice", text: "tgbridge opens only the files shown in the chat.", level: "error" });
      return;
    }
    const uri = vscode.Uri.file(filePath);
    const kind = await fileKind(filePath);
    if (kind === "missing") {
      this.post({ type: "notice", text: `The file is no longer there: ${path.basename(filePath)}`, level: "error" });
      return;
    }
    if (kind === "binary") {
      traceInfo(`Chat view: revealing ${filePath}`);
      try {
        await vscode.commands.executeCommand("revealFileInOS", uri);
      } catch (error) {
        this.post({ type: "notice", text: `The file is in ${path.dirname(filePath)} (${errorMessage(error)})`, level: "info" });
      }
      return;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
    // Best effort: the editor's own read-only switch (VS Code 1.79+; forks may lack it).
    await Promise.resolve(vscode.commands.executeCommand("workbench.action.files.setActiveEditorReadonlyInSession")).catch(() => undefined);
  }

  // ---- the sidecar's news ----

  private onMessage(message: ChatMessage): void {
    this.files.remember(message.filePath);
    this.scheduleWarm();
    if (!this.knownChats.has(message.chatId)) this.scheduleChats();
    const key = `${message.chatId}:${message.messageId}`;
    const first = !this.counted.has(key);
    if (first) {
      this.counted.add(key);
      if (this.counted.size > COUNTED_MAX) this.counted.delete(this.counted.values().next().value!);
    }
    // While the page is shown it counts (it knows what is scrolled into view).
    if (first && !message.outgoing && !(this.ready && this.visible)) {
      this.unread.set(message.chatId, (this.unread.get(message.chatId) ?? 0) + 1);
      this.updateBadge();
    }
    this.post({ type: "message", message });
  }

  private onStatus(status: MessageStatusParams): void {
    this.post({ type: "status", status });
    this.scheduleOutbox();
    if (status.state === "sent" && status.chatId && !this.knownChats.has(status.chatId)) this.scheduleChats();
  }

  private scheduleOutbox(delay = OUTBOX_DELAY_MS): void {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = setTimeout(() => void this.refreshOutbox(), delay);
  }

  private async refreshOutbox(): Promise<void> {
    if (!this.ready) return;
    this.seq += 1;
    const seq = this.seq;
    const outbox = await this.read("tgbridge/outbox", {});
    if (outbox) this.post({ type: "outbox", items: outbox.items, seq });
  }

  private scheduleChats(): void {
    clearTimeout(this.chatsTimer);
    this.chatsTimer = setTimeout(async () => {
      if (!this.ready) return;
      const chats = await this.read("tgbridge/chats", {});
      if (chats) this.postChats(chats, null);
    }, CHATS_DELAY_MS);
  }

  private postChats(chats: ChatsResult, chatId: number | null): void {
    for (const chat of chats.chats) {
      this.knownChats.add(chat.chatId);
      this.files.remember(chat.last.filePath);
    }
    this.post({ type: "chats", chats: chats.chats, people: chats.people, chatId });
  }

  private postHistory(chatId: number, page: HistoryResult, mode: "latest" | "older" | "refresh", reveal: number | null): void {
    for (const message of page.messages) this.files.remember(message.filePath);
    this.post({ type: "history", chatId, messages: page.messages, nextCursor: page.nextCursor, mode, reveal });
  }

  /** A background read: undefined (and only logged) when the sidecar is not there. */
  private read<M extends keyof Requests>(method: M, params: Requests[M]["params"]): Promise<Requests[M]["result"] | undefined> {
    if (this.state.kind !== "running") return Promise.resolve(undefined);
    return this.sidecar.call(method, params, { quiet: true });
  }

  private updateBadge(): void {
    const view = this.view;
    if (!view) return;
    const total = [...this.unread.values()].reduce((sum, count) => sum + count, 0);
    // WebviewView.badge: VS Code 1.72+, within the ^1.91 engines floor.
    view.badge = total > 0 ? { value: total, tooltip: `${total} unread Telegram ${total === 1 ? "message" : "messages"}` } : undefined;
  }

  /** The chats and the newest page of the chat that opens first, read ahead while the
   * view is closed and written into the page itself: it paints them without waiting
   * for a round trip through the sidecar and the hub (its `ready` then refreshes). */
  private async warm(): Promise<void> {
    const chats = await this.read("tgbridge/chats", {});
    const chatId = this.chatId ?? chats?.chats[0]?.chatId ?? null;
    if (!chats || chatId === null) return;
    const page = await this.read("tgbridge/history", { chatId, limit: PAGE });
    if (!page) return;
    for (const chat of chats.chats) this.files.remember(chat.last.filePath);
    for (const message of page.messages) this.files.remember(message.filePath);
    this.warmed = [
      { type: "chats", chats: chats.chats, people: chats.people, chatId },
      { type: "history", chatId, messages: page.messages, nextCursor: page.nextCursor, mode: "latest", reveal: null },
    ];
  }

  private scheduleWarm(): void {
    if (this.view?.visible) return;
    clearTimeout(this.warmTimer);
    this.warmTimer = setTimeout(() => void this.warm(), WARM_AFTER_MS);
  }

  dispose(): void {
    clearTimeout(this.outboxTimer);
    clearTimeout(this.chatsTimer);
    clearTimeout(this.warmTimer);
    for (const disposable of [...this.viewDisposables, ...this.disposables]) disposable.dispose();
  }
}

/** The active editor's selection (or a visible editor's, when focus is in the view). */
function selection(): { selection: CodeAttachment | null; error: string | null } {
  const editors = [vscode.window.activeTextEditor, ...vscode.window.visibleTextEditors];
  const editor = editors.find((candidate) => candidate && !candidate.selection.isEmpty);
  if (!editor) return { selection: null, error: "Select some code in an editor first, then attach it." };
  const { document, selection: range } = editor;
  const text = document.getText(range);
  if (text.length > MAX_SELECTION) return { selection: null, error: "The selection is too long to attach." };
  // Inside the workspace: its path there; elsewhere only the file's name (as Send Selection).
  const inWorkspace = document.uri.scheme === "file" && vscode.workspace.getWorkspaceFolder(document.uri) !== undefined;
  const shown = inWorkspace ? vscode.workspace.asRelativePath(document.uri, false) : path.basename(document.fileName);
  return {
    selection: {
      path: shown,
      language: document.languageId,
      range: {
        start: { line: range.start.line, character: range.start.character },
        end: { line: range.end.line, character: range.end.character },
      },
      text,
    },
    error: null,
  };
}
