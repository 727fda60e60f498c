// Palette commands the extension itself owns. "Send Selection" and the code actions' sends
// ("tgbridge.sendFile", "tgbridge.sendDiagnostic") are served by the sidecar
// (workspace/executeCommand); vscode-languageclient registers them.
import * as path from "node:path";
import * as vscode from "vscode";
import { connectAgents } from "./agents";
import { ASK_ON_PHONE, type PhoneAsks } from "./askOnPhone";
import { cutNotice, gitApi, repositoryFor, type GitRepository } from "./commitMessage";
import { keyedProviders, type LlmKeys } from "./llmKeys";
import { errorMessage, showErrorWithLogs, showLogs, traceInfo } from "./log";
import { MUTE_CHOICES, mutedUntilText, type Mute } from "./mute";
import { OPEN_CHAT } from "./notifications";
import type { People } from "./people";
import type { ChatMessage, HistoryResult, PairPhoneResult } from "./protocol";
import { quickPickMessage, searchHint } from "./searchItems";
import { showStatusActions } from "./quickActions";
import { newClientKey } from "./retry";
import { llmProviders, SECTION } from "./settings";
import type { Sidecar } from "./sidecar";
import { STATUS_ACTIONS, type StatusBar } from "./statusBar";
import { plural } from "./statusText";
import { runVoiceInstall } from "./voiceInstall";

/** Served by the sidecar: sends a whole document (`{uri}`). */
const SIDECAR_SEND_FILE = "tgbridge.sendFile";
/** Registered by the Chat view: shows one message (`{chatId, messageId}`). */
const CHAT_REVEAL = "tgbridge.chat.reveal";
const MUTED_CONTEXT = "tgbridge.notificationsMuted";
const HISTORY_PAGE = 50;

export interface CommandParts {
  statusBar: StatusBar;
  /** Shows the pairing code, link and QR code in the Chat view. */
  showPairing: (pairing: PairPhoneResult) => Promise<void>;
  mute: Mute;
  asks: PhoneAsks;
  people: People;
  llmKeys: LlmKeys;
}

export function registerCommands(sidecar: Sidecar, parts: CommandParts): vscode.Disposable[] {
  const { statusBar, mute, asks, people } = parts;
  const showMuted = (): void => {
    void vscode.commands.executeCommand("setContext", MUTED_CONTEXT, mute.muted);
    statusBar.render();
  };
  showMuted();
  return [
    mute.onDidChange(showMuted),
    vscode.commands.registerCommand("tgbridge.showStatus", async () => {
      await vscode.commands.executeCommand(OPEN_CHAT);
      if (!(await sidecar.status())) {
        const reason = sidecar.state.kind === "stopped" ? sidecar.state.reason : "it is not ready yet";
        void showErrorWithLogs(`The tgbridge sidecar is not running: ${reason}`);
      }
    }),
    vscode.commands.registerCommand(STATUS_ACTIONS, () => showStatusActions(statusBar.snapshot, mute.muted)),
    vscode.commands.registerCommand("tgbridge.restartSidecar", () => sidecar.restart("asked from the palette", true)),
    vscode.commands.registerCommand("tgbridge.showLogs", () => showLogs()),
    vscode.commands.registerCommand("tgbridge.logIn", () => sidecar.logIn()),
    vscode.commands.registerCommand("tgbridge.logOut", () => sidecar.logOut()),
    vscode.commands.registerCommand("tgbridge.restartHub", () => sidecar.restartHub()),
    vscode.commands.registerCommand("tgbridge.connectAgents", () => connectAgents(sidecar, "install")),
    vscode.commands.registerCommand("tgbridge.disconnectAgents", () => connectAgents(sidecar, "uninstall")),
    vscode.commands.registerCommand("tgbridge.pairPhone", async () => {
      const pairing = await sidecar.call("tgbridge/pairPhone", {});
      if (pairing) await parts.showPairing(pairing);
    }),
    vscode.commands.registerCommand("tgbridge.openChat", () => vscode.commands.executeCommand(OPEN_CHAT)),
    vscode.commands.registerCommand("tgbridge.openSettings", () =>
      vscode.commands.executeCommand("workbench.action.openSettings", "tgbridge."),
    ),
    vscode.commands.registerCommand("tgbridge.sendMessage", () => sendMessage(sidecar)),
    vscode.commands.registerCommand("tgbridge.sendActiveFile", (uri?: unknown) => sendFile(uri)),
    vscode.commands.registerCommand("tgbridge.searchHistory", () => searchHistory(sidecar, people)),
    vscode.commands.registerCommand("tgbridge.muteNotifications", () => muteNotifications(mute)),
    vscode.commands.registerCommand("tgbridge.unmuteNotifications", async () => {
      await mute.unmute();
      vscode.window.setStatusBarMessage("$(bell) tgbridge: notifications for new messages are on", 4000);
    }),
    vscode.commands.registerCommand("tgbridge.retryFailed", (sendIds?: unknown) => retryFailed(sidecar, statusBar, sendIds)),
    vscode.commands.registerCommand(ASK_ON_PHONE, (...args: unknown[]) => asks.ask(args)),
    vscode.commands.registerCommand("tgbridge.setLlmKey", () => setLlmKey(parts.llmKeys)),
    vscode.commands.registerCommand("tgbridge.generateCommitMessage", (sourceControl?: unknown) =>
      generateCommitMessage(sidecar, sourceControl),
    ),
    vscode.commands.registerCommand("tgbridge.enableVoiceNotes", () => enableVoiceNotes(sidecar)),
  ];
}

