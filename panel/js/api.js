// The side-conversations API client: bearer token, Idempotency-Key on POSTs, problem+json errors.

export class ApiError extends Error {
  /** @param {number} status @param {{title?: string, detail?: string, errors?: Array<object>}} problem */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || null;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

export function newKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Api {
  /**
   * @param {{baseUrl?: string, getToken: () => (string|Promise<string>), onUnauthorized?: () => void}} options
   * baseUrl is where /v1 lives ("" when the panel is served from the API's origin); onUnauthorized
   * hears of a 401 (an expired token), so the host can hand over a fresh one before the next request.
   */
  constructor({ baseUrl = "", getToken, onUnauthorized }) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.getToken = getToken;
    this.onUnauthorized = onUnauthorized;
  }

  base(conversationId) {
    return `/v1/conversations/${encodeURIComponent(conversationId)}/side-conversations`;
  }

  async request(method, path, { body, query, idempotencyKey } = {}) {
    const url = new URL(this.baseUrl + path, window.location.href);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Accept: "application/json, application/problem+json" };
    const token = await this.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(0, { title: "Network error", detail: "The side-conversations service could not be reached." });
    }
    const text = await response.text();
    let payload = null;
    try {
      payload = text ? JSON.parse(text) : null;
    } catch {
      payload = null;
    }
    if (!response.ok) {
      // API Gateway's authorizer answers {"message": "Unauthorized"}; the API answers problem+json.
      const problem = payload && typeof payload === "object" ? payload : {};
      if (!problem.title && problem.message) problem.title = problem.message;
      if (response.status === 401 && typeof this.onUnauthorized === "function") this.onUnauthorized();
      throw new ApiError(response.status, problem);
    }
    return payload;
  }

  list(conversationId, { state, limit = 25, nextToken } = {}) {
    return this.request("GET", this.base(conversationId), { query: { state, limit, next_token: nextToken } });
  }

  get(conversationId, id, { limit = 100, nextToken } = {}) {
    return this.request("GET", `${this.base(conversationId)}/${encodeURIComponent(id)}`,
      { query: { limit, next_token: nextToken } });
  }

  /** The summary and every message, following next_token (bounded: a thread is read, not mirrored). */
  async getThread(conversationId, id, { maxPages = 20 } = {}) {
    const first = await this.get(conversationId, id);
    const messages = [...(first.messages || [])];
    let token = first.next_token;
    for (let page = 1; token && page < maxPages; page += 1) {
      const next = await this.get(conversationId, id, { nextToken: token });
      messages.push(...(next.messages || []));
      token = next.next_token;
    }
    return { ...first, messages, next_token: token || null };
  }

  create(conversationId, body, idempotencyKey = newKey()) {
    return this.request("POST", this.base(conversationId), { body, idempotencyKey });
  }

  /** `reply` is the text, or {body, context, redact, attachments}. */
  reply(conversationId, id, reply, idempotencyKey = newKey()) {
    return this.request("POST", `${this.base(conversationId)}/${encodeURIComponent(id)}/messages`,
      { body: typeof reply === "string" ? { body: reply } : reply, idempotencyKey });
  }

  update(conversationId, id, patch) {
    return this.request("PATCH", `${this.base(conversationId)}/${encodeURIComponent(id)}`, { body: patch });
  }

  markRead(conversationId, id, messageId) {
    return this.request("PUT", `${this.base(conversationId)}/${encodeURIComponent(id)}/read`,
      { body: { message_id: messageId } });
  }

  original(conversationId, id, messageId) {
    return this.request("GET",
      `${this.base(conversationId)}/${encodeURIComponent(id)}/messages/${encodeURIComponent(messageId)}/original`);
  }

  /** A presigned POST for one file to attach (issue 16): {upload_id, url, fields, expires_at}. */
  upload(conversationId, file) {
    return this.request("POST", `/v1/conversations/${encodeURIComponent(conversationId)}/uploads`, { body: file });
  }

  attachmentLink(conversationId, id, messageId, attachmentId) {
    return this.request("GET", `${this.base(conversationId)}/${encodeURIComponent(id)}/messages/`
      + `${encodeURIComponent(messageId)}/attachments/${encodeURIComponent(attachmentId)}`);
  }
}
