"""Per-platform webhook formats, each turned into canonical events (``encore.events``)."""
