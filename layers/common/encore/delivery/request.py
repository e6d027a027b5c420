"""What a state machine's "Send …" task passes to the send-message function, what it gets
back, and the named errors the state machines react to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from encore.channels import ChannelName
from encore.storage.records import Coupon, Customer
from encore.unsubscribe import UnsubscribeKeys

# The journey's exit rules a step may name (``StepRequest.exit_if``), checked just before
# sending in this order; the first that holds names the reason (``eligibility``).
ExitRule = Literal["order_settled", "cart_closed", "cart_reached_threshold", "ordered_since", "bought"]


class CouponRequest(BaseModel):
    percent_off: int = Field(ge=1, le=100)
    valid_days: int = Field(ge=1)


class StepRequest(BaseModel):
    """What a state machine's "Send …" task passes to the send-message function."""

    store_id: str
    customer_id: str
    journey: str
    step: str
    template: str
    cart_id: str | None = None
    order_id: str | None = None
    coupon: CouponRequest | None = None
    # A coupon an earlier step of the journey issued, shown again (an expiry reminder).
    coupon_code: str | None = None
    # Catalogue products the message shows (viewed, upgrades, complements, best sellers).
    products: list[str] = []
    category: str | None = None
    # Exit rules re-checked just before sending: an order since this moment (the journey's
    # start) ends a marketing journey; so does a purchase of one of ``unless_bought``.
    skip_if_ordered_since: datetime | None = None
    unless_bought: list[str] = []
    # The step's channels in order of preference; the first the store switched on and the
    # customer can receive (address, consent, not suppressed) wins.
    channels: list[ChannelName] = ["email"]
    # The input's shape. Version 1 (executions started before exit rules were named, see
    # tests/contracts/step_inputs.json) has no ``exit_if``: its rules are inferred from the
    # template's name, as they were then. Version 2 names them.
    version: int = 1
    exit_if: list[ExitRule] | None = None


class ChannelUnavailable(RuntimeError):
    """The channel failed to take the message; nothing was sent and the claim was given back.
    State machines retry this error by name."""

    retried_by_name = True  # runtime.retry_transient keeps the name (its own Retry, 60 s apart)


@dataclass(frozen=True)
class StepResult:
    sent: bool
    reason: str
    coupon_code: str | None = None
    # Set when a guard (quiet hours, send window, frequency cap) holds the message back: the
    # journey waits until then and asks again (ASL: "Wait until … may be sent").
    deferred_until: str | None = None

    def as_dict(self) -> dict:
        return {"sent": self.sent, "reason": self.reason, "coupon_code": self.coupon_code, "deferred_until": self.deferred_until}


@dataclass(frozen=True)
class UnsubscribeLinks:
    """What marketing emails need for their one-click unsubscribe link: the HTTP API's URL
    and the store's unsubscribe keys (None when the store has none: no marketing email)."""

    api_url: str
    keys: UnsubscribeKeys | None


class CouponIssuer(Protocol):
    """Hands a step a code its shop accepted (``encore.coupons.issue`` bound to the store's
    shop), or raises CouponUnavailable."""

    def issue(self, request: StepRequest, customer: Customer, now: datetime) -> Coupon: ...
