"""Which DynamoDB table the repositories read and write: named once per invocation by the
handler's settings (``encore.runtime.configure``), so the domain never imports the models to
do it. The models keep the name (``encore.models.bind_table``); this is storage's door to it."""

from __future__ import annotations

from encore.models import bind_table as _bind_models_to_table


def bind_table(table_name: str) -> None:
    """Every repository reads and writes ``table_name`` from now on."""
    _bind_models_to_table(table_name)
