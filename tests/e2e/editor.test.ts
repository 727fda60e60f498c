// The real-editor test: the packaged .vsix inside code-server, driven in Chromium the way
// a person would use it. Screenshots of each step go to $TGBRIDGE_SCREENSHOTS.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { startCodeServer, type CodeServer } from "./codeServer";
import { one, sidecarPids, stopHubs, waitUntil } from "./processes";
import {
  QUIET_SETTINGS,
  STEP_TIMEOUT,
  frameWith,
  launchChromium,
  openQuickFixMenu,
  required,
  runCommand,
  screenshots,
  vsix,
} from "./workbench";

describe("tgbridge in a real VS Code (code-server)", { timeout: 5 * 60_000 }, () => {
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let step = 0;
  let folder = "";
  /** Its own state (not the user's), and its hub stopped at the end. */
  let stateDir = "";

  const shot = async (name: string): Promise<void> => {
    step += 1;
    await page.screenshot({ path: path.join(screenshots, `${String(step).padStart(2, "0")}-${name}.png`) });
  };

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    folder = mkdtempSync(path.join(tmpdir(), "tgbridge-e2e-workspace-"));
    stateDir = mkdtempSync(path.join(tmpdir(), "tgbridge-e2e-state-"));
    writeFileSync(path.join(folder, "hello.py"), 'def greet(name):\n    return f"hello {name}"\n');
    server = await startCodeServer({
      bin: required("CODE_SERVER_BIN"),
      nodeBin: required("NODE24_BIN"),
      vsix,
      folder,
      userSettings: { ...QUIET_SETTINGS, "tgbridge.stateDir": stateDir },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(server.url);
    await page.locator(".monaco-workbench").waitFor();
    await page.locator(".statusbar").getByText(/tgbridge: not logged in/).waitFor();
    await shot("workbench-loaded");
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await stopHubs(stateDir).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("shows the connection state in the status bar", async () => {
    const item = page.locator(".statusbar").getByText(/tgbridge: not logged in/);
    assert.equal(await item.count(), 1);
  });

  it("runs 'tgbridge: Show Status' from the palette and the Chat view shows the status", async () => {
    await runCommand(page, "tgbridge: Show Status");
    const chat = await frameWith(page, '[data-testid="connection-state"]');
    const state = chat.locator('[data-testid="connection-state"]');
    assert.equal((await state.textContent())?.trim(), "not configured");
    const folders = await chat.locator('[data-testid="workspace-folders"]').textContent();
    assert.match(folders ?? "", /tgbridge-e2e-workspace-/);
    const python = await chat.locator('[data-testid="python"]').textContent();
    // The packaged extension runs on its bundled libraries with the user's Python,
    // not on the development venv.
    assert.doesNotMatch(python ?? "", /\.venv/);
    await shot("chat-view-status");
  });

  it("offers 'Send selection to Telegram' in the quick-fix menu on a selection", async () => {
    await runCommand(page, "Go to File", "hello.py");
    const editor = page.locator(".monaco-editor .view-lines").first();
    await editor.getByText("greet").waitFor();
    await editor.getByText("greet").dblclick();
    await shot("selection");
    await openQuickFixMenu(page, "greet".length);
    const item = page.locator(".action-widget").getByText("Send selection to Telegram");
    await item.waitFor();
    await shot("quick-fix-menu");

    await item.click();
    const toast = page.locator(".notifications-toasts").getByText(/Not connected to Telegram/);
    await toast.waitFor();
    await shot("not-connected-error");
    await page.keyboard.press("Escape");
  });

  it("restarts the sidecar when it crashes", async () => {
    const [first] = await waitUntil(() => one(sidecarPids(server.extensionsDir)));
    process.kill(first!, "SIGKILL");
    const [second] = await waitUntil(() => one(sidecarPids(server.extensionsDir).filter((pid) => pid !== first)));
    assert.notEqual(second, first);
    await page.locator(".statusbar").getByText(/tgbridge: not logged in/).waitFor();
    await shot("restarted-after-crash");
  });

  it("gives up after repeated crashes with an error that offers Show Logs", async () => {
    const killed = new Set<number>();
    const toast = page.locator(".notifications-toasts").getByText(/keeps crashing/);
    const deadline = Date.now() + STEP_TIMEOUT;
    while (!(await toast.isVisible())) {
      if (Date.now() > deadline) await shot("never-gave-up");
      assert.ok(Date.now() < deadline, `the extension never gave up restarting (killed ${killed.size})`);
      for (const pid of sidecarPids(server.extensionsDir).filter((pid) => !killed.has(pid))) {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      }
      await page.waitForTimeout(100);
    }
    assert.ok(killed.size >= 5, `gave up after ${killed.size} crashes`);
    await page.locator(".statusbar").getByText(/tgbridge: stopped/).waitFor();
    await shot("gave-up-after-crashes");
    await page.locator(".notifications-toasts").getByRole("button", { name: "Show Logs" }).click();
    const output = page.locator('[id="workbench.panel.output"]');
    // Log lines render with non-breaking spaces, hence \s.
    await output.locator(".view-lines").getByText(/The\ssidecar/).first().waitFor();
    const channel = page.getByRole("toolbar", { name: "Output actions" }).getByLabel("Switch Output");
    assert.equal(await channel.evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.text), "tgbridge");
    await shot("logs-shown");

    await runCommand(page, "tgbridge: Restart Sidecar");
    await page.locator(".statusbar").getByText(/tgbridge: not logged in/).waitFor();
  });

  it("restarts the sidecar when a tgbridge setting changes", async () => {
    const [before] = await waitUntil(() => one(sidecarPids(server.extensionsDir)));
    await runCommand(page, "Preferences: Open User Settings");
    await page.locator(".settings-editor .settings-header").waitFor();
    await page.keyboard.type("tgbridge.logLevel"); // the search box has the focus
    const select = page.locator('.settings-editor .setting-item-enum select').first();
    await select.waitFor();
    await select.selectOption("warning");
    await shot("setting-changed");
    const [after] = await waitUntil(() => one(sidecarPids(server.extensionsDir).filter((pid) => pid !== before)));
    assert.notEqual(after, before);
    await page.locator(".statusbar").getByText(/tgbridge: not logged in/).waitFor();
  });
});
