// Autocomplete for the Slack form: people and channels by name, with avatars, from the directory API
// (GET /v1/slack/directory, one lookup per pause in typing). A pick fills the field with the name and
// teaches the panel's directory the id, so the form sends ids and the list shows names.
//
//   attachPicker(input, { api, kind: "user"|"channel", team: () => teamId, directory, multiple, onPick });

import { clear, h, uid } from "./dom.js";

const PAUSE_MS = 150;

export function attachPicker(input, { api, kind, team, directory, multiple = false, onPick = () => {} }) {
  const listId = uid("sc-picker");
  const list = h("ul", { id: listId, class: "sc-picker", role: "listbox", hidden: true,
    "aria-label": kind === "user" ? "Matching people" : "Matching channels" });
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listId);
  input.setAttribute("aria-expanded", "false");
  input.after(list);
  let entries = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const term = () => (multiple ? input.value.split(",").pop() : input.value).trim().replace(/^[#@]/, "");
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    for (const [n, option] of [...list.children].entries()) option.setAttribute("aria-selected", String(n === index));
    if (index >= 0) input.setAttribute("aria-activedescendant", list.children[index].id);
  };
  const pick = (entry) => {
    (kind === "user" ? directory.users : directory.channels).set(entry.id, entry.name);
    const label = kind === "channel" ? `#${entry.name}` : entry.name;
    if (multiple) {
      const parts = input.value.split(",").slice(0, -1).map((p) => p.trim()).filter(Boolean);
      input.value = `${[...parts, label].join(", ")}, `;
    } else {
      input.value = label;
    }
    close();
    onPick(entry);
    input.focus();
  };
  const render = () => {
    clear(list).append(...entries.map((entry, n) => h("li", {
      id: `${listId}-${n}`, role: "option", class: "sc-picker-option", "aria-selected": "false",
      "data-id": entry.id, onmousedown: (event) => { event.preventDefault(); pick(entry); },
    }, entry.avatar_url ? h("img", { class: "sc-avatar", src: entry.avatar_url, alt: "", width: "24", height: "24" })
      : null,
    h("span", { class: "sc-picker-name", text: kind === "channel" ? `#${entry.name}` : entry.name }),
    entry.real_name && entry.real_name !== entry.name ? h("span", { class: "sc-muted", text: ` ${entry.real_name}` }) : null,
    entry.is_private ? h("span", { class: "sc-badge", text: "Private" }) : null,
    entry.is_shared_externally ? h("span", { class: "sc-badge sc-badge-warning", text: "External" }) : null,
    kind === "channel" && entry.is_member === false && !entry.is_private
      ? h("span", { class: "sc-muted", text: " (Atender joins it)" }) : null)));
    list.hidden = entries.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
    active = -1;
  };
  const lookup = async () => {
    const ask = ++asked;
    try {
      const page = await api.request("GET", "/v1/slack/directory",
        { query: { kind, q: term(), team_id: team() || undefined, limit: 8 } });
      if (ask === asked) {
        entries = page.items || [];
        render();
      }
    } catch {
      entries = []; // the host-supplied list and typed ids still work
      render();
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, PAUSE_MS);
  });
  input.addEventListener("focus", () => { if (!term()) lookup(); });
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") highlight(Math.min(active + 1, entries.length - 1));
    else if (event.key === "ArrowUp") highlight(Math.max(active - 1, 0));
    else if (event.key === "Enter" && active >= 0) pick(entries[active]);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  });
  return { lookup, entries: () => entries };
}
