"""A faithful local fake of the Shopify Admin GraphQL API (the part Encore uses).

Requests are parsed, validated and executed by graphql-core against a subset of Shopify's
own schema (2025-10 names and types), so a query with a misspelt field, a wrong variable type
or a topic that is not a ``WebhookSubscriptionTopic`` fails here as it fails at Shopify.
Around it, what Shopify does outside the schema:

- ``POST /admin/api/{version}/graphql.json`` only; ``X-Shopify-Access-Token`` must be one of
  ``tokens``, else HTTP 401 ``{"errors": "[API] Invalid API key or access token ..."}``.
- Cost: every answer carries ``extensions.cost`` (``requestedQueryCost``, ``actualQueryCost``,
  ``throttleStatus``). Requested cost follows Shopify's documented rules: scalars and enums 0,
  objects 1, a connection 2 + first x the cost of one item, a mutation 10; actual cost counts
  the items returned. A leaky bucket (``maximumAvailable`` 2000, ``restoreRate`` 100/s) that
  lacks the requested cost answers HTTP 200 ``errors[].extensions.code = "THROTTLED"`` and runs
  nothing; a query over 1000 requested points answers ``MAX_COST_EXCEEDED``.
- ``webhookSubscriptionCreate`` refuses with ``userErrors`` as Shopify does: a topic the
  app's scopes do not cover, a missing or non-HTTPS address, the same topic and address twice
  ("Address for this topic has already been taken").
- Shopify deletes an API-created subscription after 8 consecutive failed deliveries; the API
  exposes no failure counter. ``fail_deliveries`` drives that (tests), ``requests`` logs
  every call.

The REST Admin API's reads that reconciliation uses: ``GET /admin/api/{version}/orders.json``,
``checkouts.json`` (abandoned checkouts) and ``customers.json``, each answering
``{"orders": [...]}`` etc. with ``limit`` (1..250, default 50), ``updated_at_min`` /
``updated_at_max``, ``status`` (orders: open by default, closed, cancelled, any; checkouts: open
or closed) and cursor pagination: a ``Link`` header with ``rel="next"`` / ``rel="previous"``
URLs carrying ``page_info``; a request with ``page_info`` may carry nothing but ``limit`` and
``fields`` (HTTP 400 otherwise). Each answer has ``X-Shopify-Shop-Api-Call-Limit``; a missing
scope answers 403. Tests seed resources with ``add_order`` / ``add_checkout`` / ``add_customer``
(the webhook payloads' shape) and ``rest_throttle`` makes the next answers HTTP 429.

Customer marketing consent: ``customerEmailMarketingConsentUpdate`` and
``customerSmsMarketingConsentUpdate`` act on the customers seeded with ``add_customer`` (their
``email_marketing_consent`` / ``sms_marketing_consent`` change as Shopify's would, so
``customers.json`` shows them too); ``marketing_consent(id)`` reads one back. Refusals are
``userErrors`` (unknown customer, no email / phone, a read-only state), a missing
``write_customers`` scope a top-level ``ACCESS_DENIED``.

Only plain ``http://`` callbacks on 127.0.0.1 / localhost are accepted besides HTTPS (the
local stack serves its HTTP API there); real Shopify accepts HTTPS only.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values

from infra.local.shops.server import FakeHttpServer, Reply, Request

MAXIMUM_AVAILABLE = 2000.0
RESTORE_RATE = 100.0
SINGLE_QUERY_MAX_COST = 1000
MUTATION_COST = 10
MAX_PAGE_SIZE = 250
FAILURES_BEFORE_DELETION = 8
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
GID_PREFIX = "gid://shopify/WebhookSubscription/"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Topic -> the access scopes that allow subscribing to it (any one of them).
TOPIC_SCOPES = {
    "APP_UNINSTALLED": set(),
    "SHOP_UPDATE": set(),
    "CARTS_CREATE": {"read_orders"},
    "CARTS_UPDATE": {"read_orders"},
    "CHECKOUTS_CREATE": {"read_orders"},
    "CHECKOUTS_UPDATE": {"read_orders"},
    "CHECKOUTS_DELETE": {"read_orders"},
    "ORDERS_CREATE": {"read_orders"},
    "ORDERS_UPDATED": {"read_orders"},
    "ORDERS_PAID": {"read_orders"},
    "ORDERS_FULFILLED": {"read_orders"},
    "ORDERS_PARTIALLY_FULFILLED": {"read_orders"},
    "ORDERS_CANCELLED": {"read_orders"},
    "ORDERS_DELETE": {"read_orders"},
    "REFUNDS_CREATE": {"read_orders"},
    "FULFILLMENTS_CREATE": {"read_fulfillments", "read_orders"},
    "FULFILLMENTS_UPDATE": {"read_fulfillments", "read_orders"},
    "CUSTOMERS_CREATE": {"read_customers"},
    "CUSTOMERS_UPDATE": {"read_customers"},
    "CUSTOMERS_DELETE": {"read_customers"},
    "CUSTOMERS_MARKETING_CONSENT_UPDATE": {"read_customers"},
    "CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE": {"read_customers"},
    "PRODUCTS_CREATE": {"read_products"},
    "PRODUCTS_UPDATE": {"read_products"},
    "PRODUCTS_DELETE": {"read_products"},
    "INVENTORY_LEVELS_UPDATE": {"read_inventory"},
}

# REST resources reconciliation reads -> the scopes that allow reading them (any one).
REST_SCOPES = {"orders": {"read_orders"}, "checkouts": {"read_orders"}, "customers": {"read_customers"}}

DEFAULT_SCOPES = frozenset({"read_orders", "read_customers", "read_products", "read_fulfillments", "read_inventory", "write_discounts", "write_customers"})

SDL = """
scalar DateTime
scalar URL
scalar ARN
scalar UnsignedInt64

interface Node { id: ID! }

enum WebhookSubscriptionTopic { %(topics)s }
enum WebhookSubscriptionFormat { JSON XML }
enum WebhookSubscriptionSortKey { CREATED_AT ID RELEVANCE }

