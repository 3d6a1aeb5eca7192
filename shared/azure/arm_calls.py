"""Helpers every ARM module of Lifeboat shares: JSON of SDK models, 404 and 429 handling."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from shared.arm_id import ResourceId
from shared.errors import PreconditionNotMet

ACTIONS: tuple[str, ...] = ()  # performs no ARM call of its own

T = TypeVar("T")


def as_json(model: Any) -> dict[str, Any]:
    """Return an SDK model (or a plain mapping) as its REST JSON dict."""
    if hasattr(model, "as_dict"):
        out: dict[str, Any] = model.as_dict()
        return out
    return dict(model or {})


@contextmanager
def throttling_waits() -> Iterator[None]:
    """Turn ARM throttling that outlasted the SDK's retries into PreconditionNotMet.

    A throttled job should wait for its quota (Retry-After), not spend its failure retries.
    """
    from azure.core.exceptions import HttpResponseError

    try:
        yield
    except HttpResponseError as exc:
        if exc.status_code != 429:
            raise
        headers = getattr(exc.response, "headers", None) or {}
        try:
            wait = float(headers.get("Retry-After") or 0) or None
        except ValueError:
            wait = None
        raise PreconditionNotMet("ARM throttled the request; waiting for quota", wait) from None


def missing_is_none(read: Callable[[], T]) -> T | None:
    """Return read(), or None when Azure answers 404 (the resource does not exist)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return read()
    except ResourceNotFoundError:
        return None


def rg(rid: ResourceId) -> str:
    """Return the resource group of `rid` ('' for a subscription-level id)."""
    return rid.resource_group or ""
