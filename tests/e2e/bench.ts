// The editor's bench figures, in code-server driven by Chromium (tests/bench/editor.py
// runs this and relays its lines; see there for what each figure means):
//   activation_ms        from the extension host's log and the extension's own
//   chat_first_paint_ms  "tgbridge: Open Chat" to the first message on screen, with
//                        1,000 messages in the history
// One line per figure on stdout; progress and failures on stderr.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { startCodeServer, type CodeServer } from "./codeServer";
import { startLoopbackServer, type LoopbackServer } from "./telegramServer";
import { QUIET_SETTINGS, STEP_TIMEOUT, frameWith, launchChromium, logInAsBot, repoRoot, required, runCommand, vsix } from "./workbench";

const RUNS = Math.max(1, Number(process.env.TGBRIDGE_BENCH_RUNS ?? 5));
const MESSAGES = 1000;
const ACTIVATION_TARGET_MS = 50;
const PAINT_TARGET_MS = 200;
const EXTENSION_ID = "tgbridge.tgbridge";

/** Set in every frame before its scripts run. In a webview's host frame (pre/index.html,
 * which writes the Chat view's page into its child frame) it looks into that child at
 * each animation frame and notes when the first message is there: the frame after the
 * one that painted it, as the page's own `painted` report. (The child's document is
 * written over by VS Code, so a script set in the child itself would not see it.) */
const FIRST_MESSAGE_PROBE = `(() => {
  if (!location.pathname.endsWith("/webview/browser/pre/index.html")) return;
  const poll = () => {
    for (const frame of document.querySelectorAll("iframe")) {
      let found = null;
      try {
        found = frame.contentDocument && frame.contentDocument.querySelector('[data-testid="chat-message"]');
      } catch {
        continue;
      }
      if (found) {
        window.tgbridgeFirstMessage = performance.timeOrigin + performance.now();
        return;
      }
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function progress(message: string): void {
  process.stderr.write(`bench(editor): ${message}\n`);
}

/** Every file under `dir` whose path matches `test`. */
function filesUnder(dir: string, test: (file: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && test(file)) found.push(file);
  }
  return found.sort();
}

/** "2025-01-02 10:11:12.345 [info] text" -> [ms since the epoch (local clock), text]. */
function logLine(line: string): [number, string] | undefined {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) \[\w+\] (.*)$/.exec(line);
  return match ? [new Date(`${match[1]}T${match[2]}`).getTime(), match[3]!] : undefined;
}

/** The activations in code-server's logs, one per extension host: the time from the host's
 * "activating tgbridge" to the extension's first line (the bundle loaded and the
 * synchronous part of activate() run), and the extension's "activated in N ms". */
function activations(userDataDir: string): { sync: number; full: number }[] {
  const logs = path.join(userDataDir, "logs");
  const hosts = filesUnder(logs, (file) => /exthost\.log$/.test(file));
  const found: { sync: number; full: number }[] = [];
  for (const host of hosts) {
    const started = readFileSync(host, "utf8")
      .split("\n")
      .map(logLine)
      .find((line) => line && line[1].includes(`ExtensionService#_doActivateExtension ${EXTENSION_ID}`));
    const ours = filesUnder(path.dirname(host), (file) => file.includes(EXTENSION_ID) && file.endsWith(".log"));
    if (!started || ours.length !== 1) continue;
    const lines = readFileSync(ours[0]!, "utf8").split("\n").map(logLine).filter((line) => line !== undefined);
    const activating = lines.find((line) => /^tgbridge \S+ activating$/.test(line[1]));
    const activated = lines.map((line) => /^activated in (\d+) ms$/.exec(line[1])).find(Boolean);
    if (process.env.TGBRIDGE_BENCH_DEBUG) process.stderr.write(readFileSync(host, "utf8") + readFileSync(ours[0]!, "utf8"));
    if (activating && activated) found.push({ sync: activating[0] - started[0], full: Number(activated[1]) });
  }
  return found;
}

