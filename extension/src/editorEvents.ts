// Reports tasks and debug sessions that ended, with exit codes and durations, to the
// sidecar: the hub's notification rules (tgbridge.notify) decide what reaches the phone.
import * as vscode from "vscode";
import { debugEvent, isTestTask, taskEvent } from "./editorEventParams";
import type { EditorEventParams } from "./protocol";

export type Report = (event: EditorEventParams) => void;

export function watchEditorEvents(report: Report): vscode.Disposable[] {
  const taskStarts = new WeakMap<vscode.TaskExecution, number>();
  const debugStarts = new Map<string, number>();
  return [
    vscode.tasks.onDidStartTaskProcess((event) => taskStarts.set(event.execution, Date.now())),
    vscode.tasks.onDidEndTaskProcess((event) => {
      const task = event.execution.task;
      report(
        taskEvent({
          name: task.name,
          exitCode: event.exitCode,
          startedAt: taskStarts.get(event.execution),
          endedAt: Date.now(),
          test: isTestTask(task.group?.id, task.name),
          workspace: workspaceName(task.scope),
        }),
      );
    }),
    vscode.debug.onDidStartDebugSession((session) => debugStarts.set(session.id, Date.now())),
    vscode.debug.onDidTerminateDebugSession((session) => {
      const started = debugStarts.get(session.id);
      debugStarts.delete(session.id);
      report(debugEvent(session.name, started, Date.now(), session.workspaceFolder?.name ?? ""));
    }),
  ];
}

function workspaceName(scope: vscode.Task["scope"]): string {
  return typeof scope === "object" && scope !== null ? scope.name : (vscode.workspace.name ?? "");
}
