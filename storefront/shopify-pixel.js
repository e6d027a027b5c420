// Encore — Shopify custom pixel (Settings → Customer events → Add custom pixel).
//
// Paste this whole file as the pixel's code and replace ENCORE_ENDPOINT with the line
// `encore tracking-key create <store>` printed. Install steps and what is sent: docs/storefront.md.
//
// It runs in Shopify's pixel sandbox with the Web Pixels API's standard globals:
//   analytics.subscribe(name, callback)   standard customer events
//   init.customerPrivacy                  consent when the page loaded
//   api.customerPrivacy.subscribe("visitorConsentCollected", callback)   consent changes
//   browser.cookie / browser.localStorage the visitor id (asynchronous, top frame)
// (https://shopify.dev/docs/api/web-pixels-api)
//
// What it sends, and only while the visitor allows both analytics and marketing processing:
//   product_viewed         → "Product Viewed"   (product id, title, type, price, url)
//   product_added_to_cart  → "Product Added"    (product id)
//   cart_viewed            → "Cart Viewed"      (cart id)
//   checkout_started       → "Checkout Started" (the checkout token: the shop's signed
//                            checkouts/create webhook carries the same token, and that is
//                            what links this visitor to a customer)
// It never sends who the customer is (init.data.customer, emails, phones): Encore ignores a
// browser's claim of identity anyway, and the pixel does not make one.

const ENCORE_ENDPOINT = "https://YOUR-API-ID.execute-api.YOUR-REGION.amazonaws.com/v1/t/pk_REPLACE_WITH_YOUR_KEY";

const ENCORE_VISITOR = "_encore_vid"; // first-party cookie and localStorage key
const ENCORE_VISITOR_DAYS = 365; // rolling: every event sent renews it
const ENCORE_VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;

let encorePrivacy = (init && init.customerPrivacy) || {};

// A custom pixel reaches the Customer Privacy API as api.customerPrivacy; the callback's
// event.customerPrivacy is the visitor's new choice (the banner may change it mid-visit).
const encorePrivacyApi = typeof api !== "undefined" && api && api.customerPrivacy;
if (encorePrivacyApi) {
  encorePrivacyApi.subscribe("visitorConsentCollected", (event) => {
    encorePrivacy = (event && event.customerPrivacy) || {};
  });
}

function encoreAllowed() {
  // Browse reminders are marketing built on analytics: both must be granted, explicitly.
  return encorePrivacy.analyticsProcessingAllowed === true && encorePrivacy.marketingAllowed === true;
}

function encoreNewId() {
  if (typeof crypto !== "undefined" && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function encoreVisitorId() {
  let id = await browser.cookie.get(ENCORE_VISITOR);
  if (!ENCORE_VISITOR_ID.test(id || "")) id = await browser.localStorage.getItem(ENCORE_VISITOR);
  if (!ENCORE_VISITOR_ID.test(id || "")) id = encoreNewId();
  const expires = new Date(Date.now() + ENCORE_VISITOR_DAYS * 86400000).toUTCString();
  await browser.cookie.set(`${ENCORE_VISITOR}=${id}; expires=${expires}; path=/; SameSite=Lax; Secure`);
  await browser.localStorage.setItem(ENCORE_VISITOR, id);
  return id;
}

function encoreText(value) {
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

async function encoreSend(name, event, properties) {
  if (!encoreAllowed()) return; // no consent: nothing is sent and nothing is stored
  const visitor = await encoreVisitorId();
  const body = JSON.stringify({
    batch: [{ type: "track", event: name, messageId: String(event.id), anonymousId: visitor, timestamp: event.timestamp, properties }],
  });
  try {
    // text/plain keeps it a CORS "simple request" (no preflight); keepalive lets it finish
    // when the shopper navigates away; no cookies go to Encore.
    await fetch(ENCORE_ENDPOINT, { method: "POST", body, keepalive: true, credentials: "omit", headers: { "Content-Type": "text/plain" } });
  } catch (error) {
    // Tracking must never break the storefront; a lost view is only a lost view.
  }
}

analytics.subscribe("product_viewed", (event) => {
  const variant = event.data && event.data.productVariant;
  if (!variant || !variant.product || !variant.product.id) return;
  return encoreSend("Product Viewed", event, {
    product_id: String(variant.product.id),
    name: encoreText(variant.product.title),
    category: encoreText(variant.product.type),
    price: variant.price ? variant.price.amount : undefined,
    url: encoreText(variant.product.url),
  });
});

analytics.subscribe("product_added_to_cart", (event) => {
  const line = event.data && event.data.cartLine;
  const product = line && line.merchandise && line.merchandise.product;
  if (!product || !product.id) return;
  return encoreSend("Product Added", event, { product_id: String(product.id) });
});

analytics.subscribe("cart_viewed", (event) => {
  const cart = event.data && event.data.cart;
  return encoreSend("Cart Viewed", event, { cart_id: cart ? encoreText(cart.id) : undefined });
});

analytics.subscribe("checkout_started", (event) => {
  const checkout = event.data && event.data.checkout;
  if (!checkout || !checkout.token) return;
  return encoreSend("Checkout Started", event, { checkout_token: String(checkout.token) });
});
