// One side conversation: its header (title, channel, state, people, Close/Reopen, a link out), its
// messages, and the reply box. Reloaded by the poll when something moved; opening it marks it read.

import { ApiError } from "./api.js";
import { channel, title } from "./channels.js";
import { append, clear, h, srOnly } from "./dom.js";
import { FollowUpView } from "./follow-up.js";
import * as fmt from "./format.js";
import { renderMessage } from "./message.js";
import { ReplyForm } from "./reply.js";

export class ThreadView {
  /** @param {import("./panel.js").Panel} panel */
  constructor(panel) {
    this.panel = panel;
    this.current = null; // the side conversation on show, `messages` null until loaded
    this.originals = new Map(); // message id → full text with its quoted history, fetched once
  }

  /** Show `thread` (a summary, or one just created with its messages); `messages: null` shows "Loading…". */
  show(thread) {
    this.current = thread;
    this.heading = h("h3", { class: "sc-thread-title", tabindex: "-1" });
    this.meta = h("div", { class: "sc-thread-meta" });
    this.actions = h("div", { class: "sc-thread-actions" });
    this.messages = h("ol", { class: "sc-messages", "aria-label": "Messages, oldest first" },
      h("li", { class: "sc-empty", text: "Loading messages…" }));
    this.reply = new ReplyForm(this);
    this.followUp = new FollowUpView(this);
    clear(this.panel.body).append(
      h("div", { class: "sc-thread" },
        h("button", { type: "button", class: "sc-button sc-link sc-back",
          onclick: () => this.panel.showList({ focusId: this.current?.id }) },
        h("span", { "aria-hidden": "true", text: "← " }), "Back to side conversations"),
        h("header", { class: "sc-thread-header" }, this.heading, this.meta, this.actions),
        this.messages,
        this.reply.form));
    if (thread.messages) this.render();
    else this.renderHeader();
  }

  close() {
    this.current = null;
  }

  /** A summary from the API for the thread on show: take it, keep the messages. */
  merge(summary) {
    if (this.current && this.current.id === summary.id) {
      this.current = { ...this.current, ...summary, messages: this.current.messages };
    }
  }

  async reload({ retryRead = true } = {}) {
    if (!this.current) return;
    const { api, conversationId } = this.panel;
    const id = this.current.id;
    try {
      const thread = await api.getThread(conversationId, id);
      if (this.panel.view !== "thread" || this.current?.id !== id) return;
      this.current = thread;
      this.panel.merge({ ...thread, messages: undefined });
      this.render();
      await this.markRead(thread, { retry: retryRead });
    } catch (error) {
      this.panel.showError(error);
      if (error instanceof ApiError && (error.status === 401 || error.status === 403 || error.status === 404)) {
        this.panel.showList();
      }
    }
  }

  /** Called by the poll: reload only when something moved (a reply, a state, a delivery still pending). */
  async refresh() {
    const thread = this.current;
    if (!thread?.messages) return;
    const summary = this.panel.summaries.find(thread.id);
    const pending = thread.messages.some((m) => m.delivery && m.delivery.status === "pending");
    const moved = summary && (summary.message_count !== thread.message_count || summary.updated_at !== thread.updated_at
      || summary.state !== thread.state || (summary.unread_count || 0) > 0
      || summary.follow_up?.state !== thread.follow_up?.state);
    if (pending || moved || !summary) await this.reload();
  }

  /** Read up to the newest message; on a 409 a newer one came in: show it, then mark that one. */
  async markRead(thread, { retry = true } = {}) {
    const newest = thread.messages?.[thread.messages.length - 1];
    if (!newest || document.hidden || !thread.unread_count) return;
    const { api, conversationId } = this.panel;
    try {
      this.panel.merge(await api.markRead(conversationId, thread.id, newest.id));
    } catch (error) {
      // Anything else: the mark stays, and the next look tries again.
      if (error instanceof ApiError && error.status === 409 && retry) await this.reload({ retryRead: false });
    }
  }

  async setState(state) {
    const { api, conversationId } = this.panel;
    try {
      this.panel.merge(await api.update(conversationId, this.current.id, { state }));
      this.render();
      this.panel.announce(state === "closed" ? "Side conversation closed." : "Side conversation reopened.");
      this.actions.querySelector("button")?.focus();
    } catch (error) {
      this.panel.showError(error);
    }
  }

