"""What every handler does first: read its settings and point the models at the table."""

from encore.adapters.secrets import SsmStoreParameters
from encore.adapters.workflows import StepFunctionsWorkflows
from encore.journeys import Journeys
from encore.models import bind_table
from encore.settings import Settings
from encore.stores import StoreSettings, load_store_settings


def configure() -> Settings:
    settings = Settings.from_env()
    bind_table(settings.table_name)
    return settings


def store_settings(settings: Settings, store_id: str) -> StoreSettings:
    return load_store_settings(SsmStoreParameters(settings.parameters_prefix), store_id)


def journeys(settings: Settings) -> Journeys:
    return Journeys(StepFunctionsWorkflows(), settings.journey_arn_prefix)
