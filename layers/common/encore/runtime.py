"""What every handler does first: read its settings and point storage at the table."""

from encore.adapters.secrets import SsmStoreParameters
from encore.adapters.workflows import StepFunctionsWorkflows
from encore.journeys import Journeys
from encore.settings import Settings, check_environment, known_settings
from encore.storage.table import bind_table
from encore.stores import StoreSettings, load_store_settings


def configure() -> Settings:
    settings = Settings.from_env()
    bind_table(settings.table_name)
    return settings


class HandlerSettings:
    """The settings a handler needs, declared once at the top of its module
    (``SETTINGS = HandlerSettings("event_bus_name")``; the table always). Every invocation
    checks them first, so a function deployed without one fails on its first event, naming
    the variable, before any work, rather than deep in the code that needs it. Importing the
    module needs no environment (tools and tests read handlers without deploying them); an
    unknown setting's name fails the import. ``configure()`` reads the values at every
    invocation: the local runtime runs every function in one process and swaps each one's
    environment around its call."""

    def __init__(self, *needs: str):
        self.needs = known_settings(("table_name", *needs))

    def configure(self) -> Settings:
        check_environment(self.needs)
        return configure()


def store_settings(settings: Settings, store_id: str) -> StoreSettings:
    return load_store_settings(SsmStoreParameters(settings.parameters_prefix), store_id)


def journeys(settings: Settings) -> Journeys:
    return Journeys(StepFunctionsWorkflows(), settings.journey_arn_prefix)


class TemporaryFailure(RuntimeError):
    """A step met a failure that goes away on its own (throttling, a timeout, a 5xx): the
    state machines retry this error by name; every step is safe to run again."""


def retry_transient(handler):
    """Step Functions task handlers: a transient AWS failure surfaces as ``TemporaryFailure``
    (retried by the state), anything else keeps its own name (caught: the journey ends at its
    named failure ending)."""
    from functools import wraps

    from encore.adapters.aws import transient

    @wraps(handler)
    def wrapped(event, context):
        try:
            return handler(event, context)
        except Exception as error:
            if transient(error) and not getattr(error, "retried_by_name", False):
                raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
            raise

    return wrapped
