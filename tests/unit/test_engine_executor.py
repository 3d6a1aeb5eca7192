"""The executor's table: every write action type has exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.engine import actions
from shared.engine.actions import WriteAction
from shared.engine.executor import HANDLERS, execute


def _action_types() -> set[type[WriteAction]]:
    found: set[type[WriteAction]] = set()
    todo = list(WriteAction.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {c for c in found if c.__module__ == actions.__name__}


def test_every_write_action_type_has_a_handler() -> None:
    types = _action_types()

    assert types, "no write action types found"
    assert types - set(HANDLERS) == set()
    assert all(callable(HANDLERS[t]) for t in types)


def test_an_action_type_without_a_handler_is_refused_before_any_write() -> None:
    @dataclass(frozen=True)
    class Unknown(WriteAction):
        """An action no handler knows."""

    with pytest.raises(TypeError, match="no handler for Unknown"):
        execute(None, None, Unknown("/subscriptions/x", "westus"))  # type: ignore[arg-type]
