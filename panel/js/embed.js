// panel.html: the panel alone, for the helpdesk to embed in an iframe.
//
//   <iframe src="https://<panel host>/panel?conversation=<id>&origin=<helpdesk origin>"></iframe>
//
// The host answers the panel's {type: "sideconv:token-request"} with
// {type: "sideconv:token", token: "<the agent's JWT>"} (and may send a fresh one at any time), only
// messages from `origin` are trusted. Where the API lives comes from /panel/config.json (written at
// deploy time, never from the URL: a link must not be able to send the token elsewhere). Opened
// directly on the local stack, it signs in through /_local/token instead. See docs/PANEL.md.

import { mountPanel } from "./panel.js";
import { apiBase, signIn } from "./signin.js";

const params = new URLSearchParams(window.location.search);
const root = document.getElementById("panel-root");

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
  mountPanel(root, {
    conversationId,
    getToken: session.getToken,
    apiBase: await apiBase(),
    customer: customerEmail ? { email: customerEmail, name: params.get("customer_name") || undefined } : undefined,
    directory: session.embedded ? undefined : await directory(),
    pollMs: Number(params.get("poll")) || 4000,
    onUnauthorized: session.onUnauthorized,
  });
}

main();
