// "New email": recipients (To, Cc), subject, message and "CC the customer", with its warning.

import { h, uid } from "./dom.js";
import { chosenFrom, fromLine } from "./email-from.js";
import { bindSubmit, formFrame } from "./form.js";
import { personLabel } from "./format.js";

const RECIPIENT = /^(to|cc)\.(\d+)(?:\.(email|name))?$/;

/**
 * The form a create form is mounted with (the Slack form takes the same):
 * @param {{api?: object, customer: ({name?: string, email: string}|null), directory: object,
 *   send: (request: object, key: string) => Promise<void>, cancel: () => void}} context
 * @returns {HTMLFormElement} with a focusable heading as its first child
 */
export function mountEmailForm({ api, customer, send, cancel, extras }) {
  const toRows = h("ul", { class: "sc-recipients" });
  const ccRows = h("ul", { class: "sc-recipients" });
  addRow(toRows, "To", false);
  const subjectId = uid("sc-subject");
  const bodyId = uid("sc-body");
  const subject = h("input", { id: subjectId, type: "text", required: true, maxlength: "250", "data-field": "subject" });
  const body = h("textarea", { id: bodyId, rows: "6", required: true, maxlength: "50000", "data-field": "body" });
  const copy = ccCustomer(customer);
  const { form, errors, submit } = formFrame({ title: "New email side conversation", submitLabel: "Send email",
    onCancel: cancel },
  fromLine(api),
  h("fieldset", {}, h("legend", { text: "To" }), toRows,
    h("button", { type: "button", class: "sc-button sc-link", onclick: () => addRow(toRows, "To", true) },
      "Add recipient")),
  h("fieldset", {}, h("legend", { text: "Cc (optional)" }), ccRows,
    h("button", { type: "button", class: "sc-button sc-link", onclick: () => addRow(ccRows, "Cc", true) },
      "Add Cc")),
  h("div", { class: "sc-field" }, h("label", { for: subjectId, text: "Subject" }), subject),
  h("div", { class: "sc-field" }, h("label", { for: bodyId, text: "Message" }), body),
  extras?.elements, copy.element);
  copy.checkbox.addEventListener("change", () => {
    submit.textContent = copy.checkbox.checked ? "Send email, customer copied" : "Send email";
  });
  const collect = () => {
    const request = { channel: "email", subject: subject.value.trim(), body: body.value, to: recipients(toRows),
      cc: recipients(ccRows), cc_customer: copy.checkbox.checked };
    if (copy.checkbox.checked) request.customer = copy.customer();
    const from = chosenFrom(form);
    if (from) request.from = from;
    return { ...request, ...extras?.collect() };
  };
  bindSubmit(form, { submit, errors, collect, check: (r) => [...check(r), ...(extras?.check() || [])], send, fields: {
    control: (field) => recipientInput(field, toRows, ccRows),
    label: (field) => {
      const recipient = RECIPIENT.exec(field);
      if (recipient) return `${recipient[1] === "to" ? "To" : "Cc"} ${Number(recipient[2]) + 1} ${recipient[3] || "email"}`;
      return field === "customer.email" ? "Customer email" : null;
    },
  } });
  return form;
}

function check(request) {
  const problems = [];
  if (!request.to.length) problems.push({ field: "to.0.email", detail: "Add at least one recipient." });
  request.to.forEach((r, i) => { if (!r.email) problems.push({ field: `to.${i}.email`, detail: "Email is missing." }); });
  if (!request.subject) problems.push({ field: "subject", detail: "Subject is missing." });
  if (!request.body.trim()) problems.push({ field: "body", detail: "Message is missing." });
  if (request.cc_customer && !request.customer?.email) {
    problems.push({ field: "customer.email", detail: "The customer's email is needed to copy them." });
  }
  return problems;
}

