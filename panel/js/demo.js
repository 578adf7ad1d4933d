// The local demo page: a customer conversation with the panel in its right rail. Tokens come from the
// local stack's /_local/token (never in AWS), so the agent or role can be switched from the page.

import { defineLabels } from "./channels.js";
import { mountPanel } from "./panel.js";
import { channelLabels } from "./signin.js";

const params = new URLSearchParams(window.location.search);
const conversationId = params.get("conversation") || "demo-1042";
const pollMs = Number(params.get("poll")) || 3000;
const customer = { name: "Maya Lopez", email: "maya@customer.example" };
// The customer conversation on the left, as the helpdesk hands it to the panel (embed API: customerThread).
const customerThread = [
  { author: { name: "Maya Lopez", role: "customer" }, sent_at: "2026-12-02T09:12:00Z",
    body: "Hi, my blender (order 1042) arrived with a cracked jar. Can I get a replacement or a refund?\n"
      + "I attached a photo." },
  { author: { name: "Agent 1", role: "agent" }, sent_at: "2026-12-02T09:20:00Z",
    body: "Sorry to hear that, Maya! I'm checking with our warehouse and finance team and will get back to you today." },
  { author: { name: "Maya Lopez", role: "customer" }, sent_at: "2026-12-02T09:31:00Z",
    body: "Thanks. If the courier needs to reach me, my phone is +44 20 7946 0958 (maya@customer.example)." },
];

const form = document.getElementById("identity");
const status = document.getElementById("identity-status");
const rail = document.getElementById("side-conversations");
document.getElementById("conversation-id").textContent = conversationId;

for (const name of ["role", "account", "user"]) {
  if (params.get(name)) form.elements[name].value = params.get(name);
}

let panel = null;
let token = null;

async function fetchJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function loadDirectory() {
  try {
    return await fetchJson("/_local/panel/directory");
  } catch {
    return { users: [], channels: [] };
  }
}

async function signIn() {
  const query = new URLSearchParams({ role: form.elements.role.value, account: form.elements.account.value.trim(),
    user: form.elements.user.value.trim() });
  const minted = await fetchJson(`/_local/token?${query}`);
  token = minted.token;
  status.textContent = `Signed in as ${minted.user} (${minted.role}) at ${minted.account}`;
  const admin = new URLSearchParams({ role: "admin", account: minted.account, user: minted.user });
  document.getElementById("connections-link").href = `/panel/connections.html?${admin}`;
}

async function start() {
  const directory = await loadDirectory();
  try {
    await signIn();
  } catch (error) {
    status.textContent = `Could not get a local token: ${error.message}`;
    return;
  }
  panel?.destroy();
  defineLabels(await channelLabels());
  panel = mountPanel(rail, {
    conversationId, customer, directory, pollMs, customerThread,
    getToken: () => token,
  });
}

// "Use in reply": the panel hands a received message to the customer composer on the left.
rail.addEventListener("sideconv:use-in-reply", (event) => {
  const composer = document.getElementById("demo-reply");
  composer.value = composer.value ? `${composer.value}\n\n${event.detail.text}` : event.detail.text;
  composer.focus();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});

start();