type WebhookHttpEndpoint { callbackUrl: URL! }
type WebhookEventBridgeEndpoint { arn: ARN! }
type WebhookPubSubEndpoint { pubSubProject: String! pubSubTopic: String! }
union WebhookSubscriptionEndpoint = WebhookEventBridgeEndpoint | WebhookHttpEndpoint | WebhookPubSubEndpoint

type WebhookSubscription implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  topic: WebhookSubscriptionTopic!
  uri: String!
  format: WebhookSubscriptionFormat!
  filter: String
  includeFields: [String!]!
  metafieldNamespaces: [String!]!
  createdAt: DateTime!
  updatedAt: DateTime!
  callbackUrl: URL! @deprecated(reason: "Use `uri` instead.")
  endpoint: WebhookSubscriptionEndpoint! @deprecated(reason: "Use `uri` instead.")
}

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type WebhookSubscriptionEdge { cursor: String! node: WebhookSubscription! }
type WebhookSubscriptionConnection { edges: [WebhookSubscriptionEdge!]! nodes: [WebhookSubscription!]! pageInfo: PageInfo! }

type UserError { field: [String!] message: String! }

input WebhookSubscriptionInput {
  uri: String
  callbackUrl: URL
  format: WebhookSubscriptionFormat
  filter: String
  includeFields: [String!]
  metafieldNamespaces: [String!]
}

type WebhookSubscriptionCreatePayload { userErrors: [UserError!]! webhookSubscription: WebhookSubscription }
type WebhookSubscriptionDeletePayload { deletedWebhookSubscriptionId: ID userErrors: [UserError!]! }

type Query {
  webhookSubscription(id: ID!): WebhookSubscription
  webhookSubscriptions(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    sortKey: WebhookSubscriptionSortKey = CREATED_AT, topics: [WebhookSubscriptionTopic!],
    format: WebhookSubscriptionFormat, uri: String, query: String, callbackUrl: URL
  ): WebhookSubscriptionConnection!
}

type Mutation {
  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
}
""" % {"topics": " ".join(TOPIC_SCOPES)}

# Discounts (Encore's coupons): one code discount per offer, single-use redeem codes added in
# bulk (asynchronously: a DiscountRedeemCodeBulkCreation runs after the mutation answers), the
# redeem codes deleted in bulk (a Job). Names and types as in the 2025-10 Admin API.
DISCOUNT_SDL = """
enum DiscountBuyerSelection { ALL }
enum DiscountErrorCode { BLANK INVALID TAKEN TOO_SHORT TOO_LONG VALUE_OUTSIDE_RANGE EXCEEDED_MAX INTERNAL_ERROR }
type DiscountUserError { field: [String!] code: DiscountErrorCode message: String! extraInfo: String }
input DiscountContextInput { all: DiscountBuyerSelection customers: DiscountCustomersInput customerSegments: DiscountCustomerSegmentsInput }
input DiscountCustomersInput { add: [ID!] remove: [ID!] }
input DiscountCustomerSegmentsInput { add: [ID!] remove: [ID!] }
input DiscountOnQuantityInput { quantity: String effect: DiscountEffectInput }
input DiscountEffectInput { percentage: Float amount: Decimal }
input DiscountAmountInput { amount: Decimal appliesOnEachItem: Boolean }
input DiscountCustomerGetsValueInput { discountOnQuantity: DiscountOnQuantityInput percentage: Float discountAmount: DiscountAmountInput }
input DiscountItemsInput { all: Boolean }
input DiscountCustomerGetsInput { value: DiscountCustomerGetsValueInput items: DiscountItemsInput appliesOnOneTimePurchase: Boolean appliesOnSubscription: Boolean }
input DiscountCombinesWithInput { productDiscounts: Boolean orderDiscounts: Boolean shippingDiscounts: Boolean }
input DiscountCodeBasicInput {
  title: String code: String startsAt: DateTime endsAt: DateTime context: DiscountContextInput
  customerGets: DiscountCustomerGetsInput appliesOncePerCustomer: Boolean usageLimit: Int
  combinesWith: DiscountCombinesWithInput recurringCycleLimit: Int
}
input DiscountRedeemCodeInput { code: String! }
scalar Decimal
type DiscountCodeNode implements Node { id: ID! }
type DiscountRedeemCode { id: ID! code: String! asyncUsageCount: Int! }
type DiscountRedeemCodeBulkCreationCode { code: String! discountRedeemCode: DiscountRedeemCode errors: [DiscountUserError!]! }
type DiscountRedeemCodeBulkCreationCodeConnection { nodes: [DiscountRedeemCodeBulkCreationCode!]! }
type DiscountRedeemCodeBulkCreation implements Node {
  id: ID! done: Boolean! codesCount: Int! importedCount: Int! failedCount: Int! createdAt: DateTime!
  codes(first: Int, after: String): DiscountRedeemCodeBulkCreationCodeConnection!
}
type Job { id: ID! done: Boolean! }
type DiscountCodeBasicCreatePayload { codeDiscountNode: DiscountCodeNode userErrors: [DiscountUserError!]! }
type DiscountRedeemCodeBulkAddPayload { bulkCreation: DiscountRedeemCodeBulkCreation userErrors: [DiscountUserError!]! }
type DiscountCodeRedeemCodeBulkDeletePayload { job: Job userErrors: [DiscountUserError!]! }
extend type Query {
  codeDiscountNodeByCode(code: String!): DiscountCodeNode
  discountRedeemCodeBulkCreation(id: ID!): DiscountRedeemCodeBulkCreation
}
extend type Mutation {
  discountCodeBasicCreate(basicCodeDiscount: DiscountCodeBasicInput!): DiscountCodeBasicCreatePayload
  discountRedeemCodeBulkAdd(discountId: ID!, codes: [DiscountRedeemCodeInput!]!): DiscountRedeemCodeBulkAddPayload
  discountCodeRedeemCodeBulkDelete(discountId: ID!, ids: [ID!], savedSearchId: ID, search: String): DiscountCodeRedeemCodeBulkDeletePayload
}
"""

# Customer marketing consent (2025-10 names and types): the two mutations Encore uses to tell
# the shop about an opt-out made in Encore (encore.consent_sync). A block of its own, extending
# the Mutation type, so other parts of the fake can grow without touching it.
CONSENT_SDL = """
enum CustomerEmailMarketingState { NOT_SUBSCRIBED PENDING SUBSCRIBED UNSUBSCRIBED REDACTED INVALID }
enum CustomerSmsMarketingState { NOT_SUBSCRIBED PENDING SUBSCRIBED UNSUBSCRIBED REDACTED }
enum CustomerMarketingOptInLevel { SINGLE_OPT_IN CONFIRMED_OPT_IN UNKNOWN }
enum CustomerConsentCollectedFrom { SHOPIFY OTHER }

