// The Side Conversations panel: list, thread, reply, start new (email or Slack), close and reopen,
// with new replies polled and announced. Vanilla DOM; every API string goes in as text.
//
//   import { mountPanel } from "./panel.js";
//   const panel = mountPanel(element, { conversationId, getToken, customer, directory, apiBase });
//   panel.destroy();

import { Api, ApiError, newKey } from "./api.js";
import { append, clear, h, srOnly, uid } from "./dom.js";
import * as fmt from "./format.js";

const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
const SLACK_CHANNEL = /^[CGD][A-Z0-9]{2,20}$/;

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
    this.directory = {
      users: new Map((options.directory?.users || []).map((u) => [u.id, u.name])),
      channels: new Map((options.directory?.channels || []).map((c) => [c.id, c.name])),
    };
    this.pollMs = options.pollMs || 4000;
    this.view = "list";
    this.filter = "";
    this.items = [];
    this.nextToken = null;
    this.loaded = false;
    this.current = null;
    this.known = new Map();
    this.originals = new Map(); // message id → full text with its quoted history, fetched once
    this.busy = false;
    this.timer = null;
    this.build();
  }

  // Skeleton ----------------------------------------------------------------------------------

  build() {
    const titleId = uid("sc-title");
    this.liveRegion = h("div", { class: "sc-live", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    this.alertRegion = h("div", { class: "sc-alert", role: "alert", hidden: true });
    this.body = h("div", { class: "sc-body" });
    this.newEmailButton = h("button", { type: "button", class: "sc-button", onclick: () => this.showNewEmail() },
      h("span", { "aria-hidden": "true", text: "✉ " }), "New email");
    this.newSlackButton = h("button", { type: "button", class: "sc-button", onclick: () => this.showNewSlack() },
      h("span", { "aria-hidden": "true", text: "# " }), "New Slack");
    this.element = h("section", { class: "sc-panel", "aria-labelledby": titleId },
      h("header", { class: "sc-header" },
        h("h2", { id: titleId, text: "Side conversations" }),
        h("p", { class: "sc-subtitle", text: "Private threads with people outside the helpdesk. The customer does not see them." }),
        h("div", { class: "sc-toolbar" }, this.newEmailButton, this.newSlackButton)),
      this.alertRegion,
      this.liveRegion,
      this.body);
    this.element.addEventListener("keydown", (event) => this.onKeydown(event));
    clear(this.root).append(this.element);
  }

  start() {
    this.showList();
    this.timer = window.setInterval(() => {
      if (!document.hidden) this.refresh({ quiet: true });
    }, this.pollMs);
    this.onVisible = () => { if (!document.hidden) this.refresh({ quiet: true }); };
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
    this.showList({ focusId: this.current?.id });
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

  setActionsEnabled(enabled) {
    this.newEmailButton.disabled = !enabled;
    this.newSlackButton.disabled = !enabled;
  }

  clearError() {
    clear(this.alertRegion);
    this.alertRegion.hidden = true;
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
      const limit = Math.min(100, Math.max(25, this.items.length));
      const page = await this.api.list(this.conversationId, { state: this.filter || undefined, limit });
      this.clearError();
      this.setActionsEnabled(true);
      const items = page.items || [];
      this.noticeNewReplies(items, quiet);
      this.items = items;
      this.nextToken = page.next_token || null;
      this.loaded = true;
      if (this.view === "list") this.renderList();
      if (this.view === "thread" && this.current) await this.refreshThread();
    } catch (error) {
      this.loaded = true;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        this.items = []; // never show what the caller may not see
        this.setActionsEnabled(false);
        if (this.view !== "list") this.showList();
      }
      this.showError(error);
      if (this.view === "list") this.renderList();
    } finally {
      this.busy = false;
      if (this.again) window.setTimeout(() => this.refresh({ quiet: true }), 0);
    }
  }

  async loadMore() {
    if (!this.nextToken) return;
    try {
      const page = await this.api.list(this.conversationId, { state: this.filter || undefined,
        nextToken: this.nextToken });
      for (const item of page.items || []) this.remember(item);
      this.items = [...this.items, ...(page.items || [])];
      this.nextToken = page.next_token || null;
      this.renderList();
    } catch (error) {
      this.showError(error);
    }
  }

  remember(item) {
    this.known.set(item.id, {
      messageCount: item.message_count, inboundCount: item.inbound_count, updatedAt: item.updated_at,
      state: item.state,
    });
  }

  /** Tell the agent (and a screen reader) about replies that came in since the last look. */
  noticeNewReplies(items, quiet) {
    const replies = [];
    const messages = [];
    for (const item of items) {
      const before = this.known.get(item.id);
      if (before) {
        // inbound_count (when the API has it) tells a reply from another agent's message.
        if (typeof item.inbound_count === "number" && item.inbound_count > (before.inboundCount ?? item.inbound_count)) {
          replies.push(item);
        } else if (item.message_count > before.messageCount) {
          messages.push(item);
        }
      }
      this.remember(item);
    }
    if (!quiet) return;
    const names = (list) => list.map((item) => `“${fmt.title(item, this.directory)}”`).join(", ");
    const parts = [];
    if (replies.length) parts.push(`${replies.length === 1 ? "New reply" : "New replies"} in ${names(replies)}`);
    if (messages.length) parts.push(`${messages.length === 1 ? "New message" : "New messages"} in ${names(messages)}`);
    if (parts.length) this.announce(parts.join(". "));
  }

  async markRead(thread, { retry = true } = {}) {
    const newest = thread.messages?.[thread.messages.length - 1];
    if (!newest || document.hidden || !thread.unread_count) return;
    try {
      const updated = await this.api.markRead(this.conversationId, thread.id, newest.id);
      this.mergeSummary(updated);
      if (this.view === "list") this.renderList();
    } catch (error) {
      // A newer reply came in: show it, then mark that one. Anything else: the mark stays, the next look tries again.
      if (error instanceof ApiError && error.status === 409 && retry) await this.reloadThread({ retryRead: false });
    }
  }

  mergeSummary(summary) {
    if (!summary || !summary.id) return;
    this.items = this.items.map((item) => (item.id === summary.id ? { ...item, ...summary } : item));
    if (!this.items.some((item) => item.id === summary.id)) this.items = [summary, ...this.items];
    if (this.current && this.current.id === summary.id) {
      this.current = { ...this.current, ...summary, messages: this.current.messages };
    }
    this.remember(summary);
  }

  // The list ---------------------------------------------------------------------------------------

  showList({ focusId } = {}) {
    this.view = "list";
    this.current = null;
    this.listSignature = null;
    const filterId = uid("sc-filter");
    this.listElement = h("ul", { class: "sc-list", "aria-label": "Side conversations of this conversation" });
    this.listStatus = h("p", { class: "sc-empty", hidden: true });
    this.moreButton = h("button", { type: "button", class: "sc-button sc-link", hidden: true,
      onclick: () => this.loadMore() }, "Show more");
    const select = h("select", { id: filterId, onchange: (event) => {
      this.filter = event.target.value;
      this.items = [];
      this.known.clear();
      this.refresh();
    } },
    h("option", { value: "", text: "All" }),
    h("option", { value: "open", text: "Open" }),
    h("option", { value: "closed", text: "Closed" }));
    select.value = this.filter;
    clear(this.body).append(
      h("div", { class: "sc-filter" }, h("label", { for: filterId, text: "Show" }), select),
      this.listStatus, this.listElement, this.moreButton);
    this.renderList({ focusId });
    this.refresh();
  }

  renderList({ focusId } = {}) {
    if (this.view !== "list" || !this.listElement) return;
    // A poll that changed nothing leaves the DOM alone (a screen reader's place and focus stay put).
    const signature = JSON.stringify([this.loaded, this.nextToken, this.alertRegion.hidden, this.items.map((item) => [
      item.id, item.updated_at, item.state, item.message_count, item.unread_count, item.waiting_on,
      item.preview_text, fmt.ago(item.last_message_at || item.updated_at)])]);
    if (!focusId && signature === this.listSignature && this.listElement.isConnected) return;
    this.listSignature = signature;
    const focused = document.activeElement?.closest?.("[data-sc-id]")?.dataset.scId || focusId;
    clear(this.listElement);
    for (const item of this.items) this.listElement.append(this.renderItem(item));
    if (!this.loaded) {
      this.listStatus.textContent = "Loading side conversations…";
      this.listStatus.hidden = false;
    } else if (!this.items.length && this.alertRegion.hidden) {
      this.listStatus.textContent = this.filter
        ? `No ${this.filter} side conversations.`
        : "No side conversations yet. Start one by email or Slack to ask someone outside the helpdesk.";
      this.listStatus.hidden = false;
    } else {
      this.listStatus.hidden = true;
    }
    this.moreButton.hidden = !this.nextToken;
    if (focused) this.listElement.querySelector(`[data-sc-id="${CSS.escape(focused)}"] button`)?.focus();
  }

  renderItem(item) {
    const unread = item.unread_count || 0;
    const detailsId = uid("sc-item");
    const people = fmt.externalParticipants(item).filter((p) => p.role !== "creator")
      .map((p) => (p.role === "customer" ? `${fmt.shortPersonLabel(p, this.directory)} (customer)`
        : fmt.shortPersonLabel(p, this.directory)));
    const when = item.last_message_at || item.updated_at;
    const li = h("li", { class: `sc-item sc-item-is-${item.state}${unread ? " sc-item-unread" : ""}`,
      "data-sc-id": item.id },
    h("button", { type: "button", class: "sc-item-open", "aria-describedby": detailsId,
      onclick: () => this.openThread(item.id) },
    h("span", { class: `sc-channel sc-channel-${item.channel}` }, fmt.channelLabel(item.channel)),
    h("span", { class: "sc-item-title", text: fmt.title(item, this.directory) }),
    unread ? h("span", { class: "sc-unread" }, h("span", { "aria-hidden": "true", text: "● " }),
      `${unread} new`, srOnly(unread === 1 ? " unread reply" : " unread replies")) : null),
    h("div", { class: "sc-item-details", id: detailsId },
      h("p", { class: "sc-item-people" }, item.channel === "slack" && !item.subject ? null
        : [`${item.channel === "slack" ? "Slack: " : "To: "}`,
          item.channel === "slack" ? fmt.slackTargetLabel(item, this.directory) : people.join(", ") || "—"]),
      item.preview_text ? h("p", { class: "sc-item-preview", text: item.preview_text }) : null,
      h("p", { class: "sc-item-meta" },
        h("span", { class: `sc-state sc-state-${item.state}`, text: item.state === "open" ? "Open" : "Closed" }),
        " · ",
        h("time", { datetime: when, title: fmt.fullTime(when), text: `Last activity ${fmt.ago(when)}` }),
        waitingText(item) ? [" · ", h("span", { class: "sc-waiting", text: waitingText(item) })] : null,
        item.cc_customer ? [" · ", h("span", { class: "sc-badge sc-badge-warning", text: "Customer copied" })] : null)));
    li.addEventListener("click", (event) => {
      if (event.target.closest("button, a")) return;
      this.openThread(item.id);
    });
    return li;
  }

  // A thread -----------------------------------------------------------------------------------------

  async openThread(id) {
    this.view = "thread";
    this.clearError();
    const summary = this.items.find((item) => item.id === id);
    this.current = summary ? { ...summary, messages: null } : { id, messages: null };
    this.renderThreadShell();
    await this.reloadThread();
    this.threadHeading?.focus();
  }

  async reloadThread({ retryRead = true } = {}) {
    if (!this.current) return;
    const id = this.current.id;
    try {
      const thread = await this.api.getThread(this.conversationId, id);
      if (this.view !== "thread" || this.current?.id !== id) return;
      this.current = thread;
      this.mergeSummary({ ...thread, messages: undefined });
      this.renderThread();
      await this.markRead(thread, { retry: retryRead });
    } catch (error) {
      this.showError(error);
      if (error instanceof ApiError && (error.status === 401 || error.status === 403 || error.status === 404)) {
        this.showList();
      }
    }
  }

  /** Called by the poll: reload only when something moved (a reply, a state, a delivery still pending). */
  async refreshThread() {
    const summary = this.items.find((item) => item.id === this.current.id);
    const thread = this.current;
    if (!thread.messages) return;
    const pending = thread.messages.some((m) => m.delivery && m.delivery.status === "pending");
    const moved = summary && (summary.message_count !== thread.message_count || summary.updated_at !== thread.updated_at
      || summary.state !== thread.state || (summary.unread_count || 0) > 0);
    if (pending || moved || !summary) await this.reloadThread();
  }

  renderThreadShell() {
    this.threadHeading = h("h3", { class: "sc-thread-title", tabindex: "-1" });
    this.threadMeta = h("div", { class: "sc-thread-meta" });
    this.threadActions = h("div", { class: "sc-thread-actions" });
    this.messagesElement = h("ol", { class: "sc-messages", "aria-label": "Messages, oldest first" },
      h("li", { class: "sc-empty", text: "Loading messages…" }));
    this.replyForm = this.buildReplyForm();
    clear(this.body).append(
      h("div", { class: "sc-thread" },
        h("button", { type: "button", class: "sc-button sc-link sc-back",
          onclick: () => this.showList({ focusId: this.current?.id }) },
        h("span", { "aria-hidden": "true", text: "← " }), "Back to side conversations"),
        h("header", { class: "sc-thread-header" }, this.threadHeading, this.threadMeta, this.threadActions),
        this.messagesElement,
        this.replyForm));
    this.renderThreadHeader();
  }

  renderThread() {
    if (!this.messagesElement || !this.current) return;
    this.renderThreadHeader();
    const atBottom = this.messagesElement.scrollHeight - this.messagesElement.scrollTop
      - this.messagesElement.clientHeight < 40;
    const expanded = new Set([...this.messagesElement.querySelectorAll("[data-quoted-open]")]
      .map((el) => el.dataset.quotedOpen));
    // Keep focus on the same control of the same message across a re-render.
    const active = this.messagesElement.contains(document.activeElement) ? document.activeElement : null;
    const focusMessage = active?.closest("[data-message-id]")?.dataset.messageId;
    const focusKey = active?.dataset.focusKey;
    clear(this.messagesElement);
    const messages = this.current.messages || [];
    if (!messages.length) this.messagesElement.append(h("li", { class: "sc-empty", text: "No messages." }));
    for (const message of messages) this.messagesElement.append(this.renderMessage(message, expanded));
    if (atBottom) this.messagesElement.scrollTop = this.messagesElement.scrollHeight;
    if (focusMessage && focusKey) {
      this.messagesElement.querySelector(`[data-message-id="${CSS.escape(focusMessage)}"] `
        + `[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
    }
    this.updateReplyDestination();
  }

  renderThreadHeader() {
    const item = this.current;
    if (!item || !this.threadHeading) return;
    this.threadHeading.textContent = item.channel ? fmt.title(item, this.directory) : "Side conversation";
    clear(this.threadMeta);
    if (!item.channel) return;
    const people = fmt.externalParticipants(item).filter((p) => p.role !== "creator");
    append(this.threadMeta, [
      h("p", {},
        h("span", { class: `sc-channel sc-channel-${item.channel}` }, fmt.channelLabel(item.channel)), " ",
        h("span", { class: `sc-state sc-state-${item.state}`, text: item.state === "open" ? "Open" : "Closed" }),
        waitingText(item) ? [" · ", h("span", { class: "sc-waiting", text: waitingText(item) })] : null),
      item.channel === "email"
        ? h("p", { class: "sc-thread-people" }, "With: ",
          people.map((p) => fmt.personLabel(p) + (p.role === "customer" ? " (customer)" : p.role === "cc" ? " (cc)" : ""))
            .join(", ") || "—")
        : h("p", { class: "sc-thread-people", text: `Slack: ${fmt.slackTargetLabel(item, this.directory)}` }),
      item.cc_customer ? h("p", { class: "sc-badge sc-badge-warning" },
        h("span", { "aria-hidden": "true", text: "⚠ " }),
        "The customer is copied on this email thread and sees every reply.") : null]);
    // Rebuilt on every reload: keep focus on the same action (Close becomes Reopen in its place).
    const focused = this.threadActions.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    clear(this.threadActions);
    const closed = item.state === "closed";
    this.threadActions.append(
      h("button", { type: "button", class: "sc-button", "data-focus-key": "state",
        onclick: () => this.setState(closed ? "open" : "closed") }, closed ? "Reopen" : "Close"));
    if (item.channel === "slack" && item.slack?.permalink && /^https:\/\//.test(item.slack.permalink)) {
      this.threadActions.append(h("a", { class: "sc-button sc-link", href: item.slack.permalink, target: "_blank",
        rel: "noopener noreferrer", "data-focus-key": "slack" }, "Open in Slack", srOnly(" (opens in a new tab)")));
    }
    if (focused) this.threadActions.querySelector(`[data-focus-key="${focused}"]`)?.focus();
  }

  renderMessage(message, expanded) {
    const inbound = message.direction === "inbound";
    const author = fmt.shortPersonLabel(message.author, this.directory)
      + (message.author?.email && message.author?.name && message.author.kind === "email" ? ` <${message.author.email}>` : "");
    const labels = [];
    if (message.auto_reply) labels.push("Auto-reply");
    if (message.bot) labels.push("Bot");
    if (message.edited) labels.push("Edited");
    const delivery = message.delivery;
    const body = message.deleted ? h("p", { class: "sc-message-body sc-muted", text: "This message was deleted in Slack." })
      : h("div", { class: "sc-message-body", text: message.body });
    return h("li", { class: `sc-message ${inbound ? "sc-in" : "sc-out"}`, "data-message-id": message.id },
      h("article", { "aria-label": `${inbound ? "Received from" : "Sent by"} ${author}` },
        h("header", { class: "sc-message-header" },
          h("span", { class: "sc-direction", text: inbound ? "Received" : "Sent" }), " ",
          h("strong", { class: "sc-author", text: author }), " ",
          h("time", { datetime: message.created_at, title: fmt.fullTime(message.created_at),
            text: fmt.ago(message.created_at) }),
          labels.map((label) => [" ", h("span", { class: "sc-badge", text: label })]),
          delivery ? [" ", h("span", { class: `sc-delivery sc-delivery-${delivery.status}` },
            h("span", { "aria-hidden": "true", text: `${(fmt.DELIVERY[delivery.status] || {}).icon || ""} ` }),
            fmt.deliveryText(delivery))] : null),
        message.cc?.length ? h("p", { class: "sc-message-cc",
          text: `Cc: ${message.cc.map((p) => fmt.personLabel(p)).join(", ")}` }) : null,
        body,
        message.complaint ? h("p", { class: "sc-badge sc-badge-warning", text: `Complaint: ${message.complaint}` }) : null,
        message.has_quoted_text ? this.quotedToggle(message, expanded.has(message.id)) : null,
        message.attachments?.length ? this.renderAttachments(message) : null));
  }

  quotedToggle(message, open) {
    const regionId = uid("sc-quoted");
    const region = h("pre", { class: "sc-quoted", id: regionId, hidden: true });
    const button = h("button", { type: "button", class: "sc-button sc-link", "aria-expanded": "false",
      "aria-controls": regionId, "data-focus-key": "quoted" }, "Show quoted text");
    const wrapper = h("div", { class: "sc-quoted-wrap" }, button, region);
    const toggle = async () => {
      if (button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        button.textContent = "Show quoted text";
        region.hidden = true;
        delete wrapper.dataset.quotedOpen;
        return;
      }
      if (!region.textContent) {
        try {
          if (!this.originals.has(message.id)) {
            const original = await this.api.original(this.conversationId, this.current.id, message.id);
            this.originals.set(message.id, original.full_text);
          }
          region.textContent = this.originals.get(message.id);
        } catch (error) {
          this.showError(error);
          return;
        }
      }
      button.setAttribute("aria-expanded", "true");
      button.textContent = "Hide quoted text";
      region.hidden = false;
      wrapper.dataset.quotedOpen = message.id;
    };
    button.addEventListener("click", toggle);
    if (open) toggle();
    return wrapper;
  }

  renderAttachments(message) {
    return h("ul", { class: "sc-attachments", "aria-label": "Attachments" },
      message.attachments.map((attachment) => h("li", {},
        h("span", { "aria-hidden": "true", text: "📎 " }),
        h("button", { type: "button", class: "sc-button sc-link", "data-focus-key": `attachment-${attachment.id}`,
          onclick: () => this.download(message, attachment) }, `Download ${attachment.name}`),
        h("span", { class: "sc-muted", text: ` ${attachment.content_type}, ${fmt.formatBytes(attachment.size)}` }))));
  }

  /** Attachments are fetched through a short-lived link the API signs for the caller. */
  async download(message, attachment) {
    try {
      const link = await this.api.attachmentLink(this.conversationId, this.current.id, message.id, attachment.id);
      if (link?.url) window.open(link.url, "_blank", "noopener,noreferrer");
    } catch (error) {
      this.showError(error);
    }
  }

  buildReplyForm() {
    const textareaId = uid("sc-reply");
    const destinationId = uid("sc-destination");
    const hintId = uid("sc-hint");
    this.replyDestination = h("p", { class: "sc-destination", id: destinationId });
    this.replyError = h("div", { class: "sc-form-error", role: "alert", hidden: true });
    this.replyBox = h("textarea", { id: textareaId, rows: "3", required: true, maxlength: "50000",
      "aria-describedby": `${destinationId} ${hintId}`, "data-field": "body" });
    this.replyButton = h("button", { type: "submit", class: "sc-button sc-primary" }, "Send reply");
    let key = null;
    let keyFor = null;
    const form = h("form", { class: "sc-reply-form", novalidate: true },
      h("label", { for: textareaId, text: "Reply" }),
      this.replyDestination,
      this.replyBox,
      h("p", { class: "sc-hint", id: hintId, text: "Ctrl+Enter sends." }),
      this.replyError,
      h("div", { class: "sc-form-actions" }, this.replyButton));
    this.replyBox.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = this.replyBox.value;
      if (!text.trim()) {
        this.showFormErrors(this.replyError, form, [{ field: "body", detail: "Write a reply first." }]);
        this.replyBox.focus();
        return;
      }
      if (keyFor !== text) { key = newKey(); keyFor = text; } // a retry of the same text is the same request
      this.replyButton.disabled = true;
      this.replyButton.textContent = "Sending…";
      try {
        const message = await this.api.reply(this.conversationId, this.current.id, text, key);
        this.replyBox.value = "";
        keyFor = null;
        this.hideFormErrors(this.replyError, form);
        const messages = [...(this.current.messages || []).filter((m) => m.id !== message.id), message];
        this.current = { ...this.current, messages, message_count: (this.current.message_count || 0) + 1,
          state: "open" };
        const known = this.known.get(this.current.id);
        if (known) known.messageCount += 1;
        this.renderThread();
        this.messagesElement.scrollTop = this.messagesElement.scrollHeight;
        this.announce("Reply recorded; sending.");
        this.replyBox.focus();
      } catch (error) {
        this.showFormErrors(this.replyError, form, error);
      } finally {
        this.replyButton.disabled = false;
        this.replyButton.textContent = "Send reply";
      }
    });
    return form;
  }

  updateReplyDestination() {
    const item = this.current;
    if (!item || !item.channel || !this.replyDestination) return;
    clear(this.replyDestination).append(`Goes to ${fmt.replyDestination(item, this.directory)}.`);
    if (item.cc_customer) {
      this.replyDestination.append(" ", h("strong", { class: "sc-warning-text",
        text: "The customer is copied and will see this reply." }));
    }
    if (item.state === "closed") this.replyDestination.append(" Replying reopens this side conversation.");
  }

  async setState(state) {
    try {
      const updated = await this.api.update(this.conversationId, this.current.id, { state });
      this.mergeSummary(updated);
      this.renderThread();
      this.announce(state === "closed" ? "Side conversation closed." : "Side conversation reopened.");
      this.threadActions.querySelector("button")?.focus();
    } catch (error) {
      this.showError(error);
    }
  }

  // Start new -------------------------------------------------------------------------------------------

  showNewEmail() {
    this.view = "new-email";
    this.current = null;
    this.clearError();
    const heading = h("h3", { tabindex: "-1", text: "New email side conversation" });
    const errors = h("div", { class: "sc-form-error", role: "alert", hidden: true });
    const toRows = h("ul", { class: "sc-recipients" });
    const ccRows = h("ul", { class: "sc-recipients" });
    const addRow = (list, kind, focus) => {
      const index = list.children.length;
      const nameId = uid("sc-name");
      const emailId = uid("sc-email");
      const row = h("li", { class: "sc-recipient" },
        h("span", { class: "sc-field" }, h("label", { for: nameId, text: `${kind} ${index + 1} name` }),
          h("input", { id: nameId, type: "text", autocomplete: "off", maxlength: "200", "data-role": "name" })),
        h("span", { class: "sc-field" }, h("label", { for: emailId, text: `${kind} ${index + 1} email` }),
          h("input", { id: emailId, type: "email", autocomplete: "off", required: kind === "To" && index === 0,
            "data-role": "email" })));
      if (index > 0 || kind === "Cc") {
        row.append(h("button", { type: "button", class: "sc-button sc-link",
          onclick: () => { row.remove(); renumber(list, kind); } }, `Remove ${kind} ${index + 1}`));
      }
      list.append(row);
      renumber(list, kind);
      if (focus) row.querySelector("input")?.focus();
    };
    addRow(toRows, "To", false);
    const subjectId = uid("sc-subject");
    const bodyId = uid("sc-body");
    const ccId = uid("sc-cc-customer");
    const warningId = uid("sc-cc-warning");
    const subject = h("input", { id: subjectId, type: "text", required: true, maxlength: "250", "data-field": "subject" });
    const body = h("textarea", { id: bodyId, rows: "6", required: true, maxlength: "50000", "data-field": "body" });
    const ccCustomer = h("input", { id: ccId, type: "checkbox", "aria-describedby": warningId });
    const customerLabel = this.customer ? ` (${fmt.personLabel({ kind: "email", ...this.customer })})` : "";
    const customerNameId = uid("sc-customer-name");
    const customerEmailId = uid("sc-customer-email");
    const customerFields = h("div", { class: "sc-customer-fields", hidden: true },
      h("span", { class: "sc-field" }, h("label", { for: customerNameId, text: "Customer name" }),
        h("input", { id: customerNameId, type: "text", maxlength: "200", value: this.customer?.name || "" })),
      h("span", { class: "sc-field" }, h("label", { for: customerEmailId, text: "Customer email" }),
        h("input", { id: customerEmailId, type: "email", "data-field": "customer.email",
          value: this.customer?.email || "" })));
    // Always in the page (so aria-describedby resolves), shown and announced only when ticked.
    const warning = h("p", { id: warningId, class: "sc-cc-warning", hidden: true },
      h("span", { "aria-hidden": "true", text: "⚠ " }),
      h("strong", { text: "The customer will see this email and every reply. " }),
      "Everyone on the thread can reply to all, so keep internal notes out of it.");
    const warningLive = h("div", { class: "sc-sr-only", role: "alert" });
    const submit = h("button", { type: "submit", class: "sc-button sc-primary" }, "Send email");
    ccCustomer.addEventListener("change", () => {
      warning.hidden = !ccCustomer.checked;
      customerFields.hidden = !ccCustomer.checked || Boolean(this.customer?.email);
      warningLive.textContent = ccCustomer.checked ? "Warning: the customer will see this email and every reply." : "";
      submit.textContent = ccCustomer.checked ? "Send email, customer copied" : "Send email";
    });
    const form = h("form", { class: "sc-form", novalidate: true },
      heading,
      h("fieldset", {}, h("legend", { text: "To" }), toRows,
        h("button", { type: "button", class: "sc-button sc-link", onclick: () => addRow(toRows, "To", true) },
          "Add recipient")),
      h("fieldset", {}, h("legend", { text: "Cc (optional)" }), ccRows,
        h("button", { type: "button", class: "sc-button sc-link", onclick: () => addRow(ccRows, "Cc", true) },
          "Add Cc")),
      h("div", { class: "sc-field" }, h("label", { for: subjectId, text: "Subject" }), subject),
      h("div", { class: "sc-field" }, h("label", { for: bodyId, text: "Message" }), body),
      h("div", { class: "sc-cc-customer" },
        h("div", { class: "sc-check" }, ccCustomer, h("label", { for: ccId, text: `CC the customer${customerLabel}` })),
        warning, warningLive, customerFields),
      errors,
      h("div", { class: "sc-form-actions" }, submit,
        h("button", { type: "button", class: "sc-button", onclick: () => this.showList() }, "Cancel")));
    const collect = () => {
      const rows = (list) => [...list.querySelectorAll(".sc-recipient")].map((row) => ({
        name: row.querySelector('[data-role="name"]').value.trim(),
        email: row.querySelector('[data-role="email"]').value.trim(),
      })).filter((r) => r.email || r.name).map((r) => (r.name ? r : { email: r.email }));
      const request = { channel: "email", subject: subject.value.trim(), body: body.value, to: rows(toRows),
        cc: rows(ccRows), cc_customer: ccCustomer.checked };
      if (ccCustomer.checked) {
        const email = form.querySelector(`#${CSS.escape(customerEmailId)}`).value.trim();
        const name = form.querySelector(`#${CSS.escape(customerNameId)}`).value.trim();
        request.customer = name ? { email, name } : { email };
      }
      return request;
    };
    const locallyInvalid = (request) => {
      const problems = [];
      if (!request.to.length) problems.push({ field: "to.0.email", detail: "Add at least one recipient." });
      request.to.forEach((r, i) => { if (!r.email) problems.push({ field: `to.${i}.email`, detail: "Email is missing." }); });
      if (!request.subject) problems.push({ field: "subject", detail: "Subject is missing." });
      if (!request.body.trim()) problems.push({ field: "body", detail: "Message is missing." });
      if (request.cc_customer && !request.customer?.email) {
        problems.push({ field: "customer.email", detail: "The customer's email is needed to copy them." });
      }
      return problems;
    };
    this.bindCreate(form, submit, errors, collect, locallyInvalid, (list, field) => recipientInput(list, field, toRows,
      ccRows));
    clear(this.body).append(form);
    heading.focus();
  }

  showNewSlack() {
    this.view = "new-slack";
    this.current = null;
    this.clearError();
    const heading = h("h3", { tabindex: "-1", text: "New Slack side conversation" });
    const errors = h("div", { class: "sc-form-error", role: "alert", hidden: true });
    const usersList = uid("sc-slack-users");
    const channelsList = uid("sc-slack-channels");
    const radios = [["user", "A person (direct message)"], ["group", "A group of 2 to 8 people (group DM)"],
      ["channel", "A channel"]];
    const name = uid("sc-target");
    const targetFieldset = h("fieldset", {}, h("legend", { text: "Send to" }),
      radios.map(([value, label], index) => {
        const id = uid("sc-target");
        return h("div", { class: "sc-check" },
          h("input", { type: "radio", name, id, value, checked: index === 0 }),
          h("label", { for: id, text: label }));
      }));
    const field = (target, label, hint, attrs) => {
      const id = uid("sc-slack");
      const hintId = uid("sc-hint");
      return h("div", { class: "sc-field", "data-target": target, hidden: target !== "user" },
        h("label", { for: id, text: label }),
        h("input", { id, type: "text", autocomplete: "off", "aria-describedby": hintId, ...attrs }),
        h("p", { class: "sc-hint", id: hintId, text: hint }));
    };
    const userField = field("user", "Slack person", "A name from the list or a Slack user id, e.g. U0ALICE.",
      { list: usersList, "data-field": "slack.user_ids" });
    const groupField = field("group", "Slack people", "2 to 8 names or user ids, separated by commas.",
      { "data-field": "slack.user_ids" });
    const channelField = field("channel", "Slack channel", "A channel name from the list or its id, e.g. C0ONCALL. "
      + "The Atender app must be in the channel.", { list: channelsList, "data-field": "slack.channel_id" });
    const subjectId = uid("sc-subject");
    const bodyId = uid("sc-body");
    const subject = h("input", { id: subjectId, type: "text", maxlength: "250", "data-field": "subject" });
    const body = h("textarea", { id: bodyId, rows: "5", required: true, maxlength: "50000", "data-field": "body" });
    const submit = h("button", { type: "submit", class: "sc-button sc-primary" }, "Post to Slack");
    const form = h("form", { class: "sc-form", novalidate: true },
      heading,
      targetFieldset, userField, groupField, channelField,
      h("datalist", { id: usersList }, [...this.directory.users].map(([id, label]) => h("option", { value: id, text: label }))),
      h("datalist", { id: channelsList },
        [...this.directory.channels].map(([id, label]) => h("option", { value: id, text: `#${label}` }))),
      h("div", { class: "sc-field" }, h("label", { for: subjectId, text: "Subject (optional)" }), subject),
      h("div", { class: "sc-field" }, h("label", { for: bodyId, text: "Message" }), body),
      errors,
      h("div", { class: "sc-form-actions" }, submit,
        h("button", { type: "button", class: "sc-button", onclick: () => this.showList() }, "Cancel")));
    const target = () => form.querySelector(`input[name="${name}"]:checked`).value;
    targetFieldset.addEventListener("change", () => {
      for (const wrapper of form.querySelectorAll("[data-target]")) wrapper.hidden = wrapper.dataset.target !== target();
    });
    const collect = () => {
      const slack = { target: target() };
      if (slack.target === "channel") {
        slack.channel_id = this.resolveChannel(channelField.querySelector("input").value);
      } else {
        const raw = (slack.target === "user" ? userField : groupField).querySelector("input").value;
        slack.user_ids = raw.split(",").map((part) => this.resolveUser(part)).filter(Boolean);
      }
      const request = { channel: "slack", body: body.value, slack };
      if (subject.value.trim()) request.subject = subject.value.trim();
      return request;
    };
    const locallyInvalid = (request) => {
      const problems = [];
      const { slack } = request;
      if (slack.target === "channel" && !SLACK_CHANNEL.test(slack.channel_id || "")) {
        problems.push({ field: "slack.channel_id", detail: "Pick a channel from the list or enter its id." });
      }
      if (slack.target === "user" && (slack.user_ids.length !== 1 || !slack.user_ids.every((u) => SLACK_USER.test(u)))) {
        problems.push({ field: "slack.user_ids", detail: "Pick one person from the list or enter their user id." });
      }
      if (slack.target === "group" && (slack.user_ids.length < 2 || slack.user_ids.length > 8
        || !slack.user_ids.every((u) => SLACK_USER.test(u)))) {
        problems.push({ field: "slack.user_ids", detail: "A group DM needs 2 to 8 people (names or user ids)." });
      }
      if (!request.body.trim()) problems.push({ field: "body", detail: "Message is missing." });
      return problems;
    };
    this.bindCreate(form, submit, errors, collect, locallyInvalid, (_, fieldName) => {
      const wrapper = form.querySelector(`[data-target="${target()}"]`);
      return fieldName.startsWith("slack.") ? wrapper?.querySelector("input") : null;
    });
    clear(this.body).append(form);
    heading.focus();
  }

  resolveUser(text) {
    const value = text.trim().replace(/^@/, "");
    if (!value) return null;
    if (SLACK_USER.test(value)) return value;
    for (const [id, label] of this.directory.users) if (label.toLowerCase() === value.toLowerCase()) return id;
    return value;
  }

  resolveChannel(text) {
    const value = text.trim().replace(/^#/, "");
    if (SLACK_CHANNEL.test(value)) return value;
    for (const [id, label] of this.directory.channels) if (label.toLowerCase() === value.toLowerCase()) return id;
    return value;
  }

  bindCreate(form, submit, errors, collect, locallyInvalid, fieldFor) {
    let key = null;
    let keyFor = null;
    const label = () => submit.textContent;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const request = collect();
      const problems = locallyInvalid(request);
      if (problems.length) {
        this.showFormErrors(errors, form, problems, fieldFor);
        return;
      }
      const fingerprint = JSON.stringify(request);
      if (keyFor !== fingerprint) { key = newKey(); keyFor = fingerprint; }
      const text = label();
      submit.disabled = true;
      submit.textContent = "Sending…";
      try {
        const created = await this.api.create(this.conversationId, request, key);
        this.mergeSummary({ ...created, messages: undefined });
        this.announce(created.channel === "slack" ? "Slack side conversation started." : "Email side conversation started.");
        this.view = "thread";
        this.current = created;
        this.renderThreadShell();
        this.renderThread();
        this.threadHeading.focus();
      } catch (error) {
        submit.disabled = false;
        submit.textContent = text;
        this.showFormErrors(errors, form, error, fieldFor);
      }
    });
    for (const control of form.querySelectorAll("textarea")) {
      control.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
  }

  /** Problems (from the API or checked here) listed above the buttons, each field marked and the first focused. */
  showFormErrors(container, form, errorOrList, fieldFor = () => null) {
    this.hideFormErrors(container, form);
    const list = Array.isArray(errorOrList) ? errorOrList : (errorOrList.errors || []);
    const title = Array.isArray(errorOrList) ? "Please check the form." : describeError(errorOrList).title;
    const detail = Array.isArray(errorOrList) ? null : describeError(errorOrList).detail;
    container.append(h("p", {}, h("strong", { text: title }), detail && !list.length ? ` ${detail}` : null));
    if (list.length) {
      container.append(h("ul", {}, list.map((problem) => h("li", { text: fieldText(problem) }))));
    }
    container.hidden = false;
    let first = null;
    for (const problem of list) {
      const field = problem.field || "";
      const control = fieldFor(form, field) || form.querySelector(`[data-field="${CSS.escape(field)}"]`)
        || form.querySelector(`[data-field="${CSS.escape(field.split(".").slice(0, 2).join("."))}"]`)
        || form.querySelector(`[data-field="${CSS.escape(field.split(".")[0])}"]`);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    }
    first?.focus();
  }

  hideFormErrors(container, form) {
    clear(container);
    container.hidden = true;
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }
}

