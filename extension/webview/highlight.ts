// Code blocks coloured by highlight.js (core plus the languages people paste most), with
// the theme drawn from VS Code's own colours in chat.css.
// highlight.js escapes the code it is given (&, <, >, ", ') and wraps tokens in
// <span class="hljs-…">: its output is the one HTML the Chat view inserts as markup.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, c, cpp, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, yaml };
let registered = false;

/** Registering runs every grammar's definition (several ms): done at the first highlight,
 * which comes after the Chat view's first paint, not when the page's script loads. */
function registerLanguages(): void {
  if (registered) return;
  registered = true;
  for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
  // Names VS Code gives languages (an attached selection's languageId) that highlight.js
  // does not know as aliases.
  hljs.registerAliases(["shellscript", "sh", "zsh", "console"], { languageName: "bash" });
  hljs.registerAliases(["typescriptreact", "javascriptreact"], { languageName: "typescript" });
  hljs.registerAliases(["jsonc", "jsonl"], { languageName: "json" });
  hljs.registerAliases(["golang"], { languageName: "go" });
  hljs.registerAliases(["patch", "git-commit"], { languageName: "diff" });
  hljs.configure({ ignoreUnescapedHTML: true });
}

/** Guessing the language costs a run of every grammar: only for short blocks. */
const GUESS_UP_TO = 3000;
/** Past this size a block stays plain text (a log pasted whole). */
const HIGHLIGHT_UP_TO = 100_000;

export interface Highlighted {
  /** Escaped code with token spans (see the module comment). */
  html: string;
  language: string;
}

/** `code` highlighted as `language` (a name or alias), or as the language it looks like
 * when none is named; undefined when it should stay plain text. */
export function highlight(code: string, language: string): Highlighted | undefined {
  if (code.length > HIGHLIGHT_UP_TO) return undefined;
  registerLanguages();
  const known = language ? hljs.getLanguage(language) : undefined;
  if (known) {
    return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language: canonical(language) };
  }
  if (language || code.length > GUESS_UP_TO) return undefined;
  const guess = hljs.highlightAuto(code, Object.keys(LANGUAGES));
  if (!guess.language || guess.relevance < 5) return undefined;
  return { html: guess.value, language: guess.language };
}

/** The registered name of `language` (an alias such as "py" gives "python"). */
export function canonical(language: string): string {
  registerLanguages();
  const wanted = hljs.getLanguage(language);
  return Object.keys(LANGUAGES).find((name) => hljs.getLanguage(name) === wanted) ?? language;
}

export function knownLanguage(language: string): boolean {
  registerLanguages();
  return hljs.getLanguage(language) !== undefined;
}
