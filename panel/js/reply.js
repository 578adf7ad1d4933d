// The reply box under a thread: where the reply goes (in words, the customer flagged when copied),
// the message, Ctrl+Enter or "Send reply".

import { channel } from "./channels.js";
import { clear, h, uid } from "./dom.js";
import { bindSubmit } from "./form.js";
import { outgoingExtras } from "./outgoing.js";

export class ReplyForm {
  /** @param {import("./thread.js").ThreadView} thread */
  constructor(thread) {
    const textareaId = uid("sc-reply");
    const destinationId = uid("sc-destination");
    const hintId = uid("sc-hint");
    this.destination = h("p", { class: "sc-destination", id: destinationId });
    const errors = h("div", { class: "sc-form-error", role: "alert", hidden: true });
    const box = h("textarea", { id: textareaId, rows: "3", required: true, maxlength: "50000",
      "aria-describedby": `${destinationId} ${hintId}`, "data-field": "body" });
    const submit = h("button", { type: "submit", class: "sc-button sc-primary" }, "Send reply");
    this.form = h("form", { class: "sc-reply-form", novalidate: true },
      h("label", { for: textareaId, text: "Reply" }),
      this.destination,
      box,
      h("p", { class: "sc-hint", id: hintId, text: "Ctrl+Enter sends." }),
      // Quoted messages and files (outgoing.js), rebuilt for each thread and after each reply.
      this.extrasSlot = h("details", { class: "sc-reply-extras" },
        h("summary", { text: "Quote messages or attach files" })),
      errors,
      h("div", { class: "sc-form-actions" }, submit));
    const { panel } = thread;
    this.panel = panel;
    this.directory = panel.directory;
    bindSubmit(this.form, {
      submit, errors,
      collect: () => ({ body: box.value, ...this.extras?.collect() }),
      check: (request) => [...(request.body.trim() ? [] : [{ field: "body", detail: "Write a reply first." }]),
        ...(this.extras?.check() || [])],
      send: async (request, key) => {
        const message = await panel.api.reply(panel.conversationId, thread.current.id, request, key);
        box.value = "";
        this.resetExtras(thread.current, { fold: true });
        thread.addSent(message);
        panel.announce("Reply recorded; sending.");
        box.focus();
      },
    });
  }

  /** Fresh quote and file pickers for replies in `item`'s channel. */
  resetExtras(item, { fold = false } = {}) {
    this.extrasFor = item.id;
    this.extras = outgoingExtras(this.panel, item.channel);
    const summary = this.extrasSlot.querySelector("summary");
    if (fold) this.extrasSlot.open = false;
    clear(this.extrasSlot).append(summary, ...this.extras.elements);
  }

  /** Says where a reply to `item` goes. */
  update(item) {
    if (!item || !item.channel) return;
    if (this.extrasFor !== item.id) this.resetExtras(item);
    clear(this.destination).append(`Goes to ${channel(item.channel).destination(item, this.directory)}.`);
    if (item.cc_customer) {
      this.destination.append(" ", h("strong", { class: "sc-warning-text",
        text: "The customer is copied and will see this reply." }));
    }
    if (item.state === "closed") this.destination.append(" Replying reopens this side conversation.");
  }
}
