"""Writes tests/events/lambda_<function>.json: one event per Lambda function, recorded from
what the local stack really delivers to it (HTTP API payload 2.0 events from the local HTTP
API, EventBridge events as rules deliver them, Step Functions task inputs as the ASL files
pass them, the SNS record of an SMS reply). `make build-check` replays them against the
built artifact. Re-run after changing an event model or an ASL task input:

    .venv/bin/python -m tests.build.record_events
"""

from __future__ import annotations

import copy
import json
import urllib.request
from datetime import timedelta
from pathlib import Path

import boto3

from tests.conftest import START, STORE_ID, iso, load_event

EVENTS = Path(__file__).resolve().parents[1] / "events"
# Functions no store event reaches in this short story: their events are written by hand
# (retargeting_audience: the Step Functions task input of browse_abandonment.asl.json;
# scheduled_jobs: the input its schedule in template.yaml sends).
HAND_WRITTEN = {"RetargetingAudienceFunction", "ScheduledJobsFunction"}


def _record() -> dict[str, dict]:
    from encore.unsubscribe import UnsubscribeKeys, make_token
    from infra.build_check import TRACKING_KEY, UNSUBSCRIBE_KEYS, WEBHOOK_SECRET, pin_store_secrets
    from infra.local.stack import LocalStack
    from infra.local.store_client import StoreClient, StoreCredentials

    with LocalStack(start=START) as stack:
        credentials = stack.add_store(STORE_ID)
        # One known secret, so the signed webhook and the unsubscribe link replay as recorded.
        prefix = stack.resolver.parameters["ParametersPrefix"]
        pin_store_secrets(prefix)
        credentials = StoreCredentials(STORE_ID, WEBHOOK_SECRET, credentials.api_key)
        api = stack.serve_http_api()
        client = StoreClient(api.url, credentials)

        def shopify(topic: str, name: str, **changes) -> None:
            payload = {**copy.deepcopy(load_event(name)), **changes}
            reply = client.shopify(topic, payload, webhook_id=f"record-{topic}")
            assert reply.status < 300, (topic, reply)
            stack.clock.settle()

        now = iso(stack.clock.now())
        shopify("customers/create", "shopify_customers_create", updated_at=now)
        shopify("products/update", "shopify_products_update", updated_at=now)
        view = copy.deepcopy(load_event("generic_product_viewed"))
        view.update(timestamp=now)
        assert client.track(view).status == 202
        shopify("checkouts/update", "shopify_checkouts_update", updated_at=now)
        # A shopper's browser (the storefront pixel) on the store's public tracking key.
        browser_view = {
            "type": "track",
            "event": "Product Viewed",
            "messageId": "sh-product_viewed-0001",
            "anonymousId": "3f2b8c1e-9a47-4d2b-8e61-0c5d7a9b4e21",
            "properties": {"product_id": "632910392", "name": "Linen shirt", "price": 49.0, "url": "/products/linen-shirt"},
        }
        urllib.request.urlopen(
            urllib.request.Request(
                f"{api.url}/v1/t/{TRACKING_KEY}",
                data=json.dumps({"batch": [browser_view]}).encode(),
                method="POST",
                headers={
                    "Content-Type": "text/plain",
                    "Origin": "https://shop.example",
                    "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                },
            )
        )
        stack.clock.settle()
        shopify("orders/create", "shopify_orders_create", created_at=now)
        stack.clock.advance(timedelta(minutes=5))
        shopify("orders/fulfilled", "shopify_orders_fulfilled")
        review = copy.deepcopy(load_event("generic_product_reviewed"))
        review.update(timestamp=iso(stack.clock.now()))
        assert client.track(review).status == 202
        shopify("customers/data_request", "shopify_customers_data_request")
        stack.clock.settle()

        customer = str(load_event("shopify_customers_create")["id"])
        detail = {
            "eventType": "Bounce",
            "mail": {
                "timestamp": stack.clock.now().isoformat(),
                "messageId": "0100019a-example",
                "tags": {
                    "ses:configuration-set": ["encore-email"],
                    "store": [STORE_ID],
                    "customer": [customer],
                    "journey": ["post-purchase-example"],
                    "step": ["confirmation"],
                },
            },
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": stack.clock.now().isoformat(), "bouncedRecipients": []},
        }
        boto3.client("events").put_events(Entries=[{"Source": "aws.ses", "DetailType": "Email Bounced", "Detail": json.dumps(detail)}])
        reply = {
            "originationNumber": load_event("shopify_customers_create")["phone"],
            "destinationNumber": "+18005550100",
            "messageKeyword": "KEYWORD_123456789012",
            "messageBody": "STOP",
            "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
            "previousPublishedMessageId": "wJ0rAE9B7wJlYrZbtXaXsaGXz8cVnkXPFPcqOu6Elgo=",
        }
        boto3.client("sns").publish(TopicArn=stack.physical("SmsRepliesTopic"), Message=json.dumps(reply))
        token = make_token(UnsubscribeKeys.from_dict(UNSUBSCRIBE_KEYS), STORE_ID, customer)
        urllib.request.urlopen(urllib.request.Request(f"{api.url}/unsubscribe/{token}", data=b"List-Unsubscribe=One-Click", method="POST"))
        stack.clock.settle()

        names = {spec.name: logical for logical, spec in _logical_names(stack).items()}
        first: dict[str, dict] = {}
        for invocation in stack.lambdas.invocations:
            logical = names[invocation.function]
            # The first send_message that really sent: the post-purchase confirmation.
            if logical not in first and not invocation.errored:
                first[logical] = invocation.event
        return first


def _logical_names(stack) -> dict:
    return {
        logical: stack.lambdas.functions[stack.resolver.physical_name(logical)]
        for logical, spec in stack.template["Resources"].items()
        if spec["Type"] == "AWS::Serverless::Function"
    }


def main() -> None:
    recorded = _record()
    for logical, event in sorted(recorded.items()):
        path = EVENTS / f"lambda_{logical}.json"
        path.write_text(json.dumps(event, indent=2, sort_keys=True, default=str) + "\n")
        print(f"wrote {path.relative_to(EVENTS.parents[1])}")
    from infra.local.template import load_template

    functions = {
        logical for logical, spec in load_template(EVENTS.parents[1] / "template.yaml")["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"
    }
    missing = functions - set(recorded) - HAND_WRITTEN
    if missing:
        raise SystemExit(f"no event recorded for: {', '.join(sorted(missing))}")


if __name__ == "__main__":
    main()
