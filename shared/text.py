"""Strings from outside: only text that encodes as UTF-8 is accepted, and logged escaped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import InvalidInput

UNENCODABLE = "not encodable as UTF-8 (a lone surrogate)"


def is_encodable(text: str) -> bool:
    """True when `text` encodes as UTF-8 (JSON's \\ud800 escapes decode to strings that do not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_encodable(text: str, field: str) -> str:
    """Return `text`; raise InvalidInput naming `field` when it cannot be encoded as UTF-8."""
    if not is_encodable(text):
        raise InvalidInput(field, UNENCODABLE)
    return text


def escaped(text: str) -> str:
    """Return `text` with what UTF-8 cannot encode backslash-escaped (safe to log or name)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def require_encodable_json(value: Any, base: str = "") -> None:
    """Raise InvalidInput naming the first key or string in `value` that is not UTF-8 text.

    Walks iteratively: parsed JSON may nest deeper than Python's recursion limit allows.
    """
    stack: list[tuple[Any, str]] = [(value, base)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            require_encodable(item, where or "body")
        elif isinstance(item, Mapping):
            for key, child in item.items():
                name = str(key)
                field = f"{where}.{escaped(name)}" if where else escaped(name)
                if not is_encodable(name):
                    raise InvalidInput(field, f"field name {UNENCODABLE}")
                stack.append((child, field))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
