// What a key press in the composer does: Enter sends, Shift+Enter (or Alt+Enter) makes a
// new line, Ctrl/Cmd+Enter sends too, Escape drops the reply target or the attached
// selection; nothing while an input method is composing (Enter there picks a candidate).

export interface KeyPress {
  key: string;
  shiftKey: boolean;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  isComposing: boolean;
  /** 229 while an IME handles the key (older browsers report only this). */
  keyCode: number;
}

export type ComposerAction = "send" | "newline" | "cancelReply" | "dropAttachment" | "none";

export function composerKey(press: KeyPress, context: { replying: boolean; attached: boolean }): ComposerAction {
  if (press.isComposing || press.keyCode === 229) return "none";
  if (press.key === "Enter") {
    if (press.ctrlKey || press.metaKey) return "send";
    return press.shiftKey || press.altKey ? "newline" : "send";
  }
  if (press.key === "Escape" && !press.shiftKey && !press.ctrlKey && !press.metaKey && !press.altKey) {
    if (context.replying) return "cancelReply";
    if (context.attached) return "dropAttachment";
  }
  return "none";
}
