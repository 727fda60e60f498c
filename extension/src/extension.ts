// tgbridge's entry point: builds the parts and wires them together.
import * as vscode from "vscode";
import { openAgentChat, showAgentAsk } from "./agentAsks";
import { PhoneAsks } from "./askOnPhone";
import { ChatViewProvider } from "./chatView";
import { registerCommands } from "./commands";
import { watchEditorEvents } from "./editorEvents";
import { LlmKeys } from "./llmKeys";
import { createLog, traceInfo } from "./log";
import { Mute } from "./mute";
import { MessageNotifier } from "./notifications";
import { People } from "./people";
import { affectsSidecar, llmProviders } from "./settings";
import { Sidecar } from "./sidecar";
import { StatusBar } from "./statusBar";

let sidecar: Sidecar | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const started = performance.now();
  const log = createLog();
  sidecar = new Sidecar(context.extensionPath, log, context.secrets);
  const running = sidecar;
  const chat = new ChatViewProvider(context.extensionUri, running);
  const call = running.call.bind(running);
  const mute = new Mute(context.globalState);
  const statusBar = new StatusBar(() => running.call("tgbridge/outbox", {}, { quiet: true }), () => mute.muted);
  const people = new People(() => running.call("tgbridge/chats", {}, { quiet: true }));
  const asks = new PhoneAsks(call, people);
  const notifier = new MessageNotifier({ isChatVisible: () => chat.visible, mute, people, call });
  const llmKeys = new LlmKeys(context.secrets, llmProviders, (params) => running.call("tgbridge/llmKeys", params, { quiet: true }));
  context.subscriptions.push(
    log,
    statusBar,
    chat,
    mute,
    notifier,
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat),
    running.onDidChangeState((state) => {
      statusBar.show(state);
      chat.show(state);
      llmKeys.onState(state);
    }),
    running.onDidChangeMessageStatus((status) => {
      asks.onStatus(status);
      statusBar.refreshOutbox();
    }),
    running.onDidAgentAsk((ask) => void showAgentAsk(ask, call)),
    running.onDidRequestAgentChat((chat) => void openAgentChat(chat)),
    running.onDidPair(({ name, role }) => {
      chat.paired(name, role);
      void vscode.window.showInformationMessage(`tgbridge: ${name}'s phone is paired (${role}).`);
    }),
    running.onDidReceiveMessage((message) => {
      if (!asks.onMessage(message)) notifier.onMessage(message);
    }),
    ...registerCommands(running, { statusBar, mute, asks, people, llmKeys, showPairing: (pairing) => chat.showPairing(pairing) }),
    ...watchEditorEvents((event) => running.reportEditorEvent(event)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsSidecar(event)) void running.restart("a tgbridge setting changed", true);
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void running.status()),
  );
  traceInfo(`tgbridge ${context.extension.packageJSON.version as string} activating`);
  await running.restart("activation");
  traceInfo(`activated in ${Math.round(performance.now() - started)} ms`);
}

export async function deactivate(): Promise<void> {
  await sidecar?.dispose();
  sidecar = undefined;
}
