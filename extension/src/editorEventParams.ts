// What the phone hears about tasks and debug sessions that ended (its notification rules
// decide in the hub). No vscode imports, so node:test can drive it.
import type { EditorEventParams } from "./protocol";

export interface EndedTask {
  name: string;
  exitCode: number | undefined;
  startedAt: number | undefined;
  endedAt: number;
  /** In the Test group, or named like a test run. */
  test: boolean;
  workspace: string;
}

const TEST_NAME = /\b(test|tests|pytest|jest|vitest|mocha|spec)\b/i;

export function isTestTask(group: string | undefined, name: string): boolean {
  return group === "test" || TEST_NAME.test(name);
}

export function taskEvent(task: EndedTask): EditorEventParams {
  return {
    kind: "task",
    name: task.name.slice(0, 200),
    exitCode: task.exitCode ?? null,
    durationSeconds: seconds(task.startedAt, task.endedAt),
    test: task.test,
    workspace: task.workspace,
  };
}

export function debugEvent(name: string, startedAt: number | undefined, endedAt: number, workspace: string): EditorEventParams {
  return {
    kind: "debug",
    name: name.slice(0, 200),
    exitCode: null,
    durationSeconds: seconds(startedAt, endedAt),
    test: false,
    workspace,
  };
}

function seconds(startedAt: number | undefined, endedAt: number): number {
  return startedAt === undefined ? 0 : Math.max(0, (endedAt - startedAt) / 1000);
}
