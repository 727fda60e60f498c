// The Chat view's HTML. The page's script and style are written into the page itself
// (read once from the extension's files): a webview loads each linked file through its
// service worker and a round trip to the extension host, which cost more than the whole
// first render. The nonce still guards them, and the CSP lets the page load nothing
// else (the QR code is a data: image).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";

interface Assets {
  script: string;
  style: string;
}

let cached: { root: string; assets: Assets } | undefined;

function assets(extensionPath: string): Assets {
  if (cached?.root !== extensionPath) {
    const read = (...parts: string[]) => readFileSync(path.join(extensionPath, ...parts), "utf8");
    cached = {
      root: extensionPath,
      assets: {
        // A "</" inside the script would end the element early; "<\/" means the same in JS.
        script: read("dist", "webview.js").replace(/<\/(script)/gi, "<\\/$1"),
        style: read("extension", "media", "chat.css").replace(/<\/(style)/gi, "<\\/$1"),
      },
    };
  }
  return cached.assets;
}

/** `initial`: messages the page handles before its first render (JSON, "<" escaped so no
 * text from Telegram can close the element). */
export function chatPageHtml(extensionPath: string, initial: unknown[]): string {
  const { script, style } = assets(extensionPath);
  const nonce = randomBytes(16).toString("base64");
  const data = JSON.stringify(initial).replace(/</g, "\\u003c");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${style}</style>
<title>tgbridge chat</title>
</head>
<body>
<p class="muted" data-testid="sidecar-state">Starting tgbridge…</p>
<script type="application/json" id="tgbridge-initial">${data}</script>
<script nonce="${nonce}">${script}</script>
</body>
</html>`;
}
