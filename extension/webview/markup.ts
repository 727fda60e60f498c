// A message's text as pieces to render: Markdown code fences (```lang … ```) become code
// blocks, `inline code` and http(s) links are marked; everything else stays plain text.
// Pure string work: the view inserts every piece as text (never as HTML).

export type Segment = { kind: "text"; text: string } | { kind: "code"; language: string; code: string };

export type Inline = { kind: "text"; text: string } | { kind: "code"; text: string } | { kind: "link"; text: string; url: string };

/** ```lang\n…``` (the language only when a line break follows it), or ```…``` on one line. */
const FENCE = /```(?:([\w#+.-]{1,32})?[ \t]*\n)?([\s\S]*?)```/g;
/** An opening fence left open (a message cut in parts): code to the end of the text. */
const OPEN_FENCE = /```(?:([\w#+.-]{1,32})?[ \t]*\n)([\s\S]*)$/;
const INLINE = /`([^`\n]+)`|\bhttps?:\/\/[^\s<>"'`]+/g;
/** Punctuation that ends a sentence rather than a link. */
const LINK_TAIL = /[.,;:!?)\]}]+$/;

/** The text and fenced code blocks of `text`, in order; empty text between blocks dropped. */
export function splitFences(text: string): Segment[] {
  const segments: Segment[] = [];
  const pushText = (piece: string, afterCode: boolean, beforeCode: boolean): void => {
    let value = piece;
    if (afterCode) value = value.replace(/^[ \t]*\n/, "");
    if (beforeCode) value = value.replace(/\n[ \t]*$/, "");
    if (value.trim()) segments.push({ kind: "text", text: value });
  };
  let last = 0;
  let afterCode = false;
  for (const match of text.matchAll(FENCE)) {
    const code = (match[2] ?? "").replace(/^\n/, "").replace(/\n$/, "");
    if (!code.trim() && match[1] === undefined) continue; // a stray ``````: not a block
    pushText(text.slice(last, match.index), afterCode, true);
    segments.push({ kind: "code", language: (match[1] ?? "").toLowerCase(), code });
    last = match.index + match[0].length;
    afterCode = true;
  }
  const rest = text.slice(last);
  const open = OPEN_FENCE.exec(rest);
  if (open && open[2]!.trim()) {
    pushText(rest.slice(0, open.index), afterCode, true);
    segments.push({ kind: "code", language: (open[1] ?? "").toLowerCase(), code: open[2]!.replace(/\n$/, "") });
  } else {
    pushText(rest, afterCode, false);
  }
  return segments;
}

/** `inline code` and http(s) links within plain text. */
export function splitInline(text: string): Inline[] {
  const pieces: Inline[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    let end = match.index + match[0].length;
    let piece: Inline;
    if (match[1] !== undefined) {
      piece = { kind: "code", text: match[1] };
    } else {
      const url = match[0].replace(LINK_TAIL, "");
      end = match.index + url.length;
      if (!safeUrl(url)) continue;
      piece = { kind: "link", text: url, url };
    }
    if (match.index > last) pieces.push({ kind: "text", text: text.slice(last, match.index) });
    pieces.push(piece);
    last = end;
  }
  if (last < text.length) pieces.push({ kind: "text", text: text.slice(last) });
  return pieces;
}

/** An http(s) URL that parses; anything else is shown as text, never followed. */
export function safeUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

/** The first line of `text`, cut to `max` characters, for quotes and previews. */
export function firstLine(text: string, max = 120): string {
  const line = text.replace(/```[\w#+.-]*/g, "").trim().split("\n", 1)[0] ?? "";
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

/** `text` cut where `query`'s words occur (case-insensitive), for marking search hits. */
export function markWords(text: string, query: string): { text: string; hit: boolean }[] {
  const words = query
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (words.length === 0) return [{ text, hit: false }];
  // With one capturing group, split() puts the matches at the odd indices.
  return text
    .split(new RegExp(`(${words.join("|")})`, "iu"))
    .map((piece, index) => ({ text: piece, hit: index % 2 === 1 }))
    .filter((piece) => piece.text !== "");
}
