// Which files the Chat view may open, and how: only paths the host itself showed the
// webview (the files tgbridge saved from Telegram, or sent), never one the page names on
// its own; a text file opens as a read-only document, anything else is only revealed.
// No vscode imports, so node:test drives it.
import { open, lstat } from "node:fs/promises";
import * as path from "node:path";

/** How much of a file is read to tell text from binary. */
const SNIFF_BYTES = 8192;
/** Paths remembered at most (the oldest are forgotten first). */
const MAX_PATHS = 20_000;

export class ReceivedFiles {
  private readonly paths = new Set<string>();

  /** A path the host is about to post to the webview. */
  remember(filePath: string | null | undefined): void {
    if (!filePath || !path.isAbsolute(filePath)) return;
    this.paths.delete(filePath);
    this.paths.add(filePath);
    if (this.paths.size > MAX_PATHS) this.paths.delete(this.paths.values().next().value!);
  }

  allows(filePath: string): boolean {
    return this.paths.has(filePath);
  }
}

export type FileKind = "text" | "binary" | "missing";

/** "text" when the first 8 KB hold no NUL byte; "missing" for anything but a regular
 * file (a symlink put in its place included). */
export async function fileKind(filePath: string): Promise<FileKind> {
  try {
    const stat = await lstat(filePath);
    if (!stat.isFile()) return "missing";
    const handle = await open(filePath, "r");
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      return buffer.subarray(0, bytesRead).includes(0) ? "binary" : "text";
    } finally {
      await handle.close();
    }
  } catch {
    return "missing";
  }
}
