// One message of a thread: direction, author, time, delivery state in words, labels, body (as text),
// "Show quoted text" and the attachments' download buttons.

import { h, uid } from "./dom.js";
import { quotedContext } from "./context-view.js";
import * as fmt from "./format.js";

/**
 * @param {object} message as the API has it
 * @param {{directory: object, quotedOpen: boolean, quoted: (message) => Promise<string>,
 *   download: (message, attachment) => void}} actions where the quoted text and the attachments come from
 */
export function renderMessage(message, { directory, quotedOpen, quoted, download, contextOpen, useInReply }) {
  const inbound = message.direction === "inbound";
  const person = message.author;
  // People outside show their address; an agent is known by name.
  const author = fmt.shortPersonLabel(person, directory)
    + (person?.email && person?.name && person.kind !== "agent" ? ` <${person.email}>` : "");
  const labels = [];
  if (message.auto_reply) labels.push("Auto-reply");
  if (message.bot) labels.push("Bot");
  if (message.external) labels.push("External");
  if (message.edited) labels.push("Edited");
  if (message.nudge) labels.push("Nudge");
  const delivery = message.delivery;
  const body = message.deleted ? h("p", { class: "sc-message-body sc-muted", text: "This message was deleted in Slack." })
    : h("div", { class: "sc-message-body", text: message.body });
  return h("li", { class: `sc-message ${inbound ? "sc-in" : "sc-out"}`, "data-message-id": message.id },
    h("article", { "aria-label": `${inbound ? "Received from" : "Sent by"} ${author}` },
      h("header", { class: "sc-message-header" },
        h("span", { class: "sc-direction", text: inbound ? "Received" : "Sent" }), " ",
        h("strong", { class: "sc-author", text: author }), " ",
        h("time", { datetime: message.created_at, title: fmt.fullTime(message.created_at),
          text: fmt.ago(message.created_at) }),
        labels.map((label) => [" ", h("span", { class: "sc-badge", text: label })]),
        delivery ? [" ", h("span", { class: `sc-delivery sc-delivery-${delivery.status}` },
          h("span", { "aria-hidden": "true", text: `${(fmt.DELIVERY[delivery.status] || {}).icon || ""} ` }),
          fmt.deliveryText(delivery))] : null),
      message.cc?.length ? h("p", { class: "sc-message-cc",
        text: `Cc: ${message.cc.map((p) => fmt.personLabel(p)).join(", ")}` }) : null,
      body,
      message.context?.length ? quotedContext(message, contextOpen) : null,
      message.complaint ? h("p", { class: "sc-badge sc-badge-warning", text: `Complaint: ${message.complaint}` }) : null,
      message.has_quoted_text ? quotedToggle(message, quotedOpen, quoted) : null,
      message.attachments?.length ? attachments(message, download) : null,
      inbound && useInReply && !message.deleted ? h("button", { type: "button", class: "sc-button sc-link",
        "data-focus-key": "use-in-reply", onclick: () => useInReply(message) }, "Use in reply") : null));
}

/** The quoted history the API stripped, fetched on the first "Show quoted text". */
function quotedToggle(message, open, quoted) {
  const regionId = uid("sc-quoted");
  const region = h("pre", { class: "sc-quoted", id: regionId, hidden: true });
  const button = h("button", { type: "button", class: "sc-button sc-link", "aria-expanded": "false",
    "aria-controls": regionId, "data-focus-key": "quoted" }, "Show quoted text");
  const wrapper = h("div", { class: "sc-quoted-wrap" }, button, region);
  const toggle = async () => {
    if (button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.textContent = "Show quoted text";
      region.hidden = true;
      delete wrapper.dataset.quotedOpen;
      return;
    }
    if (!region.textContent) {
      const text = await quoted(message);
      if (text === null) return;
      region.textContent = text;
    }
    button.setAttribute("aria-expanded", "true");
    button.textContent = "Hide quoted text";
    region.hidden = false;
    wrapper.dataset.quotedOpen = message.id;
  };
  button.addEventListener("click", toggle);
  if (open) toggle();
  return wrapper;
}

function attachments(message, download) {
  return h("ul", { class: "sc-attachments", "aria-label": "Attachments" },
    message.attachments.map((attachment) => h("li", {},
      h("span", { "aria-hidden": "true", text: "📎 " }),
      h("button", { type: "button", class: "sc-button sc-link", "data-focus-key": `attachment-${attachment.id}`,
        onclick: () => download(message, attachment) }, `Download ${attachment.name}`),
      h("span", { class: "sc-muted", text: ` ${attachment.content_type}, ${fmt.formatBytes(attachment.size)}` }))));
}
