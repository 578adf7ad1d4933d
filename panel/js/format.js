// How API values read to an agent: names, times, sizes, delivery states, who has the ball, errors.
// What differs by channel (titles, targets, where a reply goes) is in channels.js.

import { ApiError } from "./api.js";

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

export const DELIVERY = {
  pending: { icon: "…", label: "Sending" },
  sent: { icon: "✓", label: "Sent" },
  failed: { icon: "✕", label: "Failed" },
  bounced: { icon: "↩", label: "Bounced" },
};

export function deliveryText(delivery) {
  if (!delivery) return "";
  const known = DELIVERY[delivery.status] || { icon: "?", label: delivery.status };
  // A sent message's detail is a caveat the agent must see: "files not shared: …" (Slack refused the
  // files, the text is there), "sent from the shared address …".
  return delivery.detail && delivery.status !== "pending" ? `${known.label}: ${delivery.detail}` : known.label;
}

export function waitingText(item) {
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
