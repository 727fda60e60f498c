// The status bar item: always says the connection state, counts a wait down each second,
// says how many sends are queued or failed (asking the sidecar's outbox when a send's
// status or the connection changes), and opens the quick pick of actions on a click.
import * as vscode from "vscode";
import type { OutboxResult } from "./protocol";
import {
  EMPTY_OUTBOX,
  notLoggedIn,
  outboxCounts,
  sameWait,
  secondsLeft,
  statusBarText,
  statusSeverity,
  statusTooltip,
  waitOf,
  type OutboxCounts,
  type ViewState,
} from "./statusText";

export const STATUS_ACTIONS = "tgbridge.statusActions";
/** Outbox questions are gathered: a burst of status reports asks once. */
const OUTBOX_DEBOUNCE_MS = 300;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("tgbridge.status", vscode.StatusBarAlignment.Left, 10);
  private state: ViewState = { kind: "starting" };
  private counts: OutboxCounts = EMPTY_OUTBOX;
  private waitSince = 0;
  private ticker: NodeJS.Timeout | undefined;
  private pendingOutbox: NodeJS.Timeout | undefined;
  private asking = 0;
  private disposed = false;

  /**
   * @param fetchOutbox asks the sidecar for `tgbridge/outbox` (quietly: undefined when it
   *   cannot answer); not given, the status bar shows no outbox.
   * @param muted whether incoming-message notifications are muted now.
   */
  constructor(
    private readonly fetchOutbox: () => Promise<OutboxResult | undefined> = async () => undefined,
    private readonly muted: () => boolean = () => false,
  ) {
    this.item.name = "tgbridge";
    this.item.command = STATUS_ACTIONS;
    this.render();
    this.item.show();
  }

  /** The state and the outbox as shown now, for the quick pick. */
  get snapshot(): { state: ViewState; outbox: OutboxCounts } {
    return { state: this.state, outbox: this.counts };
  }

  show(state: ViewState): void {
    const before = this.state;
    this.state = state;
    if (!sameWait(before, state)) this.waitSince = Date.now();
    if (!this.canAskOutbox()) this.counts = EMPTY_OUTBOX;
    this.render();
    this.refreshOutbox();
  }

  /** Asks the outbox again soon: a send's status changed, or the connection did. */
  refreshOutbox(): void {
    if (this.disposed) return;
    clearTimeout(this.pendingOutbox);
    this.pendingOutbox = setTimeout(() => void this.askOutbox(), OUTBOX_DEBOUNCE_MS);
  }

  /** Shows the mute as it is now. */
  render(): void {
    const left = this.waitLeft();
    const extras = { outbox: this.counts, muted: this.muted(), ...(left === undefined ? {} : { waitLeft: left }) };
    this.item.text = statusBarText(this.state, extras);
    this.item.tooltip = statusTooltip(this.state, extras);
    const severity = statusSeverity(this.state, this.counts);
    this.item.backgroundColor = severity ? new vscode.ThemeColor(`statusBarItem.${severity}Background`) : undefined;
    this.tick(left !== undefined && left > 0);
  }

  private waitLeft(): number | undefined {
    const wait = waitOf(this.state);
    return wait === undefined ? undefined : secondsLeft(wait, this.waitSince, Date.now());
  }

  /** A countdown redraws each second while it runs. */
  private tick(counting: boolean): void {
    if (counting && !this.ticker && !this.disposed) this.ticker = setInterval(() => this.render(), 1000);
    else if (!counting && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private canAskOutbox(): boolean {
    return this.state.kind === "running" && !this.state.status.settingsError && !notLoggedIn(this.state.status.connection);
  }

  private async askOutbox(): Promise<void> {
    if (!this.canAskOutbox()) return;
    const asked = ++this.asking;
    const result = await this.fetchOutbox().catch(() => undefined);
    // A newer question, or a state in which the answer no longer counts, wins.
    if (this.disposed || asked !== this.asking || !result || !this.canAskOutbox()) return;
    this.counts = outboxCounts(result.items);
    this.render();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.pendingOutbox);
    clearInterval(this.ticker);
    this.item.dispose();
  }
}
