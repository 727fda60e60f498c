// Shared by the real-editor tests: where things are, the browser, and driving the
// workbench the way a person would (palette, webview frames).
import { chromium, type Browser, type Frame, type Locator, type Page } from "playwright-core";
import * as path from "node:path";

/** The bundles run from out/tests/e2e/, three levels under the repository. */
export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const screenshots = process.env.TGBRIDGE_SCREENSHOTS ?? path.join(repoRoot, "test-results", "e2e");
export const vsix = path.join(repoRoot, "dist", "tgbridge.vsix");
export const STEP_TIMEOUT = 60_000;

/** User settings that keep the workbench quiet and predictable for a test. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.ignoreRecommendations": true,
  "tgbridge.logLevel": "debug",
  "workbench.reduceMotion": "on",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
};

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tier through scripts/test`);
  return value;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
}

/** Runs `command` from the palette (F1); `argument` answers the quick pick it opens. */
export async function runCommand(page: Page, command: string, argument?: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${command}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: command }).first().waitFor();
  await page.keyboard.press("Enter");
  if (argument !== undefined) {
    await input.fill(argument);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: argument }).first().waitFor();
    await page.keyboard.press("Enter");
  }
}

/** The webview frame that contains `selector`; webviews sit in nested iframes. */
export async function frameWith(page: Page, selector: string): Promise<Frame> {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.locator(selector).count().catch(() => 0)) return frame;
    }
    await page.waitForEvent("framenavigated", { timeout: 1000 }).catch(() => undefined);
  }
  throw new Error(`no frame shows ${selector}`);
}

export const API_ID = "12345";
export const API_HASH = "0123456789abcdef0123456789abcdef";

/** Logs in as the loopback server's bot with the palette's wizard; `beforeSubmit` runs
 * with the token typed in (a screenshot). Returns once the token is submitted. */
export async function logInAsBot(page: Page, botToken: string, beforeSubmit?: () => Promise<void>): Promise<void> {
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
  await input.fill(botToken);
  await beforeSubmit?.();
  await page.keyboard.press("Enter");
}

/** The Chat view's page (its frame is new each time the view is shown again). */
export function chatFrame(page: Page): Promise<Frame> {
  return frameWith(page, '[data-testid="chat-composer"]');
}

/** The activity bar's tgbridge icon (its badge counts unread messages while the view is
 * hidden). */
export function activityBarItem(page: Page): Locator {
  return page.locator(".activitybar .action-item", { has: page.locator('[aria-label^="tgbridge"]') }).first();
}

/** Opens the quick-fix menu (Ctrl+.) on the editor's current selection of `length`
 * characters. The editor asks for code actions by itself a moment after the selection
 * changes and shows the light bulb; a Ctrl+. before that is overridden by that automatic
 * request (light bulb, no menu), so this waits for the selection and the light bulb first. */
export async function openQuickFixMenu(page: Page, length: number): Promise<void> {
  await page.locator(".statusbar").getByText(new RegExp(`\\(${length} selected\\)`)).waitFor();
  const lightBulb = '.monaco-editor [class*="codicon-light-bulb"], .monaco-editor [class*="codicon-lightbulb"]';
  await page.locator(lightBulb).filter({ visible: true }).first().waitFor();
  await page.keyboard.press("Control+.");
}
