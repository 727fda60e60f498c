// "tgbridge: Generate Commit Message": which Git repository it is for (through the
// built-in Git extension's API, of which only the few members used are declared here) and
// what to say about what the model did not see. No runtime vscode imports, so node:test
// can drive it; the command itself is in commands.ts.
import type * as vscode from "vscode";

/** The part of the Git extension's `Repository` used here. */
export interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly inputBox: { value: string };
}

/** The part of the Git extension's API (version 1) used here. */
export interface GitApi {
  readonly state: "uninitialized" | "initialized";
  readonly onDidChangeState: vscode.Event<"uninitialized" | "initialized">;
  readonly repositories: GitRepository[];
}

interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

const GIT_READY_MS = 10_000;

/** The built-in Git extension's API, its repositories found; undefined when that
 * extension is missing or turned off (git.enabled). */
export async function gitApi(extensions: Pick<typeof vscode.extensions, "getExtension">): Promise<GitApi | undefined> {
  const extension = extensions.getExtension<GitExtension>("vscode.git");
  if (!extension) return undefined;
  const git = extension.isActive ? extension.exports : await extension.activate();
  if (!git?.enabled) return undefined;
  const api = git.getAPI(1);
  if (api.state === "uninitialized") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, GIT_READY_MS);
      const listener = api.onDidChangeState(done);
      function done(): void {
        clearTimeout(timer);
        listener.dispose();
        resolve();
      }
    });
  }
  return api;
}

export type RepositoryChoice<R> = { repository: R } | { choose: R[] } | undefined;

/** The repository the command is for: the Source Control view's title bar gives its
 * SourceControl (`rootUri`); from the palette, the only repository, or the user chooses. */
export function repositoryFor<R extends { rootUri: { toString(): string } }>(
  arg: unknown,
  repositories: readonly R[],
): RepositoryChoice<R> {
  const root = (arg as { rootUri?: unknown } | undefined)?.rootUri;
  if (typeof root === "object" && root !== null) {
    const wanted = String(root);
    const repository = repositories.find((candidate) => candidate.rootUri.toString() === wanted);
    if (repository) return { repository };
  }
  if (repositories.length === 1) return { repository: repositories[0]! };
  if (repositories.length > 1) return { choose: [...repositories] };
  return undefined;
}

const CUT_SHOWN = 5;

/** What the model's context left out (too big, or files the phone may never read). */
export function cutNotice(cut: readonly string[]): string {
  const shown = cut.slice(0, CUT_SHOWN).join(", ");
  const more = cut.length > CUT_SHOWN ? ` and ${cut.length - CUT_SHOWN} more` : "";
  return `tgbridge: the commit message was written without ${shown}${more}: left out of the model's context. Check it before committing.`;
}
