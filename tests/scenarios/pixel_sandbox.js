// A stand-in for Shopify's pixel sandbox: runs storefront/shopify-pixel.js (the file a merchant
// pastes, unchanged but for its endpoint line) with the Web Pixels API's standard globals, then
// replays a script of steps and prints what happened as one JSON document on stdout.
//
//   node pixel_sandbox.js <scenario.json>
//
// scenario: {
//   pixel: path of the pixel file, endpoint: what replaces ENCORE_ENDPOINT,
//   privacy: init.customerPrivacy, customer: init.data.customer (what Shopify knows),
//   cookies: {name: value} already in the shopper's browser, origin, userAgent,
//   post: true to really POST (to the local stack's HTTP API), false to only record,
//   steps: [{event: name, payload: {...documented event...}} | {consent: {...customerPrivacy}}]
// }
// Output: {requests: [{url, method, headers, body, keepalive, credentials, status, reply}], cookies, localStorage}
"use strict";

const fs = require("fs");
const vm = require("vm");

async function main() {
  const scenario = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  let source = fs.readFileSync(scenario.pixel, "utf8");
  const endpointLine = /^const ENCORE_ENDPOINT = ".*";$/m;
  if (!endpointLine.test(source)) throw new Error("the pixel has no ENCORE_ENDPOINT line to configure");
  source = source.replace(endpointLine, `const ENCORE_ENDPOINT = ${JSON.stringify(scenario.endpoint)};`);

  const handlers = {};
  const privacyHandlers = [];
  const cookies = { ...(scenario.cookies || {}) };
  const storage = { ...(scenario.localStorage || {}) };
  const requests = [];
  const pending = [];

  const analytics = {
    subscribe(name, callback) {
      (handlers[name] = handlers[name] || []).push(callback);
    },
  };
  const browser = {
    cookie: {
      async get(name) {
        return cookies[name] || "";
      },
      async set(text) {
        const [pair] = text.split(";");
        const at = pair.indexOf("=");
        cookies[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
        return text;
      },
    },
    localStorage: {
      async getItem(name) {
        return Object.prototype.hasOwnProperty.call(storage, name) ? storage[name] : null;
      },
      async setItem(name, value) {
        storage[name] = String(value);
      },
    },
  };
  // The browser's part of a fetch: it adds the Origin (a sandboxed frame's is "null") and its
  // own User-Agent, which page code cannot set.
  async function fetchStandIn(url, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (scenario.origin !== undefined) headers["Origin"] = scenario.origin;
    headers["User-Agent"] = scenario.userAgent || "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    const record = { url, method: options.method || "GET", headers, body: options.body, keepalive: options.keepalive === true, credentials: options.credentials };
    requests.push(record);
    if (!scenario.post) return { ok: true, status: 202 };
    const response = await fetch(url, { method: record.method, headers, body: options.body });
    record.status = response.status;
    record.reply = await response.text();
    return response;
  }
  const context = vm.createContext({
    analytics,
    browser,
    init: { customerPrivacy: scenario.privacy || {}, data: { customer: scenario.customer || null } },
    api: { customerPrivacy: { subscribe: async (name, callback) => (name === "visitorConsentCollected" ? privacyHandlers.push(callback) : undefined) } },
    fetch: fetchStandIn,
    crypto: globalThis.crypto,
    console,
  });
  vm.runInContext(source, context, { filename: scenario.pixel });

  for (const step of scenario.steps) {
    if (step.consent) {
      for (const callback of privacyHandlers) callback({ customerPrivacy: step.consent });
      continue;
    }
    for (const callback of handlers[step.event] || []) pending.push(Promise.resolve(callback(step.payload)));
    await Promise.all(pending.splice(0)); // one event at a time, as a shopper's clicks come
  }
  process.stdout.write(JSON.stringify({ requests, cookies, localStorage: storage, subscribed: Object.keys(handlers).sort() }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
