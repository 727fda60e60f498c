// Typed requests and notifications over the generated protocol.
import type { BaseLanguageClient } from "vscode-languageclient";
import type { Notifications, Requests } from "./protocol";

export function request<M extends keyof Requests>(
  client: BaseLanguageClient,
  method: M,
  params: Requests[M]["params"],
): Promise<Requests[M]["result"]> {
  return client.sendRequest(method, params);
}

export function onNotification<M extends keyof Notifications>(
  client: BaseLanguageClient,
  method: M,
  handler: (params: Notifications[M]) => void,
): void {
  client.onNotification(method, handler);
}
