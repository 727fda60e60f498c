// The "Chat" webview view. The webview posts `ready` when its script runs and the
// extension replays the current state then, so nothing sent before it loaded is lost.
import * as vscode from "vscode";
import type { ViewState } from "./statusText";

type FromWebview = { type: "ready" } | { type: "command"; command: "tgbridge.restartSidecar" | "tgbridge.showLogs" };

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = "tgbridge.chat";
  private view: vscode.WebviewView | undefined;
  private state: ViewState = { kind: "starting" };
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, "extension", "media");
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    this.disposables.push(
      view.webview.onDidReceiveMessage((message: FromWebview) => {
        if (message.type === "ready") this.post();
        else if (message.type === "command") void vscode.commands.executeCommand(message.command);
      }),
      view.onDidDispose(() => (this.view = undefined)),
    );
  }

  show(state: ViewState): void {
    this.state = state;
    this.post();
  }

  private post(): void {
    void this.view?.webview.postMessage({ type: "state", state: this.state });
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = [...Array(32)].map(() => Math.floor(Math.random() * 36).toString(36)).join("");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css"));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style}" rel="stylesheet">
<title>tgbridge</title>
</head>
<body>
<main id="root" aria-live="polite"><p class="muted">Starting tgbridge…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
