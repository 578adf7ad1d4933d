// panel.html: the panel alone, for the helpdesk to embed in an iframe.
//
//   <iframe src="https://<panel host>/panel?conversation=<id>&origin=<helpdesk origin>"></iframe>
//
// The host answers the panel's {type: "sideconv:token-request"} with
// {type: "sideconv:token", token: "<the agent's JWT>"} (and may send a fresh one at any time), only
// messages from `origin` are trusted. The host may also send {type: "sideconv:customer-thread",
// messages: [{author: {name, role}, sent_at, body}]}: the customer's messages an agent may quote; and
// hears {type: "sideconv:use-in-reply", text, ...} when the agent uses a received message in a reply. Where the API lives comes from /panel/config.json (written at
// deploy time, never from the URL: a link must not be able to send the token elsewhere). Opened
// directly on the local stack, it signs in through /_local/token instead. See docs/PANEL.md.

import { defineLabels } from "./channels.js";
import { mountPanel } from "./panel.js";
import { apiBase, channelLabels, signIn } from "./signin.js";

const params = new URLSearchParams(window.location.search);
const root = document.getElementById("panel-root");
const hostOrigin = params.get("origin") || window.location.origin;
let customerThread = [];
let panel = null;

// The customer thread to quote from, whenever the host sends it (before or after the panel mounts).
window.addEventListener("message", (event) => {
  if (event.origin !== hostOrigin || event.source !== window.parent) return;
  if (event.data?.type === "sideconv:customer-thread" && Array.isArray(event.data.messages)) {
    customerThread = event.data.messages;
    if (panel) panel.customerThread = customerThread;
  }
});

function fail(text) {
  const p = document.createElement("p");
  p.className = "sc-alert";
  p.setAttribute("role", "alert");
  p.textContent = text;
  root.replaceChildren(p);
}

async function directory() {
  try {
    const response = await fetch("/_local/panel/directory");
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const conversationId = params.get("conversation");
  if (!conversationId) {
    fail("No conversation: open this page as /panel?conversation=<conversation id>.");
    return;
  }
  const session = await signIn(params);
  if (!session) {
    fail("No sign-in: embed this panel in the helpdesk, which hands it the agent's token (docs/PANEL.md).");
    return;
  }
  const customerEmail = params.get("customer_email");
  defineLabels(await channelLabels());
  panel = mountPanel(root, {
    conversationId,
    customerThread,
    // "Use in reply": the helpdesk's composer takes the text; only the host origin hears it.
    onUseInReply: session.embedded ? (detail) => window.parent.postMessage(detail, hostOrigin) : undefined,
    getToken: session.getToken,
    apiBase: await apiBase(),
    customer: customerEmail ? { email: customerEmail, name: params.get("customer_name") || undefined } : undefined,
    directory: session.embedded ? undefined : await directory(),
    pollMs: Number(params.get("poll")) || 4000,
    onUnauthorized: session.onUnauthorized,
  });
}

main();
