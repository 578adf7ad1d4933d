// connections.html: the admin's Connections view, alone or embedded in the helpdesk's settings.
//
//   <iframe src="https://<panel host>/panel/connections.html?origin=<helpdesk origin>"></iframe>
//
// Signs in as the panel does (signin.js); opened directly on the local stack it asks for an admin token.
// What a section did (an OAuth redirect coming back, say) arrives in the query and is the section's to read.

import { Api } from "./api.js";
import { mountConnections } from "./connections.js";
import { apiBase, signIn } from "./signin.js";

// A section that leaves for another site and comes back (Add to Slack's OAuth round trip) saves this
// page's query under RETURN_KEY first: the way back carries only the result, so the sign-in's own
// parameters (origin; locally role, account, user) are restored from it.
const RETURN_KEY = "sc-connections-query";
const params = restoredParams(new URLSearchParams(window.location.search));

function restoredParams(current) {
  const saved = window.sessionStorage.getItem(RETURN_KEY);
  if (saved === null) return current;
  window.sessionStorage.removeItem(RETURN_KEY);
  const merged = new URLSearchParams(saved);
  for (const [name, value] of current) merged.set(name, value);
  return merged;
}
const root = document.getElementById("connections-root");

async function main() {
  const session = await signIn(params, { role: "admin" });
  if (!session) {
    const p = document.createElement("p");
    p.className = "sc-alert";
    p.setAttribute("role", "alert");
    p.textContent = "No sign-in: open Connections from the helpdesk's settings (docs/PANEL.md).";
    root.replaceChildren(p);
    return;
  }
  const api = new Api({ baseUrl: await apiBase(), getToken: session.getToken, onUnauthorized: session.onUnauthorized });
  mountConnections(root, { api, params });
}

main();
