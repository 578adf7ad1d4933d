// "Use in reply": a received message handed to the host page, attributed, for the helpdesk's composer
// to take, so the agent answers the customer without copying it. Nothing is sent to the customer here.
//
// The host hears it as a `sideconv:use-in-reply` DOM event on the panel's root (same page, as the
// demo), through `onUseInReply`, or, embedded, as a postMessage to the host origin (embed.js).

import { attribution } from "./context-picker.js";

/** The message as the composer gets it: who wrote it and when, then its text. */
export function replyText(message) {
  const author = message.author?.name || message.author?.email || "Someone";
  const quoted = { author: { name: author, role: "side conversation" }, sent_at: message.created_at };
  return `${attribution(quoted)}\n${message.body}`;
}

/** The event the host gets: the text and where it came from. */
export function handOver(panel, message, summary) {
  const detail = { type: "sideconv:use-in-reply", text: replyText(message), conversation_id: panel.conversationId,
    side_conversation_id: summary?.id || message.side_conversation_id, message_id: message.id };
  panel.root.dispatchEvent(new CustomEvent("sideconv:use-in-reply", { detail, bubbles: true }));
  panel.onUseInReply?.(detail);
  panel.announce("Handed to the reply to the customer.");
  return detail;
}
