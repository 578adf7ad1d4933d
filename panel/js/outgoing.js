// What a new message carries besides its text, for every create form: quoted messages of the customer
// conversation (context-picker.js) and files (attachments.js). A form puts `elements` in, adds
// `collect()` to its request and `check()` to its own problems.

import { attachmentPicker } from "./attachments.js";
import { channel } from "./channels.js";
import { contextPicker } from "./context-picker.js";

/** @param {import("./panel.js").Panel} panel @param {string} channelName */
export function outgoingExtras(panel, channelName) {
  const context = contextPicker(panel.customerThread);
  const files = attachmentPicker(panel.api, panel.conversationId,
    { maxTotal: channel(channelName).maxAttachmentBytes });
  return {
    elements: [context?.element, files.element].filter(Boolean),
    collect: () => {
      const ids = files.ids();
      return { ...(context ? context.value() : {}), ...(ids.length ? { attachments: ids } : {}) };
    },
    check: () => files.problems(),
  };
}
