// The real-editor test against the loopback Telegram server: the packaged .vsix in
// code-server, driven in Chromium, logs in as a bot, sends a selection to the phone user,
// reconnects from SecretStorage after a window reload and logs out. Screenshots of each
// step go to $TGBRIDGE_SCREENSHOTS, named telegram-NN-*.png.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { startCodeServer, type CodeServer } from "./codeServer";
import { one, sidecarPids, waitUntil } from "./processes";
import { startLoopbackServer, type LoopbackServer } from "./telegramServer";
import {
  QUIET_SETTINGS,
  STEP_TIMEOUT,
  launchChromium,
  openQuickFixMenu,
  repoRoot,
  required,
  runCommand,
  screenshots,
  vsix,
} from "./workbench";

const API_ID = "12345";
const API_HASH = "0123456789abcdef0123456789abcdef";
const MARKER = "tgbridge_e2e_marker";

describe("tgbridge in a real VS Code, talking to the loopback Telegram server", { timeout: 3 * 60_000 }, () => {
  let telegram: LoopbackServer | undefined;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let step = 0;
  let folder = "";
  let stateDir = "";

  const shot = async (name: string): Promise<void> => {
    step += 1;
    await page.screenshot({ path: path.join(screenshots, `telegram-${String(step).padStart(2, "0")}-${name}.png`) });
  };
  const statusBar = (text: RegExp) => page.locator(".statusbar").getByText(text);
  const toast = (text: RegExp) => page.locator(".notifications-toasts").getByText(text);
  /** A test body that leaves a screenshot of the page when it fails. */
  const guarded = (name: string, body: () => Promise<void>) => async (): Promise<void> => {
    try {
      await body();
    } catch (error) {
      await shot(`FAILED-${name}`).catch(() => undefined);
      throw error;
    }
  };

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    folder = mkdtempSync(path.join(tmpdir(), "tgbridge-e2e-telegram-workspace-"));
    stateDir = mkdtempSync(path.join(tmpdir(), "tgbridge-e2e-telegram-state-"));
    writeFileSync(path.join(folder, "marker.py"), `def ${MARKER}():\n    return 42\n`);
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
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(server.url);
    await page.locator(".monaco-workbench").waitFor();
    await statusBar(/tgbridge: not logged in/).waitFor();
    await shot("workbench-loaded");
  });

  after(async () => {
    // Each one whatever happened to the others.
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await telegram?.stop().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("logs in as a bot from the palette and goes online", guarded("log-in", async () => {
    await runCommand(page, "tgbridge: Log In");
    const quickInput = page.locator(".quick-input-widget");
    const input = quickInput.locator("input");
    await quickInput.getByText("tgbridge: Log In (1/3)").waitFor();
    await input.fill("Bot");
    await quickInput.locator(".quick-input-list .monaco-list-row", { hasText: "from @BotFather" }).waitFor();
    await page.keyboard.press("Enter");

    const answer = async (prompt: string, value: string): Promise<void> => {
      await quickInput.getByText(prompt).waitFor();
      await input.fill(value);
      await page.keyboard.press("Enter");
    };
    await answer("API id from my.telegram.org", API_ID);
    await answer("API hash from my.telegram.org", API_HASH);
    await quickInput.getByText("Bot token from @BotFather").waitFor();
    await input.fill(telegram!.info.botToken);
    await shot("login-bot-token");
    await page.keyboard.press("Enter");

    await toast(/tgbridge: Online as/).waitFor();
    await statusBar(/tgbridge: online/).waitFor();
    await quickInput.waitFor({ state: "hidden" });
    await shot("logged-in-online");
  }));

  it("sends a selection to the phone user with the quick fix", guarded("send-selection", async () => {
    const after = await telegram!.lastMessageId();
    await runCommand(page, "Go to File", "marker.py");
    const editor = page.locator(".monaco-editor .view-lines").first();
    await editor.getByText(MARKER).waitFor();
    await editor.getByText(MARKER).dblclick();
    await openQuickFixMenu(page, MARKER.length);
    const item = page.locator(".action-widget").getByText("Send selection to Telegram");
    await item.waitFor();
    await shot("send-selection-quick-fix");
    // The "sent" confirmation stays 4 s in the status bar: watch for it from before the click.
    const confirmed = statusBar(/Sent to Telegram/).waitFor();
    confirmed.catch(() => undefined); // awaited below; a failed click must not leave it unhandled
    await item.click();

    const received = await telegram!.waitForMessage(after, (message) => message.text.includes(MARKER), STEP_TIMEOUT);
    assert.match(received.text, /marker\.py:1/);
    await confirmed;
    await shot("selection-sent");
  }));

  // The extension does not show incoming messages yet: the sidecar sends `tgbridge/message`
  // but neither chatView.ts nor media/chat.js renders it.
  it.todo("shows a message the phone user sends in the Chat view");

  it("reconnects after a window reload with the session from SecretStorage", guarded("reload", async () => {
    const [before] = await waitUntil(() => one(sidecarPids(server!.extensionsDir)));
    const reloaded = page.waitForEvent("load");
    reloaded.catch(() => undefined); // awaited below; a failed palette step must not leave it unhandled
    await runCommand(page, "Developer: Reload Window");
    await reloaded;
    await page.locator(".monaco-workbench").waitFor();
    await statusBar(/tgbridge: online/).waitFor();
    // A new sidecar, which got the session from the editor, not from its own memory.
    const [restarted] = await waitUntil(() => sidecarPids(server!.extensionsDir).filter((pid) => pid !== before));
    assert.notEqual(restarted, before);
    assert.equal(await page.locator(".quick-input-widget").isVisible(), false, "the login wizard opened again");
    await shot("reloaded-online");
  }));

  it("logs out from the palette and leaves the online state", guarded("log-out", async () => {
    await runCommand(page, "tgbridge: Log Out");
    await toast(/tgbridge: logged out/).waitFor();
    await statusBar(/tgbridge: online/).waitFor({ state: "detached" });
    const text = await page.locator(".statusbar").getByText(/tgbridge: /).first().textContent();
    assert.doesNotMatch(text ?? "", /online/);
    await shot("logged-out");
  }));
});
