// What every form of the panel shares: its frame (heading, problems, Send and Cancel), problems from
// problem+json `errors[].field` marked on the field they name, Ctrl+Enter to send, and one
// Idempotency-Key per request, reused when the same request is sent again after a failure.

import { newKey } from "./api.js";
import { clear, h } from "./dom.js";
import { describeError } from "./format.js";

const NAMES = { body: "Message", subject: "Subject" };

/** A create form's frame: a focusable heading, the fields, the problems, then Send and Cancel. */
export function formFrame({ title, submitLabel, onCancel }, ...fields) {
  const heading = h("h3", { tabindex: "-1", text: title });
  const errors = h("div", { class: "sc-form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "sc-button sc-primary" }, submitLabel);
  const form = h("form", { class: "sc-form", novalidate: true }, heading, fields, errors,
    h("div", { class: "sc-form-actions" }, submit,
      h("button", { type: "button", class: "sc-button", onclick: onCancel }, "Cancel")));
  return { form, heading, errors, submit };
}

/** The same request keeps its key, so a retry after a failure is recorded once; another request gets a new one. */
export function idempotencyKeys() {
  let key = null;
  let keyFor = null;
  return {
    for(fingerprint) {
      if (keyFor !== fingerprint) {
        key = newKey();
        keyFor = fingerprint;
      }
      return key;
    },
    forget() {
      keyFor = null;
    },
  };
}

/** Ctrl+Enter (⌘+Enter) in any of the form's text boxes sends it. */
export function submitOnCtrlEnter(form) {
  for (const control of form.querySelectorAll("textarea")) {
    control.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
}

/**
 * Sends the form: `collect()` the request, `check(request)` it here (a list of {field, detail}),
 * then `send(request, idempotencyKey)`. While a request is out the form sends nothing more;
 * what the API refuses is shown on the form. `fields` finds a field's control and names it.
 * @param {HTMLFormElement} form
 * @param {{submit: HTMLButtonElement, errors: HTMLElement, collect: () => object,
 *   check: (request: object) => Array<{field: string, detail: string}>,
 *   send: (request: object, key: string) => Promise<void>, fields?: FieldNames}} options
 */
export function bindSubmit(form, { submit, errors, collect, check, send, fields = {} }) {
  const keys = idempotencyKeys();
  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return; // a second Ctrl+Enter while the first is on its way
    const request = collect();
    const problems = check(request);
    if (problems.length) {
      showFormErrors(errors, form, problems, fields);
      return;
    }
    const key = keys.for(JSON.stringify(request));
    const label = submit.textContent;
    sending = true;
    submit.disabled = true;
    submit.textContent = "Sending…";
    try {
      await send(request, key);
      keys.forget();
      hideFormErrors(errors, form);
    } catch (error) {
      showFormErrors(errors, form, error, fields);
    } finally {
      sending = false;
      submit.disabled = false;
      submit.textContent = label;
    }
  });
  submitOnCtrlEnter(form);
}

/**
 * @typedef {object} FieldNames how a form finds and names its fields beyond `[data-field]` and NAMES
 * @property {(field: string) => (Element|null)} [control] the control for a field name like `to.0.email`
 * @property {(field: string) => (string|null)} [label] the field's name in a problem ("To 1 email")
 */

/** Problems (from the API or checked here) listed above the buttons, each field marked and the first focused. */
export function showFormErrors(container, form, errorOrList, fields = {}) {
  hideFormErrors(container, form);
  const local = Array.isArray(errorOrList);
  const list = local ? errorOrList : (errorOrList.errors || []);
  const { title, detail } = local ? { title: "Please check the form.", detail: null } : describeError(errorOrList);
  container.append(h("p", {}, h("strong", { text: title }), detail && !list.length ? ` ${detail}` : null));
  if (list.length) container.append(h("ul", {}, list.map((problem) => h("li", { text: fieldText(problem, fields) }))));
  container.hidden = false;
  let first = null;
  for (const problem of list) {
    const control = controlFor(form, problem.field || "", fields);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    }
  }
  first?.focus();
}

export function hideFormErrors(container, form) {
  clear(container);
  container.hidden = true;
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/** The field itself, else the nearest enclosing one the form marks (`slack.user_ids.1` → `slack.user_ids`). */
function controlFor(form, field, fields) {
  const marked = (name) => form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  const parts = field.split(".");
  return fields.control?.(field) || marked(field) || marked(parts.slice(0, 2).join(".")) || marked(parts[0]);
}

function fieldText(problem, fields) {
  const field = problem.field || "";
  const label = fields.label?.(field) || NAMES[field] || field;
  return label ? `${label}: ${problem.detail}` : problem.detail;
}
