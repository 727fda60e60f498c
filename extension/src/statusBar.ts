// The status bar item: always says the connection state; a click shows the status.
import * as vscode from "vscode";
import { statusBarText, statusTooltip, type ViewState } from "./statusText";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("tgbridge.status", vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = "tgbridge";
    this.item.command = "tgbridge.showStatus";
    this.show({ kind: "starting" });
    this.item.show();
  }

  show(state: ViewState): void {
    this.item.text = statusBarText(state);
    this.item.tooltip = statusTooltip(state);
    this.item.backgroundColor =
      state.kind === "stopped" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
