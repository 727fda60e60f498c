// The editor-side mute of incoming-message notifications, kept in the extension's global
// state (every window shares it) and ending by itself; no vscode imports, so node:test
// can drive it.

export type MuteDuration = "1h" | "8h" | "tomorrow" | "untilUnmuted";

export const MUTE_CHOICES: ReadonlyArray<{ duration: MuteDuration; label: string }> = [
  { duration: "1h", label: "For 1 hour" },
  { duration: "8h", label: "For 8 hours" },
  { duration: "tomorrow", label: "Until tomorrow morning (08:00)" },
  { duration: "untilUnmuted", label: "Until I unmute" },
];

/** Stored under MUTE_KEY: `until` in ms since the epoch, null for "until unmuted". */
export interface MuteRecord {
  until: number | null;
}

export const MUTE_KEY = "tgbridge.notificationsMuted";

/** What vscode.Memento offers (context.globalState). */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** When a mute of `duration` chosen at `now` ends: null for never (until unmuted). */
export function muteUntil(duration: MuteDuration, now: Date): number | null {
  switch (duration) {
    case "1h":
      return now.getTime() + 3_600_000;
    case "8h":
      return now.getTime() + 8 * 3_600_000;
    case "tomorrow": {
      const morning = new Date(now);
      morning.setDate(morning.getDate() + 1);
      morning.setHours(8, 0, 0, 0);
      return morning.getTime();
    }
    case "untilUnmuted":
      return null;
  }
}

export function isMuted(record: MuteRecord | undefined, nowMs: number): boolean {
  if (!record) return false;
  return record.until === null || nowMs < record.until;
}

/** "until 14:30", "until tomorrow 08:00", "until you unmute". */
export function mutedUntilText(record: MuteRecord, now: Date): string {
  if (record.until === null) return "until you unmute";
  const end = new Date(record.until);
  const time = `${String(end.getHours()).padStart(2, "0")}:${String(end.getMinutes()).padStart(2, "0")}`;
  const tomorrow = new Date(now);
  tomorrow.setDate(tomorrow.getDate() + 1);
  if (end.toDateString() === now.toDateString()) return `until ${time}`;
  if (end.toDateString() === tomorrow.toDateString()) return `until tomorrow ${time}`;
  return `until ${end.toDateString()} ${time}`;
}

/** The mute as the store holds it; an ended mute counts as none. */
export class Mute {
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: KeyValueStore,
    private readonly now: () => number = Date.now,
  ) {
    this.scheduleEnd();
  }

  get muted(): boolean {
    return isMuted(this.record(), this.now());
  }

  /** The current mute, undefined when none. */
  record(): MuteRecord | undefined {
    const record = this.store.get<MuteRecord>(MUTE_KEY);
    return isMuted(record, this.now()) ? record : undefined;
  }

  async mute(duration: MuteDuration): Promise<MuteRecord> {
    const record = { until: muteUntil(duration, new Date(this.now())) };
    await this.store.update(MUTE_KEY, record);
    this.changed();
    return record;
  }

  async unmute(): Promise<void> {
    await this.store.update(MUTE_KEY, undefined);
    this.changed();
  }

  /** Called when the mute starts or ends (an ended mute too, when it ends by itself). */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private changed(): void {
    this.scheduleEnd();
    for (const listener of [...this.listeners]) listener();
  }

  /** Tells the listeners when a timed mute ends, so the status bar stops saying muted. */
  private scheduleEnd(): void {
    clearTimeout(this.timer);
    const until = this.record()?.until;
    if (until == null) return;
    // setTimeout holds at most ~24.8 days; a longer mute is checked again then.
    const delay = Math.min(until - this.now(), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.changed(), Math.max(0, delay) + 50);
    this.timer.unref?.();
  }
}
