// The email form's "From" line: which address the mail will come from (GET /v1/email/settings), and
// a note when it is the shared address because the account has no verified sending domain yet. With
// several senders on verified domains, a choice among them (the create's `from`), the default first.

import { h, uid } from "./dom.js";

/** @param {{request: Function}|undefined} api @returns {HTMLElement} filled in once the API answers */
export function fromLine(api) {
  const line = h("p", { class: "sc-email-from", "data-role": "from", text: "From: …" });
  if (!api) return line;
  api.request("GET", "/v1/email/settings").then((settings) => {
    const from = settings?.from;
    if (!from) return;
    const senders = settings.senders || [];
    if (!from.shared && senders.length > 1) {
      line.replaceChildren(picker(from, senders));
      return;
    }
    line.textContent = `From: ${from.name} <${from.email}>`;
    if (from.shared) {
      line.append(h("span", { class: "sc-note",
        text: " — the shared address: your account has no verified sending domain yet." }));
    }
  }).catch(() => { line.textContent = "From: the account's sending address"; });
  return line;
}

function picker(from, senders) {
  const id = uid("sc-from");
  const select = h("select", { id, "data-field": "from" },
    ...senders.map((s) => h("option", { value: s.email, text: `${s.name} <${s.email}>` })));
  select.value = from.email;
  return h("span", { class: "sc-field" }, h("label", { for: id, text: "From" }), select);
}

/** The sender the agent picked, or undefined (the account's default). @param {HTMLElement} form */
export function chosenFrom(form) {
  return form.querySelector('select[data-field="from"]')?.value || undefined;
}
