// Who sent a message, by name: the people and chats `tgbridge/chats` knows, asked again
// when a sender is new.
import type { ChatMessage, ChatsResult } from "./protocol";

export class People {
  private readonly names = new Map<number, string>();
  private readonly titles = new Map<number, string>();

  /** @param fetchChats asks `tgbridge/chats` quietly (undefined when it cannot). */
  constructor(private readonly fetchChats: () => Promise<ChatsResult | undefined>) {}

  /** Learns the names of `messages`' senders it does not know yet (one question). */
  async learn(messages: readonly ChatMessage[]): Promise<void> {
    const unknown = messages.some(
      (message) => (message.senderId != null && !this.names.has(message.senderId)) || !this.titles.has(message.chatId),
    );
    if (!unknown) return;
    const chats = await this.fetchChats().catch(() => undefined);
    for (const person of chats?.people ?? []) this.names.set(person.id, person.name);
    for (const chat of chats?.chats ?? []) this.titles.set(chat.chatId, chat.title);
  }

  /** "Ann"; "Ann in Team" for a group; the chat's title when the sender is unknown. */
  nameOf(message: Pick<ChatMessage, "chatId" | "senderId">): string {
    const person = message.senderId != null ? this.names.get(message.senderId) : undefined;
    const title = this.titles.get(message.chatId);
    if (!person) return title ?? "Someone";
    return title && message.chatId !== message.senderId && title !== person ? `${person} in ${title}` : person;
  }
}
