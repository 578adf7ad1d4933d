// connections.html: the admin's Connections view, alone or embedded in the helpdesk's settings.
//
//   <iframe src="https://<panel host>/panel/connections.html?origin=<helpdesk origin>"></iframe>
//
// Signs in as the panel does (signin.js); opened directly on the local stack it asks for an admin token.
// What a section did (an OAuth redirect coming back, say) arrives in the query and is the section's to read.

import { Api } from "./api.js";
import { mountConnections } from "./connections.js";
import { apiBase, signIn } from "./signin.js";

const params = new URLSearchParams(window.location.search);
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
