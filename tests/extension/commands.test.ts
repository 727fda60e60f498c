// The editor side's logic that needs no editor: what the status bar says (and counts down),
// which quick-pick actions fit which state, incoming-message bursts, the mute, Ask on
// phone's reply matching and the comment it inserts, and the palette's manifest.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BurstCollector, burstText, groupBursts, preview, SeenMessages, senderList, worthNotifying } from "../../extension/src/bursts";
import { isMuted, Mute, MUTE_KEY, muteUntil, mutedUntilText, type KeyValueStore } from "../../extension/src/mute";
import { AskRegistry, anchorLine, answerComment, ASK_TTL_MS, commentStyle, type NewAsk } from "../../extension/src/phoneAsks";
import type { ChatMessage, ConnectionState, MessageStatusParams, OutboxItem, StatusResult } from "../../extension/src/protocol";
import { messageDate, quickPickMessage } from "../../extension/src/searchItems";
import { statusActions } from "../../extension/src/statusActions";
import {
  EMPTY_OUTBOX,
  outboxCounts,
  sameWait,
  secondsLeft,
  statusBarText,
  statusSeverity,
  statusTooltip,
  waitOf,
  type ViewState,
} from "../../extension/src/statusText";
import { repoRoot } from "./paths";

function running(state: ConnectionState["state"], waitSeconds: number | null = null, settingsError: string | null = null): ViewState {
  const status: StatusResult = {
    version: "0.1.0",
    workspaceFolders: [],
    connection: { state, detail: `detail of ${state}`, waitSeconds },
    python: { executable: "/usr/bin/python3", version: "3.11.0" },
    settingsError,
    hubPid: null,
  };
  return { kind: "running", status };
}

function item(sendId: number, state: OutboxItem["state"]): OutboxItem {
  return { sendId, chatId: 1, state, preview: "hi", error: state === "failed" ? "blocked" : null, waitSeconds: null, createdAt: 0 };
}

function message(fields: Partial<ChatMessage> = {}): ChatMessage {
  return {
    chatId: 100,
    messageId: 1,
    senderId: 100,
    text: "hello",
    date: 1_700_000_000,
    replyTo: null,
    edited: false,
    outgoing: false,
    filePath: null,
    filePending: false,
    fileNote: null,
    ...fields,
  };
}

