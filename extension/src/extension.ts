// tgbridge's entry point: builds the parts and wires them together.
import * as vscode from "vscode";
import { ChatViewProvider } from "./chatView";
import { registerCommands } from "./commands";
import { watchEditorEvents } from "./editorEvents";
import { createLog, traceInfo } from "./log";
import { affectsSidecar } from "./settings";
import { Sidecar } from "./sidecar";
import { StatusBar } from "./statusBar";

let sidecar: Sidecar | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = createLog();
  const statusBar = new StatusBar();
  const chat = new ChatViewProvider(context.extensionUri);
  sidecar = new Sidecar(context.extensionPath, log, context.secrets);
  const running = sidecar;
  context.subscriptions.push(
    log,
    statusBar,
    chat,
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat),
    running.onDidChangeState((state) => {
      statusBar.show(state);
      chat.show(state);
    }),
    ...registerCommands(running),
    ...watchEditorEvents((event) => running.reportEditorEvent(event)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsSidecar(event)) void running.restart("a tgbridge setting changed", true);
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void running.status()),
  );
  traceInfo(`tgbridge ${context.extension.packageJSON.version as string} activating`);
  await running.restart("activation");
}

export async function deactivate(): Promise<void> {
  await sidecar?.dispose();
  sidecar = undefined;
}
