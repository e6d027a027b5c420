// A stand-in browser page for storefront/encore.js: runs the script as a page would load it
// (document.currentScript with its data-* attributes, cookies, localStorage, sendBeacon, page
// lifecycle events, a clock the steps move), replays steps, and prints what it sent.
//
//   node script_browser.js <scenario.json>
//
// scenario: {script, endpoint, consent ("required" | "implied"), queued: [[method, ...args]],
//            steps: [{call: [method, ...args]} | {wait_seconds: n} | {page: "hidden" | "pagehide"}]}
// Output: {beacons: [{url, type, body}], cookie, localStorage, errors: [messages thrown by calls]}
"use strict";

const fs = require("fs");
const vm = require("vm");

async function main() {
  const scenario = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const source = fs.readFileSync(scenario.script, "utf8");
  let now = Date.UTC(2026, 10, 2, 9, 0, 0);
  const cookies = {};
  const storage = {};
  const listeners = {};
  const beacons = [];
  const errors = [];

  const attributes = { "data-endpoint": scenario.endpoint, "data-consent": scenario.consent || "required", src: "/encore.js" };
  const document = {
    currentScript: { getAttribute: (name) => (name in attributes ? attributes[name] : null) },
    visibilityState: "visible",
    addEventListener: (name, callback) => (listeners[name] = listeners[name] || []).push(callback),
    get cookie() {
      return Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join("; ");
    },
    set cookie(text) {
      const parts = text.split(";").map((part) => part.trim());
      const [name, value] = [parts[0].slice(0, parts[0].indexOf("=")), parts[0].slice(parts[0].indexOf("=") + 1)];
      const expires = parts.find((part) => part.toLowerCase().startsWith("expires="));
      if (expires && new Date(expires.slice(8)).getTime() <= now) delete cookies[name];
      else cookies[name] = value;
    },
  };
  const window = {
    document,
    location: { protocol: "https:" },
    crypto: globalThis.crypto,
    localStorage: {
      getItem: (name) => (name in storage ? storage[name] : null),
      setItem: (name, value) => (storage[name] = String(value)),
      removeItem: (name) => delete storage[name],
    },
    navigator: {
      sendBeacon(url, blob) {
        beacons.push({ url, blob });
        return true;
      },
    },
    addEventListener: (name, callback) => (listeners[name] = listeners[name] || []).push(callback),
    encoreQueue: scenario.queued || [],
  };
  class FakeDate extends Date {
    constructor(...args) {
      super(...(args.length ? args : [now]));
    }
    static now() {
      return now;
    }
  }
  const context = vm.createContext({ window, document, Blob, Date: FakeDate, Uint8Array, setTimeout: () => 0, Object, Array, JSON, Math, RegExp, String, Error });
  vm.runInContext(source, context, { filename: scenario.script });

  for (const step of scenario.steps) {
    if (step.call) {
      try {
        window.encore[step.call[0]](...step.call.slice(1));
      } catch (error) {
        errors.push(error.message);
      }
    } else if (step.wait_seconds) {
      now += step.wait_seconds * 1000;
    } else if (step.page === "hidden") {
      document.visibilityState = "hidden";
      for (const callback of listeners.visibilitychange || []) callback();
    } else if (step.page === "pagehide") {
      for (const callback of listeners.pagehide || []) callback();
    }
  }
  const sent = [];
  for (const beacon of beacons) sent.push({ url: beacon.url, type: beacon.blob.type, body: await beacon.blob.text() });
  process.stdout.write(JSON.stringify({ beacons: sent, cookie: cookies._encore_vid || null, localStorage: storage, errors }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
