"""Request bodies for the manual HTTP routes: one strict JSON object, unknown fields refused."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from shared.errors import InvalidInput
from shared.text import require_encodable_json


def parse_json_object(raw: bytes | str, allowed: Collection[str]) -> Mapping[str, Any]:
    """Return the body as a JSON object whose keys are all in `allowed`.

    Raises InvalidInput("body") when it is not JSON or not an object, InvalidInput naming the
    first key or string that is not UTF-8 text (a lone surrogate), and InvalidInput naming
    the first unknown key: a typo such as "dryrun" must never turn a dry run into real writes.
    """
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        raise InvalidInput("body", "not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("body", "expected a JSON object")
    require_encodable_json(body)
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(unknown[0], f"unknown field; expected one of {sorted(allowed)}")
    return body
