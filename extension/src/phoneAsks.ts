// "Ask on phone": which asks are waiting for an answer and which incoming message answers
// one (a reply to a message the ask sent), and how an answer goes into the code as a
// comment; no vscode imports, so node:test can drive it.
import type { ChatMessage, MessageStatusParams, Range } from "./protocol";

export interface PhoneAsk {
  id: number;
  uri: string;
  range: Range;
  languageId: string;
  question: string;
  /** The text of the selection's first line, to find it again if lines moved. */
  anchorText: string;
  askedAt: number;
  sendIds: number[];
  /** The Telegram messages the ask became, per chat (ids are per chat). */
  telegramIds: Array<{ chatId: number; messageId: number }>;
}

export type NewAsk = Omit<PhoneAsk, "id" | "askedAt" | "sendIds" | "telegramIds">;

/** Asks this old are forgotten; at most MAX_ASKS are kept. */
export const ASK_TTL_MS = 7 * 24 * 3_600_000;
export const MAX_ASKS = 50;
/** Where a send ended up, kept a while for a send whose id is not known yet (its status
 * can come before the answer to `tgbridge/send`). */
const MAX_EARLY = 200;

export class AskRegistry {
  private asks: PhoneAsk[] = [];
  private nextId = 1;
  private readonly early = new Map<number, MessageStatusParams>();

  constructor(private readonly now: () => number = Date.now) {}

  add(ask: NewAsk): PhoneAsk {
    const added: PhoneAsk = { ...ask, id: this.nextId++, askedAt: this.now(), sendIds: [], telegramIds: [] };
    this.asks.push(added);
    this.prune();
    return added;
  }

  /** The ask went out as send `sendId`. */
  sent(ask: PhoneAsk, sendId: number): void {
    ask.sendIds.push(sendId);
    const status = this.early.get(sendId);
    if (status) this.record(ask, status);
  }

  /** A `tgbridge/messageStatus`: a send of an ask that reached Telegram names its messages. */
  onStatus(status: MessageStatusParams): void {
    if (status.state !== "sent" || status.telegramIds.length === 0) return;
    const ask = this.asks.find((candidate) => candidate.sendIds.includes(status.sendId));
    if (ask) return this.record(ask, status);
    this.early.set(status.sendId, status);
    if (this.early.size > MAX_EARLY) this.early.delete(this.early.keys().next().value!);
  }

  /** The ask `message` answers: a new message from someone else replying to one of the
   * ask's messages, in the same chat. */
  match(message: ChatMessage): PhoneAsk | undefined {
    if (message.outgoing || message.edited || message.replyTo == null) return undefined;
    this.prune();
    return this.asks.find((ask) =>
      ask.telegramIds.some((sent) => sent.chatId === message.chatId && sent.messageId === message.replyTo),
    );
  }

  get size(): number {
    return this.asks.length;
  }

  private record(ask: PhoneAsk, status: MessageStatusParams): void {
    for (const messageId of status.telegramIds) {
      if (!ask.telegramIds.some((sent) => sent.chatId === status.chatId && sent.messageId === messageId)) {
        ask.telegramIds.push({ chatId: status.chatId, messageId });
      }
    }
    this.early.delete(status.sendId);
  }

  private prune(): void {
    const oldest = this.now() - ASK_TTL_MS;
    this.asks = this.asks.filter((ask) => ask.askedAt >= oldest).slice(-MAX_ASKS);
  }
}

export type CommentStyle = { line: string } | { start: string; end: string };

const LINE_COMMENTS: Record<string, string[]> = {
  "//": [
    "c", "cpp", "csharp", "cuda-cpp", "d", "dart", "fsharp", "go", "groovy", "haxe", "java", "javascript",
    "javascriptreact", "jsonc", "json5", "kotlin", "less", "objective-c", "objective-cpp", "php", "proto",
    "rust", "sass", "scala", "scss", "solidity", "swift", "typescript", "typescriptreact", "verilog", "vala", "zig",
  ],
  "#": [
    "cmake", "coffeescript", "crystal", "dockerfile", "elixir", "gdscript", "graphql", "julia", "makefile",
    "nim", "nix", "perl", "powershell", "properties", "python", "r", "raku", "ruby", "shellscript", "starlark",
    "terraform", "toml", "yaml", "fish", "tcl",
  ],
  "--": ["ada", "elm", "haskell", "lua", "plsql", "purescript", "sql", "vhdl"],
  ";": ["clojure", "ini", "lisp", "scheme", "racket", "asm"],
  "%": ["erlang", "latex", "matlab", "prolog", "tex", "bibtex"],
  "'": ["vb"],
  "REM": ["bat"],
};

const BLOCK_COMMENTS: Record<string, { start: string; end: string }> = {
  html: { start: "<!--", end: "-->" },
  xml: { start: "<!--", end: "-->" },
  markdown: { start: "<!--", end: "-->" },
  svelte: { start: "<!--", end: "-->" },
  vue: { start: "<!--", end: "-->" },
  razor: { start: "@*", end: "*@" },
  css: { start: "/*", end: "*/" },
  ocaml: { start: "(*", end: "*)" },
};

const BY_LANGUAGE = new Map<string, CommentStyle>([
  ...Object.entries(LINE_COMMENTS).flatMap(([line, languages]) => languages.map((id): [string, CommentStyle] => [id, { line }])),
  ...Object.entries(BLOCK_COMMENTS),
]);

/** How `languageId` writes a comment; undefined when it has none (plain text). */
export function commentStyle(languageId: string): CommentStyle | undefined {
  return BY_LANGUAGE.get(languageId);
}

/** The answer as lines to insert above code indented by `indent`, in the language's
 * comment (a block comment never closed early by the answer); plain lines when the
 * language has no comments. Ends with a line break. */
export function answerComment(languageId: string, header: string, answer: string, indent = "", eol = "\n"): string {
  const lines = [header, ...answer.split(/\r?\n/)];
  const style = commentStyle(languageId);
  if (!style) return lines.map((line) => `${indent}${line}`.trimEnd() + eol).join("");
  if ("line" in style) return lines.map((line) => `${indent}${style.line} ${line}`.trimEnd() + eol).join("");
  const safe = lines.map((line) => line.split(style.end).join(style.end.split("").join(" ")));
  if (safe.length === 1) return `${indent}${style.start} ${safe[0]} ${style.end}${eol}`;
  const body = safe.map((line) => `${indent}${line}`.trimEnd() + eol).join("");
  return `${indent}${style.start}${eol}${body}${indent}${style.end}${eol}`;
}

/** Where the asked-about code is now: `line` if it still holds `text`, else the nearest
 * line that does (lines were added or removed above), else `line` within the document. */
export function anchorLine(lines: readonly string[], line: number, text: string): number {
  const clamped = Math.min(Math.max(0, line), Math.max(0, lines.length - 1));
  if (lines[clamped] === text || !text.trim()) return clamped;
  for (let distance = 1; distance < lines.length; distance++) {
    if (lines[clamped - distance] === text) return clamped - distance;
    if (lines[clamped + distance] === text) return clamped + distance;
  }
  return clamped;
}
