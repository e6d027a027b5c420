"""Browse abandonment end to end: generic-API product views with dwell time → the journey
waits for the visit to end → reminders 1 h and 24 h later, ended by an add-to-cart or an
order at any wait; the optional retargeting audience gets signed add/remove requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import START, STORE_ID, only_scenarios

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CUSTOMER = "603851970716743426"  # Olena: the customer of the Shopify checkout and order files
JOURNEY = f"browse-abandonment-{STORE_ID}-{CUSTOMER}-2026-11-02"
LINEN, OXFORD, DENIM, FLANNEL, JACKET = "632910392", "632910393", "632910394", "632910395", "632910396"
CATALOGUE = [
    {"product_id": LINEN, "title": "Linen shirt", "category": "Shirts", "price_cents": 4900, "currency": "USD", "url": "https://shop.example/p/linen-shirt"},
    {"product_id": OXFORD, "title": "Oxford shirt", "category": "Shirts", "price_cents": 5900, "currency": "USD", "url": "https://shop.example/p/oxford-shirt"},
    {"product_id": DENIM, "title": "Denim shirt", "category": "Shirts", "price_cents": 6500, "currency": "USD", "in_stock": False},
    {"product_id": FLANNEL, "title": "Flannel shirt", "category": "Shirts", "price_cents": 5500, "currency": "USD"},
    {"product_id": JACKET, "title": "Trail jacket", "category": "Jackets", "price_cents": 12900, "currency": "USD"},
]
REMINDER_1 = "Olena, still thinking about Linen shirt?"
REMINDER_2 = "Olena, the products you liked are still available"
# Other scenarios a view, a cart or an order starts are switched off: their messages would
# count against the shared frequency cap and are not what these tests look at.
OTHERS_OFF = only_scenarios("browse_abandonment", "cart_abandonment", "unpaid_order")


def _setup(harness, *, consent: bool = True, **browse) -> None:
    harness.configure_store({**OTHERS_OFF, "browse_abandonment": browse}, CATALOGUE)
    traits = {"email": "olena@example.com", "first_name": "Olena", "last_name": "Koval", "accepts_email_marketing": consent}
    assert harness.identify(CUSTOMER, **traits).status == 202


def _view(harness, product_id: str = LINEN, *, dwell: int | None = None) -> None:
    assert harness.view(CUSTOMER, product_id, dwell=dwell).status == 202


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _browse_emails(harness) -> list[tuple[str, object]]:
    return [(mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails() if mail["Subject"] in (REMINDER_1, REMINDER_2)]


def _text(mail) -> str:
    return next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()


def _journeys(harness) -> list[dict]:
    return harness.stack.executions("BrowseAbandonmentStateMachine")


def _only_journey(harness) -> dict:
    (journey,) = _journeys(harness)
    return journey


def _states(harness, journey: dict) -> list[str]:
    return [name for name, _ in harness.states_entered(journey)]


def test_a_single_short_view_shows_no_intent_and_starts_nothing(harness):
    _setup(harness)
    _view(harness, dwell=45)
    harness.run_until(3 * DAY)
    assert _journeys(harness) == []
    assert harness.emails() == []


def test_repeat_views_keep_the_visit_going_and_the_reminders_follow_1h_after_it_ended_then_24h_later(harness):
    _setup(harness)
    _view(harness, dwell=30)  # one short view: no intent yet
    assert _journeys(harness) == []
    harness.run_until(10 * MINUTE)
    _view(harness, dwell=20)  # the second view of the same product is intent
    harness.run_until(25 * MINUTE)
    _view(harness, JACKET, dwell=5)  # the visit goes on
    harness.run_until(3 * DAY)

    visit_ended = START + 25 * MINUTE + 30 * MINUTE
    assert _browse_emails(harness) == [(REMINDER_1, visit_ended + HOUR), (REMINDER_2, visit_ended + 25 * HOUR)]
    journey = _only_journey(harness)
    assert journey["name"] == JOURNEY and journey["status"] == "SUCCEEDED"
    entered = harness.states_entered(journey)
    assert [name for name, _ in entered] == [
        "Wait for the visit to end",
        "What did the customer do next?",
        "Wait for the visit to end",
        "Is retargeting on?",
        "Wait for an order until browse reminder 1 is due",
        "Send browse reminder 1",
        "Was browse reminder 1 held back?",
        "Did browse reminder 1 go out?",
        "Wait for an order until browse reminder 2 is due",
        "Send browse reminder 2",
        "Was browse reminder 2 held back?",
        "Is the customer still in the retargeting audience?",
        "Journey ended without an order",
    ]
    assert dict(entered)["Is retargeting on?"] == visit_ended
    # The viewed shirt, then similar shirts still on sale (the sold-out one is left out).
    text = _text(next(mail for mail in harness.emails() if mail["Subject"] == REMINDER_1))
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("- ")] == ["- Linen shirt", "- Oxford shirt", "- Flannel shirt"]


def test_adding_to_the_cart_during_the_visit_ends_the_journey_and_cart_abandonment_takes_over(harness):
    _setup(harness)
    _view(harness, dwell=90)
    harness.run_until(10 * MINUTE)
    assert harness.checkout().status == 202  # the linen shirt goes into the cart
    harness.run_until(3 * DAY)

    assert _browse_emails(harness) == []
    journey = _only_journey(harness)
    assert journey["stopDate"].astimezone(UTC) == START + 10 * MINUTE
    assert _states(harness, journey)[-1] == "Journey ended because the customer added to the cart"
    assert ("Olena, you left something in your cart", START + 10 * MINUTE + HOUR) in [
        (mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails()
    ]
    # Viewing the product that is now in the cart is no browse abandonment.
    harness.run_until(8 * DAY)
    _view(harness, dwell=120)
    assert len(_journeys(harness)) == 1


@pytest.mark.parametrize(
    ("ordered_after", "expected_emails", "last_states"),
    [
        (10 * MINUTE, [], ["What did the customer do next?", "Journey ended because the customer ordered"]),
        (HOUR, [], ["Did the customer order?", "Is the customer in the retargeting audience?", "Journey ended because the customer ordered"]),
        (5 * HOUR, [REMINDER_1], ["Did the customer order?", "Is the customer in the retargeting audience?", "Journey ended because the customer ordered"]),
    ],
    ids=["during-the-visit", "in-the-hour-after-the-visit", "after-reminder-1"],
)
def test_an_order_at_any_wait_ends_the_journey_at_once(harness, ordered_after, expected_emails, last_states):
    _setup(harness)
    _view(harness, dwell=90)
    harness.run_until(ordered_after)
    harness.order(line_items=[{"product_id": int(OXFORD), "title": "Oxford shirt", "quantity": 1, "price": "59.00"}])
    harness.run_until(3 * DAY)

    assert [subject for subject, _ in _browse_emails(harness)] == expected_emails
    journey = _only_journey(harness)
    assert journey["stopDate"].astimezone(UTC) == START + ordered_after
    assert _states(harness, journey)[-len(last_states) :] == last_states


def test_without_marketing_consent_the_reminders_are_skipped_and_nobody_joins_the_audience(harness):
    with _AudienceHook() as hook:
        _setup(harness, consent=False, retargeting_webhook_url=hook.url)
        _view(harness, dwell=90)
        harness.run_until(3 * DAY)
    assert harness.emails() == []
    assert hook.requests == []
    skipped = {item["sk"]["S"]: item["reason"]["S"] for item in harness.table_items() if item["sk"]["S"].startswith(f"MESSAGE#{JOURNEY}#")}
    assert skipped == {f"MESSAGE#{JOURNEY}#reminder_1": "no_marketing_consent"}  # no second reminder of a first never sent
    assert _states(harness, _only_journey(harness))[-1] == "Journey ended without an order"


def test_one_journey_per_cooldown_then_a_new_one(harness):
    _setup(harness)
    _view(harness, dwell=90)
    harness.run_until(3 * DAY)
    _view(harness, OXFORD, dwell=90)  # within the 7-day cooldown
    assert len(_journeys(harness)) == 1
    harness.run_until(7 * DAY + HOUR)
    _view(harness, OXFORD, dwell=90)
    assert sorted(journey["name"] for journey in _journeys(harness)) == [JOURNEY, f"browse-abandonment-{STORE_ID}-{CUSTOMER}-2026-11-09"]


def test_without_a_cooldown_still_at_most_one_journey_a_day(harness):
    _setup(harness, cooldown_days=0)
    _view(harness, dwell=90)
    harness.run_until(2 * HOUR)
    _view(harness, OXFORD, dwell=90)
    assert len(_journeys(harness)) == 1
    harness.run_until(DAY + HOUR)
    _view(harness, OXFORD, dwell=90)
    assert len(_journeys(harness)) == 2


# ---------------------------------------------------------------- retargeting audience


class _AudienceHook:
    """A local stand-in for the store's audience webhook: records every request; answers
    503 to the first ``failures`` of them."""

    def __init__(self, failures: int = 0):
        self.requests: list[dict] = []
        self.failures = failures
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append({"body": body, "signature": self.headers.get("X-Encore-Signature")})
                failed = len(hook.requests) <= hook.failures
                self.send_response(503 if failed else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/audiences"

    def __enter__(self) -> _AudienceHook:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()

    def changes(self, secret: str) -> list[dict]:
        """Each request's body, after checking its signature with the store's secret."""
        found = []
        for request in self.requests:
            expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
            assert request["signature"] == expected
            found.append(json.loads(request["body"]))
        return found


OLENA_SHA256 = hashlib.sha256(b"olena@example.com").hexdigest()


def test_retargeting_adds_the_customer_when_the_visit_ends_and_removes_them_when_they_buy(harness):
    with _AudienceHook() as hook:
        _setup(harness, retargeting_webhook_url=hook.url)
        _view(harness, dwell=90)
        harness.run_until(3 * HOUR)
        harness.order()
        harness.run_until(3 * DAY)

    assert hook.changes(harness.client.secret) == [
        {
            "action": "add",
            "audience": "browse-abandoners",
            "customer": {"email_sha256": OLENA_SHA256},
            "store_id": STORE_ID,
            "occurred_at": "2026-11-02T09:30:00Z",
        },
        {
            "action": "remove",
            "audience": "browse-abandoners",
            "customer": {"email_sha256": OLENA_SHA256},
            "store_id": STORE_ID,
            "occurred_at": "2026-11-02T12:00:00Z",
        },
    ]
    assert _browse_emails(harness) == [(REMINDER_1, START + 30 * MINUTE + HOUR)]
    journey = _only_journey(harness)
    entered = dict(harness.states_entered(journey))
    assert entered["Add the customer to the retargeting audience"] == START + 30 * MINUTE
    assert entered["Remove the customer from the retargeting audience"] == START + 3 * HOUR
    assert _states(harness, journey)[-1] == "Journey ended because the customer ordered"


@pytest.mark.handler_errors_expected  # the webhook's first answer is a 503 on purpose
def test_a_failing_audience_webhook_is_retried_and_a_customer_who_never_buys_leaves_the_audience_later(harness):
    with _AudienceHook(failures=1) as hook:
        _setup(harness, retargeting_webhook_url=hook.url)
        _view(harness, dwell=90)
        harness.run_until(20 * DAY)

    errors = [invocation.error.strip().splitlines()[-1] for invocation in harness.stack.lambdas.invocations if invocation.errored]
    assert errors == ["encore.audiences.AudienceWebhookFailed: the audience webhook answered 503"]
    changes = hook.changes(harness.client.secret)
    # The state's Retry waits a full-jitter share of its one-minute interval (drawn from the
    # local runtime's seeded generator: the same moment in every run).
    added = datetime.fromisoformat(changes[1]["occurred_at"].replace("Z", "+00:00"))
    assert START + 30 * MINUTE < added <= START + 31 * MINUTE
    assert [(change["action"], change["occurred_at"]) for change in changes] == [
        ("add", "2026-11-02T09:30:00Z"),  # answered 503
        ("add", _iso(added)),  # the state's Retry
        ("remove", _iso(added + 25 * HOUR + 14 * DAY)),  # 14 days after reminder 2
    ]
    assert _browse_emails(harness) == [(REMINDER_1, added + HOUR), (REMINDER_2, added + 25 * HOUR)]
    journey = _only_journey(harness)
    assert _states(harness, journey)[-3:] == [
        "Wait for an order while the customer is in the audience",
        "Remove the customer from the audience as the journey ends",
        "Journey ended without an order",
    ]


def test_erasing_a_customer_in_the_audience_removes_them_by_the_hash_the_journey_kept(harness):
    with _AudienceHook() as hook:
        _setup(harness, retargeting_webhook_url=hook.url)
        _view(harness, dwell=90)
        harness.run_until(3 * DAY)  # both reminders sent; waiting while in the audience
        harness.shopify("customers/redact", "shopify_customers_redact", webhook_id="redact-1")
        harness.run_until(4 * DAY)
    changes = hook.changes(harness.client.secret)
    assert [change["action"] for change in changes] == ["add", "remove"]
    assert changes[1]["customer"] == changes[0]["customer"]  # the same hashed address, though the profile is gone
    assert harness.profile(CUSTOMER) is None
    assert _states(harness, _only_journey(harness))[-3:] == [
        "Was the erased customer in the retargeting audience?",
        "Remove the erased customer from the retargeting audience",
        "Journey ended because the customer's data was erased",
    ]
