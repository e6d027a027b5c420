"""What a scenario declares about itself (``Scenario``), and the rules every scenario shares.

This module imports nothing of Encore: the scenario modules, the registry and the store
settings all build on it, so it can never be part of an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

HOUR = 3600
DAY = 24 * HOUR

# A message's content, for readers and for the rules that may one day treat them apart
# (an educational tip is not an offer).
Content = Literal["informational", "educational", "commercial"]

# The conditions re-checked just before a step sends, which end the journey's message:
#   order_settled           the order was paid or cancelled (payment reminders)
#   cart_closed             the cart was ordered, emptied or is gone
#   cart_reached_threshold  the cart reached the free-delivery threshold
#   ordered_since           the customer ordered after the journey began
#   bought                  the customer bought one of the products the message offers
ExitRule = Literal["order_settled", "cart_closed", "cart_reached_threshold", "ordered_since", "bought"]
EXIT_RULES: tuple[str, ...] = get_args(ExitRule)

# Who calls a scenario's start rules: the triggers module after the event's state changed,
# or the state change itself (carts, orders) when the journey must exist before the rest of
# that change is applied (a cart's timer, an order's statuses that arrived before it).
StartedBy = Literal["triggers", "carts", "orders"]


class ScenarioSettings(BaseModel):
    """Base of every settings model. Unknown keys are errors: a typo in a settings file must
    not silently keep a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# What a step carrying a coupon does when the shop refuses the code or cannot be reached
# (after the admin client's own retries): send the message without a code (the default), or
# give the step back for its state's Retry (ChannelUnavailable) and send it with a code later.
OnCouponFailure = Literal["send_without_code", "retry"]


@dataclass(frozen=True)
class MessageTemplate:
    """One message a scenario's journey sends (``templates/<channel>/<name>.*``)."""

    name: str
    # Transactional messages go out without marketing consent; everything else is marketing.
    marketing: bool
    content: Content
    exit_rules: tuple[ExitRule, ...] = ()


# A start rule: (canonical event, customer id, the store's settings, journeys) → started?
StartRule = Callable[[Any, str, Any, Any], bool]


@dataclass(frozen=True)
class Scenario:
    """Everything Encore knows about one scenario, declared once in its module."""

    name: str  # the state machine's name suffix and the journeys' name prefix
    number: int  # as SCENARIOS.md and the demo report number it
    title: str
    settings_field: str  # StoreSettings' field holding this scenario's settings
    settings_model: type[ScenarioSettings]
    # The canonical events it reacts to, each with the function that may start a journey.
    start_rules: Mapping[str, StartRule]
    started_by: StartedBy
    journey_key: Literal["cart", "order", "customer", "visit_day", "product", "category"]  # one journey per …
    templates: tuple[MessageTemplate, ...]
    # The frequency cap: lower number = more important (None: not capped, transactional).
    priority: int | None = None
    # A held-back message later than this after its first attempt is skipped (None: the
    # store's default).
    stale_after_hours: int | None = None
    # How old a trigger may be and still start a journey, from the scenario's own setting
    # (settings files keep their names); ``too_old`` applies the one rule. None: the start
    # rule computes the limit itself (review request: the delay its products need).
    start_window: Callable[[Any], timedelta] | None = None
    events: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.start_rules))
        unknown = {rule for template in self.templates for rule in template.exit_rules} - set(EXIT_RULES)
        if unknown:
            raise ValueError(f"{self.name}: unknown exit rules {sorted(unknown)}")

    @property
    def marketing(self) -> bool:
        """A scenario is marketing when any of its messages is (it needs consent and the
        store's postal address)."""
        return any(template.marketing for template in self.templates)

    @property
    def asl_file(self) -> str:
        return f"{self.name.replace('-', '_')}.asl.json"

    def too_old(self, occurred_at: datetime, settings: ScenarioSettings, now: datetime) -> bool:
        if self.start_window is None:
            raise TypeError(f"{self.name} declares no start window: its start rule computes the limit")
        return too_old_to_start(occurred_at, self.start_window(settings), now)


def too_old_to_start(occurred_at: datetime, max_age: timedelta, now: datetime) -> bool:
    """The one rule for "too old to start": an event at least ``max_age`` old when it reaches
    us (a historical import, a late webhook, a replay) starts no journey. Each scenario
    names its own limit in its settings (``max_order_age_hours``, ``settle_seconds``…)."""
    return now - occurred_at >= max_age