describe("the status bar", () => {
  it("says each state", () => {
    const cases: Array<[ViewState, string]> = [
      [{ kind: "starting" }, "$(sync~spin) tgbridge: starting"],
      [{ kind: "stopped", reason: "crashed" }, "$(error) tgbridge: stopped"],
      [running("online"), "$(check) tgbridge: online"],
      [running("connecting"), "$(sync~spin) tgbridge: connecting"],
      [running("offline"), "$(debug-disconnect) tgbridge: offline"],
      [running("waiting", 12), "$(watch) tgbridge: waiting 12 s"],
      [running("unauthorized"), "$(lock) tgbridge: not logged in"],
      [running("not configured"), "$(circle-slash) tgbridge: not logged in"],
      [running("online", null, "tgbridge.python: bad"), "$(warning) tgbridge: settings error"],
    ];
    for (const [state, text] of cases) assert.equal(statusBarText(state), text);
  });

  it("counts a wait down and never below zero", () => {
    assert.equal(secondsLeft(12, 1_000, 1_000), 12);
    assert.equal(secondsLeft(12, 1_000, 1_400), 12); // 11.6 s left still reads 12
    assert.equal(secondsLeft(12, 1_000, 2_000), 11);
    assert.equal(secondsLeft(12, 1_000, 12_500), 1);
    assert.equal(secondsLeft(12, 1_000, 60_000), 0);
    const waiting = running("waiting", 12);
    assert.equal(waitOf(waiting), 12);
    assert.equal(waitOf(running("online")), undefined);
    assert.equal(statusBarText(waiting, { waitLeft: 7 }), "$(watch) tgbridge: waiting 7 s");
    assert.equal(statusBarText(waiting, { waitLeft: 0 }), "$(watch) tgbridge: waiting");
  });

  it("keeps counting when the same wait is told again, and starts over for a new one", () => {
    assert.ok(sameWait(running("waiting", 12), running("waiting", 12)));
    assert.ok(!sameWait(running("waiting", 12), running("waiting", 30)));
    assert.ok(!sameWait(running("online"), running("waiting", 12)));
    assert.ok(!sameWait(running("waiting", 12), running("online")));
  });

  it("says how many sends are queued and failed, and colours failures", () => {
    const outbox = outboxCounts([item(1, "queued"), item(2, "waiting"), item(3, "failed"), item(4, "queued")]);
    assert.deepEqual(outbox, { queued: 3, failed: 1, failedSendIds: [3] });
    assert.equal(statusBarText(running("online"), { outbox }), "$(check) tgbridge: online · 3 queued · 1 failed");
    assert.equal(
      statusBarText(running("waiting", 20), { outbox: outboxCounts([item(1, "waiting")]), waitLeft: 5 }),
      "$(watch) tgbridge: waiting 5 s · 1 queued",
    );
    assert.equal(statusBarText(running("online"), { outbox: EMPTY_OUTBOX, muted: true }), "$(check) tgbridge: online $(bell-slash)");
    assert.equal(statusSeverity(running("online"), outbox), "warning");
    assert.equal(statusSeverity(running("online"), EMPTY_OUTBOX), undefined);
    assert.equal(statusSeverity({ kind: "stopped", reason: "x" }), "error");
    const tooltip = statusTooltip(running("online"), { outbox, muted: true });
    assert.match(tooltip, /3 messages waiting to be sent\./);
    assert.match(tooltip, /1 message could not be sent\./);
    assert.match(tooltip, /muted/);
    assert.match(statusTooltip(running("unauthorized")), /Log in/);
  });
});

describe("the status bar's quick pick", () => {
  const commands = (state: ViewState, outbox = EMPTY_OUTBOX, muted = false): string[] =>
    statusActions(state, outbox, muted).map((action) => action.command);

  it("offers Log In when not logged in", () => {
    for (const state of ["unauthorized", "not configured"] as const) {
      assert.deepEqual(commands(running(state)), ["tgbridge.logIn", "tgbridge.showLogs"]);
    }
  });

  it("offers the repairs when offline or connecting", () => {
    for (const state of ["offline", "connecting"] as const) {
      assert.deepEqual(commands(running(state)), ["tgbridge.showLogs", "tgbridge.restartSidecar", "tgbridge.restartHub"]);
    }
  });

  it("offers the everyday actions when online, and Mute or Unmute as it stands", () => {
    const online = [
      "tgbridge.openChat",
      "tgbridge.sendMessage",
      "tgbridge.pairPhone",
      "tgbridge.searchHistory",
      "tgbridge.muteNotifications",
      "tgbridge.logOut",
    ];
    assert.deepEqual(commands(running("online")), online);
    assert.deepEqual(commands(running("waiting", 5)), online);
    assert.ok(commands(running("online"), EMPTY_OUTBOX, true).includes("tgbridge.unmuteNotifications"));
    assert.ok(!commands(running("online"), EMPTY_OUTBOX, true).includes("tgbridge.muteNotifications"));
  });

  it("offers to retry the failed sends first, naming how many", () => {
    const outbox = outboxCounts([item(7, "failed"), item(9, "failed"), item(10, "queued")]);
    for (const state of [running("online"), running("offline")]) {
      const [first] = statusActions(state, outbox, false);
      assert.equal(first!.label, "$(refresh) Retry 2 failed");
      assert.equal(first!.command, "tgbridge.retryFailed");
      assert.deepEqual(first!.args, [[7, 9]]);
    }
    // Offline with sends waiting: the Chat view shows them.
    assert.ok(commands(running("offline"), outbox).includes("tgbridge.openChat"));
  });

  it("offers Restart Sidecar and Show Logs when the sidecar stopped, settings when they are wrong", () => {
    assert.deepEqual(commands({ kind: "stopped", reason: "crashed" }), ["tgbridge.restartSidecar", "tgbridge.showLogs"]);
    assert.deepEqual(commands({ kind: "starting" }), ["tgbridge.showLogs", "tgbridge.restartSidecar"]);
    assert.equal(commands(running("online", null, "bad"))[0], "tgbridge.openSettings");
  });
});

