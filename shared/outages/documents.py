"""Reading persisted outage documents back: one place that turns validation errors into types."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from shared.outages.errors import DamagedPlan

T = TypeVar("T")
# camelCase on the wire like ARM; unknown fields refused so a damaged document is never half-read.
DOCUMENT_CONFIG = ConfigDict(
    alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True
)


def read_document(
    adapter: TypeAdapter[T], text: str | bytes, error: type[DamagedPlan], what: str
) -> T:
    """Return the document in `text`; raise `error` naming the first bad field (or `what`)."""
    try:
        return adapter.validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or what
        raise error(where, str(first.get("msg", "invalid"))) from None
