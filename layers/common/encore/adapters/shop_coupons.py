"""The shop side of Encore's coupons: the calls that make a code valid at the shop's checkout.

Shopify (Admin GraphQL API, 2025-10 shapes), wrapping ``ShopifyAdmin`` (its THROTTLED waits,
``userErrors`` -> ShopRefused):

- ``discountCodeBasicCreate``: one code discount per offer, ``customerGets.value.percentage``
  (0.1 for 10 %) on ``items.all``, ``context.all = ALL``, ``appliesOncePerCustomer`` and
  ``usageLimit: 1``. On a discount holding several redeem codes Shopify counts ``usageLimit``
  and the once-per-customer rule per redeem code (Shopify staff, community.shopify.dev
  "Scope of usageLimit for Discounts with Multiple Codes"), so every code is single-use. A
  code is required at creation: it is the first code of the offer's stock.
- ``discountRedeemCodeBulkAdd(discountId, codes)`` (at most 250 codes) is asynchronous: it
  answers a ``bulkCreation`` id; ``discountRedeemCodeBulkCreation(id)`` says when it is
  ``done`` and which codes were created (``codes.nodes.discountRedeemCode.id``) or failed
  (``codes.nodes.errors``). Only codes reported created go into the stock.
- ``discountCodeRedeemCodeBulkDelete(discountId, ids)`` deletes redeem codes (by their
  ``DiscountRedeemCode`` ids) in an asynchronous job.
- ``codeDiscountNodeByCode(code)`` finds the discount a code belongs to (a creation whose
  answer was lost is found again by its first code).

WooCommerce (REST API v3), wrapping ``WooCommerceAdmin``: ``POST /coupons`` with ``code``,
``discount_type: percent``, ``amount`` (a decimal string), ``usage_limit: 1``,
``usage_limit_per_user: 1``, ``email_restrictions: [email]``, ``date_expires``, and
``DELETE /coupons/<id>?force=true`` (coupons are trashed without ``force``). A code another
coupon has is refused with 400 ``woocommerce_rest_coupon_code_already_exists``
(``CodeTaken`` here). ``date_expires`` is read in the site's time zone, which Encore does not
know: the UTC moment is sent and Encore's cleanup deletes the coupon at that UTC moment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from encore.adapters.shop_http import ShopRefused
from encore.adapters.shopify_admin import ShopifyAdmin
from encore.adapters.woocommerce_admin import WooCommerceAdmin

MAX_REDEEM_CODES_PER_CALL = 250  # discountRedeemCodeBulkAdd's documented maximum

DISCOUNT_CODE_BASIC_CREATE = """
mutation EncoreDiscountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