describe("notifications for incoming messages", () => {
  it("groups messages arriving within 2 s of each other", () => {
    const arrivals = [0, 1500, 3000, 6000, 8100, 8200].map((at) => ({ at, item: at }));
    assert.deepEqual(groupBursts(arrivals), [[0, 1500, 3000], [6000], [8100, 8200]]);
    assert.deepEqual(groupBursts([]), []);
  });

  it("shows a burst once it has been quiet for 2 s, or after 10 s at most", () => {
    let now = 0;
    const timers: Array<{ at: number; run: () => void; live: boolean }> = [];
    const schedule = (run: () => void, ms: number) => {
      const timer = { at: now + ms, run, live: true };
      timers.push(timer);
      return () => void (timer.live = false);
    };
    const advance = (to: number): void => {
      for (;;) {
        const due = timers.filter((t) => t.live && t.at <= to).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        due.live = false;
        due.run();
      }
      now = to;
    };
    const shown: number[][] = [];
    const bursts = new BurstCollector<number>((items) => shown.push(items), schedule);
    bursts.add(1);
    advance(1500);
    bursts.add(2);
    advance(3400);
    assert.deepEqual(shown, []); // 1.9 s since the last one
    advance(3500);
    assert.deepEqual(shown, [[1, 2]]);
    // A stream that never pauses is shown after 10 s.
    for (let at = 4000; at <= 16000; at += 1000) {
      advance(at);
      bursts.add(at);
    }
    assert.deepEqual(shown[1], [4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 13000]);
    advance(30000);
    assert.deepEqual(shown[2], [14000, 15000, 16000]);
  });

  it("says who and what, or how many from whom", () => {
    const names: Record<number, string> = { 1: "Ann", 2: "Bob", 3: "Cy", 4: "Di", 5: "Ed" };
    const nameOf = (m: ChatMessage): string => names[m.senderId!]!;
    assert.equal(burstText([message({ senderId: 1, text: "lunch?" })], nameOf), "Ann: lunch?");
    const burst = [1, 2, 1].map((senderId, i) => message({ senderId, messageId: i, text: `m${i}` }));
    assert.equal(burstText(burst, nameOf), "3 new messages from Ann, Bob — Ann: m2");
    assert.equal(senderList(["Ann", "Bob", "Cy", "Di", "Ed", "Ann"]), "Ann, Bob, Cy and 2 others");
    assert.equal(senderList(["Ann", "Bob", "Cy", "Di"]), "Ann, Bob, Cy and 1 other");
  });

  it("shows the first 200 characters of the text, on one line", () => {
    const long = preview(message({ text: `${"a".repeat(150)}\n\n${"b".repeat(100)}` }));
    assert.equal(long.length, 200);
    assert.ok(long.endsWith("…") && !long.includes("\n"));
    assert.equal(preview(message({ text: "", filePath: "/state/files/report.pdf" })), "sent a file: report.pdf");
    assert.equal(preview(message({ text: "", filePending: true })), "sent a file");
  });

  it("tells only new messages from others, once", () => {
    assert.ok(worthNotifying(message()));
    assert.ok(!worthNotifying(message({ outgoing: true })));
    assert.ok(!worthNotifying(message({ edited: true })));
    const seen = new SeenMessages(2);
    assert.ok(seen.firstTime(message({ messageId: 1 })));
    assert.ok(!seen.firstTime(message({ messageId: 1, filePath: "/saved" }))); // its file saved
    assert.ok(seen.firstTime(message({ messageId: 1, chatId: 5 })));
    assert.ok(seen.firstTime(message({ messageId: 2 })));
    assert.ok(seen.firstTime(message({ messageId: 1 }))); // forgotten: only 2 kept
  });
});

