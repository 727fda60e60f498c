// What "Send Selection" sends: the selected code of the active editor (the palette), or
// of the document and range a code action names, as `tgbridge/send` params with a
// clientKey of its own, so a retry of this one action is never sent twice.
import * as path from "node:path";
import * as vscode from "vscode";
import type { Range, SendParams } from "./protocol";
import { newClientKey } from "./retry";

export type SelectionSend = { ok: true; params: SendParams } | { ok: false; message: string };

/** `args` as `tgbridge.sendSelection` gets them: none (the active editor's selection) or
 * one `{uri, range}`; undefined when they are neither, for the sidecar to refuse. */
export async function selectionSend(args: unknown[]): Promise<SelectionSend | undefined> {
  let document: vscode.TextDocument;
  let range: Range;
  if (args.length === 0) {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) return { ok: false, message: "Select some text to send, then try again." };
    document = editor.document;
    range = toRange(editor.selection);
  } else {
    const named = args.length === 1 ? documentRange(args[0]) : undefined;
    if (!named) return undefined;
    document = await vscode.workspace.openTextDocument(vscode.Uri.parse(named.uri));
    range = named.range;
  }
  const text = document.getText(
    new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character),
  );
  const code = { text, language: document.languageId, path: displayPath(document.uri), range };
  return { ok: true, params: { code, clientKey: newClientKey() } };
}

/** The file's name is enough for Telegram (the sidecar shows it above the code). */
export function displayPath(uri: vscode.Uri): string {
  return uri.scheme === "file" ? path.basename(uri.fsPath) : uri.toString();
}

export function toRange(selection: vscode.Range): Range {
  const { start, end } = selection;
  return {
    start: { line: start.line, character: start.character },
    end: { line: end.line, character: end.character },
  };
}

/** `{uri, range}` as a code action names them; undefined when `arg` is not that. */
export function documentRange(arg: unknown): { uri: string; range: Range } | undefined {
  const candidate = arg as { uri?: unknown; range?: Range } | undefined;
  if (typeof candidate?.uri !== "string") return undefined;
  const { start, end } = candidate.range ?? {};
  const positions = [start?.line, start?.character, end?.line, end?.character];
  if (!positions.every((n) => typeof n === "number")) return undefined;
  return { uri: candidate.uri, range: candidate.range! };
}

/** The sidecar's sends that code actions name besides "Send Selection": each takes one
 * `{uri, ...}` argument and an optional clientKey. */
export const SIDECAR_SEND_COMMANDS: ReadonlySet<string> = new Set(["tgbridge.sendFile", "tgbridge.sendDiagnostic"]);

/** A sidecar send command's arguments with a clientKey (kept when they have one), so the
 * command, sent again after the sidecar restarted, is stored once. */
export function withClientKey(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first === null || typeof first !== "object" || Array.isArray(first) || "clientKey" in first) return args;
  return [{ ...first, clientKey: newClientKey() }, ...rest];
}
