// The Chat view's script: renders the state the extension posts; posts `ready` first.
(function () {
  const vscode = acquireVsCodeApi();
  const root = document.getElementById("root");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  }

  function row(label, value, testId) {
    return el("div", { class: "row" }, el("dt", {}, label), el("dd", { "data-testid": testId }, value));
  }

  function render(state) {
    root.replaceChildren();
    if (state.kind === "starting") {
      root.append(el("p", { class: "muted", "data-testid": "sidecar-state" }, "Starting tgbridge…"));
      return;
    }
    if (state.kind === "stopped") {
      const restart = el("button", { type: "button" }, "Restart sidecar");
      restart.addEventListener("click", () => vscode.postMessage({ type: "command", command: "tgbridge.restartSidecar" }));
      const logs = el("button", { type: "button", class: "secondary" }, "Show logs");
      logs.addEventListener("click", () => vscode.postMessage({ type: "command", command: "tgbridge.showLogs" }));
      root.append(
        el("p", { class: "error", "data-testid": "sidecar-state" }, "The sidecar is not running: " + state.reason),
        el("div", { class: "actions" }, restart, logs),
      );
      return;
    }
    const status = state.status;
    const folders = status.workspaceFolders.map((folder) => folder.name).join(", ") || "none";
    const list = el(
      "dl",
      { "data-testid": "status" },
      row("Telegram", status.connection.state, "connection-state"),
      row("", status.connection.detail, "connection-detail"),
      row("Workspace", folders, "workspace-folders"),
      row("Sidecar", "tgbridge " + status.version, "sidecar-version"),
      row("Python", status.python.version + " — " + status.python.executable, "python"),
    );
    root.append(el("h2", {}, "Status"), list);
    if (status.settingsError) root.append(el("p", { class: "error", "data-testid": "settings-error" }, status.settingsError));
  }

  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "state") render(event.data.state);
  });
  vscode.postMessage({ type: "ready" });
})();