describe("the mute", () => {
  const noon = new Date(2026, 5, 10, 12, 0, 0);

  it("ends after the duration chosen", () => {
    assert.equal(muteUntil("1h", noon), noon.getTime() + 3_600_000);
    assert.equal(muteUntil("8h", noon), noon.getTime() + 8 * 3_600_000);
    assert.equal(muteUntil("tomorrow", noon), new Date(2026, 5, 11, 8, 0, 0).getTime());
    assert.equal(muteUntil("tomorrow", new Date(2026, 5, 30, 23, 30)), new Date(2026, 6, 1, 8, 0, 0).getTime());
    assert.equal(muteUntil("untilUnmuted", noon), null);
  });

  it("is over once its time has passed", () => {
    const until = noon.getTime() + 1000;
    assert.ok(isMuted({ until }, noon.getTime()));
    assert.ok(!isMuted({ until }, until));
    assert.ok(isMuted({ until: null }, Number.MAX_SAFE_INTEGER));
    assert.ok(!isMuted(undefined, 0));
  });

  it("keeps the mute in the store and says until when", async () => {
    const values = new Map<string, unknown>();
    const store: KeyValueStore = {
      get: <T>(key: string) => values.get(key) as T | undefined,
      update: async (key, value) => void (value === undefined ? values.delete(key) : values.set(key, value)),
    };
    let now = noon.getTime();
    const mute = new Mute(store, () => now);
    let changes = 0;
    mute.onDidChange(() => changes++);
    assert.equal(mute.muted, false);
    const record = await mute.mute("1h");
    assert.deepEqual(values.get(MUTE_KEY), { until: noon.getTime() + 3_600_000 });
    assert.equal(mute.muted, true);
    assert.equal(mutedUntilText(record, noon), "until 13:00");
    assert.equal(mutedUntilText({ until: muteUntil("tomorrow", noon) }, noon), "until tomorrow 08:00");
    assert.equal(mutedUntilText({ until: null }, noon), "until you unmute");
    now += 3_600_000;
    assert.equal(mute.muted, false); // ended by itself
    assert.equal(mute.record(), undefined);
    await mute.mute("untilUnmuted");
    await mute.unmute();
    assert.equal(values.has(MUTE_KEY), false);
    assert.equal(changes, 3);
    mute.dispose();
  });
});

