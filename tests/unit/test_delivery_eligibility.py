"""Exit rules, checked just before a step sends: named by the step (``exit_if``, input
version 2) or, for step inputs recorded before they were named (version 1), inferred from
the template and fields exactly as before, with the same reasons either way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from encore.delivery.eligibility import EXIT_RULES, exit_reason, exit_rules, inferred_exit_rules, missing_requirement
from encore.delivery.load import LoadedStep, load
from encore.delivery.request import StepRequest, UnsubscribeLinks
from encore.models import PurchasedProduct
from encore.storage.fakes import InMemoryCustomerRecords
from encore.storage.records import Cart, CartLineAttribute, Customer, Order, customer_key
from encore.stores import StoreSettings
from encore.unsubscribe import UnsubscribeKeys

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "step_inputs.json"
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
STORE = StoreSettings.from_dict("shop", {"postal_address": "1 Main St"})
PK = customer_key("shop", "c-1")
LINE = CartLineAttribute(product_id="mug", title="Mug", quantity=1, price_cents=1250)


def _request(template: str, **fields) -> StepRequest:
    return StepRequest(store_id="shop", customer_id="c-1", journey="cart-abandonment-shop-c-1-1", step="s", template=template, **fields)


def _step(
    request: StepRequest, *, cart: Cart | None = None, order: Order | None = None, last_order_at: datetime | None = None, purchased: dict | None = None
) -> LoadedStep:
    customer = Customer(PK, Customer.sort_key(), store_id="shop", customer_id="c-1", last_order_at=last_order_at)
    return LoadedStep(request, PK, "MESSAGE#j#s", None, customer, cart, order, NOW, purchased or {})


def _cart(status: str = "open", total_cents: int = 1250, lines=(LINE,)) -> Cart:
    return Cart(PK, Cart.sort_key("cart-1"), cart_id="cart-1", status=status, total_cents=total_cents, lines=list(lines))


# ---------------------------------------------------------------- version 1: inferred


@pytest.mark.parametrize(
    ("template", "fields", "rules"),
    [
        ("payment_reminder_1", {"order_id": "o-1"}, {"order_settled"}),
        ("cart_reminder_2", {"cart_id": "cart-1"}, {"cart_closed"}),
        ("cart_threshold_nudge", {"cart_id": "cart-1", "skip_if_ordered_since": NOW}, {"cart_closed", "cart_reached_threshold", "ordered_since"}),
        ("welcome_2", {"skip_if_ordered_since": NOW}, {"ordered_since"}),
        ("up_sell_offer", {"unless_bought": ["p-1"]}, {"bought"}),
        ("order_confirmation", {"order_id": "o-1"}, set()),
    ],
)
def test_a_version_1_input_has_the_rules_its_template_and_fields_meant(template, fields, rules):
    request = _request(template, **fields)
    assert (request.version, request.exit_if) == (1, None)
    assert exit_rules(request) == inferred_exit_rules(request) == rules


@pytest.mark.parametrize(
    ("request_", "step_facts", "reason"),
    [
        (_request("payment_reminder_1", order_id="o-1"), {"order": Order(PK, "ORDER#o-1", paid_at=NOW)}, "order_paid"),
        (_request("payment_reminder_2", order_id="o-1"), {"order": Order(PK, "ORDER#o-1", cancelled_at=NOW)}, "order_cancelled"),
        (_request("cart_reminder_1", cart_id="cart-1"), {"cart": None}, "cart_missing"),
        (_request("cart_reminder_1", cart_id="cart-1"), {"cart": _cart(status="ordered")}, "cart_ordered"),
        (_request("cart_reminder_1", cart_id="cart-1"), {"cart": _cart(lines=())}, "cart_empty"),
        (_request("cart_threshold_nudge", cart_id="cart-1"), {"cart": _cart(total_cents=10**6)}, "cart_reached_threshold"),
        (_request("welcome_2", skip_if_ordered_since=NOW - timedelta(days=1)), {"last_order_at": NOW}, "ordered"),
        (_request("welcome_2", skip_if_ordered_since=NOW), {"last_order_at": NOW - timedelta(days=1)}, None),
        (_request("cart_reminder_1", cart_id="cart-1"), {"cart": _cart()}, None),
    ],
)
def test_both_versions_end_the_journey_for_the_same_reason(request_, step_facts, reason):
    assert exit_reason(_step(request_, **step_facts), STORE) == reason
    named = request_.model_copy(update={"version": 2, "exit_if": sorted(inferred_exit_rules(request_))})
    assert exit_reason(_step(named, **step_facts), STORE) == reason


def test_the_step_loads_when_its_products_were_last_bought():
    records = InMemoryCustomerRecords()
    records.add(PurchasedProduct(PK, PurchasedProduct.sort_key("p-1"), product_id="p-1", last_purchased_at=NOW - timedelta(days=2)))
    records.add(PurchasedProduct(PK, PurchasedProduct.sort_key("p-3"), product_id="p-3"))  # no moment known: not bought for the rule
    assert load(_request("up_sell_offer", unless_bought=["p-1", "p-2", "p-3"]), None, records).purchased == {"p-1": NOW - timedelta(days=2)}


def test_a_bought_product_ends_the_offer_only_if_bought_since_the_journey_began():
    purchased = {"p-1": NOW - timedelta(days=2)}
    assert exit_reason(_step(_request("up_sell_offer", unless_bought=["p-1"]), purchased=purchased), STORE) == "already_bought"
    since = _request("up_sell_offer", unless_bought=["p-1"], skip_if_ordered_since=NOW - timedelta(days=1))
    assert exit_reason(_step(since, purchased=purchased), STORE) is None
    assert exit_reason(_step(_request("up_sell_offer", unless_bought=["p-2"]), purchased=purchased), STORE) is None


# ---------------------------------------------------------------- version 2: named


def test_a_version_2_input_checks_exactly_the_rules_it_names():
    closed = {"cart": _cart(status="abandoned")}
    assert exit_reason(_step(_request("cart_reminder_1", cart_id="cart-1", version=2, exit_if=[]), **closed), STORE) is None
    assert exit_reason(_step(_request("cart_reminder_1", cart_id="cart-1", version=2, exit_if=["cart_closed"]), **closed), STORE) == "cart_abandoned"
    # A rule the template's name would never have implied is checked when named.
    paid = {"order": Order(PK, "ORDER#o-1", paid_at=NOW)}
    assert exit_reason(_step(_request("review_request", order_id="o-1", version=2, exit_if=["order_settled"]), **paid), STORE) == "order_paid"
    assert exit_reason(_step(_request("review_request", order_id="o-1"), **paid), STORE) is None


def test_the_first_rule_in_the_vocabulary_s_order_names_the_reason():
    request = _request("cart_threshold_nudge", cart_id="cart-1", skip_if_ordered_since=NOW, version=2, exit_if=["ordered_since", "cart_closed"])
    assert exit_reason(_step(request, cart=_cart(status="ordered"), last_order_at=NOW), STORE) == "cart_ordered"


def test_only_the_vocabulary_s_rules_are_accepted():
    with pytest.raises(ValidationError, match="exit_if"):
        _request("cart_reminder_1", version=2, exit_if=["cart_gone"])
    assert set(EXIT_RULES) == {"order_settled", "cart_closed", "cart_reached_threshold", "ordered_since", "bought"}


def test_an_unknown_customer_has_no_exit_reason_the_channel_step_says_why():
    step = _step(_request("cart_reminder_1", cart_id="cart-1"))
    assert exit_reason(LoadedStep(step.request, PK, step.sk, None, None, None, None, NOW), STORE) is None


# ---------------------------------------------------------------- what the message needs


def test_what_the_message_lacks():
    links = UnsubscribeLinks("https://api.example", UnsubscribeKeys(current="k1", keys={"k1": "secret"}))
    assert missing_requirement(_step(_request("shipping_notice", order_id="o-1")), "email", links, STORE) == "order_missing"
    assert missing_requirement(_step(_request("cart_reminder_1")), "email", None, STORE) == "no_unsubscribe_key"
    assert missing_requirement(_step(_request("cart_reminder_1")), "email", UnsubscribeLinks("https://api.example", None), STORE) == "no_unsubscribe_key"
    # Settings loaded before the address was required (stores.load_store_settings) may lack it.
    without_address = STORE.model_copy(update={"postal_address": None})
    assert missing_requirement(_step(_request("cart_reminder_1")), "email", links, without_address) == "no_postal_address"
    assert missing_requirement(_step(_request("cart_reminder_1")), "sms", None, without_address) is None
    assert missing_requirement(_step(_request("cart_reminder_1")), "email", links, STORE) is None


# ---------------------------------------------------------------- executions started before the reshape


SEND_INPUTS = {key: entry["payload"] for key, entry in json.loads(CONTRACTS.read_text()).items() if entry["function"] == "SendMessageFunction"}


@pytest.mark.parametrize("key", sorted(SEND_INPUTS))
def test_every_recorded_send_input_replays_through_the_request_and_the_inferred_rules(key):
    request = StepRequest.model_validate(SEND_INPUTS[key])
    assert (request.version, request.exit_if) == (1, None)
    rules = exit_rules(request)
    assert rules <= set(EXIT_RULES)
    step = LoadedStep(request, PK, "MESSAGE#j#s", None, Customer(PK, Customer.sort_key()), _cart(), None, NOW)
    assert exit_reason(step, STORE) is None  # nothing ordered, paid, bought or closed


def test_the_recorded_inputs_cover_every_inferred_rule():
    """The replay above exercises each rule's inference at least once."""
    inferred = set().union(*(inferred_exit_rules(StepRequest.model_validate(payload)) for payload in SEND_INPUTS.values()))
    assert inferred == set(EXIT_RULES)