/** "CC the customer", off by default: ticked, it shows and announces that the customer sees everything. */
function ccCustomer(customer) {
  const ccId = uid("sc-cc-customer");
  const warningId = uid("sc-cc-warning");
  const nameId = uid("sc-customer-name");
  const emailId = uid("sc-customer-email");
  const checkbox = h("input", { id: ccId, type: "checkbox", "aria-describedby": warningId });
  const name = h("input", { id: nameId, type: "text", maxlength: "200", value: customer?.name || "" });
  const email = h("input", { id: emailId, type: "email", "data-field": "customer.email", value: customer?.email || "" });
  // Asked for only when the host did not say who the customer is.
  const fields = h("div", { class: "sc-customer-fields", hidden: true },
    h("span", { class: "sc-field" }, h("label", { for: nameId, text: "Customer name" }), name),
    h("span", { class: "sc-field" }, h("label", { for: emailId, text: "Customer email" }), email));
  // Always in the page (so aria-describedby resolves), shown and announced only when ticked.
  const warning = h("p", { id: warningId, class: "sc-cc-warning", hidden: true },
    h("span", { "aria-hidden": "true", text: "⚠ " }),
    h("strong", { text: "The customer will see this email and every reply. " }),
    "Everyone on the thread can reply to all, so keep internal notes out of it.");
  const warningLive = h("div", { class: "sc-sr-only", role: "alert" });
  checkbox.addEventListener("change", () => {
    warning.hidden = !checkbox.checked;
    fields.hidden = !checkbox.checked || Boolean(customer?.email);
    warningLive.textContent = checkbox.checked ? "Warning: the customer will see this email and every reply." : "";
  });
  const known = customer ? ` (${personLabel({ kind: "email", ...customer })})` : "";
  const element = h("div", { class: "sc-cc-customer" },
    h("div", { class: "sc-check" }, checkbox, h("label", { for: ccId, text: `CC the customer${known}` })),
    warning, warningLive, fields);
  return {
    element,
    checkbox,
    customer: () => {
      const address = email.value.trim();
      const named = name.value.trim();
      return named ? { email: address, name: named } : { email: address };
    },
  };
}

function addRow(list, kind, focus) {
  const index = list.children.length;
  const nameId = uid("sc-name");
  const emailId = uid("sc-email");
  const row = h("li", { class: "sc-recipient" },
    h("span", { class: "sc-field" }, h("label", { for: nameId }),
      h("input", { id: nameId, type: "text", autocomplete: "off", maxlength: "200", "data-role": "name" })),
    h("span", { class: "sc-field" }, h("label", { for: emailId }),
      h("input", { id: emailId, type: "email", autocomplete: "off", required: kind === "To" && index === 0,
        "data-role": "email" })));
  if (index > 0 || kind === "Cc") {
    row.append(h("button", { type: "button", class: "sc-button sc-link",
      onclick: () => { row.remove(); renumber(list, kind); } }));
  }
  list.append(row);
  renumber(list, kind);
  if (focus) row.querySelector("input")?.focus();
}

/** Labels follow the rows' order, so removing "To 2" makes "To 3" the new "To 2". */
function renumber(list, kind) {
  [...list.children].forEach((row, index) => {
    const labels = row.querySelectorAll("label");
    labels[0].textContent = `${kind} ${index + 1} name`;
    labels[1].textContent = `${kind} ${index + 1} email`;
    const remove = row.querySelector("button");
    if (remove) remove.textContent = `Remove ${kind} ${index + 1}`;
  });
}

function recipients(list) {
  return [...list.querySelectorAll(".sc-recipient")].map((row) => ({
    name: row.querySelector('[data-role="name"]').value.trim(),
    email: row.querySelector('[data-role="email"]').value.trim(),
  })).filter((r) => r.email || r.name).map((r) => (r.name ? r : { email: r.email }));
}

/** `to.1.email` → the second To row's email box. */
function recipientInput(field, toRows, ccRows) {
  const match = RECIPIENT.exec(field);
  if (!match) return null;
  const row = (match[1] === "to" ? toRows : ccRows).children[Number(match[2])];
  return row?.querySelector(`[data-role="${match[3] || "email"}"]`) || null;
}
