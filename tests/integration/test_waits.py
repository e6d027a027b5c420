"""Parking a journey's wait finds an event that happened while the journey was on its way
there (between two states, or held back by quiet hours): whatever happened since the journey
began releases it at once, exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from encore import waits
from encore.events import CustomerRef, ReviewSubmitted
from encore.models import bind_table
from encore.reviews import record_review
from tests.conftest import START, STORE_ID


@dataclass
class RecordingWorkflows:
    released: list = field(default_factory=list)

    def start(self, state_machine_arn: str, name: str, payload: dict) -> bool:
        return True

    def release(self, task_token: str, outcome: dict) -> bool:
        self.released.append((task_token, outcome))
        return True


def _review(product_id: str, rating: int, minutes: int) -> ReviewSubmitted:
    return ReviewSubmitted(
        event_id=f"review-{product_id}-{minutes}",
        store_id=STORE_ID,
        occurred_at=START + timedelta(minutes=minutes),
        source="api:Product Reviewed",
        customer=CustomerRef(customer_id="olena"),
        product_id=product_id,
        review_id=f"r-{product_id}-{minutes}",
        rating=rating,
    )


def _park(workflows, *, since_minutes: int, products: list[str]) -> str:
    return waits.park(
        STORE_ID,
        "olena",
        "review-request-demo-store-olena-1001",
        ["review_submitted"],
        None,
        "token-1",
        now=START + timedelta(hours=1),
        workflows=workflows,
        since=START + timedelta(minutes=since_minutes),
        products=products,
    )


def test_a_review_submitted_since_the_journey_began_releases_the_wait_as_it_parks(harness):
    bind_table(harness.stack.physical("EncoreTable"))
    record_review(_review("linen-shirt", 2, minutes=30))
    workflows = RecordingWorkflows()
    assert _park(workflows, since_minutes=10, products=["linen-shirt"]) == "review_submitted"
    ((token, outcome),) = workflows.released
    assert token == "token-1"
    assert outcome == {"event": "review_submitted", "key": None, "rating": 2, "product_id": "linen-shirt", "review_id": "r-linen-shirt-30"}
    # Taken once: a later release of the same journey finds nothing to release.
    assert waits.release(STORE_ID, "olena", "review_submitted", None, {}, workflows=workflows, product_ids=["linen-shirt"]) == 0


def test_an_older_review_or_one_of_another_product_does_not(harness):
    bind_table(harness.stack.physical("EncoreTable"))
    record_review(_review("linen-shirt", 5, minutes=5))  # before the journey began
    record_review(_review("wool-beanie", 1, minutes=30))  # another product
    workflows = RecordingWorkflows()
    assert _park(workflows, since_minutes=10, products=["linen-shirt"]) == "waiting"
    assert workflows.released == []
