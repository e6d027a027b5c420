"""Which channel a journey step uses: the step names its channels in order of preference, and
the first one the store has switched on and the customer can be reached on wins; the rest
are the fallbacks, in order, if sending on it fails.

Adapters per channel: encore.adapters.email (SES v2), encore.adapters.sms (SNS or End User
Messaging SMS), encore.adapters.push (End User Messaging Push).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

ChannelName = Literal["email", "sms", "push"]
CHANNELS: tuple[ChannelName, ...] = get_args(ChannelName)


@dataclass(frozen=True)
class CustomerCapabilities:
    """What is known about reaching one customer."""

    email_address: bool = False  # an address that has not bounced or complained (suppression list)
    phone: bool = False  # a valid E.164 number that has not replied STOP (STOP ends every text, even transactional)
    push_token: bool = False  # at least one device token the provider has not rejected
    marketing_consent: frozenset[ChannelName] = frozenset()  # channels the customer agreed to receive marketing on

    def can_receive(self, channel: ChannelName, *, marketing: bool) -> bool:
        reachable = {"email": self.email_address, "sms": self.phone, "push": self.push_token}[channel]
        return reachable and (not marketing or channel in self.marketing_consent)


def choose_channels(
    preferred: Sequence[ChannelName],
    customer_capabilities: CustomerCapabilities,
    store_channels: Collection[ChannelName],
    *,
    marketing: bool = True,
) -> list[ChannelName]:
    """The step's channels in the order to try them; empty when the step cannot reach the
    customer at all (the step is skipped, not failed).

    ``["push", "email"]`` gives push for a customer with a device token and push consent in a
    store with push switched on, with email as its fallback; otherwise just email (or nothing).
    Transactional messages (``marketing=False``) need no marketing consent, only an address.
    """
    unknown = [name for name in [*preferred, *store_channels] if name not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s) {unknown}: channels are {', '.join(CHANNELS)}")
    chosen: list[ChannelName] = []
    for channel in preferred:
        if channel in chosen or channel not in store_channels:
            continue
        if customer_capabilities.can_receive(channel, marketing=marketing):
            chosen.append(channel)
    return chosen


def enabled_channels(channels: object) -> frozenset[ChannelName]:
    """The channels a store switched on, from its settings (``StoreSettings.channels``, whose
    boolean fields are named after the channels)."""
    return frozenset(name for name in CHANNELS if getattr(channels, name, False))