type CustomerEmailMarketingConsentState {
  marketingState: CustomerEmailMarketingState!
  marketingOptInLevel: CustomerMarketingOptInLevel
  consentUpdatedAt: DateTime
}
type CustomerSmsMarketingConsentState {
  marketingState: CustomerSmsMarketingState!
  marketingOptInLevel: CustomerMarketingOptInLevel!
  consentUpdatedAt: DateTime
  consentCollectedFrom: CustomerConsentCollectedFrom
}
type Customer implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  email: String
  phone: String
  emailMarketingConsent: CustomerEmailMarketingConsentState
  smsMarketingConsent: CustomerSmsMarketingConsentState
  updatedAt: DateTime!
}

input CustomerEmailMarketingConsentInput {
  marketingState: CustomerEmailMarketingState!
  marketingOptInLevel: CustomerMarketingOptInLevel
  consentUpdatedAt: DateTime
  sourceLocationId: ID
}
input CustomerEmailMarketingConsentUpdateInput { customerId: ID! emailMarketingConsent: CustomerEmailMarketingConsentInput! }
input CustomerSmsMarketingConsentInput {
  marketingState: CustomerSmsMarketingState!
  marketingOptInLevel: CustomerMarketingOptInLevel
  consentUpdatedAt: DateTime
  sourceLocationId: ID
}
input CustomerSmsMarketingConsentUpdateInput { customerId: ID! smsMarketingConsent: CustomerSmsMarketingConsentInput! }

enum CustomerEmailMarketingConsentUpdateUserErrorCode { INCLUSION INTERNAL_ERROR INVALID MISSING_ARGUMENT }
type CustomerEmailMarketingConsentUpdateUserError { code: CustomerEmailMarketingConsentUpdateUserErrorCode field: [String!] message: String! }
enum CustomerSmsMarketingConsentErrorCode { INCLUSION INTERNAL_ERROR INVALID MISSING_ARGUMENT }
type CustomerSmsMarketingConsentError { code: CustomerSmsMarketingConsentErrorCode field: [String!] message: String! }

type CustomerEmailMarketingConsentUpdatePayload { customer: Customer userErrors: [CustomerEmailMarketingConsentUpdateUserError!]! }
type CustomerSmsMarketingConsentUpdatePayload { customer: Customer userErrors: [CustomerSmsMarketingConsentError!]! }

extend type Mutation {
  customerEmailMarketingConsentUpdate(input: CustomerEmailMarketingConsentUpdateInput!): CustomerEmailMarketingConsentUpdatePayload
  customerSmsMarketingConsentUpdate(input: CustomerSmsMarketingConsentUpdateInput!): CustomerSmsMarketingConsentUpdatePayload
}
"""

SCHEMA = build_schema(SDL + DISCOUNT_SDL + CONSENT_SDL)


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _page_info(filters: dict, last_id: int, direction: str) -> str:
    """Opaque as Shopify's: the first request's filters and where the page ended."""
    raw = json.dumps({"filters": filters, "last_id": last_id, "direction": direction}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(subscription_id: int) -> str:
    return base64.b64encode(json.dumps({"last_id": subscription_id, "last_value": subscription_id}).encode()).decode()


def _uncursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor))["last_id"])
    except Exception as error:
        raise GraphQLError("Invalid cursor for current pagination sort.") from error


def _real_monotonic() -> float:
    """Wall-clock seconds even under the local stack's frozen clock: the client waits for the
    bucket with a real ``time.sleep``, so the bucket must refill in real time too (frozen, it
    would never refill within one virtual moment and every wait would end THROTTLED)."""
    try:
        import freezegun.api

        return freezegun.api.real_monotonic()
    except ImportError:  # pragma: no cover - freezegun is a dev dependency, always there locally
        return time.monotonic()


class _Bucket:
    """Shopify's leaky bucket of cost points, refilled continuously at ``restore_rate``/s."""

    def __init__(self, maximum: float, restore_rate: float):
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.available = maximum
        self._at = _real_monotonic()

    def refill(self) -> None:
        now = _real_monotonic()
        self.available = min(self.maximum, self.available + (now - self._at) * self.restore_rate)
        self._at = now

    def status(self) -> dict:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": int(self.available), "restoreRate": self.restore_rate}


