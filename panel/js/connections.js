// The Connections view: what an admin connects to the account, one section per kind of connection.
// A section is a module exporting {id, title, mount(element, {api, params})}; add it to SECTIONS.
// Sections render into their own element and own it; errors they cannot handle show in their element.
//
//   mountConnections(root, { api, params });

import slack from "./slack-connections.js";
import { clear, h, uid } from "./dom.js";
import emailDomains from "./connections-email.js";

/** @type {Array<{id: string, title: string, mount: (element: HTMLElement, context: object) => void}>} */
const SECTIONS = [
  slack,
  emailDomains,
];

export function mountConnections(root, { api, params }) {
  const titleId = uid("sc-connections");
  const view = h("section", { class: "sc-panel sc-connections", "aria-labelledby": titleId },
    h("header", { class: "sc-header" },
      h("h2", { id: titleId, text: "Connections" }),
      h("p", { class: "sc-subtitle", text: "Where this account's side conversations go out from. Admins only." })));
  if (SECTIONS.length === 0) view.append(h("p", { class: "sc-empty", text: "Nothing to connect yet." }));
  for (const section of SECTIONS) {
    const headingId = uid(`sc-${section.id}`);
    const element = h("section", { class: "sc-connection", "aria-labelledby": headingId },
      h("h3", { id: headingId, text: section.title }));
    view.append(element);
    section.mount(element, { api, params });
  }
  clear(root).append(view);
  return view;
}