async function reloadWindow(page: Page): Promise<void> {
  const reloaded = page.waitForEvent("load");
  reloaded.catch(() => undefined);
  await runCommand(page, "Developer: Reload Window");
  await reloaded;
  await page.locator(".monaco-workbench").waitFor();
}

/** Hides the Chat view (the Explorer in the side bar), then opens it with the palette's
 * "tgbridge: Open Chat"; the ms from Enter to the first message on screen. */
async function openChatMs(page: Page): Promise<number> {
  await runCommand(page, "View: Show Explorer");
  await page.locator(".sidebar .title-label", { hasText: /explorer/i }).waitFor();
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(">tgbridge: Open Chat");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "tgbridge: Open Chat" }).first().waitFor();
  const start = await page.evaluate(() => performance.timeOrigin + performance.now());
  await page.keyboard.press("Enter");
  const frame = await frameWith(page, '[data-testid="chat-message"]');
  await frame.locator('[data-testid="chat-message"]').first().waitFor();
  const host = frame.parentFrame();
  if (!host) throw new Error("the Chat view's page has no host frame");
  const shown = await host.waitForFunction(() => (window as unknown as { tgbridgeFirstMessage?: number }).tgbridgeFirstMessage);
  const count = await frame.locator('[data-testid="chat-message"]').count();
  if (count < 50) throw new Error(`the Chat view shows ${count} messages, not a page of the history`);
  return Number(await shown.jsonValue()) - start;
}

async function main(): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), "tgbridge-bench-editor-workspace-"));
  const stateDir = mkdtempSync(path.join(tmpdir(), "tgbridge-bench-editor-state-"));
  writeFileSync(path.join(folder, "main.py"), "print('hello')\n");
  let telegram: LoopbackServer | undefined;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    telegram = await startLoopbackServer(repoRoot);
    const { info } = telegram;
    server = await startCodeServer({
      bin: required("CODE_SERVER_BIN"),
      nodeBin: required("NODE24_BIN"),
      vsix,
      folder,
      userSettings: {
        ...QUIET_SETTINGS,
        "tgbridge.dataCenter": { id: info.dcId, host: "127.0.0.1", port: info.port, publicKeyFile: info.publicKeyFile },
        "tgbridge.defaultChat": String(info.userId),
        "tgbridge.stateDir": stateDir,
      },
    });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.addInitScript(FIRST_MESSAGE_PROBE);
    const statusBar = (text: RegExp) => page.locator(".statusbar").getByText(text);
    await page.goto(server.url);
    await page.locator(".monaco-workbench").waitFor();
    await statusBar(/tgbridge: not logged in/).waitFor();
    progress("logging in");
    await logInAsBot(page, info.botToken);
    await statusBar(/tgbridge: online/).waitFor();

    progress(`writing ${MESSAGES} messages into the store`);
    const python = path.join(repoRoot, ".venv", "bin", "python");
    execFileSync(python, ["-m", "tests.bench.editor", "seed", path.join(stateDir, "tgbridge.db"), String(info.userId), String(MESSAGES)], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "inherit"],
    });

    const paints: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      progress(`window reload ${run + 1} of ${RUNS}`);
      await reloadWindow(page);
      await statusBar(/tgbridge: online/).waitFor();
      paints.push(await openChatMs(page));
    }

    const activated = activations(server.userDataDir);
    if (activated.length === 0) throw new Error("no activation of tgbridge in code-server's logs");
    const sync = median(activated.map((each) => each.sync));
    const full = median(activated.map((each) => each.full));
    console.log(
      `activation_ms: ${sync.toFixed(0)} ms (bundle loaded and activate() run, median of ${activated.length};` +
        ` activate() until the sidecar is up: ${full.toFixed(0)} ms; target: ${ACTIVATION_TARGET_MS} ms)`,
    );
    console.log(
      `chat_first_paint_ms: ${median(paints).toFixed(0)} ms (Open Chat to the first message, ${MESSAGES} in the history,` +
        ` median of ${paints.length}; runs: ${paints.map((ms) => ms.toFixed(0)).join(", ")}; target: ${PAINT_TARGET_MS} ms)`,
    );
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await telegram?.stop().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench(editor) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
