// DOM helpers. Text from the API (message bodies, names, subjects) comes from outside the helpdesk:
// it only ever reaches the page as text nodes or attribute values, never as HTML.

/**
 * h("button", {class: "x", type: "button", onclick: fn, "aria-label": "…"}, "text", child, [more])
 * Keys: `class`, `text` (textContent), `on<event>` (listeners), booleans toggle an attribute,
 * `value`/`checked` set the property; anything else is an attribute. Null/undefined/false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = Boolean(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Text only a screen reader reads (e.g. "2 unread replies" next to a dot). */
export function srOnly(text) {
  return h("span", { class: "sc-sr-only", text });
}

let counter = 0;
/** Ids unique on the page, so two panels (or a panel and its host) never share a label target. */
export function uid(prefix = "sc") {
  counter += 1;
  return `${prefix}-${counter}`;
}
