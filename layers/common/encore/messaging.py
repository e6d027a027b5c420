"""Delivering one journey step's message: the classification of templates, and the names
other modules import. The delivery itself is a pipeline of small steps in
``encore.delivery`` (load → eligibility → channel → guards → claim → content → send →
record); ``deliver_step`` runs them.
"""

from __future__ import annotations

# Transactional messages (order confirmation, shipping) go out without marketing consent.
# Every other template is marketing: a template nobody classified must never skip consent.
# A payment reminder is about an order the customer placed and has not paid: a service
# message the customer needs to complete their own purchase, so it is transactional too.
TRANSACTIONAL_TEMPLATES: frozenset[str] = frozenset(
    {
        "registration_confirmation",
        "order_confirmation",
        "shipping_notice",
        "delivery_notice",
        "payment_reminder_1",
        "payment_reminder_2",
    }
)
CART_REMINDERS = {"cart_reminder_1", "cart_reminder_2", "cart_reminder_3"}
UNPAID_REMINDERS = {"payment_reminder_1", "payment_reminder_2"}


# Templates about one order: the step names it and the message shows it.
ORDER_TEMPLATES = TRANSACTIONAL_TEMPLATES - {"registration_confirmation"}


def is_marketing(template: str) -> bool:
    return template not in TRANSACTIONAL_TEMPLATES


# What other modules import from here and now lives in encore.delivery, resolved on first use
# (PEP 562): the delivery steps read the classification above from this module, so importing
# them here eagerly would make the two import each other.
_MOVED_TO = {
    "COUPON_ALPHABET": ("encore.coupons", "ALPHABET"),  # the demo matches codes with it
    "WITHOUT_COUPON": ("encore.delivery.coupon", "WITHOUT_COUPON"),
    "deliver_step": ("encore.delivery.pipeline", "deliver_step"),
    "UNCONFIRMED_AFTER": ("encore.delivery.record", "UNCONFIRMED_AFTER"),
    "delivery_state": ("encore.delivery.record", "delivery_state"),
    "unconfirmed_messages": ("encore.delivery.record", "unconfirmed_messages"),
    **{
        name: ("encore.delivery.request", name)
        for name in ("ChannelUnavailable", "CouponIssuer", "CouponRequest", "ExitRule", "StepRequest", "StepResult", "UnsubscribeLinks")
    },
}


def __getattr__(name: str):
    if name not in _MOVED_TO:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _MOVED_TO[name]
    return getattr(import_module(module), attribute)


def __dir__() -> list[str]:
    return sorted([*globals(), *_MOVED_TO])
