// The Side Conversations panel: list, thread, reply, start new (one form per channel), close and
// reopen, with new replies polled and announced. Vanilla DOM; every API string goes in as text.
// This module composes the views (list.js, thread.js, the channels' forms from channels.js) and owns
// what they share: the skeleton, the poll, which view is on show, and the messages to the agent.
//
//   import { mountPanel } from "./panel.js";
//   const panel = mountPanel(element, { conversationId, getToken, customer, directory, apiBase });
//   panel.destroy();

import { Api, ApiError } from "./api.js";
import { channel, creatable } from "./channels.js";
import { append, clear, h, uid } from "./dom.js";
import { describeError } from "./format.js";
import { ListView } from "./list.js";
import { outgoingExtras } from "./outgoing.js";
import { Summaries } from "./summaries.js";
import { ThreadView } from "./thread.js";

export { describeError };

/**
 * @param {HTMLElement} root where the panel renders (it owns the element's children)
 * @param {object} options
 * @param {string} options.conversationId the customer conversation the side conversations hang off
 * @param {() => (string|Promise<string>)} options.getToken the agent's bearer token, asked before each request
 * @param {string} [options.apiBase] where /v1 is served ("" = the page's origin)
 * @param {{name?: string, email: string}} [options.customer] the customer, for "CC the customer"
 * @param {{users?: Array<{id,name}>, channels?: Array<{id,name}>}} [options.directory] Slack names for pickers
 * @param {number} [options.pollMs] how often to look for new replies (default 4000)
 * @param {() => void} [options.onUnauthorized] called on a 401: the token expired, fetch a fresh one
 * @param {Array<object>} [options.customerThread] the customer's messages the agent may quote (docs/PANEL.md)
 * @param {(detail: {text: string}) => void} [options.onUseInReply] hears "Use in reply" (also a DOM event)
 * (`agentKey`, which kept read marks in localStorage for an API without them, is accepted and unused.)
 */
export function mountPanel(root, options) {
  const panel = new Panel(root, options);
  panel.start();
  return panel;
}

export class Panel {
  constructor(root, options) {
    this.root = root;
    this.conversationId = options.conversationId;
    this.api = options.api || new Api({ baseUrl: options.apiBase || "", getToken: options.getToken,
      onUnauthorized: options.onUnauthorized });
    this.customer = options.customer || null;
    // The customer conversation's messages the agent may quote: [{author: {name, role}, sent_at, body}].
    this.customerThread = options.customerThread || [];
    // "Use in reply" (use-in-reply.js): the host's composer takes a received message's text.
    this.onUseInReply = options.onUseInReply;
    this.directory = {
      users: new Map((options.directory?.users || []).map((u) => [u.id, u.name])),
      channels: new Map((options.directory?.channels || []).map((c) => [c.id, c.name])),
      // Slack workspaces of the account that were disconnected (uninstalled, revoked): their threads say so.
      disconnected: new Set(),
    };
    this.pollMs = options.pollMs || 4000;
    this.view = "list"; // "list", "thread" or "new-<channel>"
    this.summaries = new Summaries();
    this.list = new ListView(this);
    this.thread = new ThreadView(this);
    this.busy = false;
    this.timer = null;
    this.build();
    this.api.request("GET", "/v1/slack/workspaces").then(({ items }) => {
      for (const w of items) if (w.state === "revoked") this.directory.disconnected.add(w.team_id);
    }).catch(() => {}); // a deployment without Slack, or a failure: threads simply do not say it
  }