class FakeShopify(FakeHttpServer):
    name = "fake-shopify"

    def __init__(
        self,
        *,
        shop_domain: str = "demo-store.myshopify.com",
        access_token: str = "shpat_local_fake",
        scopes=DEFAULT_SCOPES,
        maximum_available: float = MAXIMUM_AVAILABLE,
        restore_rate: float = RESTORE_RATE,
    ):
        super().__init__()
        self.shop_domain = shop_domain
        self.tokens = {access_token}
        self.scopes = set(scopes)
        self.bucket = _Bucket(maximum_available, restore_rate)
        self.subscriptions: dict[int, dict] = {}
        self.deleted_after_failures: list[dict] = []
        self.throttled = 0  # how many requests were answered THROTTLED
        self.operations: list[str] = []  # root fields of every executed operation, in order
        self._next_id = 1_043_560_000
        self._failures: dict[int, int] = {}
        # REST resources by kind ('orders', 'checkouts', 'customers'), each by its id.
        self.resources: dict[str, dict[int, dict]] = {kind: {} for kind in REST_SCOPES}
        self.rest_throttled_answers = 0  # the next N REST requests answer HTTP 429
        # Discounts: {DiscountCodeNode number: {"title", "percentage", ..., "codes": {code: redeem}}}.
        self.discounts: dict[int, dict] = {}
        self.bulk_creations: dict[int, dict] = {}
        self.bulk_polls_until_done = 1  # a bulk add runs when its status has been asked this often
        self.refuse_discounts: str | None = None  # a message: every discount mutation answers it as userErrors
        self.throttle_always = False  # every GraphQL request answers THROTTLED (a bucket that never refills)
        self.deleted_codes: list[str] = []  # redeem codes deleted through the API, in order

    # -- fault knobs and inspection (tests) ---------------------------------------------------

    def drain_bucket(self, to: float = 0.0) -> None:
        with self.lock:
            self.bucket.refill()
            self.bucket.available = to

    def fail_deliveries(self, topic: str, times: int = 1, *, uri: str | None = None) -> list[dict]:
        """``times`` consecutive failed deliveries to the subscriptions of ``topic`` ('orders/create'
        or 'ORDERS_CREATE'); at 8 in a row Shopify deletes the subscription. Returns those deleted."""
        enum = topic.upper().replace("/", "_")
        deleted = []
        with self.lock:
            for subscription in list(self.subscriptions.values()):
                if subscription["topic"] != enum or (uri and subscription["uri"] != uri):
                    continue
                count = self._failures.get(subscription["id"], 0) + times
                self._failures[subscription["id"]] = count
                if count >= FAILURES_BEFORE_DELETION:
                    del self.subscriptions[subscription["id"]]
                    self._failures.pop(subscription["id"], None)
                    deleted.append(subscription)
            self.deleted_after_failures.extend(deleted)
        return deleted

    def deliver_ok(self, topic: str) -> None:
        """A successful delivery resets the consecutive-failure count."""
        enum = topic.upper().replace("/", "_")
        with self.lock:
            for subscription in self.subscriptions.values():
                if subscription["topic"] == enum:
                    self._failures.pop(subscription["id"], None)

    def add_subscription(self, topic: str, uri: str, format: str = "JSON") -> dict:
        """Seed a subscription as if made earlier (e.g. by an older deployment)."""
        with self.lock:
            return self._insert(topic.upper().replace("/", "_"), uri, format)

    def topics(self) -> list[tuple[str, str]]:
        with self.lock:
            return sorted((s["topic"], s["uri"]) for s in self.subscriptions.values())

    def add_order(self, order: dict) -> dict:
        return self._put("orders", order)

    def add_checkout(self, checkout: dict) -> dict:
        """An abandoned checkout (``completed_at`` null): what ``checkouts.json`` lists."""
        return self._put("checkouts", checkout)

    def add_customer(self, customer: dict) -> dict:
        return self._put("customers", customer)

    def rest_throttle(self, answers: int = 1) -> None:
        with self.lock:
            self.rest_throttled_answers = answers

    def _put(self, kind: str, resource: dict) -> dict:
        with self.lock:
            self.resources[kind][int(resource["id"])] = json.loads(json.dumps(resource))
            return resource

    def marketing_consent(self, customer_id: int | str) -> dict[str, dict | None]:
        """A customer's consent as the shop now holds it, in the webhook payload's shape:
        ``{"email": {"state": "unsubscribed", ...}, "sms": {...}}`` (tests read it)."""
        with self.lock:
            customer = self.resources["customers"].get(int(customer_id)) or {}
            return {"email": customer.get("email_marketing_consent"), "sms": customer.get("sms_marketing_consent")}

    # -- HTTP --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 4 and parts[:2] == ["admin", "api"] and parts[3].removesuffix(".json") in REST_SCOPES:
            return self._rest_list(request, parts[2], parts[3].removesuffix(".json"))
        if request.method != "POST" or len(parts) != 4 or parts[:2] != ["admin", "api"] or parts[3] != "graphql.json":
            return Reply(404, {"errors": "Not Found"})
        if request.header("X-Shopify-Access-Token") not in self.tokens:
            return Reply(401, {"errors": INVALID_TOKEN})
        try:
            body = json.loads(request.body or b"{}")
            query, variables = body["query"], body.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"errors": {"query": "Required parameter missing or invalid"}})
        return Reply(200, self._graphql(query, variables, body.get("operationName")))

    def _graphql(self, query: str, variables: dict, operation_name: str | None) -> dict:
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [error.formatted]}
        problems = validate(SCHEMA, document)
        if problems:
            return {"errors": [{**problem.formatted, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}} for problem in problems]}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        operation = next((o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)), None)
        if operation is None:
            return {"errors": [{"message": f"No operation named {operation_name!r}"}]}
        fragments = {d.name.value: d for d in document.definitions if not isinstance(d, OperationDefinitionNode)}
        coerced = self._coerce(operation, variables)
        if isinstance(coerced, list):
            return {"errors": coerced}
        requested = self._cost(operation, fragments, coerced)
        self.bucket.refill()
        if requested > SINGLE_QUERY_MAX_COST:
            return {
                "errors": [
                    {
                        "message": f"Query cost is {requested}, which exceeds the single query max cost limit ({SINGLE_QUERY_MAX_COST}).",
                        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": SINGLE_QUERY_MAX_COST},
                    }
                ],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": self.bucket.status()}},
            }
        if requested > self.bucket.available or self.throttle_always:
            self.throttled += 1
            return {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": self.bucket.status()}},
            }
        self.operations.extend(self._root_fields(operation))
        result = execute(SCHEMA, document, root_value=_Root(self), variable_values=variables, operation_name=operation_name)
        answer: dict = {}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        answer["data"] = result.data
        actual = self._cost(operation, fragments, coerced, data=result.data) if result.data else 0
        self.bucket.available -= actual
        answer["extensions"] = {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}}
        return answer

    def _rest_list(self, request: Request, version: str, kind: str) -> Reply:
        if request.header("X-Shopify-Access-Token") not in self.tokens:
            return Reply(401, {"errors": INVALID_TOKEN})
        if not REST_SCOPES[kind] & self.scopes:
            return Reply(403, {"errors": f"[API] This action requires merchant approval for {sorted(REST_SCOPES[kind])[0]} scope."})
        limit_header = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
        if self.rest_throttled_answers:
            self.rest_throttled_answers -= 1
            return Reply(
                429,
                {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."},
                {"Retry-After": "2.0", **limit_header},
            )
        query = dict(request.query)
        try:
            limit = int(query.get("limit", 50))
        except ValueError:
            return Reply(400, {"errors": {"limit": "Invalid value."}})
        if not 1 <= limit <= 250:
            return Reply(400, {"errors": {"limit": "Limit must be between 1 and 250."}})
        if "page_info" in query:
            extra = sorted(set(query) - {"page_info", "limit", "fields"})
            if extra:
                return Reply(400, {"errors": {"page_info": f"If passing the page_info parameter, you cannot pass {extra[0]}."}})
            try:
                cursor = json.loads(base64.urlsafe_b64decode(query["page_info"] + "=="))
                filters, last_id, direction = cursor["filters"], int(cursor["last_id"]), cursor["direction"]
            except Exception:
                return Reply(400, {"errors": {"page_info": "Invalid value."}})
        else:
            filters = {key: value for key, value in query.items() if key not in ("limit", "fields")}
            last_id, direction = None, "next"
        try:
            items = self._filtered(kind, filters)
        except ValueError as error:
            return Reply(400, {"errors": {str(error): "Invalid value."}})
        # Newest id first, as Shopify's default order; a cursor continues after its last id.
        if last_id is not None:
            items = [item for item in items if (item["id"] < last_id if direction == "next" else item["id"] > last_id)]
            if direction == "prev":
                items = items[-limit:]
        window = items[:limit] if direction == "next" or last_id is None else items
        links = []
        base = f"https://{self.shop_domain}/admin/api/{version}/{kind}.json"
        if window and last_id is not None:
            links.append(f'<{base}?{urlencode({"limit": limit, "page_info": _page_info(filters, window[0]["id"], "prev")})}>; rel="previous"')
        if window and len(items) > len(window) and (direction == "next" or last_id is None):
            links.append(f'<{base}?{urlencode({"limit": limit, "page_info": _page_info(filters, window[-1]["id"], "next")})}>; rel="next"')
        headers = dict(limit_header)
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, {kind: window}, headers)

    def _filtered(self, kind: str, filters: dict) -> list[dict]:
        def moment(name: str) -> datetime | None:
            if name not in filters:
                return None
            try:
                return datetime.fromisoformat(filters[name].replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                raise ValueError(name) from None

        low, high = moment("updated_at_min"), moment("updated_at_max")
        status = filters.get("status", "open")
        allowed = {"orders": ("open", "closed", "cancelled", "any"), "checkouts": ("open", "closed")}.get(kind)
        if allowed and status not in allowed:
            raise ValueError("status")
        with self.lock:
            items = sorted(self.resources[kind].values(), key=lambda item: item["id"], reverse=True)
        chosen = []
        for item in items:
            updated = datetime.fromisoformat(item["updated_at"].replace("Z", "+00:00")).astimezone(UTC)
            if (low and updated < low) or (high and updated > high):
                continue
            if kind == "orders" and status != "any":
                state = "cancelled" if item.get("cancelled_at") else "closed" if item.get("closed_at") else "open"
                if state != status and not (status == "closed" and state == "cancelled" and item.get("closed_at")):
                    continue
            if kind == "checkouts" and (status == "closed") != bool(item.get("closed_at")):
                continue
            chosen.append(json.loads(json.dumps(item)))
        return chosen

    @staticmethod
    def _coerce(operation, variables: dict):
        """Variables as the schema types them, or Shopify-style INVALID_VARIABLE errors."""
        from graphql.execution.values import get_variable_values

        coerced = get_variable_values(SCHEMA, operation.variable_definitions or [], variables)
        if isinstance(coerced, list):
            return [{"message": error.message, "locations": error.formatted.get("locations"), "extensions": {"code": "INVALID_VARIABLE"}} for error in coerced]
        return coerced

    @staticmethod
    def _root_fields(operation) -> list[str]:
        return [selection.name.value for selection in operation.selection_set.selections if isinstance(selection, FieldNode)]

    def _cost(self, operation, fragments: dict, variables: dict, data: dict | None = None) -> int:
        if operation.operation == OperationType.MUTATION:
            return MUTATION_COST * len(self._root_fields(operation))
        return int(self._selection_cost(SCHEMA.query_type, operation.selection_set, fragments, variables, data))

    def _selection_cost(self, parent, selection_set, fragments, variables, data) -> float:
        total = 0.0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments[selection.name.value]
                total += self._selection_cost(SCHEMA.get_type(fragment.type_condition.name.value), fragment.selection_set, fragments, variables, data)
                continue
            if isinstance(selection, InlineFragmentNode):
                kind = SCHEMA.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                total += self._selection_cost(kind, selection.selection_set, fragments, variables, data)
                continue
            name = selection.name.value
            if name.startswith("__"):
                continue
            field = parent.fields[name]
            named = get_named_type(field.type)
            if is_leaf_type(named):
                continue
            key = selection.alias.value if selection.alias else name
            child = data.get(key) if isinstance(data, dict) else None
            if named.name.endswith("Connection"):
                arguments = get_argument_values(field, selection, variables)
                count = (
                    len(child.get("edges") or child.get("nodes") or []) if isinstance(child, dict) else (arguments.get("first") or arguments.get("last") or 0)
                )
                per_item = self._selection_cost(named, selection.selection_set, fragments, variables, None)
                total += 2 + count * per_item
            elif named.name.endswith("Edge") or named.name == "PageInfo":
                total += self._selection_cost(named, selection.selection_set, fragments, variables, None)
            else:
                fields_of = named if hasattr(named, "fields") else parent
                total += 1 + (self._selection_cost(fields_of, selection.selection_set, fragments, variables, None) if selection.selection_set else 0)
        return total

    # -- state -------------------------------------------------------------------------------

    def _insert(self, topic: str, uri: str, format: str) -> dict:
        self._next_id += 1
        now = _now_iso()
        subscription = {"id": self._next_id, "topic": topic, "uri": uri, "format": format, "createdAt": now, "updatedAt": now}
        self.subscriptions[self._next_id] = subscription
        return subscription


def _present(subscription: dict) -> dict:
    """A stored subscription as the WebhookSubscription type resolves it."""
    uri = subscription["uri"]
    if uri.startswith("arn:"):
        endpoint = {"__typename": "WebhookEventBridgeEndpoint", "arn": uri}
    elif uri.startswith("pubsub://"):
        project, _, topic = uri.removeprefix("pubsub://").partition(":")
        endpoint = {"__typename": "WebhookPubSubEndpoint", "pubSubProject": project, "pubSubTopic": topic}
    else:
        endpoint = {"__typename": "WebhookHttpEndpoint", "callbackUrl": uri}
    return {
        "id": f"{GID_PREFIX}{subscription['id']}",
        "legacyResourceId": str(subscription["id"]),
        "topic": subscription["topic"],
        "uri": uri,
        "format": subscription["format"],
        "filter": None,
        "includeFields": [],
        "metafieldNamespaces": [],
        "createdAt": subscription["createdAt"],
        "updatedAt": subscription["updatedAt"],
        "callbackUrl": uri,
        "endpoint": endpoint,
    }


class _Root:
    """Root resolvers: graphql-core calls ``root.<field>(info, **arguments)``."""

    def __init__(self, shop: FakeShopify):
        self.shop = shop

    def webhookSubscription(self, info, id: str):
        number = int(id.removeprefix(GID_PREFIX)) if id.startswith(GID_PREFIX) and id.removeprefix(GID_PREFIX).isdigit() else None
        found = self.shop.subscriptions.get(number)
        return _present(found) if found else None

    def webhookSubscriptions(
        self,
        info,
        first=None,
        after=None,
        last=None,
        before=None,
        reverse=False,
        sortKey="CREATED_AT",
        topics=None,
        format=None,
        uri=None,
        query=None,
        callbackUrl=None,
    ):
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last")
        if (first or 0) > MAX_PAGE_SIZE or (last or 0) > MAX_PAGE_SIZE:
            raise GraphQLError(f"The maximum page size is {MAX_PAGE_SIZE}.")
        items = sorted(self.shop.subscriptions.values(), key=lambda s: s["id"], reverse=bool(reverse))
        if topics:
            items = [s for s in items if s["topic"] in topics]
        if format:
            items = [s for s in items if s["format"] == format]
        if uri or callbackUrl:
            items = [s for s in items if s["uri"] == (uri or callbackUrl)]
        if after:
            after_id = _uncursor(after)
            items = [s for s in items if (s["id"] < after_id if reverse else s["id"] > after_id)]
        if before:
            before_id = _uncursor(before)
            items = [s for s in items if (s["id"] > before_id if reverse else s["id"] < before_id)]
        window = items[:first] if first is not None else items[-last:] if last else []
        has_next = len(items) > len(window) if first is not None else False
        has_previous = len(items) > len(window) if last is not None else bool(after)
        nodes = [_present(s) for s in window]
        return {
            "edges": [{"cursor": _cursor(s["id"]), "node": node} for s, node in zip(window, nodes)],
            "nodes": nodes,
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": _cursor(window[0]["id"]) if window else None,
                "endCursor": _cursor(window[-1]["id"]) if window else None,
            },
        }

    def webhookSubscriptionCreate(self, info, topic: str, webhookSubscription: dict):
        given = "uri" if webhookSubscription.get("uri") else "callbackUrl"
        address = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        field = ["webhookSubscription", given]

        def refused(message: str, where=field):
            return {"webhookSubscription": None, "userErrors": [{"field": where, "message": message}]}

        allowed_by = TOPIC_SCOPES.get(topic, set())
        if allowed_by and not allowed_by & self.shop.scopes:
            return refused("You cannot create a webhook subscription with the specified topic", ["webhookSubscription"])
        if not address:
            return refused("Address can't be blank")
        parts = urlsplit(address)
        if not address.startswith(("arn:", "pubsub://")):
            if parts.scheme not in ("https", "http") or not parts.hostname:
                return refused("Address is invalid")
            if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
                return refused("Address protocol http:// is not supported")
        if any(s["topic"] == topic and s["uri"] == address for s in self.shop.subscriptions.values()):
            return refused("Address for this topic has already been taken")
        created = self.shop._insert(topic, address, webhookSubscription.get("format") or "JSON")
        return {"webhookSubscription": _present(created), "userErrors": []}

    def webhookSubscriptionDelete(self, info, id: str):
        number = int(id.removeprefix(GID_PREFIX)) if id.startswith(GID_PREFIX) and id.removeprefix(GID_PREFIX).isdigit() else None
        if number not in self.shop.subscriptions:
            return {"deletedWebhookSubscriptionId": None, "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
        del self.shop.subscriptions[number]
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}

    # -- discounts (Encore's coupons) ---------------------------------------------------------

    def codeDiscountNodeByCode(self, info, code: str):
        found = self.shop.discount_of_code(code)
        return {"id": f"{DISCOUNT_GID}{found['number']}"} if found else None

    def discountRedeemCodeBulkCreation(self, info, id: str):
        number = _gid_number(id, BULK_CREATION_GID)
        creation = self.shop.bulk_creations.get(number)
        if creation is None:
            return None
        creation["polls"] += 1
        if not creation["done"] and creation["polls"] >= self.shop.bulk_polls_until_done:
            self.shop._run_bulk_creation(creation)
        return _present_bulk_creation(creation)

    def discountCodeBasicCreate(self, info, basicCodeDiscount: dict):
        refused = _discount_refusal(self.shop, "basicCodeDiscount")
        if refused:
            return {"codeDiscountNode": None, "userErrors": refused}
        given = basicCodeDiscount
        errors = []
        if not given.get("title"):
            errors.append({"field": ["basicCodeDiscount", "title"], "code": "BLANK", "message": "Title can't be blank"})
        code = (given.get("code") or "").strip()
        if not code:
            errors.append({"field": ["basicCodeDiscount", "code"], "code": "BLANK", "message": "Code can't be blank"})
        elif self.shop.discount_of_code(code):
            errors.append({"field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique. Please try a different code."})
        value = (given.get("customerGets") or {}).get("value") or {}
        percentage = value.get("percentage")
        if percentage is None or not 0 < percentage <= 1:
            errors.append(
                {
                    "field": ["basicCodeDiscount", "customerGets", "value", "percentage"],
                    "code": "VALUE_OUTSIDE_RANGE",
                    "message": "Value must be between 0.0 and 1.0",
                }
            )
        if not given.get("startsAt"):
            errors.append({"field": ["basicCodeDiscount", "startsAt"], "code": "BLANK", "message": "Starts at can't be blank"})
        if errors:
            return {"codeDiscountNode": None, "userErrors": errors}
        self.shop._next_id += 1
        number = self.shop._next_id
        self.shop.discounts[number] = {
            "number": number,
            "title": given["title"],
            "percentage": percentage,
            "startsAt": given["startsAt"],
            "endsAt": given.get("endsAt"),
            "appliesOncePerCustomer": bool(given.get("appliesOncePerCustomer")),
            "usageLimit": given.get("usageLimit"),
            "all_items": bool(((given.get("customerGets") or {}).get("items") or {}).get("all")),
            "context": given.get("context"),
            "codes": {},
        }
        self.shop._add_redeem_code(self.shop.discounts[number], code)
        return {"codeDiscountNode": {"id": f"{DISCOUNT_GID}{number}"}, "userErrors": []}

    def discountRedeemCodeBulkAdd(self, info, discountId: str, codes: list):
        refused = _discount_refusal(self.shop, "discountId")
        if refused:
            return {"bulkCreation": None, "userErrors": refused}
        discount = self.shop.discounts.get(_gid_number(discountId, DISCOUNT_GID))
        if discount is None:
            return {"bulkCreation": None, "userErrors": [{"field": ["discountId"], "code": "INVALID", "message": "Code discount does not exist."}]}
        if len(codes) > MAX_REDEEM_CODES_PER_ADD:
            return {
                "bulkCreation": None,
                "userErrors": [{"field": ["codes"], "code": "EXCEEDED_MAX", "message": f"Cannot add more than {MAX_REDEEM_CODES_PER_ADD} codes at a time."}],
            }
        self.shop._next_id += 1
        creation = {
            "number": self.shop._next_id,
            "discount": discount["number"],
            "codes": [item["code"] for item in codes],
            "results": [],
            "done": False,
            "polls": 0,
            "createdAt": _now_iso(),
        }
        self.shop.bulk_creations[creation["number"]] = creation
        return {"bulkCreation": _present_bulk_creation(creation), "userErrors": []}

    def discountCodeRedeemCodeBulkDelete(self, info, discountId: str, ids=None, savedSearchId=None, search=None):
        refused = _discount_refusal(self.shop, "discountId")
        if refused:
            return {"job": None, "userErrors": refused}
        discount = self.shop.discounts.get(_gid_number(discountId, DISCOUNT_GID))
        if discount is None:
            return {"job": None, "userErrors": [{"field": ["discountId"], "code": "INVALID", "message": "Code discount does not exist."}]}
        if not ids and not savedSearchId and not search:
            return {"job": None, "userErrors": [{"field": None, "code": "BLANK", "message": "Only one of ids, search or saved_search_id is allowed."}]}
        wanted = set(ids or [])
        for code, redeem in list(discount["codes"].items()):
            if redeem["id"] in wanted:
                del discount["codes"][code]
                self.shop.deleted_codes.append(code)
        self.shop._next_id += 1
        return {"job": {"id": f"gid://shopify/Job/{self.shop._next_id}", "done": False}, "userErrors": []}

    # -- customer marketing consent (CONSENT_SDL) ----------------------------------------------

    def customerEmailMarketingConsentUpdate(self, info, input: dict):
        return _consent_update(self.shop, input, "email", "emailMarketingConsent")

    def customerSmsMarketingConsentUpdate(self, info, input: dict):
        return _consent_update(self.shop, input, "sms", "smsMarketingConsent")


