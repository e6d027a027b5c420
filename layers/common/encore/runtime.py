"""What every handler does first: read its settings and point the models at the table."""

from encore.models import bind_table
from encore.settings import Settings


def configure() -> Settings:
    settings = Settings.from_env()
    bind_table(settings.table_name)
    return settings
