// "New Slack": a person (DM), a group of 2 to 8 people (group DM) or a channel, each by a name from
// the directory or by its Slack id; an optional subject; the message. With the API at hand, names
// autocomplete from the account's workspace (slack-picker.js), the workspace is chosen when the
// account has several, and a channel shared with another organisation must be confirmed before posting.

import { clear, h, uid } from "./dom.js";
import { bindSubmit, formFrame } from "./form.js";
import { attachPicker } from "./slack-picker.js";

const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
const SLACK_CHANNEL = /^[CGD][A-Z0-9]{2,20}$/;
const TARGETS = [["user", "A person (direct message)"], ["group", "A group of 2 to 8 people (group DM)"],
  ["channel", "A channel"]];
const NAMES = { "slack.user_ids": "Slack people", "slack.channel_id": "Slack channel",
  "slack.team_id": "Slack workspace" };

export function mountSlackForm({ directory, send, cancel, api, extras }) {
  const usersList = uid("sc-slack-users");
  const channelsList = uid("sc-slack-channels");
  const name = uid("sc-target");
  const targets = h("fieldset", {}, h("legend", { text: "Send to" }),
    TARGETS.map(([value, label], index) => {
      const id = uid("sc-target");
      return h("div", { class: "sc-check" },
        h("input", { type: "radio", name, id, value, checked: index === 0 }),
        h("label", { for: id, text: label }));
    }));
  const inputs = {
    user: targetField("user", "Slack person", "A name from the list or a Slack user id, e.g. U0ALICE.",
      { list: usersList, "data-field": "slack.user_ids" }),
    group: targetField("group", "Slack people", "2 to 8 names or user ids, separated by commas.",
      { "data-field": "slack.user_ids" }),
    channel: targetField("channel", "Slack channel", "A channel name from the list or its id, e.g. C0ONCALL. "
      + "The Atender app must be in the channel.", { list: channelsList, "data-field": "slack.channel_id" }),
  };
  const workspaceId = uid("sc-workspace");
  const workspace = h("select", { id: workspaceId, "data-field": "slack.team_id" });
  const workspaceField = h("div", { class: "sc-field", hidden: true },
    h("label", { for: workspaceId, text: "Slack workspace" }), workspace);
  const shared = new Set(); // channels shared with another organisation (Slack Connect)
  const confirmId = uid("sc-shared");
  const confirmShared = h("input", { type: "checkbox", id: confirmId });
  const sharedWarning = h("div", { class: "sc-field sc-warning", hidden: true, role: "alert" },
    h("p", { class: "sc-badge sc-badge-warning",
      text: "This channel is shared with another organisation: people outside your company will read this." }),
    h("div", { class: "sc-check" }, confirmShared,
      h("label", { for: confirmId, text: "Post to the shared channel anyway" })));
  const subjectId = uid("sc-subject");
  const bodyId = uid("sc-body");
  const subject = h("input", { id: subjectId, type: "text", maxlength: "250", "data-field": "subject" });
  const body = h("textarea", { id: bodyId, rows: "5", required: true, maxlength: "50000", "data-field": "body" });
  const { form, errors, submit } = formFrame({ title: "New Slack side conversation", submitLabel: "Post to Slack",
    onCancel: cancel },
  workspaceField, targets, Object.values(inputs).map((input) => input.closest(".sc-field")), sharedWarning,
  h("datalist", { id: usersList }, [...directory.users].map(([id, label]) => h("option", { value: id, text: label }))),
  h("datalist", { id: channelsList },
    [...directory.channels].map(([id, label]) => h("option", { value: id, text: `#${label}` }))),
  h("div", { class: "sc-field" }, h("label", { for: subjectId, text: "Subject (optional)" }), subject),
  h("div", { class: "sc-field" }, h("label", { for: bodyId, text: "Message" }), body), extras?.elements);
  const target = () => form.querySelector(`input[name="${name}"]:checked`).value;
  targets.addEventListener("change", () => {
    for (const wrapper of form.querySelectorAll("[data-target]")) wrapper.hidden = wrapper.dataset.target !== target();
  });
  const channelId = () => resolve(inputs.channel.value, /^#/, SLACK_CHANNEL, directory.channels);
  const showShared = () => {
    sharedWarning.hidden = !(target() === "channel" && shared.has(channelId()));
  };
  inputs.channel.addEventListener("input", showShared);
  targets.addEventListener("change", showShared);
  if (api) {
    const team = () => workspace.value || null;
    attachPicker(inputs.user, { api, kind: "user", team, directory });
    attachPicker(inputs.group, { api, kind: "user", team, directory, multiple: true });
    attachPicker(inputs.channel, { api, kind: "channel", team, directory, onPick: (entry) => {
      if (entry.is_shared_externally) shared.add(entry.id);
      showShared();
    } });
    loadWorkspaces(api, workspace, workspaceField);
  }
  const collect = () => {
    const slack = { target: target() };
    // Named only when there is a choice: the only workspace goes without saying (and the request, its
    // Idempotency-Key with it, stays the same whether or not the list had arrived when it was first sent).
    if (!workspaceField.hidden && workspace.value) slack.team_id = workspace.value;
    const raw = inputs[slack.target].value;
    if (slack.target === "channel") slack.channel_id = resolve(raw, /^#/, SLACK_CHANNEL, directory.channels);
    else slack.user_ids = raw.split(",").map((part) => resolve(part, /^@/, SLACK_USER, directory.users)).filter(Boolean);
    const request = { channel: "slack", body: body.value, slack };
    if (subject.value.trim()) request.subject = subject.value.trim();
    return { ...request, ...extras?.collect() };
  };
  const checkAll = (request) => {
    const problems = [...check(request), ...(extras?.check() || [])];
    if (request.slack.target === "channel" && shared.has(request.slack.channel_id) && !confirmShared.checked) {
      problems.push({ field: "slack.channel_id",
        detail: "The channel is shared with another organisation: confirm below to post there." });
    }
    return problems;
  };
  bindSubmit(form, { submit, errors, collect, check: checkAll, send, fields: {
    // Both person targets say `slack.user_ids`: the one on show is meant.
    control: (field) => (field.startsWith("slack.") ? inputs[target()] : null),
    label: (field) => NAMES[field.split(".").slice(0, 2).join(".")] || null,
  } });
  return form;
}

/** The account's workspaces: a choice only when there are several. The only one is still named (hidden),
 * so each directory lookup names its workspace and costs the API one Query. */
async function loadWorkspaces(api, select, field) {
  try {
    const { items } = await api.request("GET", "/v1/slack/workspaces");
    const active = items.filter((w) => w.state === "active");
    clear(select).append(...active.map((w) => h("option", { value: w.team_id, text: w.team_name || w.team_id })));
    field.hidden = active.length < 2;
  } catch {
    // No list: the API picks the only workspace, or names the field when it needs one.
  }
}

/** A labelled input shown only for its target; returns the input. */
function targetField(target, label, hint, attrs) {
  const id = uid("sc-slack");
  const hintId = uid("sc-hint");
  const input = h("input", { id, type: "text", autocomplete: "off", "aria-describedby": hintId, ...attrs });
  h("div", { class: "sc-field", "data-target": target, hidden: target !== "user" },
    h("label", { for: id, text: label }), input, h("p", { class: "sc-hint", id: hintId, text: hint }));
  return input;
}

/** An id as typed, or the id of the directory entry with that name ("#billing" → C0BILLING). */
function resolve(text, sigil, idPattern, names) {
  const value = text.trim().replace(sigil, "");
  if (!value) return null;
  if (idPattern.test(value)) return value;
  for (const [id, label] of names) if (label.toLowerCase() === value.toLowerCase()) return id;
  return value;
}

function check(request) {
  const problems = [];
  const { slack } = request;
  const people = slack.user_ids || [];
  const allUsers = people.every((u) => SLACK_USER.test(u));
  if (slack.target === "channel" && !SLACK_CHANNEL.test(slack.channel_id || "")) {
    problems.push({ field: "slack.channel_id", detail: "Pick a channel from the list or enter its id." });
  }
  if (slack.target === "user" && (people.length !== 1 || !allUsers)) {
    problems.push({ field: "slack.user_ids", detail: "Pick one person from the list or enter their user id." });
  }
  if (slack.target === "group" && (people.length < 2 || people.length > 8 || !allUsers)) {
    problems.push({ field: "slack.user_ids", detail: "A group DM needs 2 to 8 people (names or user ids)." });
  }
  if (!request.body.trim()) problems.push({ field: "body", detail: "Message is missing." });
  return problems;
}
