// A side conversation's follow-up: when it falls due (in 4 hours, tomorrow morning, next week, on a
// date), whether a short nudge goes out by the channel under the agent's name, and whether it is due.
// The API keeps it (`follow_up` on PATCH); a reply from the other party cancels it, the agent's re-arms it.

import { h, uid } from "./dom.js";
import * as fmt from "./format.js";

const MORNING_HOUR = 9;

/** The choices, each a `follow_up` for the API at `now` (local time decides "morning" and "next week"). */
export const CHOICES = [
  { value: "4h", label: "In 4 hours", followUp: () => ({ after: "PT4H" }) },
  { value: "tomorrow", label: "Tomorrow morning", followUp: (now) => ({ at: morning(now, 1).toISOString() }) },
  { value: "next-week", label: "Next week", followUp: (now) => ({ at: morning(now, daysToMonday(now)).toISOString() }) },
  { value: "date", label: "On a date…", followUp: (now, date) => (date ? { at: dateMorning(date).toISOString() } : null) },
  { value: "none", label: "No follow-up", followUp: () => null },
];

function morning(now, days) {
  const at = new Date(now);
  at.setDate(at.getDate() + days);
  at.setHours(MORNING_HOUR, 0, 0, 0);
  return at;
}

function daysToMonday(now) {
  const day = new Date(now).getDay(); // 0 Sunday … 6 Saturday
  return ((8 - day) % 7) || 7;
}

function dateMorning(value) {
  const [year, month, day] = value.split("-").map(Number);
  return new Date(year, month - 1, day, MORNING_HOUR, 0, 0, 0);
}

/** The follow-up in words: what the header shows. */
export function followUpText(followUp) {
  if (!followUp) return "";
  const nudges = followUp.nudges_sent ? ` · ${followUp.nudges_sent} nudge${followUp.nudges_sent === 1 ? "" : "s"} sent` : "";
  if (followUp.state === "due") return `Follow-up due since ${fmt.fullTime(followUp.due_at)}${nudges}`;
  if (followUp.state === "cancelled") return `Follow-up paused: they replied or it is closed${nudges}`;
  return `Follow-up ${fmt.fullTime(followUp.due_at)}${followUp.nudge ? ", with a nudge" : ""}${nudges}`;
}

export class FollowUpView {
  /** @param {import("./thread.js").ThreadView} thread */
  constructor(thread) {
    this.thread = thread;
    this.element = h("section", { class: "sc-follow-up", "aria-label": "Follow-up" });
    this.choice = "4h"; // what the agent picked, kept across the poll's re-renders
    this.date = "";
    this.nudge = null; // the agent's tick before saving (null: as the API says), kept the same way
  }

  render(item) {
    const followUp = item.follow_up;
    const focused = this.element.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    const selectId = uid("sc-follow-up-when");
    const dateId = uid("sc-follow-up-date");
    const status = h("p", { class: `sc-follow-up-status${followUp?.state === "due" ? " sc-follow-up-due" : ""}`,
      text: followUpText(followUp) || "No follow-up" });
    const select = h("select", { id: selectId, "data-focus-key": "follow-up-when" },
      CHOICES.map((choice) => h("option", { value: choice.value, text: choice.label })));
    select.value = this.choice;
    const date = h("input", { type: "date", id: dateId, hidden: this.choice !== "date", value: this.date,
      "aria-label": "Follow-up date", "data-focus-key": "follow-up-date", min: new Date().toISOString().slice(0, 10) });
    select.addEventListener("change", () => { this.choice = select.value; date.hidden = select.value !== "date"; });
    date.addEventListener("change", () => { this.date = date.value; });
    const nudge = h("input", { type: "checkbox", checked: this.nudge ?? Boolean(followUp?.nudge),
      "data-focus-key": "follow-up-nudge" });
    nudge.addEventListener("change", () => { this.nudge = nudge.checked; });
    const save = h("button", { type: "button", class: "sc-button", "data-focus-key": "follow-up-save",
      onclick: () => this.save(select.value, date.value, nudge.checked) }, "Set follow-up");
    this.element.replaceChildren(
      status,
      h("div", { class: "sc-follow-up-form" },
        h("label", { for: selectId, text: "Follow up " }), select, date,
        h("label", { class: "sc-follow-up-nudge" }, nudge, " Nudge them if they don't answer"),
        save));
    if (focused) this.element.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
    return this.element;
  }

  async save(value, date, nudge) {
    const choice = CHOICES.find((c) => c.value === value);
    const followUp = choice.followUp(Date.now(), date);
    if (value === "date" && !followUp) {
      this.thread.panel.announce("Pick a date for the follow-up.");
      return;
    }
    const { api, conversationId } = this.thread.panel;
    try {
      this.thread.panel.merge(await api.update(conversationId, this.thread.current.id,
        { follow_up: followUp, nudge }));
      this.nudge = null;
      this.thread.render();
      this.thread.panel.announce(followUp ? "Follow-up set." : "Follow-up removed.");
    } catch (error) {
      this.thread.panel.showError(error);
    }
  }
}
