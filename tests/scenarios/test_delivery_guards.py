"""The delivery pipeline's guards end to end: quiet hours in the customer's own time zone,
suppression after bounces and complaints (SES events on EventBridge), and exactly one
message when a send fails after its claim and is retried, or when a step runs again."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import boto3
import pytest

from tests.conftest import POSTAL_ADDRESS, START, STORE_ID, load_event

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SHOPIFY_CUSTOMER = "603851970716743426"


def _sent(harness) -> list[tuple[str, str, datetime]]:
    return [(mail["To"], mail["Subject"], parsedate_to_datetime(mail["Date"]).astimezone(UTC)) for mail in harness.emails()]


def _checkout_started(harness, user: str, zone: str) -> None:
    payload = copy.deepcopy(load_event("generic_checkout_started"))
    payload.update(userId=user, messageId=f"checkout-{user}", timestamp=harness.now().isoformat())
    payload["context"]["traits"]["email"] = f"{user}@example.com"
    payload["context"]["timezone"] = zone
    payload["properties"]["cart_id"] = f"cart-{user}"
    assert harness.client.track(payload).status == 202
    harness.clock.settle()


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def test_a_reminder_due_at_2am_local_goes_out_when_quiet_hours_end_in_three_time_zones(harness):
    # Each customer leaves a cart at 01:00 their time on 3 November: reminder 1 falls due at
    # 02:00 local, inside quiet hours (21:00–09:00), and must go out at 09:00 local.
    customers = [("kenji", "Asia/Tokyo"), ("olena", "Europe/Kyiv"), ("maria", "America/New_York")]
    for user, zone in customers:
        one_am = datetime(2026, 11, 3, 1, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        harness.run_until(one_am - START)
        _checkout_started(harness, user, zone)
    harness.run_until(3 * DAY)

    for user, zone in customers:
        reminder_1 = min(at for to, _, at in _sent(harness) if to.startswith(user))
        assert _local(reminder_1, zone) == datetime(2026, 11, 3, 9, 0), (user, reminder_1)
    # The deferral is recorded with its reason, and the console shows the wait.
    execution = next(e for e in harness.stack.executions("CartAbandonmentStateMachine") if "kenji" in e["name"])
    assert "Wait until the reminder 1 may be sent" in dict(harness.states_entered(execution))
    record = next(item for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_1") and "kenji" in item["pk"]["S"])
    assert record["status"]["S"] == "sent" and record["deferred_reason"]["S"] == "quiet_hours"


def _ses_event(harness, detail_type: str, event_type: str, mail, **details) -> None:
    """Put an SES configuration-set event on the default bus, as SES does."""
    tags = {"ses:configuration-set": ["encore-email"]}
    for name in ("store", "customer", "journey", "step"):
        tags[name] = [mail._tags[name]]
    detail = {
        "eventType": event_type,
        "mail": {"timestamp": harness.now().isoformat(), "messageId": "0100019a-example", "tags": tags},
        **details,
    }
    boto3.client("events").put_events(Entries=[{"Source": "aws.ses", "DetailType": detail_type, "Detail": json.dumps(detail)}])
    harness.clock.settle()


def _tags_of_first_message(harness) -> dict:
    items = [item for item in harness.table_items() if item["sk"]["S"].startswith("MESSAGE#") and item["status"]["S"] == "sent"]
    item = min(items, key=lambda i: i["sent_at"]["S"])
    return {"store": STORE_ID, "customer": item["customer_id"]["S"], "journey": item["journey"]["S"], "step": item["step"]["S"]}


class _Mail:
    def __init__(self, tags: dict):
        self._tags = tags


def test_a_hard_bounce_suppresses_every_later_message_even_transactional_ones(harness):
    harness.checkout()
    harness.run_until(2 * HOUR)
    mail = _Mail(_tags_of_first_message(harness))
    bounce = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": harness.now().isoformat(), "bouncedRecipients": []}
    _ses_event(harness, "Email Bounced", "Bounce", mail, bounce=bounce)
    profile = harness.profile(SHOPIFY_CUSTOMER)
    assert profile["email_suppressed_reason"] == "hard_bounce"

    harness.run_until(2 * DAY)
    harness.order(webhook_id="order-after-bounce")
    harness.run_until(4 * DAY)
    assert [subject for _, subject, _ in _sent(harness)] == [harness.emails()[0]["Subject"]]  # reminder 1 only
    reasons = {item["step"]["S"]: item.get("reason", {}).get("S") for item in harness.table_items() if item["sk"]["S"].startswith("MESSAGE#")}
    assert reasons["order_confirmation"] == "suppressed_hard_bounce"


def test_a_transient_bounce_suppresses_nothing(harness):
    harness.checkout()
    harness.run_until(2 * HOUR)
    mail = _Mail(_tags_of_first_message(harness))
    _ses_event(harness, "Email Bounced", "Bounce", mail, bounce={"bounceType": "Transient", "timestamp": harness.now().isoformat()})
    assert harness.profile(SHOPIFY_CUSTOMER).get("email_suppressed_reason") is None
    harness.run_until(DAY + 2 * HOUR)
    assert len(harness.emails()) == 2


def test_a_complaint_suppresses_and_opens_and_clicks_are_recorded(harness):
    harness.checkout()
    harness.run_until(2 * HOUR)
    mail = _Mail(_tags_of_first_message(harness))
    _ses_event(harness, "Email Opened", "Open", mail, open={"timestamp": harness.now().isoformat(), "userAgent": "Mail", "ipAddress": "192.0.2.1"})
    _ses_event(harness, "Email Clicked", "Click", mail, click={"timestamp": harness.now().isoformat(), "link": "https://shop.example/cart"})
    message = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{SHOPIFY_CUSTOMER}", f"MESSAGE#{mail._tags['journey']}#{mail._tags['step']}")
    assert message["opened_at"] and message["clicked_at"]
    assert harness.profile(SHOPIFY_CUSTOMER)["last_engaged_at"]

    _ses_event(harness, "Email Complaint Received", "Complaint", mail, complaint={"timestamp": harness.now().isoformat(), "complaintFeedbackType": "abuse"})
    assert harness.profile(SHOPIFY_CUSTOMER)["email_suppressed_reason"] == "complaint"
    harness.run_until(5 * DAY)
    assert len(harness.emails()) == 1


def test_an_event_about_mail_encore_did_not_send_changes_nothing(harness):
    detail = {
        "eventType": "Complaint",
        "mail": {"timestamp": harness.now().isoformat(), "messageId": "x", "tags": {}},
        "complaint": {"timestamp": harness.now().isoformat()},
    }
    boto3.client("events").put_events(Entries=[{"Source": "aws.ses", "DetailType": "Email Complaint Received", "Detail": json.dumps(detail)}])
    harness.clock.settle()
    (call,) = [i for i in harness.stack.lambdas.invocations if "MessageEvents" in i.function]
    assert not call.errored


@pytest.fixture
def ses_fails_once(monkeypatch):
    from botocore.exceptions import ClientError

    from encore.adapters import email

    original = email.SesEmailSender.send
    calls = {"failed": 0}

    def send(self, message):
        if calls["failed"] == 0:
            calls["failed"] += 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}}, "SendEmail")
        return original(self, message)

    monkeypatch.setattr(email.SesEmailSender, "send", send)
    return calls


@pytest.mark.handler_errors_expected  # the first send fails on purpose
def test_a_send_that_fails_after_its_claim_is_retried_and_sent_once(harness, ses_fails_once):
    harness.checkout()
    harness.run_until(2 * HOUR)
    assert ses_fails_once["failed"] == 1
    (reminder,) = harness.emails()
    # The state's Retry (ChannelUnavailable, 60 s with full jitter: a seeded share of it in the
    # local runtime, the same in every run) sent it: one message, at most a minute late.
    assert START + HOUR <= parsedate_to_datetime(reminder["Date"]) <= START + HOUR + timedelta(seconds=60)
    (journey,) = harness.journeys()
    events = [event["type"] for event in harness.history(journey)]
    assert events.count("TaskFailed") == 1


def test_a_step_run_again_as_a_redrive_would_sends_nothing_more(harness):
    harness.checkout()
    harness.run_until(2 * HOUR)
    (reminder,) = harness.emails()
    tags = _tags_of_first_message(harness)
    # A redriven execution re-runs the send step with the same input.
    cart_id = next(item["cart_id"]["S"] for item in harness.table_items() if item["sk"]["S"].startswith("CART#"))
    request = {
        "store_id": STORE_ID,
        "customer_id": tags["customer"],
        "journey": tags["journey"],
        "step": tags["step"],
        "template": "cart_reminder_1",
        "cart_id": cart_id,
    }
    lam = boto3.client("lambda")
    reply = json.loads(lam.invoke(FunctionName=harness.stack.physical("SendMessageFunction"), Payload=json.dumps(request))["Payload"].read())
    # The journey goes on as it did the first time (a re-run must not change its path).
    assert reply["sent"] is True and reply["reason"] == "already_sent"
    assert len(harness.emails()) == 1


def _sms_store(harness, **extra) -> None:
    from infra.cli.settings import load_settings

    prefix = harness.stack.resolver.parameters["ParametersPrefix"]
    load_settings(
        STORE_ID,
        {"postal_address": POSTAL_ADDRESS, "channels": {"email": True, "sms": True}, "sms_origination": "+18005550100", **extra},
        prefix=prefix,
        force=True,
    )


def _checkout_with_phone(harness, *, email_consent: bool, locale: str = "en-US") -> None:
    payload = copy.deepcopy(load_event("generic_checkout_started"))
    payload["timestamp"] = harness.now().isoformat()
    payload["context"]["locale"] = locale
    payload["context"]["traits"].update(phone="+380671234567", sms_consent=True, email_consent=email_consent)
    assert harness.client.track(payload).status == 202
    harness.clock.settle()


def _texts(harness) -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    backend = sns_backends["123456789012"]["us-east-1"]
    return [(number, text) for number, text, *_ in backend.sms_messages.values()]


def test_reminder_1_falls_back_to_sms_when_email_marketing_is_not_allowed(harness):
    _sms_store(harness)
    _checkout_with_phone(harness, email_consent=False)
    harness.run_until(2 * DAY)
    ((number, text),) = _texts(harness)
    assert number == "+380671234567"
    assert "https://shop.example/checkout/cart-5521" in text and "STOP" in text
    assert harness.emails() == []  # reminder 2 is email only: skipped without email consent
    record = next(item for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_1"))
    assert (record["channel"]["S"], record["status"]["S"], record["sms_encoding"]["S"]) == ("sms", "sent", "GSM-7")


def test_with_email_consent_reminder_1_stays_an_email(harness):
    _sms_store(harness)
    _checkout_with_phone(harness, email_consent=True)
    harness.run_until(2 * HOUR)
    assert len(harness.emails()) == 1 and _texts(harness) == []


def test_a_store_without_sms_sends_no_text(harness):
    _checkout_with_phone(harness, email_consent=False)
    harness.run_until(2 * HOUR)
    assert _texts(harness) == []
    record = next(item for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_1"))
    assert (record["status"]["S"], record["reason"]["S"]) == ("skipped", "no_marketing_consent")


def test_the_frequency_cap_holds_across_three_scenarios_competing_for_one_customer(harness):
    """One first order starts three marketing journeys at once: the welcome series (priority
    2), cross-sell (3) and the education series (4). Under the default cap (one journey per
    customer per 7 days) the welcome series keeps the customer's week; cross-sell is held back
    and then skipped as stale (7 days); the education tips are held back until the week is free
    (a tip stays useful for 14 days) and then go out."""
    from encore.adapters.secrets import clear_cache
    from encore.catalogue import import_catalogue
    from encore.models import bind_table
    from infra.cli.settings import load_settings

    shirt, trousers = "632910392", "632910501"  # shopify_orders_create.json: linen shirts
    tips = [{"title": f"Linen care, part {n}", "body": "Wash cold, dry flat."} for n in (1, 2, 3)]
    load_settings(STORE_ID, {"postal_address": POSTAL_ADDRESS, "education_series": {"tips": {"shirts": tips}}}, force=True)
    clear_cache()
    bind_table(harness.stack.physical("EncoreTable"))
    import_catalogue(
        STORE_ID,
        [
            {"product_id": shirt, "title": "Linen shirt", "category": "shirts", "product_type": "apparel", "price_cents": 4900, "complements": [trousers]},
            {"product_id": trousers, "title": "Linen trousers", "category": "trousers", "product_type": "apparel", "price_cents": 6900},
        ],
        imported_at=harness.now(),
    )

    harness.order()
    harness.run_until(30 * DAY)

    def sent_by(scenario: str) -> list[datetime]:
        return [parsedate_to_datetime(mail["Date"]).astimezone(UTC) for mail in harness.emails(scenario)]

    assert sent_by("welcome-series") == [START, START + 2 * DAY, START + 5 * DAY]
    assert sent_by("cross-sell") == []  # offer skipped as stale; its reminder never follows
    assert sent_by("education-series") == [START + 12 * DAY, START + 17 * DAY, START + 24 * DAY]
    # In any 7 days, only one marketing journey wrote to the customer.
    marketing = sorted((at, scenario) for scenario in ("welcome-series", "cross-sell", "education-series") for at in sent_by(scenario))
    for at, scenario in marketing:
        others = {s for t, s in marketing if s != scenario and abs(t - at) < 7 * DAY}
        assert not others, (at, scenario, others)
    records = [item for item in harness.table_items() if item["sk"]["S"].startswith("MESSAGE#cross-sell-")]
    assert {(item["status"]["S"], item["reason"]["S"]) for item in records} == {("skipped", "frequency_cap_stale")}
    assert sent_by("post-purchase")  # the confirmation is transactional: never capped


def _checkout_from_the_app(harness, *, sms: bool = False) -> None:
    """A checkout from the store's mobile app: Segment's ``context.device`` carries the push token."""
    payload = copy.deepcopy(load_event("generic_checkout_started"))
    payload["timestamp"] = harness.now().isoformat()
    payload["context"]["device"] = {"type": "ios", "token": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"}
    payload["context"]["traits"].update(email_consent=False, **({"phone": "+380671234567", "sms_consent": True} if sms else {}))
    assert harness.client.track(payload).status == 202
    harness.clock.settle()


def _push_store(harness) -> None:
    from infra.cli.settings import load_settings
    from infra.local.stack import LOCAL_PUSH_APPLICATION

    prefix = harness.stack.resolver.parameters["ParametersPrefix"]
    load_settings(
        STORE_ID,
        {
            "postal_address": POSTAL_ADDRESS,
            "channels": {"email": True, "sms": True, "push": True},
            "sms_origination": "+18005550100",
            "push_application_id": LOCAL_PUSH_APPLICATION,
        },
        prefix=prefix,
        force=True,
    )


def test_reminder_1_goes_to_the_app_when_email_marketing_is_not_allowed(harness):
    _push_store(harness)
    _checkout_from_the_app(harness)
    harness.run_until(2 * HOUR)
    (push,) = harness.stack.push.accepted
    assert push.channel_type == "APNS" and push.message["Title"] == "Encore demo store: your cart is waiting"
    assert push.message["Url"] == "https://shop.example/checkout/cart-5521"
    assert harness.emails() == [] and _texts(harness) == []
    record = next(item for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_1"))
    assert (record["channel"]["S"], record["status"]["S"]) == ("push", "sent")


@pytest.mark.handler_errors_expected  # the rejected push fails the first attempt on purpose
def test_a_rejected_device_token_is_forgotten_and_the_retry_falls_back_to_sms(harness):
    _push_store(harness)
    _checkout_from_the_app(harness, sms=True)
    harness.stack.push.mark_unregistered("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90")
    harness.run_until(2 * HOUR)
    assert harness.stack.push.accepted == []
    ((number, _),) = _texts(harness)
    assert number == "+380671234567"
    assert harness.profile("user-1001").get("push_token") is None
    record = next(item for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_1"))
    assert (record["channel"]["S"], record["status"]["S"]) == ("sms", "sent")


def test_the_hour_a_customer_usually_opens_is_learned_in_their_own_time_zone(harness):
    # Three reminders opened in the evening, Kyiv time (19:xx EET = 17:xx UTC).
    _checkout_started(harness, "olena", "Europe/Kyiv")
    harness.run_until(5 * DAY)
    tags = [
        {"store": STORE_ID, "customer": "olena", "journey": item["journey"]["S"], "step": item["step"]["S"]}
        for item in harness.table_items()
        if item["sk"]["S"].startswith("MESSAGE#") and item["status"]["S"] == "sent"
    ]
    assert len(tags) == 3
    for day, mail_tags in enumerate(tags, start=5):
        harness.run_until(day * DAY + 8 * HOUR + timedelta(minutes=5 * day))  # 17:25–17:35 UTC
        _ses_event(harness, "Email Opened", "Open", _Mail(mail_tags), open={"timestamp": harness.now().isoformat()})
        if day < 7:
            assert harness.profile("olena").get("active_hour") is None  # not enough opens yet
    assert harness.profile("olena")["active_hour"] == 19


def test_a_ukrainian_customer_gets_the_sms_in_ukrainian_counted_in_ucs2_segments(harness):
    _sms_store(harness)
    _checkout_with_phone(harness, email_consent=False, locale="uk-UA")
    harness.run_until(2 * HOUR)
    ((_, text),) = _texts(harness)
    assert "кошик" in text and "СТОП" in text
    record = next(item for item in harness.table_items() if item["sk"]["S"].endswith("#reminder_1"))
    assert (record["sms_encoding"]["S"], int(record["sms_segments"]["N"])) == ("UCS-2", 2)