CODE_DISCOUNT_NODE_BY_CODE = """
query EncoreCodeDiscountNodeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""

DISCOUNT_REDEEM_CODE_BULK_ADD = """
mutation EncoreDiscountRedeemCodeBulkAdd($discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) {
    bulkCreation { id done codesCount importedCount failedCount }
    userErrors { field code message }
  }
}
"""

DISCOUNT_REDEEM_CODE_BULK_CREATION = """
query EncoreDiscountRedeemCodeBulkCreation($id: ID!, $first: Int!) {
  discountRedeemCodeBulkCreation(id: $id) {
    id done codesCount importedCount failedCount
    codes(first: $first) { nodes { code discountRedeemCode { id code } errors { field code message } } }
  }
}
"""

DISCOUNT_CODE_REDEEM_CODE_BULK_DELETE = """
mutation EncoreDiscountCodeRedeemCodeBulkDelete($discountId: ID!, $ids: [ID!]) {
  discountCodeRedeemCodeBulkDelete(discountId: $discountId, ids: $ids) {
    job { id done }
    userErrors { field code message }
  }
}
"""


class CodeTaken(ShopRefused):
    """The shop already has a coupon with this code (pick another one)."""


class ShopifyDiscounts:
    platform = "shopify"

    def __init__(self, admin: ShopifyAdmin):
        self.admin = admin

    def create_percentage_discount(self, *, title: str, code: str, percent_off: int, starts_at: datetime, ends_at: datetime | None = None) -> str:
        """One code discount: ``percent_off`` % off every item, each code once. Returns the
        DiscountCodeNode id."""
        payload = self.admin.mutate(
            DISCOUNT_CODE_BASIC_CREATE,
            {
                "basicCodeDiscount": {
                    "title": title,
                    "code": code,
                    "startsAt": _utc(starts_at),
                    "endsAt": _utc(ends_at) if ends_at else None,
                    "context": {"all": "ALL"},
                    "customerGets": {"value": {"percentage": round(percent_off / 100, 4)}, "items": {"all": True}},
                    "appliesOncePerCustomer": True,
                    "usageLimit": 1,
                }
            },
            "discountCodeBasicCreate",
        )
        node = payload.get("codeDiscountNode") or {}
        if not node.get("id"):
            raise ShopRefused(f"Shopify created no discount on {self.admin.shop_domain} for {title!r}", code="NO_DISCOUNT")
        return node["id"]

    def discount_id_by_code(self, code: str) -> str | None:
        node = self.admin.execute(CODE_DISCOUNT_NODE_BY_CODE, {"code": code}).get("codeDiscountNodeByCode")
        return node["id"] if node else None

    def add_redeem_codes(self, discount_id: str, codes: list[str]) -> str:
        """Start the asynchronous bulk add; returns the DiscountRedeemCodeBulkCreation id."""
        if not 0 < len(codes) <= MAX_REDEEM_CODES_PER_CALL:
            raise ValueError(f"1 to {MAX_REDEEM_CODES_PER_CALL} codes per bulk add, not {len(codes)}")
        payload = self.admin.mutate(
            DISCOUNT_REDEEM_CODE_BULK_ADD, {"discountId": discount_id, "codes": [{"code": code} for code in codes]}, "discountRedeemCodeBulkAdd"
        )
        creation = payload.get("bulkCreation") or {}
        if not creation.get("id"):
            raise ShopRefused(f"Shopify started no bulk code creation on {self.admin.shop_domain}", code="NO_BULK_CREATION")
        return creation["id"]

    def bulk_creation(self, creation_id: str, first: int = MAX_REDEEM_CODES_PER_CALL) -> tuple[bool, dict[str, str], dict[str, str]]:
        """(done, {code: DiscountRedeemCode id} created, {code: why} failed) for the first
        ``first`` codes of the creation (Shopify prices the query by ``first``)."""
        creation = self.admin.execute(DISCOUNT_REDEEM_CODE_BULK_CREATION, {"id": creation_id, "first": min(first, MAX_REDEEM_CODES_PER_CALL)}).get(
            "discountRedeemCodeBulkCreation"
        )
        if creation is None:
            raise ShopRefused(f"no bulk code creation {creation_id} on {self.admin.shop_domain}", code="NOT_FOUND")
        created, failed = {}, {}
        for node in (creation.get("codes") or {}).get("nodes") or []:
            redeem = node.get("discountRedeemCode") or {}
            if redeem.get("id"):
                created[node["code"]] = redeem["id"]
            elif node.get("errors"):
                failed[node["code"]] = "; ".join(str(error.get("message")) for error in node["errors"])
        return bool(creation.get("done")), created, failed

    def delete_redeem_codes(self, discount_id: str, redeem_code_ids: list[str]) -> str | None:
        """Delete redeem codes of one discount (an asynchronous job, whose id is returned)."""
        payload = self.admin.mutate(
            DISCOUNT_CODE_REDEEM_CODE_BULK_DELETE, {"discountId": discount_id, "ids": redeem_code_ids}, "discountCodeRedeemCodeBulkDelete"
        )
        return (payload.get("job") or {}).get("id")


class WooCommerceCoupons:
    platform = "woocommerce"

    def __init__(self, admin: WooCommerceAdmin):
        self.admin = admin

    def create_coupon(self, *, code: str, percent_off: int, email: str, expires_at: datetime, description: str = "") -> int:
        """One single-use coupon for one customer's email; returns its id. CodeTaken when the
        shop already has the code."""
        body = {
            "code": code,
            "discount_type": "percent",
            "amount": f"{percent_off:d}",
            "individual_use": True,
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "email_restrictions": [email],
            "date_expires": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "description": description,
        }
        try:
            created = self.admin.request("POST", "coupons", body=body).data
        except ShopRefused as refused:
            if refused.code == "woocommerce_rest_coupon_code_already_exists":
                raise CodeTaken(str(refused), code=refused.code) from refused
            raise
        return int(created["id"])

    def coupon_id_by_code(self, code: str) -> int | None:
        found = self.admin.request("GET", "coupons", params={"code": code}).data or []
        return int(found[0]["id"]) if found else None

    def delete_coupon(self, coupon_id: int) -> None:
        try:
            self.admin.request("DELETE", f"coupons/{int(coupon_id)}", params={"force": "true"})
        except ShopRefused as refused:
            if refused.code != "woocommerce_rest_shop_coupon_invalid_id":  # already gone: what we wanted
                raise


def shop_coupons(shop: dict, credentials: dict | None, **shopify_options):
    """The coupon client for a store's shop document and admin-api credentials; None for a
    platform without an admin API Encore writes to (generic: an uploaded pool).
    ``shopify_options`` go to ShopifyAdmin (a message should not wait out 5 throttle waits)."""
    platform = shop.get("platform")
    if platform == "shopify":
        return ShopifyDiscounts(ShopifyAdmin.for_shop(shop, credentials, **shopify_options))
    if platform == "woocommerce":
        return WooCommerceCoupons(WooCommerceAdmin.for_shop(shop, credentials))
    return None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
