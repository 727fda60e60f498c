// Building elements with text only: strings become text nodes (Element.append), never
// markup, so nothing from a message can add elements, attributes or scripts.

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/** A button that runs `action` on click (Enter and Space come with <button>). */
export function button(
  label: string,
  action: (event: MouseEvent) => void,
  attributes: Record<string, string | number | boolean | null | undefined> = {},
): HTMLButtonElement {
  const node = h("button", { type: "button", ...attributes }, label);
  node.addEventListener("click", action);
  return node;
}
