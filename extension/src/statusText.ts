// Words and icons for the sidecar's state; no vscode imports, so node:test can drive it.
import type { ConnectionState, StatusResult } from "./protocol";

export type ViewState =
  | { kind: "starting" }
  | { kind: "running"; status: StatusResult }
  | { kind: "stopped"; reason: string };

const ICONS: Record<ConnectionState["state"], string> = {
  "not configured": "$(circle-slash)",
  connecting: "$(sync~spin)",
  online: "$(check)",
  offline: "$(debug-disconnect)",
  waiting: "$(watch)",
  unauthorized: "$(lock)",
};

export function statusBarText(state: ViewState): string {
  switch (state.kind) {
    case "starting":
      return "$(sync~spin) tgbridge: starting";
    case "stopped":
      return "$(error) tgbridge: stopped";
    case "running": {
      const { connection, settingsError } = state.status;
      if (settingsError) return "$(warning) tgbridge: settings error";
      const label = connection.state === "waiting" && connection.waitSeconds != null
        ? `waiting ${connection.waitSeconds} s`
        : connection.state;
      return `${ICONS[connection.state]} tgbridge: ${label}`;
    }
  }
}

export function statusTooltip(state: ViewState): string {
  switch (state.kind) {
    case "starting":
      return "The tgbridge sidecar is starting.";
    case "stopped":
      return `The tgbridge sidecar is not running: ${state.reason}`;
    case "running":
      return state.status.settingsError ?? state.status.connection.detail;
  }
}