/** Asks for a message and sends it to the default chat. */
async function sendMessage(sidecar: Sidecar): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: "Send a message to Telegram",
    prompt: "Sent to the chat in tgbridge.defaultChat; **bold**, __italic__ and `code` work",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "Type a message, or press Escape"),
  });
  if (!text?.trim()) return;
  await sidecar.call("tgbridge/send", { text, clientKey: newClientKey() });
}

/** The file `uri` names (from a menu) or the active editor's: the sidecar sends the saved
 * file itself, or the text of an untitled or changed one as code. */
async function sendFile(uri: unknown): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) return showErrorWithLogs("Open a file to send, then try again.");
  const registered = (await vscode.commands.getCommands(true)).includes(SIDECAR_SEND_FILE);
  if (!registered) return showErrorWithLogs("The tgbridge sidecar is not running.");
  try {
    await vscode.commands.executeCommand(SIDECAR_SEND_FILE, { uri: target.toString(), clientKey: newClientKey() });
  } catch (error) {
    void showErrorWithLogs(`tgbridge could not send the file: ${errorMessage(error)}`);
  }
}

/** Asks for words, shows the messages that hold them (newest first, older pages on
 * request) and opens the one picked in the Chat view. */
async function searchHistory(sidecar: Sidecar, people: People): Promise<void> {
  const search = await vscode.window.showInputBox({
    title: "Search the Telegram history",
    prompt: searchHint,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "Type the words to look for"),
  });
  if (!search?.trim()) return;
  const found: ChatMessage[] = [];
  let before: number | null = null;
  for (;;) {
    const page: HistoryResult | undefined = await sidecar.call("tgbridge/history", { search: search.trim(), before, limit: HISTORY_PAGE });
    if (!page) return;
    found.push(...page.messages);
    before = page.nextCursor;
    await people.learn(page.messages);
    type Item = vscode.QuickPickItem & { message?: ChatMessage; more?: true };
    const items: Item[] = found.map((message) => ({ ...quickPickMessage(message, people.nameOf(message)), message }));
    if (before !== null) items.push({ label: "$(ellipsis) Older results…", more: true, alwaysShow: true });
    if (!found.length) {
      void vscode.window.showInformationMessage(`tgbridge: nothing in the history holds "${search.trim()}".`);
      return;
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: `"${search.trim()}": ${plural(found.length, "message")}${before !== null ? " so far" : ""}`,
      placeHolder: "Pick a message to show it in the Chat view",
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked) return;
    if (picked.more) continue;
    const message = picked.message!;
    const canReveal = (await vscode.commands.getCommands(true)).includes(CHAT_REVEAL);
    await vscode.commands.executeCommand(OPEN_CHAT);
    if (canReveal) await vscode.commands.executeCommand(CHAT_REVEAL, { chatId: message.chatId, messageId: message.messageId });
    return;
  }
}

async function muteNotifications(mute: Mute): Promise<void> {
  const picked = await vscode.window.showQuickPick(
    MUTE_CHOICES.map((choice) => ({ label: choice.label, duration: choice.duration })),
    { title: "Mute notifications for new Telegram messages", placeHolder: "For how long?" },
  );
  if (!picked) return;
  const record = await mute.mute(picked.duration);
  vscode.window.setStatusBarMessage(`$(bell-slash) tgbridge: notifications muted ${mutedUntilText(record, new Date())}`, 5000);
}

/** Sends failed messages again (`sendIds`, or every failed one in the outbox). */
async function retryFailed(sidecar: Sidecar, statusBar: StatusBar, sendIds: unknown): Promise<void> {
  let ids = Array.isArray(sendIds) ? sendIds.filter((id): id is number => typeof id === "number") : [];
  if (!ids.length) {
    const outbox = await sidecar.call("tgbridge/outbox", {});
    ids = (outbox?.items ?? []).filter((item) => item.state === "failed").map((item) => item.sendId);
  }
  if (!ids.length) {
    void vscode.window.showInformationMessage("tgbridge: no message has failed.");
    return;
  }
  let retried = 0;
  for (const sendId of ids) if (await sidecar.call("tgbridge/retry", { sendId })) retried++;
  statusBar.refreshOutbox();
  if (retried) vscode.window.setStatusBarMessage(`$(refresh) tgbridge: ${plural(retried, "message")} sent again`, 4000);
}

