// A sent message's quoted context, collapsed under its text, and what was hidden from the recipient.
// Shown as text only (the quote came from the customer, and then from the API).

import { h } from "./dom.js";
import { attribution } from "./context-picker.js";

const KIND_WORDS = { email: ["email address", "email addresses"], phone: ["phone number", "phone numbers"],
  card: ["card number", "card numbers"], iban: ["IBAN", "IBANs"] };

export function redactionText(redactions) {
  const parts = (redactions || []).filter((r) => r.count > 0)
    .map((r) => `${r.count} ${(KIND_WORDS[r.kind] || [r.kind, r.kind])[r.count === 1 ? 0 : 1]}`);
  return parts.length ? `Hidden from the recipient: ${parts.join(", ")}.` : null;
}

export function quotedContext(message, open = false) {
  const count = message.context.length;
  const hidden = redactionText(message.redactions);
  return h("details", { class: "sc-context-sent", open, "data-context-of": message.id },
    h("summary", { text: `Quoted ${count} ${count === 1 ? "message" : "messages"} from the conversation` }),
    message.context.map((quoted) => h("blockquote", { class: "sc-quote" },
      h("p", { class: "sc-muted", text: attribution(quoted) }),
      h("p", { class: "sc-quote-body", text: quoted.body }))),
    hidden ? h("p", { class: "sc-hint", text: hidden }) : null);
}
