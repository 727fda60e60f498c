// The real-editor test against the loopback Telegram server (its HTTP control is the
// phone): the packaged .vsix in code-server, driven in Chromium, logs in as a bot, pairs
// the phone, shows the phone's message in the Chat view (with a badge while the view is
// hidden), replies from the Chat view, sends a selection with the quick fix, searches the
// history, shows a flood wait counting down, a dropped connection coming back and a
// failed send retried, reconnects from SecretStorage after a window reload and logs out.
// Screenshots of each step go to $TGBRIDGE_SCREENSHOTS, named telegram-NN-*.png.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Frame, Page } from "playwright-core";
import { startCodeServer, type CodeServer } from "./codeServer";
import { one, sidecarPids, stopHubs, waitUntil } from "./processes";
import { startModelServer, type ModelServer } from "./modelServer";
import { startLoopbackServer, type LoopbackServer } from "./telegramServer";
import {
  QUIET_SETTINGS,
  STEP_TIMEOUT,
  activityBarItem,
  chatFrame,
  frameWith,
  launchChromium,
  logInAsBot,
  openQuickFixMenu,
  repoRoot,
  required,
  runCommand,
  screenshots,
  vsix,
} from "./workbench";

const MARKER = "tgbridge_e2e_marker";
const COMMIT_SUBJECT = "feat: add the feature function";
const COMMIT_ANSWER = `${COMMIT_SUBJECT}\n\nIt returns 'new'.`;
/** A word only the phone's first message holds (the history search looks for it). */
const PHONE_WORD = "quokka";
const PHONE_TEXT = `Hello from the phone, ${PHONE_WORD} here`;
const REPLY_TEXT = "A reply typed in the Chat view";
const FLOOD_TEXT = "Sent after a flood wait";
const RETRY_TEXT = "Sent again with Retry";
/** Long enough to be seen counting down, short enough for the suite (Telethon retries
 * a wait of 3 s or less by itself, so more). */
const FLOOD_SECONDS = 6;
const DROP_HOLD_SECONDS = 3;