DISCOUNT_GID = "gid://shopify/DiscountCodeNode/"
REDEEM_CODE_GID = "gid://shopify/DiscountRedeemCode/"
BULK_CREATION_GID = "gid://shopify/DiscountRedeemCodeBulkCreation/"
MAX_REDEEM_CODES_PER_ADD = 250


def _gid_number(gid: str, prefix: str) -> int | None:
    tail = gid.removeprefix(prefix) if gid.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def _discount_refusal(shop: FakeShopify, field: str) -> list[dict] | None:
    if "write_discounts" not in shop.scopes:
        raise GraphQLError("Access denied for this field. Required access: `write_discounts` access scope.", extensions={"code": "ACCESS_DENIED"})
    if shop.refuse_discounts:
        return [{"field": [field], "code": "INVALID", "message": shop.refuse_discounts}]
    return None


def _present_bulk_creation(creation: dict) -> dict:
    imported = [result for result in creation["results"] if result["discountRedeemCode"]]
    return {
        "id": f"{BULK_CREATION_GID}{creation['number']}",
        "done": creation["done"],
        "codesCount": len(creation["codes"]),
        "importedCount": len(imported),
        "failedCount": len(creation["results"]) - len(imported),
        "createdAt": creation["createdAt"],
        "codes": {"nodes": list(creation["results"])},
    }


