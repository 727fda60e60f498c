// The login wizard and the credentials it keeps in the editor's SecretStorage. Secrets go
// to the sidecar only inside tgbridge/login and tgbridge/connect, never through settings.
import * as vscode from "vscode";
import type { BaseLanguageClient } from "vscode-languageclient";
import { showErrorWithLogs } from "./log";
import type { ClientRequests, StatusResult } from "./protocol";
import { request } from "./rpc";

const SECRET_KEY = "tgbridge.credentials";

interface StoredCredentials {
  mode: "bot" | "account";
  apiId: number;
  apiHash: string;
  session: string;
}

export async function storedCredentials(secrets: vscode.SecretStorage): Promise<StoredCredentials | undefined> {
  const raw = await secrets.get(SECRET_KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as StoredCredentials;
  } catch {
    await secrets.delete(SECRET_KEY);
    return undefined;
  }
}

/** Connects with the kept session, if there is one. */
export async function connectWithStoredSession(
  client: BaseLanguageClient,
  secrets: vscode.SecretStorage,
): Promise<StatusResult | undefined> {
  const credentials = await storedCredentials(secrets);
  if (!credentials) return undefined;
  const { apiId, apiHash, session } = credentials;
  return request(client, "tgbridge/connect", { apiId, apiHash, session });
}

/** Answers the sidecar's questions during an account login (code, 2FA password). */
export function answerLoginQuestions(client: BaseLanguageClient): void {
  type Ask = ClientRequests["tgbridge/askLogin"];
  client.onRequest("tgbridge/askLogin", async (params: Ask["params"]): Promise<Ask["result"]> => {
    const value = await vscode.window.showInputBox({
      title: "tgbridge: Log In",
      prompt: params.prompt,
      password: params.kind === "password",
      ignoreFocusOut: true,
    });
    return { value: value ?? null };
  });
}

export async function logIn(client: BaseLanguageClient, secrets: vscode.SecretStorage): Promise<void> {
  const mode = await vscode.window.showQuickPick(
    [
      { label: "Bot", description: "your own bot from @BotFather (recommended)", mode: "bot" as const },
      { label: "Account", description: "your own Telegram account", mode: "account" as const },
    ],
    { title: "tgbridge: Log In (1/3)", placeHolder: "How should tgbridge reach Telegram?", ignoreFocusOut: true },
  );
  if (!mode) return;
  const apiIdText = await ask("2/3", "API id from my.telegram.org", false, (value) =>
    /^\d+$/.test(value.trim()) ? undefined : "The API id is a number.",
  );
  if (!apiIdText) return;
  const apiHash = await ask("2/3", "API hash from my.telegram.org", true, (value) =>
    /^[0-9a-f]{32}$/i.test(value.trim()) ? undefined : "The API hash is 32 hexadecimal characters.",
  );
  if (!apiHash) return;
  const secret =
    mode.mode === "bot"
      ? await ask("3/3", "Bot token from @BotFather", true, (value) =>
          /^\d+:[\w-]+$/.test(value.trim()) ? undefined : "A bot token looks like 123456:ABC-DEF…",
        )
      : await ask("3/3", "Phone number of your Telegram account, with country code", false, (value) =>
          /^\+?\d{6,15}$/.test(value.replace(/[\s-]/g, "")) ? undefined : "A phone number like +44 7700 900123.",
        );
  if (!secret) return;
  const apiId = Number(apiIdText.trim());
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "tgbridge: logging in to Telegram…" },
      () =>
        request(client, "tgbridge/login", {
          mode: mode.mode,
          apiId,
          apiHash: apiHash.trim(),
          ...(mode.mode === "bot" ? { botToken: secret.trim() } : { phone: secret.replace(/[\s-]/g, "") }),
        }),
    );
    const credentials: StoredCredentials = { mode: mode.mode, apiId, apiHash: apiHash.trim(), session: result.session };
    await secrets.store(SECRET_KEY, JSON.stringify(credentials));
    void vscode.window.showInformationMessage(`tgbridge: ${result.connection.detail}`);
  } catch (error) {
    void showErrorWithLogs(`tgbridge could not log in: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function logOut(client: BaseLanguageClient | undefined, secrets: vscode.SecretStorage): Promise<void> {
  const result = client ? await request(client, "tgbridge/logout", {}) : undefined;
  await secrets.delete(SECRET_KEY);
  if (result && !result.telegramTold) {
    void vscode.window.showWarningMessage(
      "tgbridge: logged out here, but Telegram could not be reached and was not told: end the session in " +
        "Telegram's Settings → Devices. The session was removed from this editor.",
    );
  } else {
    void vscode.window.showInformationMessage("tgbridge: logged out; the session was removed from this editor.");
  }
}

function ask(
  step: string,
  prompt: string,
  password: boolean,
  validateInput: (value: string) => string | undefined,
): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title: `tgbridge: Log In (${step})`, prompt, password, ignoreFocusOut: true, validateInput });
}
