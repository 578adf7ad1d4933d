// The Connections view's "Sending domains" section: add a domain, copy each DNS record to publish,
// see its state (read from SES), remove it; the senders on verified domains and the default one;
// the account's bounces and complaints. Everything through /v1/email/* with the admin's token.

import { clear, h, uid } from "./dom.js";

// An address or domain in a path: escaped, but "@" kept (it is allowed there and reads better in logs).
const inPath = (value) => encodeURIComponent(value).replace(/%40/g, "@");

const STATE_LABELS = {
  pending: "Pending: publish the records below, then check again",
  verified: "Verified",
  failed: "Failed: SES could not find the records",
  temporary_failure: "Temporary failure: SES will try again",
};

export default {
  id: "email-domains",
  title: "Sending domains",
  mount(element, { api }) {
    const section = new EmailDomains(element, api);
    section.load();
    return section;
  },
};

class EmailDomains {
  constructor(element, api) {
    this.api = api;
    this.status = h("p", { class: "sc-sr-only", role: "status", "aria-live": "polite" });
    this.error = h("p", { class: "sc-alert", role: "alert", hidden: true });
    this.summary = h("div", { class: "sc-email-summary" });
    this.domains = h("ul", { class: "sc-domains", "aria-label": "Sending domains" });
    this.senders = h("ul", { class: "sc-senders", "aria-label": "Senders" });
    element.append(
      h("p", { class: "sc-subtitle", text: "Mail from your own domain, signed for it (DKIM), with its own "
        + "reputation. Until a domain is verified, mail comes from the shared address." }),
      this.status, this.error, this.summary, this.addDomainForm(), this.domains,
      h("h4", { text: "Senders" }), this.senders, this.addSenderForm());
  }

  async call(method, path, body) {
    this.error.hidden = true;
    try {
      return await this.api.request(method, path, { body });
    } catch (error) {
      this.error.textContent = error.detail || error.title || "The request failed.";
      this.error.hidden = false;
      throw error;
    }
  }

  async load() {
    const [settings, domains, senders] = await Promise.all([
      this.call("GET", "/v1/email/settings"), this.call("GET", "/v1/email/domains"),
      this.call("GET", "/v1/email/senders")]).catch(() => [null, null, null]);
    if (settings) this.renderSummary(settings);
    if (domains) this.renderDomains(domains.items);
    if (senders) this.renderSenders(senders.items);
  }

  announce(text) {
    this.status.textContent = text;
  }

  renderSummary(settings) {
    const from = settings.from;
    clear(this.summary).append(
      h("p", { class: "sc-email-from" }, "New mail comes from ", h("strong", { text: `${from.name} <${from.email}>` }),
        from.shared ? " (the shared address: no verified domain yet)" : ""),
      h("p", { class: "sc-email-reputation",
        text: `Bounces: ${settings.bounce_count ?? 0} · Complaints: ${settings.complaint_count ?? 0}`
          + ` · Suppressed recipients: ${settings.suppressed_count ?? 0}` }));
  }

