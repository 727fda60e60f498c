// "tgbridge: Pair Phone": a one-time code (valid ten minutes, five wrong tries at most)
// that the phone sends to the bot. The Chat view will show it as a QR code too.
import * as vscode from "vscode";
import type { BaseLanguageClient } from "vscode-languageclient";
import { errorMessage, showErrorWithLogs } from "./log";
import { request } from "./rpc";

export async function pairPhone(client: BaseLanguageClient | undefined): Promise<void> {
  if (!client) {
    void showErrorWithLogs("The tgbridge sidecar is not running.");
    return;
  }
  let result;
  try {
    result = await request(client, "tgbridge/pairPhone", {});
  } catch (error) {
    void showErrorWithLogs(`tgbridge could not make a pairing code: ${errorMessage(error)}`);
    return;
  }
  const actions = result.link ? ["Open Link", "Copy Code"] : ["Copy Code"];
  const choice = await vscode.window.showInformationMessage(
    `Pairing code ${result.code}`,
    { modal: true, detail: result.detail },
    ...actions,
  );
  if (choice === "Open Link" && result.link) await vscode.env.openExternal(vscode.Uri.parse(result.link));
  if (choice === "Copy Code") await vscode.env.clipboard.writeText(result.code);
}
