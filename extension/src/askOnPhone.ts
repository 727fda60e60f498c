// "Ask on phone…": a question about the selected code goes to Telegram (the code, then the
// question); a reply to either comes back into the editor as a notification, with "Insert
// as Comment" above the code asked about.
import * as vscode from "vscode";
import { SeenMessages } from "./bursts";
import { showErrorWithLogs } from "./log";
import { OPEN_CHAT } from "./notifications";
import type { People } from "./people";
import { AskRegistry, anchorLine, answerComment, type PhoneAsk } from "./phoneAsks";
import type { ChatMessage, MessageStatusParams, Range } from "./protocol";
import { newClientKey } from "./retry";
import { displayPath, documentRange, toRange } from "./selection";
import type { Sidecar } from "./sidecar";

export const ASK_ON_PHONE = "tgbridge.askOnPhone";
const QUESTION_LIMIT = 60;

export class PhoneAsks {
  private readonly registry = new AskRegistry();
  private readonly seen = new SeenMessages();

  constructor(
    private readonly call: Sidecar["call"],
    private readonly people: People,
  ) {}

  /** The command: `args` as a code action names them (`{uri, range}`), or none for the
   * active editor's selection. */
  async ask(args: unknown[]): Promise<void> {
    const target = await this.target(args);
    if (!target) return;
    const { document, range } = target;
    const where = `${displayPath(document.uri)}:${range.start.line + 1}-${range.end.line + 1}`;
    const question = await vscode.window.showInputBox({
      title: "Ask on phone",
      prompt: `A question about ${where}; the answer shows here when it comes`,
      placeHolder: "Is this the right way to do it?",
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : "Type a question, or press Escape"),
    });
    if (!question?.trim()) return;
    const code = document.getText(new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character));
    const ask = this.registry.add({
      uri: document.uri.toString(),
      range,
      languageId: document.languageId,
      question: question.trim(),
      anchorText: document.lineAt(range.start.line).text,
    });
    if (code.trim()) {
      const params = { code: { text: code, language: document.languageId, path: displayPath(document.uri), range } };
      const sent = await this.call("tgbridge/send", { ...params, clientKey: newClientKey() });
      if (!sent) return;
      this.registry.sent(ask, sent.sendId);
    }
    const text = `❓ ${question.trim()}\n\nReply to this message to answer in the editor.`;
    const sent = await this.call("tgbridge/send", { text, clientKey: newClientKey() });
    if (!sent) return;
    this.registry.sent(ask, sent.sendId);
    vscode.window.setStatusBarMessage("$(device-mobile) tgbridge: asked on your phone; the answer will show here", 6000);
  }

  /** A `tgbridge/messageStatus`: the Telegram ids of a sent ask. */
  onStatus(status: MessageStatusParams): void {
    this.registry.onStatus(status);
  }

  /** A `tgbridge/message`: true when it answers an ask (shown as the answer once, even
   * when it comes again with its file saved; muting does not hide it: it was asked for). */
  onMessage(message: ChatMessage): boolean {
    const ask = this.registry.match(message);
    if (!ask) return false;
    if (this.seen.firstTime(message)) void this.showAnswer(ask, message);
    return true;
  }

  private async showAnswer(ask: PhoneAsk, message: ChatMessage): Promise<void> {
    await this.people.learn([message]);
    const name = this.people.nameOf(message);
    const question = ask.question.length > QUESTION_LIMIT ? `${ask.question.slice(0, QUESTION_LIMIT - 1)}…` : ask.question;
    const choice = await vscode.window.showInformationMessage(
      `${name} answered "${question}": ${message.text || "(no text)"}`,
      "Open Chat",
      "Insert as Comment",
    );
    if (choice === "Open Chat") await vscode.commands.executeCommand(OPEN_CHAT);
    else if (choice === "Insert as Comment") await this.insertAsComment(ask, name, message.text);
  }

  /** The answer as a comment above the code asked about (found again if lines moved). */
  private async insertAsComment(ask: PhoneAsk, name: string, answer: string): Promise<void> {
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(ask.uri));
      const lines = document.getText().split(/\r?\n/);
      const line = anchorLine(lines, ask.range.start.line, ask.anchorText);
      const indent = /^\s*/.exec(lines[line] ?? "")?.[0] ?? "";
      const eol = document.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
      const comment = answerComment(document.languageId, `Answer from ${name} on Telegram:`, answer, indent, eol);
      const editor = await vscode.window.showTextDocument(document);
      const inserted = await editor.edit((edit) => edit.insert(new vscode.Position(line, 0), comment));
      if (!inserted) throw new Error("the editor refused the change");
      const end = line + comment.split(eol).length - 1;
      editor.revealRange(new vscode.Range(line, 0, end, 0));
    } catch (error) {
      void showErrorWithLogs(`tgbridge could not insert the answer: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The document and range asked about: the code action's, or the active selection. */
  private async target(args: unknown[]): Promise<{ document: vscode.TextDocument; range: Range } | undefined> {
    const named = args.length === 1 ? documentRange(args[0]) : undefined;
    if (named) return { document: await vscode.workspace.openTextDocument(vscode.Uri.parse(named.uri)), range: named.range };
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void showErrorWithLogs("Open a file and select the code to ask about, then try again.");
      return undefined;
    }
    const selection = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
    return { document: editor.document, range: toRange(selection) };
  }
}
