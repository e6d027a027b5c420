"""Coupon: the code the message shows. A step carrying an offer asks the store's shop for a
new code; a step naming an earlier step's code (an expiry reminder) shows that one again.
When the shop gives no code, the store decides (``on_coupon_failure``): send without it, or
hold the step (``awaiting_coupon``) and let the state's Retry ask again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from encore.adapters.shop_http import ShopAdminError
from encore.coupons import CouponUnavailable, failure_reason
from encore.delivery.load import LoadedStep
from encore.delivery.request import ChannelUnavailable, CouponIssuer, StepRequest
from encore.guards import scenario_of
from encore.observability import logger
from encore.storage.delivery import DeliveryStorage
from encore.storage.messages import MessageStore
from encore.storage.records import Coupon, Customer, Message
from encore.stores import StoreSettings

# Templates that need a code; without one the step sends this template instead (its plain
# counterpart), so "send without the code" never renders an empty coupon box.
WITHOUT_COUPON = {"cart_reminder_3": "cart_reminder_2"}


@dataclass(frozen=True)
class StepCoupon:
    coupon: Coupon | None
    request: StepRequest  # the step as it goes out: its template may be the plain counterpart

    @property
    def issued_code(self) -> str | None:
        """Only the step that issued a coupon records it (erasure deletes it through it)."""
        return self.coupon.code if self.coupon is not None and self.request.coupon else None


def step_coupon(step: LoadedStep, message: Message, store: StoreSettings, coupons: CouponIssuer | None, storage: DeliveryStorage) -> StepCoupon:
    request = step.request
    if not request.coupon:
        return StepCoupon(issued_coupon(request, storage), request)
    coupon, failure = new_coupon(request, step.known_customer, step.now, coupons)
    if failure is not None:
        _no_code(request, message, store, failure, storage.messages)
    if coupon is None and request.template in WITHOUT_COUPON:
        request = request.model_copy(update={"template": WITHOUT_COUPON[request.template]})
    return StepCoupon(coupon, request)


def new_coupon(request: StepRequest, customer: Customer, now: datetime, coupons: CouponIssuer | None) -> tuple[Coupon | None, str | None]:
    """(the step's coupon, None) or (None, why there is none)."""
    if coupons is None:
        return None, "no_coupon_shop"
    try:
        return coupons.issue(request, customer, now), None
    except CouponUnavailable as unavailable:
        return None, unavailable.reason
    except ShopAdminError as error:
        return None, failure_reason(error)


def issued_coupon(request: StepRequest, storage: DeliveryStorage) -> Coupon | None:
    """The earlier step's coupon the message shows again; only the customer's own."""
    if not request.coupon_code:
        return None
    coupon = storage.coupons.coupon(request.store_id, request.coupon_code)
    return coupon if coupon is not None and coupon.customer_id == request.customer_id else None


def _no_code(request: StepRequest, message: Message, store: StoreSettings, failure: str, messages: MessageStore) -> None:
    """Record why the shop gave no code; raise ChannelUnavailable when the store wants the code."""
    scenario = scenario_of(request.journey)
    logger.warning("no coupon for the step", extra={"scenario": scenario, "journey": request.journey, "step": request.step, "reason": failure})
    if store.on_coupon_failure(scenario) != "retry":
        messages.note_coupon_failure(message, failure)
        return
    # Hold the step (the claim is not given back: the record says why) and let the state's
    # Retry (ChannelUnavailable, 60 s and longer apart) try again.
    messages.hold_for_coupon(message, failure)
    raise ChannelUnavailable(f"{request.template}: no coupon ({failure})")
