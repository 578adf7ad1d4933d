// How a page of the panel gets the agent's (or admin's) token. Embedded in the helpdesk, the host
// answers {type: "sideconv:token-request"} with {type: "sideconv:token", token} (and may send a fresh
// one at any time); only messages from `origin` are trusted. Opened directly on the local stack, it
// signs in through /_local/token instead (never in AWS). See docs/PANEL.md.
//
//   const session = await signIn(params, { role: "admin" });
//   if (!session) …not signed in…
//   new Api({ getToken: session.getToken, onUnauthorized: session.onUnauthorized });

/**
 * @param {URLSearchParams} params the page's query (`origin`; locally `role`, `account`, `user`)
 * @param {{role?: string}} [defaults] the role asked of the local stack when the URL names none
 * @returns {Promise<null|{embedded: boolean, getToken: () => Promise<string|null>, onUnauthorized?: () => void}>}
 */
export async function signIn(params, { role = "agent" } = {}) {
  const embedded = window.parent !== window;
  const hostOrigin = params.get("origin") || window.location.origin;
  let token = null;
  let waiters = [];

  const setToken = (value) => {
    token = value;
    for (const resolve of waiters) resolve(value);
    waiters = [];
  };
  const requestToken = () => window.parent.postMessage({ type: "sideconv:token-request" }, hostOrigin);

  if (embedded) {
    window.addEventListener("message", (event) => {
      if (event.origin !== hostOrigin || event.source !== window.parent) return;
      if (event.data?.type === "sideconv:token" && typeof event.data.token === "string") setToken(event.data.token);
    });
    requestToken();
  } else {
    const minted = await localToken(params, role).catch(() => null);
    if (!minted) return null;
    setToken(minted);
  }

  async function getToken() {
    if (token) return token;
    if (!embedded) return null;
    requestToken();
    return new Promise((resolve) => {
      waiters.push(resolve);
      window.setTimeout(() => resolve(token), 10_000);
    });
  }

  // An expired token: forget it and ask the host again; the next request waits for the new one.
  return { embedded, getToken, onUnauthorized: embedded ? () => { token = null; } : undefined };
}

async function localToken(params, role) {
  const query = new URLSearchParams({ role: params.get("role") || role, account: params.get("account") || "acme",
    user: params.get("user") || "agent-1" });
  const response = await fetch(`/_local/token?${query}`);
  if (!response.ok) return null;
  return (await response.json()).token;
}

let config = null;

/** /panel/config.json (written at deploy time, never from the URL), fetched once; {} when it cannot be read. */
function panelConfig() {
  config ??= fetch("/panel/config.json", { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}));
  return config;
}

/** Where /v1 lives, from /panel/config.json. */
export async function apiBase() {
  return (await panelConfig()).api_base || "";
}

/** The channels' labels, from the service's channel registry (sideconv.channels) through /panel/config.json. */
export async function channelLabels() {
  return (await panelConfig()).channels || {};
}
