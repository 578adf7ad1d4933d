// What the panel knows of the conversation's side conversations: the summaries the list shows,
// the next page's token, the state filter, and the counts last seen (to tell what is new).

import { title } from "./channels.js";

export class Summaries {
  constructor() {
    this.items = [];
    this.nextToken = null;
    this.loaded = false;
    this.filter = "";
    this.known = new Map();
  }

  /** Another filter: start over. */
  setFilter(filter) {
    this.filter = filter;
    this.items = [];
    this.known.clear();
  }

  /** A page asked for again by the poll: at least as many as are shown. */
  pageSize() {
    return Math.min(100, Math.max(25, this.items.length));
  }

  find(id) {
    return this.items.find((item) => item.id === id);
  }

  /** A fresh first page; returns what came in since the last look, in words ("" for nothing). */
  replace(page, directory) {
    const items = page.items || [];
    const news = this.newReplies(items, directory);
    this.items = items;
    this.nextToken = page.next_token || null;
    this.loaded = true;
    return news;
  }

  append(page) {
    for (const item of page.items || []) this.remember(item);
    this.items = [...this.items, ...(page.items || [])];
    this.nextToken = page.next_token || null;
  }

  /** What the caller may not see is never shown. */
  forget() {
    this.items = [];
    this.loaded = true;
  }

  /** A summary the API returned (created, updated, read): in place of the old one, or first. */
  merge(summary) {
    if (!summary || !summary.id) return;
    this.items = this.items.map((item) => (item.id === summary.id ? { ...item, ...summary } : item));
    if (!this.items.some((item) => item.id === summary.id)) this.items = [summary, ...this.items];
    this.remember(summary);
  }

  /** The agent's own reply: not news when the next poll sees it. */
  countSent(id) {
    const known = this.known.get(id);
    if (known) known.messageCount += 1;
  }

  remember(item) {
    this.known.set(item.id, {
      messageCount: item.message_count, inboundCount: item.inbound_count, updatedAt: item.updated_at,
      state: item.state,
    });
  }

  newReplies(items, directory) {
    const replies = [];
    const messages = [];
    for (const item of items) {
      const before = this.known.get(item.id);
      if (before) {
        // inbound_count tells a reply from another agent's message.
        if (item.inbound_count > (before.inboundCount ?? item.inbound_count)) replies.push(item);
        else if (item.message_count > before.messageCount) messages.push(item);
      }
      this.remember(item);
    }
    const names = (list) => list.map((item) => `“${title(item, directory)}”`).join(", ");
    const parts = [];
    if (replies.length) parts.push(`${replies.length === 1 ? "New reply" : "New replies"} in ${names(replies)}`);
    if (messages.length) parts.push(`${messages.length === 1 ? "New message" : "New messages"} in ${names(messages)}`);
    return parts.join(". ");
  }
}
