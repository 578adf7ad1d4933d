// The Connections view's Slack section: Add to Slack, the account's workspaces with their state, and
// Disconnect. Slack sends the admin back here with the result in the query (`slack=connected` with
// `slack_team_id`/`slack_team_name`, or `slack=error` with `slack_error`), shown as the section's status.

import { clear, h } from "./dom.js";

// connections-page.js restores the page's query saved under this key when Slack sends the admin back.
const RETURN_KEY = "sc-connections-query";

const ERRORS = {
  access_denied: "The install was cancelled in Slack.",
  invalid_code: "Slack did not accept the install (the link was used already). Try again.",
  enterprise_install_not_supported: "Org-wide (Enterprise Grid) installs are not supported: install the app in "
    + "each workspace instead.",
  workspace_connected_elsewhere: "That Slack workspace is already connected to another Atender account.",
};

function resultNote(params) {
  const result = params?.get("slack");
  if (result === "connected") {
    const name = params.get("slack_team_name") || params.get("slack_team_id");
    return h("p", { class: "sc-notice", role: "status", text: `Connected the Slack workspace ${name}.` });
  }
  if (result === "error") {
    const code = params.get("slack_error") || "failed";
    return h("p", { class: "sc-alert", role: "alert", text: ERRORS[code] || `Slack could not be connected (${code}).` });
  }
  return null;
}

function workspaceRow(workspace, disconnect) {
  const name = workspace.team_name || workspace.team_id;
  return h("li", { class: "sc-workspace", "data-team-id": workspace.team_id },
    h("strong", { text: name }), " ",
    h("span", { class: `sc-badge${workspace.state === "revoked" ? " sc-badge-warning" : ""}`,
      text: workspace.state === "active" ? "Connected" : "Disconnected in Slack" }), " ",
    h("span", { class: "sc-muted", text: `added by ${workspace.installed_by}` }), " ",
    h("button", { type: "button", class: "sc-button", "aria-label": `Disconnect ${name}`,
      onclick: () => disconnect(workspace, name), text: "Disconnect" }));
}

export default {
  id: "slack",
  title: "Slack",
  mount(element, { api, params }) {
    const status = h("div", { class: "sc-section-status" }, resultNote(params));
    const list = h("ul", { class: "sc-workspaces", "aria-label": "Slack workspaces" });
    const add = h("button", { type: "button", class: "sc-button sc-primary", text: "Add to Slack" });
    const say = (text, alert = false) => clear(status).append(h("p", alert ? { class: "sc-alert", role: "alert", text }
      : { class: "sc-notice", role: "status", text }));
    const load = async () => {
      try {
        const { items } = await api.request("GET", "/v1/slack/installations");
        clear(list).append(...(items.length ? items.map((w) => workspaceRow(w, disconnect))
          : [h("li", { class: "sc-empty", text: "No Slack workspace yet." })]));
      } catch (error) {
        say(error.detail || error.message, true);
      }
    };
    const disconnect = async (workspace, name) => {
      if (!window.confirm(`Disconnect ${name}? Its Slack side conversations stop sending.`)) return;
      try {
        await api.request("DELETE", `/v1/slack/installations/${encodeURIComponent(workspace.team_id)}`);
        say(`Disconnected ${name}.`);
      } catch (error) {
        say(error.detail || error.message, true);
      }
      await load();
    };
    add.addEventListener("click", async () => {
      add.disabled = true;
      try {
        const { authorize_url: url } = await api.request("POST", "/v1/slack/installations");
        // Slack sends the admin back with the result only: keep this page's own query for the way back.
        const own = new URLSearchParams(window.location.search);
        for (const name of [...own.keys()]) if (name === "slack" || name.startsWith("slack_")) own.delete(name);
        window.sessionStorage.setItem(RETURN_KEY, own.toString());
        window.location.assign(url);
      } catch (error) {
        add.disabled = false;
        say(error.detail || error.message, true);
      }
    });
    element.append(h("p", { class: "sc-hint", text: "Agents can start Slack side conversations in the workspaces "
      + "connected here. Add to Slack opens Slack to approve the Atender app." }), status, list, add);
    load();
  },
};
