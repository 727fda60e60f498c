// Which incoming messages are worth a notification, and bursts of them (each within 2 s of
// the one before) gathered into one; no vscode imports, so node:test can drive it.
import type { ChatMessage } from "./protocol";

export const BURST_GAP_MS = 2000;
/** A burst that keeps going is shown after this long anyway. */
export const BURST_MAX_MS = 10_000;
export const PREVIEW_CHARS = 200;

/** Starts a timer; returns what cancels it. */
export type Schedule = (run: () => void, ms: number) => () => void;

export const realSchedule: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

/** Items arriving at most `gapMs` after the one before go in one group. */
export function groupBursts<T>(arrivals: ReadonlyArray<{ at: number; item: T }>, gapMs = BURST_GAP_MS): T[][] {
  const groups: T[][] = [];
  let last: number | undefined;
  for (const { at, item } of arrivals) {
    if (last !== undefined && at - last <= gapMs) groups[groups.length - 1]!.push(item);
    else groups.push([item]);
    last = at;
  }
  return groups;
}

/** Gathers items as they come and hands over each burst once `gapMs` passed without a new
 * one (or `maxMs` after its first). */
export class BurstCollector<T> {
  private items: T[] = [];
  private cancelQuiet: (() => void) | undefined;
  private cancelMax: (() => void) | undefined;

  constructor(
    private readonly onBurst: (items: T[]) => void,
    private readonly schedule: Schedule = realSchedule,
    private readonly gapMs = BURST_GAP_MS,
    private readonly maxMs = BURST_MAX_MS,
  ) {}

  add(item: T): void {
    this.items.push(item);
    this.cancelQuiet?.();
    this.cancelQuiet = this.schedule(() => this.flush(), this.gapMs);
    this.cancelMax ??= this.schedule(() => this.flush(), this.maxMs);
  }

  flush(): void {
    this.cancelQuiet?.();
    this.cancelMax?.();
    this.cancelQuiet = this.cancelMax = undefined;
    const items = this.items;
    this.items = [];
    if (items.length) this.onBurst(items);
  }

  dispose(): void {
    this.cancelQuiet?.();
    this.cancelMax?.();
    this.items = [];
  }
}

/** Remembers which messages were already seen, so one that comes again (its file saved,
 * say) is not told twice; bounded. */
export class SeenMessages {
  private readonly keys = new Set<string>();

  constructor(private readonly keep = 2000) {}

  /** True the first time a message is seen. */
  firstTime(message: Pick<ChatMessage, "chatId" | "messageId">): boolean {
    const key = `${message.chatId}:${message.messageId}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.keep) this.keys.delete(this.keys.values().next().value!);
    return true;
  }
}

/** A new message from someone else: not one of ours, not an edit. */
export function worthNotifying(message: ChatMessage): boolean {
  return !message.outgoing && !message.edited;
}

/** The message's text for a notification: its first PREVIEW_CHARS characters on one line,
 * or what it carries when it has no text. */
export function preview(message: Pick<ChatMessage, "text" | "filePath" | "filePending">): string {
  const text = message.text.replace(/\s+/g, " ").trim();
  if (text) return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
  if (message.filePath) return `sent a file: ${message.filePath.split(/[\\/]/).pop()}`;
  return message.filePending ? "sent a file" : "sent a message";
}

/** Names in order of first appearance: "Ann", "Ann, Bob", "Ann, Bob, Cy and 2 others". */
export function senderList(names: readonly string[]): string {
  const unique = [...new Set(names)];
  if (unique.length <= 3) return unique.join(", ");
  const others = unique.length - 3;
  return `${unique.slice(0, 3).join(", ")} and ${others} other${others === 1 ? "" : "s"}`;
}

/** The notification for a burst: one message says who and what; several say how many and
 * from whom, then the latest. */
export function burstText(messages: readonly ChatMessage[], nameOf: (message: ChatMessage) => string): string {
  const latest = messages[messages.length - 1]!;
  if (messages.length === 1) return `${nameOf(latest)}: ${preview(latest)}`;
  return `${messages.length} new messages from ${senderList(messages.map(nameOf))} — ${nameOf(latest)}: ${preview(latest)}`;
}
