// "tgbridge: Enable Voice Notes": runs `python -m tgbridge voice install` with the
// sidecar's interpreter and environment and follows its progress, JSON lines such as
// `{"step": "Getting numpy", "percent": 40}` (a failure: a last line with "error" and exit
// code 1). No vscode imports, so node:test can drive it; the progress notification is in
// commands.ts.
import { spawn } from "node:child_process";

export interface InstallStep {
  step: string;
  /** 0–100; undefined when the line gave none. */
  percent?: number;
  error?: string;
}

/** One line of the installer's output as a step; undefined for anything else. */
export function parseInstallLine(line: string): InstallStep | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { step, percent, error } = value as Record<string, unknown>;
  if (typeof step !== "string") return undefined;
  const parsed: InstallStep = { step };
  if (typeof percent === "number" && Number.isFinite(percent)) parsed.percent = Math.min(100, Math.max(0, percent));
  if (typeof error === "string") parsed.error = error || "unknown error";
  return parsed;
}

/** Turns the installer's output, in chunks as they come, into a progress bar's steps:
 * the message and how far it moved since the last report (never backwards). */
export class InstallProgress {
  private pending = "";
  private reached = 0;
  /** The error the installer's last line gave, if any. */
  error: string | undefined;

  feed(chunk: string): Array<{ message: string; increment: number }> {
    const lines = (this.pending + chunk).split(/\r?\n/);
    this.pending = lines.pop() ?? "";
    return lines.flatMap((line) => this.line(line));
  }

  /** What was left without a line end when the output closed. */
  end(): Array<{ message: string; increment: number }> {
    const rest = this.pending;
    this.pending = "";
    return this.line(rest);
  }

  private line(line: string): Array<{ message: string; increment: number }> {
    const step = parseInstallLine(line);
    if (!step) return [];
    if (step.error !== undefined) this.error = step.error;
    const percent = step.percent ?? this.reached;
    const increment = Math.max(0, percent - this.reached);
    this.reached = Math.max(this.reached, percent);
    return [{ message: step.step, increment }];
  }
}

export type InstallOutcome = { kind: "installed" } | { kind: "failed"; error: string } | { kind: "cancelled" };

export interface InstallLaunch {
  executable: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface InstallOptions {
  /** Aborted: the installer (and the pip it runs) is stopped. */
  signal?: AbortSignal;
  onStep: (message: string, increment: number) => void;
  /** The installer's other output (stderr), for the log. */
  onOutput?: (text: string) => void;
}

const STDERR_KEPT = 2000;

/** Runs the installer to its end; never rejects. */
export function runVoiceInstall(launch: InstallLaunch, options: InstallOptions): Promise<InstallOutcome> {
  return new Promise((resolve) => {
    const posix = process.platform !== "win32";
    const progress = new InstallProgress();
    let stderr = "";
    let cancelled = false;
    let spawnError: Error | undefined;
    const child = spawn(launch.executable, ["-m", "tgbridge", "voice", "install"], {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
      // A process group of its own, so a cancel stops pip too, not only the installer.
      detached: posix,
    });
    const report = (steps: Array<{ message: string; increment: number }>): void => {
      for (const { message, increment } of steps) options.onStep(message, increment);
    };
    const stop = (): void => {
      cancelled = true;
      try {
        if (posix && child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
        else child.kill();
      } catch {
        // Already gone.
      }
    };
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", stop, { once: true });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => report(progress.feed(chunk)));
    child.stderr.on("data", (chunk: string) => {
      options.onOutput?.(chunk);
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    child.on("error", (error) => {
      spawnError = error;
      // Never started: no "close" may follow.
      if (child.pid === undefined) resolve({ kind: "failed", error: `could not run ${launch.executable}: ${error.message}` });
    });
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", stop);
      report(progress.end());
      if (cancelled) resolve({ kind: "cancelled" });
      else if (spawnError) resolve({ kind: "failed", error: `could not run ${launch.executable}: ${spawnError.message}` });
      else if (code === 0 && progress.error === undefined) resolve({ kind: "installed" });
      else resolve({ kind: "failed", error: progress.error ?? lastLine(stderr) ?? `the installer stopped with exit code ${code}` });
    });
  });
}

function lastLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .pop();
}
