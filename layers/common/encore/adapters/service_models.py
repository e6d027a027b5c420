"""Requests checked the way AWS checks them, for fakes of services moto does not run.

botocore validates on the client only what it can cheaply (required members, types, minimum
lengths). The service itself also refuses unknown enum values, values over their maximum and
strings that miss their pattern. A fake that skipped those would accept requests AWS refuses.
Only fakes and tests use this module; botocore ships with every Lambda Python runtime.
"""

from __future__ import annotations

import re
from functools import cache

# The error each service answers a malformed request with, in the order we look for it among
# the operation's modelled errors (Pinpoint: BadRequestException, End User Messaging SMS:
# ValidationException, SNS: InvalidParameterException).
_VALIDATION_ERRORS = ("ValidationException", "BadRequestException", "InvalidParameterException", "InvalidParameterValueException")


@cache
def _session():
    import botocore.session

    return botocore.session.get_session()


@cache
def service_model(service_name: str):
    return _session().get_service_model(service_name)


def check_request(service_name: str, operation_name: str, params: dict) -> None:
    """Raise what AWS would for ``params``: botocore's ParamValidationError for what the SDK
    catches before sending, else the service's own validation error (a ClientError)."""
    from botocore.validate import validate_parameters

    operation = service_model(service_name).operation_model(operation_name)
    validate_parameters(params, operation.input_shape)
    problems: list[str] = []
    _server_side_problems(params, operation.input_shape, "", problems)
    if problems:
        modelled = [shape.name for shape in operation.error_shapes]
        code = next((name for name in _VALIDATION_ERRORS if name in modelled), "ValidationException")
        raise service_error(service_name, operation_name, code, "; ".join(problems))


def check_response(service_name: str, operation_name: str, response: dict) -> None:
    """A fake's answer must have the shape the real service's answer has (ParamValidationError)."""
    from botocore.validate import validate_parameters

    operation = service_model(service_name).operation_model(operation_name)
    validate_parameters({key: value for key, value in response.items() if key != "ResponseMetadata"}, operation.output_shape)


def service_error(service_name: str, operation_name: str, code: str, message: str, status: int = 400, **fields):
    """The exception a boto3 client raises for this error code (``client.exceptions.<code>``
    where the service models it), with the response body AWS sends."""
    exceptions = _session().get_component("exceptions_factory").create_client_exceptions(service_model(service_name))
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        "Message": message,
        **fields,
    }
    return exceptions.from_code(code)(response, operation_name)


def _server_side_problems(value, shape, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    limit = shape.metadata.get("max")
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _server_side_problems(value[name], member, f"{path}.{name}".lstrip("."), problems)
    elif kind == "list" and isinstance(value, list):
        if limit is not None and len(value) > limit:
            problems.append(f"{path} has {len(value)} items, at most {limit} allowed")
        for index, item in enumerate(value):
            _server_side_problems(item, shape.member, f"{path}[{index}]", problems)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _server_side_problems(key, shape.key, f"{path} key", problems)
            _server_side_problems(item, shape.value, f"{path}[{key}]", problems)
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{path} must be one of {', '.join(shape.enum)}")
        if limit is not None and len(value) > limit:
            problems.append(f"{path} is {len(value)} characters long, at most {limit} allowed")
        pattern = _pattern(shape.metadata.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(f"{path} does not match {pattern.pattern}")
    elif kind in ("integer", "long") and isinstance(value, int):
        if limit is not None and value > limit:
            problems.append(f"{path} is {value}, at most {limit} allowed")


@cache
def _pattern(source: str | None) -> re.Pattern | None:
    if not source:
        return None
    try:
        return re.compile(source)
    except re.error:  # a Java-only construct: leave that check to AWS rather than guess
        return None