function renumber(list, kind) {
  [...list.children].forEach((row, index) => {
    const labels = row.querySelectorAll("label");
    if (labels[0]) labels[0].textContent = `${kind} ${index + 1} name`;
    if (labels[1]) labels[1].textContent = `${kind} ${index + 1} email`;
    const remove = row.querySelector("button");
    if (remove) remove.textContent = `Remove ${kind} ${index + 1}`;
  });
}

function recipientInput(_form, field, toRows, ccRows) {
  const match = /^(to|cc)\.(\d+)\.(email|name)$/.exec(field) || /^(to|cc)\.(\d+)$/.exec(field);
  if (!match) return null;
  const row = (match[1] === "to" ? toRows : ccRows).children[Number(match[2])];
  return row?.querySelector(`[data-role="${match[3] || "email"}"]`) || null;
}

function fieldText(problem) {
  const names = { body: "Message", subject: "Subject", "customer.email": "Customer email",
    "slack.user_ids": "Slack people", "slack.channel_id": "Slack channel" };
  const field = problem.field || "";
  const recipient = /^(to|cc)\.(\d+)\.(email|name)$/.exec(field);
  const label = recipient ? `${recipient[1] === "to" ? "To" : "Cc"} ${Number(recipient[2]) + 1} ${recipient[3]}`
    : names[field] || names[field.split(".").slice(0, 2).join(".")] || field;
  return label ? `${label}: ${problem.detail}` : problem.detail;
}

function waitingText(item) {
  if (item.state !== "open" || !item.waiting_on) return "";
  return item.waiting_on === "agent" ? "Waiting on you" : "Waiting on their reply";
}

/** A problem in words an agent can act on, from the API's problem+json. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return { title: "Something went wrong.", detail: String(error?.message || error) };
  switch (error.status) {
    case 0:
      return { title: "Can't reach the service.", detail: "Check the connection; the panel retries by itself." };
    case 401:
      return { title: "Not signed in.", detail: "The sign-in is missing or has expired: sign in again." };
    case 403:
      return { title: "Not allowed.", detail: error.detail || "This sign-in may not use side conversations." };
    case 404:
      return { title: "Not found.", detail: error.detail || "This side conversation does not exist in your account." };
    case 409:
      return { title: "Already sent differently.", detail: error.detail || "Reload and try again." };
    case 422:
      return { title: "Please check the form.", detail: error.detail || "" };
    default:
      return { title: error.title || "Something went wrong.", detail: error.detail || `HTTP ${error.status}` };
  }
}
