// Which actions the status bar's quick pick offers in which state; no vscode imports, so
// node:test can drive it. quickActions.ts shows them.
import { notLoggedIn, plural, type OutboxCounts, type ViewState } from "./statusText";

export interface StatusAction {
  /** The command run when picked, with `args`. */
  command: string;
  label: string;
  detail?: string;
  args?: unknown[];
}

const action = (command: string, label: string, detail?: string): StatusAction =>
  detail === undefined ? { command, label } : { command, label, detail };

export const ACTIONS = {
  logIn: action("tgbridge.logIn", "$(sign-in) Log In", "Connect a bot or your Telegram account"),
  logOut: action("tgbridge.logOut", "$(sign-out) Log Out"),
  showLogs: action("tgbridge.showLogs", "$(output) Show Logs"),
  restartSidecar: action("tgbridge.restartSidecar", "$(debug-restart) Restart Sidecar"),
  restartHub: action("tgbridge.restartHub", "$(refresh) Restart Hub", "Reconnect the one Telegram connection all windows share"),
  openSettings: action("tgbridge.openSettings", "$(settings-gear) Open Settings"),
  openChat: action("tgbridge.openChat", "$(comment-discussion) Open Chat"),
  sendMessage: action("tgbridge.sendMessage", "$(send) Send Message"),
  pairPhone: action("tgbridge.pairPhone", "$(device-mobile) Pair Phone"),
  searchHistory: action("tgbridge.searchHistory", "$(search) Search History"),
  mute: action("tgbridge.muteNotifications", "$(bell-slash) Mute Notifications"),
  unmute: action("tgbridge.unmuteNotifications", "$(bell) Unmute Notifications"),
} as const;

/** The actions that fit `state`, most useful first. `muted` picks Mute or Unmute. */
export function statusActions(state: ViewState, outbox: OutboxCounts, muted: boolean): StatusAction[] {
  if (state.kind === "starting") return [ACTIONS.showLogs, ACTIONS.restartSidecar];
  if (state.kind === "stopped") return [ACTIONS.restartSidecar, ACTIONS.showLogs];
  const { connection, settingsError } = state.status;
  if (settingsError) return [ACTIONS.openSettings, ACTIONS.showLogs, ACTIONS.restartSidecar];
  const retry: StatusAction[] = outbox.failedSendIds.length
    ? [
        {
          command: "tgbridge.retryFailed",
          label: `$(refresh) Retry ${outbox.failed} failed`,
          detail: `Send the ${plural(outbox.failed, "message")} that could not be sent again`,
          args: [outbox.failedSendIds],
        },
      ]
    : [];
  if (notLoggedIn(connection)) return [ACTIONS.logIn, ACTIONS.showLogs];
  // Waiting out a flood wait is online too: what is sent now queues behind the wait.
  if (connection.state === "online" || connection.state === "waiting") {
    return [
      ...retry,
      ACTIONS.openChat,
      ACTIONS.sendMessage,
      ACTIONS.pairPhone,
      ACTIONS.searchHistory,
      muted ? ACTIONS.unmute : ACTIONS.mute,
      ACTIONS.logOut,
    ];
  }
  // Connecting or offline.
  const queued = outbox.queued ? [{ ...ACTIONS.openChat, detail: `${outbox.queued} queued: see them in the Chat view` }] : [];
  return [...retry, ...queued, ACTIONS.showLogs, ACTIONS.restartSidecar, ACTIONS.restartHub];
}
