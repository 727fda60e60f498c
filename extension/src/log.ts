// The tgbridge Output channel, with log levels; the sidecar's window/logMessage lands here too.
import * as vscode from "vscode";

let channel: vscode.LogOutputChannel | undefined;

export function createLog(): vscode.LogOutputChannel {
  channel = vscode.window.createOutputChannel("tgbridge", { log: true });
  return channel;
}

export function showLogs(): void {
  channel?.show(true);
}

export const traceError = (message: string, ...args: unknown[]): void => channel?.error(message, ...args);
export const traceWarn = (message: string, ...args: unknown[]): void => channel?.warn(message, ...args);
export const traceInfo = (message: string, ...args: unknown[]): void => channel?.info(message, ...args);
export const traceDebug = (message: string, ...args: unknown[]): void => channel?.debug(message, ...args);

/** Shows an error with a "Show Logs" action, as every user-facing error should. */
export async function showErrorWithLogs(message: string): Promise<void> {
  traceError(message);
  const choice = await vscode.window.showErrorMessage(message, "Show Logs");
  if (choice === "Show Logs") showLogs();
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