  build() {
    const titleId = uid("sc-title");
    this.liveRegion = h("div", { class: "sc-live", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    this.alertRegion = h("div", { class: "sc-alert", role: "alert", hidden: true });
    this.body = h("div", { class: "sc-body" });
    this.newButtons = creatable().map((kind) => h("button", { type: "button", class: "sc-button",
      onclick: () => this.showNew(kind.name) }, h("span", { "aria-hidden": "true", text: `${kind.icon} ` }), kind.newLabel));
    this.element = h("section", { class: "sc-panel", "aria-labelledby": titleId },
      h("header", { class: "sc-header" },
        h("h2", { id: titleId, text: "Side conversations" }),
        h("p", { class: "sc-subtitle", text: "Private threads with people outside the helpdesk. The customer does not see them." }),
        h("div", { class: "sc-toolbar" }, this.newButtons)),
      this.alertRegion,
      this.liveRegion,
      this.body);
    this.element.addEventListener("keydown", (event) => this.onKeydown(event));
    clear(this.root).append(this.element);
  }

  start() {
    this.showList();
    this.onVisible = () => { if (!document.hidden) this.refresh({ quiet: true }); };
    this.timer = window.setInterval(this.onVisible, this.pollMs);
    document.addEventListener("visibilitychange", this.onVisible);
  }

  destroy() {
    window.clearInterval(this.timer);
    document.removeEventListener("visibilitychange", this.onVisible);
    clear(this.root);
  }

  onKeydown(event) {
    if (event.key !== "Escape" || this.view === "list") return;
    const target = event.target;
    if (target instanceof HTMLTextAreaElement && target.value.trim()) return; // never lose a draft
    event.preventDefault();
    this.showList({ focusId: this.thread.current?.id });
  }

  // Views ---------------------------------------------------------------------------------------

  showList({ focusId } = {}) {
    this.view = "list";
    this.thread.close();
    this.list.show({ focusId });
    this.refresh();
  }

  async openThread(id) {
    this.view = "thread";
    this.clearError();
    const summary = this.summaries.find(id);
    this.thread.show(summary ? { ...summary, messages: null } : { id, messages: null });
    await this.thread.reload();
    this.thread.heading?.focus();
  }

  /** The channel's create form; what it sends is created here, and the new thread opens. */
  showNew(name) {
    this.view = `new-${name}`;
    this.thread.close();
    this.clearError();
    const form = channel(name).form({
      api: this.api,
      customer: this.customer,
      directory: this.directory,
      extras: outgoingExtras(this, name),
      cancel: () => this.showList(),
      send: async (request, key) => {
        const created = await this.api.create(this.conversationId, request, key);
        this.merge({ ...created, messages: undefined });
        this.announce(`${channel(created.channel).label} side conversation started.`);
        this.view = "thread";
        this.thread.show(created);
        this.thread.heading.focus();
      },
    });
    clear(this.body).append(form);
    form.querySelector("h3").focus();
  }

  // Data ------------------------------------------------------------------------------------------

  async refresh({ quiet = false } = {}) {
    if (this.busy) {
      this.again = true; // a filter change or a new view during a poll: fetch once more after it
      return;
    }
    this.busy = true;
    this.again = false;
    try {
      const page = await this.api.list(this.conversationId, { state: this.summaries.filter || undefined,
        limit: this.summaries.pageSize() });
      this.clearError();
      this.setActionsEnabled(true);
      const news = this.summaries.replace(page, this.directory);
      if (quiet && news) this.announce(news);
      if (this.view === "list") this.list.render();
      if (this.view === "thread") await this.thread.refresh();
    } catch (error) {
      this.summaries.loaded = true;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        this.summaries.forget();
        this.setActionsEnabled(false);
        if (this.view !== "list") this.showList();
      }
      this.showError(error);
      if (this.view === "list") this.list.render();
    } finally {
      this.busy = false;
      if (this.again) window.setTimeout(() => this.refresh({ quiet: true }), 0);
    }
  }

  /** A summary the API returned: in the list and in the thread on show. */
  merge(summary) {
    if (!summary || !summary.id) return;
    this.summaries.merge(summary);
    this.thread.merge(summary);
    if (this.view === "list") this.list.render();
  }

  // Messages to the agent -----------------------------------------------------------------------

  announce(text) {
    // Cleared first so the same words twice are read twice.
    this.liveRegion.textContent = "";
    window.setTimeout(() => { this.liveRegion.textContent = text; }, 50);
  }

  showError(error) {
    const message = describeError(error);
    append(clear(this.alertRegion), [h("strong", { text: message.title }), " ", message.detail]);
    this.alertRegion.hidden = false;
  }

  clearError() {
    clear(this.alertRegion);
    this.alertRegion.hidden = true;
  }

  setActionsEnabled(enabled) {
    for (const button of this.newButtons) button.disabled = !enabled;
  }
}