describe("Ask on phone", () => {
  const newAsk: NewAsk = {
    uri: "file:///w/app.py",
    range: { start: { line: 4, character: 0 }, end: { line: 6, character: 0 } },
    languageId: "python",
    question: "Is this right?",
    anchorText: "def main():",
  };
  const sent = (sendId: number, telegramIds: number[], chatId = 100): MessageStatusParams => ({
    sendId,
    chatId,
    state: "sent",
    telegramIds,
    error: null,
    detail: null,
  });

  it("knows a reply to any message the ask sent, in that chat", () => {
    const asks = new AskRegistry();
    const ask = asks.add(newAsk);
    asks.sent(ask, 11); // the code
    asks.sent(ask, 12); // the question
    asks.onStatus({ ...sent(11, []), state: "queued" });
    asks.onStatus(sent(11, [501, 502]));
    asks.onStatus(sent(12, [503]));
    for (const replyTo of [501, 502, 503]) assert.equal(asks.match(message({ replyTo })), ask);
    assert.equal(asks.match(message({ replyTo: 504 })), undefined);
    assert.equal(asks.match(message({ replyTo: 503, chatId: 200 })), undefined); // ids are per chat
    assert.equal(asks.match(message({ replyTo: 503, outgoing: true })), undefined);
    assert.equal(asks.match(message({ replyTo: 503, edited: true })), undefined);
    assert.equal(asks.match(message()), undefined);
  });

  it("matches when the send's status came before its id", () => {
    const asks = new AskRegistry();
    asks.onStatus(sent(21, [601]));
    const ask = asks.add(newAsk);
    asks.sent(ask, 21);
    assert.equal(asks.match(message({ replyTo: 601 })), ask);
  });

  it("forgets asks after a week", () => {
    let now = 0;
    const asks = new AskRegistry(() => now);
    const ask = asks.add(newAsk);
    asks.sent(ask, 31);
    asks.onStatus(sent(31, [701]));
    now = ASK_TTL_MS + 1;
    assert.equal(asks.match(message({ replyTo: 701 })), undefined);
    assert.equal(asks.size, 0);
  });

  it("writes the answer in the language's comment", () => {
    assert.deepEqual(commentStyle("python"), { line: "#" });
    assert.deepEqual(commentStyle("typescript"), { line: "//" });
    assert.deepEqual(commentStyle("sql"), { line: "--" });
    assert.deepEqual(commentStyle("html"), { start: "<!--", end: "-->" });
    assert.equal(commentStyle("plaintext"), undefined);
    assert.equal(
      answerComment("python", "Answer from Ann on Telegram:", "Yes.\n\nShip it", "    "),
      "    # Answer from Ann on Telegram:\n    # Yes.\n    #\n    # Ship it\n",
    );
    assert.equal(answerComment("rust", "Ann:", "ok", "", "\r\n"), "// Ann:\r\n// ok\r\n");
    assert.equal(answerComment("css", "Ann:", "close */ early"), "/*\nAnn:\nclose * / early\n*/\n");
    assert.equal(answerComment("plaintext", "Ann:", "ok", "  "), "  Ann:\n  ok\n");
  });

  it("finds the code asked about again when lines moved", () => {
    const lines = ["import os", "", "def main():", "    pass"];
    assert.equal(anchorLine(lines, 2, "def main():"), 2);
    assert.equal(anchorLine(["# new", ...lines], 2, "def main():"), 3);
    assert.equal(anchorLine(lines.slice(1), 2, "def main():"), 1);
    assert.equal(anchorLine(lines, 9, "gone"), 3);
  });
});

describe("the palette", () => {
  it("shows search results with date, sender and text", () => {
    const item = quickPickMessage(message({ text: "the old\nmessage", date: new Date(2026, 0, 2, 3, 4).getTime() / 1000 }), "Ann");
    assert.deepEqual(item, { label: "the old message", description: "Ann", detail: "2026-01-02 03:04" });
    assert.equal(quickPickMessage(message({ outgoing: true }), "Ann").description, "You");
    assert.equal(messageDate(new Date(2026, 10, 30, 21, 44).getTime() / 1000), "2026-11-30 21:44");
  });

  it("contributes every command the status bar offers, and registers every command it contributes", () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      contributes: { commands: Array<{ command: string }> };
    };
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const source = ["commands.ts", "statusBar.ts", "askOnPhone.ts"]
      .map((file) => readFileSync(path.join(repoRoot, "extension", "src", file), "utf8"))
      .join("\n");
    for (const command of contributed) {
      // Send Selection is the sidecar's command (vscode-languageclient registers it).
      if (command !== "tgbridge.sendSelection") assert.ok(source.includes(`"${command}"`), `${command} is registered`);
    }
    const states: ViewState[] = [
      { kind: "starting" },
      { kind: "stopped", reason: "x" },
      ...(["online", "offline", "connecting", "waiting", "unauthorized", "not configured"] as const).map((s) => running(s)),
      running("online", null, "bad"),
    ];
    const failed = outboxCounts([item(1, "failed")]);
    for (const state of states) {
      for (const action of [...statusActions(state, failed, false), ...statusActions(state, failed, true)]) {
        assert.ok(contributed.has(action.command), `${action.command} is contributed`);
      }
    }
    for (const kept of ["logIn", "logOut", "restartHub", "showStatus", "restartSidecar", "showLogs", "sendSelection", "pairPhone"]) {
      assert.ok(contributed.has(`tgbridge.${kept}`), kept);
    }
  });
});