describe("tgbridge in a real VS Code, talking to the loopback Telegram server", { timeout: 4 * 60_000 }, () => {
  let telegram: LoopbackServer | undefined;
  let model: ModelServer | undefined;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let step = 0;
  let folder = "";
  let stateDir = "";
  /** The phone's first message (its id in the phone's chat). */
  let phoneMessageId = 0;

  const shot = async (name: string): Promise<void> => {
    step += 1;
    await page.screenshot({ path: path.join(screenshots, `telegram-${String(step).padStart(2, "0")}-${name}.png`) });
  };
  const statusBar = (text: RegExp) => page.locator(".statusbar").getByText(text);
  const toast = (text: RegExp) => page.locator(".notifications-toasts").getByText(text);
  /** The Chat view's message with `text` in its body (not in a quote of it). */
  const chatMessage = (frame: Frame, text: string) =>
    frame.locator('[data-testid="chat-message"]').filter({ has: frame.locator(".body", { hasText: text }) });
  /** Types `text` in the Chat view's composer and sends it with Enter. */
  const compose = async (text: string, before?: () => Promise<void>): Promise<void> => {
    const composer = (await chatFrame(page)).locator('[data-testid="chat-composer"]');
    await composer.fill(text);
    if (before) await before();
    await composer.press("Enter");
  };
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
    // A repository with one commit: the Source Control step stages a change on it.
    for (const args of [["init", "-q", "-b", "main"], ["config", "user.email", "e2e@example.com"], ["config", "user.name", "E2E"], ["add", "-A"], ["commit", "-q", "-m", "first"]]) {
      execFileSync("git", ["-C", folder, ...args]);
    }
    model = await startModelServer(COMMIT_ANSWER);
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
        "tgbridge.llm.providers": [{ name: "local", kind: "openai", model: "e2e", baseUrl: model.url }],
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
    await model?.stop().catch(() => undefined);
    await stopHubs(stateDir).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("logs in as a bot from the palette and goes online", guarded("log-in", async () => {
    await logInAsBot(page, telegram!.info.botToken, () => shot("login-bot-token"));
    await toast(/tgbridge: Online as/).waitFor();
    await statusBar(/tgbridge: online/).waitFor();
    await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
    await shot("logged-in-online");
  }));

  it("pairs the phone: the code and QR in the Chat view, /start <code> from the phone", guarded("pair", async () => {
    const after = await telegram!.lastMessageId();
    await runCommand(page, "tgbridge: Pair Phone");
    const frame = await frameWith(page, '[data-testid="pairing-code"]');
    const code = frame.locator('[data-testid="pairing-code"]');
    await code.waitFor();
    await frame.locator('[data-testid="pairing-qr"] svg').waitFor();
    const value = (await code.textContent())?.trim() ?? "";
    assert.match(value, /^\S{4,}$/);
    await shot("pairing-code-and-qr");

    await telegram!.send(`/start ${value}`);
    const welcome = await telegram!.waitForMessage(after, (message) => /Paired/.test(message.text), STEP_TIMEOUT);
    assert.match(welcome.text, /owner/);
    // The spent code closes by itself, and the view and a notification say who got in;
    // it stays closed when the view comes back.
    await frame.locator('[data-testid="pairing"]').waitFor({ state: "hidden" });
    await frame.locator('[data-testid="notice"]', { hasText: /phone is paired \(owner\)/ }).waitFor();
    await toast(/phone is paired \(owner\)/).waitFor();
    await shot("paired");
  }));

  it("shows the phone's message in the Chat view, with a badge while the view is hidden", guarded("phone-message", async () => {
    // The Chat view (shown by Pair Phone) goes out of sight behind the Explorer.
    await runCommand(page, "View: Show Explorer");
    await page.locator(".sidebar .title-label", { hasText: /explorer/i }).waitFor();
    const badge = activityBarItem(page).locator(".badge .badge-content");
    await badge.waitFor({ state: "hidden" });

    phoneMessageId = await telegram!.send(PHONE_TEXT);
    await badge.filter({ hasText: /^1$/ }).waitFor();
    await shot("unread-badge");

    await runCommand(page, "tgbridge: Open Chat");
    const frame = await chatFrame(page);
    const message = chatMessage(frame, PHONE_TEXT);
    await message.waitFor();
    assert.equal(await frame.locator('[data-testid="pairing"]').isVisible(), false, "the closed pairing code came back");
    // The chat's history holds the bot's welcome from the pairing too. (An open Chat view
    // does not show the bot's own replies as they go: the hub tells only the window that
    // wrote a send about it, and the bot's replies have no window.)
    await chatMessage(frame, "You are the owner").waitFor();
    // Seen now: the badge goes.
    await badge.waitFor({ state: "hidden" });
    await shot("phone-message-in-chat");
  }));

  it("sends a reply typed in the Chat view as a reply to the phone's message", guarded("reply", async () => {
    const after = await telegram!.lastMessageId();
    const frame = await chatFrame(page);
    const message = chatMessage(frame, PHONE_TEXT);
    await message.hover();
    await message.locator('[data-testid="chat-reply"]').click();
    await frame.locator('[data-testid="reply-target"]', { hasText: PHONE_WORD }).waitFor();
    await compose(REPLY_TEXT, () => shot("reply-typed"));

    const received = await telegram!.waitForMessage(after, (m) => m.text === REPLY_TEXT, STEP_TIMEOUT);
    assert.equal(received.reply_to, phoneMessageId);
    // In the Chat view too, under a quote of the phone's message.
    await chatMessage(frame, REPLY_TEXT).locator('[data-testid="reply-quote"]', { hasText: PHONE_WORD }).waitFor();
    await frame.locator('[data-testid="reply-target"]').waitFor({ state: "hidden" });
    await shot("reply-delivered");
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
    // The path and line range, then the selection as a code block.
    assert.match(received.text, /marker\.py:1(-1)?\b/);
    const block = received.entities.find((entity) => entity.type === "pre");
    assert.ok(block, `no code block in ${JSON.stringify(received)}`);
    assert.equal(received.text.slice(block.offset, block.offset + block.length).trim(), MARKER);
    assert.equal(block.language, "python");
    await confirmed;
    await shot("selection-sent");
  }));

  it("finds an older message with the Chat view's history search", guarded("search", async () => {
    const frame = await chatFrame(page);
    const search = frame.locator('[data-testid="chat-search"]');
    await search.fill(PHONE_WORD);
    await search.press("Enter");
    const result = frame.locator('[data-testid="search-result"]', { hasText: PHONE_TEXT });
    await result.waitFor();
    assert.equal(await frame.locator('[data-testid="search-result"]').count(), 1, "only the phone's first message holds the word");
    assert.equal(await result.getAttribute("data-message-id"), await chatMessage(frame, PHONE_TEXT).getAttribute("data-message-id"));
    await shot("search-found");
    await search.press("Escape");
    await frame.locator('[data-testid="search-results"]').waitFor({ state: "hidden" });
  }));

  it("writes a commit message for the staged changes into the Source Control view", guarded("commit-message", async () => {
    writeFileSync(path.join(folder, "feature.py"), "def feature():\n    return 'new'\n");
    execFileSync("git", ["-C", folder, "add", "feature.py"]);
    await runCommand(page, "tgbridge: Generate Commit Message");
    await runCommand(page, "Source Control: Focus on Changes View");
    const input = page.locator(".scm-editor .view-lines");
    await input.filter({ hasText: COMMIT_SUBJECT }).waitFor();
    // The model saw the staged diff, and nothing else of the workspace.
    const sent = JSON.stringify(model!.bodies.at(-1));
    assert.match(sent, /def feature\(\)/);
    assert.doesNotMatch(sent, new RegExp(MARKER));
    await shot("commit-message-generated");
    // Back to the Chat view for the steps that follow.
    await runCommand(page, "tgbridge: Open Chat");
    await (await chatFrame(page)).locator('[data-testid="chat-composer"]').waitFor();
  }));

  it("shows a flood wait counting down on the queued message and in the status bar", guarded("flood-wait", async () => {
    const after = await telegram!.lastMessageId();
    await telegram!.floodWait(FLOOD_SECONDS);
    await compose(FLOOD_TEXT);
    const frame = await chatFrame(page);
    const waiting = frame.locator('[data-testid="outbox-item"][data-state="waiting"]', { hasText: FLOOD_TEXT });
    await waiting.waitFor();
    assert.match((await waiting.textContent()) ?? "", /next send in [1-6] s/);
    await statusBar(/tgbridge: waiting [1-6] s/).waitFor();
    await shot("flood-wait-countdown");
    // The countdown moves on.
    const first = Number(/waiting (\d+) s/.exec((await statusBar(/tgbridge: waiting/).textContent()) ?? "")?.[1]);
    if (first > 1) await statusBar(new RegExp(`tgbridge: waiting [1-${first - 1}] s`)).waitFor();

    await telegram!.waitForMessage(after, (m) => m.text === FLOOD_TEXT, (FLOOD_SECONDS + 30) * 1000);
    await frame.locator('[data-testid="outbox-item"]', { hasText: FLOOD_TEXT }).waitFor({ state: "detached" });
    await chatMessage(frame, FLOOD_TEXT).waitFor();
    await statusBar(/tgbridge: online$/).waitFor();
    await shot("flood-wait-over");
  }));

  it("shows the connection lost when the server drops it, and online again after", guarded("drop", async () => {
    await statusBar(/tgbridge: online$/).waitFor();
    const frame = await chatFrame(page);
    // The reconnect is held a moment, so the gap shows (and is in the screenshot).
    assert.ok((await telegram!.drop(DROP_HOLD_SECONDS)) >= 1, "the server had no connection to drop");
    await statusBar(/tgbridge: (offline|connecting)/).waitFor();
    await frame.locator('[data-testid="connection-state"]', { hasText: /offline|connecting/ }).waitFor();
    await shot("connection-dropped");
    await statusBar(/tgbridge: online$/).waitFor();
    await frame.locator('[data-testid="connection-state"]', { hasText: "online" }).waitFor();
    await shot("reconnected-online");
  }));

  it("sends a failed message once when Retry is pressed", guarded("retry", async () => {
    const after = await telegram!.lastMessageId();
    await telegram!.fail("messages.SendMessage", "CHAT_WRITE_FORBIDDEN", 403);
    await compose(RETRY_TEXT);
    const frame = await chatFrame(page);
    const failed = frame.locator('[data-testid="outbox-item"][data-state="failed"]', { hasText: RETRY_TEXT });
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? "", /Not sent/);
    await statusBar(/tgbridge: online · 1 failed/).waitFor();
    await shot("send-failed");
    assert.equal((await telegram!.messages(after)).some((m) => m.text === RETRY_TEXT), false, "the refused send reached the phone");

    await failed.locator('[data-testid="outbox-retry"]').click();
    await telegram!.waitForMessage(after, (m) => m.text === RETRY_TEXT, STEP_TIMEOUT);
    await frame.locator('[data-testid="outbox-item"]', { hasText: RETRY_TEXT }).waitFor({ state: "detached" });
    await chatMessage(frame, RETRY_TEXT).waitFor();
    await statusBar(/tgbridge: online$/).waitFor();
    // Nothing else was on its way: one copy, now and after a last message that follows it.
    const marker = "After the retry";
    await compose(marker);
    await telegram!.waitForMessage(after, (m) => m.text === marker, STEP_TIMEOUT);
    const copies = (await telegram!.messages(after)).filter((m) => m.text === RETRY_TEXT);
    assert.equal(copies.length, 1, `the phone got ${copies.length} copies`);
    await shot("retried-once");
  }));

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
