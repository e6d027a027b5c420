"""boto3 clients, created once per process and only when first needed (cold start)."""

from __future__ import annotations

from functools import cache


@cache
def client(service: str):
    import boto3  # imported on first use: most handlers never need every client

    return boto3.client(service)


# Errors that say the service never acted on the request: safe to send again.
_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "SlowDown",
    "ThrottledException",
}


def error_code(error: BaseException) -> str | None:
    """The AWS error code behind an exception (PynamoDB wraps botocore's in ``cause``)."""
    from botocore.exceptions import ClientError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ClientError):
            return seen.response.get("Error", {}).get("Code")
        seen = getattr(seen, "cause", None) or seen.__cause__
    return None


def maybe_applied(error: BaseException) -> bool:
    """True when the request may have been carried out although the call failed: the
    request went out and its answer did not come back (read timeout, connection closed after
    sending) or the service failed with a 5xx after it may have acted. Throttling, 4xx and
    connections that never opened are not: the service did nothing, so trying again is safe."""
    from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError, ResponseStreamingError

    if isinstance(error, (ConnectTimeoutError, EndpointConnectionError)):
        return False  # never reached the service
    if isinstance(error, (ReadTimeoutError, ConnectionClosedError, ResponseStreamingError)):
        return True
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 and error_code(error) not in _THROTTLED and status != 503
    return False


def transient(error: BaseException) -> bool:
    """A failure that goes away on its own (throttling, a 5xx, a network blip): the step
    that met it is run again by its state's Retry (every step is safe to re-run)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (BotoConnectionError, ReadTimeoutError)):
            return True
        seen = getattr(seen, "cause", None) or seen.__cause__
    code = error_code(error)
    if code in _THROTTLED or code in {"InternalServerError", "InternalFailure", "ServiceUnavailable", "TransactionConflict", "RequestTimeout"}:
        return True
    return code == "TransactionCanceledException" and "TransactionConflict" in str(error)
