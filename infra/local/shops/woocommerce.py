"""A faithful local fake of the WooCommerce REST API v3 (the part Encore uses).

Shapes follow WooCommerce's own controllers (``WC_REST_Webhooks_V1/V2_Controller``,
``WC_REST_Authentication``) and WordPress's REST server:

- Errors are ``{"code", "message", "data": {"status"}}``. No or unknown REST key: 401
  ``woocommerce_rest_cannot_view`` (``_create`` / ``_edit`` / ``_delete`` by method); a known
  key with the wrong secret: 401 ``woocommerce_rest_authentication_error`` "Consumer secret is
  invalid." (with ``WWW-Authenticate``); a Read-only key writing: 401 "The API key provided
  does not have write permissions.".
- ``GET/POST /wp-json/wc/v3/webhooks``, ``GET/PUT/DELETE /wp-json/wc/v3/webhooks/<id>``:
  fields ``id, name, status, topic, resource, event, hooks, delivery_url, date_created(_gmt),
  date_modified(_gmt)``; the ``secret`` is write-only (never returned). POST needs ``topic``
  and ``delivery_url`` (400 ``rest_missing_callback_param``), refuses an unknown topic with 400
  ``woocommerce_rest_shop_webhook_invalid_topic`` and a bad URL with
  ``..._invalid_delivery_url``, a status outside active|paused|disabled with 400
  ``rest_invalid_param``, and always creates the webhook ``active``. DELETE needs
  ``force=true`` (501 ``woocommerce_rest_trash_not_supported`` otherwise).
- Collections: ``per_page`` 1..100 (default 10), ``page``, ``status`` filter; ``X-WP-Total``,
  ``X-WP-TotalPages`` and ``Link`` headers; newest first.
- WooCommerce disables a webhook (status ``disabled``) after 5 consecutive failed deliveries
  (``woocommerce_max_webhook_delivery_failures``); the count is not in the REST API.
  ``fail_deliveries`` drives that.

- Reconciliation's reads: ``GET /wp-json/wc/v3/orders`` (``modified_after`` /
  ``modified_before`` with ``dates_are_gmt``, ``status`` (``any`` or one status), ``orderby``
  date|id|modified, ``order`` asc|desc) and ``GET /wp-json/wc/v3/customers`` (``role``, ``orderby``
  id|registered_date, ``order``; no date filter, as in WooCommerce), both paginated as above.
  Tests seed them with ``add_order`` / ``add_customer`` (the webhook payloads' shape).

Basic auth is accepted over this fake's plain HTTP (real WooCommerce takes it over HTTPS only).
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from infra.local.shops.server import FakeHttpServer, Reply, Request

API = "/wp-json/wc/v3"
STATUSES = ("active", "paused", "disabled")
RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
MAX_DELIVERY_FAILURES = 5
HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
}
_ITEM = re.compile(r"^/webhooks/(\d+)/?$")
_COUPON = re.compile(r"^/coupons/(\d+)/?$")


def _error(status: int, code: str, message: str, **data) -> Reply:
    return Reply(status, {"code": code, "message": message, "data": {"status": status, **data}})


def _valid_topic(topic: str) -> bool:
    resource, _, event = topic.partition(".")
    return (resource in RESOURCES and event in EVENTS) or (resource == "action" and bool(event))


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _local_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")  # the fake site's time zone is UTC


class FakeWooCommerce(FakeHttpServer):
    name = "fake-woocommerce"

    def __init__(
        self,
        *,
        site_url: str = "https://shop.example",
        consumer_key: str = "ck_local_fake",
        consumer_secret: str = "cs_local_fake",
        permissions: str = "read_write",
    ):
        super().__init__()
        self.site_url = site_url
        self.keys = {consumer_key: {"secret": consumer_secret, "permissions": permissions}}
        self.webhooks: dict[int, dict] = {}
        self.disabled_after_failures: list[int] = []
        self._next_id = 100
        self.orders: dict[int, dict] = {}
        self.customers: dict[int, dict] = {}
        self.coupons: dict[int, dict] = {}
        self.coupon_failure: tuple[int, str, str] | None = None  # (status, code, message) every coupon write answers

    # -- fault knobs and inspection (tests) ---------------------------------------------------

    def fail_deliveries(self, topic: str, times: int = 1, *, delivery_url: str | None = None) -> list[dict]:
        """``times`` consecutive failed deliveries of ``topic``'s active webhooks; past 5 in a row
        WooCommerce sets the webhook ``disabled``. Returns the webhooks it disabled."""
        disabled = []
        with self.lock:
            for webhook in self.webhooks.values():
                if webhook["topic"] != topic or webhook["status"] != "active" or (delivery_url and webhook["delivery_url"] != delivery_url):
                    continue
                webhook["failure_count"] += times
                if webhook["failure_count"] >= MAX_DELIVERY_FAILURES:
                    webhook["status"] = "disabled"
                    webhook["date_modified"] = _local_time()
                    disabled.append(self._present(webhook))
                    self.disabled_after_failures.append(webhook["id"])
        return disabled

    def add_webhook(self, topic: str, delivery_url: str, *, status: str = "active", name: str = "", secret: str = "") -> dict:
        """Seed a webhook as if made earlier (by the store owner, another plugin, an old deployment)."""
        with self.lock:
            return self._present(self._insert(name or f"Webhook {topic}", topic, delivery_url, secret or secrets.token_urlsafe(24), status))

    def topics(self) -> list[tuple[str, str, str]]:
        with self.lock:
            return sorted((w["topic"], w["delivery_url"], w["status"]) for w in self.webhooks.values())

    def secret_of(self, webhook_id: int) -> str:
        return self.webhooks[webhook_id]["secret"]

    def add_order(self, order: dict) -> dict:
        with self.lock:
            self.orders[int(order["id"])] = json.loads(json.dumps(order))
        return order

    def add_customer(self, customer: dict) -> dict:
        with self.lock:
            self.customers[int(customer["id"])] = json.loads(json.dumps(customer))
        return customer

    # -- HTTP --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if not request.path.startswith(API + "/"):
            return _error(404, "rest_no_route", "No route was found matching the URL and request method.")
        route = request.path[len(API) :]
        if route.rstrip("/") == "/coupons" or _COUPON.match(route):
            return self._coupons(request, route)
        if route.rstrip("/") in ("/orders", "/customers") and request.method == "GET":
            denied = self._authenticate(request, True)
            return denied or self._list_resources(route.strip("/"), dict(request.query))
        item = _ITEM.match(route)
        collection = route.rstrip("/") == "/webhooks"
        allowed = {"GET", "POST"} if collection else {"GET", "PUT", "PATCH", "POST", "DELETE"} if item else set()
        if request.method not in allowed:
            return _error(404, "rest_no_route", "No route was found matching the URL and request method.")
        denied = self._authenticate(request, collection)
        if denied:
            return denied
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError:
            return _error(400, "rest_invalid_json", "Invalid JSON body passed.")
        params = {**request.query, **(body if isinstance(body, dict) else {})}
        if collection and request.method == "GET":
            return self._list(params)
        if collection:
            return self._create(params)
        webhook_id = int(item.group(1))
        if request.method == "GET":
            return self._get(webhook_id)
        if request.method == "DELETE":
            return self._delete(webhook_id, params)
        return self._update(webhook_id, params)

    def _authenticate(self, request: Request, collection: bool) -> Reply | None:
        key = secret = ""
        if request.query.get("consumer_key") and request.query.get("consumer_secret"):
            key, secret = request.query["consumer_key"], request.query["consumer_secret"]
        else:
            header = request.header("Authorization") or ""
            if header.startswith("Basic "):
                try:
                    key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    key = secret = ""
        found = self.keys.get(key) if key and secret else None
        if found and not secrets.compare_digest(found["secret"], secret):
            reply = _error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
            reply.headers["WWW-Authenticate"] = (
                'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field."'
            )
            return reply
        if not found:
            code, message = {
                "GET": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources." if collection else "Sorry, you cannot view this resource."),
                "POST": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
                "DELETE": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
            }.get(request.method, ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."))
            return _error(401, code, message)
        writing = request.method in ("POST", "PUT", "PATCH", "DELETE")
        if writing and found["permissions"] not in ("write", "read_write"):
            return _error(401, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions.")
        if not writing and found["permissions"] not in ("read", "read_write"):
            return _error(401, "woocommerce_rest_authentication_error", "The API key provided does not have read permissions.")
        return None

    def _list(self, params: dict) -> Reply:
        problems = {}
        try:
            per_page = int(params.get("per_page", 10))
            if not 1 <= per_page <= 100:
                problems["per_page"] = "per_page must be between 1 (inclusive) and 100 (inclusive)"
        except (TypeError, ValueError):
            problems["per_page"] = "per_page is not of type integer."
        try:
            page = int(params.get("page", 1))
            if page < 1:
                problems["page"] = "page must be greater than or equal to 1"
        except (TypeError, ValueError):
            problems["page"] = "page is not of type integer."
        status = params.get("status", "all")
        if status not in ("all", *STATUSES):
            problems["status"] = "status is not one of all, active, paused, and disabled."
        if problems:
            return _error(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(problems)}", params=problems)
        items = sorted(self.webhooks.values(), key=lambda w: (w["date_created"], w["id"]), reverse=True)
        if status != "all":
            items = [w for w in items if w["status"] == status]
        total = len(items)
        pages = math.ceil(total / per_page)
        window = items[(page - 1) * per_page : page * per_page]
        if page > 1 and page > pages and total:
            return _error(400, "woocommerce_rest_invalid_page_number", "The page number requested is larger than the number of pages available.")
        links = []
        base = f"{self.site_url}{API}/webhooks"
        query = {key: value for key, value in params.items() if key not in ("page", "consumer_key", "consumer_secret")}
        if page > 1:
            links.append(f'<{base}?{urlencode({**query, "page": min(page - 1, pages)})}>; rel="prev"')
        if pages > page:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, [self._present(w) for w in window], headers)

    def _list_resources(self, kind: str, params: dict) -> Reply:
        problems = {}
        per_page, page = params.get("per_page", "10"), params.get("page", "1")
        if not str(per_page).isdigit() or not 1 <= int(per_page) <= 100:
            problems["per_page"] = "per_page must be between 1 (inclusive) and 100 (inclusive)"
        if not str(page).isdigit() or int(page) < 1:
            problems["page"] = "page must be greater than or equal to 1"
        orderings = {"orders": ("date", "id", "include", "title", "slug", "modified"), "customers": ("id", "include", "name", "registered_date")}[kind]
        orderby = params.get("orderby", "date" if kind == "orders" else "name")
        if orderby not in orderings:
            problems["orderby"] = f"orderby is not one of {', '.join(orderings)}."
        if params.get("order", "desc") not in ("asc", "desc"):
            problems["order"] = "order is not one of asc and desc."
        bounds = {}
        for name in ("modified_after", "modified_before", "after", "before"):
            if name in params:
                try:
                    bounds[name] = datetime.fromisoformat(params[name]).replace(tzinfo=None)
                except ValueError:
                    problems[name] = f"{name} is not a valid date."
        if problems:
            return _error(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(problems)}", params=problems)
        per_page, page = int(per_page), int(page)
        with self.lock:
            items = [json.loads(json.dumps(item)) for item in (self.orders if kind == "orders" else self.customers).values()]

        # The fake site's time zone is UTC, so local and GMT dates agree whatever dates_are_gmt says.
        def stamp(item: dict, field: str) -> datetime:
            return datetime.fromisoformat(item.get(f"{field}_gmt") or item.get(field) or "1970-01-01T00:00:00")

        if kind == "orders":
            status = params.get("status", "any")
            if status != "any":
                items = [item for item in items if item.get("status") in status.split(",")]
            for name, field, keep in (
                ("modified_after", "date_modified", lambda moment, bound: moment > bound),
                ("modified_before", "date_modified", lambda moment, bound: moment < bound),
                ("after", "date_created", lambda moment, bound: moment > bound),
                ("before", "date_created", lambda moment, bound: moment < bound),
            ):
                if name in bounds:
                    items = [item for item in items if keep(stamp(item, field), bounds[name])]
        key = {
            "id": lambda item: item["id"],
            "date": lambda item: stamp(item, "date_created"),
            "registered_date": lambda item: stamp(item, "date_created"),
            "modified": lambda item: stamp(item, "date_modified"),
        }.get(orderby, lambda item: (str(item.get("last_name") or item.get("name") or ""), item["id"]))
        items.sort(key=key, reverse=params.get("order", "desc") == "desc")
        total = len(items)
        pages = math.ceil(total / per_page)
        if page > 1 and page > pages and total:
            return _error(400, "woocommerce_rest_invalid_page_number", "The page number requested is larger than the number of pages available.")
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if pages > page:
            query = {key: value for key, value in params.items() if key not in ("page", "consumer_key", "consumer_secret")}
            headers["Link"] = f'<{self.site_url}{API}/{kind}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        return Reply(200, items[(page - 1) * per_page : page * per_page], headers)

    def _get(self, webhook_id: int) -> Reply:
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            return _error(400 if webhook_id else 404, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid." if webhook_id else "Invalid ID.")
        return Reply(200, self._present(webhook))

    def _create(self, params: dict) -> Reply:
        if params.get("id"):
            return _error(400, "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.")
        missing = [name for name in ("topic", "delivery_url") if name not in params]
        if missing:
            return _error(400, "rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}", params=missing)
        if "status" in params and params["status"] not in STATUSES:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): status", params={"status": "status is not one of active, paused, and disabled."})
        topic = str(params["topic"] or "").lower()
        if not topic or not _valid_topic(topic):
            return _error(400, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.")
        if not params["delivery_url"] or not _valid_url(str(params["delivery_url"])):
            return _error(
                400, "woocommerce_rest_shop_webhook_invalid_delivery_url", "Webhook delivery URL must be a valid URL starting with http:// or https://."
            )
        name = params.get("name") or f"Webhook created on {datetime.now(UTC):%b %d, %Y @ %I:%M %p}"
        # WooCommerce creates every REST webhook active, whatever status the request names.
        webhook = self._insert(name, topic, str(params["delivery_url"]), params.get("secret") or secrets.token_urlsafe(37), "active")
        return Reply(201, self._present(webhook), {"Location": f"{self.site_url}{API}/webhooks/{webhook['id']}"})

    def _update(self, webhook_id: int, params: dict) -> Reply:
        if "status" in params and params["status"] not in STATUSES:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): status", params={"status": "status is not one of active, paused, and disabled."})
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            return _error(400, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.")
        changes = {}
        if params.get("topic"):
            if not _valid_topic(str(params["topic"]).lower()):
                return _error(400, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.")
            changes["topic"] = str(params["topic"]).lower()
        if params.get("delivery_url"):
            if not _valid_url(str(params["delivery_url"])):
                return _error(
                    400, "woocommerce_rest_shop_webhook_invalid_delivery_url", "Webhook delivery URL must be a valid URL starting with http:// or https://."
                )
            changes["delivery_url"] = str(params["delivery_url"])
        if params.get("secret"):
            changes["secret"] = str(params["secret"])
        if params.get("status"):
            changes["status"] = params["status"]
            if params["status"] == "active":
                webhook["failure_count"] = 0  # re-activating starts the count afresh
        if params.get("name"):
            changes["name"] = str(params["name"])
        webhook.update(changes)
        webhook["date_modified"] = _local_time()
        return Reply(200, self._present(webhook))

    def _delete(self, webhook_id: int, params: dict) -> Reply:
        if str(params.get("force", "false")).lower() not in ("true", "1"):
            return _error(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        webhook = self.webhooks.pop(webhook_id, None)
        if webhook is None:
            return _error(404, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.")
        return Reply(200, self._present(webhook))

    # -- state -------------------------------------------------------------------------------

    def _insert(self, name: str, topic: str, delivery_url: str, secret: str, status: str) -> dict:
        self._next_id += 1
        now = _local_time()
        webhook = {
            "id": self._next_id,
            "name": name,
            "status": status,
            "topic": topic,
            "delivery_url": delivery_url,
            "secret": secret,
            "date_created": now,
            "date_modified": now,
            "failure_count": 0,
        }
        self.webhooks[self._next_id] = webhook
        return webhook

    def _present(self, webhook: dict) -> dict:
        resource, _, event = webhook["topic"].partition(".")
        return {
            "id": webhook["id"],
            "name": webhook["name"],
            "status": webhook["status"],
            "topic": webhook["topic"],
            "resource": resource,
            "event": event,
            "hooks": HOOKS.get(webhook["topic"], [f"{event}" if resource == "action" else ""]),
            "delivery_url": webhook["delivery_url"],
            "date_created": webhook["date_created"],
            "date_created_gmt": webhook["date_created"],
            "date_modified": webhook["date_modified"],
            "date_modified_gmt": webhook["date_modified"],
            "_links": {
                "self": [{"href": f"{self.site_url}{API}/webhooks/{webhook['id']}"}],
                "collection": [{"href": f"{self.site_url}{API}/webhooks"}],
            },
        }


# -- coupons (Encore's coupons): WC_REST_Coupons_Controller -----------------------------------------
# POST /coupons (code required, unique: 400 woocommerce_rest_coupon_code_already_exists),
# GET /coupons?code=..., GET/DELETE /coupons/<id> (DELETE without force=true moves it to the
# trash, with force=true deletes it; an unknown id is 404 woocommerce_rest_shop_coupon_invalid_id).

COUPON_FIELDS = (
    "code",
    "amount",
    "discount_type",
    "description",
    "date_expires",
    "date_expires_gmt",
    "individual_use",
    "usage_limit",
    "usage_limit_per_user",
    "email_restrictions",
)


def _coupon_methods():
    def _coupons(self, request: Request, route: str) -> Reply:
        item = _COUPON.match(route)
        allowed = {"GET", "POST"} if not item else {"GET", "DELETE"}
        if request.method not in allowed:
            return _error(404, "rest_no_route", "No route was found matching the URL and request method.")
        denied = self._authenticate(request, not item)
        if denied:
            return denied
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError:
            return _error(400, "rest_invalid_json", "Invalid JSON body passed.")
        params = {**request.query, **(body if isinstance(body, dict) else {})}
        if item:
            coupon = self.coupons.get(int(item.group(1)))
            if coupon is None or coupon["status"] == "trash" and request.method == "GET":
                return _error(404, "woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.")
            if request.method == "GET":
                return Reply(200, self._present_coupon(coupon))
            if self.coupon_failure:
                return _error(*self.coupon_failure)
            if str(params.get("force", "")).lower() in ("true", "1"):
                del self.coupons[coupon["id"]]
            else:
                coupon["status"] = "trash"
            return Reply(200, self._present_coupon(coupon))
        if request.method == "GET":
            found = [c for c in self.coupons.values() if c["status"] != "trash" and (not params.get("code") or c["code"] == str(params["code"]).lower())]
            return Reply(200, [self._present_coupon(c) for c in sorted(found, key=lambda c: -c["id"])], {"X-WP-Total": str(len(found)), "X-WP-TotalPages": "1"})
        if self.coupon_failure:
            return _error(*self.coupon_failure)
        code = str(params.get("code") or "").strip()
        if not code:
            return _error(400, "rest_missing_callback_param", "Missing parameter(s): code", params=["code"])
        # wc_format_coupon_code lower-cases; codes are unique among coupons not deleted for good.
        if any(c["code"] == code.lower() for c in self.coupons.values()):
            return _error(400, "woocommerce_rest_coupon_code_already_exists", "The coupon code already exists")
        discount_type = params.get("discount_type", "fixed_cart")
        if discount_type not in ("percent", "fixed_cart", "fixed_product"):
            return _error(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): discount_type",
                params={"discount_type": "discount_type is not one of percent, fixed_cart, and fixed_product."},
            )
        self._next_id += 1
        coupon = {"id": self._next_id, "status": "publish", "usage_count": 0, "used_by": [], "date_created": _local_time()}
        for field in COUPON_FIELDS:
            if field in params:
                coupon[field] = params[field]
        coupon["code"] = code.lower()
        coupon["discount_type"] = discount_type
        coupon["email_restrictions"] = [str(address).lower() for address in params.get("email_restrictions") or []]
        self.coupons[coupon["id"]] = coupon
        return Reply(201, self._present_coupon(coupon))

    def _present_coupon(self, coupon: dict) -> dict:
        return {key: value for key, value in coupon.items() if key != "used_by"}

    def code_valid_for(self, code: str, email: str, *, at: datetime | None = None) -> bool:
        """Would WooCommerce's cart accept ``code`` for ``email`` now (WC_Discounts::is_coupon_valid)."""
        with self.lock:
            coupon = next((c for c in self.coupons.values() if c["code"] == code.strip().lower() and c["status"] == "publish"), None)
            if coupon is None:
                return False
            moment = at or datetime.now(UTC)
            expires = coupon.get("date_expires_gmt") or coupon.get("date_expires")
            if expires and moment >= datetime.fromisoformat(expires).replace(tzinfo=UTC):
                return False
            if coupon.get("usage_limit") and coupon["usage_count"] >= int(coupon["usage_limit"]):
                return False
            if coupon.get("usage_limit_per_user") and coupon["used_by"].count(email.lower()) >= int(coupon["usage_limit_per_user"]):
                return False
            restrictions = coupon.get("email_restrictions") or []
            return not restrictions or email.lower() in restrictions

    return _coupons, _present_coupon, code_valid_for


(FakeWooCommerce._coupons, FakeWooCommerce._present_coupon, FakeWooCommerce.code_valid_for) = _coupon_methods()
