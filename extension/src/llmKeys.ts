// The language models' API keys: kept in the editor's SecretStorage (never in settings)
// and handed to the hub with tgbridge/llmKeys, which keeps them in memory only. They go
// each time this window comes online (after every sidecar start, and after the hub was
// replaced: the window goes "reconnecting", then "online") and when a key changes. Log Out
// leaves them. No vscode imports, so node:test can drive it; the palette's "Set Language
// Model Key" is in commands.ts.
import type { LlmKeysParams } from "./protocol";
import type { ViewState } from "./statusText";

export const LLM_KEY_PREFIX = "tgbridge.llmKey.";
const KEYED_KINDS: ReadonlySet<string> = new Set(["openai", "anthropic"]);

/** The part of vscode.SecretStorage used here. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface KeyedProvider {
  /** As the hub knows it: the kind when the setting names none. */
  name: string;
  kind: string;
  model: string;
  baseUrl?: string;
}

/** The providers in `tgbridge.llm.providers` that take a key (kind openai or anthropic).
 * An openai one pointed at a local server needs none, but may be given one. */
export function keyedProviders(setting: unknown): KeyedProvider[] {
  if (!Array.isArray(setting)) return [];
  const found: KeyedProvider[] = [];
  for (const item of setting as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const { name, kind, model, baseUrl } = item as Record<string, unknown>;
    if (typeof kind !== "string" || !KEYED_KINDS.has(kind)) continue;
    const named = typeof name === "string" && name ? name : kind;
    if (found.some((provider) => provider.name === named)) continue;
    const provider: KeyedProvider = { name: named, kind, model: typeof model === "string" ? model : "" };
    if (typeof baseUrl === "string" && baseUrl) provider.baseUrl = baseUrl;
    found.push(provider);
  }
  return found;
}

function isOnline(state: ViewState): boolean {
  return state.kind === "running" && state.status.connection.state === "online";
}

export class LlmKeys {
  private online = false;

  constructor(
    private readonly secrets: SecretStore,
    /** `tgbridge.llm.providers` as it is now. */
    private readonly providers: () => unknown,
    /** tgbridge/llmKeys, quiet: a failure is logged, never shown. */
    private readonly send: (params: LlmKeysParams) => PromiseLike<unknown>,
  ) {}

  /** The keys kept for the providers the settings name. */
  async keys(): Promise<Record<string, string>> {
    const keys: Record<string, string> = {};
    for (const { name } of keyedProviders(this.providers())) {
      const key = await this.secrets.get(LLM_KEY_PREFIX + name);
      if (key) keys[name] = key;
    }
    return keys;
  }

  /** Keeps the key of provider `name` (an empty one forgets it) and, when online, hands
   * the keys over at once; else they go when the window comes online. */
  async set(name: string, key: string): Promise<void> {
    const trimmed = key.trim();
    if (trimmed) await this.secrets.store(LLM_KEY_PREFIX + name, trimmed);
    else await this.secrets.delete(LLM_KEY_PREFIX + name);
    if (this.online) await this.handOver(true);
  }

  /** The sidecar's state changed: the keys go each time the window comes online. */
  onState(state: ViewState): void {
    const online = isOnline(state);
    const cameOnline = online && !this.online;
    this.online = online;
    if (cameOnline) void this.handOver(false);
  }

  /** Sends the keys; none is worth sending only when one was just forgotten. */
  private async handOver(evenNone: boolean): Promise<void> {
    const keys = await this.keys();
    if (!evenNone && !Object.keys(keys).length) return;
    await this.send({ keys });
  }
}
