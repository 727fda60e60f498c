// When to restart a crashed sidecar: exponential back-off, and give up after too many
// crashes in a short window. No vscode imports, so node:test can drive it.

export interface RestartPolicyOptions {
  maxCrashes: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxCrashes: 5,
  windowMs: 3 * 60 * 1000,
  baseDelayMs: 500,
  maxDelayMs: 15000,
};

export type RestartDecision = { restart: true; delayMs: number; attempt: number } | { restart: false };

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a crash at `now` and says whether, and after how long, to restart. */
  onCrash(now: number): RestartDecision {
    this.crashes = this.crashes.filter((at) => now - at < this.options.windowMs);
    this.crashes.push(now);
    const attempt = this.crashes.length;
    if (attempt > this.options.maxCrashes) return { restart: false };
    const delayMs = Math.min(this.options.baseDelayMs * 2 ** (attempt - 1), this.options.maxDelayMs);
    return { restart: true, delayMs, attempt };
  }

  /** Forgets past crashes, e.g. after a restart the user asked for. */
  reset(): void {
    this.crashes = [];
  }
}
