// The list of side conversations: the state filter, one item per side conversation (channel, title,
// people, preview, activity, unread mark) and "Show more".

import { channel, title } from "./channels.js";
import { clear, h, srOnly, uid } from "./dom.js";
import * as fmt from "./format.js";

export class ListView {
  /** @param {import("./panel.js").Panel} panel */
  constructor(panel) {
    this.panel = panel;
    this.summaries = panel.summaries;
    this.element = null;
  }

  show({ focusId } = {}) {
    this.signature = null;
    const filterId = uid("sc-filter");
    this.element = h("ul", { class: "sc-list", "aria-label": "Side conversations of this conversation" });
    this.status = h("p", { class: "sc-empty", hidden: true });
    this.moreButton = h("button", { type: "button", class: "sc-button sc-link", hidden: true,
      onclick: () => this.loadMore() }, "Show more");
    const select = h("select", { id: filterId, onchange: (event) => {
      this.summaries.setFilter(event.target.value);
      this.panel.refresh();
    } },
    h("option", { value: "", text: "All" }),
    h("option", { value: "open", text: "Open" }),
    h("option", { value: "closed", text: "Closed" }));
    select.value = this.summaries.filter;
    clear(this.panel.body).append(
      h("div", { class: "sc-filter" }, h("label", { for: filterId, text: "Show" }), select),
      this.status, this.element, this.moreButton);
    this.render({ focusId });
  }

  async loadMore() {
    if (!this.summaries.nextToken) return;
    try {
      this.summaries.append(await this.panel.api.list(this.panel.conversationId,
        { state: this.summaries.filter || undefined, nextToken: this.summaries.nextToken }));
      this.render();
    } catch (error) {
      this.panel.showError(error);
    }
  }

  render({ focusId } = {}) {
    if (this.panel.view !== "list" || !this.element) return;
    const { items, loaded, nextToken, filter } = this.summaries;
    const errorShown = !this.panel.alertRegion.hidden;
    // A poll that changed nothing leaves the DOM alone (a screen reader's place and focus stay put).
    const signature = JSON.stringify([loaded, nextToken, errorShown, items.map((item) => [
      item.id, item.updated_at, item.state, item.message_count, item.unread_count, item.waiting_on,
      item.preview_text, fmt.ago(item.last_message_at || item.updated_at)])]);
    if (!focusId && signature === this.signature && this.element.isConnected) return;
    this.signature = signature;
    const focused = document.activeElement?.closest?.("[data-sc-id]")?.dataset.scId || focusId;
    clear(this.element);
    for (const item of items) this.element.append(this.renderItem(item));
    if (!loaded) {
      this.status.textContent = "Loading side conversations…";
      this.status.hidden = false;
    } else if (!items.length && !errorShown) {
      this.status.textContent = filter
        ? `No ${filter} side conversations.`
        : "No side conversations yet. Start one by email or Slack to ask someone outside the helpdesk.";
      this.status.hidden = false;
    } else {
      this.status.hidden = true;
    }
    this.moreButton.hidden = !nextToken;
    if (focused) this.element.querySelector(`[data-sc-id="${CSS.escape(focused)}"] button`)?.focus();
  }

  renderItem(item) {
    const { directory } = this.panel;
    const unread = item.unread_count || 0;
    const detailsId = uid("sc-item");
    const kind = channel(item.channel);
    const people = kind.listPeople(item, directory);
    const when = item.last_message_at || item.updated_at;
    const waiting = fmt.waitingText(item);
    const li = h("li", { class: `sc-item sc-item-is-${item.state}${unread ? " sc-item-unread" : ""}`,
      "data-sc-id": item.id },
    h("button", { type: "button", class: "sc-item-open", "aria-describedby": detailsId,
      onclick: () => this.panel.openThread(item.id) },
    h("span", { class: `sc-channel sc-channel-${kind.name}`, text: kind.label }),
    h("span", { class: "sc-item-title", text: title(item, directory) }),
    unread ? h("span", { class: "sc-unread" }, h("span", { "aria-hidden": "true", text: "● " }),
      `${unread} new`, srOnly(unread === 1 ? " unread reply" : " unread replies")) : null),
    h("div", { class: "sc-item-details", id: detailsId },
      h("p", { class: "sc-item-people", text: people }),
      item.preview_text ? h("p", { class: "sc-item-preview", text: item.preview_text }) : null,
      h("p", { class: "sc-item-meta" },
        h("span", { class: `sc-state sc-state-${item.state}`, text: item.state === "open" ? "Open" : "Closed" }),
        " · ",
        h("time", { datetime: when, title: fmt.fullTime(when), text: `Last activity ${fmt.ago(when)}` }),
        waiting ? [" · ", h("span", { class: "sc-waiting", text: waiting })] : null,
        item.follow_up?.state === "due" ? [" · ", h("span", { class: "sc-badge sc-badge-warning", text: "Follow-up due" })]
          : null,
        item.cc_customer ? [" · ", h("span", { class: "sc-badge sc-badge-warning", text: "Customer copied" })] : null)));
    li.addEventListener("click", (event) => {
      if (event.target.closest("button, a")) return;
      this.panel.openThread(item.id);
    });
    return li;
  }
}
