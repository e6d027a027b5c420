"""Per-store settings: timings and offers for each scenario, sender and brand.

Defaults are the ones SCENARIOS.md gives; a store overrides any of them in its settings
parameter (JSON), so timings reach the state machines through the execution input.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class CartAbandonmentSettings:
    enabled: bool = True
    # When each reminder goes out, counted from the moment the cart was last updated.
    reminder_offsets_seconds: tuple[int, int, int] = (1 * HOUR, 24 * HOUR, 72 * HOUR)
    coupon_percent_off: int = 10
    coupon_valid_days: int = 7

    def execution_waits(self, elapsed_seconds: int = 0) -> dict | None:
        """Step Functions waits run one after another, so offsets become gaps. The first
        gap is shortened by the time the cart event took to reach us; None when the first
        reminder's moment is already past (a historical import starts no journey)."""
        first, second, third = self.reminder_offsets_seconds
        if elapsed_seconds >= first:
            return None
        return {
            "before_reminder_1_seconds": first - max(0, elapsed_seconds),
            "before_reminder_2_seconds": second - first,
            "before_reminder_3_seconds": third - second,
            # After the last reminder keep listening for an order while the coupon is valid.
            "after_reminder_3_seconds": self.coupon_valid_days * DAY,
        }


@dataclass(frozen=True)
class StoreSettings:
    store_id: str
    name: str = "Encore demo store"
    sender: str = "Encore demo store <hello@shop.example>"
    storefront_url: str = "https://shop.example"
    locale: str = "en"
    currency: str = "USD"
    cart_abandonment: CartAbandonmentSettings = field(default_factory=CartAbandonmentSettings)

    @classmethod
    def from_dict(cls, store_id: str, raw: dict) -> "StoreSettings":
        known = {f.name for f in fields(cls)} - {"store_id", "cart_abandonment"}
        settings = cls(store_id=store_id, **{k: v for k, v in raw.items() if k in known})
        cart = raw.get("cart_abandonment") or {}
        if cart:
            if "reminder_offsets_seconds" in cart:
                cart = {**cart, "reminder_offsets_seconds": tuple(cart["reminder_offsets_seconds"])}
            settings = replace(settings, cart_abandonment=CartAbandonmentSettings(**cart))
        return settings


def load_store_settings(parameters, store_id: str) -> StoreSettings:
    """``parameters`` is a StoreParameters adapter (SSM in AWS and in the local stack)."""
    return StoreSettings.from_dict(store_id, parameters.store_settings(store_id))
