// The one table of channels the panel knows, keyed by the API's `channel` name: its label, the
// icon and words of its "New …" button, its create form, and how its side conversations read (the
// people line, the thread's people, where a reply goes, a link out). Views ask `channel(name)` and
// never compare channel names themselves. An entry only says what differs from DEFAULTS; a channel
// missing from the table (one the API added later) shows under its own name, with no form.
// The labels come from the service's channel registry too (`defineLabels`, from /panel/config.json).

import { mountEmailForm } from "./email-form.js";
import { externalParticipants, personLabel, shortPersonLabel } from "./format.js";
import { mountSlackForm } from "./slack-form.js";

const others = (item) => externalParticipants(item).filter((p) => p.role !== "creator");

/** What a channel is, unless its entry says otherwise: people reached at addresses. */
const DEFAULTS = {
  icon: "",
  newLabel: null, // the toolbar's "New …" button, for a channel with a `form`
  maxAttachmentBytes: null, // the most a message may carry in files, all together (null: only per file)
  form: null, // (context) => a <form> element; see email-form.js for the context it gets
  untitled: () => "(no subject)",
  listPeople: (item, directory) => `To: ${others(item).map((p) => (p.role === "customer"
    ? `${shortPersonLabel(p, directory)} (customer)` : shortPersonLabel(p, directory))).join(", ") || "—"}`,
  threadPeople: (item) => `With: ${others(item).map((p) => personLabel(p)
    + (p.role === "customer" ? " (customer)" : p.role === "cc" ? " (cc)" : "")).join(", ") || "—"}`,
  destination: (item) => {
    const labels = others(item).map((p) => (p.role === "customer" ? `${personLabel(p)} (the customer)` : personLabel(p)));
    return labels.length ? labels.join(", ") : "the recipients";
  },
  link: () => null, // {href, text, focusKey} of the side conversation in the channel's own app
};

/** `#channel`, `DM with …` or `Group DM with …`, names from the directory where the API has none. */
function slackTarget(item, directory) {
  const slack = item.slack || {};
  const people = externalParticipants(item);
  if (slack.target === "channel") {
    const channel = people.find((p) => p.kind === "slack_channel");
    const id = slack.channel_id;
    return personLabel(channel || { kind: "slack_channel", id, name: id && directory?.channels?.get(id) }, directory);
  }
  const names = (slack.user_ids || people.map((p) => p.id)).map((id) => {
    const person = people.find((p) => p.id === id) || { kind: "slack", id };
    return shortPersonLabel(person, directory);
  });
  return slack.target === "group" ? `Group DM with ${names.join(", ")}` : `DM with ${names.join(", ")}`;
}

export const CHANNELS = {
  // Label, icon and "New …": from the registry (defineLabels).
  email: {
    form: mountEmailForm,
    maxAttachmentBytes: 30 * 1024 * 1024, // SES's 40 MB counts the base64
  },
  slack: {
    form: mountSlackForm,
    untitled: slackTarget,
    // Without a subject the title already is the target: no people line under it.
    listPeople: (item, directory) => (item.subject ? `Slack: ${slackTarget(item, directory)}` : null),
    threadPeople: (item, directory) => `Slack: ${slackTarget(item, directory)}`
      + (item.slack?.team_name ? ` in ${item.slack.team_name}` : "")
      + (directory?.disconnected?.has(item.slack?.team_id)
        ? " (this Slack workspace is disconnected: messages are not sent until an admin connects it again)" : "")
      + (item.slack?.shared_externally ? " (shared with another organisation)" : ""),
    destination: (item, directory) => `the Slack thread (${slackTarget(item, directory)})`
      + (item.slack?.shared_externally ? ", which people outside your company read" : ""),
    link: (item) => (/^https:\/\//.test(item.slack?.permalink || "")
      ? { href: item.slack.permalink, text: "Open in Slack", focusKey: "slack" } : null),
  },
};

/** Add a channel, or change a known one's labels (an entry as in CHANNELS, merged over what is there). */
export function defineChannel(name, entry) {
  CHANNELS[name] = { ...CHANNELS[name], ...entry };
}

/** Labels from the service's channel registry (`{name: {label, icon, new_label}}`, /panel/config.json),
 * over the table's: a channel the table lacks is named as the service names it. */
export function defineLabels(labels) {
  for (const [name, entry] of Object.entries(labels || {})) {
    defineChannel(name, { label: entry.label, icon: entry.icon || "", newLabel: entry.new_label ?? null });
  }
}

/** The channel's entry, complete: DEFAULTS under what the table says, labelled with its own name if unknown. */
export function channel(name) {
  const entry = Object.hasOwn(CHANNELS, name) ? CHANNELS[name] : {};
  const label = entry.label || String(name || "Side conversation");
  return { ...DEFAULTS, ...entry, label, newLabel: entry.newLabel || (entry.form ? `New ${label}` : null), name };
}

/** Channels that can be started from the panel, in the table's order (the toolbar's buttons). */
export function creatable() {
  return Object.keys(CHANNELS).map(channel).filter((entry) => entry.form);
}

/** The side conversation's title: its subject, or what its channel calls it without one. */
export function title(item, directory) {
  return item.subject || channel(item.channel).untitled(item, directory);
}
