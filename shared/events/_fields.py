"""Strict readers for raw JSON payloads: every failure is InvalidInput naming a dotted path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.errors import InvalidInput
from shared.text import require_encodable

Json = Mapping[str, Any]
_MAX_SHOWN = 80


def path(base: str, key: str | int) -> str:
    """Return the dotted path of `key` below `base` (`[i]` for list indices)."""
    if isinstance(key, int):
        return f"{base}[{key}]" if base else f"[{key}]"
    return f"{base}.{key}" if base else key


def shown(value: object) -> str:
    """Return a short repr of a scalar `value` for an error message; containers by type only.

    Containers are never rendered: that could echo a payload, or recurse without bound.
    """
    if isinstance(value, str):
        text = repr(value[:_MAX_SHOWN])
        return text if len(value) <= _MAX_SHOWN else text[:-1] + "...'"
    if value is None or isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        # Python refuses str() of ints with more than 4300 digits.
        return repr(value) if abs(value) < 10**_MAX_SHOWN else "a very large number"
    return f"an {kind(value)}" if kind(value) in {"array", "object"} else kind(value)


def kind(value: object) -> str:
    """Return the JSON type name of `value` for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def as_object(value: object, where: str) -> Json:
    """Return `value` as a JSON object; raise InvalidInput naming `where` otherwise."""
    if not isinstance(value, Mapping):
        raise InvalidInput(where or "body", f"expected an object, got {kind(value)}")
    return value


def object_at(obj: Json, key: str, base: str) -> Json:
    """Return the required object `obj[key]`; raise InvalidInput if missing or not an object."""
    return as_object(obj.get(key), path(base, key))


def optional_object(obj: Json, key: str, base: str) -> Json | None:
    """Return `obj[key]` as an object, or None when missing or null; raise if another type."""
    value = obj.get(key)
    if value is None:
        return None
    return as_object(value, path(base, key))


def optional_str(obj: Json, key: str, base: str) -> str | None:
    """Return `obj[key]` stripped, or None when missing, null or blank; raise if not a string
    (or not UTF-8 text)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(path(base, key), f"expected a string, got {kind(value)}")
    return require_encodable(value, path(base, key)).strip() or None


def required_str(obj: Json, key: str, base: str) -> str:
    """Return the non-blank string `obj[key]`; raise InvalidInput when missing, blank or typed."""
    value = optional_str(obj, key, base)
    if value is None:
        raise InvalidInput(path(base, key), "required, but missing or empty")
    return value


def value_str(obj: Json, key: str, base: str) -> str | None:
    """Return a string given plainly or as an activity-log `{value, localizedValue}` object."""
    value = obj.get(key)
    if isinstance(value, Mapping):
        return optional_str(value, "value", path(base, key))
    return optional_str(obj, key, base)


def get_ci(obj: Json, key: str) -> Any:
    """Return `obj[key]`, matching the key without regard to case (Azure varies it)."""
    if key in obj:
        return obj[key]
    wanted = key.lower()
    for name, value in obj.items():
        if isinstance(name, str) and name.lower() == wanted:
            return value
    return None


def parse_time(value: object, where: str) -> datetime:
    """Return a tz-aware datetime from an ISO 8601 string or a datetime.

    Azure timestamps are UTC; one without an offset is read as UTC. Raises InvalidInput
    naming `where` when the value is missing or not a timestamp.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(where, f"not an ISO 8601 timestamp: {shown(value)}") from None
    else:
        raise InvalidInput(where, f"expected a timestamp string, got {kind(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def json_array_or_string(value: object, where: str) -> list[Any] | None:
    """Return a JSON array given as an array or as a JSON-escaped string; None if absent.

    Raises InvalidInput naming `where` when the string is not JSON or not an array.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise InvalidInput(where, "a string, but not valid escaped JSON") from None
    if not isinstance(value, list):
        raise InvalidInput(where, f"expected an array (or an escaped one), got {kind(value)}")
    return value
