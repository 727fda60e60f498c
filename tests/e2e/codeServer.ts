// Runs code-server (a real VS Code build) on 127.0.0.1 with the packaged .vsix installed.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stopProcess } from "./processes";

export interface CodeServer {
  url: string;
  extensionsDir: string;
  /** --user-data-dir: the logs are under logs/ (the extension host writes under window<N>/exthost). */
  userDataDir: string;
  userSettingsFile: string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  bin: string;
  nodeBin: string;
  vsix: string;
  folder: string;
  userSettings: Record<string, unknown>;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const home = mkdtempSync(path.join(tmpdir(), "tgbridge-code-server-"));
  const extensions = path.join(home, "extensions");
  const userData = path.join(home, "user-data");
  const userSettingsFile = path.join(userData, "User", "settings.json");
  mkdirSync(path.dirname(userSettingsFile), { recursive: true });
  writeFileSync(userSettingsFile, JSON.stringify(options.userSettings, null, 2));
  const env = { ...process.env, PATH: `${options.nodeBin}${path.delimiter}${process.env.PATH ?? ""}` };
  const dirs = ["--extensions-dir", extensions, "--user-data-dir", userData];

  execFileSync(options.bin, [...dirs, "--install-extension", options.vsix], { env, stdio: "pipe" });

  const child = spawn(
    options.bin,
    [
      ...dirs,
      "--auth", "none",
      "--bind-addr", "127.0.0.1:0",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      options.folder,
    ],
    // Its own process group, so stop() ends everything it started.
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const url = await listeningUrl(child);
  return {
    url: `${url}/?folder=${encodeURIComponent(options.folder)}`,
    extensionsDir: extensions,
    userDataDir: userData,
    userSettingsFile,
    stop: async () => {
      await stopProcess(child, 10_000, true);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`code-server exited with ${code}:\n${output}`)));
  });
}
