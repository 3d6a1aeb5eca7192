"""Helpers every ARM module of Lifeboat shares: JSON of SDK models, 404, 409 and 429 handling."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from shared.arm_id import ResourceId
from shared.errors import PreconditionNotMet, TransientError
from shared.regions import normalize_region

ACTIONS: tuple[str, ...] = ()  # performs no ARM call of its own

T = TypeVar("T")

# 409 codes that mean "another request is changing this resource right now" (ARM's concurrent
# request conflict, and the RPs' in-progress variants): trying again later succeeds. Every other
# 409 (OperationNotAllowed, PropertyChangeNotAllowed, ...) is a permanent answer.
TRANSIENT_CONFLICT_CODES = frozenset(
    {
        "Conflict",
        "AnotherOperationInProgress",
        "OperationPreempted",
        "RetryableError",
        "RetryableErrorDueToAnotherOperation",
    }
)


def as_json(model: Any) -> dict[str, Any]:
    """Return an SDK model (or a plain mapping) as its REST JSON dict."""
    if hasattr(model, "as_dict"):
        out: dict[str, Any] = model.as_dict()
        return out
    return dict(model or {})


def props_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return an ARM body's `properties` ({} when absent)."""
    props = body.get("properties")
    return props if isinstance(props, Mapping) else {}


def region_of(value: Any) -> str:
    """Return an ARM `location` as a programmatic region name ('' when absent)."""
    return normalize_region(value, "location") if value else ""


def conflict_code(exc: BaseException) -> str | None:
    """Return the ARM error code of a 409, or None for anything else."""
    if getattr(exc, "status_code", None) != 409:
        return None
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return str(code) if code else None


@contextmanager
def transient_conflicts() -> Iterator[None]:
    """Turn a 409 that only means "a concurrent request" into TransientError (retried later).

    Two jobs may PUT the shared DR gallery or definition at once; that must not fail either.
    """
    from azure.core.exceptions import HttpResponseError

    try:
        yield
    except HttpResponseError as exc:
        code = conflict_code(exc)
        if code not in TRANSIENT_CONFLICT_CODES:
            raise
        # No Retry-After: the job backbone's growing backoff gives the other request time.
        raise TransientError(f"ARM answered 409 {code}: {exc.message}"[:300]) from None


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
