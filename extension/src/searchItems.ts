// How a history search result reads in a quick pick: the text, who sent it, when; no
// vscode imports, so node:test can drive it.
import { preview } from "./bursts";
import type { ChatMessage } from "./protocol";

export const searchHint = "Messages holding every word are shown, newest first";

/** `date` is in seconds since the epoch; local time, "2026-11-30 21:44". */
export function messageDate(date: number): string {
  const when = new Date(date * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())} ${two(when.getHours())}:${two(when.getMinutes())}`;
}

export function quickPickMessage(message: ChatMessage, senderName: string): { label: string; description: string; detail: string } {
  return {
    label: preview(message),
    description: message.outgoing ? "You" : senderName,
    detail: `${messageDate(message.date)}${message.edited ? " (edited)" : ""}`,
  };
}
