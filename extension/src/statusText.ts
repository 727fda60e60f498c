// Words and icons for the sidecar's state, the outbox and a wait counting down; no vscode
// imports, so node:test can drive it.
import type { ConnectionState, OutboxItem, StatusResult } from "./protocol";

export type ViewState =
  | { kind: "starting" }
  | { kind: "running"; status: StatusResult }
  | { kind: "stopped"; reason: string };

/** What the outbox holds that is not delivered: queued (or waiting out a flood wait) and
 * failed sends. */
export interface OutboxCounts {
  queued: number;
  failed: number;
  failedSendIds: number[];
}

export const EMPTY_OUTBOX: OutboxCounts = { queued: 0, failed: 0, failedSendIds: [] };

/** What the status bar says besides the state: the outbox, seconds left of a wait that is
 * counting down, and whether incoming-message notifications are muted. */
export interface StatusExtras {
  outbox?: OutboxCounts;
  /** Seconds left of the connection's wait (see `secondsLeft`); the state's own
   * `waitSeconds` when not given. */
  waitLeft?: number;
  muted?: boolean;
}

const ICONS: Record<ConnectionState["state"], string> = {
  "not configured": "$(circle-slash)",
  connecting: "$(sync~spin)",
  online: "$(check)",
  offline: "$(debug-disconnect)",
  waiting: "$(watch)",
  unauthorized: "$(lock)",
};

/** The connection states in which nothing can be sent until the user logs in. */
export function notLoggedIn(connection: ConnectionState): boolean {
  return connection.state === "not configured" || connection.state === "unauthorized";
}

export function outboxCounts(items: readonly OutboxItem[]): OutboxCounts {
  const failed = items.filter((item) => item.state === "failed");
  return { queued: items.length - failed.length, failed: failed.length, failedSendIds: failed.map((item) => item.sendId) };
}

/** Whole seconds left of a wait of `waitSeconds` that started at `sinceMs`, never below 0. */
export function secondsLeft(waitSeconds: number, sinceMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil(waitSeconds - (nowMs - sinceMs) / 1000));
}

/** The wait the state asks to count down, if any: a connection waiting N seconds. */
export function waitOf(state: ViewState): number | undefined {
  if (state.kind !== "running" || state.status.settingsError) return undefined;
  const { connection } = state.status;
  return connection.state === "waiting" && connection.waitSeconds != null ? connection.waitSeconds : undefined;
}

/** The same wait as before (a status asked again repeats the wait it started with), so
 * its countdown goes on instead of starting over. */
export function sameWait(before: ViewState, after: ViewState): boolean {
  const wait = waitOf(after);
  return (
    wait !== undefined &&
    wait === waitOf(before) &&
    before.kind === "running" &&
    after.kind === "running" &&
    before.status.connection.detail === after.status.connection.detail
  );
}

function connectionLabel(connection: ConnectionState, waitLeft: number | undefined): string {
  if (notLoggedIn(connection)) return "not logged in";
  if (connection.state === "waiting") {
    const left = waitLeft ?? connection.waitSeconds;
    return left != null && left > 0 ? `waiting ${left} s` : "waiting";
  }
  return connection.state;
}

function outboxLabel(outbox: OutboxCounts | undefined): string {
  if (!outbox) return "";
  const parts = [outbox.queued ? `${outbox.queued} queued` : "", outbox.failed ? `${outbox.failed} failed` : ""];
  return parts.filter(Boolean).map((part) => ` · ${part}`).join("");
}

export function statusBarText(state: ViewState, extras: StatusExtras = {}): string {
  const muted = extras.muted ? " $(bell-slash)" : "";
  switch (state.kind) {
    case "starting":
      return "$(sync~spin) tgbridge: starting";
    case "stopped":
      return "$(error) tgbridge: stopped";
    case "running": {
      const { connection, settingsError } = state.status;
      if (settingsError) return "$(warning) tgbridge: settings error";
      const label = connectionLabel(connection, extras.waitLeft);
      return `${ICONS[connection.state]} tgbridge: ${label}${outboxLabel(extras.outbox)}${muted}`;
    }
  }
}

export function statusTooltip(state: ViewState, extras: StatusExtras = {}): string {
  const lines: string[] = [];
  switch (state.kind) {
    case "starting":
      lines.push("The tgbridge sidecar is starting.");
      break;
    case "stopped":
      lines.push(`The tgbridge sidecar is not running: ${state.reason}`);
      break;
    case "running":
      lines.push(state.status.settingsError ?? state.status.connection.detail);
      if (!state.status.settingsError && notLoggedIn(state.status.connection)) lines.push("Log in to send and receive.");
  }
  const outbox = extras.outbox;
  if (outbox?.queued) lines.push(`${plural(outbox.queued, "message")} waiting to be sent.`);
  if (outbox?.failed) lines.push(`${plural(outbox.failed, "message")} could not be sent.`);
  if (extras.muted) lines.push("Notifications for new messages are muted.");
  lines.push("Click for actions.");
  return lines.join("\n");
}

/** How loudly the item is coloured: the sidecar stopped (error), sends failed or the
 * settings are wrong (warning). */
export function statusSeverity(state: ViewState, outbox: OutboxCounts = EMPTY_OUTBOX): "error" | "warning" | undefined {
  if (state.kind === "stopped") return "error";
  if (state.kind === "running" && state.status.settingsError) return "warning";
  return outbox.failed > 0 ? "warning" : undefined;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
