// A coding agent waits for the owner, who is away: the question is on the phone, and here
// too. Whichever answers first wins; a late answer is told it came too late.
import * as vscode from "vscode";
import { traceInfo } from "./log";
import type { AgentAnswer, AgentAskedParams, AnswerAgentParams, OpenAgentChatParams, Requests } from "./protocol";

type Call = <M extends keyof Requests>(method: M, params: Requests[M]["params"]) => Promise<Requests[M]["result"] | undefined>;

export async function showAgentAsk(ask: AgentAskedParams, call: Call): Promise<void> {
  const where = ask.workspace ? ` in ${ask.workspace}` : "";
  const what = ask.command ? `: ${ask.command}` : ask.details ? `: ${ask.details.slice(0, 200)}` : "";
  const message = `${ask.agent}${where} waits: ${ask.title}${what}`;
  let params: AnswerAgentParams | undefined;
  if (ask.kind === "approval") {
    const choice = await vscode.window.showWarningMessage(message, "Allow", "Deny");
    if (choice) params = { id: ask.id, choice: choice === "Allow" ? "allow" : "deny", text: null };
  } else if (ask.kind === "question" && ask.options.length) {
    const choice = await vscode.window.showInformationMessage(message, ...ask.options.slice(0, 4));
    if (choice) params = { id: ask.id, choice: "answer", text: choice };
  } else {
    const choice = await vscode.window.showInformationMessage(message, "Answer…");
    if (choice) {
      const text = await vscode.window.showInputBox({ title: `Answer ${ask.agent}`, prompt: ask.title });
      if (text) params = { id: ask.id, choice: "answer", text };
    }
  }
  if (!params) return;
  const answer: AgentAnswer | undefined = await call("tgbridge/answerAgent", params);
  if (answer && answer.by !== "the editor") void vscode.window.showInformationMessage(`tgbridge: ${answer.detail || "already answered"}`);
  else traceInfo(`answered ${ask.agent}'s request ${ask.id} in the editor`);
}

/** The phone's /chat: the editor's agent chat opens with the prompt (VS Code's agent
 * mode); where that command is missing (another fork), the prompt goes to the clipboard. */
export async function openAgentChat(chat: OpenAgentChatParams): Promise<void> {
  try {
    await vscode.commands.executeCommand("workbench.action.chat.open", { query: chat.query, mode: "agent" });
  } catch {
    await vscode.env.clipboard.writeText(chat.query);
    void vscode.window.showInformationMessage("tgbridge: the phone's prompt is on the clipboard (no agent chat here to open).");
  }
}
