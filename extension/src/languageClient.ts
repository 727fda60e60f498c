// vscode-languageclient is most of the extension's bundle: it is loaded (evaluated) when
// the sidecar first starts, not while VS Code activates the extension.
import type * as LanguageClientModule from "vscode-languageclient/node";

let loaded: typeof LanguageClientModule | undefined;

export function languageClient(): typeof LanguageClientModule {
  // dist/languageclient.js, built beside dist/extension.js (scripts/lib/build.mjs).
  loaded ??= require("./languageclient.js") as typeof LanguageClientModule;
  return loaded;
}
