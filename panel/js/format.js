// How API values read to an agent: names, Slack targets, times, delivery states.

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function fullTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : absolute.format(date);
}

export function ago(iso, now = Date.now()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const seconds = Math.round((date.getTime() - now) / 1000);
  const steps = [[60, "second"], [60, "minute"], [24, "hour"], [7, "day"], [4.35, "week"], [12, "month"]];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return unit === "second" && Math.abs(value) < 45 ? "just now" : relative.format(value, unit);
    value = Math.round(value / size);
  }
  return relative.format(value, "year");
}

export function formatBytes(size) {
  if (!Number.isFinite(size)) return "";
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** "Name <email>", or whichever of the two exists. */
export function personLabel(person, directory) {
  if (!person) return "Unknown";
  const name = person.name || (person.id && directory?.users?.get(person.id)) || null;
  if (person.kind === "slack_channel") {
    const channel = name || (person.id && directory?.channels?.get(person.id)) || person.id;
    return `#${String(channel || "channel").replace(/^#/, "")}`;
  }
  if (name && person.email) return `${name} <${person.email}>`;
  return name || person.email || person.id || "Unknown";
}

export function shortPersonLabel(person, directory) {
  if (!person) return "Unknown";
  if (person.kind === "slack_channel") return personLabel(person, directory);
  return person.name || (person.id && directory?.users?.get(person.id)) || person.email || person.id || "Unknown";
}

/** The people outside the helpdesk: who an email goes to, who a Slack post reaches. */
export function externalParticipants(item) {
  return (item.participants || []).filter((p) => p.kind !== "agent");
}

export function slackTargetLabel(item, directory) {
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

export function title(item, directory) {
  if (item.subject) return item.subject;
  if (item.channel === "slack") return slackTargetLabel(item, directory);
  return "(no subject)";
}

export function channelLabel(channel) {
  return channel === "slack" ? "Slack" : "Email";
}

/** Where a reply goes, in words, for the reply box. */
export function replyDestination(item, directory) {
  if (item.channel === "slack") return `the Slack thread (${slackTargetLabel(item, directory)})`;
  const people = externalParticipants(item).filter((p) => p.role !== "creator");
  const labels = people.map((p) => (p.role === "customer" ? `${personLabel(p)} (the customer)` : personLabel(p)));
  return labels.length ? labels.join(", ") : "the recipients";
}

export const DELIVERY = {
  pending: { icon: "…", label: "Sending" },
  sent: { icon: "✓", label: "Sent" },
  failed: { icon: "✕", label: "Failed" },
  bounced: { icon: "↩", label: "Bounced" },
};

export function deliveryText(delivery) {
  if (!delivery) return "";
  const known = DELIVERY[delivery.status] || { icon: "?", label: delivery.status };
  return delivery.detail && (delivery.status === "failed" || delivery.status === "bounced")
    ? `${known.label}: ${delivery.detail}` : known.label;
}