  addDomainForm() {
    const inputId = uid("sc-domain");
    const input = h("input", { id: inputId, type: "text", required: true, placeholder: "acme.example",
      autocomplete: "off", "data-field": "domain" });
    const form = h("form", { class: "sc-add-domain" },
      h("label", { for: inputId, text: "Domain" }), input,
      h("button", { type: "submit", class: "sc-button", text: "Add domain" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const domain = await this.call("POST", "/v1/email/domains", { domain: input.value.trim() }).catch(() => null);
      if (!domain) return;
      input.value = "";
      this.announce(`${domain.domain} added: publish its DNS records.`);
      await this.load();
    });
    return form;
  }

  renderDomains(items) {
    clear(this.domains);
    if (!items.length) this.domains.append(h("li", { class: "sc-empty", text: "No sending domain yet." }));
    for (const domain of items) this.domains.append(this.domainItem(domain));
  }

  domainItem(domain) {
    const headingId = uid("sc-domain-name");
    const rows = domain.dns_records.map((record) => h("tr", { "data-purpose": record.purpose },
      h("td", { text: record.type }), h("td", { class: "sc-mono", text: record.name }),
      h("td", { class: "sc-mono", text: record.priority ? `${record.priority} ${record.value}` : record.value }),
      h("td", {}, this.copyButton(record.value, `Copy ${record.purpose} ${record.type} value for ${record.name}`))));
    return h("li", { class: "sc-domain", "data-domain": domain.domain, "aria-labelledby": headingId },
      h("h4", { id: headingId, text: domain.domain }),
      h("p", { class: `sc-domain-state sc-state-${domain.state}`, text: STATE_LABELS[domain.state] || domain.state }),
      h("table", { class: "sc-dns-records" },
        h("caption", { text: `DNS records for ${domain.domain}` }),
        h("thead", {}, h("tr", {}, ["Type", "Name", "Value", ""].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, rows)),
      h("div", { class: "sc-actions" },
        this.copyButton(domain.zone_file, `Copy zone file for ${domain.domain}`, "Copy zone file"),
        h("button", { type: "button", class: "sc-button sc-link", text: "Check again",
          onclick: async () => { await this.load(); this.announce(`${domain.domain}: state checked.`); } }),
        h("button", { type: "button", class: "sc-button sc-link", text: `Remove ${domain.domain}`,
          onclick: async () => {
            if (!window.confirm(`Remove ${domain.domain} and its senders?`)) return;
            await this.call("DELETE", `/v1/email/domains/${inPath(domain.domain)}`).catch(() => null);
            this.announce(`${domain.domain} removed.`);
            await this.load();
          } })));
  }

  copyButton(text, label, shown = "Copy") {
    return h("button", { type: "button", class: "sc-button sc-link", "aria-label": label, text: shown,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text);
          this.announce("Copied.");
        } catch {
          this.announce("Could not copy: select the text and copy it.");
        }
      } });
  }

  renderSenders(items) {
    clear(this.senders);
    if (!items.length) this.senders.append(h("li", { class: "sc-empty", text: "No sender yet." }));
    for (const sender of items) {
      this.senders.append(h("li", { class: "sc-sender", "data-address": sender.address },
        h("span", { text: `${sender.name} <${sender.address}>` }),
        sender.default ? h("strong", { class: "sc-badge", text: " Default" }) : null,
        sender.verified ? null : h("span", { class: "sc-badge", text: " (domain not verified)" }),
        sender.default || !sender.verified ? null : h("button", { type: "button", class: "sc-button sc-link",
          text: `Make ${sender.address} the default`,
          onclick: () => this.putSender(sender.address, sender.name, true) })));
    }
  }

  addSenderForm() {
    const addressId = uid("sc-sender-address");
    const nameId = uid("sc-sender-name");
    const defaultId = uid("sc-sender-default");
    const address = h("input", { id: addressId, type: "text", required: true, "data-field": "address" });
    const name = h("input", { id: nameId, type: "text", required: true, maxlength: "200", "data-field": "name" });
    const makeDefault = h("input", { id: defaultId, type: "checkbox" });
    const form = h("form", { class: "sc-add-sender" },
      h("span", { class: "sc-field" }, h("label", { for: addressId, text: "Sender address" }), address),
      h("span", { class: "sc-field" }, h("label", { for: nameId, text: "Sender name" }), name),
      h("span", { class: "sc-check" }, makeDefault, h("label", { for: defaultId, text: "Default sender" })),
      h("button", { type: "submit", class: "sc-button", text: "Save sender" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (await this.putSender(address.value.trim(), name.value.trim(), makeDefault.checked)) form.reset();
    });
    return form;
  }

  async putSender(address, name, makeDefault) {
    const saved = await this.call("PUT", `/v1/email/senders/${inPath(address)}`,
      { name, default: makeDefault }).catch(() => null);
    if (!saved) return false;
    this.announce(saved.default ? `${saved.address} is the default sender.` : `${saved.address} saved.`);
    await this.load();
    return true;
  }
}
