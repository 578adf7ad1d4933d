// The email form's "From" line: which address the mail will come from (GET /v1/email/settings), and
// a note when it is the shared address because the account has no verified sending domain yet.

import { h } from "./dom.js";

/** @param {{request: Function}|undefined} api @returns {HTMLElement} filled in once the API answers */
export function fromLine(api) {
  const line = h("p", { class: "sc-email-from", "data-role": "from", text: "From: …" });
  if (!api) return line;
  api.request("GET", "/v1/email/settings").then((settings) => {
    const from = settings?.from;
    if (!from) return;
    line.textContent = `From: ${from.name} <${from.email}>`;
    if (from.shared) {
      line.append(h("span", { class: "sc-note",
        text: " — the shared address: your account has no verified sending domain yet." }));
    }
  }).catch(() => { line.textContent = "From: the account's sending address"; });
  return line;
}
