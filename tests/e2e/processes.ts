// Finds the sidecar processes that a code-server instance started: their working
// directory is the installed extension, under that instance's extensions folder.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

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
