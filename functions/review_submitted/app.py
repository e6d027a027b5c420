"""Being built."""


def handler(event: dict, context) -> dict:
    return {}