  /** The agent's reply, as the API recorded it: last in the thread, which is open again. */
  addSent(message) {
    const messages = [...(this.current.messages || []).filter((m) => m.id !== message.id), message];
    this.current = { ...this.current, messages, message_count: (this.current.message_count || 0) + 1, state: "open" };
    this.panel.summaries.countSent(this.current.id);
    this.render();
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  render() {
    if (!this.messages || !this.current) return;
    this.renderHeader();
    const list = this.messages;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const expanded = new Set([...list.querySelectorAll("[data-quoted-open]")].map((el) => el.dataset.quotedOpen));
    // Keep focus on the same control of the same message across a re-render.
    const active = list.contains(document.activeElement) ? document.activeElement : null;
    const focusMessage = active?.closest("[data-message-id]")?.dataset.messageId;
    const focusKey = active?.dataset.focusKey;
    clear(list);
    const messages = this.current.messages || [];
    if (!messages.length) list.append(h("li", { class: "sc-empty", text: "No messages." }));
    const actions = { directory: this.panel.directory, quoted: (message) => this.quoted(message),
      download: (message, attachment) => this.download(message, attachment) };
    for (const message of messages) {
      list.append(renderMessage(message, { ...actions, quotedOpen: expanded.has(message.id) }));
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
    if (focusMessage && focusKey) {
      list.querySelector(`[data-message-id="${CSS.escape(focusMessage)}"] [data-focus-key="${CSS.escape(focusKey)}"]`)
        ?.focus();
    }
    this.reply.update(this.current);
  }

  renderHeader() {
    const item = this.current;
    const { directory } = this.panel;
    if (!item || !this.heading) return;
    this.heading.textContent = item.channel ? title(item, directory) : "Side conversation";
    clear(this.meta);
    if (!item.channel) return;
    const kind = channel(item.channel);
    const waiting = fmt.waitingText(item);
    append(this.meta, [
      h("p", {},
        h("span", { class: `sc-channel sc-channel-${kind.name}`, text: kind.label }), " ",
        h("span", { class: `sc-state sc-state-${item.state}`, text: item.state === "open" ? "Open" : "Closed" }),
        waiting ? [" · ", h("span", { class: "sc-waiting", text: waiting })] : null),
      h("p", { class: "sc-thread-people", text: kind.threadPeople(item, directory) }),
      item.cc_customer ? h("p", { class: "sc-badge sc-badge-warning" },
        h("span", { "aria-hidden": "true", text: "⚠ " }),
        "The customer is copied on this email thread and sees every reply.") : null,
      item.state === "open" ? this.followUp.render(item) : null]);
    // Rebuilt on every reload: keep focus on the same action (Close becomes Reopen in its place).
    const focused = this.actions.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    clear(this.actions);
    const closed = item.state === "closed";
    this.actions.append(
      h("button", { type: "button", class: "sc-button", "data-focus-key": "state",
        onclick: () => this.setState(closed ? "open" : "closed") }, closed ? "Reopen" : "Close"));
    const link = kind.link(item);
    if (link) {
      this.actions.append(h("a", { class: "sc-button sc-link", href: link.href, target: "_blank",
        rel: "noopener noreferrer", "data-focus-key": link.focusKey }, link.text, srOnly(" (opens in a new tab)")));
    }
    if (focused) this.actions.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
  }

  /** The full text of a message, once; null (and the error shown) when it cannot be had. */
  async quoted(message) {
    try {
      if (!this.originals.has(message.id)) {
        const { api, conversationId } = this.panel;
        const original = await api.original(conversationId, this.current.id, message.id);
        this.originals.set(message.id, original.full_text);
      }
      return this.originals.get(message.id);
    } catch (error) {
      this.panel.showError(error);
      return null;
    }
  }

  /** Attachments are fetched through a short-lived link the API signs for the caller. */
  async download(message, attachment) {
    try {
      const { api, conversationId } = this.panel;
      const link = await api.attachmentLink(conversationId, this.current.id, message.id, attachment.id);
      if (link?.url) window.open(link.url, "_blank", "noopener,noreferrer");
    } catch (error) {
      this.panel.showError(error);
    }
  }
}
