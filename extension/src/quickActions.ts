// The status bar's quick pick: the actions that fit the state (statusActions.ts decides
// which), run as commands.
import * as vscode from "vscode";
import { statusActions, type StatusAction } from "./statusActions";
import { statusTooltip, type OutboxCounts, type ViewState } from "./statusText";

interface ActionItem extends vscode.QuickPickItem {
  action: StatusAction;
}

export async function showStatusActions(snapshot: { state: ViewState; outbox: OutboxCounts }, muted: boolean): Promise<void> {
  const items: ActionItem[] = statusActions(snapshot.state, snapshot.outbox, muted).map((action) => ({
    label: action.label,
    ...(action.detail === undefined ? {} : { detail: action.detail }),
    action,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: "tgbridge",
    placeHolder: statusTooltip(snapshot.state).split("\n")[0],
  });
  if (picked) await vscode.commands.executeCommand(picked.action.command, ...(picked.action.args ?? []));
}