def _discount_methods():
    """FakeShopify's discount state and the tests' questions (kept apart from the webhook part)."""

    def discount_of_code(self, code: str) -> dict | None:
        wanted = code.strip().upper()
        return next((discount for discount in self.discounts.values() if wanted in discount["codes"]), None)

    def _add_redeem_code(self, discount: dict, code: str) -> dict:
        self._next_id += 1
        redeem = {"id": f"{REDEEM_CODE_GID}{self._next_id}", "code": code, "asyncUsageCount": 0, "used_by": []}
        discount["codes"][code.strip().upper()] = redeem
        return redeem

    def _run_bulk_creation(self, creation: dict) -> None:
        discount = self.discounts.get(creation["discount"])
        for code in creation["codes"]:
            if discount is None or self.discount_of_code(code):
                creation["results"].append(
                    {
                        "code": code,
                        "discountRedeemCode": None,
                        "errors": [{"field": ["code"], "code": "TAKEN", "message": "Code must be unique. Please try a different code."}],
                    }
                )
            else:
                redeem = self._add_redeem_code(discount, code)
                creation["results"].append({"code": code, "discountRedeemCode": {"id": redeem["id"], "code": code, "asyncUsageCount": 0}, "errors": []})
        creation["done"] = True

    def code_valid_for(self, code: str, email: str | None = None, *, at: datetime | None = None) -> bool:
        """Would the checkout accept ``code`` (for ``email``) now: the code exists, its use is
        left (usageLimit counts per redeem code), once per customer, within the discount's dates."""
        with self.lock:
            discount = self.discount_of_code(code)
            if discount is None:
                return False
            redeem = discount["codes"][code.strip().upper()]
            moment = at or datetime.now(UTC)
            starts = datetime.fromisoformat(discount["startsAt"].replace("Z", "+00:00"))
            ends = datetime.fromisoformat(discount["endsAt"].replace("Z", "+00:00")) if discount.get("endsAt") else None
            if moment < starts or (ends and moment >= ends):
                return False
            if discount["usageLimit"] is not None and redeem["asyncUsageCount"] >= discount["usageLimit"]:
                return False
            return not (discount["appliesOncePerCustomer"] and email and email in redeem["used_by"])

    def redeem(self, code: str, email: str) -> None:
        """A checkout used the code (tests)."""
        with self.lock:
            redeem = self.discount_of_code(code)["codes"][code.strip().upper()]
            redeem["asyncUsageCount"] += 1
            redeem["used_by"].append(email)

    return discount_of_code, _add_redeem_code, _run_bulk_creation, code_valid_for, redeem


