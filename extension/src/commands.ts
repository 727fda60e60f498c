// Palette commands the extension itself owns. "Send Selection" is served by the sidecar
// (workspace/executeCommand); vscode-languageclient registers it.
import * as vscode from "vscode";
import { ChatViewProvider } from "./chatView";
import { showErrorWithLogs, showLogs } from "./log";
import type { Sidecar } from "./sidecar";

export function registerCommands(sidecar: Sidecar): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand("tgbridge.showStatus", async () => {
      await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
      if (!(await sidecar.status())) {
        const reason = sidecar.state.kind === "stopped" ? sidecar.state.reason : "it is not ready yet";
        void showErrorWithLogs(`The tgbridge sidecar is not running: ${reason}`);
      }
    }),
    vscode.commands.registerCommand("tgbridge.restartSidecar", () => sidecar.restart("asked from the palette", true)),
    vscode.commands.registerCommand("tgbridge.showLogs", () => showLogs()),
    vscode.commands.registerCommand("tgbridge.logIn", () => sidecar.logIn()),
    vscode.commands.registerCommand("tgbridge.logOut", () => sidecar.logOut()),
    vscode.commands.registerCommand("tgbridge.restartHub", () => sidecar.restartHub()),
    vscode.commands.registerCommand("tgbridge.pairPhone", () => sidecar.pairPhone()),
  ];
}
