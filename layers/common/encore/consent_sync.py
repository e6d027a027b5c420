"""Telling the shop about an opt-out made in Encore, so it stops reporting the customer as
subscribed (Shopify's customer record is what the merchant, other apps and Shopify Email see).

Only a customer's own, explicit opt-out is written back: the one-click unsubscribe link, the
preferences page, an SMS STOP. Encore's suppression after a bounce or a complaint, and its
list hygiene (sunset), are Encore's decisions about sending, not the customer's about
consent: they are never written back. A consent change that came from the shop (a
``customers/update`` webhook) is never announced, so nothing echoes back.

The opt-out is recorded in Encore first (it takes effect there at once); then a
``consent_withdrawn`` event goes on the bus, and the consent_sync function, subscribed to it
by an EventBridge rule, calls the shop outside the customer's HTTP request. That call is
retried by Lambda and, after that, parked with its error in the failure queue for
``encore redrive``. Writing UNSUBSCRIBED twice is harmless; before writing, the function
checks that Encore still holds the withdrawal, so a replay or a redrive after the customer
subscribed again does not undo their new consent.

WooCommerce has no marketing consent field of its own (a newsletter plugin keeps its own
list): nothing is written there. Encore's opt-out stays authoritative in Encore, and an older
"subscribed" from a later webhook never undoes it (``customers._may_replace``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from encore.adapters.bus import EventPublisher
from encore.adapters.shop_http import ShopAdminError, ShopAuthRefused, ShopRefused
from encore.observability import logger
from encore.storage import customer_state
from encore.storage.customer_state import CustomerStorage

if TYPE_CHECKING:
    from encore.adapters.shopify_admin import ShopifyAdmin

Channel = Literal["email", "sms"]

# Consent sources that come from a shop: never announced (the shop already knows).
SHOP_SOURCES = ("shopify:", "woocommerce:")

# Throttling is waited out at most twice inside one invocation: the function's retries and
# the failure queue carry anything longer (an opt-out may reach the shop minutes later).
THROTTLE_RETRIES = 2


class ConsentWithdrawn(BaseModel):
    """A customer withdrew a channel's marketing consent in Encore (detail-type
    ``consent_withdrawn`` on the stack's bus)."""

    type: Literal["consent_withdrawn"] = "consent_withdrawn"
    event_id: str = Field(min_length=1)
    store_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    channel: Channel
    source: str  # e.g. "email:one-click-unsubscribe", "sms:stop-keyword"
    occurred_at: datetime


def announce_withdrawal(store_id: str, customer_id: str, channel: Channel, source: str, at: datetime, *, publisher: EventPublisher | None) -> bool:
    """Put the withdrawal on the bus for the shop (after it is recorded in Encore). Returns
    whether it was announced: a shop's own change, or no bus, announces nothing."""
    if source.startswith(SHOP_SOURCES):
        return False
    if publisher is None:
        logger.warning("consent withdrawal not announced: no event bus", extra={"store": store_id, "channel": channel})
        return False
    event = ConsentWithdrawn(
        event_id=f"consent:{store_id}:{customer_id}:{channel}:{at.isoformat()}",
        store_id=store_id,
        customer_id=customer_id,
        channel=channel,
        source=source,
        occurred_at=at,
    )
    publisher.publish([event])
    return True


def _still_withdrawn(event: ConsentWithdrawn, storage: CustomerStorage) -> bool:
    profile = storage.profiles.profile(event.store_id, event.customer_id)
    if profile is None:  # erased since: there is nobody to tell the shop about
        return False
    consent = profile.email_consent if event.channel == "email" else profile.sms_consent
    return consent is not None and not consent.granted


ShopifyClientFactory = Callable[[dict, dict], "ShopifyAdmin"]


def _shopify_client(shop: dict, credentials: dict) -> ShopifyAdmin:
    # Imported here: the unsubscribe and SMS functions announce withdrawals but never call a shop.
    from encore.adapters.shopify_admin import ShopifyAdmin

    return ShopifyAdmin.for_shop(shop, credentials, max_throttle_retries=THROTTLE_RETRIES)


def write_back(
    event: ConsentWithdrawn,
    *,
    shop: dict,
    credentials: dict | None,
    shopify_client: ShopifyClientFactory = _shopify_client,
    storage: CustomerStorage | None = None,
) -> str:
    """Tell the store's shop; returns what happened, in words for the log.

    Raises the shop's transient errors (throttled, unreachable) and a refused token, so
    Lambda retries and then parks the event for ``encore redrive`` once fixed; a refusal of
    this one customer (``userErrors``: gone from the shop, no email address) is final."""
    platform = shop.get("platform") or "generic"
    log = {"store": event.store_id, "channel": event.channel, "platform": platform}
    if platform != "shopify":
        outcome = f"not written: {platform} keeps no marketing consent of its own; Encore's opt-out is authoritative"
    elif not _still_withdrawn(event, storage or customer_state.on_dynamodb()):
        outcome = "not written: Encore no longer holds this withdrawal (consent given again, or the customer erased)"
    elif not event.customer_id.isdigit():
        outcome = "not written: not a Shopify customer id"
    elif not credentials:
        outcome = "not written: the store has no admin API credentials (encore secret rotate STORE admin-api)"
        logger.warning("consent write-back", extra={**log, "outcome": outcome})
        return outcome
    else:
        try:
            shopify_client(shop, credentials).update_marketing_consent(event.channel, event.customer_id, "UNSUBSCRIBED", event.occurred_at)
        except ShopRefused as error:
            outcome = f"refused by the shop: {error}"
            logger.warning("consent write-back", extra={**log, "outcome": outcome, "code": error.code})
            return outcome
        except ShopAuthRefused as error:
            logger.error("consent write-back", extra={**log, "outcome": f"credentials refused: {error}"})
            raise
        except ShopAdminError as error:
            logger.warning("consent write-back", extra={**log, "outcome": f"will retry: {error}"})
            raise
        outcome = "written: UNSUBSCRIBED"
    logger.info("consent write-back", extra={**log, "outcome": outcome})
    return outcome