(FakeShopify.discount_of_code, FakeShopify._add_redeem_code, FakeShopify._run_bulk_creation, FakeShopify.code_valid_for, FakeShopify.redeem) = (
    _discount_methods()
)


CUSTOMER_GID_PREFIX = "gid://shopify/Customer/"


def _consent_update(shop: FakeShopify, given: dict, channel: str, input_field: str) -> dict:
    """What Shopify does with a consent update: ``write_customers`` or ACCESS_DENIED; an
    unknown customer, or one without the address the channel needs, is refused with
    ``userErrors``; otherwise the state is recorded unless the shop holds a more recent one
    (Shopify keeps "the consent record with the most recent date")."""
    if "write_customers" not in shop.scopes:
        raise GraphQLError(
            f"Access denied for customer{'Email' if channel == 'email' else 'Sms'}MarketingConsentUpdate field. Required access: `write_customers` access scope.",
            extensions={"code": "ACCESS_DENIED", "requiredAccess": "`write_customers` access scope."},
        )
    customer_gid = given["customerId"]
    number = customer_gid.removeprefix(CUSTOMER_GID_PREFIX)
    with shop.lock:
        customer = shop.resources["customers"].get(int(number)) if customer_gid.startswith(CUSTOMER_GID_PREFIX) and number.isdigit() else None
        if customer is None:
            return {"customer": None, "userErrors": [{"field": ["input", "customerId"], "message": "Customer does not exist", "code": "INVALID"}]}
        address = "email" if channel == "email" else "phone"
        if not customer.get(address):
            return {
                "customer": None,
                "userErrors": [
                    {
                        "field": ["input", input_field],
                        "message": f"Customer must have {'an email address' if channel == 'email' else 'a phone number'} to update its marketing consent",
                        "code": "INVALID",
                    }
                ],
            }
        consent = given[input_field]
        state = consent["marketingState"]
        if state not in ("SUBSCRIBED", "UNSUBSCRIBED", "PENDING"):  # the others are read-only
            return {
                "customer": None,
                "userErrors": [
                    {"field": ["input", input_field, "marketingState"], "message": "Marketing state is not included in the list", "code": "INCLUSION"}
                ],
            }
        key = f"{channel}_marketing_consent"
        stored = dict(customer.get(key) or {})
        at = consent.get("consentUpdatedAt") or _now_iso()
        held_at = stored.get("consent_updated_at")
        if not held_at or _moment(at) >= _moment(held_at):
            stored.update(state=state.lower(), consent_updated_at=at)
            if consent.get("marketingOptInLevel"):
                stored["opt_in_level"] = consent["marketingOptInLevel"].lower()
            stored.setdefault("opt_in_level", "single_opt_in")
            customer[key] = stored
            customer["updated_at"] = _now_iso()
        return {"customer": _present_customer(customer), "userErrors": []}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _present_customer(customer: dict) -> dict:
    def state(consent: dict | None) -> dict | None:
        if not consent or not consent.get("state"):
            return None
        return {
            "marketingState": consent["state"].upper(),
            "marketingOptInLevel": (consent.get("opt_in_level") or "unknown").upper(),
            "consentUpdatedAt": consent.get("consent_updated_at"),
            "consentCollectedFrom": consent.get("consent_collected_from") or "OTHER",
        }

    return {
        "id": f"{CUSTOMER_GID_PREFIX}{customer['id']}",
        "legacyResourceId": str(customer["id"]),
        "email": customer.get("email"),
        "phone": customer.get("phone"),
        "emailMarketingConsent": state(customer.get("email_marketing_consent")),
        "smsMarketingConsent": state(customer.get("sms_marketing_consent")),
        "updatedAt": customer.get("updated_at") or _now_iso(),
    }
