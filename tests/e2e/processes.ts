// Process helpers for the real-editor tests: finding the sidecars that a code-server
// instance started, waiting for them, and stopping a child process for good.
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The sidecar processes of one code-server instance: their working directory is the
 * installed extension, under that instance's extensions folder. */
export function sidecarPids(extensionsDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cmdline.includes("tgbridge") && cmdline.includes("serve") && cwd.startsWith(extensionsDir)) {
        pids.push(Number(entry));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export function one(pids: number[]): number[] {
  return pids.length === 1 ? pids : [];
}

/** Polls `probe` (a /proc scan has no event to wait on) until it returns a non-empty
 * list; fails after `timeoutMs`. */
export async function waitUntil(
  probe: () => number[] | Promise<number[]>,
  timeoutMs = 60_000,
  what = "the sidecar process",
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found.length) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves on exit.
 * With `group`, the signals go to the child's whole process group (spawned `detached`), so
 * helpers it started (code-server's extension host, file watcher, the sidecar) go too. */
export function stopProcess(child: ChildProcess, graceMs = 10_000, group = false): Promise<void> {
  const signal = (name: NodeJS.Signals): void => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  const sweep = (): void => {
    if (group) signal("SIGKILL"); // whatever of the group outlived its leader
  };
  if (child.exitCode !== null || child.signalCode !== null) {
    sweep();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const force = setTimeout(() => signal("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(force);
      sweep();
      resolve();
    });
    signal("SIGTERM");
  });
}

/** The hubs serving `stateDir` (tgbridge.stateDir reaches them as TGBRIDGE_STATE_DIR). A
 * sidecar starts its hub in a session of its own, so stopping code-server leaves it, and
 * it lingers tgbridge.hubLingerMinutes after its last window: a test stops it itself. */
export function hubPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!cmdline.includes("tgbridge") || !cmdline.includes("hub")) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(`TGBRIDGE_STATE_DIR=${stateDir}`)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** SIGTERM to the hubs of `stateDir`, SIGKILL to any still there after `graceMs`. */
export async function stopHubs(stateDir: string, graceMs = 10_000): Promise<void> {
  const signal = (pids: number[], name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
  };
  signal(hubPids(stateDir), "SIGTERM");
  const left = await waitUntil(async () => (hubPids(stateDir).length ? [] : [0]), graceMs, "the hub to stop").then(
    () => [],
    () => hubPids(stateDir),
  );
  signal(left, "SIGKILL");
}