/** Keeps the API key of a provider in tgbridge.llm.providers in the editor's secret
 * storage and hands the keys to the hub. */
async function setLlmKey(llmKeys: LlmKeys): Promise<void> {
  const providers = keyedProviders(llmProviders());
  if (!providers.length) {
    const choice = await vscode.window.showErrorMessage(
      "tgbridge: no language model in tgbridge.llm.providers takes a key: add one of kind openai or anthropic first.",
      "Open Settings",
    );
    if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "tgbridge.llm.providers");
    return;
  }
  const picked = await vscode.window.showQuickPick(
    providers.map((provider) => ({
      label: provider.name,
      description: [provider.kind, provider.model].filter(Boolean).join(" · "),
      detail: provider.baseUrl,
      provider,
    })),
    { title: "tgbridge: Set Language Model Key", placeHolder: "Whose API key?" },
  );
  if (!picked) return;
  const key = await vscode.window.showInputBox({
    title: `tgbridge: API key for ${picked.provider.name}`,
    prompt: "Kept in the editor's secret storage, given to the hub in memory only. Empty: forget the key.",
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  await llmKeys.set(picked.provider.name, key);
  const done = key.trim() ? "is kept" : "was forgotten";
  vscode.window.setStatusBarMessage(`$(key) tgbridge: the key for ${picked.provider.name} ${done}`, 4000);
}

/** Writes a commit message for what is staged into the Source Control input box. The
 * view's title bar passes its SourceControl; from the palette it is the only repository,
 * or the one picked. */
async function generateCommitMessage(sidecar: Sidecar, sourceControl: unknown): Promise<void> {
  const git = await gitApi(vscode.extensions);
  if (!git) return showErrorWithLogs("tgbridge: the built-in Git extension is not enabled, so there is no repository to write for.");
  const choice = repositoryFor(sourceControl, git.repositories);
  if (!choice) return showErrorWithLogs("tgbridge: no Git repository is open.");
  let repository: GitRepository;
  if ("choose" in choice) {
    const picked = await vscode.window.showQuickPick(
      choice.choose.map((candidate) => ({
        label: path.basename(candidate.rootUri.fsPath),
        description: candidate.rootUri.fsPath,
        repository: candidate,
      })),
      { title: "tgbridge: Generate Commit Message", placeHolder: "For which repository?" },
    );
    if (!picked) return;
    repository = picked.repository;
  } else {
    repository = choice.repository;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.SourceControl, title: "tgbridge: writing a commit message" },
    () => sidecar.call("tgbridge/commitMessage", { folder: repository.rootUri.toString() }),
  );
  if (!result) return;
  repository.inputBox.value = result.message;
  vscode.window.setStatusBarMessage(`$(sparkle) tgbridge: commit message by ${result.provider}`, 5000);
  if (result.cut.length) void vscode.window.showInformationMessage(cutNotice(result.cut));
}

/** Installs the voice add-on (Whisper, offline) with the sidecar's interpreter, showing
 * its steps; Cancel stops it. */
async function enableVoiceNotes(sidecar: Sidecar): Promise<void> {
  const python = await sidecar.cliLaunch();
  if (!python.ok) return showErrorWithLogs(python.message);
  traceInfo(`Installing the voice add-on with ${python.executable}`);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "tgbridge: Enabling voice notes", cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return runVoiceInstall(python, {
        signal: abort.signal,
        onStep: (message, increment) => {
          traceInfo(`voice install: ${message}`);
          progress.report({ message, increment });
        },
        onOutput: (text) => traceInfo(`voice install: ${text.trimEnd()}`),
      });
    },
  );
  if (outcome.kind === "cancelled") {
    vscode.window.setStatusBarMessage("tgbridge: the voice add-on was not installed (cancelled)", 5000);
  } else if (outcome.kind === "failed") {
    void showErrorWithLogs(`tgbridge could not install the voice add-on: ${outcome.error}`);
  } else {
    const provider = vscode.workspace.getConfiguration(SECTION).get<string>("voice.provider", "local");
    void vscode.window.showInformationMessage(
      provider === "local"
        ? "tgbridge: Voice notes are on: a voice message from a paired phone is now transcribed on this machine."
        : `tgbridge: the voice add-on is installed, but tgbridge.voice.provider is "${provider}": set it to "local" to transcribe voice messages on this machine.`,
    );
  }
}
