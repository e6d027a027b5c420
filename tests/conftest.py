"""Shared fixtures: the local stack (moto, virtual clock, in-process Lambdas, HTTP API)."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

EVENTS = Path(__file__).parent / "events"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning
STORE_ID = "demo-store"
# Marketing needs the store's postal address (StoreSettings.postal_address): every test
# store's settings carry this one, and every marketing email's footer shows it.
POSTAL_ADDRESS = "12 Market Street\nSpringfield, IL 62701\nUSA"


def only_scenarios(*kept: str) -> dict:
    """Store settings that switch off every scenario but ``kept`` (and the transactional
    post-purchase one), so a test sees its own scenario's messages and no other's."""
    from encore.stores import StoreSettings

    kept = (*kept, "post_purchase")
    return {
        "postal_address": POSTAL_ADDRESS,
        **{name: {"enabled": False} for name, field in StoreSettings.model_fields.items() if hasattr(field.default, "enabled") and name not in kept},
    }


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass
class Harness:
    """The local stack plus a signed store client and helpers that read what a user sees."""

    stack: object
    client: object

    @property
    def clock(self):
        return self.stack.clock

    def now(self) -> datetime:
        return self.clock.now()

    def at(self, delta: timedelta) -> datetime:
        return START + delta

    def run_until(self, delta: timedelta) -> None:
        self.clock.run_until(START + delta)

    def checkout(self, *, webhook_id: str = "checkout-1", consent: bool = True, **changes):
        payload = copy.deepcopy(load_event("shopify_checkouts_update"))
        payload["updated_at"] = iso(self.now())
        if not consent:
            payload["buyer_accepts_marketing"] = False
            payload["customer"]["email_marketing_consent"]["state"] = "not_subscribed"
        payload.update(changes)
        return self._settled(self.client.shopify("checkouts/update", payload, webhook_id=webhook_id))

    def order(self, *, webhook_id: str = "order-1", **changes):
        payload = copy.deepcopy(load_event("shopify_orders_create"))
        payload["created_at"] = iso(self.now())
        payload.update(changes)
        return self._settled(self.client.shopify("orders/create", payload, webhook_id=webhook_id))

    def journeys(self) -> list[dict]:
        return self.stack.executions("CartAbandonmentStateMachine")

    def history(self, journey: dict) -> list[dict]:
        return self.stack.history(journey["executionArn"])

    def states_entered(self, journey: dict) -> list[tuple[str, datetime]]:
        return [
            (event["stateEnteredEventDetails"]["name"], event["timestamp"].astimezone(UTC))
            for event in self.history(journey)
            if "stateEnteredEventDetails" in event
        ]

    def emails(self, *scenarios: str):
        """Sent emails in order; only those of these scenarios' journeys when named (other
        scenarios send their own: a first order also starts the welcome series)."""
        if not scenarios:
            return self.stack.sent_emails()
        ids = {
            item["provider_message_id"]["S"]
            for item in self.table_items()
            if item["sk"]["S"].startswith(tuple(f"MESSAGE#{scenario}-" for scenario in scenarios)) and "provider_message_id" in item
        }
        return self.stack.sent_emails(ids)

    def table_items(self) -> list[dict]:
        table = self.stack.physical("EncoreTable")
        return boto3.client("dynamodb").scan(TableName=table)["Items"]

    def item(self, pk: str, sk: str) -> dict | None:
        """One item as plain Python values (None when absent)."""
        from boto3.dynamodb.types import TypeDeserializer

        found = boto3.client("dynamodb").get_item(TableName=self.stack.physical("EncoreTable"), Key={"pk": {"S": pk}, "sk": {"S": sk}})
        if "Item" not in found:
            return None
        deserializer = TypeDeserializer()
        return {key: deserializer.deserialize(value) for key, value in found["Item"].items()}

    def profile(self, customer_id: str) -> dict | None:
        return self.item(f"STORE#{STORE_ID}#CUSTOMER#{customer_id}", "PROFILE")

    def shopify(self, topic: str, name: str, *, webhook_id: str, **changes):
        """Post tests/events/<name>.json (with ``changes`` applied) as Shopify topic ``topic``."""
        payload = copy.deepcopy(load_event(name))
        payload.update(changes)
        return self._settled(self.client.shopify(topic, payload, webhook_id=webhook_id))

    def configure_store(self, settings: dict, catalogue: list[dict] | None = None) -> None:
        """Load store settings (validated, as ``encore settings load`` does) and import a
        catalogue, as the store's operator would before these events."""
        from encore.adapters.secrets import clear_cache
        from encore.catalogue import import_catalogue
        from encore.models import bind_table
        from infra.cli.settings import load_settings

        load_settings(STORE_ID, {"postal_address": POSTAL_ADDRESS, **settings}, force=True)
        clear_cache()
        bind_table(self.stack.physical("EncoreTable"))
        if catalogue:
            import_catalogue(STORE_ID, catalogue, imported_at=self.now())

    def identify(self, customer_id: str, **traits):
        """A generic-API ``identify`` naming the customer, with these traits."""
        message = {
            "type": "identify",
            "messageId": f"identify-{customer_id}-{self.now():%s}",
            "userId": customer_id,
            "timestamp": self.now().isoformat(),
            "traits": traits,
        }
        return self._settled(self.client.track(message))

    def view(self, customer_id: str, product_id: str, *, dwell: int | None = None):
        """A generic-API ``Product Viewed`` by a known customer (tests/events/generic_product_viewed.json)."""
        message = copy.deepcopy(load_event("generic_product_viewed"))
        message.pop("anonymousId")
        message.update(messageId=f"view-{uuid.uuid4()}", userId=customer_id, timestamp=self.now().isoformat())
        message["properties"] = {"product_id": product_id, **({"dwell_seconds": dwell} if dwell is not None else {})}
        return self._settled(self.client.track(message))

    def _settled(self, reply):
        """Like a store between two webhooks: let every journey the request started or
        released reach its next wait before the test looks or sends anything else."""
        self.clock.settle()
        return reply


@pytest.fixture(autouse=True)
def one_botocore_loader_per_process():
    """Every mock start drops boto3's default session, and each new session decodes the service
    models again (about 60 ms for DynamoDB, per session and service): the local stack's one
    loader per data path serves every test (the contract suite on moto: 42 s → 10 s)."""
    from infra.local import botocore_reuse

    botocore_reuse.install_shared_loader()


@pytest.fixture
def harness(request):
    from infra.local.stack import LocalStack
    from infra.local.store_client import StoreClient

    with LocalStack(start=START) as stack:
        credentials = stack.add_store(STORE_ID)
        api = stack.serve_http_api()
        yield Harness(stack=stack, client=StoreClient(api.url, credentials))
        stack.clock.settle()
        # A handler that raised is a bug the test did not look for (Lambda would retry it
        # twice, then park the event with its error in the failure queue): every test checks it.
        if not request.node.get_closest_marker("handler_errors_expected"):
            errors = [f"{i.function}: {i.error.strip().splitlines()[-1]}" for i in stack.lambdas.invocations if i.errored]
            assert errors == [], errors


@pytest.fixture
def lambda_context():
    from infra.local.lambdas import LambdaContext

    return LambdaContext("test-function", 256, "arn:aws:lambda:us-east-1:123456789012:function:test-function")
