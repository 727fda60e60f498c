// A notification for a new incoming message while the Chat view is hidden, with Reply and
// Open; quiet while muted; a burst (each within 2 s of the one before) is one notification.
import * as vscode from "vscode";
import { BurstCollector, burstText, SeenMessages, worthNotifying } from "./bursts";
import { traceInfo } from "./log";
import type { Mute } from "./mute";
import type { People } from "./people";
import type { ChatMessage } from "./protocol";
import { newClientKey } from "./retry";
import type { Sidecar } from "./sidecar";

export const OPEN_CHAT = "tgbridge.chat.focus";

export interface NotifierParts {
  /** The Chat view is on screen (it shows the message itself then). */
  isChatVisible: () => boolean;
  mute: Pick<Mute, "muted">;
  people: People;
  /** Requests to the sidecar (a reply is a `tgbridge/send`). */
  call: Sidecar["call"];
}

export class MessageNotifier implements vscode.Disposable {
  private readonly seen = new SeenMessages();
  private readonly bursts = new BurstCollector<ChatMessage>((messages) => void this.show(messages));

  constructor(private readonly parts: NotifierParts) {}

  /** A `tgbridge/message`: a new message from someone else may be told. */
  onMessage(message: ChatMessage): void {
    if (!this.seen.firstTime(message) || !worthNotifying(message)) return;
    if (this.quiet()) return;
    this.bursts.add(message);
  }

  private quiet(): boolean {
    return this.parts.mute.muted || this.parts.isChatVisible();
  }

  private async show(messages: ChatMessage[]): Promise<void> {
    // Muted, or the Chat view opened, while the burst gathered: it is seen there.
    if (this.quiet()) return;
    await this.parts.people.learn(messages);
    const latest = messages[messages.length - 1]!;
    const text = burstText(messages, (message) => this.parts.people.nameOf(message));
    traceInfo(`Told of ${messages.length} new message(s)`);
    const choice = await vscode.window.showInformationMessage(text, "Reply", "Open");
    if (choice === "Reply") await this.reply(latest);
    else if (choice === "Open") await vscode.commands.executeCommand(OPEN_CHAT);
  }

  /** Asks for the reply and sends it as a reply to `message`, in its chat. */
  async reply(message: ChatMessage): Promise<void> {
    const name = this.parts.people.nameOf(message);
    const text = await vscode.window.showInputBox({
      title: `Reply to ${name}`,
      prompt: "Sent as a reply on Telegram",
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : "Type a reply, or press Escape"),
    });
    if (!text?.trim()) return;
    const sent = await this.parts.call("tgbridge/send", {
      text,
      chat: String(message.chatId),
      replyTo: message.messageId,
      clientKey: newClientKey(),
    });
    if (sent) vscode.window.setStatusBarMessage(`$(reply) tgbridge: reply to ${name} queued`, 4000);
  }

  dispose(): void {
    this.bursts.dispose();
  }
}
