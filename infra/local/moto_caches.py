"""Work moto repeats on every request or every state, done once (moto 5.2.5).

Measured with cProfile over tests/scenarios/test_cart_abandonment.py (every thread):
* JSONPath: the Step Functions engine parses each ``InputPath``/``ResultPath``/``$.field``
  again at every evaluation, and jsonpath_ng builds a new ply lexer and parser (tables
  included) for each parse: about 0.4 ms, a hundred times a journey. A parsed path depends
  only on its text and evaluating it changes the data, never the path: parsed once per text.
* Every request's ``BaseResponse.call_action`` lists the handler class's functions
  (``inspect.getmembers``: a few hundred ``getattr``) only to ask whether the action is one
  of them. The same question is answered by looking the one name up, which also sees
  methods added or removed while the process runs (the stack adds SES's GetAccount).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Iterator
from typing import Any

_JSONPATH_USERS = {
    # module -> the name it imported jsonpath_ng's parse under
    "moto.stepfunctions.parser.asl.utils.json_path": "parse",
    "moto.stepfunctions.parser.asl.component.common.path.result_path": "parse",
}


class _FunctionNames:
    """What ``moto.core.utils.method_names_from_class`` returns, for ``in`` by lookup."""

    __slots__ = ("_cls",)

    def __init__(self, cls: type):
        self._cls = cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self._cls, name, None))

    def __iter__(self) -> Iterator[str]:
        return iter(name for name, _ in inspect.getmembers(self._cls, predicate=inspect.isfunction))


# Parsed paths outlive a stack: every stack in the process evaluates the same definitions.
_cached_parsers: dict[str, Any] = {}


def _cached_parser(module_name: str, original: Any) -> Any:
    if module_name not in _cached_parsers:
        _cached_parsers[module_name] = functools.lru_cache(maxsize=4096)(original)
    return _cached_parsers[module_name]


class MotoCaches:
    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        for module_name, attribute in _JSONPATH_USERS.items():
            module = importlib.import_module(module_name)
            self._replace(module, attribute, _cached_parser(module_name, getattr(module, attribute)))
        from moto.core import responses

        self._replace(responses, "method_names_from_class", _FunctionNames)

    def _replace(self, owner: Any, attribute: str, value: Any) -> None:
        if not hasattr(owner, attribute):
            raise RuntimeError(f"moto changed: {owner.__name__}.{attribute} is gone; infra/local targets moto 5.2.5")
        self._undo.append((owner, attribute, getattr(owner, attribute)))
        setattr(owner, attribute, value)

    def uninstall(self) -> None:
        while self._undo:
            owner, attribute, original = self._undo.pop()
            setattr(owner, attribute, original)
