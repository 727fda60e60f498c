// Starts the sidecar with vscode-languageclient and keeps it running: restarts are
// serialised through one promise, crashes restart with back-off, and after repeated
// crashes the user gets an error with "Show Logs". A send the sidecar did not answer
// because it stopped is sent again, with the same clientKey, once a sidecar is ready.
import * as vscode from "vscode";
import type { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { languageClient } from "./languageClient";
import { errorMessage, showErrorWithLogs, showLogs, traceError, traceInfo } from "./log";
import type {
  AgentAskedParams,
  ChatMessage,
  ConnectionState,
  EditorEventParams,
  MessageStatusParams,
  OpenAgentChatParams,
  PairedParams,
  Requests,
  SendParams,
  SendResult,
  StatusResult,
} from "./protocol";
import type { ViewState } from "./statusText";
import { resolvePython } from "./python";
import { RestartPolicy } from "./restartPolicy";
import { answerLoginQuestions, connectWithStoredSession, logIn, logOut } from "./login";
import { ReadyClient, requestWithRetry } from "./retry";
import { onNotification, request } from "./rpc";
import { SIDECAR_SEND_COMMANDS, selectionSend, withClientKey } from "./selection";
import { cliEnv, pythonSetting, serverSettings } from "./settings";
import { sidecarEnv, sidecarPaths } from "./sidecarEnv";

export const SEND_SELECTION = "tgbridge.sendSelection";
/** How often a send is sent again after the sidecar stopped before answering it, and how
 * long each retry waits for a sidecar to be ready again. */
const SEND_RETRIES = 3;
const READY_TIMEOUT_MS = 60_000;

export class Sidecar implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly policy = new RestartPolicy();
  private disposed = false;
  private pendingRestart: NodeJS.Timeout | undefined;
  /** The client once started and connected (or not) to Telegram: what retried sends wait for. */
  private readonly ready = new ReadyClient<LanguageClient>();
  private readonly stateEmitter = new vscode.EventEmitter<ViewState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly messageEmitter = new vscode.EventEmitter<ChatMessage>();
  /** A message from Telegram (new, edited, or its file saved), as the hub pushed it. */
  readonly onDidReceiveMessage = this.messageEmitter.event;
  private readonly statusEmitter = new vscode.EventEmitter<MessageStatusParams>();
  /** Where a send stands (queued, sent, failed, with why it waits). */
  readonly onDidChangeMessageStatus = this.statusEmitter.event;
  private readonly agentAskEmitter = new vscode.EventEmitter<AgentAskedParams>();
  /** A coding agent waits for the (away) owner; the editor may answer it too. */
  readonly onDidAgentAsk = this.agentAskEmitter.event;
  private readonly agentChatEmitter = new vscode.EventEmitter<OpenAgentChatParams>();
  /** The phone asks the editor's agent something (/chat). */
  readonly onDidRequestAgentChat = this.agentChatEmitter.event;
  private readonly pairedEmitter = new vscode.EventEmitter<PairedParams>();
  /** A phone was let in (paired, or approved by the owner). */
  readonly onDidPair = this.pairedEmitter.event;
  state: ViewState = { kind: "starting" };

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  /** Stops the sidecar if it runs and starts it again; never two at once. */
  restart(reason: string, byUser = false): Promise<void> {
    if (byUser) this.policy.reset();
    clearTimeout(this.pendingRestart);
    this.queue = this.queue
      .then(() => this.stopClient())
      .then(() => (this.disposed ? undefined : this.startClient(reason)))
      .catch((error: unknown) => this.fail(`tgbridge could not start its sidecar: ${String(error)}`));
    return this.queue;
  }

  /** How to run `python -m tgbridge <command>` as the sidecar runs (the same interpreter,
   * libraries and state folder): for the CLI's commands, such as `voice install`. */
  async cliLaunch(): Promise<PythonLaunch> {
    const python = await pythonLaunch(this.extensionPath);
    return python.ok ? { ...python, env: { ...python.env, ...cliEnv() } } : python;
  }

  /** Asks the sidecar for its status and shows it; undefined when it is not running. */
  async status(): Promise<StatusResult | undefined> {
    if (!this.client?.isRunning()) return undefined;
    try {
      const status = await request(this.client, "tgbridge/status", {});
      this.setState({ kind: "running", status });
      return status;
    } catch (error) {
      traceError(`tgbridge/status failed: ${errorMessage(error)}`);
      return undefined;
    }
  }

  private async startClient(reason: string): Promise<void> {
    traceInfo(`Starting the sidecar (${reason})`);
    this.setState({ kind: "starting" });
    const python = await pythonLaunch(this.extensionPath);
    if (!python.ok) return this.fail(python.message);
    traceInfo(`Sidecar libraries: ${python.bundled ? "bundled with the extension" : "the interpreter's own"}`);

    const { CloseAction, ErrorAction, ExecuteCommandRequest, RevealOutputChannelOn, TransportKind } = languageClient();
    const serverOptions: ServerOptions = {
      command: python.executable,
      args: ["-m", "tgbridge", "serve"],
      transport: TransportKind.stdio,
      options: { env: python.env, cwd: python.cwd },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.log,
      initializationOptions: { settings: serverSettings() },
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          this.onCrash(client);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // A failed initialize counts as a crash (onCrash), never as languageclient's own toast.
      initializationFailedHandler: (error) => {
        traceError(`The sidecar failed to initialize: ${errorMessage(error)}`);
        return false;
      },
      middleware: {
        // The request goes out here, not through `next`, so a failure shows one clear
        // error (ours, with "Show Logs") instead of languageclient's generic one too.
        executeCommand: async (command, args) => {
          try {
            if (command === SEND_SELECTION) {
              const selection = await selectionSend(args);
              if (selection && !selection.ok) return void showErrorWithLogs(selection.message);
              if (selection) return await this.send(client, selection.params);
            }
            if (SIDECAR_SEND_COMMANDS.has(command)) {
              const keyed = withClientKey(args);
              return await this.retried(client, (current) =>
                current.sendRequest(ExecuteCommandRequest.type, { command, arguments: keyed }),
              );
            }
            return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
          } catch (error) {
            void showErrorWithLogs(errorMessage(error));
            return undefined;
          }
        },
      },
    };
    const client = new (sidecarClientClass())("tgbridge", "tgbridge sidecar", serverOptions, clientOptions);
    this.client = client;
    onNotification(client, "tgbridge/connectionChanged", ({ connection }) => this.onConnection(connection));
    onNotification(client, "tgbridge/message", (message) => this.messageEmitter.fire(message));
    onNotification(client, "tgbridge/agentAsked", (ask) => this.agentAskEmitter.fire(ask));
    onNotification(client, "tgbridge/openAgentChat", (chat) => this.agentChatEmitter.fire(chat));
    onNotification(client, "tgbridge/paired", (paired) => this.pairedEmitter.fire(paired));
    onNotification(client, "tgbridge/messageStatus", (status) => {
      this.statusEmitter.fire(status);
      if (status.state === "failed" && status.error === "cancelled") return;
      if (status.state === "failed") void showErrorWithLogs(`tgbridge: a message was not sent: ${status.error ?? "unknown reason"}`);
      else if (status.state === "sent") vscode.window.setStatusBarMessage("$(check) Sent to Telegram", 4000);
      else if (status.detail) vscode.window.setStatusBarMessage(`$(clock) tgbridge: ${status.detail}`, 8000);
    });
    onNotification(client, "tgbridge/historyGap", (gap) => void vscode.window.showWarningMessage(`tgbridge: ${gap.detail}`));
    answerLoginQuestions(client);
    try {
      await client.start();
    } catch (error) {
      traceError(`The sidecar did not start: ${errorMessage(error)}`);
      this.onCrash(client);
      return;
    }
    await this.status();
    try {
      if (await connectWithStoredSession(client, this.secrets)) await this.status();
    } catch (error) {
      if (errorCode(error) === "hub_version") void this.offerHubRestart(errorMessage(error));
      else void showErrorWithLogs(`tgbridge could not connect to Telegram: ${errorMessage(error)}`);
    }
    if (this.client === client && client.isRunning()) this.ready.ready(client);
  }

  /** `tgbridge/send`; sent again with the same params (so the same clientKey) when the
   * sidecar stopped before answering, once a sidecar is ready again. */
  private send(client: LanguageClient, params: SendParams): Promise<SendResult> {
    return this.retried(client, (current) => request(current, "tgbridge/send", params));
  }

  /** A request the sidecar deduplicates (its params carry a clientKey), sent again when
   * the sidecar stopped before answering it, once a sidecar is ready again. */
  private retried<R>(client: LanguageClient, send: (current: LanguageClient) => Promise<R>): Promise<R> {
    return requestWithRetry(client, send, {
      retries: SEND_RETRIES,
      nextClient: (failed) => (this.disposed ? Promise.resolve(undefined) : this.ready.next(failed, READY_TIMEOUT_MS)),
      onRetry: (attempt, error) =>
        traceInfo(`The sidecar stopped before answering a send (${errorMessage(error)}); sending it again (${attempt}/${SEND_RETRIES})`),
    });
  }

  async logIn(): Promise<void> {
    if (!this.client?.isRunning()) return showErrorWithLogs("The tgbridge sidecar is not running.");
    await logIn(this.client, this.secrets);
    await this.status();
  }

  /** The running hub is of another version (an update came): say so, offer the fix. */
  private async offerHubRestart(message: string): Promise<void> {
    traceError(message);
    const choice = await vscode.window.showErrorMessage(`tgbridge: ${message}`, "Restart Hub", "Show Logs");
    if (choice === "Restart Hub") await this.restartHub();
    else if (choice === "Show Logs") showLogs();
  }

  /** Stops the shared hub (one left from before an update, say); this window starts the
   * next one and connects again. */
  async restartHub(): Promise<void> {
    const client = this.client?.isRunning() ? this.client : undefined;
    if (!client) {
      void showErrorWithLogs("The tgbridge sidecar is not running.");
      return;
    }
    try {
      await request(client, "tgbridge/restartHub", {});
      vscode.window.setStatusBarMessage("$(sync) tgbridge: the hub was restarted", 4000);
    } catch (error) {
      void showErrorWithLogs(`tgbridge could not restart the hub: ${errorMessage(error)}`);
    }
    await this.status();
  }

  /** A request to the running sidecar; undefined (and the error shown, unless `quiet`:
   * then only logged) when none runs or it fails. A `tgbridge/send` is sent again, with
   * the same clientKey, when the sidecar stopped before answering it. */
  async call<M extends keyof Requests>(
    method: M,
    params: Requests[M]["params"],
    options: { quiet?: boolean } = {},
  ): Promise<Requests[M]["result"] | undefined> {
    const client = this.client?.isRunning() ? this.client : undefined;
    if (!client) {
      if (!options.quiet) void showErrorWithLogs("The tgbridge sidecar is not running.");
      return undefined;
    }
    try {
      if (method === "tgbridge/send") return (await this.send(client, params as SendParams)) as Requests[M]["result"];
      return await request(client, method, params);
    } catch (error) {
      if (options.quiet) traceInfo(`${method} failed: ${errorMessage(error)}`);
      else void showErrorWithLogs(`tgbridge: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /** A task or debug session ended: told to the hub when a sidecar runs (best effort:
   * an editor event is a notification, not a message the user wrote). */
  reportEditorEvent(event: EditorEventParams): void {
    const client = this.client?.isRunning() ? this.client : undefined;
    if (!client) return;
    request(client, "tgbridge/editorEvent", event).catch((error: unknown) =>
      traceInfo(`could not report ${event.kind} ${event.name}: ${errorMessage(error)}`),
    );
  }

  async logOut(): Promise<void> {
    await logOut(this.client?.isRunning() ? this.client : undefined, this.secrets);
    await this.status();
  }

  private onConnection(connection: ConnectionState): void {
    if (this.state.kind !== "running") return;
    this.setState({ kind: "running", status: { ...this.state.status, connection } });
  }

  /** A sidecar that exits or fails to start counts as a crash, once per client. */
  private onCrash(client: LanguageClient): void {
    if (this.disposed || this.client !== client) return;
    this.client = undefined;
    this.ready.lost();
    const decision = this.policy.onCrash(Date.now());
    if (!decision.restart) {
      void this.fail("The tgbridge sidecar keeps crashing, so it was not restarted.");
      return;
    }
    traceError(`The sidecar stopped; restart ${decision.attempt} in ${decision.delayMs} ms`);
    this.setState({ kind: "stopped", reason: `restarting in ${Math.ceil(decision.delayMs / 1000)} s` });
    this.pendingRestart = setTimeout(
      () => void this.restart(`restart ${decision.attempt} after a crash`),
      decision.delayMs,
    );
  }

  private async fail(message: string): Promise<void> {
    this.ready.giveUp();
    this.setState({ kind: "stopped", reason: message });
    await showErrorWithLogs(message);
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.ready.lost();
    if (!client) return;
    try {
      await client.stop(5000);
    } catch (error) {
      traceError(`Stopping the sidecar: ${errorMessage(error)}`);
    }
  }

  private setState(state: ViewState): void {
    this.state = state;
    this.stateEmitter.fire(state);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.pendingRestart);
    await this.queue;
    await this.stopClient();
    this.ready.giveUp();
    this.stateEmitter.dispose();
    this.messageEmitter.dispose();
    this.agentAskEmitter.dispose();
    this.agentChatEmitter.dispose();
    this.pairedEmitter.dispose();
    this.statusEmitter.dispose();
  }
}

export type PythonLaunch =
  | { ok: true; executable: string; env: NodeJS.ProcessEnv; cwd: string; bundled: boolean }
  | { ok: false; message: string };

/** The interpreter (tgbridge.python, the Python extension's, or PATH's) with the
 * extension's `server/` folder and bundled libraries on its path. */
async function pythonLaunch(extensionPath: string): Promise<PythonLaunch> {
  const setting = pythonSetting();
  if (!setting.ok) return setting;
  const python = await resolvePython(setting.command);
  if (!python.ok) return python;
  const paths = sidecarPaths(extensionPath, python.version);
  if (!paths.ok) return paths;
  return { ok: true, executable: python.executable, env: sidecarEnv(paths.pythonPath), cwd: extensionPath, bundled: paths.bundled };
}

let SidecarClient: typeof LanguageClient | undefined;

/** A LanguageClient that logs languageclient's own errors without a notification:
 * tgbridge shows its own, each with "Show Logs", so the user never sees the same failure
 * twice. Made on first use, with the module (off the activation path). */
function sidecarClientClass(): typeof LanguageClient {
  SidecarClient ??= class extends languageClient().LanguageClient {
    override error(message: string, data?: unknown): void {
      super.error(message, data, false);
    }
  };
  return SidecarClient;
}

/** The stable `data.code` of a JSON-RPC error from the sidecar, if it has one. */
function errorCode(error: unknown): string | undefined {
  const data = (error as { data?: { code?: unknown } } | undefined)?.data;
  return typeof data?.code === "string" ? data.code : undefined;
}
