"""Delivering one journey step's message: the classification of templates, and the names
other modules import. The delivery itself is a pipeline of small steps in
``encore.delivery`` (load → eligibility → channel → guards → claim → content → send →
record); ``deliver_step`` runs them.
"""

from __future__ import annotations

# Each scenario classifies its own messages (encore.scenarios.registry). Transactional ones
# (order confirmation, shipping, payment reminders) go out without marketing consent; every
# other template is marketing: a template nobody classified must never skip consent.
from encore.scenarios import cart_abandonment, registry

TRANSACTIONAL_TEMPLATES: frozenset[str] = registry.transactional_templates()
CART_REMINDERS = registry.templates_exiting_on("cart_closed", scenario_name=cart_abandonment.NAME)
UNPAID_REMINDERS = registry.templates_exiting_on("order_settled")


# Templates about one order: the step names it and the message shows it.
ORDER_TEMPLATES = registry.order_templates()


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
