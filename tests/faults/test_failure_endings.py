"""A step error no Retry covers ends the journey at its named failure ending, which records
why and tells the operators, instead of a FAILED execution that silently drops the later
steps (issue 12, defect 5)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from encore.messaging import StepRequest
from tests.conftest import START, STORE_ID, iso, load_event

DAY = timedelta(days=1)
MARTA = "706405506930370084"  # tests/events/shopify_customers_create.json
BROKEN_STEP = "Send the welcome email"
ENDING = "Journey ended: a step failed"


def _operator_alerts(harness) -> list[str]:
    arn = harness.stack.resolver.ref("OperatorAlertsTopic")
    return [message for _, message, *_ in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[arn].sent_notifications]


@pytest.mark.handler_errors_expected  # the send function fails on purpose
def test_a_step_error_no_retry_covers_ends_the_journey_at_the_failure_ending_with_a_record_and_an_alert(harness, monkeypatch):
    validate = StepRequest.model_validate.__func__

    def malformed_welcome(cls, event, *args, **kwargs):
        # A malformed step input for one step only: pydantic's real ValidationError, which
        # no Retry names (a bug, not a transient fault).
        if isinstance(event, dict) and event.get("step") == "welcome_1":
            event = {**event, "store_id": None}
        return validate(cls, event, *args, **kwargs)

    monkeypatch.setattr(StepRequest, "model_validate", classmethod(malformed_welcome))
    payload = copy.deepcopy(load_event("shopify_customers_create"))
    payload["updated_at"] = payload["created_at"] = iso(START)
    assert harness._settled(harness.client.shopify("customers/create", payload, webhook_id="customer-create-1")).status == 202
    harness.run_until(7 * DAY)

    (journey,) = harness.stack.executions("WelcomeSeriesStateMachine")
    assert journey["status"] == "SUCCEEDED"  # not FAILED: the ending is named and handled
    path = [name for name, _ in harness.states_entered(journey)]
    assert path[-4:] == [BROKEN_STEP, "Record why the journey could not go on", "Tell the operators that a journey step failed", ENDING], path
    assert not any("best sellers" in name for name in path)  # the later steps are not taken

    record = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{MARTA}", f"FAILURE#{journey['name']}")
    assert record is not None
    assert (record["state"], record["error"]) == (BROKEN_STEP, "ValidationError")
    assert record["state_machine"].endswith("-welcome-series") and record["at"].startswith(START.strftime("%Y-%m-%d"))
    assert set(record) == {"pk", "sk", "state", "error", "state_machine", "at"}  # no Cause: it may quote personal data
    assert "marta" not in str(record).lower()

    # The default bus → JourneyStepFailuresRule → OperatorAlertsTopic.
    alerts = [message for message in _operator_alerts(harness) if journey["name"] in message]
    assert len(alerts) == 1, _operator_alerts(harness)
    assert BROKEN_STEP in alerts[0] and "ValidationError" in alerts[0] and "failure ending" in alerts[0]
    assert "marta" not in alerts[0].lower()


@pytest.fixture
def broken_welcome_template(tmp_path, monkeypatch):
    """The welcome email's HTML part with a syntax error, in front of the real templates."""
    from encore import rendering

    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "welcome_1.html").write_text("{% for product in products %}never closed\n")
    monkeypatch.setattr(rendering._loader(), "searchpath", [str(tmp_path), str(rendering.TEMPLATES_DIR)])
    rendering._environment.cache_clear()  # environments cache compiled templates
    yield
    rendering._environment.cache_clear()


@pytest.mark.handler_errors_expected  # the send function fails on purpose
def test_a_template_that_fails_to_render_is_not_retried_ends_at_the_failure_ending_and_sends_nothing(harness, broken_welcome_template):
    """A render error is no channel outage (issue 13): the same template fails the same way,
    so no Retry runs it again; the failure ending records its name."""
    payload = copy.deepcopy(load_event("shopify_customers_create"))
    payload["updated_at"] = payload["created_at"] = iso(START)
    assert harness._settled(harness.client.shopify("customers/create", payload, webhook_id="customer-create-1")).status == 202
    harness.run_until(7 * DAY)

    (journey,) = harness.stack.executions("WelcomeSeriesStateMachine")
    assert journey["status"] == "SUCCEEDED"
    path = [name for name, _ in harness.states_entered(journey)]
    assert path[-4:] == [BROKEN_STEP, "Record why the journey could not go on", "Tell the operators that a journey step failed", ENDING], path
    tries = [
        i
        for i in harness.stack.lambdas.invocations
        if i.function == harness.stack.physical("SendMessageFunction") and isinstance(i.event, dict) and i.event.get("step") == "welcome_1"
    ]
    assert len(tries) == 1 and tries[0].errored and "TemplateRenderError" in tries[0].error  # no Retry

    record = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{MARTA}", f"FAILURE#{journey['name']}")
    assert (record["state"], record["error"]) == (BROKEN_STEP, "TemplateRenderError")
    # Only the registration confirmation before it went out; the claim was given back.
    confirmation = harness.item(f"STORE#{STORE_ID}#CUSTOMER#{MARTA}", f"MESSAGE#{journey['name']}#registration_confirmation")
    assert confirmation["status"] == "sent" and len(harness.emails("welcome-series")) == 1
    assert harness.item(f"STORE#{STORE_ID}#CUSTOMER#{MARTA}", f"MESSAGE#{journey['name']}#welcome_1") is None
