// "Include messages from this conversation": the customer thread the host page handed the panel (the
// embed API's `customerThread`), ticked message by message, with what to hide from the recipient and a
// preview of exactly the quote they get. The masking mirrors the service's (layers/sideconv/redaction.py);
// the service masks again when it writes the message, and what it stored is what goes out.

import { h, uid } from "./dom.js";

// The kinds the agent chooses (the API's `redact` values), by name; card numbers are not a choice.
export const KINDS = { email: "Email addresses", phone: "Phone numbers", iban: "IBANs" };
// In the order the service masks them (IBANs and cards first: their digits would read as phones).
const MASKS = { iban: "[IBAN removed]", card: "[card number removed]", email: "[email removed]",
  phone: "[phone removed]" };
// Spanned kinds: a candidate may run on into a neighbour ("… 1111 123", "… 00 please"), so its spans at
// spaces and dashes are tried, earliest start and longest end first, up to the longest such a value is.
const SPANNED = {
  iban: [/(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g, ibanValid, 42],
  card: [/(?<![\d.,])\d(?:[ -]?\d){12,}(?!\d|[.,]\d)/g, cardValid, 37],
};
const FINDERS = {
  // \p{L}\p{N}_ is what Python's (Unicode) \w is: "josé@…" is an address on both sides.
  email: [/(?<![\p{L}\p{N}_.%+-])[\p{L}\p{N}_.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/gu,
    () => true],
  phone: [/(?<![\p{L}\p{N}_+#/.\-])(?<!\d:)(?:\+|00)?\(?\d+\)?(?:[ .\-/]{1,2}\(?\d+\)?)*(?![\p{L}\p{N}_:]|[.,]\d)/gu,
    phoneValid],
};
const DATE = /^\d{4}[./-]\d{1,2}[./-]\d{1,2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/;
const IP = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const REFERENCE = /(?:\b(?:order|invoice|ref|reference|ticket|case|tracking|booking|confirmation|po|sku|id)\b\W{0,3}|#\s?)$/i;

function luhn(digits) {
  let total = 0;
  [...digits].reverse().forEach((char, index) => {
    let value = Number(char);
    if (index % 2) value = value > 4 ? value * 2 - 9 : value * 2;
    total += value;
  });
  return total % 10 === 0;
}

function cardValid(text) {
  const digits = text.replace(/\D/g, "");
  return digits.length >= 13 && digits.length <= 19 && luhn(digits);
}

function ibanValid(text) {
  const compact = text.replace(/ /g, "").toUpperCase();
  if (compact.length < 15 || compact.length > 34 || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  const number = [...(compact.slice(4) + compact.slice(0, 4))].map((c) => parseInt(c, 36)).join("");
  return BigInt(number) % 97n === 1n;
}

function phoneValid(text, offset, whole) {
  const digits = text.replace(/\D/g, "");
  if (digits.length < 7 || digits.length > 15 || DATE.test(text) || IP.test(text)) return false;
  if (REFERENCE.test(whole.slice(0, offset))) return false;
  const prefixed = /^(\+|00|\()/.test(text);
  const groups = text.match(/\d+/g) || [];
  if (!prefixed && groups.slice(1).some((group) => group.length === 1)) return false;
  return prefixed || groups.length > 1;
}

function spans(candidate, valid, longest) {
  const cuts = [0];
  const ends = [];
  for (const m of candidate.matchAll(/[ -]/g)) { cuts.push(m.index + 1); ends.push(m.index); }
  ends.push(candidate.length);
  const found = [];
  let after = 0;
  for (const start of cuts) {
    if (start < after) continue;
    const near = ends.filter((end) => end > start && end <= start + longest).reverse();
    const end = near.find((e) => valid(candidate.slice(start, e)));
    if (end !== undefined) { found.push([start, end]); after = end; }
  }
  return found;
}

/** The text with the kinds asked for (and card numbers, always) masked; counts by kind. */
export function redact(text, kinds) {
  const wanted = new Set([...kinds, "card"]);
  const counts = {};
  let out = text;
  for (const kind of Object.keys(MASKS)) {
    if (!wanted.has(kind)) continue;
    if (SPANNED[kind]) {
      const [pattern, valid, longest] = SPANNED[kind];
      out = out.replace(pattern, (candidate) => {
        let masked = "";
        let at = 0;
        for (const [start, end] of spans(candidate, valid, longest)) {
          masked += candidate.slice(at, start) + MASKS[kind];
          at = end;
          counts[kind] = (counts[kind] || 0) + 1;
        }
        return masked + candidate.slice(at);
      });
      continue;
    }
    const [pattern, valid] = FINDERS[kind];
    out = out.replace(pattern, (match, offset, whole) => {
      if (!valid(match, offset, whole)) return match;
      counts[kind] = (counts[kind] || 0) + 1;
      return MASKS[kind];
    });
  }
  return { text: out, counts };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "On 2 Dec 2026 09:12, Maya Lopez (customer) wrote:", in UTC as the service writes it. */
export function attribution(message) {
  const at = new Date(message.sent_at);
  const pad = (n) => String(n).padStart(2, "0");
  const when = Number.isNaN(at.getTime()) ? message.sent_at
    : `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`;
  return `On ${when}, ${message.author.name} (${message.author.role}) wrote:`;
}

/** The quote as the e-mail's text part carries it. */
export function quoteText(messages) {
  return messages.map((m) => [attribution(m), ...(m.body.split("\n").map((line) => (line ? `> ${line}` : ">")))]
    .join("\n")).join("\n\n");
}

/**
 * @param {Array<{author: {name: string, role: string}, sent_at: string, body: string}>} thread
 * @returns {{element: HTMLElement, value: () => {context: Array, redact: string[]}} | null}
 */
export function contextPicker(thread) {
  if (!thread?.length) return null;
  const previewId = uid("sc-context-preview");
  const boxes = thread.map((message, index) => {
    const id = uid("sc-context");
    const input = h("input", { type: "checkbox", id, "data-index": String(index) });
    const first = message.body.replace(/\s+/g, " ").slice(0, 90);
    return h("li", { class: "sc-check" }, input,
      h("label", { for: id, text: `${message.author.name} (${message.author.role}): ${first}` }));
  });
  const hide = Object.entries(KINDS).map(([kind, label]) => {
    const id = uid("sc-redact");
    return h("span", { class: "sc-check" }, h("input", { type: "checkbox", id, value: kind, checked: true }),
      h("label", { for: id, text: label }));
  });
  const preview = h("pre", { class: "sc-context-preview", id: previewId, "aria-live": "polite" });
  const count = h("p", { class: "sc-hint" });
  const element = h("fieldset", { class: "sc-context", "data-field": "context", "aria-describedby": previewId },
    h("legend", { text: "Include messages from this conversation" }),
    h("ul", { class: "sc-context-list" }, boxes),
    h("fieldset", { class: "sc-redact" }, h("legend", { text: "Hide from the recipient" }), hide,
      h("p", { class: "sc-hint", text: "Card numbers are always hidden." })),
    count,
    h("p", { class: "sc-hint", text: "What the recipient gets below your message:" }), preview);
  const chosen = () => boxes.map((li) => li.querySelector("input")).filter((i) => i.checked)
    .map((i) => thread[Number(i.dataset.index)]);
  const kinds = () => hide.map((span) => span.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
  const masked = () => chosen().map((m) => ({ author: { name: m.author.name, role: m.author.role },
    sent_at: m.sent_at, body: redact(m.body, kinds()).text }));
  const update = () => {
    const quoted = masked();
    preview.textContent = quoted.length ? quoteText(quoted) : "(nothing quoted)";
    count.textContent = quoted.length ? `${quoted.length} of ${thread.length} messages quoted.` : "";
  };
  element.addEventListener("change", update);
  update();
  return {
    element,
    // The original text goes to the service, which masks it itself: the preview is what it will send.
    value: () => {
      const context = chosen().map((m) => ({ author: { name: m.author.name, role: m.author.role },
        sent_at: m.sent_at, body: m.body }));
      return context.length ? { context, redact: kinds() } : {};
    },
  };
}
