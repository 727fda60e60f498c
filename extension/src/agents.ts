// "tgbridge: Connect Coding Agents" and "Disconnect Coding Agents": the sidecar writes (or
// removes) the agents' hook and MCP entries, user-level; this shows what it wrote.
import * as vscode from "vscode";
import { traceInfo } from "./log";
import type { AgentsParams } from "./protocol";
import type { Sidecar } from "./sidecar";

const AGENTS: Array<{ id: AgentsParams["agents"][number]; label: string; detail: string }> = [
  { id: "claude", label: "Claude Code", detail: "~/.claude/settings.json hooks, ~/.claude.json MCP" },
  { id: "cursor", label: "Cursor", detail: "~/.cursor/hooks.json, ~/.cursor/mcp.json" },
  { id: "codex", label: "Codex", detail: "~/.codex/hooks.json" },
];

export async function connectAgents(sidecar: Sidecar, action: AgentsParams["action"]): Promise<void> {
  const verb = action === "install" ? "Connect" : "Disconnect";
  const picked = await vscode.window.showQuickPick(
    AGENTS.map((agent) => ({ ...agent, picked: true })),
    { canPickMany: true, title: `${verb} coding agents`, placeHolder: "Which agents reach your phone through tgbridge?" },
  );
  if (!picked?.length) return;
  const result = await sidecar.call("tgbridge/agents", { action, agents: picked.map((agent) => agent.id) });
  if (!result) return;
  for (const change of result.changes) {
    traceInfo(`${verb}: ${change.path}${change.entries.length ? `\n  ${change.entries.join("\n  ")}` : " (tgbridge's entries removed)"}`);
  }
  const files = [...new Set(result.changes.map((change) => change.path))];
  const choice = await vscode.window.showInformationMessage(
    action === "install"
      ? `tgbridge: ${picked.map((agent) => agent.label).join(", ")} now ask your phone when you are away (/away). Wrote ${files.length} files.`
      : `tgbridge: removed tgbridge's entries from ${files.length} files; your other hooks are untouched.`,
    "Show What Changed",
  );
  if (choice === "Show What Changed") void vscode.commands.executeCommand("tgbridge.showLogs");
}
