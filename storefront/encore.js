/*! Encore storefront script — for WooCommerce and any storefront that is not Shopify.
 *
 *   <script src="/encore.js" data-endpoint="https://API/v1/t/pk_..." data-consent="required" defer></script>
 *   <script>
 *     window.encoreQueue = window.encoreQueue || [];
 *     encoreQueue.push(["track", "Product Viewed", { product_id: "123", name: "Linen shirt", price: "49.00" }]);
 *   </script>
 *
 * After it loads, `encore.track(name, properties)` does the same. Install steps, the events it
 * accepts and what each one does: docs/storefront.md.
 *
 * - Events: "Product Viewed" (product_id, name, category, price, url), "Product Added"
 *   (product_id), "Cart Viewed", "Checkout Started". Anything else is refused by Encore (403):
 *   orders and customers come from the shop's signed webhooks, never from a browser.
 * - A product view is sent when the shopper leaves the page (or after 30 minutes), with the
 *   seconds they spent on it (`dwell_seconds`): browse abandonment's "more than 60 s" needs it.
 * - Identity: the script never sends who the shopper is. A visitor becomes a customer only
 *   through a signed server event naming the visitor id (WooCommerce: pass
 *   `encore.visitorId()` into the order, see docs/storefront.md).
 * - The visitor id: a random id in the first-party cookie `_encore_vid` (and localStorage),
 *   renewed for 365 days at each event sent.
 * - Consent: with data-consent="required" (the default) nothing is sent and nothing is stored
 *   until the page calls `encore.consent(true)` (from its cookie banner); `encore.consent(false)`
 *   stops it and forgets the visitor id. data-consent="implied" sends from the start.
 * - Transport: navigator.sendBeacon with a text/plain body (no CORS preflight, survives the
 *   page unloading), else fetch with keepalive. No cookies go to Encore.
 */
(function (window, document) {
  "use strict";

  var VISITOR = "_encore_vid";
  var VISITOR_DAYS = 365;
  var VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;
  var EVENTS = { "Product Viewed": 1, "Product Added": 1, "Cart Viewed": 1, "Checkout Started": 1 };
  var LONGEST_VIEW_MS = 30 * 60 * 1000;

  var script = document.currentScript || document.querySelector("script[data-endpoint][src*='encore']");
  var endpoint = script && script.getAttribute("data-endpoint");
  var consent = !script || script.getAttribute("data-consent") !== "implied" ? null : true;
  var openView = null; // the product view waiting for the page to be left
  var sequence = 0;

  function readCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // blocked storage (some privacy modes)
    }
  }

  function newId() {
    var crypto = window.crypto;
    if (crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function visitorId() {
    var store = storage();
    var id = readCookie(VISITOR);
    if (!VISITOR_ID.test(id || "") && store) id = store.getItem(VISITOR);
    if (!VISITOR_ID.test(id || "")) id = newId();
    var expires = new Date(Date.now() + VISITOR_DAYS * 86400000).toUTCString();
    var secure = window.location && window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = VISITOR + "=" + id + "; expires=" + expires + "; path=/; SameSite=Lax" + secure;
    if (store) store.setItem(VISITOR, id);
    return id;
  }

  function forget() {
    document.cookie = VISITOR + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
    var store = storage();
    if (store) store.removeItem(VISITOR);
  }

  function send(name, properties) {
    if (consent !== true || !endpoint) return false;
    sequence += 1;
    var body = JSON.stringify({
      batch: [{ type: "track", event: name, messageId: Date.now().toString(36) + "-" + sequence + "-" + newId().slice(0, 8), anonymousId: visitorId(), properties: properties || {} }],
    });
    var navigator = window.navigator;
    if (navigator && navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) return true;
    if (window.fetch) {
      window.fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } }).catch(function () {});
      return true;
    }
    return false;
  }

  function flushView() {
    if (!openView) return;
    var view = openView;
    openView = null;
    var seconds = Math.round((Math.min(Date.now() - view.at, LONGEST_VIEW_MS)) / 1000);
    var properties = {};
    for (var key in view.properties) if (Object.prototype.hasOwnProperty.call(view.properties, key)) properties[key] = view.properties[key];
    properties.dwell_seconds = seconds;
    send("Product Viewed", properties);
  }

  function track(name, properties) {
    if (!EVENTS[name]) throw new Error("encore.track: a storefront may send only " + Object.keys(EVENTS).join(", "));
    if (name === "Product Viewed") {
      flushView(); // a single-page storefront moving to the next product
      openView = { properties: properties || {}, at: Date.now() };
      setTimeout(flushView, LONGEST_VIEW_MS);
      return true;
    }
    return send(name, properties);
  }

  var encore = {
    track: track,
    consent: function (granted) {
      consent = granted === true;
      if (!consent) {
        openView = null;
        forget();
      }
    },
    visitorId: function () {
      return consent === true ? visitorId() : null;
    },
    flush: flushView,
  };

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushView();
  });
  window.addEventListener("pagehide", flushView);

  var queued = window.encoreQueue || [];
  window.encore = encore;
  window.encoreQueue = { push: function (call) { return encore[call[0]].apply(null, call.slice(1)); } };
  for (var i = 0; i < queued.length; i += 1) window.encoreQueue.push(queued[i]);
})(window, document);
