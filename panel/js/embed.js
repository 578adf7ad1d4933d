// panel.html: the panel alone, for the helpdesk to embed in an iframe.
//
//   <iframe src="https://<panel host>/panel?conversation=<id>&origin=<helpdesk origin>"></iframe>
//
// The host answers the panel's {type: "sideconv:token-request"} with
// {type: "sideconv:token", token: "<the agent's JWT>"} (and may send a fresh one at any time), only
// messages from `origin` are trusted. The host may also send {type: "sideconv:customer-thread",
// messages: [{author: {name, role}, sent_at, body}]}: the customer's messages an agent may quote. Where the API lives comes from /panel/config.json (written at
// deploy time, never from the URL: a link must not be able to send the token elsewhere). Opened
// directly on the local stack, it signs in through /_local/token instead. See docs/PANEL.md.

import { mountPanel } from "./panel.js";

const params = new URLSearchParams(window.location.search);
const root = document.getElementById("panel-root");
const embedded = window.parent !== window;
const hostOrigin = params.get("origin") || window.location.origin;

function fail(text) {
  const p = document.createElement("p");
  p.className = "sc-alert";
  p.setAttribute("role", "alert");
  p.textContent = text;
  root.replaceChildren(p);
}

let token = null;
let tokenWaiters = [];
let customerThread = [];
let panel = null;

function setToken(value) {
  token = value;
  for (const resolve of tokenWaiters) resolve(value);
  tokenWaiters = [];
}

function requestToken() {
  window.parent.postMessage({ type: "sideconv:token-request" }, hostOrigin);
}

async function getToken() {
  if (token) return token;
  if (!embedded) return null;
  requestToken();
  return new Promise((resolve) => {
    tokenWaiters.push(resolve);
    window.setTimeout(() => resolve(token), 10_000);
  });
}

async function localToken() {
  const query = new URLSearchParams({ role: params.get("role") || "agent", account: params.get("account") || "acme",
    user: params.get("user") || "agent-1" });
  const response = await fetch(`/_local/token?${query}`);
  if (!response.ok) return null;
  return (await response.json()).token;
}

async function directory() {
  try {
    const response = await fetch("/_local/panel/directory");
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

async function config() {
  try {
    const response = await fetch("/panel/config.json", { headers: { Accept: "application/json" } });
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

async function main() {
  const conversationId = params.get("conversation");
  if (!conversationId) {
    fail("No conversation: open this page as /panel?conversation=<conversation id>.");
    return;
  }
  if (embedded) {
    window.addEventListener("message", (event) => {
      if (event.origin !== hostOrigin || event.source !== window.parent) return;
      if (event.data?.type === "sideconv:token" && typeof event.data.token === "string") setToken(event.data.token);
      if (event.data?.type === "sideconv:customer-thread" && Array.isArray(event.data.messages)) {
        customerThread = event.data.messages;
        if (panel) panel.customerThread = customerThread;
      }
    });
    requestToken();
  } else {
    const minted = await localToken().catch(() => null);
    if (!minted) {
      fail("No sign-in: embed this panel in the helpdesk, which hands it the agent's token (docs/PANEL.md).");
      return;
    }
    setToken(minted);
  }
  const customerEmail = params.get("customer_email");
  panel = mountPanel(root, {
    conversationId,
    customerThread,
    // "Use in reply": the helpdesk's composer takes the text; only the host origin hears it.
    onUseInReply: embedded ? (detail) => window.parent.postMessage(detail, hostOrigin) : undefined,
    getToken,
    apiBase: (await config()).api_base || "",
    customer: customerEmail ? { email: customerEmail, name: params.get("customer_name") || undefined } : undefined,
    directory: embedded ? undefined : await directory(),
    pollMs: Number(params.get("poll")) || 4000,
    // An expired token: forget it and ask the host again; the next poll waits for the new one.
    onUnauthorized: embedded ? () => { token = null; } : undefined,
  });
}

main();
