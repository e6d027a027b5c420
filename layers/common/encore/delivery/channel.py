"""Channel: the first of the step's channels the store switched on, the customer can be
reached on and a template exists for; or why the step cannot go out at all. Hard
suppression (bounce, complaint, STOP) closes a channel for every message, transactional
ones too (``encore.channels`` holds the choice itself)."""

from __future__ import annotations

from encore.channels import ChannelName, CustomerCapabilities, choose_channels, enabled_channels
from encore.delivery.request import StepRequest
from encore.messaging import is_marketing
from encore.rendering import TEMPLATES_DIR
from encore.storage.records import Customer
from encore.stores import StoreSettings

# Per channel: an address to send to, why it is suppressed (if it is), marketing consent.
Reach = tuple[bool, str | None, bool]


def choose_channel(request: StepRequest, customer: Customer | None, store: StoreSettings) -> tuple[ChannelName | None, str | None]:
    """(the channel the step goes out on, None) or (None, why it cannot go out at all)."""
    if customer is None:
        return None, "no_email_address"
    marketing = is_marketing(request.template)
    reach = customer_reach(customer)
    capabilities = CustomerCapabilities(
        email_address=_reachable(reach["email"]),
        phone=_reachable(reach["sms"]),
        push_token=_reachable(reach["push"]),
        marketing_consent=frozenset(channel for channel, (_, _, consent) in reach.items() if consent),
    )
    chosen = choose_channels(request.channels, capabilities, enabled_channels(store.channels), marketing=marketing)
    usable = [channel for channel in chosen if has_template(channel, request.template)]
    if usable:
        return usable[0], None
    first = request.channels[0]
    return None, unreachable_reason(first, reach[first], marketing)


def customer_reach(customer: Customer) -> dict[ChannelName, Reach]:
    """A push token means the app asked the OS for permission and the customer said yes."""
    return {
        "email": (bool(customer.email), customer.email_suppressed_reason, bool(customer.accepts_email_marketing)),
        "sms": (bool(customer.phone), customer.sms_suppressed_reason, bool(customer.sms_consent and customer.sms_consent.granted)),
        "push": (bool(customer.push_token), None, bool(customer.push_token)),
    }


def _reachable(reach: Reach) -> bool:
    address, suppressed, _ = reach
    return address and not suppressed


def has_template(channel: ChannelName, template: str) -> bool:
    suffix = ".subject.txt" if channel == "email" else ".txt"
    return (TEMPLATES_DIR / channel / f"{template}{suffix}").is_file()


def unreachable_reason(channel: ChannelName, reach: Reach, marketing: bool) -> str:
    """Why the step's first channel cannot carry it (what the record shows)."""
    address, suppressed, consent = reach
    if not address:
        return "no_email_address" if channel == "email" else f"no_{channel}_address"
    if suppressed:
        return f"suppressed_{suppressed}" if channel == "email" else f"{channel}_suppressed_{suppressed}"
    if marketing and not consent:
        return "no_marketing_consent" if channel == "email" else f"no_{channel}_marketing_consent"
    return f"{channel}_not_available"  # switched off for the store, or no template for it
